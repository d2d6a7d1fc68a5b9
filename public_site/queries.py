"""Reads only the site needs, beside the shared read model (:mod:`ledger.store.reads`).

Everything comes from the projection tables and the log's index columns, through indexed
look-ups: a page never scans the log. Lists are bounded (``LIMIT``); per-project aggregates
use the ``(project, seq)`` indexes; totals over all projects read ``p_fund``, one row per
project; an organisation's years read ``p_org_year``, a few rows per organisation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, and_, desc, func, select, union_all

from ledger.domain.rows import AllocationBalanceRow, FinancialsRow, FundRow, OrgChangeRow, OrgRow, ProjectRow
from ledger.store import reads
from ledger.store.db import read_transaction
from ledger.store.log_store import Shard
from ledger.store.reads import listing
from ledger.store.reads.listing import OrgName
from ledger.store.reads.rows import build_rows, row_by_key, rows_where
from ledger.store.tables import (
    ALLOCATION,
    ATTESTATION,
    CHECKPOINT,
    CORRECTION,
    COSIG,
    DISBURSEMENT,
    DONATION,
    ENTRY,
    FINANCIALS,
    HEAD,
    KEY,
    LEAF,
    ORG,
    PROGRESS,
    PROJECT,
    REGISTRY,
    SHARD,
    WITNESS_PUSH,
)
from public_site.i18n import china_date


def log_state(conn: Connection) -> tuple[int, int, str] | None:
    """The head's (shard, size, root): names the state of the log, hence of every projection."""
    row = conn.execute(select(HEAD.c.shard, HEAD.c.size, HEAD.c.root).where(HEAD.c.id == 1)).first()
    return (int(row[0]), int(row[1]), str(row[2])) if row is not None else None


def head_size(conn: Connection) -> int:
    """The size of the log being appended to (the active shard's own tree size)."""
    return int(conn.execute(select(HEAD.c.size).where(HEAD.c.id == 1)).scalar_one_or_none() or 0)


# --- the chain of logs (shards) -------------------------------------------------------------

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
        year = int(suffix.group(1)) if suffix else (_china_year(opened) if opened else None)
        out.append(ChainLog(s, opened, year))
    return out


def log_of(logs: Sequence[ChainLog], position: int) -> ChainLog | None:
    """The log holding the entry at chain ``position`` (what ``LogStore.shard_of`` answers)."""
    for log in reversed(logs):
        if log.base <= position:
            return log if log.contains(position) else None
    return None


def _china_year(log_time: str) -> int:
    return china_date(log_time).year


# --- projects -------------------------------------------------------------------------------


@dataclass
class ProjectView:
    """A project's page: the project with its fund (all zero before any money moved) and
    implementer balances, and the names of every organisation it names."""

    project: ProjectRow
    fund: FundRow
    balances: list[AllocationBalanceRow]
    implementers: list[str]
    overseers: list[str]
    orgs: dict[str, OrgName]


def project_view(conn: Connection, project: str) -> ProjectView | None:
    found = reads.project(conn, project)
    if found is None:
        return None
    p, balances = found.project, list(found.balances)
    implementers, overseers = found.implementers, found.overseers
    orgs = listing.org_names(conn, [p.fundraiser_org, *implementers, *overseers, *(b.implementer for b in balances)])
    return ProjectView(p, found.fund_or_zero(), balances, implementers, overseers, orgs)


def count_by_project(conn: Connection, table: Any, project: str, *, cap: int) -> int:
    """How many rows of ``table`` the project has, counted up to ``cap`` (a page shows "more
    than" past it): the cost stays that of ``cap`` index entries however big the project."""
    rows = select(table.c.seq).where(table.c.project == project).limit(cap)
    return int(conn.execute(select(func.count()).select_from(rows.subquery())).scalar_one())


def entry_times(conn: Connection, seqs: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({s for s in seqs if s is not None})
    if not wanted:
        return {}
    return {r[0]: r[1] for r in conn.execute(select(LEAF.c.seq, LEAF.c.time).where(LEAF.c.seq.in_(wanted)))}


def iter_project_entries(engine: Engine, project: str, chunk: int = 1000) -> Iterator[dict[str, Any]]:
    """Every entry of a project in seq order with its leaf bytes, read in chunks."""
    after = -1
    while True:
        with read_transaction(engine) as conn:
            rows = (
                conn.execute(
                    select(ENTRY, LEAF.c.leaf)
                    .select_from(ENTRY.join(LEAF, LEAF.c.seq == ENTRY.c.seq))
                    .where(and_(ENTRY.c.project == project, ENTRY.c.seq > after))
                    .order_by(ENTRY.c.seq)
                    .limit(chunk)
                )
                .mappings()
                .all()
            )
        if not rows:
            return
        for r in rows:
            yield dict(r)
        after = rows[-1]["seq"]
        if len(rows) < chunk:
            return


# --- organisations --------------------------------------------------------------------------


def org_financials(conn: Connection, org: str) -> dict[int, Any]:
    """The organisation's reported annual figures in force ({year: FinancialsRow}, withdrawn
    ones left out): what the annual report's ratio check reads."""
    stmt = select(FINANCIALS).where(and_(FINANCIALS.c.org == org, FINANCIALS.c.corrected.is_(False)))
    return {r.year: r for r in build_rows(conn, FinancialsRow, stmt)}


def org_history(conn: Connection, org: str) -> tuple[Any, list[Any]]:
    """The organisation's row and its history rows (``p_org_change``) as the domain's row
    classes: what ``ledger.compliance.ratios.check_org_year`` reads."""
    return row_by_key(conn, OrgRow, org), rows_where(conn, OrgChangeRow, org=org)


# --- entries --------------------------------------------------------------------------------


def seqs_of(conn: Connection, hashes: Iterable[str | None]) -> dict[str, int]:
    wanted = sorted({h for h in hashes if h})
    if not wanted:
        return {}
    return {r[0]: r[1] for r in conn.execute(select(LEAF.c.leaf_hash, LEAF.c.seq).where(LEAF.c.leaf_hash.in_(wanted)))}


def key_row(conn: Connection, key_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(KEY).where(KEY.c.key_id == key_id)).mappings().first()
    return dict(row) if row is not None else None


def referring(conn: Connection, leaf_hash: str) -> list[dict[str, Any]]:
    """Entries that name this one: attestations and corrections of it (indexed on target)."""
    out = []
    for table, kind in ((ATTESTATION, "attestation"), (CORRECTION, "correction")):
        for r in conn.execute(select(table).where(table.c.target == leaf_hash).order_by(table.c.seq)).mappings():
            out.append({"kind": kind, **dict(r)})
    out.sort(key=lambda r: r["seq"])
    return out


def verdict_counts(conn: Connection, project: str) -> dict[str, int]:
    """Entries of a project by their latest verdict (None: not attested)."""
    rows = conn.execute(
        select(ATTESTATION.c.verdict, func.count())
        .where(ATTESTATION.c.project == project)
        .group_by(ATTESTATION.c.verdict)
    ).all()
    return {r[0]: int(r[1]) for r in rows}


# --- checkpoints, witnesses, reports ----------------------------------------------------------


@dataclass
class CheckpointInfo:
    size: int
    root: str
    note: str
    signed_at: str
    cosignatures: list[dict[str, Any]] = field(default_factory=list)


# Checkpoints and cosignatures are per log of the chain: ``shard`` None is the log being
# appended to (the head's shard), else a shard index. Sizes are that log's own tree sizes.


def _shard(conn: Connection, shard: int | None) -> int:
    if shard is not None:
        return shard
    return int(conn.execute(select(HEAD.c.shard).where(HEAD.c.id == 1)).scalar_one_or_none() or 0)


def checkpoints(
    conn: Connection, *, limit: int = 30, before: int | None = None, shard: int | None = None
) -> list[CheckpointInfo]:
    index = _shard(conn, shard)
    stmt = select(CHECKPOINT).where(CHECKPOINT.c.shard == index).order_by(desc(CHECKPOINT.c.size)).limit(limit)
    if before is not None:
        stmt = stmt.where(CHECKPOINT.c.size < before)
    items = [CheckpointInfo(r["size"], r["root"], r["note"], r["signed_at"]) for r in conn.execute(stmt).mappings()]
    if items:
        by_size = {c.size: c for c in items}
        for r in conn.execute(
            select(COSIG).where(and_(COSIG.c.shard == index, COSIG.c.size.in_(list(by_size)))).order_by(COSIG.c.witness)
        ).mappings():
            by_size[r["size"]].cosignatures.append(dict(r))
    return items


def checkpoint_info(conn: Connection, size: int, shard: int | None = None) -> CheckpointInfo | None:
    index = _shard(conn, shard)
    r = (
        conn.execute(select(CHECKPOINT).where(and_(CHECKPOINT.c.shard == index, CHECKPOINT.c.size == size)))
        .mappings()
        .first()
    )
    if r is None:
        return None
    info = CheckpointInfo(r["size"], r["root"], r["note"], r["signed_at"])
    info.cosignatures = [
        dict(c)
        for c in conn.execute(
            select(COSIG).where(and_(COSIG.c.shard == index, COSIG.c.size == size)).order_by(COSIG.c.witness)
        ).mappings()
    ]
    return info


def latest_witnessed_size(conn: Connection, shard: int | None = None) -> int | None:
    size = conn.execute(select(func.max(COSIG.c.size)).where(COSIG.c.shard == _shard(conn, shard))).scalar_one_or_none()
    return int(size) if size is not None else None


def witnesses(conn: Connection, shard: int | None = None) -> list[dict[str, Any]]:
    """Every witness that cosigned a checkpoint of one log, with the latest size and time."""
    rows = (
        conn.execute(
            select(
                COSIG.c.witness,
                func.max(COSIG.c.size).label("size"),
                func.max(COSIG.c.timestamp).label("timestamp"),
                func.count().label("count"),
            )
            .where(COSIG.c.shard == _shard(conn, shard))
            .group_by(COSIG.c.witness)
            .order_by(COSIG.c.witness)
        )
        .mappings()
        .all()
    )
    return [dict(r) for r in rows]


def witness_pushes(conn: Connection) -> list[dict[str, Any]]:
    """The witnesses the log pushes checkpoints to (``CHARITY_LEDGER_WITNESSES``): the size each
    last cosigned, of which log, and the last error (its detail is Chinese, a newline, English)."""
    rows = conn.execute(select(WITNESS_PUSH).order_by(WITNESS_PUSH.c.witness)).mappings().all()
    out = []
    for row in rows:
        item = dict(row)
        zh, _, en = (item["error_detail"] or "").partition("\n")
        item["error_zh"], item["error_en"] = zh, en
        out.append(item)
    return out


def log_key_row(conn: Connection, key_id: str) -> dict[str, Any] | None:
    """A log's checkpoint key by id, as a key row (``public_key``), when a log of the chain
    names it as its key now: entries the log signs itself (``log.sealed``, the genesis of a
    continuing log) have it as their signer."""
    key = conn.execute(select(REGISTRY.c.log_key).where(REGISTRY.c.log_key_id == key_id).limit(1)).scalar_one_or_none()
    return {"key_id": key_id, "public_key": key} if key else None


def log_key_from_size(conn: Connection, origin: str) -> int:
    """The first tree size of the log ``origin`` its current checkpoint key signs (0 when the
    key never changed in that log): checkpoints below it carry an earlier key's signature."""
    size = conn.execute(select(REGISTRY.c.log_key_from_size).where(REGISTRY.c.origin == origin)).scalar_one_or_none()
    return int(size or 0)


def registry(conn: Connection) -> dict[str, Any] | None:
    row = conn.execute(select(REGISTRY)).mappings().first()
    return dict(row) if row is not None else None


def reports(conn: Connection, limit: int = 200) -> list[dict[str, Any]]:
    """The newest recorded reports as the reports page shows them (the row's columns, its
    ``files`` and whether it was ``withdrawn``)."""
    return [dict(asdict(x.row), files=x.files, withdrawn=x.withdrawn) for x in reads.issued_reports(conn, limit=limit)]


# --- business dates and months ----------------------------------------------------------------

_BUSINESS_DATES = (
    (DONATION, DONATION.c.received_on),
    (ALLOCATION, ALLOCATION.c.allocated_on),
    (DISBURSEMENT, DISBURSEMENT.c.paid_on),
    (PROGRESS, PROGRESS.c.period_end),
)


def business_dates(conn: Connection, ids: Iterable[str]) -> dict[str, str]:
    """Entry id -> the date the entry is about (received, allocated, paid, period end), for
    the entries that have one: an indexed look-up per projection, by primary key, in one query."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    each = [select(table.c.id, column.label("day")).where(table.c.id.in_(wanted)) for table, column in _BUSINESS_DATES]
    return {r[0]: r[1] for r in conn.execute(union_all(*each))}  # one round trip


# --- feeds and the sitemap ------------------------------------------------------------------


def sitemap_ids(conn: Connection) -> tuple[list[str], list[str]]:
    """Every project id and organisation code, for the sitemap."""
    projects = conn.execute(select(PROJECT.c.project).order_by(PROJECT.c.project)).scalars().all()
    orgs = conn.execute(select(ORG.c.org).order_by(ORG.c.org)).scalars().all()
    return list(projects), list(orgs)
