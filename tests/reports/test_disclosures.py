"""Disclosure timeliness and the ratio check of an organisation-year, on rows built by hand."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.domain.rows import FinancialsRow, ProgressRow, ProjectRow
from reports.disclosures import annual_report_disclosure, counts, project_disclosures
from reports.ratios import check_reported_year
from reports.rulesets import ruleset

RS = ruleset("cn-charity", date(2026, 12, 31))
H64 = "ab" * 32


def project(**over: object) -> ProjectRow:
    values: dict = dict(
        project="P", title_zh="项目", field="elderly_care", region="440304", start_date="2026-01-01", end_date="2026-12-31",
        currency="CNY", target_minor=1, fundraiser_org="F", registered_by=H64, registered_id="reg", registered_seq=1,
        implementers_json='["I"]', overseers_json='["O"]', directed=True, emergency=False, status="open", closed=False,
    )
    values.update(over)
    return ProjectRow(**values)


def report(seq: int, recorded: str, period_end: str = "2026-03-31", corrected: bool = False) -> ProgressRow:
    return ProgressRow(id=f"p{seq}", seq=seq, project="P", implementer="I", period_start="2026-01-01", period_end=period_end,
                       summary="s", evidence_json="[]", recorded_by=H64, time=f"{recorded}T02:00:00.000Z", corrected=corrected)


def table(items: list) -> list[tuple]:
    return [(d.rule, d.index, d.due_on.isoformat(), d.status, d.entry) for d in items]


def test_each_report_meets_one_period_oldest_first() -> None:
    # due 04-01, 07-01, 10-01 (and 2027-01-01 is after the end); final 2027-03-31
    items = project_disclosures(project(), [report(1, "2026-03-15"), report(2, "2026-08-01"), report(3, "2026-08-02")], None, RS, date(2027, 4, 1))
    assert table(items) == [
        ("progress_disclosure", 1, "2026-04-01", "on_time", "p1"),
        ("progress_disclosure", 2, "2026-07-01", "late", "p2"),     # the late report clears the oldest open period
        ("progress_disclosure", 3, "2026-10-01", "on_time", "p3"),  # the next one, recorded in period 3's span, is on time
        ("final_disclosure", None, "2027-03-31", "missing", None),
    ]
    assert counts(items) == {"on_time": 2, "late": 1, "missing": 1, "due": 0}


def test_a_report_before_a_period_starts_does_not_meet_it() -> None:
    items = project_disclosures(project(), [report(1, "2026-01-10"), report(2, "2026-01-20")], None, RS, date(2026, 7, 2))
    assert table(items)[:3] == [
        ("progress_disclosure", 1, "2026-04-01", "on_time", "p1"),
        ("progress_disclosure", 2, "2026-07-01", "missing", None),   # p2 was recorded before period 2 began
        ("progress_disclosure", 3, "2026-10-01", "due", None),
    ]


def test_withdrawn_reports_do_not_count_and_due_means_not_yet_late() -> None:
    items = project_disclosures(project(), [report(1, "2026-03-15", corrected=True)], None, RS, date(2026, 4, 1))
    assert table(items)[0] == ("progress_disclosure", 1, "2026-04-01", "due", None)      # on its due day: still due
    items = project_disclosures(project(), [report(1, "2026-03-15", corrected=True)], None, RS, date(2026, 4, 2))
    assert table(items)[0] == ("progress_disclosure", 1, "2026-04-01", "missing", None)


def test_closing_early_moves_the_final_disclosure_and_meets_it() -> None:
    closed = project(closed=True, status="closed", closed_on="2026-05-15", closed_id="close", surplus_minor=500, surplus_handling="per_plan")
    items = project_disclosures(closed, [report(1, "2026-03-15")], "2026-05-15T02:00:00.000Z", RS, date(2026, 12, 1))
    assert table(items) == [
        ("progress_disclosure", 1, "2026-04-01", "on_time", "p1"),
        ("final_disclosure", None, "2026-08-15", "on_time", "close"),
        ("surplus_disclosure", None, "2026-08-15", "on_time", "close"),
    ]


def test_a_progress_report_reaching_the_end_is_the_final_disclosure() -> None:
    short = project(end_date="2026-03-31")   # three months: no periodic disclosure
    items = project_disclosures(short, [report(1, "2026-07-10", period_end="2026-03-31")], None, RS, date(2026, 8, 1))
    assert table(items) == [("final_disclosure", None, "2026-06-30", "late", "p1")]


def test_plan_filing_of_public_and_emergency_campaigns() -> None:
    public = project(directed=False, plan_fundraising_start="2026-02-01", plan_fundraising_end="2026-03-01",
                     plan_filed_time="2026-01-20T02:00:00.000Z", plan_filed_id="filed")
    assert table(project_disclosures(public, [], None, RS, date(2026, 2, 1)))[0] == ("plan_filing", None, "2026-01-22", "on_time", "filed")
    emergency = project(directed=False, emergency=True, plan_fundraising_start="2026-02-01", plan_fundraising_end="2026-03-01")
    assert table(project_disclosures(emergency, [], None, RS, date(2026, 2, 12)))[0] == ("plan_filing_emergency", None, "2026-02-11", "missing", None)
    assert all(d.rule != "plan_filing" for d in project_disclosures(project(), [], None, RS, date(2026, 2, 1)))


def figures(year: int, income: int, net: int, charitable: int = 0, management: int = 0, total: int = 0, currency: str = "CNY",
            corrected: bool = False) -> FinancialsRow:
    return FinancialsRow(org="F", year=year, id=f"f{year}", seq=year, currency=currency, total_income_minor=income,
                         charitable_spending_minor=charitable, management_costs_minor=management, fundraising_costs_minor=0,
                         total_spending_minor=total, net_assets_minor=net, signer_org="F", recorded_by=H64,
                         time=f"{year + 1}-03-01T02:00:00.000Z", corrected=corrected)


def test_annual_report_is_met_by_the_years_figures() -> None:
    assert annual_report_disclosure("F", 2025, figures(2025, 1, 1), RS, date(2026, 6, 1)).status == "on_time"
    assert annual_report_disclosure("F", 2025, None, RS, date(2026, 5, 31)).status == "due"
    assert annual_report_disclosure("F", 2025, None, RS, date(2026, 6, 1)).status == "missing"
    assert annual_report_disclosure("F", 2025, figures(2025, 1, 1, corrected=True), RS, date(2026, 6, 1)).entry is None


def test_year_check_uses_averages_rounded_up_when_three_years_are_there() -> None:
    years = {2023: figures(2023, 100, 1), 2024: figures(2024, 100, 1), 2025: figures(2025, 101, 2),
             2026: figures(2026, 0, 0, charitable=71, management=0, total=71)}
    check = check_reported_year(RS, "foundation", True, years, 2026)
    assert check.inputs["prior_3y_avg_income"] == 101 and check.inputs["prior_3y_avg_net_assets"] == 2   # 301/3 and 4/3, up
    assert check.entries == ("f2023", "f2024", "f2025", "f2026") and check.status == "passed"
    # without the earlier years only last year's income is a base
    check = check_reported_year(RS, "foundation", True, {2025: years[2025], 2026: years[2026]}, 2026)
    assert check.inputs["prior_3y_avg_income"] is None and check.result.spending[0].required_fen == 71   # 70% of 101, rounded up


@pytest.mark.parametrize(("legal_form", "years", "status", "reason"), [
    ("enterprise", {}, "not_applicable", "charities only"),
    ("foundation", {2026: figures(2026, 1, 1)}, "not_computed", "missing for 2025"),
    ("foundation", {2025: figures(2025, 1, 1, currency="HKD"), 2026: figures(2026, 1, 1, currency="HKD")}, "not_computed", "HKD"),
])
def test_year_check_says_why_it_cannot_be_made(legal_form: str, years: dict, status: str, reason: str) -> None:
    check = check_reported_year(RS, legal_form, False, years, 2026)
    assert check.status == status and reason in check.reason_en and check.result is None and check.reason_zh


def test_year_check_that_fails() -> None:
    years = {2025: figures(2025, 30_000_000, 80_000_000), 2026: figures(2026, 0, 0, charitable=5_000_000, management=25_000_000, total=60_000_000)}
    check = check_reported_year(RS, "social_service_org", False, years, 2026)
    assert check.status == "failed" and not check.result.management.exempt and not check.result.management.within_cap
    assert check.to_json()["result"]["explanation_required"] is True
