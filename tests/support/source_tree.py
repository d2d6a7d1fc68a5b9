"""The product's Python files, for the tests that check the shape of the code."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = "ledger/store/migrations"


def findings(packages: Iterable[str], check: Callable[[str, str], list[str]]) -> tuple[int, list[str]]:
    """Run ``check(source, relative_path)`` on every ``.py`` file under ``packages`` (migrations
    left out); answer how many files were checked and the ``path:finding`` lines."""
    found: list[str] = []
    checked = 0
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(MIGRATIONS):
                continue
            checked += 1
            found += [f"{relative}:{where}" for where in check(path.read_text(encoding="utf-8"), relative)]
    return checked, found
