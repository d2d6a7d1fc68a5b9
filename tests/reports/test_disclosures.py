"""Disclosure timeliness (ledger.services.oversight's, as the reports use it) and the ratio check of an
organisation-year, on rows built by hand."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.compliance.ratios import check_reported_year
from ledger.compliance.rulesets import ruleset
from ledger.domain.rows import FinancialsRow
from reports.common import ReportRequest
from reports.disclosures import counts
from reports.issue import build_from_ledger
from tests.reports.world import DIR, PUB, SMALL, ReportWorld

RS = ruleset("cn-charity", date(2026, 12, 31))
H64 = "ab" * 32


def test_the_reports_disclosures_are_the_overseers(shared_world: ReportWorld) -> None:
    """One owner of what is due and made (ledger.services.oversight): the project report's timeliness
    table and the overseer's history of the project agree, item for item."""
    from ledger.services.oversight import disclosures_of_project

    for pid in (PUB, DIR, SMALL):
        doc = build_from_ledger(shared_world.ledger, ReportRequest("project", project=pid))
        table = next(t for t in doc.tables if t.name == "disclosures")
        at = {c.key: i for i, c in enumerate(table.columns)}
        keys = ("rule", "index", "due_on", "status", "done_on", "entry")
        ours = [tuple(r[at[k]] for k in keys) for r in table.rows]
        theirs = [
            (d.rule, d.index, d.due_on, d.status, d.done_on, d.entry)
            for d in disclosures_of_project(shared_world.ledger.engine, pid, doc.at.as_of)
        ]
        assert ours == theirs, pid


def test_counts() -> None:
    from reports.disclosures import Disclosure

    def item(status: str) -> Disclosure:
        return Disclosure(
            rule="x",
            status=status,
            due_on=date(2026, 1, 1),
            org="F",
            subject="P",
            ruleset="r",
            source="s",
            en="e",
            zh="z",
        )

    assert counts([item("late"), item("late"), item("due")]) == {"on_time": 0, "late": 2, "missing": 0, "due": 1}


def figures(
    year: int,
    income: int,
    net: int,
    charitable: int = 0,
    management: int = 0,
    total: int = 0,
    currency: str = "CNY",
    corrected: bool = False,
) -> FinancialsRow:
    return FinancialsRow(
        org="F",
        year=year,
        id=f"f{year}",
        seq=year,
        currency=currency,
        total_income_minor=income,
        charitable_spending_minor=charitable,
        management_costs_minor=management,
        fundraising_costs_minor=0,
        total_spending_minor=total,
        net_assets_minor=net,
        signer_org="F",
        recorded_by=H64,
        time=f"{year + 1}-03-01T02:00:00.000Z",
        corrected=corrected,
    )


def test_year_check_uses_averages_rounded_up_when_three_years_are_there() -> None:
    years = {
        2023: figures(2023, 100, 1),
        2024: figures(2024, 100, 1),
        2025: figures(2025, 101, 2),
        2026: figures(2026, 0, 0, charitable=71, management=0, total=71),
    }
    check = check_reported_year(RS, "foundation", True, years, 2026)
    assert (
        check.inputs["prior_3y_avg_income"] == 101 and check.inputs["prior_3y_avg_net_assets"] == 2
    )  # 301/3 and 4/3, up
    assert check.entries == ("f2023", "f2024", "f2025", "f2026") and check.status == "passed"
    # without the earlier years only last year's income is a base
    check = check_reported_year(RS, "foundation", True, {2025: years[2025], 2026: years[2026]}, 2026)
    assert (
        check.inputs["prior_3y_avg_income"] is None and check.result.spending[0].required_fen == 71
    )  # 70% of 101, rounded up


@pytest.mark.parametrize(
    ("legal_form", "years", "status", "reason"),
    [
        ("enterprise", {}, "not_applicable", "charities only"),
        ("foundation", {2026: figures(2026, 1, 1)}, "not_computed", "missing for 2025"),
        (
            "foundation",
            {2025: figures(2025, 1, 1, currency="HKD"), 2026: figures(2026, 1, 1, currency="HKD")},
            "not_computed",
            "HKD",
        ),
    ],
)
def test_year_check_says_why_it_cannot_be_made(legal_form: str, years: dict, status: str, reason: str) -> None:
    check = check_reported_year(RS, legal_form, False, years, 2026)
    assert check.status == status and reason in check.reason_en and check.result is None and check.reason_zh


def test_year_check_that_fails() -> None:
    years = {
        2025: figures(2025, 30_000_000, 80_000_000),
        2026: figures(2026, 0, 0, charitable=5_000_000, management=25_000_000, total=60_000_000),
    }
    check = check_reported_year(RS, "social_service_org", False, years, 2026)
    assert check.status == "failed" and not check.result.management.exempt and not check.result.management.within_cap
    assert check.to_json()["result"]["explanation_required"] is True
