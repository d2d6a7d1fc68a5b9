"""What the site's pages put together from the read model (:mod:`ledger.store.reads`): a
project's page (the project, its fund, balances and the names of the organisations it names)
and the reports page's rows. No SQL here: every read is in the read model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection

from ledger.domain.rows import AllocationBalanceRow, FundRow, ProjectRow
from ledger.store import reads
from ledger.store.reads import listing
from ledger.store.reads.listing import OrgName


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


def project_view(conn: Connection, project: str, *, more_orgs: Iterable[str | None] = ()) -> ProjectView | None:
    """The project's page, with the names of the organisations it names and of ``more_orgs``
    (read with them, in one query)."""
    found = reads.project(conn, project)
    if found is None:
        return None
    p, balances = found.project, list(found.balances)
    implementers, overseers = found.implementers, found.overseers
    orgs = listing.org_names(
        conn, [p.fundraiser_org, *implementers, *overseers, *(b.implementer for b in balances), *more_orgs]
    )
    return ProjectView(p, found.fund_or_zero(), balances, implementers, overseers, orgs)


def reports(conn: Connection, limit: int = 200) -> list[dict[str, Any]]:
    """The newest recorded reports as the reports page shows them (the row's columns, its
    ``files`` and whether it was ``withdrawn``)."""
    return [dict(asdict(x.row), files=x.files, withdrawn=x.withdrawn) for x in reads.issued_reports(conn, limit=limit)]
