"""Sums over the project funds (``p_fund``, one row per project): per currency for the whole
registry (the site's home page) and per fundraising organisation and currency (the regulator's
view in the API). Figures are integer minor units of ``currency``; :meth:`FundTotals.money`
makes them :class:`Money`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, func, literal, select, tuple_
from sqlalchemy.sql import ColumnElement

from ledger.domain.money import Money
from ledger.store.tables import FUND


@dataclass(frozen=True, slots=True)
class FundTotals:
    currency: str
    org: str | None = None  # the fundraising organisation; None: every organisation
    projects: int = 0
    donations: int = 0
    raised: int = 0
    allocated: int = 0
    disbursed: int = 0
    balance: int = 0
    program: int = 0
    admin: int = 0
    fundraising_cost: int = 0

    def money(self, minor: int) -> Money:
        return Money(minor, self.currency)


_SUMS = (
    func.count().label("projects"),
    func.sum(FUND.c.donations_count).label("donations"),
    func.sum(FUND.c.raised_minor).label("raised"),
    func.sum(FUND.c.allocated_minor).label("allocated"),
    func.sum(FUND.c.disbursed_minor).label("disbursed"),
    func.sum(FUND.c.balance_minor).label("balance"),
    func.sum(FUND.c.disbursed_program_minor).label("program"),
    func.sum(FUND.c.disbursed_admin_minor).label("admin"),
    func.sum(FUND.c.disbursed_fundraising_cost_minor).label("fundraising_cost"),
)
_NAMES = [c.name for c in _SUMS]


def registry_totals(conn: Connection) -> list[FundTotals]:
    """Sums over all project funds, per currency (CNY first; a CNY row of zeros when none)."""
    rows = conn.execute(select(FUND.c.currency, *_SUMS).group_by(FUND.c.currency)).all()
    out = [FundTotals(r.currency, None, **{k: int(getattr(r, k) or 0) for k in _NAMES}) for r in rows]
    out.sort(key=lambda t: (t.currency != "CNY", t.currency))
    return out or [FundTotals("CNY")]


def totals_by_organisation(
    conn: Connection, *, limit: int, after: tuple[str, str] | None = None, org: str | None = None
) -> list[FundTotals]:
    """Up to ``limit`` sums per fundraising organisation and currency, in that order, after the
    key ``after`` (keyset), of one organisation or all."""
    conds: list[ColumnElement[bool]] = []
    if org is not None:
        conds.append(FUND.c.fundraiser_org == org)
    if after is not None:
        conds.append(tuple_(FUND.c.fundraiser_org, FUND.c.currency) > tuple_(literal(after[0]), literal(after[1])))
    stmt = (
        select(FUND.c.fundraiser_org, FUND.c.currency, *_SUMS)
        .where(and_(literal(True), *conds))
        .group_by(FUND.c.fundraiser_org, FUND.c.currency)
        .order_by(FUND.c.fundraiser_org, FUND.c.currency)
        .limit(limit)
    )
    return [
        FundTotals(r.currency, r.fundraiser_org, **{k: int(getattr(r, k) or 0) for k in _NAMES})
        for r in conn.execute(stmt)
    ]
