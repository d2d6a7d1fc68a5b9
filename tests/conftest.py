"""Shared fixtures: a fresh data folder per test, SQLite by default, PostgreSQL when asked.

``CHARITY_LEDGER_TEST_POSTGRES_URL`` enables the PostgreSQL variants (each test gets its own
schema); ``CHARITY_LEDGER_TEST_REDIS_URL`` the real-broker tests. With
``CHARITY_LEDGER_REQUIRE_SERVICES=1`` (set by .ci/run) a missing service fails the test
instead of skipping it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.ledger_factory import LedgerFactory


def _service_url(var: str) -> str:
    url = os.environ.get(var)
    if not url:
        if os.environ.get("CHARITY_LEDGER_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{var} is not set but CHARITY_LEDGER_REQUIRE_SERVICES=1")
        pytest.skip(f"{var} not set")
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return _service_url("CHARITY_LEDGER_TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _service_url("CHARITY_LEDGER_TEST_REDIS_URL")


@pytest.fixture
def pg_schema_url(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a new, empty schema (dropped afterwards)."""
    from sqlalchemy import text

    from ledger.store.db import make_engine

    schema = "t_" + uuid.uuid4().hex[:12]
    admin = make_engine(postgres_url, pool=False)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres_url else "?"
    yield f"{postgres_url}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def factory(tmp_path: Path) -> LedgerFactory:
    """A ledger on SQLite in a fresh data folder."""
    return LedgerFactory(tmp_path / "home")


@pytest.fixture(params=["sqlite", "postgres"])
def any_factory(request: pytest.FixtureRequest, tmp_path: Path) -> LedgerFactory:
    """The same test on SQLite and (when configured) PostgreSQL."""
    if request.param == "sqlite":
        return LedgerFactory(tmp_path / "home")
    url = request.getfixturevalue("pg_schema_url")
    return LedgerFactory(tmp_path / "home", database_url=url)
