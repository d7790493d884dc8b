"""No function or method in ``src/comptoir`` is longer than a reader can hold (80 lines), and no module
longer than 600 lines.

A function's length runs from its ``def`` line to its last line (decorators not counted); nested
functions and methods are measured on their own too (and also count in the function holding them).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

MAX_LINES = 80
SRC = Path(__file__).resolve().parents[1] / "src" / "comptoir"

# Functions allowed to stay longer for now, as "path relative to src/comptoir:qualified name".
ALLOWED: set[str] = set()
MAX_MODULE_LINES = 600
# Alembic revisions are the schema's history, written once and never edited afterwards: a long
# ``upgrade()`` is a list of DDL statements, not logic to read.
SKIPPED_DIRS = {SRC / "migrations" / "versions"}


def _functions(
    tree: ast.AST, prefix: str = ""
) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = f"{prefix}{node.name}"
            yield name, node
            yield from _functions(node, f"{name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


def long_functions(root: Path = SRC, limit: int = MAX_LINES) -> list[str]:
    """``path:line name (n lines)`` for every function under ``root`` longer than ``limit`` lines."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if any(path.is_relative_to(skipped) for skipped in SKIPPED_DIRS):
            continue
        relative = path.relative_to(root).as_posix()
        for name, node in _functions(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > limit and f"{relative}:{name}" not in ALLOWED:
                found.append(f"{relative}:{node.lineno} {name} ({length} lines)")
    return found


def test_no_function_is_longer_than_80_lines() -> None:
    too_long = long_functions()
    assert not too_long, f"Functions over {MAX_LINES} lines (split them):\n" + "\n".join(too_long)


def test_no_module_is_longer_than_600_lines() -> None:
    too_long = [
        f"{path.relative_to(SRC).as_posix()} ({lines} lines)"
        for path in sorted(SRC.rglob("*.py"))
        if not any(path.is_relative_to(skipped) for skipped in SKIPPED_DIRS)
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert not too_long, f"Modules over {MAX_MODULE_LINES} lines (split them by topic):\n" + "\n".join(
        too_long
    )


def test_the_checker_measures_from_def_to_last_line(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES - 1))
    (tmp_path / "m.py").write_text(
        "import functools\n\n\n"
        f"@functools.cache\ndef fits():\n{body}\n\n\n"  # def + 79 lines = 80: allowed
        f"class C:\n    def method(self):\n    {body.replace(chr(10), chr(10) + '    ')}\n        return 1\n"
    )
    assert long_functions(tmp_path) == ["m.py:88 C.method (81 lines)"]


def test_the_allow_list_names_functions_that_exist() -> None:
    present = set()
    for entry in ALLOWED:
        path = entry.partition(":")[0]
        tree = ast.parse((SRC / path).read_text(encoding="utf-8"))
        present |= {f"{path}:{n}" for n, _ in _functions(tree)}
    assert present >= ALLOWED
