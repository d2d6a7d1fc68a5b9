"""The pure core imports no web framework, database layer or task queue."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PURE = [
    "ledger.protocol.canonical",
    "ledger.domain.money",
    "ledger.errors",
    "ledger.protocol.keys",
    "ledger.protocol.entry",
    "ledger.protocol.merkle",
    "ledger.protocol.note",
    "ledger.protocol.checkpoint",
    "ledger.protocol.witness_protocol",
    "ledger.protocol.verify",
    "ledger.protocol.sigcheck",
    "ledger.domain",
    "ledger.domain.rules",
    "ledger.domain.tracing",
    "ledger.domain.privacy",
    "ledger.compliance.rulesets",
    "ledger.compliance.ratios",
    "ledger.compliance.deadlines",
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
