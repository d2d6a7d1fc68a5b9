"""Reads only the site needs, beside the shared read model (:mod:`ledger.store.reads`).

Everything comes from the projection tables and the log's index columns, through indexed
look-ups: a page never scans the log. Lists are bounded (``LIMIT``); per-project aggregates
use the ``(project, seq)`` indexes; totals over all projects read ``p_fund``, one row per
project; an organisation's years read ``p_org_year``, a few rows per organisation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, and_, desc, func, literal, or_, select, union_all
from sqlalchemy.sql import ColumnElement

from ledger.domain.rows import AllocationBalanceRow, FinancialsRow, FundRow, OrgChangeRow, OrgRow, ProjectRow
from ledger.domain.schemas import OPEN_VERDICTS
from ledger.store import reads
from ledger.store.db import read_transaction
from ledger.store.log_store import Shard
from ledger.store.reads import like_pattern
from ledger.store.reads.rows import build_rows, row_by_key, rows_where
from ledger.store.tables import (
    ALLOCATION,
    ATTESTATION,
    AUDIT,
    CHECKPOINT,
    CORRECTION,
    COSIG,
    DISBURSEMENT,
    DONATION,
    ENTRY,
    FINANCIALS,
    FUND,
    HEAD,
    KEY,
    LEAF,
    MONTH,
    ORG,
    ORG_YEAR,
    PROGRESS,
    PROJECT,
    PROJECT_DONOR_TYPE,
    REGISTRY,
    SHARD,
    WITNESS_PUSH,
)
from public_site.i18n import china_date

SORTS = {
    "newest": (desc(PROJECT.c.registered_seq),),
    "oldest": (PROJECT.c.registered_seq,),
    "raised": (desc(func.coalesce(FUND.c.raised_minor, 0)), desc(PROJECT.c.registered_seq)),
    "progress": (
        desc(func.coalesce(FUND.c.raised_minor, 0) * 10_000 / func.nullif(PROJECT.c.target_minor, 0)),
        desc(PROJECT.c.registered_seq),
    ),
    "ending": (PROJECT.c.end_date, PROJECT.c.project),
    "title": (PROJECT.c.title_zh, PROJECT.c.project),
}


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


def org_names(conn: Connection, codes: Iterable[str | None]) -> dict[str, dict[str, Any]]:
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    rows = conn.execute(select(ORG.c.org, ORG.c.name_zh, ORG.c.name_en).where(ORG.c.org.in_(wanted))).mappings()
    return {r["org"]: dict(r) for r in rows}


# --- home -----------------------------------------------------------------------------------


def latest_entries(conn: Connection, limit: int = 10) -> list[dict[str, Any]]:
    rows = conn.execute(select(ENTRY).order_by(desc(ENTRY.c.seq)).limit(limit)).mappings().all()
    return [dict(r) for r in rows]


def project_titles(conn: Connection, ids: Iterable[str | None]) -> dict[str, dict[str, Any]]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = conn.execute(
        select(PROJECT.c.project, PROJECT.c.title_zh, PROJECT.c.title_en).where(PROJECT.c.project.in_(wanted))
    ).mappings()
    return {r["project"]: dict(r) for r in rows}


# --- projects -------------------------------------------------------------------------------


@dataclass
class ProjectFilters:
    q: str | None = None
    field: str | None = None
    region: str | None = None
    org: str | None = None
    status: str | None = None
    directed: bool | None = None
    sort: str = "newest"
    page: int = 1
    per_page: int = 20

    def conditions(self) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        if self.q:
            pattern = like_pattern(self.q)
            conds.append(
                or_(
                    PROJECT.c.title_zh.like(pattern, escape="\\"),
                    PROJECT.c.title_en.like(pattern, escape="\\"),
                    PROJECT.c.project.like(pattern, escape="\\"),
                    PROJECT.c.description.like(pattern, escape="\\"),
                )
            )
        if self.field:
            conds.append(PROJECT.c.field == self.field)
        if self.region:
            conds.append(PROJECT.c.region == self.region)
        if self.org:
            conds.append(reads.names_org(self.org))
        if self.status:
            conds.append(PROJECT.c.status == self.status)
        if self.directed is not None:
            conds.append(PROJECT.c.directed == self.directed)
        return conds


PROJECT_LIST_COLUMNS = (
    PROJECT.c.project,
    PROJECT.c.title_zh,
    PROJECT.c.title_en,
    PROJECT.c.field,
    PROJECT.c.region,
    PROJECT.c.start_date,
    PROJECT.c.end_date,
    PROJECT.c.currency,
    PROJECT.c.target_minor,
    PROJECT.c.fundraiser_org,
    PROJECT.c.implementers_json,
    PROJECT.c.directed,
    PROJECT.c.emergency,
    PROJECT.c.status,
    PROJECT.c.registered_seq,
    func.coalesce(FUND.c.raised_minor, 0).label("raised_minor"),
    func.coalesce(FUND.c.allocated_minor, 0).label("allocated_minor"),
    func.coalesce(FUND.c.disbursed_minor, 0).label("disbursed_minor"),
    func.coalesce(FUND.c.donations_count, 0).label("donations_count"),
)


def search_projects(conn: Connection, f: ProjectFilters) -> tuple[list[dict[str, Any]], int]:
    """One page of projects matching ``f`` and the number of matches."""
    joined = PROJECT.join(FUND, FUND.c.project == PROJECT.c.project, isouter=True)
    where = and_(literal(True), *f.conditions())
    total = int(conn.execute(select(func.count()).select_from(joined).where(where)).scalar_one())
    order = SORTS.get(f.sort, SORTS["newest"])
    rows = (
        conn.execute(
            select(*PROJECT_LIST_COLUMNS)
            .select_from(joined)
            .where(where)
            .order_by(*order)
            .limit(f.per_page)
            .offset((f.page - 1) * f.per_page)
        )
        .mappings()
        .all()
    )
    return [dict(r) for r in rows], total


def featured_projects(conn: Connection, limit: int = 6) -> list[dict[str, Any]]:
    """Open projects that raised the most."""
    items, _ = search_projects(conn, ProjectFilters(status="open", sort="raised", per_page=limit))
    return items


@dataclass
class Facets:
    fields: list[str]
    regions: list[str]
    orgs: list[dict[str, Any]]


def facets(conn: Connection) -> Facets:
    fields = [r[0] for r in conn.execute(select(PROJECT.c.field).distinct().order_by(PROJECT.c.field))]
    regions = [r[0] for r in conn.execute(select(PROJECT.c.region).distinct().order_by(PROJECT.c.region))]
    codes = [r[0] for r in conn.execute(select(PROJECT.c.fundraiser_org).distinct())]
    implementers: set[str] = set()
    for (text,) in conn.execute(select(PROJECT.c.implementers_json).distinct()):
        implementers.update(json.loads(text))
    names = org_names(conn, [*codes, *implementers])
    orgs = sorted(names.values(), key=lambda o: o["org"])
    return Facets(fields, regions, orgs)


@dataclass
class ProjectView:
    """A project's page: the project with its fund (all zero before any money moved) and
    implementer balances, and the names of every organisation it names."""

    project: ProjectRow
    fund: FundRow
    balances: list[AllocationBalanceRow]
    implementers: list[str]
    overseers: list[str]
    orgs: dict[str, dict[str, Any]]


def project_view(conn: Connection, project: str) -> ProjectView | None:
    found = reads.project(conn, project)
    if found is None:
        return None
    p, balances = found.project, list(found.balances)
    implementers, overseers = found.implementers, found.overseers
    orgs = org_names(conn, [p.fundraiser_org, *implementers, *overseers, *(b.implementer for b in balances)])
    return ProjectView(p, found.fund_or_zero(), balances, implementers, overseers, orgs)


def donor_types(conn: Connection, project: str) -> list[dict[str, Any]]:
    """Live (not reversed) donations of a project by donor type: amount and count, from the
    p_project_donor_type projection the append rules keep."""
    T = PROJECT_DONOR_TYPE
    rows = conn.execute(
        select(T.c.donor_type, T.c.raised_minor, T.c.donations_count)
        .where(and_(T.c.project == project, T.c.donations_count > 0))
        .order_by(desc(T.c.raised_minor), T.c.donor_type)
    ).all()
    return [{"donor_type": t, "amount": int(a), "count": int(n)} for t, a, n in rows]


def spending_flows(conn: Connection, project: str) -> list[dict[str, Any]]:
    """Live disbursements of a project by implementer, category and payee."""
    rows = (
        conn.execute(
            select(
                DISBURSEMENT.c.implementer,
                DISBURSEMENT.c.category,
                DISBURSEMENT.c.payee,
                func.sum(DISBURSEMENT.c.amount_minor).label("amount"),
                func.count().label("count"),
            )
            .where(and_(DISBURSEMENT.c.project == project, DISBURSEMENT.c.corrected == False))  # noqa: E712
            .group_by(DISBURSEMENT.c.implementer, DISBURSEMENT.c.category, DISBURSEMENT.c.payee)
        )
        .mappings()
        .all()
    )
    return [dict(r, amount=int(r["amount"] or 0), count=int(r["count"])) for r in rows]


def rows_by_project(
    conn: Connection, table: Any, project: str, *, limit: int, before: int | None = None
) -> list[dict[str, Any]]:
    conds = [table.c.project == project]
    if before is not None:
        conds.append(table.c.seq < before)
    rows = conn.execute(select(table).where(and_(*conds)).order_by(desc(table.c.seq)).limit(limit)).mappings().all()
    return [dict(r) for r in rows]


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


def projects_of(conn: Connection, org: str) -> dict[str, list[dict[str, Any]]]:
    """The organisation's projects by its role in them (a scan of p_project, one row per project)."""
    joined = PROJECT.join(FUND, FUND.c.project == PROJECT.c.project, isouter=True)
    rows = (
        conn.execute(
            select(*PROJECT_LIST_COLUMNS, PROJECT.c.overseers_json)
            .select_from(joined)
            .where(reads.names_org(org))
            .order_by(desc(PROJECT.c.registered_seq))
        )
        .mappings()
        .all()
    )
    out: dict[str, list[dict[str, Any]]] = {"fundraiser": [], "implementer": [], "overseer": []}
    for r in rows:
        d = dict(r)
        if d["fundraiser_org"] == org:
            out["fundraiser"].append(d)
        if org in json.loads(d["implementers_json"]):
            out["implementer"].append(d)
        if org in json.loads(d["overseers_json"]):
            out["overseer"].append(d)
    return out


@dataclass
class OrgYear:
    year: int
    currency: str
    income: int = 0
    donations: int = 0
    program: int = 0
    admin: int = 0
    fundraising_cost: int = 0

    @property
    def spending(self) -> int:
        return self.program + self.admin + self.fundraising_cost


def org_years(conn: Connection, org: str) -> list[OrgYear]:
    """Yearly income (donations received as fundraiser, by date received) and spending
    (payments made as implementer, by date paid), live entries only, newest year first: read
    from the p_org_year projection the append rules keep, never summed from the entries."""
    years = {
        (r["year"], r["currency"]): OrgYear(
            r["year"],
            r["currency"],
            income=r["raised_minor"],
            donations=r["donations_count"],
            program=r["disbursed_program_minor"],
            admin=r["disbursed_admin_minor"],
            fundraising_cost=r["disbursed_fundraising_cost_minor"],
        )
        for r in conn.execute(select(ORG_YEAR).where(ORG_YEAR.c.org == org)).mappings()
    }
    return sorted(
        (y for y in years.values() if y.income or y.donations or y.spending), key=lambda y: (-y.year, y.currency)
    )


def org_financials(conn: Connection, org: str) -> dict[int, Any]:
    """The organisation's reported annual figures in force ({year: FinancialsRow}, withdrawn
    ones left out): what the annual report's ratio check reads."""
    stmt = select(FINANCIALS).where(and_(FINANCIALS.c.org == org, FINANCIALS.c.corrected.is_(False)))
    return {r.year: r for r in build_rows(conn, FinancialsRow, stmt)}


def org_history(conn: Connection, org: str) -> tuple[Any, list[Any]]:
    """The organisation's row and its history rows (``p_org_change``) as the domain's row
    classes: what ``ledger.compliance.ratios.check_org_year`` reads."""
    return row_by_key(conn, OrgRow, org), rows_where(conn, OrgChangeRow, org=org)


def audit_opinions(conn: Connection, org: str) -> list[dict[str, Any]]:
    rows = (
        conn.execute(select(AUDIT).where(AUDIT.c.org == org).order_by(desc(AUDIT.c.year), desc(AUDIT.c.seq)))
        .mappings()
        .all()
    )
    return [dict(r) for r in rows]


def open_flags(conn: Connection, org: str, limit: int = 50) -> list[dict[str, Any]]:
    """Entries signed by ``org`` whose latest oversight verdict is queried or flagged."""
    rows = (
        conn.execute(
            select(ENTRY)
            .where(and_(ENTRY.c.signer_org == org, ENTRY.c.last_verdict.in_(OPEN_VERDICTS)))
            .order_by(desc(ENTRY.c.seq))
            .limit(limit)
        )
        .mappings()
        .all()
    )
    return [dict(r) for r in rows]


def flags_on_projects(conn: Connection, projects: Sequence[str], limit: int = 50) -> list[dict[str, Any]]:
    if not projects:
        return []
    rows = (
        conn.execute(
            select(ENTRY)
            .where(and_(ENTRY.c.project.in_(list(projects)), ENTRY.c.last_verdict.in_(OPEN_VERDICTS)))
            .order_by(desc(ENTRY.c.seq))
            .limit(limit)
        )
        .mappings()
        .all()
    )
    return [dict(r) for r in rows]


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


def monthly_in_out(
    conn: Connection, *, project: str | None = None, org: str | None = None
) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
    """Live money in (donations, by month received) and out (payments, by month paid) of a
    project, or of an organisation (donations it raised, payments it made as implementer):
    ``{(YYYY-MM, currency): minor}`` each, read from the p_month projection the append rules
    keep (a few rows a month), never summed from the entries."""
    kind, subject = ("project", project) if project else ("org", org)
    rows = conn.execute(
        select(MONTH.c.month, MONTH.c.currency, MONTH.c.in_minor, MONTH.c.out_minor).where(
            and_(MONTH.c.kind == kind, MONTH.c.subject == subject)
        )
    ).all()
    return ({(m, c): int(i) for m, c, i, _ in rows if i}, {(m, c): int(o) for m, c, _, o in rows if o})


# --- feeds and the sitemap ------------------------------------------------------------------


def feed_entries(
    conn: Connection, *, project: str | None = None, org: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """The newest entries of a feed, newest first: the whole log, one project's entries, or an
    organisation's (those it signed and those of the projects it raises money for). Each
    query walks an index newest first and stops at ``limit``."""
    if project is not None:
        return rows_by_project(conn, ENTRY, project, limit=limit)
    if org is None:
        return latest_entries(conn, limit)
    raised = conn.execute(select(PROJECT.c.project).where(PROJECT.c.fundraiser_org == org)).scalars().all()
    # one query, the projects named (not a subquery: the planner then knows how common they are
    # and walks the seq index newest first for a big organisation, or merges the (signer_org,
    # seq) and (project, seq) indexes for a small one)
    rows = conn.execute(
        select(ENTRY)
        .where(or_(ENTRY.c.signer_org == org, ENTRY.c.project.in_(list(raised))))
        .order_by(desc(ENTRY.c.seq))
        .limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


def sitemap_ids(conn: Connection) -> tuple[list[str], list[str]]:
    """Every project id and organisation code, for the sitemap."""
    projects = conn.execute(select(PROJECT.c.project).order_by(PROJECT.c.project)).scalars().all()
    orgs = conn.execute(select(ORG.c.org).order_by(ORG.c.org)).scalars().all()
    return list(projects), list(orgs)
