"""Deadlines: what is due or overdue, at month ends, leap days and window edges; and the scan
over a registry in the real store."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.domain.rows import FinancialsRow, OrgRow, ProgressRow, ProjectRow
from ledger.services.oversight import (
    SzFiling,
    annual_report_deadlines,
    annual_report_disclosures,
    disclosures_of_org,
    disclosures_of_project,
    project_deadlines,
    project_disclosures,
    project_disclosures_and_deadlines,
    rules_in_force,
    scan_deadlines,
    sz_filing_deadlines,
)
from tests.domain import helpers

FUNDRAISER = helpers.FOUNDATION
CN = rules_in_force("cn-charity", date(2026, 1, 1))
SZ = rules_in_force("sz-donation", date(2026, 1, 1))


def project(start: str, end: str, **over) -> ProjectRow:  # type: ignore[no-untyped-def]
    row = dict(
        project="P-1",
        title_zh="项目",
        field="elderly_care",
        region="440304",
        start_date=start,
        end_date=end,
        currency="CNY",
        target_minor=100,
        fundraiser_org=FUNDRAISER,
        registered_by="a" * 64,
        registered_id="b" * 64,
        registered_seq=1,
        implementers_json=f'["{helpers.SERVICE_ORG}"]',
        overseers_json=f'["{helpers.OVERSIGHT}"]',
        directed=True,
        emergency=False,
        status="open",
        closed=False,
    )
    row.update(over)
    return ProjectRow(**row)


def report(
    seq: int, recorded: str, start: str = "2025-01-01", end: str = "2025-01-31", corrected: bool = False
) -> ProgressRow:
    """A progress report recorded at 10:00 China time on ``recorded``."""
    return ProgressRow(
        id=f"{seq:064x}",
        seq=seq,
        project="P-1",
        implementer=helpers.SERVICE_ORG,
        period_start=start,
        period_end=end,
        summary="s",
        evidence_json="[]",
        recorded_by="c" * 64,
        time=f"{recorded}T02:00:00.000Z",
        corrected=corrected,
    )


def due(items, rule="progress_disclosure"):  # type: ignore[no-untyped-def]
    return [(i.index, i.due_on.isoformat(), i.status, i.days) for i in items if i.rule == rule]


def test_progress_every_three_months_from_a_month_end():
    p = project("2025-08-31", "2026-08-31")
    # 31 Aug + 3 months = 30 Nov; + 6 = 28 Feb; counted from the start each time, no drift
    assert due(project_deadlines(p, [], date(2026, 3, 1), CN)) == [
        (1, "2025-11-30", "overdue", 91),
        (2, "2026-02-28", "overdue", 1),
    ]
    assert due(project_deadlines(p, [], date(2026, 2, 28), CN))[-1] == (2, "2026-02-28", "due", 0)
    # the window: 14 days ahead by default; the 31 May one appears on 17 May, not on 16 May
    assert due(project_deadlines(p, [], date(2026, 5, 17), CN))[-1] == (3, "2026-05-31", "due", 14)
    assert due(project_deadlines(p, [], date(2026, 5, 16), CN))[-1][0] == 2
    assert due(project_deadlines(p, [], date(2026, 5, 16), CN, window_days=15))[-1][0] == 3


def test_leap_day():
    p = project("2027-11-30", "2028-11-30")
    assert due(project_deadlines(p, [], date(2028, 3, 1), CN)) == [(1, "2028-02-29", "overdue", 1)]


def test_short_projects_owe_no_progress_but_a_final_disclosure():
    p = project("2026-01-01", "2026-06-30")  # not longer than 6 months (it would have to run on 1 July)
    items = project_deadlines(p, [], date(2026, 10, 1), CN)
    assert due(items) == []
    assert due(items, "final_disclosure") == [(None, "2026-09-30", "overdue", 1)]
    assert all(i.org == FUNDRAISER and i.project == "P-1" and i.ruleset == "cn-charity/1" for i in items)


def test_reports_meet_periods_oldest_first():
    p = project("2025-08-31", "2026-08-31")
    on_time = report(10, "2025-11-20")
    assert due(project_deadlines(p, [on_time], date(2026, 3, 1), CN)) == [(2, "2026-02-28", "overdue", 1)]
    # a late report clears the oldest missed period; the next one is still missing
    late = report(11, "2026-01-10")
    assert due(project_deadlines(p, [late], date(2026, 3, 1), CN)) == [(2, "2026-02-28", "overdue", 1)]
    # dates are China dates: 16:30Z on 28 February is already 1 March in Shenzhen
    evening = ProgressRow(
        id="e" * 64,
        seq=12,
        project="P-1",
        implementer=helpers.SERVICE_ORG,
        period_start="2025-12-01",
        period_end="2026-02-27",
        summary="s",
        evidence_json="[]",
        recorded_by="c" * 64,
        time="2026-02-28T16:30:00.000Z",
    )
    assert due(project_deadlines(p, [on_time, evening], date(2026, 3, 1), CN)) == []
    # a withdrawn report counts for nothing
    assert due(project_deadlines(p, [report(13, "2025-11-20", corrected=True)], date(2026, 3, 1), CN))[0][0] == 1


def test_final_disclosure_met_by_closing_or_a_report_reaching_the_end():
    p = project("2026-01-01", "2026-05-31")
    assert due(project_deadlines(p, [], date(2026, 9, 1), CN), "final_disclosure") == [
        (None, "2026-08-31", "overdue", 1)
    ]
    assert due(project_deadlines(p, [], date(2026, 8, 31), CN), "final_disclosure") == [(None, "2026-08-31", "due", 0)]
    closing = project("2026-01-01", "2026-05-31", closed=True, status="closed", closed_on="2026-06-15")
    assert project_deadlines(closing, [], date(2026, 9, 1), CN) == []
    final = report(20, "2026-06-20", start="2026-03-01", end="2026-05-31")
    assert due(project_deadlines(p, [final], date(2026, 9, 1), CN), "final_disclosure") == []


def test_a_project_closed_early_owes_nothing_after_its_closing_day():
    p = project("2025-08-31", "2026-08-31", closed=True, status="closed", closed_on="2025-12-10")
    # one disclosure fell due before closing (30 Nov); the closing summary is the final one
    assert due(project_deadlines(p, [], date(2026, 6, 1), CN)) == [(1, "2025-11-30", "overdue", 183)]
    assert due(project_deadlines(p, [], date(2026, 6, 1), CN), "final_disclosure") == []


def test_project_history_says_when_each_disclosure_was_made():
    p = project(
        "2025-08-31",
        "2026-08-31",
        directed=False,
        plan_fundraising_start="2025-09-20",
        plan_filed_seq=3,
        plan_filed_id="f" * 64,
        plan_filed_time="2025-09-15T02:00:00.000Z",
    )
    late, on_time = report(11, "2026-01-10"), report(12, "2026-02-20")
    history = project_disclosures(p, [on_time, late, report(13, "2025-12-01", corrected=True)], date(2026, 6, 1), CN)
    assert [
        (d.rule, d.index, d.due_on.isoformat(), d.status, d.done_on and d.done_on.isoformat(), d.entry_seq)
        for d in history
    ] == [
        ("plan_filing", None, "2025-09-10", "late", "2025-09-15", 3),
        # the late report meets the first period, the next one the second (on time)
        ("progress_disclosure", 1, "2025-11-30", "late", "2026-01-10", 11),
        ("progress_disclosure", 2, "2026-02-28", "on_time", "2026-02-20", 12),
        ("progress_disclosure", 3, "2026-05-31", "missing", None, None),
        ("progress_disclosure", 4, "2026-08-31", "due", None, None),
        ("final_disclosure", None, "2026-11-30", "due", None, None),
    ]
    assert history[1].entry == f"{11:064x}" and history[1].period_start == date(2025, 8, 31)
    assert all(d.org == FUNDRAISER and d.subject == d.project == "P-1" for d in history)
    # the deadline items are exactly the history's entries not made, in the window
    assert [(i.rule, i.index, i.status) for i in project_deadlines(p, [on_time, late], date(2026, 6, 1), CN)] == [
        ("progress_disclosure", 3, "overdue"),
    ]


def test_closing_makes_the_final_and_surplus_disclosures():
    p = project(
        "2026-01-01",
        "2026-05-31",
        closed=True,
        status="closed",
        closed_on="2026-06-15",
        closed_seq=40,
        closed_id="9" * 64,
        surplus_minor=500,
    )
    history = project_disclosures(p, [], date(2026, 9, 1), CN, closed_time="2026-06-20T02:00:00.000Z")
    assert [(d.rule, d.status, d.done_on.isoformat(), d.entry, d.entry_seq) for d in history] == [
        ("final_disclosure", "on_time", "2026-06-20", "9" * 64, 40),
        ("surplus_disclosure", "on_time", "2026-06-20", "9" * 64, 40),
    ]
    # a report reaching the end, recorded before the closing, made the final disclosure first
    final = report(20, "2026-06-10", start="2026-03-01", end="2026-05-31")
    first = project_disclosures(p, [final], date(2026, 9, 1), CN, closed_time="2026-06-20T02:00:00.000Z")[0]
    assert (first.rule, first.done_on.isoformat(), first.entry_seq) == ("final_disclosure", "2026-06-10", 20)


@pytest.mark.parametrize(
    ("emergency", "on", "expected"),
    [
        (False, "2026-03-30", ("plan_filing", "2026-03-31", "due", 1)),
        (False, "2026-03-31", ("plan_filing", "2026-03-31", "due", 0)),
        (False, "2026-04-01", ("plan_filing", "2026-03-31", "overdue", 1)),
        (True, "2026-04-21", ("plan_filing_emergency", "2026-04-20", "overdue", 1)),
    ],
)
def test_plan_filing_ten_days_before_fundraising(emergency, on, expected):
    p = project(
        "2026-04-10",
        "2026-06-30",
        directed=False,
        emergency=emergency,
        plan_fundraising_start="2026-04-10",
        plan_fundraising_end="2026-06-30",
    )
    items = [i for i in project_deadlines(p, [], date.fromisoformat(on), CN) if i.rule.startswith("plan_filing")]
    assert [(i.rule, i.due_on.isoformat(), i.status, i.days) for i in items] == [expected]
    filed = project("2026-04-10", "2026-06-30", directed=False, plan_fundraising_start="2026-04-10", plan_filed_seq=5)
    assert [i for i in project_deadlines(filed, [], date.fromisoformat(on), CN) if i.rule.startswith("plan")] == []


def org(**over) -> OrgRow:  # type: ignore[no-untyped-def]
    row = dict(
        org=FUNDRAISER,
        name_zh="基金会",
        legal_form="foundation",
        track="registered",
        public_fundraising=True,
        is_registrar=False,
        status="active",
        registered_seq=1,
        updated_seq=1,
    )
    row.update(over)
    return OrgRow(**row)


def figures(
    year: int, recorded: str = "2026-04-30", corrected: bool = False, org_code: str = FUNDRAISER
) -> FinancialsRow:
    """An organisation's financials.reported for ``year``, recorded at 10:00 China time on ``recorded``."""
    return FinancialsRow(
        org=org_code,
        year=year,
        id=f"{year:064x}",
        seq=year,
        currency="CNY",
        total_income_minor=1,
        charitable_spending_minor=1,
        management_costs_minor=0,
        fundraising_costs_minor=0,
        total_spending_minor=1,
        net_assets_minor=1,
        signer_org=org_code,
        recorded_by="c" * 64,
        time=f"{recorded}T02:00:00.000Z",
        corrected=corrected,
    )


def test_annual_reports_by_31_may():
    started = date(2026, 3, 2)
    items = annual_report_deadlines(org(), [], date(2026, 6, 1), CN, log_started=started)
    assert [(i.subject, i.due_on.isoformat(), i.status, i.days) for i in items] == [
        (f"{FUNDRAISER}/2025", "2026-05-31", "overdue", 1)
    ]
    assert annual_report_deadlines(org(), [figures(2025)], date(2026, 6, 1), CN, log_started=started) == []
    # withdrawn figures, or another organisation's, do not count
    assert (
        len(annual_report_deadlines(org(), [figures(2025, corrected=True)], date(2026, 6, 1), CN, log_started=started))
        == 1
    )
    assert (
        len(
            annual_report_deadlines(
                org(), [figures(2025, org_code=helpers.SERVICE_ORG)], date(2026, 6, 1), CN, log_started=started
            )
        )
        == 1
    )
    assert [i.status for i in annual_report_deadlines(org(), [], date(2026, 5, 20), CN, log_started=started)] == ["due"]
    # 2025's report was due before the log existed when the log starts in June
    assert annual_report_deadlines(org(), [], date(2026, 6, 1), CN, log_started=date(2026, 6, 1)) == []
    # a year before the organisation existed is not asked for; later years are
    late = annual_report_deadlines(org(registered_on="2026-02-01"), [], date(2027, 6, 1), CN, log_started=started)
    assert [i.subject for i in late] == [f"{FUNDRAISER}/2026"]
    assert annual_report_deadlines(org(legal_form="enterprise"), [], date(2026, 6, 1), CN, log_started=started) == []


def test_annual_report_history():
    started = date(2025, 1, 10)
    history = annual_report_disclosures(
        org(), [figures(2024, "2025-05-31"), figures(2025, "2026-06-02")], date(2027, 6, 2), CN, log_started=started
    )
    assert [
        (d.subject, d.due_on.isoformat(), d.status, d.done_on and d.done_on.isoformat(), d.entry_seq) for d in history
    ] == [
        (f"{FUNDRAISER}/2024", "2025-05-31", "on_time", "2025-05-31", 2024),
        (f"{FUNDRAISER}/2025", "2026-05-31", "late", "2026-06-02", 2025),
        (f"{FUNDRAISER}/2026", "2027-05-31", "missing", None, None),
    ]
    assert history[0].entry == f"{2024:064x}" and history[0].ruleset == "cn-charity/1" and history[0].org == FUNDRAISER
    # what is not made becomes a deadline item; what is made, late or not, does not
    assert [
        i.subject
        for i in annual_report_deadlines(
            org(), [figures(2024), figures(2025)], date(2027, 6, 2), CN, log_started=started
        )
    ] == [f"{FUNDRAISER}/2026"]


def test_sz_filings_and_the_authoritys_replies():
    regulator = helpers.REGISTRAR_ORG
    filed = SzFiling(org=FUNDRAISER, ref="SZ-1", authority=regulator, filed_on=date(2026, 1, 31))

    def at(on, *filings):  # type: ignore[no-untyped-def]
        return [
            (i.rule, i.org, i.due_on.isoformat(), i.status)
            for i in sz_filing_deadlines(filings, date.fromisoformat(on), SZ)
        ]

    assert at("2026-02-10", filed) == [("authority_reply", regulator, "2026-02-10", "due")]
    assert at("2026-02-11", filed) == [("authority_reply", regulator, "2026-02-10", "overdue")]
    assert at("2026-03-02", filed) == [("authority_reply", regulator, "2026-02-10", "overdue")]
    assert at("2026-03-03", filed) == [
        ("authority_reply_latest", regulator, "2026-03-02", "overdue")
    ]  # deemed approved
    assert (
        at("2026-02-11", SzFiling(FUNDRAISER, "SZ-2", regulator, date(2026, 1, 31), replied_on=date(2026, 2, 5))) == []
    )
    emergency = SzFiling(FUNDRAISER, "SZ-3", regulator, accepted_on=date(2025, 11, 30))
    assert at("2026-03-01", emergency) == [("emergency_filing", FUNDRAISER, "2026-02-28", "overdue")]


def test_scan_feeds_sz_filings_from_the_log(world):
    """sz.donation_filed on 2026-03-21: the registrar's reply is due on 31 March (10 days), at
    the latest on 20 April (30 days); after that no reply counts as approval."""
    regulator = helpers.REGISTRAR_ORG
    d1 = world.append(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "100.00"))
    d2 = world.append(world.fundraiser, "donation.received", helpers.donation_data(world.DIR, "20.00"))
    world.append(world.foundation_admin, "sz.donation_filed", helpers.sz_filing_data("SZ-1", [d1]))
    answered = world.append(world.fundraiser, "sz.donation_filed", helpers.sz_filing_data("SZ-2", [d2]))
    # an emergency donation accepted on 1 March, filed with the rest on 21 March (within 3 months)
    world.append(
        world.fundraiser,
        "sz.donation_filed",
        helpers.sz_filing_data("SZ-3", [d1, d2], emergency=True, accepted_on="2026-03-01"),
    )
    world.append(
        world.registrar,
        "sz.filing_replied",
        {"target": answered, "decision": "objection", "replied_on": "2026-03-21", "note": "物资清单不全"},
    )

    def sz(on, **kw):  # type: ignore[no-untyped-def]
        return [
            (i.rule, i.org, i.subject, i.due_on.isoformat(), i.status, i.ruleset)
            for i in scan_deadlines(world.ledger.engine, date.fromisoformat(on), **kw)
            if i.ruleset.startswith("sz-donation")
        ]

    assert sz("2026-03-21", window_days=5) == []  # not due within the window yet
    assert sz("2026-03-31") == [
        ("authority_reply", regulator, "SZ-1", "2026-03-31", "due", "sz-donation/1"),
        ("authority_reply", regulator, "SZ-3", "2026-03-31", "due", "sz-donation/1"),
    ]
    assert [(r, s, st) for r, _, s, _, st, _ in sz("2026-04-01")] == [
        ("authority_reply", "SZ-1", "overdue"),
        ("authority_reply", "SZ-3", "overdue"),
    ]
    assert next((r, d, st) for r, _, _, d, st, _ in sz("2026-04-20")) == ("authority_reply", "2026-03-31", "overdue")
    # past day 30 the filing is deemed approved: the item is the latest day, overdue
    assert next((r, d, st) for r, _, _, d, st, _ in sz("2026-04-21")) == (
        "authority_reply_latest",
        "2026-04-20",
        "overdue",
    )
    # the authority has to act, not the donee; project pages and other organisations see nothing
    assert len(sz("2026-04-01", org=regulator)) == 2 and sz("2026-04-01", org=helpers.FOUNDATION) == []
    assert sz("2026-04-01", projects=[world.PUB], orgs=[]) == []
    assert len(sz("2026-04-01", orgs=[helpers.FOUNDATION])) == 2 and sz("2026-04-01", orgs=[helpers.SERVICE_ORG]) == []
    # the reply clears the item
    world.set_date("2026-04-02")
    filings = {i.subject for i in scan_deadlines(world.ledger.engine, date(2026, 4, 2))}
    assert "SZ-2" not in filings and {"SZ-1", "SZ-3"} <= filings


def test_sz_emergency_filing_and_reply_dates_from_projection_rows():
    """sz_filing_of turns p_sz_filing rows into the records the calculation takes: an emergency
    acceptance not filed within 3 months is overdue; a filed one awaits only the reply."""
    from ledger.domain.rows import SzFilingRow
    from ledger.services.oversight import sz_filing_of

    def row(**over):  # type: ignore[no-untyped-def]
        base = dict(
            id="a" * 64,
            seq=9,
            org=FUNDRAISER,
            ref="SZ-9",
            authority=helpers.REGISTRAR_ORG,
            filed_on="2026-01-31",
            emergency=True,
            donations_json="[]",
            purpose="p",
            intent_sha256="b" * 64,
            declaration_sha256="c" * 64,
            property_list_sha256="d" * 64,
            recorded_by="e" * 64,
            time="2026-01-31T02:00:00.000Z",
            accepted_on="2025-12-01",
        )
        base.update(over)
        return SzFilingRow(**base)

    f = sz_filing_of(row())
    assert (f.filed_on, f.accepted_on, f.replied_on) == (date(2026, 1, 31), date(2025, 12, 1), None)
    items = sz_filing_deadlines([f], date(2026, 2, 10), SZ)
    assert [(i.rule, i.due_on.isoformat(), i.status) for i in items] == [("authority_reply", "2026-02-10", "due")]
    assert (
        sz_filing_deadlines([sz_filing_of(row(replied_on="2026-02-03", decision="approved"))], date(2026, 2, 10), SZ)
        == []
    )
    # emergency: accepted 30 Nov, due 28 Feb (3 months, month end), overdue from 1 March
    unfiled = SzFiling(FUNDRAISER, "SZ-10", helpers.REGISTRAR_ORG, accepted_on=date(2025, 11, 30))
    assert [
        (i.rule, i.due_on.isoformat(), i.status) for i in sz_filing_deadlines([unfiled], date(2026, 2, 28), SZ)
    ] == [("emergency_filing", "2026-02-28", "due")]
    assert [i.status for i in sz_filing_deadlines([unfiled], date(2026, 3, 1), SZ)] == ["overdue"]


def test_scan_over_a_registry(world):
    """World: PUB and DIR run 2026-03-01 .. 2027-02-28, so progress is due on 1 June; its
    charities owe the 2025 annual report by 31 May 2026."""
    on = date(2026, 6, 5)
    items = scan_deadlines(world.ledger.engine, on)
    progress = {(i.project, i.index, i.status, i.days) for i in items if i.rule == "progress_disclosure"}
    assert progress == {(world.PUB, 1, "overdue", 4), (world.DIR, 1, "overdue", 4)}
    annual = sorted(i.org for i in items if i.rule == "annual_report")
    assert annual == sorted([helpers.FOUNDATION, helpers.SERVICE_ORG, helpers.SERVICE_ORG_2, helpers.SMALL_GROUP])
    assert items[0].status == "overdue" and items == sorted(
        items, key=lambda i: (i.status != "overdue", i.due_on, i.org, i.subject, i.rule)
    )

    world.set_date("2026-05-20")
    world.append(world.implementer, "progress.reported", helpers.progress_data(world.PUB))
    # an audit opinion is not the annual report; the organisation's reported figures are
    world.append(
        world.auditor,
        "audit.opinion",
        {
            "org": helpers.SERVICE_ORG,
            "year": 2025,
            "opinion": "unqualified",
            "report_sha256": helpers.sha("audit-2025"),
        },
    )
    world.append(world.foundation_admin, "financials.reported", helpers.financials_data(helpers.FOUNDATION, 2025))
    items = scan_deadlines(world.ledger.engine, on)
    assert {(i.project, i.index) for i in items if i.rule == "progress_disclosure"} == {(world.DIR, 1)}
    annual = {i.org for i in items if i.rule == "annual_report"}
    assert helpers.FOUNDATION not in annual and helpers.SERVICE_ORG in annual
    assert [i.to_json()["due_on"] for i in scan_deadlines(world.ledger.engine, on, projects=[world.DIR], orgs=[])] == [
        "2026-06-01"
    ]
    # what one organisation has to do: its projects' disclosures and its own annual report
    mine = scan_deadlines(world.ledger.engine, on, org=helpers.SERVICE_ORG)
    assert [(i.rule, i.subject) for i in mine] == [("annual_report", f"{helpers.SERVICE_ORG}/2025")]
    assert {i.project for i in scan_deadlines(world.ledger.engine, on, org=helpers.FOUNDATION)} == {world.DIR}

    # the histories read from the projections
    history = disclosures_of_project(world.ledger.engine, world.PUB, on)
    assert [(d.rule, d.index, d.status) for d in history[:2]] == [
        ("plan_filing", None, "on_time"),
        ("progress_disclosure", 1, "on_time"),
    ]
    assert history[1].done_on == date(2026, 5, 20) and history[1].entry_seq == world.ledger.log.head().size - 3
    assert disclosures_of_project(world.ledger.engine, "P-NONE", on) == []
    annual_history = disclosures_of_org(world.ledger.engine, helpers.FOUNDATION, on)
    assert [(d.subject, d.status, d.done_on) for d in annual_history] == [
        (f"{helpers.FOUNDATION}/2025", "on_time", date(2026, 5, 20))
    ]
    assert disclosures_of_org(world.ledger.engine, helpers.AUDITOR, on) == []  # not a charity


def test_a_project_pages_one_read_gives_what_the_scan_and_the_history_give(world):
    """project_disclosures_and_deadlines (what a project page reads) answers exactly what
    disclosures_of_project and scan_deadlines(projects=[p], orgs=[]) answer, overdue and
    met alike, and nothing for an unknown project."""
    engine = world.ledger.engine
    for on in (date(2026, 5, 25), date(2026, 6, 5)):
        for project in (world.PUB, world.DIR):
            history, due = project_disclosures_and_deadlines(engine, project, on)
            assert history == disclosures_of_project(engine, project, on)
            assert due == scan_deadlines(engine, on, projects=[project], orgs=[])
    _, overdue = project_disclosures_and_deadlines(engine, world.PUB, date(2026, 6, 5))
    assert [(i.rule, i.status, i.days) for i in overdue] == [("progress_disclosure", "overdue", 4)]
    assert project_disclosures_and_deadlines(engine, "P-NONE", date(2026, 6, 5)) == ([], [])
