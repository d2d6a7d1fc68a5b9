"""Where projection rows live while the rules run: the :class:`State` protocol and two plain
implementations.

- :class:`MemoryState`: dicts, for tests, the offline verifier and rebuilds;
- :class:`Overlay`: a layer of writes over another state, for atomic batches: apply many
  entries on the overlay, then :meth:`Overlay.flush` them into the base, or
  :meth:`Overlay.discard` them.

The SQL implementation lives with the storage. Rows are values: states hand out the rows they
hold, and callers never mutate them (they put a changed copy).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Protocol, TypeVar

from ledger.domain.rows import ROW_TYPES, pk_of, row_dict

R = TypeVar("R")
Row = Any


class State(Protocol):
    def get(self, row_type: type[R], *key: Any) -> R | None:
        """The row with these primary key values (in ``__pk__`` order), or None."""
        ...

    def put(self, row: Row) -> None:
        """Insert the row, or replace the row with the same primary key."""
        ...

    def scan(self, row_type: type[R], **equals: Any) -> list[R]:
        """Rows whose fields equal the given values (not for the append hot path)."""
        ...


def _check_key(row_type: type, key: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(key) != len(row_type.__pk__):  # type: ignore[attr-defined]
        raise TypeError(f"{row_type.__name__} has the primary key {row_type.__pk__}, got {key!r}")  # type: ignore[attr-defined]
    return key


def _check_fields(row_type: type, equals: dict[str, Any]) -> None:
    names = {f.name for f in fields(row_type)}
    unknown = set(equals) - names
    if unknown:
        raise TypeError(f"{row_type.__name__} has no field(s) {sorted(unknown)}")


def _matches(row: Any, equals: dict[str, Any]) -> bool:
    return all(getattr(row, k) == v for k, v in equals.items())


class MemoryState:
    """A state in dicts: ``{row type: {primary key: row}}``."""

    def __init__(self) -> None:
        self._tables: dict[type, dict[tuple[Any, ...], Any]] = {}

    def get(self, row_type: type[R], *key: Any) -> R | None:
        return self._tables.get(row_type, {}).get(_check_key(row_type, key))

    def put(self, row: Row) -> None:
        self._tables.setdefault(type(row), {})[pk_of(row)] = row

    def scan(self, row_type: type[R], **equals: Any) -> list[R]:
        _check_fields(row_type, equals)
        return [row for row in self._tables.get(row_type, {}).values() if _matches(row, equals)]

    def rows(self, row_type: type[R]) -> list[R]:
        """All rows of a type, in insertion order."""
        return list(self._tables.get(row_type, {}).values())

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Every table (empty ones too) as row dicts sorted by primary key, for comparisons."""
        out: dict[str, list[dict[str, Any]]] = {}
        for row_type in ROW_TYPES:
            table = self._tables.get(row_type, {})
            out[row_type.__table__name__] = [row_dict(table[k]) for k in sorted(table)]  # type: ignore[attr-defined]
        return out


class Overlay:
    """Writes kept aside over a base state; reads see them first, then the base."""

    def __init__(self, base: State) -> None:
        self.base = base
        self._rows: dict[tuple[type, tuple[Any, ...]], Any] = {}  # insertion order = first put

    def get(self, row_type: type[R], *key: Any) -> R | None:
        found: R | None = self._rows.get((row_type, _check_key(row_type, key)))
        if found is not None:
            return found
        return self.base.get(row_type, *key)

    def put(self, row: Row) -> None:
        self._rows[(type(row), pk_of(row))] = row  # replacing keeps the first-put position

    def scan(self, row_type: type[R], **equals: Any) -> list[R]:
        _check_fields(row_type, equals)
        mine = {pk: row for (t, pk), row in self._rows.items() if t is row_type}
        out = [mine.pop(pk_of(row), row) for row in self.base.scan(row_type, **equals)]
        out = [row for row in out if _matches(row, equals)]
        return out + [row for row in mine.values() if _matches(row, equals)]

    def changes(self) -> list[Row]:
        """The rows put here: the last write per primary key, in first-put order."""
        return list(self._rows.values())

    def discard(self) -> None:
        """Forget every change."""
        self._rows.clear()

    def flush(self) -> list[Row]:
        """Put every change into the base, forget them here, and return them."""
        changed = self.changes()
        for row in changed:
            self.base.put(row)
        self._rows.clear()
        return changed

    def __len__(self) -> int:
        return len(self._rows)
