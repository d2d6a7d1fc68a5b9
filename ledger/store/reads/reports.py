"""Reports recorded in the log (``report.issued``, projected into ``p_report``), and whether a
later ``entry.corrected`` withdrew each: what the API's report list and the site's reports page
show.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, desc, or_, select

from ledger.domain.rows import ReportRow
from ledger.store.reads.rows import build_rows
from ledger.store.tables import ENTRY, PROJECT, REPORT


@dataclass(frozen=True, slots=True)
class IssuedReport:
    row: ReportRow
    withdrawn: bool

    @property
    def files(self) -> list[dict[str, Any]]:
        """The files the entry records: ``{"name", "sha256", "size"}`` each."""
        return list(json.loads(self.row.files_json))


def _withdrawn(conn: Connection, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    stmt = select(ENTRY.c.id).where(and_(ENTRY.c.id.in_(ids), ENTRY.c.corrected.is_(True)))
    return {i for (i,) in conn.execute(stmt)}


def issued_reports(
    conn: Connection, *, limit: int, kind: str | None = None, subject: str | None = None
) -> list[IssuedReport]:
    """Up to ``limit`` recorded reports, newest first, of one kind and subject when given."""
    stmt = select(REPORT).order_by(desc(REPORT.c.seq)).limit(limit)
    if kind is not None:
        stmt = stmt.where(REPORT.c.kind == kind)
    if subject is not None:
        stmt = stmt.where(REPORT.c.subject == subject)
    rows = build_rows(conn, ReportRow, stmt)
    withdrawn = _withdrawn(conn, [r.id for r in rows])
    return [IssuedReport(r, r.id in withdrawn) for r in rows]


def issued_report(conn: Connection, report_id: str) -> IssuedReport | None:
    """The recorded report whose ``report.issued`` entry has the leaf hash ``report_id``."""
    rows = build_rows(conn, ReportRow, select(REPORT).where(REPORT.c.id == report_id))
    return IssuedReport(rows[0], bool(_withdrawn(conn, [report_id]))) if rows else None


def report_rows(conn: Connection, *, org: str | None = None, report_id: str | None = None) -> list[ReportRow]:
    """Every recorded report's row, newest first: those about the organisation ``org`` or one
    of the projects it raises money for, or the one ``report_id``, when given."""
    stmt = select(REPORT).order_by(desc(REPORT.c.seq))
    if org is not None:  # reports about the organisation or one of its projects
        stmt = stmt.where(
            or_(
                REPORT.c.subject == org,
                REPORT.c.subject.in_(select(PROJECT.c.project).where(PROJECT.c.fundraiser_org == org)),
            )
        )
    if report_id is not None:
        stmt = stmt.where(REPORT.c.id == report_id)
    return build_rows(conn, ReportRow, stmt)
