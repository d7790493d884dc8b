"""The lock files `make install` installs from agree with pyproject.toml and with each other."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s\\;]+)")


def _pins(lock: str) -> dict[str, str]:
    return {
        canonicalize_name(m.group(1)): m.group(2)
        for line in (ROOT / lock).read_text().splitlines()
        if (m := PIN.match(line))
    }


def _requirements(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra in extras:
        declared += project["optional-dependencies"][extra]
    return [Requirement(r) for r in declared]


def _unmet(pins: dict[str, str], requirements: list[Requirement]) -> list[str]:
    return [
        str(r)
        for r in requirements
        if canonicalize_name(r.name) not in pins
        or not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)
    ]


def test_the_runtime_lock_pins_every_dependency_and_extra_within_its_range() -> None:
    assert _unmet(_pins("requirements.lock"), _requirements("demo", "redis")) == []


def test_the_dev_lock_pins_the_dev_tools_and_the_runtime_versions_unchanged() -> None:
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert _unmet(dev, _requirements("demo", "redis", "dev")) == []
    assert {name: dev.get(name) for name in runtime} == runtime


def test_every_pin_carries_hashes() -> None:
    for lock in ("requirements.lock", "requirements-dev.lock"):
        lines = (ROOT / lock).read_text().splitlines()
        starts = [i for i, line in enumerate(lines) if PIN.match(line)]
        assert len(starts) == len(_pins(lock)) > 50
        unhashed = [
            lines[begin]
            for begin, end in zip(starts, [*starts[1:], len(lines)], strict=True)
            if not any("--hash=sha256:" in line for line in lines[begin:end])
        ]
        assert unhashed == [], lock
