"""Rebuilding the projections from the log, and checking the live ones against it.

``charity-ledger rebuild --check`` replays every leaf through the domain rules into a fresh
state, writes that state into a scratch schema (PostgreSQL: a temporary schema; SQLite: an
attached temporary database), and compares every projection table with the live one using SQL
``EXCEPT`` both ways. Any row that differs, is missing or is extra is reported with its key.
``charity-ledger rebuild`` (without ``--check``) replaces the live projections with the rebuilt
ones in one transaction.
"""

from __future__ import annotations

import dataclasses
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, MetaData, Table, delete, insert, select, text

from ledger import domain
from ledger.errors import VerificationError
from ledger.protocol.entry import parse_leaf
from ledger.protocol.merkle import leaf_hash
from ledger.store.fastsql import driver_connection
from ledger.store.log_store import LogStore
from ledger.store.projection_tables import table_for

CHUNK = 5000


@dataclass
class TableDiff:
    table: str
    missing: list[dict[str, Any]] = field(default_factory=list)  # in the log's rebuild, not live
    extra: list[dict[str, Any]] = field(default_factory=list)  # live, not in the rebuild

    @property
    def clean(self) -> bool:
        return not self.missing and not self.extra


@dataclass
class RebuildReport:
    entries: int
    rows: dict[str, int]
    diffs: list[TableDiff]

    @property
    def clean(self) -> bool:
        return all(d.clean for d in self.diffs)

    def to_json(self, limit: int = 20) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "rows": self.rows,
            "clean": self.clean,
            "differences": [
                {
                    "table": d.table,
                    "missing_live": d.missing[:limit],
                    "extra_live": d.extra[:limit],
                    "missing_count": len(d.missing),
                    "extra_count": len(d.extra),
                }
                for d in self.diffs
                if not d.clean
            ],
        }


def replay(log: LogStore) -> tuple[domain.MemoryState, int]:
    """Apply every leaf of every log of the chain, in order, to a fresh in-memory state."""
    parts = ((s.origin, s.base, log.iter_leaves(chunk=CHUNK, shard=s.index, end=s.size)) for s in log.shards())
    return replay_parts(parts)


def replay_parts(
    parts: Iterable[tuple[str, int, Iterable[bytes]]], state: domain.MemoryState | None = None
) -> tuple[domain.MemoryState, int]:
    """Apply leaves to a state, log by log of the chain: ``parts`` gives each log's origin,
    its base (the position of its entry 0 in the chain) and its leaves in seq order; each
    entry is applied at its position in the chain, as the log applied it."""
    state = state if state is not None else domain.MemoryState()
    count = 0
    for origin, base, leaves in parts:
        for raw in leaves:
            leaf = parse_leaf(raw)
            ctx = domain.AppendContext(base + leaf.seq, leaf_hash(raw).hex(), leaf.time, origin, leaf.seq, replay=True)
            try:
                domain.apply(state, ctx, leaf.entry)
            except Exception as exc:  # a rule the log once accepted now refuses: report where
                where = f" of {origin}" if base else ""
                raise VerificationError(
                    f"entry{where} refused on replay ({exc})", seq=leaf.seq, expected="accepted", actual="refused"
                ) from exc
            count += 1
    return state, count


@contextmanager
def _scratch(conn: Connection) -> Iterator[str]:
    """A scratch schema on the live connection; nothing of it outlives the check."""
    if conn.dialect.name == "sqlite":
        # ATTACH is refused inside a transaction: issue it on the driver connection first.
        raw = driver_connection(conn)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "scratch.sqlite3"
            raw.execute("ATTACH DATABASE ? AS scratch", (str(path),))
            try:
                yield "scratch"
            finally:
                conn.rollback()
                raw.execute("DETACH DATABASE scratch")
    else:
        # PostgreSQL DDL is transactional: rolling back removes the schema and all in it.
        name = "rebuild_" + uuid.uuid4().hex[:10]
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
        try:
            yield name
        finally:
            conn.rollback()


def _rows(state: domain.MemoryState, row_type: type[Any]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(r) for r in state.rows(row_type)]


def check(log: LogStore) -> RebuildReport:
    """Rebuild into a scratch schema and compare every projection table with the live one."""
    state, count = replay(log)
    diffs: list[TableDiff] = []
    sizes: dict[str, int] = {}
    with log.engine.connect() as conn:
        with _scratch(conn) as schema:
            scratch_md = MetaData()
            for row_type in domain.ROW_TYPES:
                live = table_for(row_type)
                scratch = live.to_metadata(scratch_md, schema=schema)
                scratch.create(conn)
                rows = _rows(state, row_type)
                sizes[live.name] = len(rows)
                for i in range(0, len(rows), CHUNK):
                    conn.execute(insert(scratch), rows[i : i + CHUNK])
                diffs.append(_diff(conn, live, scratch))
    return RebuildReport(count, sizes, diffs)


def _diff(conn: Connection, live: Table, scratch: Table) -> TableDiff:
    cols_live = [live.c[c.name] for c in live.columns]
    cols_scratch = [scratch.c[c.name] for c in live.columns]
    missing = select(*cols_scratch).except_(select(*cols_live))
    extra = select(*cols_live).except_(select(*cols_scratch))
    return TableDiff(
        live.name,
        [dict(r) for r in conn.execute(missing).mappings()],
        [dict(r) for r in conn.execute(extra).mappings()],
    )


def rebuild(log: LogStore) -> RebuildReport:
    """Replace the live projections with the ones rebuilt from the log (one transaction)."""
    state, count = replay(log)
    sizes: dict[str, int] = {}
    with log.engine.begin() as conn:
        for row_type in domain.ROW_TYPES:
            table = table_for(row_type)
            rows = _rows(state, row_type)
            sizes[table.name] = len(rows)
            conn.execute(delete(table))
            for i in range(0, len(rows), CHUNK):
                conn.execute(insert(table), rows[i : i + CHUNK])
    return RebuildReport(count, sizes, [])
