"""Entries as the site's timelines and feeds list them: the projection's index row of each
(:class:`~ledger.domain.rows.EntryRow`: type, signer's role and organisation, project, amount,
whether it was corrected, its latest verdict), newest first.

Each list walks an index of ``p_entry`` newest first and stops at its ``limit``: the whole
log (``seq``), a project (``project, seq``), an organisation (``signer_org, seq``), the open
queries and flags of either (``..., last_verdict, seq``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, desc, func, or_, select, union_all

from ledger.domain.rows import EntryRow
from ledger.domain.schemas import OPEN_VERDICTS
from ledger.store.db import read_transaction
from ledger.store.reads.rows import build_rows
from ledger.store.tables import ALLOCATION, DISBURSEMENT, DONATION, ENTRY, LEAF, PROGRESS, PROJECT


def latest_entries(conn: Connection, limit: int = 10) -> list[EntryRow]:
    return build_rows(conn, EntryRow, select(ENTRY).order_by(desc(ENTRY.c.seq)).limit(limit))


def project_entries(conn: Connection, project: str, *, limit: int, before: int | None = None) -> list[EntryRow]:
    """The project's newest ``limit`` entries (below the seq ``before`` when given)."""
    conds = [ENTRY.c.project == project]
    if before is not None:
        conds.append(ENTRY.c.seq < before)
    return build_rows(conn, EntryRow, select(ENTRY).where(and_(*conds)).order_by(desc(ENTRY.c.seq)).limit(limit))


def open_flags(conn: Connection, org: str, limit: int = 50) -> list[EntryRow]:
    """Entries signed by ``org`` whose latest oversight verdict is queried or flagged."""
    stmt = (
        select(ENTRY)
        .where(and_(ENTRY.c.signer_org == org, ENTRY.c.last_verdict.in_(OPEN_VERDICTS)))
        .order_by(desc(ENTRY.c.seq))
        .limit(limit)
    )
    return build_rows(conn, EntryRow, stmt)


def flags_on_projects(conn: Connection, projects: Sequence[str], limit: int = 50) -> list[EntryRow]:
    """Entries of these projects whose latest oversight verdict is queried or flagged."""
    if not projects:
        return []
    stmt = (
        select(ENTRY)
        .where(and_(ENTRY.c.project.in_(list(projects)), ENTRY.c.last_verdict.in_(OPEN_VERDICTS)))
        .order_by(desc(ENTRY.c.seq))
        .limit(limit)
    )
    return build_rows(conn, EntryRow, stmt)


def feed_entries(
    conn: Connection, *, project: str | None = None, org: str | None = None, limit: int = 50
) -> list[EntryRow]:
    """The newest entries of a feed, newest first: the whole log, one project's entries, or an
    organisation's (those it signed and those of the projects it raises money for). Each
    query walks an index newest first and stops at ``limit``."""
    if project is not None:
        return project_entries(conn, project, limit=limit)
    if org is None:
        return latest_entries(conn, limit)
    raised = conn.execute(select(PROJECT.c.project).where(PROJECT.c.fundraiser_org == org)).scalars().all()
    # one query, the projects named (not a subquery: the planner then knows how common they are
    # and walks the seq index newest first for a big organisation, or merges the (signer_org,
    # seq) and (project, seq) indexes for a small one)
    stmt = (
        select(ENTRY)
        .where(or_(ENTRY.c.signer_org == org, ENTRY.c.project.in_(list(raised))))
        .order_by(desc(ENTRY.c.seq))
        .limit(limit)
    )
    return build_rows(conn, EntryRow, stmt)


def _count_of_project(conn: Connection, table: Table, project: str, cap: int) -> int:
    rows = select(table.c.seq).where(table.c.project == project).limit(cap)
    return int(conn.execute(select(func.count()).select_from(rows.subquery())).scalar_one())


def count_project_entries_and_payments(conn: Connection, project: str, *, cap: int) -> tuple[int, int]:
    """:func:`count_project_entries` and :func:`count_project_payments` in one round trip."""

    def capped(table: Table) -> Any:
        rows = select(table.c.seq).where(table.c.project == project).limit(cap).subquery()
        return select(func.count()).select_from(rows).scalar_subquery()

    entries, payments = conn.execute(select(capped(ENTRY), capped(DISBURSEMENT))).one()
    return int(entries), int(payments)


def count_project_entries(conn: Connection, project: str, *, cap: int) -> int:
    """How many entries the project has, counted up to ``cap`` (a page shows "more than" past
    it): the cost stays that of ``cap`` index entries however big the project."""
    return _count_of_project(conn, ENTRY, project, cap)


def count_project_payments(conn: Connection, project: str, *, cap: int) -> int:
    """How many payments (live or corrected) the project has, counted up to ``cap``."""
    return _count_of_project(conn, DISBURSEMENT, project, cap)


_ENTRY_FIELDS = tuple(f.name for f in fields(EntryRow))


def project_entries_with_leaves(engine: Engine, project: str, chunk: int = 1000) -> Iterator[tuple[EntryRow, bytes]]:
    """Every entry of a project in seq order with its leaf bytes, read in chunks of ``chunk``
    (one read transaction each)."""
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
            yield EntryRow(**{name: r[name] for name in _ENTRY_FIELDS}), bytes(r["leaf"])
        after = rows[-1]["seq"]
        if len(rows) < chunk:
            return


def seqs_of(conn: Connection, hashes: Iterable[str | None]) -> dict[str, int]:
    """Leaf hash -> chain position of these entries."""
    wanted = sorted({h for h in hashes if h})
    if not wanted:
        return {}
    return {r[0]: r[1] for r in conn.execute(select(LEAF.c.leaf_hash, LEAF.c.seq).where(LEAF.c.leaf_hash.in_(wanted)))}


# the date an entry is about, by its type: each type's projection row has it (one table a type)
_BUSINESS_DATES = {
    "donation.received": (DONATION, DONATION.c.received_on),
    "funds.allocated": (ALLOCATION, ALLOCATION.c.allocated_on),
    "funds.disbursed": (DISBURSEMENT, DISBURSEMENT.c.paid_on),
    "progress.reported": (PROGRESS, PROGRESS.c.period_end),
}


def business_dates(conn: Connection, entries: Iterable[EntryRow]) -> dict[str, str]:
    """Entry id -> the date the entry is about (received, allocated, paid, period end), for
    the entries that have one: each id looked up by primary key in its type's projection only,
    in one query."""
    wanted: dict[str, set[str]] = {}
    for e in entries:
        if e.type in _BUSINESS_DATES:
            wanted.setdefault(e.type, set()).add(e.id)
    each = [
        select(table.c.id, column.label("day")).where(table.c.id.in_(sorted(wanted[type_])))
        for type_, (table, column) in _BUSINESS_DATES.items()
        if type_ in wanted
    ]
    if not each:
        return {}
    stmt = each[0] if len(each) == 1 else union_all(*each)
    return {r[0]: r[1] for r in conn.execute(stmt)}  # one round trip
