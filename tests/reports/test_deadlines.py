"""Disclosure and filing deadlines: calendar months with month-end clamping, pure dates."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.compliance.deadlines import (
    add_months,
    annual_report_due,
    due_after,
    due_dates,
    is_longer_than,
    major_change_due,
    recurring_dues,
    sz_emergency_filing_due,
    sz_reply_dues,
)
from ledger.compliance.rulesets import ruleset
from ledger.errors import LedgerError

CN = ruleset("cn-charity", date(2026, 1, 1))
SZ = ruleset("sz-donation", date(2026, 1, 1))


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),  # leap year
        (date(2023, 11, 29), 3, date(2024, 2, 29)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2025, 12, 31), 2, date(2026, 2, 28)),
        (date(2025, 12, 31), 3, date(2026, 3, 31)),
        (date(2025, 11, 15), 3, date(2026, 2, 15)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 1, 31), -12, date(2025, 1, 31)),
        (date(2026, 5, 31), 0, date(2026, 5, 31)),
    ],
)
def test_add_months_clamps_to_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("end", "due"),
    [
        (date(2025, 11, 30), date(2026, 2, 28)),
        (date(2027, 11, 30), date(2028, 2, 29)),
        (date(2026, 12, 31), date(2027, 3, 31)),
        (date(2026, 5, 31), date(2026, 8, 31)),
    ],
)
def test_final_and_surplus_disclosure_three_months_after_the_end(end: date, due: date) -> None:
    final = due_after(CN, "final_disclosure", end)
    assert (final.due_on, final.anchor, final.anchor_date, final.ruleset, final.item) == (
        due,
        "end",
        end,
        "cn-charity/1",
        5,
    )
    assert due_after(CN, "surplus_disclosure", end).due_on == due


def test_six_month_edge() -> None:
    start = date(2026, 1, 1)
    assert not is_longer_than(start, date(2026, 6, 30), 6)  # exactly six months
    assert is_longer_than(start, date(2026, 7, 1), 6)
    assert recurring_dues(CN, "progress_disclosure", start, date(2026, 6, 30)) == ()
    dues = recurring_dues(CN, "progress_disclosure", start, date(2026, 7, 1))
    assert [(d.index, d.period_start, d.period_end, d.due_on) for d in dues] == [
        (1, date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 1)),
        (2, date(2026, 4, 1), date(2026, 6, 30), date(2026, 7, 1)),
    ]


def test_recurring_disclosures_do_not_drift_after_february() -> None:
    dues = recurring_dues(CN, "progress_disclosure", date(2025, 11, 30), date(2026, 11, 30))
    assert [d.due_on for d in dues] == [date(2026, 2, 28), date(2026, 5, 30), date(2026, 8, 30), date(2026, 11, 30)]
    assert dues[1].period_start == date(2026, 2, 28) and dues[0].period_end == date(2026, 2, 27)


def test_plan_filing_before_or_after_start() -> None:
    start = date(2026, 3, 1)
    assert due_after(CN, "plan_filing", start).due_on == date(2026, 2, 19)
    assert due_after(CN, "plan_filing_emergency", start).due_on == date(2026, 3, 11)


def test_due_dates_of_a_project_with_a_campaign() -> None:
    dues = due_dates(
        CN,
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        fundraising_start=date(2026, 1, 15),
        fundraising_end=date(2026, 8, 14),
        surplus=True,
    )
    assert [(d.rule, d.index, d.due_on.isoformat()) for d in dues] == [
        ("plan_filing", None, "2026-01-05"),
        ("progress_disclosure", 1, "2026-04-01"),
        ("campaign_progress_disclosure", 1, "2026-04-15"),
        ("progress_disclosure", 2, "2026-07-01"),
        ("campaign_progress_disclosure", 2, "2026-07-15"),
        ("progress_disclosure", 3, "2026-10-01"),
        ("campaign_final_disclosure", None, "2026-11-14"),
        ("final_disclosure", None, "2027-03-31"),
        ("surplus_disclosure", None, "2027-03-31"),
    ]
    assert dues[0].source == "fundraising-measures art. 11"
    assert dues[1].to_json() == {
        "rule": "progress_disclosure",
        "due_on": "2026-04-01",
        "anchor": "start",
        "anchor_date": "2026-01-01",
        "ruleset": "cn-charity/1",
        "source": "charity-law art. 72 (2016 numbering, unverified)",
        "item": 5,
        "index": 1,
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
    }


def test_due_dates_of_a_short_directed_project() -> None:
    dues = due_dates(CN, start=date(2026, 9, 1), end=date(2026, 11, 30))
    assert [(d.rule, d.due_on) for d in dues] == [("final_disclosure", date(2027, 2, 28))]


def test_emergency_campaign() -> None:
    dues = due_dates(
        CN, start=date(2026, 2, 1), end=date(2026, 3, 31), fundraising_start=date(2026, 2, 1), emergency=True
    )
    assert [(d.rule, d.due_on) for d in dues] == [
        ("plan_filing_emergency", date(2026, 2, 11)),
        ("final_disclosure", date(2026, 6, 30)),
    ]


def test_annual_and_major_change() -> None:
    annual = annual_report_due(CN, 2025)
    assert (annual.due_on, annual.anchor_date, annual.item) == (date(2026, 5, 31), date(2025, 12, 31), 13)
    assert major_change_due(CN, date(2026, 1, 15)).due_on == date(2026, 2, 14)
    assert major_change_due(CN, date(2026, 2, 1)).due_on == date(2026, 3, 3)


def test_shenzhen_filing_deadlines() -> None:
    normal, latest = sz_reply_dues(SZ, date(2026, 1, 25))
    assert (normal.due_on, latest.due_on) == (date(2026, 2, 4), date(2026, 2, 24))
    assert normal.source == "sz-regulations-1997 art. 25" and normal.ruleset == "sz-donation/1"
    assert sz_emergency_filing_due(SZ, date(2026, 11, 30)).due_on == date(2027, 2, 28)


def test_refusals() -> None:
    with pytest.raises(LedgerError) as err:
        due_dates(CN, start=date(2026, 2, 1), end=date(2026, 1, 31))
    assert err.value.code == "deadline_input_invalid"
    with pytest.raises(LedgerError) as err:
        due_dates(CN, start=date(2026, 1, 1), end=date(2026, 2, 1), fundraising_end=date(2026, 1, 31))
    assert err.value.code == "deadline_input_invalid"
    with pytest.raises(LedgerError) as err:
        due_after(CN, "progress_disclosure", date(2026, 1, 1))  # a recurring rule
    assert err.value.code == "ruleset_param_missing"
    with pytest.raises(LedgerError) as err:
        due_after(SZ, "final_disclosure", date(2026, 1, 1))
    assert err.value.code == "ruleset_param_missing"
