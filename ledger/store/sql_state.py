"""The domain's State on SQL tables, cached for one transaction and flushed at its end.

Rules read rows by primary key through :meth:`SqlState.get` (one prepared SELECT on a cache
miss) and write with :meth:`SqlState.put` (kept in memory). :meth:`SqlState.flush` writes the
changed rows inside the append's transaction as one executemany upsert per table, so a put
never needs a read to know whether the row exists.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import Connection, and_, select

from ledger.store.fastsql import Rows, Write, fetch_each, fetchone, row_sql, rows_by_keys, write_all
from ledger.store.projection_tables import table_for

R = TypeVar("R")
_MISSING = object()
_PK_GETTERS: dict[type, Any] = {}


def _pk_getter(row_type: type) -> Any:
    """A function from a row to its primary key tuple (made once per row class)."""
    getter = _PK_GETTERS.get(row_type)
    if getter is None:
        names = tuple(row_type.__pk__)  # type: ignore[attr-defined]
        one = operator.attrgetter(*names)
        getter = _PK_GETTERS[row_type] = (lambda row: (one(row),)) if len(names) == 1 else one
    return getter


_VALUES_GETTERS: dict[type, Any] = {}


def _values_getter(row_type: type, columns: tuple[str, ...]) -> Any:
    """A function from a row to the tuple of its ``columns`` (made once per row class)."""
    getter = _VALUES_GETTERS.get(row_type)
    if getter is None:
        one = operator.attrgetter(*columns)
        getter = _VALUES_GETTERS[row_type] = (lambda row: (one(row),)) if len(columns) == 1 else one
    return getter


class SqlState:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._cache: dict[tuple[type, tuple[Any, ...]], Any] = {}
        self._dirty: dict[tuple[type, tuple[Any, ...]], Any] = {}

    @staticmethod
    def _key(row: Any) -> tuple[Any, ...]:
        key: tuple[Any, ...] = _pk_getter(type(row))(row)
        return key

    def get(self, row_type: type[R], *key: Any) -> R | None:
        ck = (row_type, tuple(key))
        cached = self._cache.get(ck, _MISSING)
        if cached is not _MISSING:
            return cached  # type: ignore[no-any-return]  # the cache holds rows of the key's type
        kind: type[Any] = row_type
        sql = row_sql(kind, table_for(kind))
        found = fetchone(self.conn, sql.select_by_pk, dict(zip(sql.pk, key, strict=True)))
        row = None if found is None else row_type(**sql.row_values(found))
        self._cache[ck] = row
        return row

    def load(self, wanted: Iterable[tuple[type, tuple[Any, ...]]]) -> None:
        """Read the rows of many keys into the cache at once (one query per row class and chunk,
        sent together): what the rules are about to ask for (``ledger.domain.prefetch``), so that
        their gets are answered from the cache. Keys known already (read, or written in this
        transaction) are left alone; a key with no row is remembered as absent, as a get does."""
        by_type: dict[type, set[tuple[Any, ...]]] = {}
        for row_type, key in wanted:
            if (row_type, key) not in self._cache:
                by_type.setdefault(row_type, set()).add(key)
        plans = [
            (
                row_type,
                keys,
                rows_by_keys(self.conn.dialect.name, row_sql(row_type, table_for(row_type)), table_for(row_type), keys),
            )
            for row_type, keys in by_type.items()
        ]
        queries = [q for _, _, (_, qs) in plans for q in qs]
        results = iter(fetch_each(self.conn, queries))
        for row_type, _keys, (asked, qs) in plans:
            sql = row_sql(row_type, table_for(row_type))
            found = {}
            for _ in qs:
                for raw in next(results):
                    values = sql.row_values(raw)
                    found[tuple(values[c] for c in sql.pk)] = row_type(**values)
            for key in asked:
                self._cache[(row_type, key)] = found.get(key)

    def put(self, row: Any) -> None:
        ck = (type(row), self._key(row))
        self._cache[ck] = row
        self._dirty[ck] = row

    def scan(self, row_type: type[R], **equals: Any) -> list[R]:
        self.flush()
        table = table_for(row_type)
        stmt = select(table)
        if equals:
            stmt = stmt.where(and_(*(table.c[k] == v for k, v in equals.items())))
        return [row_type(**m) for m in self.conn.execute(stmt).mappings()]

    def pending_writes(self) -> list[Write]:
        """The changed rows as upserts (one statement per row class), and forget them."""
        by_type: dict[type, list[Any]] = {}
        for (row_type, _key), row in self._dirty.items():
            by_type.setdefault(row_type, []).append(row)
        self._dirty.clear()
        writes: list[Write] = []
        for row_type, rows in by_type.items():
            sql = row_sql(row_type, table_for(row_type))
            writes.append((sql.upsert, Rows(sql.columns, list(map(_values_getter(row_type, sql.columns), rows)))))
        return writes

    def flush(self) -> None:
        """Write changed rows now."""
        writes = self.pending_writes()
        if writes:
            write_all(self.conn, writes)
