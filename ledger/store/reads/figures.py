"""Figures the projection tables keep at append time so a page never sums entries: a
project's live donations by donor type (``p_project_donor_type``) and its live payments by
implementer, category and payee; an organisation's money by year (``p_org_year``); money in
and out by month of a project or an organisation (``p_month``); an organisation's audit
opinions. Amounts are integer minor units of the project's (or the row's) currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, and_, desc, func, select

from ledger.domain.rows import AuditOpinionRow, FinancialsRow, OrgChangeRow, OrgRow, SzFilingRow
from ledger.store.reads.rows import build_rows, row_by_key, rows_where
from ledger.store.tables import AUDIT, DISBURSEMENT, FINANCIALS, MONTH, ORG_YEAR, PROJECT_DONOR_TYPE, SZ_FILING


@dataclass(frozen=True, slots=True)
class DonorTypeTotal:
    donor_type: str
    amount: int  # minor units of the project's currency
    count: int


def donor_types(conn: Connection, project: str) -> list[DonorTypeTotal]:
    """Live (not reversed) donations of a project by donor type: amount and count, from the
    p_project_donor_type projection the append rules keep."""
    T = PROJECT_DONOR_TYPE
    rows = conn.execute(
        select(T.c.donor_type, T.c.raised_minor, T.c.donations_count)
        .where(and_(T.c.project == project, T.c.donations_count > 0))
        .order_by(desc(T.c.raised_minor), T.c.donor_type)
    ).all()
    return [DonorTypeTotal(t, int(a), int(n)) for t, a, n in rows]


@dataclass(frozen=True, slots=True)
class SpendingFlow:
    """Live payments of a project to one payee, by one implementer, in one category."""

    implementer: str
    category: str
    payee: str
    amount: int  # minor units of the project's currency
    count: int


def spending_flows(conn: Connection, project: str) -> list[SpendingFlow]:
    """Live disbursements of a project by implementer, category and payee."""
    rows = conn.execute(
        select(
            DISBURSEMENT.c.implementer,
            DISBURSEMENT.c.category,
            DISBURSEMENT.c.payee,
            func.sum(DISBURSEMENT.c.amount_minor).label("amount"),
            func.count().label("count"),
        )
        .where(and_(DISBURSEMENT.c.project == project, DISBURSEMENT.c.corrected == False))  # noqa: E712
        .group_by(DISBURSEMENT.c.implementer, DISBURSEMENT.c.category, DISBURSEMENT.c.payee)
    ).all()
    return [SpendingFlow(i, c, p, int(a or 0), int(n)) for i, c, p, a, n in rows]


@dataclass(frozen=True, slots=True)
class OrgYear:
    """An organisation's live money in one year and currency: donations it received as
    fundraiser (by date received) and payments it made as implementer (by date paid)."""

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
    """Yearly income and spending, live entries only, newest year first: read from the
    p_org_year projection the append rules keep, never summed from the entries."""
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


@dataclass(frozen=True, slots=True)
class MonthlyInOut:
    """Live money in (donations, by month received) and out (payments, by month paid):
    ``{(YYYY-MM, currency): minor}`` each, months with none left out."""

    money_in: Mapping[tuple[str, str], int]
    money_out: Mapping[tuple[str, str], int]


def monthly_in_out(conn: Connection, *, project: str | None = None, org: str | None = None) -> MonthlyInOut:
    """Money in and out by month of a project, or of an organisation (donations it raised,
    payments it made as implementer), read from the p_month projection the append rules keep
    (a few rows a month), never summed from the entries."""
    kind, subject = ("project", project) if project else ("org", org)
    rows = conn.execute(
        select(MONTH.c.month, MONTH.c.currency, MONTH.c.in_minor, MONTH.c.out_minor).where(
            and_(MONTH.c.kind == kind, MONTH.c.subject == subject)
        )
    ).all()
    return MonthlyInOut({(m, c): int(i) for m, c, i, _ in rows if i}, {(m, c): int(o) for m, c, _, o in rows if o})


def audit_opinions(conn: Connection, org: str) -> list[AuditOpinionRow]:
    """The organisation's audit opinions, newest year first (withdrawn ones too: ``corrected``)."""
    stmt = select(AUDIT).where(AUDIT.c.org == org).order_by(desc(AUDIT.c.year), desc(AUDIT.c.seq))
    return build_rows(conn, AuditOpinionRow, stmt)


def org_financials(conn: Connection, org: str) -> dict[int, FinancialsRow]:
    """The organisation's reported annual figures in force ({year: FinancialsRow}, withdrawn
    ones left out): what the annual report's ratio check reads."""
    stmt = select(FINANCIALS).where(and_(FINANCIALS.c.org == org, FINANCIALS.c.corrected.is_(False)))
    return {r.year: r for r in build_rows(conn, FinancialsRow, stmt)}


def org_history(conn: Connection, org: str) -> tuple[OrgRow | None, list[OrgChangeRow]]:
    """The organisation's row and its history rows (``p_org_change``) as the domain's row
    classes: what ``ledger.compliance.ratios.check_org_year`` reads."""
    return row_by_key(conn, OrgRow, org), org_changes(conn, org)


def org_changes(conn: Connection, org: str) -> list[OrgChangeRow]:
    """The organisation's history rows (``p_org_change``), for a caller that has its row."""
    return rows_where(conn, OrgChangeRow, org=org)


@dataclass(frozen=True, slots=True)
class OrgFilings:
    """What an organisation recorded about itself, as the workbench's console lists it: its
    annual figures and audit opinions by year, its Shenzhen filings in log order (withdrawn
    ones too)."""

    financials: tuple[FinancialsRow, ...]
    audits: tuple[AuditOpinionRow, ...]
    filings: tuple[SzFilingRow, ...]


def org_filings(conn: Connection, org: str) -> OrgFilings:
    return OrgFilings(
        tuple(
            build_rows(
                conn, FinancialsRow, select(FINANCIALS).where(FINANCIALS.c.org == org).order_by(FINANCIALS.c.year)
            )
        ),
        tuple(build_rows(conn, AuditOpinionRow, select(AUDIT).where(AUDIT.c.org == org).order_by(AUDIT.c.year))),
        tuple(build_rows(conn, SzFilingRow, select(SZ_FILING).where(SZ_FILING.c.org == org).order_by(SZ_FILING.c.seq))),
    )
