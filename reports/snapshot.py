"""The rows a report is computed from, and the log state (tree size, root) they belong to.

A report must say at which tree size and root its figures were computed, and the figures must
be exactly those of that log state. A :class:`Snapshot` gives both:

- :func:`open_snapshot` reads the live projections and the log head in **one read
  transaction** (SQLite WAL: the first read fixes the snapshot; PostgreSQL: ``REPEATABLE
  READ``), so the head and the rows always agree: an append commits leaves, projections and the
  head together;
- :func:`replay_snapshot` replays the first ``size`` leaves through the domain rules
  (:func:`ledger.store.rebuild.replay`, the same code ``rebuild`` uses) into a
  :class:`~ledger.domain.MemoryState` and computes the Merkle root of those leaves. Its
  sources are an export folder (:func:`export_snapshot`: what a regulator holds) or the log
  in the database (:func:`log_snapshot`: a report at an earlier size).

Both hand out the domain's row dataclasses, so the same builder code gives the same figures
from either; builders sort what they read and never rely on the order rows come in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, select

from ledger.domain import MemoryState
from ledger.domain.rules import CHINA
from ledger.errors import LedgerError, VerificationError
from ledger.protocol import merkle
from ledger.protocol.canonical import parse_time
from ledger.protocol.verify import read_chain_export, verify_chain
from ledger.store.log_tables import LogHead
from ledger.store.reads.rows import row_by_key, rows_in, rows_where
from ledger.store.rebuild import replay_parts
from reports.codes import REPORT_SIZE_OUT_OF_RANGE

R = TypeVar("R")
HEAD = LogHead.__table__
IN_CHUNK = 500


@dataclass(frozen=True, slots=True)
class LogState:
    """The state of the log a report was computed at."""

    origin: str
    tree_size: int
    root: str  # hex
    time: str  # log time of the last leaf (RFC 3339 UTC): the report's "as of"
    base: int = 0  # the chain position of this log's entry 0 (the sizes of the logs before it)

    @property
    def as_of(self) -> date:
        """The date of the log state in China Standard Time: "today" for deadlines."""
        return parse_time(self.time).astimezone(CHINA).date()

    def to_json(self) -> dict[str, Any]:
        return {"origin": self.origin, "tree_size": self.tree_size, "root": self.root, "as_of": self.time}


class Snapshot(Protocol):
    at: LogState

    def get(self, row_type: type[R], *key: Any) -> R | None: ...

    def rows(self, row_type: type[R], **equals: Any) -> list[R]: ...

    def rows_in(self, row_type: type[R], field: str, values: Iterable[Any]) -> list[R]: ...


# --- in memory ------------------------------------------------------------------------------


class MemorySnapshot:
    """A snapshot over a MemoryState (a replay, or a state a benchmark built directly)."""

    def __init__(self, state: MemoryState, at: LogState) -> None:
        self.state = state
        self.at = at

    def get(self, row_type: type[R], *key: Any) -> R | None:
        return self.state.get(row_type, *key)

    def rows(self, row_type: type[R], **equals: Any) -> list[R]:
        return self.state.scan(row_type, **equals)

    def rows_in(self, row_type: type[R], field: str, values: Iterable[Any]) -> list[R]:
        wanted = set(values)
        return [r for r in self.state.rows(row_type) if getattr(r, field) in wanted]


# --- the live projections -----------------------------------------------------------------


class SqlSnapshot:
    """A snapshot over the projection tables, inside the read transaction of ``conn``."""

    def __init__(self, conn: Connection, at: LogState) -> None:
        self.conn = conn
        self.at = at

    def get(self, row_type: type[R], *key: Any) -> R | None:
        return row_by_key(self.conn, row_type, *key, shared=True)

    def rows(self, row_type: type[R], **equals: Any) -> list[R]:
        return rows_where(self.conn, row_type, shared=True, **equals)

    def rows_in(self, row_type: type[R], field: str, values: Iterable[Any]) -> list[R]:
        return rows_in(self.conn, row_type, field, values, shared=True, chunk=IN_CHUNK)


@contextmanager
def open_snapshot(engine: Any) -> Iterator[SqlSnapshot]:
    """The projections and the log head, read in one transaction (consistent with each other)."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            head = conn.execute(
                select(HEAD.c.origin, HEAD.c.size, HEAD.c.root, HEAD.c.last_time, HEAD.c.base).where(HEAD.c.id == 1)
            ).first()
            if head is None:
                raise LedgerError("log_not_initialised", home="the database")
            yield SqlSnapshot(conn, LogState(head.origin, head.size, head.root, head.last_time, head.base))


# --- replaying leaves -----------------------------------------------------------------------


class _Leaves:
    """The first ``size`` leaves of the last log of the chain: hashes them into a compact
    range on the way and keeps the last leaf's time."""

    def __init__(self, leaves: Iterable[bytes], size: int) -> None:
        self._leaves = leaves
        self.size = size
        self.edge = merkle.CompactRange()
        self.last_time: str | None = None

    def __iter__(self) -> Iterator[bytes]:
        last = b""
        for raw in self._leaves:
            if self.edge.size >= self.size:
                break
            self.edge.append(merkle.leaf_hash(raw))
            last = raw
            yield raw
        if last:
            self.last_time = json.loads(last)["time"]


Part = tuple[str, int, Iterable[bytes]]  # a log of the chain: origin, base, leaves


def replay_snapshot(parts: Sequence[Part], size: int) -> MemorySnapshot:
    """Apply every leaf of the earlier logs of the chain, then the first ``size`` leaves of
    the last one, to a fresh state; the snapshot states that log's root at ``size``."""
    *earlier, (origin, base, leaves) = parts
    last = _Leaves(leaves, size)
    state, _ = replay_parts([*earlier, (origin, base, last)])
    if last.edge.size != size or last.last_time is None:
        raise LedgerError(REPORT_SIZE_OUT_OF_RANGE, size=size, available=last.edge.size)
    return MemorySnapshot(state, LogState(origin, size, last.edge.root().hex(), last.last_time, base))


@dataclass(frozen=True, slots=True)
class ExportInfo:
    """An export folder, verified: its origin, size, root and checkpoint."""

    folder: Path
    origin: str
    size: int
    root: str
    checkpoint: str
    vkey: str
    entries_by_type: dict[str, int]
    keys: int
    logs: tuple[tuple[str, int, str], ...] = ()  # every log of the chain: origin, size, root

    @property
    def base(self) -> int:
        return sum(size for _, size, _ in self.logs[:-1])


def verify_export(folder: Path) -> ExportInfo:
    """Verify an export as an outsider would (:func:`ledger.protocol.verify.verify_chain`): every log
    of the chain, every leaf, signature and checkpoint, and the links between the logs.
    Raises VerificationError on the first problem."""
    logs, vkey = read_chain_export(Path(folder))
    chain = verify_chain(logs, vkey)
    report = chain.logs[-1]
    by_type: dict[str, int] = {}
    for r in chain.logs:
        for t, n in r.entries_by_type.items():
            by_type[t] = by_type.get(t, 0) + n
    return ExportInfo(
        Path(folder),
        report.origin,
        report.size,
        report.root,
        logs[-1][1],
        vkey,
        dict(sorted(by_type.items())),
        report.keys,
        tuple((r.origin, r.size, r.root) for r in chain.logs),
    )


def export_snapshot(folder: Path, size: int | None = None, *, info: ExportInfo | None = None) -> MemorySnapshot:
    """The projections at tree size ``size`` (default: the export's) replayed from a verified export."""
    info = info or verify_export(folder)
    size = info.size if size is None else size
    if not 1 <= size <= info.size:
        raise LedgerError(REPORT_SIZE_OUT_OF_RANGE, size=size, available=info.size)
    logs, _ = read_chain_export(Path(folder))
    origins = [origin for origin, _, _ in info.logs] or [info.origin]
    sizes = [n for _, n, _ in info.logs] or [info.size]
    bases = [sum(sizes[:i]) for i in range(len(sizes))]
    snapshot = replay_snapshot([(o, b, leaves) for o, b, (leaves, _) in zip(origins, bases, logs, strict=True)], size)
    if size == info.size and snapshot.at.root != info.root:  # cannot happen after verify_log
        raise VerificationError("root of the replayed leaves", expected=info.root, actual=snapshot.at.root)
    return snapshot


def log_snapshot(log: Any, size: int) -> MemorySnapshot:
    """The projections at an earlier tree size, replayed from the log in the database; the
    root is checked against the log's own tree."""
    head = log.head()
    if not 1 <= size <= head.size:
        raise LedgerError(REPORT_SIZE_OUT_OF_RANGE, size=size, available=head.size)
    shards = log.shards()
    parts: list[Part] = [(s.origin, s.base, log.iter_leaves(shard=s.index, end=s.size)) for s in shards[:-1]]
    parts.append((head.origin, head.base, log.iter_leaves(0, size, shard=head.shard)))
    snapshot = replay_snapshot(parts, size)
    expected = log.root_at(size).hex()
    if snapshot.at.root != expected:
        raise VerificationError("root of the replayed leaves", expected=expected, actual=snapshot.at.root)
    return snapshot


def sorted_by(rows: Sequence[R], *fields: str) -> list[R]:
    """Rows in a stable order whatever the source gave."""
    return sorted(rows, key=lambda r: tuple(getattr(r, f) for f in fields))
