"""Alembic environment: migrations run on a connection handed over by ledger.store.migrate."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from ledger.store import account_tables, api_tokens, donors, drafts, evidence, imports, log_tables  # noqa: F401  (registers their tables)
from ledger.store.projection_tables import register_all

register_all()
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
