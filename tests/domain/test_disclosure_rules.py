"""The entry types of issue 13: disclosure.recorded, fundraising.results, work_report.filed."""

from __future__ import annotations

import pytest

from ledger.domain.rows import (
    CorrectionRow,
    DisclosureRow,
    EntryRow,
    FundraisingResultRow,
    WorkReportRow,
)
from ledger.domain.schemas import validate
from ledger.errors import LedgerError
from tests.domain.helpers import (
    FOUNDATION,
    REGISTRAR_ORG,
    SERVICE_ORG,
    World,
    disclosure_data,
    results_data,
    work_report_data,
)


@pytest.fixture
def w() -> World:
    return World()


def correct(target: str) -> dict:
    return {"target": target, "reason": "公开文件附错"}


# --- schemas: cross-field checks ------------------------------------------------------------


def test_a_disclosure_is_published_after_its_event_and_names_an_amount_with_its_currency():
    with pytest.raises(LedgerError) as info:
        validate("disclosure.recorded", disclosure_data("R-1", published_on="2026-01-09"))
    assert (info.value.code, info.value.params["field"]) == ("data_invalid", "published_on")
    with pytest.raises(LedgerError) as info:
        validate("disclosure.recorded", {**disclosure_data("R-1"), "amount": None})
    assert info.value.params["field"] == "amount"
    d = validate("disclosure.recorded", disclosure_data("R-1"))
    assert (d.amount, d.currency, d.kind) == (12_000_000, "CNY", "related_party_transaction")


def test_work_report_totals_are_the_sum_of_their_parts():
    d = validate("work_report.filed", work_report_data(FOUNDATION, 2025))
    assert (d.total_income, d.total_spending, d.net_assets) == (100_000_000, 82_000_000, 250_000_000)
    for over, field in (
        ({"other_income": "0.01"}, "total_income"),
        ({"other_expenses": "0.00"}, "total_spending"),  # 650,000 + 120,000 + 30,000 + 0 = 800,000
        ({"total_liabilities": "600000.00"}, "net_assets"),
    ):
        with pytest.raises(LedgerError) as info:
            validate("work_report.filed", work_report_data(FOUNDATION, 2025, **over))
        assert (info.value.code, info.value.params["field"]) == ("data_invalid", field)
    # negative net assets: liabilities above assets
    d = validate(
        "work_report.filed",
        work_report_data(FOUNDATION, 2025, total_liabilities="3000100.00", net_assets="-100.00"),
    )
    assert d.net_assets == -10_000


def test_results_are_published_after_the_campaign_ends():
    with pytest.raises(LedgerError) as info:
        validate("fundraising.results", results_data("P-1", published_on="2026-03-19"))
    assert info.value.params["field"] == "published_on"


# --- disclosure.recorded --------------------------------------------------------------------


def test_a_disclosure_is_recorded_by_the_org_admin_late_or_not(w):
    did = w.append(w.foundation_admin, "disclosure.recorded", disclosure_data("RPT-2026-01"))
    row = w.state.get(DisclosureRow, did)
    assert (row.org, row.ref, row.kind, row.occurred_on, row.published_on, row.amount_minor, row.currency) == (
        FOUNDATION,
        "RPT-2026-01",
        "related_party_transaction",
        "2026-01-10",
        "2026-02-05",
        12_000_000,
        "CNY",
    )
    e = w.state.get(EntryRow, did)
    assert (e.type, e.signer_role, e.signer_org) == ("disclosure.recorded", "org_admin", FOUNDATION)
    # 40 days after the event: recorded all the same (the reports show it late)
    late = w.append(
        w.foundation_admin,
        "disclosure.recorded",
        disclosure_data("INV-2026-01", kind="investment", occurred_on="2026-01-01", published_on="2026-02-10"),
    )
    assert w.state.get(DisclosureRow, late).published_on == "2026-02-10"


def test_disclosure_rules(w):
    w.refuse(w.fundraiser, "disclosure.recorded", disclosure_data("R-1"), "role_not_allowed")
    w.refuse(w.registrar, "disclosure.recorded", disclosure_data("R-1"), "role_not_allowed")
    err = w.refuse(
        w.foundation_admin,
        "disclosure.recorded",
        disclosure_data("R-1", occurred_on="2026-03-22", published_on="2026-03-22"),
        "date_in_future",
    )
    assert err.params["field"] == "occurred_on"  # the world's log date is 2026-03-21
    w.refuse(w.foundation_admin, "disclosure.recorded", disclosure_data("R-1", project="P-NOPE"), "project_unknown")
    did = w.append(w.foundation_admin, "disclosure.recorded", disclosure_data("R-1"))
    err = w.refuse(w.foundation_admin, "disclosure.recorded", disclosure_data("R-1"), "disclosure_exists")
    assert err.params["seq"] == w.state.get(EntryRow, did).seq
    # another organisation may use the same reference
    w.append(w.service_admin, "disclosure.recorded", disclosure_data("R-1"))
    # a withdrawn disclosure frees its reference
    cid = w.append(w.foundation_admin, "entry.corrected", correct(did))
    row = w.state.get(DisclosureRow, did)
    assert (row.corrected, row.corrected_by) == (True, cid)
    assert w.state.get(CorrectionRow, cid).target_type == "disclosure.recorded"
    w.append(w.foundation_admin, "disclosure.recorded", disclosure_data("R-1"))


# --- fundraising.results --------------------------------------------------------------------


def test_results_of_a_campaign_within_the_cap(w):
    rid = w.append(w.fundraiser, "fundraising.results", results_data(World.PUB))
    row = w.state.get(FundraisingResultRow, rid)
    assert (
        row.org,
        row.receipts_minor,
        row.used_minor,
        row.fundraising_costs_minor,
        row.cost_cap_minor,
        row.over_cap,
    ) == (FOUNDATION, 30_000_000, 25_000_000, 1_200_000, 1_500_000, False)
    err = w.refuse(w.fundraiser, "fundraising.results", results_data(World.PUB), "results_exist")
    assert err.params["seq"] == w.state.get(EntryRow, rid).seq
    w.append(w.fundraiser, "entry.corrected", correct(rid))
    again = w.append(w.fundraiser, "fundraising.results", results_data(World.PUB, used="260000.00"))
    assert w.state.get(FundraisingResultRow, again).used_minor == 26_000_000


def test_costs_over_the_plans_cap_need_an_explanation_and_are_flagged(w):
    over = results_data(World.PUB, fundraising_costs="18000.00")  # cap 15,000.00: 3,000.00 over
    err = w.refuse(w.fundraiser, "fundraising.results", over, "fundraising_cost_over_cap")
    assert (err.params["costs"], err.params["cap"]) == ("18000.00", "15000.00")
    rid = w.append(
        w.fundraiser, "fundraising.results", {**over, "explanation": "线下义卖场地费用超出预算，经理事会批准"}
    )
    row = w.state.get(FundraisingResultRow, rid)
    assert (row.over_cap, row.fundraising_costs_minor - row.cost_cap_minor) == (True, 300_000)


def test_results_rules(w):
    w.refuse(w.fundraiser, "fundraising.results", results_data(World.DIR), "results_not_campaign")
    w.refuse(w.foundation_admin, "fundraising.results", results_data(World.PUB), "role_not_allowed")
    w.refuse(w.group_fundraiser, "fundraising.results", results_data(World.PUB), "not_project_fundraiser")
    w.refuse(w.fundraiser, "fundraising.results", results_data(World.PUB, currency="USD"), "currency_mismatch")
    w.refuse(w.fundraiser, "fundraising.results", results_data("P-NOPE"), "project_unknown")
    w.refuse(
        w.fundraiser,
        "fundraising.results",
        results_data(World.PUB, ended_on="2026-02-27", published_on="2026-03-01"),
        "date_too_early",  # before the project's start, 2026-03-01
    )


# --- work_report.filed ----------------------------------------------------------------------


def test_a_work_report_is_filed_once_per_ended_year(w):
    wid = w.append(w.foundation_admin, "work_report.filed", work_report_data(FOUNDATION, 2025))
    row = w.state.get(WorkReportRow, FOUNDATION, 2025)
    assert (
        row.id,
        row.staff,
        row.volunteers,
        row.council_members,
        row.donation_income_minor,
        row.government_grants_minor,
        row.total_income_minor,
        row.other_expenses_minor,
        row.net_assets_minor,
    ) == (wid, 12, 340, 9, 80_000_000, 15_000_000, 100_000_000, 2_000_000, 250_000_000)
    err = w.refuse(w.registrar, "work_report.filed", work_report_data(FOUNDATION, 2025), "work_report_exists")
    assert err.params["seq"] == w.state.get(EntryRow, wid).seq
    w.refuse(w.service_admin, "work_report.filed", work_report_data(FOUNDATION, 2024), "work_report_wrong_org")
    w.refuse(w.fundraiser, "work_report.filed", work_report_data(FOUNDATION, 2024), "role_not_allowed")
    err = w.refuse(w.foundation_admin, "work_report.filed", work_report_data(FOUNDATION, 2026), "date_in_future")
    assert err.params["field"] == "year"
    rid = w.append(w.registrar, "work_report.filed", work_report_data(SERVICE_ORG, 2025))
    assert w.state.get(WorkReportRow, SERVICE_ORG, 2025).signer_org == REGISTRAR_ORG
    assert rid
    cid = w.append(w.foundation_admin, "entry.corrected", correct(wid))
    assert w.state.get(WorkReportRow, FOUNDATION, 2025).corrected_by == cid
    again = w.append(w.foundation_admin, "work_report.filed", work_report_data(FOUNDATION, 2025, staff=13))
    row = w.state.get(WorkReportRow, FOUNDATION, 2025)
    assert (row.id, row.staff, row.corrected) == (again, 13, False)
