"""Reports on PostgreSQL: the same log (the world signs deterministically) gives the same report
files as on SQLite, read in one REPEATABLE READ transaction; recording stays once per request."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reports.common import ReportRequest, render_report
from reports.issue import build_from_ledger, issue
from tests.domain import helpers as H
from tests.reports.test_report_export import CASES, data_files
from tests.reports.world import ReportWorld


def test_reports_on_postgres_equal_those_on_sqlite(
    pg_schema_url: str, tmp_path: Path, built: Callable, shared_world: ReportWorld
) -> None:
    pg = ReportWorld(tmp_path / "home", database_url=pg_schema_url)
    assert pg.ledger.engine.dialect.name == "postgresql"
    assert pg.ledger.log.head() == shared_world.ledger.log.head()  # the same leaves, the same tree
    for kind, params in CASES:
        _doc, files = built(kind, **params)
        again = build_from_ledger(pg.ledger, ReportRequest(kind, **params))
        assert data_files(render_report(again, pdf=False)) == data_files(files), kind
    pg.ledger.engine.dispose()


def test_recording_once_on_postgres(pg_schema_url: str, tmp_path: Path) -> None:
    pg = ReportWorld(tmp_path / "home", database_url=pg_schema_url)
    pg.install_system_key()
    request = ReportRequest("annual", org=H.FOUNDATION, year=2026)
    first = issue(pg.ledger, request)
    again = issue(pg.ledger, request)
    assert first.entry is not None and again.entry == {**first.entry, "existing": True}
    pg.ledger.engine.dispose()
