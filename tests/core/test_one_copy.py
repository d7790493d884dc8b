"""Shared rules live once, in the kernel: no domain carries its own copy again (issue 16, item 8)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import comptoir

SOURCE = Path(comptoir.__file__).parent

# (what a copy of the rule looks like, the one module allowed to hold it)
RULES = [
    (r"unknown ISO 4217 currency", "core/money.py"),
    (r"never floats", "core/money.py"),
    (r"\basin\b", "core/geo.py"),
    (r"sha256\(token", "core/auth.py"),
]


@pytest.mark.parametrize(("pattern", "home"), RULES, ids=[home + ":" + p for p, home in RULES])
def test_a_shared_rule_has_one_home(pattern: str, home: str) -> None:
    holders = sorted(
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if "migrations" not in path.parts and re.search(pattern, path.read_text(encoding="utf-8"))
    )
    assert holders == [home]
