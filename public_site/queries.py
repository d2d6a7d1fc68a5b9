"""Reads only the site needs, beside the shared read model (:mod:`ledger.store.reads`).

Everything comes from the projection tables and the log's index columns, through indexed
look-ups: a page never scans the log. Lists are bounded (``LIMIT``); per-project aggregates
use the ``(project, seq)`` indexes; totals over all projects read ``p_fund``, one row per
project; an organisation's years read ``p_org_year``, a few rows per organisation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, select, union_all

from ledger.domain.rows import AllocationBalanceRow, FinancialsRow, FundRow, OrgChangeRow, OrgRow, ProjectRow
from ledger.store import reads
from ledger.store.db import read_transaction
from ledger.store.reads import listing
from ledger.store.reads.listing import OrgName
from ledger.store.reads.rows import build_rows, row_by_key, rows_where
from ledger.store.tables import (
    ALLOCATION,
    DISBURSEMENT,
    DONATION,
    ENTRY,
    FINANCIALS,
    LEAF,
    PROGRESS,
)


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


# --- checkpoints, witnesses, reports ----------------------------------------------------------


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
