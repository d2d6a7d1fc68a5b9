"""Projects with their funds, as the API, the site and the reports read them: the project's
row (:class:`~ledger.domain.rows.ProjectRow`), its fund (:class:`~ledger.domain.rows.FundRow`:
what was raised, allocated, paid and is left, per pot and category) and what each
implementer received and has not paid out yet (:class:`~ledger.domain.rows.AllocationBalanceRow`).
A project keeps all its accounts in its own currency: :meth:`Project.money` makes its
figures :class:`Money`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, and_, literal, or_, select
from sqlalchemy.sql import ColumnElement

from ledger.domain.money import Money
from ledger.domain.rows import AllocationBalanceRow, FundRow, ProjectRow
from ledger.store.reads.rows import build_rows
from ledger.store.tables import BALANCE, FUND, PROJECT


@dataclass(frozen=True, slots=True)
class Project:
    project: ProjectRow
    fund: FundRow | None  # None until the project's first entry that moves money
    balances: tuple[AllocationBalanceRow, ...]  # by implementer code

    @property
    def implementers(self) -> list[str]:
        return list(json.loads(self.project.implementers_json))

    @property
    def overseers(self) -> list[str]:
        return list(json.loads(self.project.overseers_json))

    def money(self, minor: int) -> Money:
        """An amount of this project (in minor units of its currency) as Money."""
        return Money(minor, self.project.currency)

    def fund_or_zero(self) -> FundRow:
        """The fund, or an empty one (all zero) before any money moved."""
        if self.fund is not None:
            return self.fund
        return FundRow(
            project=self.project.project, currency=self.project.currency, fundraiser_org=self.project.fundraiser_org
        )


def with_funds(conn: Connection, projects: Sequence[ProjectRow]) -> list[Project]:
    """The projects with their funds and implementer balances (two indexed reads for all)."""
    ids = [p.project for p in projects]
    if not ids:
        return []
    funds = {f.project: f for f in build_rows(conn, FundRow, select(FUND).where(FUND.c.project.in_(ids)))}
    balances: dict[str, list[AllocationBalanceRow]] = {}
    stmt = select(BALANCE).where(BALANCE.c.project.in_(ids)).order_by(BALANCE.c.project, BALANCE.c.implementer)
    for b in build_rows(conn, AllocationBalanceRow, stmt):
        balances.setdefault(b.project, []).append(b)
    return [Project(p, funds.get(p.project), tuple(balances.get(p.project, ()))) for p in projects]


def project(conn: Connection, project_id: str) -> Project | None:
    rows = build_rows(conn, ProjectRow, select(PROJECT).where(PROJECT.c.project == project_id))
    return with_funds(conn, rows)[0] if rows else None


def names_org(org: str) -> ColumnElement[bool]:
    """Projects that name the organisation ``org`` as fundraiser, implementer or overseer."""
    return or_(
        PROJECT.c.fundraiser_org == org,
        lists_org(PROJECT.c.implementers_json, org),
        lists_org(PROJECT.c.overseers_json, org),
    )


def lists_org(column: ColumnElement[str], org: str) -> ColumnElement[bool]:
    """Whether a JSON list of organisation codes holds ``org`` (codes are [0-9A-Z] only, checked
    by the caller, so a LIKE on the quoted code finds exactly it)."""
    return column.like(f'%"{org}"%')


@dataclass(frozen=True, slots=True)
class ProjectFilter:
    """Which projects a list holds: every condition set must hold (None: no condition)."""

    org: str | None = None  # in any role
    fundraiser: str | None = None
    implementer: str | None = None
    overseer: str | None = None
    status: str | None = None
    field: str | None = None


def projects(conn: Connection, f: ProjectFilter, *, limit: int, after: str | None = None) -> list[Project]:
    """Up to ``limit`` projects matching ``f`` in id order after the id ``after`` (keyset)."""
    conds: list[ColumnElement[bool]] = []
    if f.org is not None:
        conds.append(names_org(f.org))
    if f.fundraiser is not None:
        conds.append(PROJECT.c.fundraiser_org == f.fundraiser)
    if f.implementer is not None:
        conds.append(lists_org(PROJECT.c.implementers_json, f.implementer))
    if f.overseer is not None:
        conds.append(lists_org(PROJECT.c.overseers_json, f.overseer))
    if f.status is not None:
        conds.append(PROJECT.c.status == f.status)
    if f.field is not None:
        conds.append(PROJECT.c.field == f.field)
    if after is not None:
        conds.append(PROJECT.c.project > after)
    stmt = select(PROJECT).where(and_(literal(True), *conds)).order_by(PROJECT.c.project).limit(limit)
    return with_funds(conn, build_rows(conn, ProjectRow, stmt))
