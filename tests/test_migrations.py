"""The Alembic migrations build exactly the schema the code describes, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from ledger.store import migrate
from ledger.store.db import make_engine
from ledger.store.projection_tables import register_all
from tests.support.ledger_factory import LedgerFactory


def test_migrations_match_the_models(any_factory: LedgerFactory) -> None:
    engine = any_factory.ledger.engine
    register_all()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []
    assert migrate.is_current(engine)


def test_upgrade_is_idempotent(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
