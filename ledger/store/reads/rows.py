"""The domain's projection rows (:mod:`ledger.domain.rows`) read back from their SQL tables.

The one way rows leave SQL as the domain's row classes: the reports' snapshot, the FIFO trace
and the oversight ratio checks compute on them exactly as on the rows of a replay in memory.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import fields
from typing import Any, TypeVar

from sqlalchemy import Connection, and_, select
from sqlalchemy.sql import Executable

from ledger.store.projection_tables import table_for

R = TypeVar("R")

# Strings up to this length (codes, dates, vocabulary values) repeat across 100,000s of rows:
# ``shared=True`` keeps one object each instead of one per row (a large report's rows then take
# half the memory).
SHARED_MAX = 40


def row_from(row_type: type[R], mapping: Mapping[str, Any]) -> R:
    """One row of ``row_type`` from a SQL row's mapping (columns it does not have are left out)."""
    names = {f.name for f in fields(row_type)}  # type: ignore[arg-type]
    return row_type(**{k: v for k, v in mapping.items() if k in names})


def build_rows(conn: Connection, row_type: type[R], stmt: Executable, *, shared: bool = False) -> list[R]:
    """The rows ``stmt`` (a select of ``row_type``'s table) returns, as ``row_type``."""
    result = conn.execute(stmt)
    names = list(result.keys())
    if not shared:
        return [row_type(**dict(zip(names, values, strict=True))) for values in result]
    intern = sys.intern
    return [
        row_type(
            **dict(
                zip(
                    names,
                    [intern(v) if type(v) is str and len(v) <= SHARED_MAX else v for v in values],
                    strict=True,
                )
            )
        )
        for values in result
    ]


def row_by_key(conn: Connection, row_type: type[R], *key: Any, shared: bool = False) -> R | None:
    """The row of ``row_type`` with the primary key ``key`` (in ``__pk__`` order), or None."""
    table = table_for(row_type)
    pk = row_type.__pk__  # type: ignore[attr-defined]
    if len(key) != len(pk):
        raise TypeError(f"{row_type.__name__} has the primary key {pk}, got {key!r}")
    stmt = select(table).where(and_(*(table.c[k] == v for k, v in zip(pk, key, strict=True))))
    found = build_rows(conn, row_type, stmt, shared=shared)
    return found[0] if found else None


def rows_where(conn: Connection, row_type: type[R], *, shared: bool = False, **equals: Any) -> list[R]:
    """Every row of ``row_type`` whose columns equal ``equals`` (all rows without it)."""
    table = table_for(row_type)
    stmt = select(table)
    if equals:
        stmt = stmt.where(and_(*(table.c[k] == v for k, v in equals.items())))
    return build_rows(conn, row_type, stmt, shared=shared)


def rows_in(
    conn: Connection, row_type: type[R], field: str, values: Iterable[Any], *, shared: bool = False, chunk: int = 500
) -> list[R]:
    """The rows whose ``field`` is one of ``values`` (read ``chunk`` values at a time)."""
    table = table_for(row_type)
    wanted = sorted(set(values))
    out: list[R] = []
    for i in range(0, len(wanted), chunk):
        stmt = select(table).where(table.c[field].in_(wanted[i : i + chunk]))
        out += build_rows(conn, row_type, stmt, shared=shared)
    return out
