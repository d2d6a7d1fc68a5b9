"""The domain's State on SQL tables, cached for one transaction and flushed at its end.

Rules read rows by primary key through :meth:`SqlState.get` (one SELECT on a cache miss) and
write with :meth:`SqlState.put` (kept in memory). :meth:`SqlState.flush` writes the changed
rows with one INSERT or UPDATE per row class, inside the append's transaction.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from sqlalchemy import Connection, and_, insert, select, update

from .projection_tables import table_for

R = TypeVar("R")
_MISSING = object()


class SqlState:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._cache: dict[tuple[type, tuple], Any] = {}
        self._exists: set[tuple[type, tuple]] = set()  # keys present in the database
        self._dirty: dict[tuple[type, tuple], Any] = {}

    @staticmethod
    def _key(row: Any) -> tuple:
        return tuple(getattr(row, name) for name in type(row).__pk__)

    def get(self, row_type: type[R], *key: Any) -> R | None:
        ck = (row_type, tuple(key))
        cached = self._cache.get(ck, _MISSING)
        if cached is not _MISSING:
            return None if cached is None else dataclasses.replace(cached)
        table = table_for(row_type)
        cond = and_(*(table.c[name] == value for name, value in zip(row_type.__pk__, key, strict=True)))
        found = self.conn.execute(select(table).where(cond)).mappings().first()
        row = None if found is None else row_type(**found)
        if row is not None:
            self._exists.add(ck)
        self._cache[ck] = row
        return None if row is None else dataclasses.replace(row)

    def put(self, row: Any) -> None:
        ck = (type(row), self._key(row))
        if ck not in self._cache:
            # make sure we know whether it exists, to choose INSERT or UPDATE at flush
            self.get(type(row), *ck[1])
        stored = dataclasses.replace(row)
        self._cache[ck] = stored
        self._dirty[ck] = stored

    def scan(self, row_type: type[R], **equals: Any) -> list[R]:
        self.flush()
        table = table_for(row_type)
        stmt = select(table)
        if equals:
            stmt = stmt.where(and_(*(table.c[k] == v for k, v in equals.items())))
        rows = [row_type(**m) for m in self.conn.execute(stmt).mappings()]
        return rows

    def flush(self) -> None:
        """Write changed rows: bulk INSERT for new ones, UPDATE by key for existing ones."""
        if not self._dirty:
            return
        inserts: dict[type, list[dict]] = {}
        for (row_type, key), row in self._dirty.items():
            values = dataclasses.asdict(row)
            if (row_type, key) in self._exists:
                table = table_for(row_type)
                cond = and_(*(table.c[n] == v for n, v in zip(row_type.__pk__, key, strict=True)))
                self.conn.execute(update(table).where(cond).values(**values))
            else:
                inserts.setdefault(row_type, []).append(values)
                self._exists.add((row_type, key))
        for row_type, rows in inserts.items():
            self.conn.execute(insert(table_for(row_type)), rows)
        self._dirty.clear()

    def discard(self) -> None:
        self._cache.clear()
        self._exists.clear()
        self._dirty.clear()
