"""Entries as the site's timelines and feeds list them: the projection's index row of each
(:class:`~ledger.domain.rows.EntryRow`: type, signer's role and organisation, project, amount,
whether it was corrected, its latest verdict), newest first.

Each list walks an index of ``p_entry`` newest first and stops at its ``limit``: the whole
log (``seq``), a project (``project, seq``), an organisation (``signer_org, seq``), the open
queries and flags of either (``..., last_verdict, seq``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, and_, desc, or_, select

from ledger.domain.rows import EntryRow
from ledger.domain.schemas import OPEN_VERDICTS
from ledger.store.reads.rows import build_rows
from ledger.store.tables import ENTRY, PROJECT


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
