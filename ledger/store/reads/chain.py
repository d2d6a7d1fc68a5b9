"""The chain of logs as the site shows it: each log (shard) with the year it stands for, its
signed checkpoints and the witnesses' cosignatures, the witnesses the log pushes to, the
registry's trust root, signing keys, and the entries that name an entry.

Checkpoints and cosignatures are per log of the chain: ``shard`` None is the log being
appended to (the head's shard), else a shard index. Sizes are that log's own tree sizes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, and_, desc, func, select

from ledger.domain.rows import AttestationRow, CorrectionRow, KeyRow, RegistryRow
from ledger.domain.rules import CHINA
from ledger.protocol.canonical import format_time, parse_time
from ledger.store.log_store import Shard
from ledger.store.reads.rows import build_rows
from ledger.store.tables import (
    ATTESTATION,
    CHECKPOINT,
    CORRECTION,
    COSIG,
    HEAD,
    KEY,
    LEAF,
    REGISTRY,
    SHARD,
    WITNESS_PUSH,
)


def log_state(conn: Connection) -> tuple[int, int, str] | None:
    """The head's (shard, size, root): names the state of the log, hence of every projection."""
    row = conn.execute(select(HEAD.c.shard, HEAD.c.size, HEAD.c.root).where(HEAD.c.id == 1)).first()
    return (int(row[0]), int(row[1]), str(row[2])) if row is not None else None


def head_size(conn: Connection) -> int:
    """The size of the log being appended to (the active shard's own tree size)."""
    return int(conn.execute(select(HEAD.c.size).where(HEAD.c.id == 1)).scalar_one_or_none() or 0)


def entry_times(conn: Connection, seqs: Iterable[int | None]) -> dict[int, str]:
    """Chain position -> log time of these entries."""
    wanted = sorted({s for s in seqs if s is not None})
    if not wanted:
        return {}
    return {r[0]: r[1] for r in conn.execute(select(LEAF.c.seq, LEAF.c.time).where(LEAF.c.seq.in_(wanted)))}


_YEAR_SUFFIX = re.compile(r"/([0-9]{4})\Z", re.ASCII)


@dataclass(frozen=True, slots=True)
class ChainLog:
    """One log of the registry's chain as the site shows it: the store's :class:`Shard` (seqs
    in it run from 0; chain positions from ``base``), when its first entry was recorded and
    the year it stands for (the origin's ``/YYYY`` suffix, else the year of its first entry
    in China Standard Time)."""

    shard: Shard
    opened_at: str | None
    year: int | None

    @property
    def index(self) -> int:
        return self.shard.index

    @property
    def origin(self) -> str:
        return self.shard.origin

    @property
    def base(self) -> int:
        return self.shard.base

    @property
    def size(self) -> int:
        return self.shard.size

    @property
    def sealed(self) -> bool:
        return self.shard.sealed

    @property
    def last(self) -> int | None:
        """The chain position of its last entry (``log.sealed`` when sealed)."""
        return self.base + self.size - 1 if self.size else None

    @property
    def next_genesis(self) -> int | None:
        """The chain position of the next log's genesis (the entry right after the seal)."""
        return self.base + self.size if self.sealed else None

    def contains(self, position: int) -> bool:
        return self.shard.contains(position)


def chain(conn: Connection) -> list[ChainLog]:
    """Every log of the chain, oldest first (the last is the one being appended to), read in
    the page's transaction: the sealed ones from ``log_shard``, the active one from the head."""
    shards = [
        Shard(
            r["shard"],
            r["origin"],
            r["base"],
            r["size"],
            r["root"],
            True,
            r["next_origin"],
            r["checkpoint"],
            r["sealed_at"],
        )
        for r in conn.execute(select(SHARD).order_by(SHARD.c.shard)).mappings()
    ]
    head = conn.execute(select(HEAD).where(HEAD.c.id == 1)).mappings().first()
    if head is not None:
        shards.append(Shard(head["shard"], head["origin"], head["base"], head["size"], head["root"], False))
    firsts = entry_times(conn, [s.base for s in shards if s.size])
    out = []
    for s in shards:
        opened = firsts.get(s.base) if s.size else None
        suffix = _YEAR_SUFFIX.search(s.origin)
        year = int(suffix.group(1)) if suffix else (parse_time(opened).astimezone(CHINA).year if opened else None)
        out.append(ChainLog(s, opened, year))
    return out


def log_of(logs: Sequence[ChainLog], position: int) -> ChainLog | None:
    """The log holding the entry at chain ``position`` (what ``LogStore.shard_of`` answers)."""
    for log in reversed(logs):
        if log.base <= position:
            return log if log.contains(position) else None
    return None


@dataclass(frozen=True, slots=True)
class Cosignature:
    """A witness's cosignature line (C2SP tlog-cosignature) on a checkpoint of one log."""

    shard: int
    size: int
    witness: str
    line: str
    timestamp: int


@dataclass(frozen=True, slots=True)
class CheckpointInfo:
    size: int
    root: str
    note: str
    signed_at: str
    cosignatures: tuple[Cosignature, ...] = ()


def _shard(conn: Connection, shard: int | None) -> int:
    if shard is not None:
        return shard
    return int(conn.execute(select(HEAD.c.shard).where(HEAD.c.id == 1)).scalar_one_or_none() or 0)


def checkpoints(
    conn: Connection, *, limit: int = 30, before: int | None = None, shard: int | None = None
) -> list[CheckpointInfo]:
    """The log's newest ``limit`` checkpoints (below the size ``before`` when given) with their
    cosignatures, largest first."""
    index = _shard(conn, shard)
    stmt = select(CHECKPOINT).where(CHECKPOINT.c.shard == index).order_by(desc(CHECKPOINT.c.size)).limit(limit)
    if before is not None:
        stmt = stmt.where(CHECKPOINT.c.size < before)
    found = [(r["size"], r["root"], r["note"], r["signed_at"]) for r in conn.execute(stmt).mappings()]
    lines: dict[int, list[Cosignature]] = {}
    if found:
        for r in conn.execute(
            select(COSIG)
            .where(and_(COSIG.c.shard == index, COSIG.c.size.in_([f[0] for f in found])))
            .order_by(COSIG.c.witness)
        ).mappings():
            lines.setdefault(r["size"], []).append(Cosignature(**r))
    return [CheckpointInfo(*f, cosignatures=tuple(lines.get(f[0], ()))) for f in found]


def checkpoint_info(conn: Connection, size: int, shard: int | None = None) -> CheckpointInfo | None:
    index = _shard(conn, shard)
    r = (
        conn.execute(select(CHECKPOINT).where(and_(CHECKPOINT.c.shard == index, CHECKPOINT.c.size == size)))
        .mappings()
        .first()
    )
    if r is None:
        return None
    cosignatures = tuple(
        Cosignature(**c)
        for c in conn.execute(
            select(COSIG).where(and_(COSIG.c.shard == index, COSIG.c.size == size)).order_by(COSIG.c.witness)
        ).mappings()
    )
    return CheckpointInfo(r["size"], r["root"], r["note"], r["signed_at"], cosignatures)


def latest_witnessed_size(conn: Connection, shard: int | None = None) -> int | None:
    size = conn.execute(select(func.max(COSIG.c.size)).where(COSIG.c.shard == _shard(conn, shard))).scalar_one_or_none()
    return int(size) if size is not None else None


@dataclass(frozen=True, slots=True)
class WitnessSummary:
    """A witness that cosigned checkpoints of one log: the latest size and time it cosigned
    (``timestamp``: Unix seconds) and how many checkpoints."""

    witness: str
    size: int
    timestamp: int
    count: int

    @property
    def timestamp_iso(self) -> str:
        return format_time(datetime.fromtimestamp(int(self.timestamp), UTC))


def witnesses(conn: Connection, shard: int | None = None) -> list[WitnessSummary]:
    """Every witness that cosigned a checkpoint of one log, with the latest size and time."""
    rows = conn.execute(
        select(
            COSIG.c.witness,
            func.max(COSIG.c.size).label("size"),
            func.max(COSIG.c.timestamp).label("timestamp"),
            func.count().label("count"),
        )
        .where(COSIG.c.shard == _shard(conn, shard))
        .group_by(COSIG.c.witness)
        .order_by(COSIG.c.witness)
    ).mappings()
    return [WitnessSummary(**r) for r in rows]


@dataclass(frozen=True, slots=True)
class WitnessPush:
    """A witness the log pushes checkpoints to (``CHARITY_LEDGER_WITNESSES``): the size of the
    log ``origin`` it last cosigned and the last error (its detail is Chinese, a newline,
    English)."""

    witness: str
    url: str
    origin: str
    size: int  # 0: none cosigned yet
    cosigned_at: int
    attempted_at: int
    error_code: str | None
    error_status: int | None
    error_detail: str | None
    failures: int  # in a row; 0 after a success

    @property
    def error_zh(self) -> str:
        return (self.error_detail or "").partition("\n")[0]

    @property
    def error_en(self) -> str:
        return (self.error_detail or "").partition("\n")[2]


def witness_pushes(conn: Connection) -> list[WitnessPush]:
    """Every witness the log pushes checkpoints to, by name."""
    return [WitnessPush(**r) for r in conn.execute(select(WITNESS_PUSH).order_by(WITNESS_PUSH.c.witness)).mappings()]


@dataclass(frozen=True, slots=True)
class LogKey:
    """A log's checkpoint key as an entry's signer key (``public_key``: base64)."""

    key_id: str
    public_key: str


def log_key_row(conn: Connection, key_id: str) -> LogKey | None:
    """A log's checkpoint key by id, when a log of the chain names it as its key now: entries
    the log signs itself (``log.sealed``, the genesis of a continuing log) have it as their
    signer."""
    key = conn.execute(select(REGISTRY.c.log_key).where(REGISTRY.c.log_key_id == key_id).limit(1)).scalar_one_or_none()
    return LogKey(key_id, key) if key else None


def log_key_from_size(conn: Connection, origin: str) -> int:
    """The first tree size of the log ``origin`` its current checkpoint key signs (0 when the
    key never changed in that log): checkpoints below it carry an earlier key's signature."""
    size = conn.execute(select(REGISTRY.c.log_key_from_size).where(REGISTRY.c.origin == origin)).scalar_one_or_none()
    return int(size or 0)


def key_row(conn: Connection, key_id: str) -> KeyRow | None:
    """An entry signer's key (granted, maybe revoked) by its id."""
    found = build_rows(conn, KeyRow, select(KEY).where(KEY.c.key_id == key_id))
    return found[0] if found else None


def keys_by_id(conn: Connection, key_ids: Iterable[str]) -> dict[str, KeyRow]:
    """What the log says of these keys (granted, for which role, revoked), by key id."""
    wanted = list(key_ids)
    if not wanted:
        return {}
    return {k.key_id: k for k in build_rows(conn, KeyRow, select(KEY).where(KEY.c.key_id.in_(wanted)))}


def key_org(conn: Connection, key_id: str) -> str | None:
    """The organisation of the key ``key_id`` (None for a key the log never granted)."""
    org = conn.execute(KEY.select().with_only_columns(KEY.c.org).where(KEY.c.key_id == key_id)).scalar()
    return None if org is None else str(org)


def registry(conn: Connection) -> RegistryRow | None:
    """The trust root entry 0 names (the first row)."""
    found = build_rows(conn, RegistryRow, select(REGISTRY))
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class Referral:
    """An entry that names another: an attestation of it (``row.verdict``, by
    ``row.overseer_org``) or a correction of it."""

    kind: str  # "attestation" or "correction"
    row: AttestationRow | CorrectionRow

    @property
    def seq(self) -> int:
        return self.row.seq

    @property
    def org(self) -> str:
        """The overseer that attested it, or the organisation that corrected it."""
        return self.row.overseer_org if isinstance(self.row, AttestationRow) else self.row.signer_org


def referring(conn: Connection, leaf_hash: str) -> list[Referral]:
    """Entries that name this one: attestations and corrections of it (indexed on target)."""
    out = [
        Referral("attestation", r)
        for r in build_rows(
            conn,
            AttestationRow,
            select(ATTESTATION).where(ATTESTATION.c.target == leaf_hash).order_by(ATTESTATION.c.seq),
        )
    ]
    out += [
        Referral("correction", r)
        for r in build_rows(
            conn, CorrectionRow, select(CORRECTION).where(CORRECTION.c.target == leaf_hash).order_by(CORRECTION.c.seq)
        )
    ]
    out.sort(key=lambda r: r.seq)
    return out
