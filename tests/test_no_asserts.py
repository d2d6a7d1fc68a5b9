"""Product code states its invariants with typed errors, not ``assert`` (which ``python -O``
removes, so a broken invariant would go on silently)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ledger", "api", "public_site", "reports")


def test_no_assert_statements_in_product_code() -> None:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            found += [
                f"{path.relative_to(ROOT)}:{node.lineno}" for node in ast.walk(tree) if isinstance(node, ast.Assert)
            ]
    assert found == []
