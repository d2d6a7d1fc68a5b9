"""Each report kind built from a registry in the real store: the figures in the JSON follow from
the entries of tests/reports/world.py, the PDF shows them (and Chinese text, in an embedded CJK
font), and every CSV and XLSX table has exactly the JSON's figures."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from ledger.domain.privacy import format_receipt_code
from ledger.errors import LedgerError
from reports.common import ReportRequest
from reports.issue import build_from_ledger
from tests.domain import helpers as H
from tests.reports import filecheck, pdfcheck
from tests.reports.world import DIR, PUB, SALT, SMALL, ReportWorld

FOUNDATION, SERVICE_ORG = H.FOUNDATION, H.SERVICE_ORG


def pdf_text(pdf: bytes) -> str:
    """The PDF's text without white space (lines break anywhere in Chinese text)."""
    return re.sub(r"\s+", "", pdfcheck.pdf_text(pdf))


def shows(text: str, *needles: str) -> None:
    for needle in needles:
        assert re.sub(r"\s+", "", needle) in text, needle


def doc_json(files: dict[str, bytes], stem: str) -> dict[str, Any]:
    return json.loads(files[f"{stem}.json"])


def rows(document: dict[str, Any], table: str) -> list[dict[str, Any]]:
    t = document["tables"][table]
    keys = [c["key"] for c in t["columns"]]
    return [dict(zip(keys, r, strict=True)) for r in t["rows"]]


def assert_files(doc: Any, files: dict[str, bytes]) -> dict[str, Any]:
    """Every table agrees across JSON, CSV and XLSX; the PDF embeds the CJK font; the report
    states its log state."""
    document = doc_json(files, doc.stem)
    assert set(document["tables"]) == {t.name for t in doc.tables}
    for table in doc.tables:
        filecheck.assert_tables_agree(files, doc.stem, table.name)
    pdf = files[f"{doc.stem}.pdf"]
    pdfcheck.assert_cjk_font_embedded(pdf)
    text = pdf_text(pdf)
    shows(text, doc.at.root[:16], f"树大小 {doc.at.tree_size}", "第 1 页 共")  # the log state; page numbers
    assert document["log"] == {
        "origin": H.ORIGIN,
        "tree_size": doc.at.tree_size,
        "root": doc.at.root,
        "as_of": doc.at.time,
    }
    assert document["format"] == "charity-ledger/report/v1" and document["rule_set"]["ref"] == "cn-charity/1"
    return document


# --- annual -----------------------------------------------------------------------------------


def test_annual_report_figures(built: Callable, shared_world: ReportWorld) -> None:
    doc, files = built("annual", org=FOUNDATION, year=2026)
    d = assert_files(doc, files)
    head = shared_world.ledger.log.head()
    assert (doc.at.tree_size, doc.at.root) == (head.size, head.root.hex())
    assert doc.stem == f"annual-{FOUNDATION}-2026-t{head.size}" and d["period"] == {
        "start": "2026-01-01",
        "end": "2026-12-31",
    }
    f = d["figures"]
    assert f["income"]["totals"] == {"CNY": {"count": 6, "amount": "64800.50"}}  # the reversed 999.99 left out
    assert (
        f["income"]["restricted"]["CNY"]["amount"] == "14500.50"
        and f["income"]["in_kind"]["CNY"]["amount"] == "1200.00"
    )
    assert f["income"]["corrected_count"] == 1
    assert [(r["key"], r["count"], r["amount"]) for r in rows(d, "income_by_channel")] == [
        ("bank_transfer", 3, "60800.00"),
        ("online_platform", 1, "2500.50"),
        ("cash", 1, "300.00"),
        ("delivery", 1, "1200.00"),
    ]
    assert {r["key"]: r["amount"] for r in rows(d, "income_by_donor_type")} == {
        "individual": "10800.00",
        "enterprise": "2500.50",
        "government_purchase": "50000.00",
        "foundation": "1200.00",
        "anonymous": "300.00",
    }
    assert {r["key"]: r["amount"] for r in rows(d, "income_by_restriction")} == {
        "restricted": "14500.50",
        "unrestricted": "50300.00",
    }
    assert {r["key"]: r["amount"] for r in rows(d, "income_by_project")} == {
        PUB: "14000.50",
        DIR: "50000.00",
        SMALL: "800.00",
    }
    assert f["allocations"]["totals"]["CNY"] == {"count": 3, "amount": "38800.00"}
    assert {r["key"]: r["amount"] for r in rows(d, "spending_raised")} == {
        "program": "25600.00",
        "admin": "400.00",
        "fundraising_cost": "100.00",
    }
    assert rows(d, "spending_own") == []
    assert len(rows(d, "donations")) == 7 and len(rows(d, "disbursements")) == 5


def test_annual_ratio_check_shows_the_deciding_numbers(built: Callable, shared_world: ReportWorld) -> None:
    doc, files = built("annual", org=FOUNDATION, year=2026)
    d = doc_json(files, doc.stem)
    ratio = d["figures"]["ratios"]
    ids = shared_world.ids
    assert ratio["status"] == "passed" and ratio["entries"] == [
        ids["fin2023"],
        ids["fin2024"],
        ids["fin2025"],
        ids["fin2026"],
    ]
    assert (
        ratio["inputs"]["prior_3y_avg_income"] == "900000.00" and ratio["inputs"]["prior_year_income"] == "1000000.00"
    )
    result = ratio["result"]
    assert (result["rule"], result["ruleset"]) == ("public_foundation", "cn-charity/1") or result["rule"].startswith(
        "public"
    )
    spending = result["spending"][0]
    # 70% of the 3-year average (630,000.00) is lower than 70% of last year's income (700,000.00): it decides
    assert (
        spending["basis_points"],
        spending["decided_by"],
        spending["required"],
        spending["actual"],
        spending["met"],
    ) == (7000, "prior_3y_avg_income", "630000.00", "650000.00", True)
    m = result["management"]
    assert (m["cap"], m["actual"], m["within_cap"], m["exempt"], m["met"]) == (
        "82000.00",
        "120000.00",
        False,
        True,
        True,
    )
    table = rows(d, "ratios")
    assert [(r["check"], r["base"], r["limit"], r["met"]) for r in table] == [
        ("min_spending_1_alt", "prior_year_income", "700000.00", None),
        ("min_spending_1", "prior_3y_avg_income", "630000.00", True),
        ("management_cap", "total_spending", "82000.00", True),
    ]
    assert next((r["item"], r["reported"], r["on_log"], r["on_log_bp"]) for r in rows(d, "reconciliation")) == (
        "income",
        "1200000.00",
        "64800.50",
        540,
    )
    text = pdf_text(files[f"{doc.stem}.pdf"])
    shows(
        text,
        "年度工作报告",
        "年度支出与管理费用比例",
        "前三年收入平均数 900,000.00 × 70.00% = 630,000.00",
        "630,000.00",
        "650,000.00",
        "64,800.50",
        "60,800.00",
        "达标 Passed",
        "管理费用低于豁免标准",
    )


def test_annual_disclosures_audit_and_oversight(built: Callable, shared_world: ReportWorld) -> None:
    doc, files = built("annual", org=FOUNDATION, year=2026)
    d = doc_json(files, doc.stem)
    f = d["figures"]
    assert f["disclosures"]["counts"] == {"on_time": 6, "late": 1, "missing": 4, "due": 0}
    late = [r for r in rows(d, "disclosures") if r["status"] == "late"]
    assert [(r["subject"], r["rule"], r["index"], r["due_on"], r["done_on"], r["entry"]) for r in late] == [
        (PUB, "progress_disclosure", 2, "2026-09-01", "2026-09-10", shared_world.ids["prog2"])
    ]
    assert [a["status"] for a in f["disclosures"]["annual_report"]] == ["on_time", "on_time"]
    assert f["audit"] == {"opinions": 1, "this_year": ["unqualified"]}
    assert f["oversight"] == {
        "verdicts_in_year": {"approved": 1, "queried": 0, "flagged": 1, "resolved": 0},
        "open_findings": 1,
    }
    assert [(r["entry"], r["verdict_entry"]) for r in rows(d, "open_findings")] == [
        (shared_world.ids["pay_admin"], shared_world.ids["flag"])
    ]
    assert f["corrections_in_year"] == 1
    text = pdf_text(files[f"{doc.stem}.pdf"])
    shows(text, "信息公开及时性", "目录 Contents", "审计意见")


def test_annual_without_reported_figures_says_what_is_missing(shared_world: ReportWorld) -> None:
    doc = build_from_ledger(shared_world.ledger, ReportRequest("annual", org=H.SERVICE_ORG_2, year=2026))
    ratio = doc.figures["ratios"]
    assert ratio["status"] == "not_computed" and ratio["missing_years"] == [2025, 2026]
    assert "financials.reported" in ratio["reason_en"] and "缺少" in ratio["reason_zh"]


def test_annual_of_an_unknown_organisation(shared_world: ReportWorld) -> None:
    with pytest.raises(LedgerError) as err:
        build_from_ledger(shared_world.ledger, ReportRequest("annual", org="91440300MA5F0000XX", year=2026))
    assert err.value.code == "not_found"


def test_csv_defuses_formulas_from_the_log(built: Callable) -> None:
    doc, files = built("annual", org=FOUNDATION, year=2026)
    head, lines = filecheck.csv_rows(files[f"{doc.stem}-disbursements.csv"])
    payees = [line[head.index("收款方 payee")] for line in lines]
    assert "'=SUM(A1:A9)" in payees
    assert "=SUM(A1:A9)" in [r["payee"] for r in rows(doc_json(files, doc.stem), "disbursements")]


# --- project and campaign -----------------------------------------------------------------------


def test_project_report(built: Callable, shared_world: ReportWorld) -> None:
    doc, files = built("project", project=PUB)
    d = assert_files(doc, files)
    f = d["figures"]
    assert f["funds"] == {
        "raised": "14000.50",
        "raised_restricted": "13700.50",
        "raised_unrestricted": "300.00",
        "raised_in_kind": "1200.00",
        "donations": 4,
        "allocated": "8000.00",
        "disbursed": "5500.00",
        "disbursed_program": "5000.00",
        "disbursed_admin": "400.00",
        "disbursed_fundraising_cost": "100.00",
        "balance": "8500.50",
        "unallocated": "6000.50",
        "with_implementers": "2500.00",
    }
    assert f["plan"]["area"] == "广东省深圳市" and f["plan"]["filed_on"] == "2026-03-02"
    ids = shared_world.ids
    progress = rows(d, "progress")
    assert [(r["entry"], r["meets"], r["due_on"], r["on_time"]) for r in progress] == [
        (ids["prog1"], 1, "2026-06-01", True),
        (ids["prog2"], 2, "2026-09-01", False),
    ]
    assert [(r["rule"], r["index"], r["status"]) for r in rows(d, "disclosures")] == [
        ("plan_filing", None, "on_time"),
        ("progress_disclosure", 1, "on_time"),
        ("progress_disclosure", 2, "late"),
        ("progress_disclosure", 3, "missing"),
        ("final_disclosure", None, "missing"),
    ]
    assert f["closing"] is None and f["oversight"]["open_findings"] == 1
    assert {r["implementer"]: r["balance"] for r in rows(d, "implementers")} == {SERVICE_ORG: "2500.00"}
    text = pdf_text(files[f"{doc.stem}.pdf"])
    shows(text, "项目信息公开报告", "长者助餐计划", "14,000.50", "8,500.50", "进展报告", "项目尚未结项")


def test_closed_project_with_surplus(built: Callable, shared_world: ReportWorld) -> None:
    doc, files = built("project", project=SMALL)
    d = assert_files(doc, files)
    closing = d["figures"]["closing"]
    assert (closing["surplus"], closing["surplus_handling"], closing["entry"]) == (
        "200.00",
        "similar_purpose",
        shared_world.ids["close_small"],
    )
    assert (
        closing["surplus_disclosure"]["status"] == "on_time" and closing["surplus_disclosure"]["due_on"] == "2026-09-30"
    )
    assert d["figures"]["plan"] is None
    assert "200.00" in pdfcheck.pdf_text(files[f"{doc.stem}.pdf"])


def test_campaign_report(built: Callable) -> None:
    doc, files = built("campaign", project=PUB)
    d = assert_files(doc, files)
    filing = d["figures"]["filing"]
    assert (
        filing["due_on"],
        filing["filed_on"],
        filing["days_before_start"],
        filing["status"],
        filing["filing_number"],
    ) == ("2026-03-10", "2026-03-02", 18, "on_time", "SZ-2026-001")
    assert d["period"] == {"start": "2026-03-20", "end": "2026-12-31"}
    assert [(r["key"], r["amount"]) for r in rows(d, "receipts_by_channel")] == [
        ("bank_transfer", "10000.00"),
        ("online_platform", "2500.50"),
        ("cash", "300.00"),
        ("delivery", "1200.00"),
    ]
    assert [r["due_on"] for r in rows(d, "campaign_disclosures")] == [
        "2026-06-20",
        "2026-09-20",
        "2026-12-20",
        "2027-03-31",
    ]
    text = pdf_text(files[f"{doc.stem}.pdf"])
    shows(text, "公开募捐活动报告", "10日规则", "2026-03-10", "按时 On time", "10,000.00")


def test_campaign_of_a_directed_project_is_refused(shared_world: ReportWorld) -> None:
    with pytest.raises(LedgerError) as err:
        build_from_ledger(shared_world.ledger, ReportRequest("campaign", project=DIR))
    assert err.value.code == "report_not_applicable" and "定向" in err.value.message_zh


# --- overview -------------------------------------------------------------------------------------


def test_overview_matrix_and_breaches_linked_to_entries(built: Callable, shared_world: ReportWorld) -> None:
    doc, files = built("overview", year=2026)
    d = assert_files(doc, files)
    ids = shared_world.ids
    matrix = rows(d, "matrix")
    # most breaches first: SERVICE_ORG has two (its ratio, and its management payment from restricted money)
    assert [r["org"] for r in matrix] == [H.FOUNDATION, H.SERVICE_ORG, *sorted([H.SERVICE_ORG_2, H.SMALL_GROUP])]
    by_org = {r["org"]: r for r in matrix}
    foundation, service = by_org[H.FOUNDATION], by_org[H.SERVICE_ORG]
    assert (
        foundation["ratio_status"],
        foundation["disclosures_overdue"],
        foundation["disclosures_late"],
        foundation["open_findings"],
        foundation["audit_opinion"],
        foundation["annual_report"],
        foundation["breaches"],
    ) == ("passed", 6, 1, 1, "unqualified", "on_time", 11)
    assert (service["ratio_status"], service["breaches"], service["sez_filings"]) == ("failed", 2, 0)
    assert by_org[H.SERVICE_ORG_2]["annual_report"] == "missing"
    breaches = d["figures"]["breaches"]
    ratio = next(b for b in breaches if b["kind"] == "ratio_missed")
    assert ratio["org"] == H.SERVICE_ORG and ratio["entries"] == [ids["svc_fin2025"], ids["svc_fin2026"]]
    assert "64,000.00" in ratio["detail_en"] and "150,000.00" in ratio["detail_en"]  # 8% of net assets, 50% of income
    directed = next(b for b in breaches if b["kind"] == "directed_admin")  # listed on the payer only
    assert (directed["org"], directed["subject"], directed["entries"]) == (H.SERVICE_ORG, PUB, [ids["pay_admin"]])
    assert "400.00" in directed["detail_en"] and sum(1 for b in breaches if b["kind"] == "directed_admin") == 1
    flag = next(b for b in breaches if b["kind"] == "open_flag")
    assert flag["entries"] == [ids["pay_admin"], ids["flag"]]
    late = next(b for b in breaches if b["kind"] == "disclosure_late")
    assert late["entries"][0] == ids["prog2"]
    # SEZ filings: two by the foundation in 2026, one replied 2 days late, one never replied
    assert (foundation["sez_filings"], foundation["sez_awaiting_reply"], foundation["sez_replies_overdue"]) == (2, 1, 1)
    assert d["figures"]["summary"]["sez_filings"] == {"filed": 2, "awaiting_reply": 1, "replies_overdue": 1}
    sez = {b["kind"]: b for b in breaches if b["kind"].startswith("sz_")}
    assert (sez["sz_reply_late"]["subject"], sez["sz_reply_late"]["entries"], sez["sz_reply_late"]["due_on"]) == (
        "SZ-2026-001",
        [ids["sz1"], ids["sz1_reply"]],
        "2026-03-31",
    )
    overdue = sez["sz_reply_overdue"]
    assert (overdue["subject"], overdue["entries"], overdue["due_on"], overdue["rule"]) == (
        "SZ-2026-002",
        [ids["sz2"]],
        "2026-04-12",
        "authority_reply",
    )
    assert "deemed approved after 2026-05-02" in overdue["detail_en"] and "视为同意" in overdue["detail_zh"]
    assert (sez["sz_emergency_filing_late"]["entries"], sez["sz_emergency_filing_late"]["due_on"]) == (
        [ids["sz2"]],
        "2026-03-01",
    )
    csv_entries = [line[-1] for line in filecheck.csv_rows(files[f"{doc.stem}-breaches.csv"])[1]]
    assert f"{ids['pay_admin']} {ids['flag']}" in csv_entries
    text = pdf_text(files[f"{doc.stem}.pdf"])
    shows(text, "合规总览", "合规矩阵", "问题清单", "特区捐赠备案", "逾期未答复", ids["flag"][:12])


def test_overview_year_defaults_to_the_last_whole_year(shared_world: ReportWorld) -> None:
    doc = build_from_ledger(shared_world.ledger, ReportRequest("overview"))
    assert doc.figures["year"] == 2026 and doc.name == "overview-2026"  # the log date is 2027-06-15


# --- receipt --------------------------------------------------------------------------------------


def test_public_receipt(built: Callable, shared_world: ReportWorld) -> None:
    seq = shared_world.ledger.log.seq_of(shared_world.ids["d_bank"])
    doc, files = built("receipt", donation=str(seq))
    d = assert_files(doc, files)
    receipt = d["figures"]["receipt"]
    assert (
        set(d["figures"]["required_fields"])
        == set(receipt)
        == {"donor", "property_kind", "property_quantity", "organisation_name", "handler", "date", "receipt_number"}
    )
    # the number is the chain position and a verification code; the fiscal receipt number has its own field
    number = f"{seq:06d}-{shared_world.ids['d_bank'][:8].upper()}"
    assert receipt["donor"] == "（不公开） (not disclosed)" and receipt["receipt_number"] == number
    assert (d["figures"]["certificate_number"], d["figures"]["fiscal_receipt_no"]) == (number, "SZ-0001")
    assert doc.title_zh == "捐赠记录证明"
    assert (
        receipt["property_quantity"] == "10,000.00 CNY"
        and receipt["handler"] == "财务部"
        and receipt["date"] == "2026-03-21"
    )
    # this registry's genesis names no log key: no fingerprint to print or carry (test_report_shards has one)
    assert d["figures"]["verify_url"] == f"https://ledger.test.example/ledger/{seq}"
    assert "holder" not in d["figures"] and doc.record
    text = pdf_text(files[f"{doc.stem}.pdf"])
    shows(
        text,
        "捐赠记录证明",
        "证明编号",
        number,
        "财政票据号码",
        "SZ-0001",
        "10,000.00",
        "受赠单位",
        "扫码查验",
        shared_world.ids["d_bank"][:20],
    )
    assert not text.startswith("公益事业捐赠票据") and "公益事业捐赠票据Donationreceipt" not in text
    assert "李四" not in text and "李四" not in files[f"{doc.stem}.json"].decode()
    assert "<svg" not in text  # the QR code is drawn, not printed as text
    # the same receipt by leaf hash
    assert (
        build_from_ledger(shared_world.ledger, ReportRequest("receipt", donation=shared_world.ids["d_bank"])).figures
        == doc.figures
    )


def test_anonymous_and_in_kind_receipts(shared_world: ReportWorld) -> None:
    cash = build_from_ledger(shared_world.ledger, ReportRequest("receipt", donation=shared_world.ids["d_cash"]))
    assert cash.figures["receipt"]["donor"] == "匿名 anonymous"
    rice = build_from_ledger(shared_world.ledger, ReportRequest("receipt", donation=shared_world.ids["d_kind"]))
    assert rice.figures["receipt"]["property_quantity"] == "大米 100 袋（市场价）（估值 valued at 1,200.00 CNY）"
    rice_seq = shared_world.ledger.log.seq_of(shared_world.ids["d_kind"])  # no fiscal receipt recorded: still numbered
    assert rice.figures["receipt"]["receipt_number"] == f"{rice_seq:06d}-{shared_world.ids['d_kind'][:8].upper()}"
    assert rice.figures["fiscal_receipt_no"] is None


def test_personal_receipt_for_the_holder(shared_world: ReportWorld) -> None:
    seq = shared_world.ledger.log.seq_of(shared_world.ids["d_bank"])
    code = format_receipt_code(seq, SALT)
    doc = build_from_ledger(
        shared_world.ledger, ReportRequest("receipt", donation=code, site_url="https://site.example")
    )
    assert doc.variant == "personal" and not doc.record and doc.restricted
    holder = doc.figures["holder"]
    assert holder == {"name": "李四", "id_number": "4403**********1234", "receipt_code": code}
    assert (
        doc.figures["receipt"]["donor"] == "李四"
        and doc.figures["verify_url"] == f"https://site.example/verify#code={code}"
    )
    from reports.common import render_report

    files = render_report(doc)
    text = pdf_text(files[f"{doc.stem}.pdf"])
    shows(text, "李四", code)
    assert "440301199001011234" not in text
    # a code with another salt is not the holder's
    with pytest.raises(LedgerError) as err:
        build_from_ledger(
            shared_world.ledger, ReportRequest("receipt", donation=format_receipt_code(seq, b"\x09" * 16))
        )
    assert err.value.code == "receipt_not_found"


# --- verification ---------------------------------------------------------------------------------


def test_verification_certificate(built: Callable, shared_world: ReportWorld) -> None:
    doc, files = built("verification")
    d = assert_files(doc, files)
    head = shared_world.ledger.log.head()
    f = d["figures"]
    assert f["verification"]["valid"] is True and f["verification"]["entries"] == head.size
    assert f["verification"]["entries_by_type"]["donation.received"] == 7
    assert f["checkpoint"]["size"] == head.size and f["checkpoint"]["root"] == head.root.hex()
    assert f["checkpoint"]["note"] == shared_world.ledger.log.latest_checkpoint()
    assert f["witnesses"]["available"] is True and f["witnesses"]["on_checkpoint"] == []
    text = pdf_text(files[f"{doc.stem}.pdf"])
    shows(text, "账本校验证明", "通过 VALID", head.root.hex()[:16])


def test_requests_are_checked() -> None:
    for request, code in (
        (ReportRequest("balance"), "report_kind_unknown"),
        (ReportRequest("annual", org=FOUNDATION), "report_param_missing"),
        (ReportRequest("project"), "report_param_missing"),
        (ReportRequest("annual", org="x", year=2026), "report_param_invalid"),
        (ReportRequest("annual", org=FOUNDATION, year=1800), "report_param_invalid"),
        (ReportRequest("receipt", donation="'; drop table"), "report_param_invalid"),
        (ReportRequest("annual", org=FOUNDATION, year=2026, personal=True), "report_param_invalid"),
        (ReportRequest("overview", site_url="javascript:alert(1)"), "report_param_invalid"),
    ):
        with pytest.raises(LedgerError) as err:
            request.checked()
        assert err.value.code == code, request
    assert ReportRequest.from_json({"kind": "annual", "org": FOUNDATION, "year": 2026}) == ReportRequest(
        "annual", org=FOUNDATION, year=2026
    )
    with pytest.raises(LedgerError):
        ReportRequest.from_json({"kind": "annual", "org": FOUNDATION, "year": 2026, "path": "/etc"})


def test_annual_reports_due_before_the_log_began_are_not_asked_for(shared_world: ReportWorld) -> None:
    # the log began on 2026-03-02: the reports on 2023 and 2024 were due before it
    doc = build_from_ledger(shared_world.ledger, ReportRequest("annual", org=FOUNDATION, year=2024))
    assert doc.figures["disclosures"]["annual_report"] == [] and doc.figures["disclosures"]["counts"]["missing"] == 0
    overview = build_from_ledger(shared_world.ledger, ReportRequest("overview", year=2024))
    assert not [b for b in overview.figures["breaches"] if b["kind"].startswith("annual_report")]


def test_the_organisation_page_shows_the_annual_reports_ratio_figures(
    built: Callable, shared_world: ReportWorld
) -> None:
    """One calculator: the site's ratio row for a year is the annual report's check of that
    year (status, both ratios, the figures used), not a separate sum of the log's flows."""
    from litestar.testing import TestClient

    from ledger.cli.app import create_app

    with TestClient(create_app(shared_world.ledger)) as client:
        page = client.get(f"/organisations/{FOUNDATION}", headers={"Accept-Language": "zh-CN"}).text
    for year in (2026, 2025):
        doc, files = built("annual", org=FOUNDATION, year=year)
        ratio = doc_json(files, doc.stem)["figures"]["ratios"]
        row = re.search(rf'<tr data-year="{year}" data-status="([a-z_]+)"[^>]*>(.*?)</tr>', page, re.S)
        assert row is not None, f"no ratio row for {year}"
        assert row.group(1) == ratio["status"]
        if ratio["result"] is not None:
            spending_bp = ratio["result"]["spending"][0]["actual_basis_points"]
            management_bp = ratio["result"]["management"]["actual_basis_points"]
            assert re.findall(r'data-actual-bp="(\d*)"', row.group(2)) == [str(spending_bp), str(management_bp)]
    assert '<tr data-year="2026" data-status="passed"' in page and "达标" in page
    # the foundation reported 2023-2026: 2023 has no prior year's figures, so it is not computed
    assert '<tr data-year="2023" data-status="not_computed"' in page
