"""The annual work report's statutory chapters (reports/statutory.py, issue 13), from the registry of
tests/reports/world.py plus, recorded on 2027-06-20 (back-loaded: business dates in 2026):

- two related-party transactions of the foundation: RPT-2026-01 on 2026-05-10, published
  2026-06-19 (40 days: due 2026-06-09, 10 days late); RPT-2026-02 on 2026-08-01, published
  2026-08-25 (due 2026-08-31: on time);
- the results of the campaign P-ELDER-2026 (fundraising ends 2026-12-31, results due
  2027-03-31, published 2027-03-15): receipts 14,000.50, used 5,000.00, costs 1,000.00 against a
  cap of 420.01 (3%): 579.99 over, 1,000.00 / 14,000.50 = 7.14%;
- the foundation's work report figures for 2026 (tests/domain/helpers.work_report_data).

Already in the world: the reversed 999.99 donation ("重复录入"); the 400.00 management payment
by SERVICE_ORG from P-ELDER-2026 money allocated from the restricted pot; the SEZ filings
SZ-2026-001 (filed 2026-03-21, reply due 2026-03-31, replied 2026-04-02: late) and SZ-2026-002
(filed 2026-04-02, no reply: deemed approved after 2026-05-02).
"""

from __future__ import annotations

import json
import re
from typing import Any

from reports.common import ReportRequest, render_report
from reports.issue import build_from_ledger
from reports.statutory import certificate_number
from tests.domain import helpers as H
from tests.reports import filecheck, pdfcheck
from tests.reports.world import PUB, ReportWorld


def _rows(document: dict[str, Any], table: str) -> list[dict[str, Any]]:
    t = document["tables"][table]
    keys = [c["key"] for c in t["columns"]]
    return [dict(zip(keys, r, strict=True)) for r in t["rows"]]


def _add_disclosures(world: ReportWorld) -> dict[str, str]:
    world.set_date("2027-06-20")
    a = world.append
    return {
        "late": a(
            world.foundation_admin,
            "disclosure.recorded",
            H.disclosure_data("RPT-2026-01", occurred_on="2026-05-10", published_on="2026-06-19"),
        ),
        "on_time": a(
            world.foundation_admin,
            "disclosure.recorded",
            H.disclosure_data("RPT-2026-02", occurred_on="2026-08-01", published_on="2026-08-25", amount="8000.00"),
        ),
        "results": a(
            world.fundraiser,
            "fundraising.results",
            H.results_data(
                PUB,
                receipts="14000.50",
                used="5000.00",
                fundraising_costs="1000.00",
                cost_cap="420.01",
                ended_on="2026-12-31",
                published_on="2027-03-15",
                explanation="线下义卖场地费用超出预算，经理事会批准",
            ),
        ),
        "work": a(
            world.foundation_admin,
            "work_report.filed",
            H.work_report_data(H.FOUNDATION, 2026, published_on="2027-05-20"),
        ),
    }


def test_the_annual_work_report_has_the_statutory_chapters(world: ReportWorld) -> None:
    ids = _add_disclosures(world)
    doc = build_from_ledger(world.ledger, ReportRequest("annual", org=H.FOUNDATION, year=2026))
    files = render_report(doc)
    document = json.loads(files[f"{doc.stem}.json"])
    for table in doc.tables:
        filecheck.assert_tables_agree(files, doc.stem, table.name)
    assert doc.title_zh.endswith("2026 年度工作报告") and doc.title_en == "Annual work report 2026"

    # major events: 30 days from the event's business date, whatever the log date
    events = _rows(document, "major_events")
    assert [
        (e["ref"], e["due_on"], e["published_on"], e["recorded_on"], e["days_late"], e["status"]) for e in events
    ] == [
        ("RPT-2026-01", "2026-06-09", "2026-06-19", "2027-06-20", 10, "late"),
        ("RPT-2026-02", "2026-08-31", "2026-08-25", "2027-06-20", 0, "on_time"),
    ]
    assert [e["kind_zh"] for e in events] == ["关联交易", "关联交易"]
    assert (events[0]["amount"], events[1]["amount"], events[0]["entry"]) == ("120000.00", "8000.00", ids["late"])

    # fundraising results against the plan's cap
    (result,) = _rows(document, "fundraising_results")
    assert {k: result[k] for k in ("project", "due_on", "published_on", "status", "receipts", "used")} == {
        "project": PUB,
        "due_on": "2027-03-31",
        "published_on": "2027-03-15",
        "status": "on_time",
        "receipts": "14000.50",
        "used": "5000.00",
    }
    assert (
        result["fundraising_costs"],
        result["cost_cap"],
        result["excess"],
        result["cost_bp"],
        result["over_cap"],
    ) == (
        "1000.00",
        "420.01",
        "579.99",
        714,
        True,
    )

    # SEZ filings one by one with their replies
    filings = _rows(document, "sez_filings")
    assert [
        (f["ref"], f["filed_on"], f["reply_due"], f["reply_latest"], f["replied_on"], f["decision"], f["status"])
        for f in filings
    ] == [
        ("SZ-2026-001", "2026-03-21", "2026-03-31", "2026-04-20", "2026-04-02", "approved", "late"),
        ("SZ-2026-002", "2026-04-02", "2026-04-12", "2026-05-02", None, None, "deemed_approved"),
    ]
    assert filings[0]["reply_entry"] == world.ids["sz1_reply"] and filings[1]["donations"] == 1

    # corrections with their reason and the entry they reverse
    (correction,) = _rows(document, "corrections")
    assert (
        correction["reason"],
        correction["target"],
        correction["target_type"],
        correction["amount"],
        correction["action"],
        correction["entry"],
    ) == ("重复录入", world.ids["d_dup"], "donation.received", "999.99", "reversed", world.ids["c_dup"])
    assert correction["target_seq"] == world.ledger.log.seq_of(world.ids["d_dup"])

    # the management payment from restricted money is flagged; program payments are not
    (flag,) = _rows(document, "directed_admin")
    assert (flag["entry"], flag["amount"], flag["implementer"], flag["basis"]) == (
        world.ids["pay_admin"],
        "400.00",
        H.SERVICE_ORG,
        "restricted_allocation",
    )

    # the figures the log cannot know
    finances = {r["item"]: r["amount"] for r in _rows(document, "work_report_finances")}
    assert (finances["donation_income"], finances["total_income"], finances["net_assets"]) == (
        "800000.00",
        "1000000.00",
        "2500000.00",
    )
    people = {r["item"]: r["count"] for r in _rows(document, "work_report_people")}
    assert (people["staff"], people["volunteers"], people["council_meetings"]) == (12, 340, 4)

    summary = {r["item"]: r["value"] for r in _rows(document, "compliance")}
    assert {k: summary[k] for k in ("work_report_filed", "major_events_late", "costs_over_cap", "directed_admin")} == {
        "work_report_filed": "是",
        "major_events_late": "1",
        "costs_over_cap": "1",
        "directed_admin": "1",
    }
    assert (summary["sez_replies"], summary["corrections"], summary["results_late"]) == ("2", "1", "0")
    # financials.reported for 2026 says income 1,200,000.00 and net assets 2,600,000.00; the work report 1,000,000.00 and 2,500,000.00
    assert summary["work_report_matches_financials"] == "不一致：收入合计、净资产合计"

    # the PDF: the seven chapters in order, and what a reader checks in them
    text = re.sub(r"\s+", "", pdfcheck.pdf_text(files[f"{doc.stem}.pdf"]))
    chapters = [
        "一、基本情况",
        "二、内部治理",
        "三、慈善项目",
        "四、公开募捐",
        "五、财务情况",
        "六、信息公开",
        "七、合规情况",
    ]
    positions = [text.index(c) for c in chapters]
    assert positions == sorted(positions)
    for needle in (
        "年度工作报告",
        "RPT-2026-01",
        "逾期完成",
        "579.99",
        "重复录入",
        "定向资金列支管理费用",
        "SZ-2026-002",
    ):
        assert needle in text, needle


def test_without_a_work_report_the_finances_chapter_says_so(world: ReportWorld) -> None:
    doc = build_from_ledger(world.ledger, ReportRequest("annual", org=H.FOUNDATION, year=2026))
    document = json.loads(render_report(doc, pdf=False)[f"{doc.stem}.json"])
    assert _rows(document, "work_report_finances") == [] and _rows(document, "major_events") == []
    summary = {r["item"]: r["value"] for r in _rows(document, "compliance")}
    assert (summary["work_report_filed"], summary["work_report_matches_financials"]) == ("否", "—")
    finances = next(s for s in doc.sections if s.id == "finances")
    assert any("work_report.filed" in p for p in finances.paragraphs)


def test_certificate_number_is_position_and_verification_code() -> None:
    leaf = "3f2a9c01" + "0" * 56
    assert certificate_number(123, leaf) == "000123-3F2A9C01"
    assert certificate_number(1_234_567, leaf) == "1234567-3F2A9C01"


def test_the_campaign_report_shows_its_results_against_the_cap(world: ReportWorld) -> None:
    _add_disclosures(world)
    doc = build_from_ledger(world.ledger, ReportRequest("campaign", project=PUB))
    files = render_report(doc)
    document = json.loads(files[f"{doc.stem}.json"])
    (result,) = _rows(document, "fundraising_results")
    assert (result["receipts"], result["excess"], result["status"]) == ("14000.50", "579.99", "on_time")
    assert document["figures"]["results"] == {"published": 1, "over_cap": 1}
    text = re.sub(r"\s+", "", pdfcheck.pdf_text(files[f"{doc.stem}.pdf"]))
    assert "募捐结果" in text and "420.01" in text


def test_the_overview_lists_late_major_events_and_costs_over_the_cap(world: ReportWorld) -> None:
    ids = _add_disclosures(world)
    doc = build_from_ledger(world.ledger, ReportRequest("overview", year=2026))
    breaches = doc.figures["breaches"]
    late = [b for b in breaches if b["kind"] == "major_event_late"]
    assert [(b["org"], b["subject"], b["entries"], str(b["due_on"])) for b in late] == [
        (H.FOUNDATION, "RPT-2026-01", [ids["late"]], "2026-06-09")  # RPT-2026-02 was on time
    ]
    assert "10 days late" in late[0]["detail_en"] and "逾期 10 日" in late[0]["detail_zh"]
    (over,) = [b for b in breaches if b["kind"] == "fundraising_cost_over_cap"]
    assert (over["org"], over["subject"], over["entries"]) == (H.FOUNDATION, PUB, [ids["results"]])
    assert "1,000.00" in over["detail_en"] and "420.01" in over["detail_en"]


def test_a_withdrawn_disclosure_is_listed_as_withdrawn_and_not_counted(world: ReportWorld) -> None:
    ids = _add_disclosures(world)
    world.append(world.foundation_admin, "entry.corrected", {"target": ids["late"], "reason": "公开文件附错"})
    doc = build_from_ledger(world.ledger, ReportRequest("annual", org=H.FOUNDATION, year=2026))
    document = json.loads(render_report(doc, pdf=False)[f"{doc.stem}.json"])
    assert [(e["ref"], e["status"], e["status_zh"]) for e in _rows(document, "major_events")] == [
        ("RPT-2026-01", "withdrawn", "已撤回"),
        ("RPT-2026-02", "on_time", "按时"),
    ]
    assert {r["item"]: r["value"] for r in _rows(document, "compliance")}["major_events_late"] == "0"
    assert document["figures"]["statutory"]["major_events"] == {"count": 2, "late": 0}
