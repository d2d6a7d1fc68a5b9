"""Writers racing on one fund never take it below zero (SQLite and PostgreSQL, real processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from ledger.domain.rows import FundRow
from ledger.store.projection_tables import table_for
from ledger.store.rebuild import check
from tests.domain import helpers
from tests.support.store_world import StoreWorld

ROOT = Path(__file__).resolve().parents[1]
FUND = table_for(FundRow)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str | None:
    return None if request.param == "sqlite" else request.getfixturevalue("pg_schema_url")


def test_racing_allocations_never_overdraw(tmp_path: Path, db_url: str | None) -> None:
    world = StoreWorld(tmp_path / "home", db_url)
    world.append(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "1000.00"))
    world.ledger.engine.dispose()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    workers, attempts = 4, 5
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.racing_allocator",
                str(tmp_path / "home"),
                db_url or "",
                str(w),
                str(attempts),
                "100.00",
                world.PUB,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    ok: list[int] = []
    refused: list[str] = []
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
        result = json.loads(out)
        ok += result["ok"]
        refused += result["refused"]
    assert len(ok) == 10 and len(refused) == 10
    assert set(refused) == {"insufficient_funds"}
    with world.ledger.engine.connect() as conn:
        fund = conn.execute(select(FUND).where(FUND.c.project == world.PUB)).mappings().one()
    assert fund["allocated_minor"] == 100000 == fund["raised_minor"]
    assert fund["available_restricted_minor"] == 0
    assert check(world.ledger.log).clean
