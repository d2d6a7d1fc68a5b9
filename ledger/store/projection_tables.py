"""SQL tables for the domain's projection rows, generated from the row dataclasses.

The row classes in ``ledger.domain.rows`` are the one description of each projection; this
module turns each into a table in ``SQLModel.metadata`` (so Alembic sees them) with the same
column names, types, lengths and primary key. Nothing else describes these tables.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Index, String, Table
from sqlmodel import SQLModel

from ledger.domain.rows import ROW_TYPES

_TABLES: dict[type, Table] = {}


def _column(f: dataclasses.Field[Any], hints: dict[str, Any], pk: tuple[str, ...]) -> Column[Any]:
    hint = hints[f.name]
    nullable = False
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        nullable = True
        (hint,) = [a for a in args if a is not type(None)]
    if hint is bool:
        sa_type: Any = Boolean()
    elif hint is int:
        sa_type = BigInteger()
    elif hint is str:
        sa_type = String(int(f.metadata.get("max", 200)))
    else:
        raise TypeError(f"projection field {f.name} has unsupported type {hint!r}")
    return Column(
        f.name, sa_type, primary_key=f.name in pk, nullable=nullable and f.name not in pk, autoincrement=False
    )


def table_for(row_type: type[Any]) -> Table:
    """The table of a row class (created in SQLModel.metadata on first use)."""
    table = _TABLES.get(row_type)
    if table is None:
        name = row_type.__table__name__
        pk = tuple(row_type.__pk__)
        hints = typing.get_type_hints(row_type)
        columns = [_column(f, hints, pk) for f in dataclasses.fields(row_type)]
        indexes = [Index(f"ix_{name}_{'_'.join(cols)}", *cols) for cols in getattr(row_type, "__indexes__", ())]
        existing = SQLModel.metadata.tables.get(name)
        table = existing if existing is not None else Table(name, SQLModel.metadata, *columns, *indexes)
        _TABLES[row_type] = table
    return table


def register_all() -> list[Table]:
    return [table_for(t) for t in ROW_TYPES]
