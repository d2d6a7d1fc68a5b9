"""Entries of the log as the API and the site show them: the leaf as logged (its index columns
in ``log_leaf``) with what the projections know of it (``p_entry``: the signer's role and
organisation, the project, the amount, whether it was corrected, its latest verdict).

Nothing here scans the log: entries are found through the primary keys and indexes of
``log_leaf`` and ``p_entry``. Log times only grow with seq (the log clock never runs backwards,
nor from a sealed log to the next), so a time range becomes a seq range by binary search over
the primary key instead of an index on time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, literal, select
from sqlalchemy.sql import ColumnElement

from ledger.domain.money import Money
from ledger.domain.rows import EntryRow
from ledger.domain.schemas import OPEN_VERDICTS
from ledger.errors import LedgerError
from ledger.store.reads.rows import build_rows
from ledger.store.tables import ENTRY, HEAD, LEAF


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry: ``seq`` is its position in the chain of logs, ``leaf`` the leaf's canonical
    JSON as logged. The projection's columns are None for an entry the projections do not
    index."""

    seq: int
    leaf_hash: str
    type: str
    signer: str
    time: str
    leaf: bytes
    signer_role: str | None
    signer_org: str | None
    project: str | None
    amount_minor: int | None
    currency: str | None
    corrected: bool
    corrected_by: str | None
    last_verdict: str | None
    last_verdict_by: str | None

    @property
    def amount(self) -> Money | None:
        """The amount the entry names (reversals too: positive), if it names one."""
        if self.amount_minor is None or self.currency is None:
            return None
        return Money(self.amount_minor, self.currency)


_COLUMNS = (
    LEAF.c.seq,
    LEAF.c.leaf_hash,
    LEAF.c.type,
    LEAF.c.signer,
    LEAF.c.time,
    LEAF.c.leaf,
    ENTRY.c.signer_role,
    ENTRY.c.signer_org,
    ENTRY.c.project,
    ENTRY.c.amount_minor,
    ENTRY.c.currency,
    ENTRY.c.corrected,
    ENTRY.c.corrected_by,
    ENTRY.c.last_verdict,
    ENTRY.c.last_verdict_by,
)


def _entry(row: object) -> Entry:
    values = row._mapping  # type: ignore[attr-defined]
    return Entry(**{**values, "leaf": bytes(values["leaf"]), "corrected": bool(values["corrected"])})


def entry_at(conn: Connection, *, seq: int | None = None, leaf_hash: str | None = None) -> Entry | None:
    """The entry at chain position ``seq``, or with the leaf hash ``leaf_hash``."""
    joined = LEAF.join(ENTRY, ENTRY.c.id == LEAF.c.leaf_hash, isouter=True)
    cond = LEAF.c.seq == seq if seq is not None else LEAF.c.leaf_hash == leaf_hash
    row = conn.execute(select(*_COLUMNS).select_from(joined).where(cond)).first()
    return None if row is None else _entry(row)


def chain_size(conn: Connection) -> int:
    """The number of entries in the chain of logs: one past the last position (the seqs of
    the leaf table and the projections run over every log, sealed or not)."""
    row = conn.execute(select(HEAD.c.base, HEAD.c.size).where(HEAD.c.id == 1)).first()
    if row is None:
        raise LedgerError("log_not_initialised", home="the database")
    return int(row.base) + int(row.size)


def first_seq_at(conn: Connection, time: str, size: int) -> int:
    """The first seq whose log time is at or after ``time`` (``size`` if none): a binary search
    over the primary key, valid because log times never decrease with seq (nor from a sealed
    log to the next: a log opens at the time its predecessor was sealed)."""
    lo, hi = 0, size
    while lo < hi:
        mid = (lo + hi) // 2
        t = conn.execute(select(LEAF.c.time).where(LEAF.c.seq == mid)).scalar_one()
        if t < time:
            lo = mid + 1
        else:
            hi = mid
    return lo


@dataclass(frozen=True, slots=True)
class EntryFilter:
    """Which entries a list holds: every condition set must hold (None: no condition). ``since``
    and ``until`` are log times (RFC 3339 as the log writes them), ``until`` excluded."""

    type: str | None = None
    signer: str | None = None
    idem: str | None = None
    org: str | None = None  # the signer's organisation
    project: str | None = None
    since: str | None = None
    until: str | None = None


def entries(
    conn: Connection, f: EntryFilter, *, limit: int, after: int | None = None, descending: bool = False
) -> list[Entry]:
    """Up to ``limit`` entries matching ``f`` in seq order (newest first when ``descending``),
    after the seq ``after`` (keyset). With an organisation or a project the list walks the
    projection's indexes, else the leaf table's."""
    via_projection = f.org is not None or f.project is not None
    joined = LEAF.join(ENTRY, ENTRY.c.id == LEAF.c.leaf_hash, isouter=not via_projection)
    seq_col = ENTRY.c.seq if via_projection else LEAF.c.seq
    conds: list[ColumnElement[bool]] = []
    if f.type is not None:
        conds.append(LEAF.c.type == f.type)
    if f.signer is not None:
        conds.append(LEAF.c.signer == f.signer)
    if f.idem is not None:
        conds.append(LEAF.c.idem == f.idem)
    if f.org is not None:
        conds.append(ENTRY.c.signer_org == f.org)
    if f.project is not None:
        conds.append(ENTRY.c.project == f.project)
    if f.since is not None or f.until is not None:
        size = chain_size(conn)
        if f.since is not None:
            conds.append(seq_col >= first_seq_at(conn, f.since, size))
        if f.until is not None:
            conds.append(seq_col < first_seq_at(conn, f.until, size))
    if after is not None:
        conds.append(seq_col < after if descending else seq_col > after)
    stmt = (
        select(*_COLUMNS)
        .select_from(joined)
        .where(and_(literal(True), *conds))
        .order_by(seq_col.desc() if descending else seq_col)
        .limit(limit)
    )
    return [_entry(r) for r in conn.execute(stmt)]


def open_findings(
    conn: Connection, *, limit: int, after: int | None = None, org: str | None = None, project: str | None = None
) -> list[EntryRow]:
    """Up to ``limit`` entries whose latest verdict is still open (queried or flagged), in seq
    order after the seq ``after`` (keyset), signed by ``org`` and of ``project`` when given."""
    conds: list[ColumnElement[bool]] = [ENTRY.c.last_verdict.in_(OPEN_VERDICTS)]
    if org is not None:
        conds.append(ENTRY.c.signer_org == org)
    if project is not None:
        conds.append(ENTRY.c.project == project)
    if after is not None:
        conds.append(ENTRY.c.seq > after)
    return build_rows(conn, EntryRow, select(ENTRY).where(and_(*conds)).order_by(ENTRY.c.seq).limit(limit))
