"""No function in the core and storage packages runs over 60 lines (issue 18): a long function
is split into named helpers, so each piece can be read, and tested, on its own.

A function's length is counted from its ``def`` line to its last line (decorators aside,
docstring and blank lines included). Alembic migrations under ``ledger/store/migrations`` are
left out: each is the frozen record of one schema step, a list of DDL statements that is
reviewed once, checked against the models (tests/test_migrations.py) and never edited after.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ledger/protocol", "ledger/domain", "ledger/compliance", "ledger/store")
SKIPPED = ("ledger/store/migrations",)
MAX_LINES = 60


def too_long(source: str, filename: str, limit: int = MAX_LINES) -> list[str]:
    """``name:line (n lines)`` of every function or method in ``source`` longer than ``limit``."""
    tree = ast.parse(source, filename=filename)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > limit:
                found.append(f"{node.name}:{node.lineno} ({length} lines)")
    return found


def test_no_function_in_the_core_and_storage_runs_over_60_lines() -> None:
    found = []
    checked = 0
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(SKIPPED):
                continue
            checked += 1
            found += [f"{relative}:{where}" for where in too_long(path.read_text(encoding="utf-8"), relative)]
    assert checked > 50  # the walk found the packages (a moved folder must not make this pass)
    assert found == [], "functions over 60 lines, split them into named helpers:\n" + "\n".join(found)


def test_the_count_runs_from_def_to_the_last_line() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(59))
    fits = f"def fits():\n{body}\n"  # 60 lines with its def
    over = f"def over():\n{body}\n    return x0\n"  # 61
    nested = f"class C:\n    async def method(self):\n{body.replace('    ', '        ')}\n        return 1\n"
    assert too_long(fits, "fits.py") == []
    assert too_long(over, "over.py") == ["over:1 (61 lines)"]
    assert too_long(nested, "nested.py") == ["method:2 (61 lines)"]
