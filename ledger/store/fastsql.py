"""Prepared SQL text for the append hot path, run through the driver without compiling.

Building and compiling a SQLAlchemy statement costs tens of microseconds per execution; the
append path runs a handful of fixed statements per entry, so they are written once here as
SQL text with ``:name`` parameters and handed to the driver (``exec_driver_sql``), converted to
the driver's parameter style (sqlite3: ``:name``; psycopg: ``%(name)s``). Results come back as
the driver gives them, so booleans are normalised here (SQLite returns 0/1).
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table

_PARAM = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")


@lru_cache(maxsize=512)
def _for_driver(sql: str, dialect: str) -> str:
    if dialect == "sqlite":  # sqlite3 takes :name with a dict whatever SQLAlchemy's default
        return sql
    if dialect == "postgresql":  # psycopg
        return _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))
    raise NotImplementedError(f"database {dialect}")


def run(conn: Connection, sql: str, params: dict[str, Any] | Sequence[dict[str, Any]] | None = None) -> Any:
    """Execute prepared SQL text; a list of dicts runs as executemany."""
    text = _for_driver(sql, conn.dialect.name)
    if params is None:
        return conn.exec_driver_sql(text)
    if isinstance(params, dict):
        return conn.exec_driver_sql(text, params)
    return conn.exec_driver_sql(text, list(params))


@dataclasses.dataclass(frozen=True)
class RowSql:
    """The statements for one projection table, keyed by its primary key."""

    columns: tuple[str, ...]
    pk: tuple[str, ...]
    bools: tuple[int, ...]  # positions of boolean columns
    select_by_pk: str
    upsert: str  # INSERT … ON CONFLICT (pk) DO UPDATE: SQLite 3.24+ and PostgreSQL alike

    def row_values(self, raw: Sequence[Any]) -> dict[str, Any]:
        values = dict(zip(self.columns, raw, strict=True))
        for i in self.bools:
            name = self.columns[i]
            if values[name] is not None:
                values[name] = bool(values[name])
        return values


_ROW_SQL: dict[tuple[type[Any], Table], RowSql] = {}


def row_sql(row_type: type[Any], table: Table) -> RowSql:
    """The SQL of a row class's table (made once per class)."""
    found = _ROW_SQL.get((row_type, table))
    if found is None:
        found = _ROW_SQL[(row_type, table)] = _make_row_sql(row_type, table)
    return found


def _make_row_sql(row_type: type[Any], table: Table) -> RowSql:
    fields = [f.name for f in dataclasses.fields(row_type)]
    hints = typing.get_type_hints(row_type)
    bools = tuple(i for i, name in enumerate(fields) if hints[name] is bool or hints[name] == (bool | None))
    pk = tuple(row_type.__pk__)
    where = " AND ".join(f"{c} = :{c}" for c in pk)
    cols = ", ".join(fields)
    return RowSql(
        columns=tuple(fields),
        pk=pk,
        bools=bools,
        select_by_pk=f"SELECT {cols} FROM {table.name} WHERE {where}",
        upsert=(
            f"INSERT INTO {table.name} ({cols}) VALUES ({', '.join(':' + c for c in fields)}) "
            f"ON CONFLICT ({', '.join(pk)}) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in fields if c not in pk)
        ),
    )


def fetchone(conn: Connection, sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """One row through the driver's own cursor, without SQLAlchemy's result machinery."""
    cursor = driver_connection(conn).cursor()
    try:
        cursor.execute(_for_driver(sql, conn.dialect.name), params)
        row: tuple[Any, ...] | None = cursor.fetchone()
        return row
    finally:
        cursor.close()


Write = tuple[str, "dict[str, Any] | Sequence[dict[str, Any]]"]


def driver_connection(conn: Connection) -> Any:
    """The DB-API connection under a live SQLAlchemy connection."""
    raw = conn.connection.dbapi_connection
    if raw is None:
        raise RuntimeError("the database connection is closed")
    return raw


def write_all(conn: Connection, writes: Sequence[Write]) -> None:
    """Run writes (no results wanted) in order, on the driver's cursor. PostgreSQL gets them in
    one pipeline: one round trip to the server instead of one per statement."""
    raw = driver_connection(conn)
    dialect = conn.dialect.name
    cursor = raw.cursor()
    try:
        if dialect == "postgresql":
            with raw.pipeline():
                _send(cursor, writes, dialect)
        else:
            _send(cursor, writes, dialect)
    finally:
        cursor.close()


def _send(cursor: Any, writes: Sequence[Write], dialect: str) -> None:
    for sql, params in writes:
        text = _for_driver(sql, dialect)
        if isinstance(params, dict):
            cursor.execute(text, params)
        elif params:
            cursor.executemany(text, list(params))


def in_list(column: str, values: Iterable[Any], prefix: str | None = None) -> tuple[str, dict[str, Any]]:
    """``column IN (:p_0, :p_1, …)`` and its parameters (``p`` is ``prefix`` or the column)."""
    prefix = prefix or column
    params = {f"{prefix}_{i}": v for i, v in enumerate(values)}
    return f"{column} IN ({', '.join(':' + p for p in params)})", params
