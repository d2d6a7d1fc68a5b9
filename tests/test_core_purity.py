"""The pure core imports no web framework, database layer or task queue."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Every module of the pure folders, found on disk: a new module is checked without being listed.
PURE_FOLDERS = ("ledger/protocol", "ledger/domain", "ledger/compliance")
PURE = [
    *sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for folder in PURE_FOLDERS
        for path in (ROOT / folder).rglob("*.py")
    ),
    "ledger.errors",
    "ledger.settings",
]
FORBIDDEN = (
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "psycopg",
    "litestar",
    "celery",
    "httpx",
    "uvicorn",
    "weasyprint",
    "api",
    "public_site",
    "reports",
)


def test_pure_modules_import_nothing_heavy() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for m in {PURE!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out)
    bad = sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN)
    assert bad == []
