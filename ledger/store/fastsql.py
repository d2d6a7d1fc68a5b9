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
from sqlalchemy.dialects import postgresql
from sqlmodel import SQLModel

from ledger.store import pg_arrays

_PARAM = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")
_LENGTH = re.compile(r"\(\d+\)")
_INSERT = re.compile(r"INSERT INTO (\w+) \(([\w, ]+)\) VALUES \(([:\w, ]+)\)(.*)", re.DOTALL)


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


@dataclasses.dataclass(frozen=True, slots=True)
class Rows:
    """Many rows of one statement as tuples in the order of ``columns`` (no dict per row); the
    statement names its parameters in that order."""

    columns: tuple[str, ...]
    values: list[tuple[Any, ...]]


Write = tuple[str, "dict[str, Any] | Sequence[dict[str, Any]] | Rows"]
Query = tuple[str, dict[str, Any]]  # SQL in the driver's own parameter style, and its parameters

_PY_TYPE = {"BIGINT": int, "SMALLINT": int, "INTEGER": int, "BOOLEAN": bool}
_KEYS_PER_QUERY = 400  # SQLite: well under its limit of bound parameters


def rows_by_keys(
    dialect: str, sql: RowSql, table: Table, keys: Iterable[tuple[Any, ...]]
) -> tuple[list[tuple[Any, ...]], list[Query]]:
    """Queries that read the rows of many primary keys of one table, and the keys they ask
    for. A key whose values are not of its columns' Python types is not asked (the database
    might convert it and answer for another key), nor one no column can hold (text with NUL or
    an unpaired surrogate: the query itself would fail, and the keys come from entries not
    checked yet); nor are keys of several columns on SQLite, whose lookups cost no round trip."""
    text, wanted = _by_keys_sql(dialect, sql, table)
    if text is None:
        return [], []
    asked = [k for k in keys if len(k) == len(wanted) and all(_storable(v, w) for v, w in zip(k, wanted, strict=True))]
    if not asked:
        return [], []
    if dialect == "postgresql":
        return asked, [(text, {f"k{i}": [k[i] for k in asked] for i in range(len(wanted))})]
    queries = []
    for i in range(0, len(asked), _KEYS_PER_QUERY):
        clause, params = in_list(sql.pk[0], [k[0] for k in asked[i : i + _KEYS_PER_QUERY]], prefix="k")
        queries.append((f"{text} WHERE {clause}", params))
    return asked, queries


def _storable(value: Any, wanted: type) -> bool:
    if type(value) is not wanted:
        return False
    if not isinstance(value, str):
        return True
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@lru_cache(maxsize=128)
def _by_keys_sql(dialect: str, sql: RowSql, table: Table) -> tuple[str | None, tuple[type, ...]]:
    """The statement of :func:`rows_by_keys` (SQLite: without its WHERE clause) and the Python
    type of each key column."""
    wanted = tuple(_PY_TYPE.get(_LENGTH.sub("", _pg_type(table, c)), str) for c in sql.pk)
    cols = ", ".join(f"{table.name}.{c}" for c in sql.columns)
    if dialect != "postgresql":
        return (f"SELECT {cols} FROM {table.name}" if len(sql.pk) == 1 else None), wanted
    if len(sql.pk) == 1:
        return (
            f"SELECT {cols} FROM {table.name} WHERE {sql.pk[0]} = ANY(CAST(%(k0)b AS {array_type(table, sql.pk[0])}))",
            wanted,
        )
    arrays = ", ".join(f"CAST(%(k{i})b AS {array_type(table, c)})" for i, c in enumerate(sql.pk))
    names = ", ".join(f"k{i}" for i in range(len(sql.pk)))
    on = " AND ".join(f"{table.name}.{c} = w.k{i}" for i, c in enumerate(sql.pk))
    return f"SELECT {cols} FROM unnest({arrays}) AS w({names}) JOIN {table.name} ON {on}", wanted


def fetch_each(conn: Connection, queries: Sequence[Query]) -> list[list[tuple[Any, ...]]]:
    """The rows of each query, in order. PostgreSQL gets them in one pipeline: all the queries
    go out before the first answer is awaited (one round trip)."""
    if not queries:
        return []
    raw = driver_connection(conn)
    cursors = [raw.cursor() for _ in queries]
    try:
        if conn.dialect.name == "postgresql":
            with raw.pipeline():
                for cursor, (sql, params) in zip(cursors, queries, strict=True):
                    cursor.execute(sql, params)
                return [cursor.fetchall() for cursor in cursors]
        out = []
        for cursor, (sql, params) in zip(cursors, queries, strict=True):
            cursor.execute(sql, params)
            out.append(cursor.fetchall())
        return out
    finally:
        for cursor in cursors:
            cursor.close()


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
        if isinstance(params, dict):
            cursor.execute(_for_driver(sql, dialect), params)
            continue
        if isinstance(params, Rows):
            _send_rows(cursor, sql, params, dialect)
            continue
        rows = list(params)
        multirow = _multirow(sql) if dialect == "postgresql" and len(rows) > 1 else None
        if multirow is not None:
            columns, text, types = multirow
            cursor.execute(text, {c: _array(t, [row[c] for row in rows]) for c, t in zip(columns, types, strict=True)})
        elif rows:
            cursor.executemany(_for_driver(sql, dialect), rows)


_PG = postgresql.dialect()  # type: ignore[no-untyped-call]


def _pg_type(table: Table, column: str) -> str:
    return str(table.c[column].type.compile(dialect=_PG))


def array_type(table: Table, column: str) -> str:
    """The PostgreSQL array type of a column's values, without a length: an explicit cast to
    ``varchar(n)`` would cut a longer value short, where storing it must fail as usual."""
    return _LENGTH.sub("", _pg_type(table, column)) + "[]"


def _send_rows(cursor: Any, sql: str, rows: Rows, dialect: str) -> None:
    if not rows.values:
        return
    multirow = _multirow(sql) if dialect == "postgresql" and len(rows.values) > 1 else None
    if multirow is not None:
        columns, text, types = multirow
        by_name = dict(zip(rows.columns, zip(*rows.values, strict=True), strict=True))
        cursor.execute(text, {c: _array(t, by_name[c]) for c, t in zip(columns, types, strict=True)})
        return
    positional = _positional(sql, rows.columns, dialect)
    if positional is not None:
        cursor.executemany(positional, rows.values)
    else:
        cursor.executemany(_for_driver(sql, dialect), [dict(zip(rows.columns, v, strict=True)) for v in rows.values])


@lru_cache(maxsize=256)
def _positional(sql: str, columns: tuple[str, ...], dialect: str) -> str | None:
    """``sql`` with positional parameters when it names exactly ``columns``, in order."""
    if tuple(_PARAM.findall(sql)) != columns:
        return None
    if dialect == "sqlite":
        return _PARAM.sub("?", sql)
    if dialect == "postgresql":
        return _PARAM.sub("%s", sql.replace("%", "%%"))
    return None


def _array(array_type: str, values: Sequence[Any]) -> Any:
    """A column's values as one binary array parameter (encoded here when it can be)."""
    encoded = pg_arrays.encode(array_type, values)
    return list(values) if encoded is None else encoded


_MULTIROW: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {}


def _multirow(sql: str) -> tuple[tuple[str, ...], str, tuple[str, ...]] | None:
    found = _MULTIROW.get(sql)
    if found is None:
        found = _make_multirow(sql)
        if found is not None:  # (a table not registered yet is looked up again next time)
            _MULTIROW[sql] = found
    return found


def _make_multirow(sql: str) -> tuple[tuple[str, ...], str, tuple[str, ...]] | None:
    """A PostgreSQL statement that inserts many rows of ``INSERT INTO t (cols) VALUES (:cols)
    [ON CONFLICT …]`` at once: one array per column, unnested into rows. The server plans and
    runs one statement instead of one per row (executemany, even pipelined, is a round of
    parse-bind-execute per row). None when the statement is not of that shape or its table is
    unknown (then the rows go one by one). A multi-row upsert must not name one key twice;
    callers pass one row per key (:meth:`SqlState.pending_writes`, leaves, nodes)."""
    m = _INSERT.fullmatch(sql.strip())
    if m is None:
        return None
    name, cols, values, rest = m.groups()
    columns = tuple(c.strip() for c in cols.split(","))
    if tuple(v.strip() for v in values.split(",")) != tuple(":" + c for c in columns):
        return None
    table = SQLModel.metadata.tables.get(name)
    if table is None or any(c not in table.c for c in columns):
        return None
    types = tuple(array_type(table, c) for c in columns)
    arrays = ", ".join(f"CAST(%({c})b AS {t})" for c, t in zip(columns, types, strict=True))  # binary: no quoting
    text = f"INSERT INTO {name} ({cols}) SELECT * FROM unnest({arrays}){rest.replace('%', '%%')}"
    return columns, text, types


def in_list(column: str, values: Iterable[Any], prefix: str | None = None) -> tuple[str, dict[str, Any]]:
    """``column IN (:p_0, :p_1, …)`` and its parameters (``p`` is ``prefix`` or the column)."""
    prefix = prefix or column
    params = {f"{prefix}_{i}": v for i, v in enumerate(values)}
    return f"{column} IN ({', '.join(':' + p for p in params)})", params
