"""Fixtures of the report tests: a registry (tests/reports/world.py) in the real store, shared
read-only by the tests that only read it, and reports built from it once per session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from ledger.store.export import export_log
from reports import celery_app
from reports.common import ReportDoc, ReportRequest, render_report
from reports.issue import build_from_ledger
from tests.reports.world import ReportWorld

Built = tuple[ReportDoc, dict[str, bytes]]


@pytest.fixture(scope="session")
def shared_world(tmp_path_factory: pytest.TempPathFactory) -> ReportWorld:
    """A registry nobody writes to (no report is recorded in it)."""
    world = ReportWorld(tmp_path_factory.mktemp("reports-shared") / "home")
    world.store_donor()
    return world


@pytest.fixture(scope="session")
def shared_export(shared_world: ReportWorld, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reports-export") / "export"
    export_log(shared_world.ledger.log, folder)
    return folder


@pytest.fixture(scope="session")
def built(shared_world: ReportWorld) -> Callable[..., Built]:
    """``built(kind, **params)``: the report and its files, built once per request."""
    cache: dict[ReportRequest, Built] = {}

    def get(kind: str, **params: object) -> Built:
        request = ReportRequest(kind, **params)  # type: ignore[arg-type]
        if request not in cache:
            doc = build_from_ledger(shared_world.ledger, request)
            cache[request] = (doc, render_report(doc))
        return cache[request]

    return get


@pytest.fixture
def world(tmp_path: Path) -> ReportWorld:
    """A registry of its own, for tests that record reports."""
    return ReportWorld(tmp_path / "home")


@pytest.fixture
def embedded_world(world: ReportWorld) -> Iterator[None]:
    """The Celery app as the embedded default configures it: tasks run in the caller."""
    before = celery_app.default_settings()
    celery_app.configure(replace(world.ledger.settings, broker_url=None))
    try:
        yield
    finally:
        celery_app.configure(before)
