"""Engines for SQLite (embedded default) and PostgreSQL, with the transaction modes appends need."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel


def make_engine(url: str, *, pool: bool = True) -> Engine:
    """An engine tuned for the log.

    SQLite: WAL, a generous busy timeout, and explicit BEGIN so that writers can take the
    write lock up front (``BEGIN IMMEDIATE``) — the sequencer of the embedded default. Deleted
    and overwritten content is zeroed (``secure_delete``), so an erased donor's record leaves
    no bytes behind in free space (``ledger.store.donors.scrub_database`` empties the WAL).
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if not pool:
        return create_engine(url, poolclass=NullPool)
    engine = create_engine(url)
    _ping_after_idle(engine)
    return engine


PING_AFTER_IDLE_S = 1.0


def _ping_after_idle(engine: Engine) -> None:
    """Ping a pooled connection that sat idle for a while before handing it out, and replace it
    if the server went away meanwhile (what ``pool_pre_ping`` does on every checkout): a
    connection in steady use is not pinged, a round trip saved on every transaction. One that
    fails in use is dropped by the pool like any other (callers retry where that is safe)."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_conn, None):
                raise DisconnectionError() from exc  # the pool connects afresh and tries again
            raise


def table_of(model: type[SQLModel]) -> Table:
    """The table SQLModel made for a model class (its ``__table__``, which type checkers do not
    see): looked up by the class's table name in the shared metadata."""
    name = model.__tablename__
    return SQLModel.metadata.tables[name if isinstance(name, str) else name()]


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the database's write lock from its first statement (SQLite)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            yield conn


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        with conn.begin():
            yield conn
