"""The statutory sections of an annual work report (慈善组织年度工作报告), issue 13.

A charity's annual work report, as the disclosure measures and the civil-affairs templates set
it out, has seven chapters: basic information, governance, charitable projects, public
fundraising, finances, disclosures and compliance. :func:`build_statutory` makes the parts the
annual report did not have from what the log holds:

- the figures the log cannot know, filed by the charity as ``work_report.filed`` (people,
  governance, balance sheet, income by the categories of the non-profit accounting rules,
  spending by function);
- major asset changes, investments and related-party transactions (``disclosure.recorded``)
  with the 30-day deadline of the rule set, counted from the event's date, beside the day the
  disclosure was published and the day the log recorded it;
- public fundraising results (``fundraising.results``): receipts, use, fundraising costs against
  the plan's cap (costs over the cap are flagged), and whether the results came within 3 months
  of the campaign's end;
- SEZ donation filings one by one with the authority's replies and their deadlines;
- corrections with their reason and the entry they reverse or withdraw;
- payments of management costs (category ``admin``) from directed money: a directed project,
  or a project whose implementer received restricted-pot allocations. Restricted gifts are for
  their stated purpose only (compliance.md item 7), so such payments are flagged for a reader
  to check against the donation agreements (which may allow a split, item 12).

:func:`arrange` then orders the annual report's sections under the seven chapters. Periods are
calendar years; events count by their business dates, corrections by their log date (China time).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.compliance import deadlines as calc
from ledger.compliance.rulesets import RuleSet, ruleset
from ledger.domain.rows import (
    AllocationRow,
    CorrectionRow,
    DisbursementRow,
    DisclosureRow,
    EntryRow,
    FinancialsRow,
    FundraisingResultRow,
    OrgRow,
    ProjectRow,
    SzFilingRow,
    WorkReportRow,
)
from reports import labels as L
from reports.common import PDF_ROWS, figure_pairs, in_period, pdf_view
from reports.disclosures import china_date
from reports.formats import Column, Money, Table
from reports.render import Section
from reports.snapshot import Snapshot, sorted_by

__all__ = [
    "BREACH_KINDS",
    "CHAPTERS",
    "Breach",
    "Statutory",
    "arrange",
    "breaches",
    "build_statutory",
    "certificate_number",
    "fundraising_results_table",
]

# The chapters of the annual work report, in order, with the annual report's own sections that
# belong under each (by section id).
CHAPTERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("basic_info", "一、基本情况 Basic information", ()),
    ("governance", "二、内部治理 Governance", ("audit", "oversight")),
    ("programmes", "三、慈善项目 Charitable projects", ("projects",)),
    ("fundraising", "四、公开募捐 Public fundraising", ()),
    ("finances", "五、财务情况 Finances", ("income", "allocations", "spending", "ratios")),
    ("disclosures_major", "六、信息公开 Disclosures", ("disclosures", "sez_filings", "corrections", "directed_admin")),
    ("compliance", "七、合规情况 Compliance", ()),
)
REPLACED = ("organisation",)  # the basic-information chapter says all it said


def certificate_number(seq: int, leaf_hash: str) -> str:
    """A donation record certificate's number: the entry's position in the chain and a
    verification code, the first 8 hex digits of its leaf hash (``000123-3F2A9C01``). Anyone can
    check both on the entry's public page; a number never repeats, since positions do not."""
    return f"{seq:06d}-{leaf_hash[:8].upper()}"


@dataclass(frozen=True, slots=True)
class Statutory:
    sections: dict[str, Section]  # by chapter id
    tables: list[Table]
    figures: dict[str, Any]


def _status(done_on: date | None, due_on: date, as_of: date) -> str:
    if done_on is not None:
        return "on_time" if done_on <= due_on else "late"
    return "missing" if as_of > due_on else "due"


def _days_late(done_on: date | None, due_on: date, as_of: date) -> int:
    end = done_on if done_on is not None else as_of
    return max(0, (end - due_on).days)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


# --- work_report.filed: the figures the log cannot know -----------------------------------------

_FINANCE_LINES: tuple[tuple[str, str, str], ...] = (
    ("total_assets", "资产合计", "Total assets"),
    ("total_liabilities", "负债合计", "Total liabilities"),
    ("net_assets", "净资产合计", "Net assets"),
    ("donation_income", "捐赠收入", "Donation income"),
    ("membership_income", "会费收入", "Membership fees"),
    ("service_income", "提供服务收入", "Service income"),
    ("sales_income", "商品销售收入", "Sales income"),
    ("government_grants", "政府补助收入", "Government grants"),
    ("investment_income", "投资收益", "Investment income"),
    ("other_income", "其他收入", "Other income"),
    ("total_income", "收入合计", "Total income"),
    ("charitable_spending", "业务活动成本（慈善活动支出）", "Charitable activities"),
    ("management_costs", "管理费用", "Management costs"),
    ("fundraising_costs", "筹资费用", "Fundraising costs"),
    ("other_expenses", "其他费用", "Other expenses"),
    ("total_spending", "费用合计", "Total spending"),
)
_PEOPLE_LINES: tuple[tuple[str, str, str], ...] = (
    ("staff", "专职工作人员", "Full-time staff"),
    ("volunteers", "志愿者", "Volunteers"),
    ("volunteer_hours", "志愿服务时长（小时）", "Volunteer hours"),
    ("council_members", "理事", "Council members"),
    ("supervisors", "监事", "Supervisors"),
    ("council_meetings", "本年理事会会议", "Council meetings in the year"),
    ("beneficiaries", "受益人次", "Beneficiaries"),
)


def _work_report_tables(w: WorkReportRow | None) -> tuple[Table, Table]:
    finance = Table(
        "work_report_finances",
        "年度工作报告：财务情况",
        "Work report: finances",
        (
            Column("item", "项目", "Item"),
            Column("item_zh", "名称", "Item (zh)"),
            Column("item_en", "名称（英文）", "Item (en)"),
            Column("amount", "金额", "Amount", "money"),
        ),
        [] if w is None else [[k, zh, en, Money(getattr(w, f"{k}_minor"), w.currency)] for k, zh, en in _FINANCE_LINES],
    )
    people = Table(
        "work_report_people",
        "年度工作报告：人员与治理",
        "Work report: people and governance",
        (
            Column("item", "项目", "Item"),
            Column("item_zh", "名称", "Item (zh)"),
            Column("item_en", "名称（英文）", "Item (en)"),
            Column("count", "数量", "Count", "int"),
        ),
        [] if w is None else [[k, zh, en, getattr(w, k)] for k, zh, en in _PEOPLE_LINES],
    )
    return finance, people


_SHARED_FIGURES = (
    "total_income",
    "charitable_spending",
    "management_costs",
    "fundraising_costs",
    "total_spending",
    "net_assets",
)


def _differs_from_financials(work: WorkReportRow | None, fin: FinancialsRow | None) -> list[str] | None:
    """The Chinese names of the figures the work report and ``financials.reported`` both give
    for the year and give differently; None when one of them is missing (or in another currency)."""
    if work is None or fin is None or fin.corrected or fin.currency != work.currency:
        return None
    names = {k: zh for k, zh, _en in _FINANCE_LINES}
    return [names[k] for k in _SHARED_FIGURES if getattr(work, f"{k}_minor") != getattr(fin, f"{k}_minor")]


# --- disclosure.recorded: major events with the 30-day deadline ---------------------------------


def _major_events(snap: Snapshot, code: str, start: date, end: date, rs: RuleSet, as_of: date) -> Table:
    rows: list[list[Any]] = []
    for x in sorted_by(snap.rows(DisclosureRow, org=code), "occurred_on", "seq"):
        occurred, published = date.fromisoformat(x.occurred_on), date.fromisoformat(x.published_on)
        if not (in_period(x.occurred_on, start, end) or in_period(x.published_on, start, end)):
            continue
        due = calc.major_change_due(rs, occurred).due_on
        status = "withdrawn" if x.corrected else _status(published, due, as_of)
        rows.append(
            [
                x.ref,
                x.kind,
                L.zh("disclosure_kind", x.kind),
                x.title,
                x.counterparty,
                Money(x.amount_minor, x.currency) if x.amount_minor is not None and x.currency else None,
                occurred,
                due,
                published,
                china_date(x.time),
                _days_late(published, due, as_of),
                status,
                _status_zh(status),
                ", ".join(json.loads(x.evidence_json)),
                x.id,
            ]
        )
    return Table(
        "major_events",
        "重大资产变动、投资与关联交易公开",
        "Major asset changes, investments and related-party transactions",
        (
            Column("ref", "编号", "Reference"),
            Column("kind", "事项类型代码", "Kind (code)"),
            Column("kind_zh", "事项类型", "Kind"),
            Column("title", "标题", "Title"),
            Column("counterparty", "交易对方", "Counterparty"),
            Column("amount", "金额", "Amount", "money"),
            Column("occurred_on", "发生日期", "Occurred on", "date"),
            Column("due_on", "公开截止（30 日）", "Due (30 days)", "date"),
            Column("published_on", "公开日期", "Published on", "date"),
            Column("recorded_on", "记账日期", "Recorded on the log", "date"),
            Column("days_late", "逾期天数", "Days late", "int"),
            Column("status", "状态代码", "Status (code)"),
            Column("status_zh", "状态", "Status"),
            Column("evidence", "公开文件哈希", "Evidence (SHA-256)"),
            Column("entry", "条目哈希", "Entry (leaf hash)"),
        ),
        rows,
    )


def _status_zh(status: str) -> str:
    if status == "withdrawn":
        return "已撤回"
    if status == "deemed_approved":
        return "逾期未答复，视为同意"
    return L.zh("status", status)


# --- fundraising.results: receipts, use, costs against the plan's cap ----------------------------


def _fundraising_results(
    snap: Snapshot, code: str, start: date, end: date, rs: RuleSet, as_of: date
) -> tuple[Table, list[FundraisingResultRow]]:
    results = [
        r
        for r in snap.rows(FundraisingResultRow, org=code)
        if in_period(r.ended_on, start, end) or in_period(r.published_on, start, end)
    ]
    return fundraising_results_table(snap, results, rs, as_of)


def fundraising_results_table(
    snap: Snapshot, results: Sequence[FundraisingResultRow], rs: RuleSet, as_of: date
) -> tuple[Table, list[FundraisingResultRow]]:
    """Campaign results against the 3-month deadline from the campaign's end and the plan's cost
    cap; and the live ones over the cap."""
    rows: list[list[Any]] = []
    over: list[FundraisingResultRow] = []
    for r in sorted_by(results, "ended_on", "seq"):
        project = snap.get(ProjectRow, r.project)
        campaign_end = _day(project.plan_fundraising_end if project else None) or date.fromisoformat(r.ended_on)
        due = calc.due_after(rs, "campaign_final_disclosure", campaign_end).due_on
        published = date.fromisoformat(r.published_on)
        status = "withdrawn" if r.corrected else _status(published, due, as_of)
        if r.over_cap and not r.corrected:
            over.append(r)
        cur = r.currency
        rows.append(
            [
                r.project,
                project.title_zh if project else None,
                date.fromisoformat(r.ended_on),
                due,
                published,
                status,
                _status_zh(status),
                Money(r.receipts_minor, cur),
                Money(r.used_minor, cur),
                Money(r.fundraising_costs_minor, cur),
                Money(r.cost_cap_minor, cur),
                None if r.receipts_minor <= 0 else r.fundraising_costs_minor * 10_000 // r.receipts_minor,
                r.over_cap,
                (Money(r.fundraising_costs_minor - r.cost_cap_minor, cur) if r.over_cap else Money(0, cur)),
                r.explanation,
                r.use_summary,
                r.id,
            ]
        )
    table = Table(
        "fundraising_results",
        "公开募捐结果",
        "Public fundraising results",
        (
            Column("project", "项目", "Project"),
            Column("title_zh", "名称", "Title"),
            Column("ended_on", "募捐结束", "Ended on", "date"),
            Column("due_on", "公开截止（3 个月）", "Due (3 months)", "date"),
            Column("published_on", "公开日期", "Published on", "date"),
            Column("status", "状态代码", "Status (code)"),
            Column("status_zh", "状态", "Status"),
            Column("receipts", "募得款物", "Receipts", "money"),
            Column("used", "已使用", "Used", "money"),
            Column("fundraising_costs", "募捐成本", "Fundraising costs", "money"),
            Column("cost_cap", "方案成本上限", "Cost cap of the plan", "money"),
            Column("cost_bp", "成本占募得比例", "Costs / receipts", "bp"),
            Column("over_cap", "超出上限", "Over the cap", "bool"),
            Column("excess", "超出金额", "Excess", "money"),
            Column("explanation", "超出说明", "Explanation"),
            Column("use_summary", "使用情况", "Use of the funds"),
            Column("entry", "条目哈希", "Entry (leaf hash)"),
        ),
        rows,
    )
    return table, over


# --- SEZ filings, one by one with their replies ---------------------------------------------------


def _sez_filings(snap: Snapshot, code: str, start: date, end: date, sz_rules: RuleSet, as_of: date) -> Table:
    rows: list[list[Any]] = []
    for f in sorted_by(snap.rows(SzFilingRow, org=code), "filed_on", "seq"):
        replied = _day(f.replied_on)
        if not (in_period(f.filed_on, start, end) or (replied is not None and start <= replied <= end)):
            continue
        filed = date.fromisoformat(f.filed_on)
        normal, last = calc.sz_reply_dues(sz_rules, filed)
        due, latest = normal.due_on, last.due_on
        if f.corrected:
            status = "withdrawn"
        elif replied is None and as_of > latest:
            status = "deemed_approved"  # art. 25: no reply within 30 days counts as approval
        else:
            status = _status(replied, due, as_of)
        rows.append(
            [
                f.ref,
                filed,
                f.emergency,
                _day(f.accepted_on),
                len(json.loads(f.donations_json)),
                f.purpose,
                due,
                latest,
                replied,
                f.decision,
                L.zh("sz_decision", f.decision) if f.decision else None,
                f.reply_note,
                status,
                _status_zh(status),
                f.id,
                f.reply_id,
            ]
        )
    return Table(
        "sez_filings",
        "特区捐赠备案及答复",
        "SEZ donation filings and replies",
        (
            Column("ref", "备案编号", "Reference"),
            Column("filed_on", "备案日期", "Filed on", "date"),
            Column("emergency", "紧急捐赠", "Emergency", "bool"),
            Column("accepted_on", "接受日期", "Accepted on", "date"),
            Column("donations", "捐赠笔数", "Donations", "int"),
            Column("purpose", "用途和方式", "Purpose and means"),
            Column("reply_due", "答复期限（10 日）", "Reply due (10 days)", "date"),
            Column("reply_latest", "最长期限（30 日）", "At the latest (30 days)", "date"),
            Column("replied_on", "答复日期", "Replied on", "date"),
            Column("decision", "答复代码", "Decision (code)"),
            Column("decision_zh", "答复", "Decision"),
            Column("reply_note", "答复说明", "Reply note"),
            Column("status", "状态代码", "Status (code)"),
            Column("status_zh", "答复状态", "Reply status"),
            Column("entry", "备案条目哈希", "Filing entry (leaf hash)"),
            Column("reply_entry", "答复条目哈希", "Reply entry (leaf hash)"),
        ),
        rows,
    )


# --- corrections with their reasons ----------------------------------------------------------------


def _corrections(snap: Snapshot, code: str, start: date, end: date) -> Table:
    rows: list[list[Any]] = []
    for c in sorted_by(snap.rows(CorrectionRow, signer_org=code), "seq"):
        recorded = china_date(c.time)
        if not start <= recorded <= end:
            continue
        target = snap.get(EntryRow, c.target)
        rows.append(
            [
                c.seq,
                recorded,
                c.target_type,
                L.zh("entry_type", c.target_type),
                target.seq if target else None,
                china_date(target.time) if target else None,
                c.project,
                Money(c.amount_minor, c.currency) if c.amount_minor is not None and c.currency else None,
                "reversed" if c.amount_minor is not None else "withdrawn",
                "冲销" if c.amount_minor is not None else "撤回",
                c.reason,
                c.target,
                c.id,
            ]
        )
    return Table(
        "corrections",
        "更正说明",
        "Corrections and their reasons",
        (
            Column("seq", "更正序号", "Correction seq", "int"),
            Column("recorded_on", "更正日期", "Corrected on", "date"),
            Column("target_type", "原条目类型代码", "Corrected entry type (code)"),
            Column("target_type_zh", "原条目类型", "Corrected entry type"),
            Column("target_seq", "原条目序号", "Corrected entry seq", "int"),
            Column("target_recorded_on", "原条目日期", "Corrected entry recorded on", "date"),
            Column("project", "项目", "Project"),
            Column("amount", "冲销金额", "Amount reversed", "money"),
            Column("action", "处理代码", "Action (code)"),
            Column("action_zh", "处理", "Action"),
            Column("reason", "更正原因", "Reason"),
            Column("target", "原条目哈希", "Corrected entry (leaf hash)"),
            Column("entry", "更正条目哈希", "Correction entry (leaf hash)"),
        ),
        rows,
    )


# --- directed money spent on management costs ---------------------------------------------------


def _directed_admin(snap: Snapshot, code: str, start: date, end: date) -> Table:
    """Live ``admin`` payments of the year in projects the organisation raises or implements,
    paid from directed money: the project is directed, or its implementer received restricted
    allocations for it."""
    projects = {p.project: p for p in snap.rows(ProjectRow, fundraiser_org=code)}
    payments = {x.id: x for x in snap.rows(DisbursementRow, implementer=code)}
    for pid in projects:
        payments.update({x.id: x for x in snap.rows(DisbursementRow, project=pid)})
    restricted: dict[str, set[str]] = {}  # project -> implementers that received restricted money
    rows: list[list[Any]] = []
    for x in sorted(payments.values(), key=lambda x: x.seq):
        if x.corrected or x.category != "admin" or not in_period(x.paid_on, start, end):
            continue
        project = projects.get(x.project) or snap.get(ProjectRow, x.project)
        if project is None:
            continue
        if x.project not in restricted:
            restricted[x.project] = {
                a.implementer
                for a in snap.rows(AllocationRow, project=x.project)
                if a.source == "restricted" and not a.corrected
            }
        if project.directed:
            basis = "directed_project"
        elif x.implementer in restricted[x.project]:
            basis = "restricted_allocation"
        else:
            continue
        rows.append(
            [
                x.seq,
                date.fromisoformat(x.paid_on),
                x.project,
                project.title_zh,
                x.implementer,
                Money(x.amount_minor, x.currency),
                x.payee,
                x.purpose,
                basis,
                "定向募捐项目" if basis == "directed_project" else "执行方收到定向资金拨付",
                x.id,
            ]
        )
    return Table(
        "directed_admin",
        "定向资金列支管理费用（待核查）",
        "Directed money spent on management costs (to be checked)",
        (
            Column("seq", "序号", "Seq", "int"),
            Column("paid_on", "付款日期", "Paid on", "date"),
            Column("project", "项目", "Project"),
            Column("title_zh", "名称", "Title"),
            Column("implementer", "执行方", "Implementer"),
            Column("amount", "金额", "Amount", "money"),
            Column("payee", "收款方", "Payee"),
            Column("purpose", "用途", "Purpose"),
            Column("basis", "判断依据代码", "Basis (code)"),
            Column("basis_zh", "判断依据", "Basis"),
            Column("entry", "条目哈希", "Entry (leaf hash)"),
        ),
        rows,
    )


# --- the chapters -------------------------------------------------------------------------------


def build_statutory(
    snap: Snapshot,
    org: OrgRow,
    year: int,
    rs: RuleSet,
    as_of: date,
    *,
    ratios_passed: bool | None = None,
) -> Statutory:
    """The statutory chapters of ``org``'s work report for ``year`` (see the module docstring)."""
    code = org.org
    start, end = date(year, 1, 1), date(year, 12, 31)
    w = snap.get(WorkReportRow, code, year)
    work = w if w is not None and not w.corrected else None
    finance, people = _work_report_tables(work)
    events = _major_events(snap, code, start, end, rs, as_of)
    results, over_cap = _fundraising_results(snap, code, start, end, rs, as_of)
    filings = _sez_filings(snap, code, start, end, ruleset("sz-donation", end), as_of)
    corrections = _corrections(snap, code, start, end)
    directed = _directed_admin(snap, code, start, end)
    raised = snap.rows(ProjectRow, fundraiser_org=code)

    def count(table: Table, key: str, *values: str) -> int:
        i = [c.key for c in table.columns].index(key)
        return sum(1 for r in table.rows if r[i] in values)

    mismatch = _differs_from_financials(work, snap.get(FinancialsRow, code, year))
    late_events = count(events, "status", "late", "missing")
    late_results = count(results, "status", "late", "missing")
    sz_open = count(filings, "status", "late", "missing", "deemed_approved")
    findings = [
        ("work_report_filed", "已报送年度工作报告数据", "Work report figures filed", "是" if work else "否"),
        (
            "work_report_matches_financials",
            "工作报告与报送财务数据一致",
            "Work report agrees with the reported financial figures",
            "—" if mismatch is None else ("一致" if not mismatch else "不一致：" + "、".join(mismatch)),
        ),
        ("major_events_late", "重大事项逾期公开", "Major events disclosed late", str(late_events)),
        ("results_late", "募捐结果逾期公开", "Fundraising results late", str(late_results)),
        ("costs_over_cap", "募捐成本超出方案上限", "Fundraising costs over the plan's cap", str(len(over_cap))),
        ("directed_admin", "定向资金列支管理费用", "Directed money spent on management", str(len(directed.rows))),
        ("sez_replies", "特区备案答复逾期", "SEZ filing replies late or missing", str(sz_open)),
        ("corrections", "本年更正", "Corrections in the year", str(len(corrections.rows))),
    ]
    if ratios_passed is not None:
        findings.insert(
            1, ("ratios", "年度支出与管理费用比例", "Spending ratios", "达标" if ratios_passed else "未达标")
        )
    compliance = Table(
        "compliance",
        "合规情况汇总",
        "Compliance summary",
        (
            Column("item", "项目代码", "Item (code)"),
            Column("item_zh", "项目", "Item"),
            Column("item_en", "项目（英文）", "Item (en)"),
            Column("value", "结果", "Result"),
        ),
        [list(f) for f in findings],
    )
    not_ended = (
        ()
        if as_of > end
        else (
            f"截至账本日期 {as_of} 本年度尚未结束，数据为截至该日的数据。The year had not ended at the log date {as_of}.",
        )
    )
    missing_work = (
        ()
        if work
        else (
            f"本组织尚未报送 {year} 年度工作报告数据（work_report.filed），人员、治理与资产负债情况无法列示。"
            f"No work report figures (work_report.filed) were filed for {year}.",
        )
    )
    sections = {
        "basic_info": Section(
            "basic_info",
            CHAPTERS[0][1],
            figures=figure_pairs(
                [
                    ("统一社会信用代码 Code", org.org),
                    ("名称 Name", f"{org.name_zh} {org.name_en or ''}".strip()),
                    ("组织形式 Legal form", L.both("legal_form", org.legal_form)),
                    ("登记日期 Registered on", org.registered_on or "—"),
                    ("公开募捐资格 Public fundraising", "有 Yes" if org.public_fundraising else "无 No"),
                    ("报告年度 Year", str(year)),
                ]
            ),
            paragraphs=not_ended,
        ),
        "governance": Section(
            "governance",
            CHAPTERS[1][1],
            paragraphs=missing_work
            + (
                ()
                if work is None
                else (
                    f"年度工作报告于 {work.published_on} 公开，文件哈希 {work.report_sha256}。"
                    f"The work report was published on {work.published_on}.",
                    *((work.activities,) if work.activities else ()),
                )
            ),
            tables=(pdf_view(people, "item_zh", "item_en", "count"),),
        ),
        "programmes": Section(
            "programmes",
            CHAPTERS[2][1],
            figures=figure_pairs(
                [
                    ("募集项目 Projects raised", str(len(raised))),
                    (
                        "本年结项 Closed in the year",
                        str(sum(1 for p in raised if in_period(p.closed_on or "", start, end))),
                    ),
                ]
            ),
        ),
        "fundraising": Section(
            "fundraising",
            CHAPTERS[3][1],
            paragraphs=(
                f"募捐成本超出方案上限 {len(over_cap)} 项；逾期公开 {late_results} 项。"
                f"{len(over_cap)} over the plan's cost cap; {late_results} published late.",
            ),
            tables=(
                pdf_view(
                    results,
                    "project",
                    "ended_on",
                    "due_on",
                    "published_on",
                    "status_zh",
                    "receipts",
                    "used",
                    "fundraising_costs",
                    "cost_cap",
                    "excess",
                ),
            ),
            row_limit=PDF_ROWS,
        ),
        "finances": Section(
            "finances",
            CHAPTERS[4][1],
            paragraphs=missing_work,
            tables=(pdf_view(finance, "item_zh", "item_en", "amount"),),
        ),
        "disclosures_major": Section(
            "disclosures_major",
            CHAPTERS[5][1],
            paragraphs=(
                f"重大资产变动、投资与关联交易应于事项发生后 30 日内公开（规则集 {rs.ref}）；逾期 {late_events} 项。"
                f"Major events are disclosed within 30 days (rule set {rs.ref}); {late_events} late.",
            ),
            tables=(
                pdf_view(
                    events,
                    "ref",
                    "kind_zh",
                    "title",
                    "occurred_on",
                    "due_on",
                    "published_on",
                    "recorded_on",
                    "days_late",
                    "status_zh",
                ),
            ),
            row_limit=PDF_ROWS,
        ),
        "sez_filings": Section(
            "sez_filings",
            "特区捐赠备案及答复 SEZ donation filings",
            tables=(
                pdf_view(
                    filings,
                    "ref",
                    "filed_on",
                    "emergency",
                    "donations",
                    "reply_due",
                    "reply_latest",
                    "replied_on",
                    "decision_zh",
                    "status_zh",
                ),
            ),
            row_limit=PDF_ROWS,
        ),
        "corrections": Section(
            "corrections",
            "更正说明 Corrections",
            tables=(
                pdf_view(
                    corrections, "seq", "recorded_on", "target_type_zh", "target_seq", "amount", "action_zh", "reason"
                ),
            ),
            row_limit=PDF_ROWS,
        ),
        "directed_admin": Section(
            "directed_admin",
            "定向资金列支管理费用 Directed money spent on management",
            paragraphs=(
                "定向捐赠应专款专用；下列管理费用支出来自定向募捐项目或定向资金拨付，请对照捐赠协议核查。"
                "Restricted gifts are spent on their purpose only; these management payments came from directed money.",
            ),
            tables=(pdf_view(directed, "seq", "paid_on", "project", "implementer", "amount", "purpose", "basis_zh"),),
            row_limit=PDF_ROWS,
        ),
        "compliance": Section(
            "compliance", CHAPTERS[6][1], tables=(pdf_view(compliance, "item_zh", "item_en", "value"),)
        ),
    }
    figures = {
        "work_report": None if work is None else {"entry": work.id, "currency": work.currency},
        "major_events": {"count": len(events.rows), "late": late_events},
        "fundraising_results": {"count": len(results.rows), "late": late_results, "over_cap": len(over_cap)},
        "sez_filings": {"count": len(filings.rows), "reply_late_or_missing": sz_open},
        "corrections": len(corrections.rows),
        "directed_admin": len(directed.rows),
    }
    tables = [people, finance, results, events, filings, corrections, directed, compliance]
    return Statutory(sections=sections, tables=tables, figures=figures)


def arrange(existing: Sequence[Section], st: Statutory) -> list[Section]:
    """The annual report's sections under the seven chapters: each chapter's own section, then
    the report's sections that belong to it; sections of no chapter keep their place at the end."""
    by_id = {s.id: s for s in existing}
    by_id.update({k: v for k, v in st.sections.items() if k not in by_id})
    out: list[Section] = []
    placed: set[str] = set(REPLACED)
    for chapter, _title, members in CHAPTERS:
        out.append(st.sections[chapter])
        placed.add(chapter)
        for member in members:
            if member in by_id and member not in placed:
                out.append(by_id[member])
                placed.add(member)
    out.extend(s for s in existing if s.id not in placed)
    return out


# --- breaches for the regulator's overview --------------------------------------------------------

BREACH_KINDS = {
    "major_event_late": ("重大事项逾期公开", "Major event disclosed late"),
    "fundraising_cost_over_cap": ("募捐成本超出方案上限", "Fundraising costs over the plan's cap"),
    "directed_admin": ("定向资金列支管理费用", "Directed money spent on management"),
}


@dataclass(frozen=True, slots=True)
class Breach:
    kind: str
    subject: str
    entries: list[str]
    detail_en: str
    detail_zh: str
    due_on: date | None = None
    rule: str | None = None


def breaches(snap: Snapshot, code: str, year: int, rs: RuleSet, as_of: date) -> list[Breach]:
    """What the statutory chapters flag for ``code`` in ``year``, as the overview lists breaches:
    major events disclosed late (or not yet, past the deadline), campaign costs over the plan's
    cap, management payments from directed money."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    out: list[Breach] = []
    for e in _major_events(snap, code, start, end, rs, as_of).records():
        if e["status"] in ("late", "missing"):
            out.append(
                Breach(
                    "major_event_late",
                    e["ref"],
                    [e["entry"]],
                    f"{L.en('disclosure_kind', e['kind'])} on {e['occurred_on']}, due {e['due_on']}, "
                    f"published {e['published_on']} ({e['days_late']} days late)",
                    f"{e['kind_zh']}发生于 {e['occurred_on']}，应于 {e['due_on']} 前公开，"
                    f"实际 {e['published_on']} 公开（逾期 {e['days_late']} 日）",
                    e["due_on"],
                    "major_change_disclosure",
                )
            )
    _table, over = _fundraising_results(snap, code, start, end, rs, as_of)
    for r in over:
        costs, cap = Money(r.fundraising_costs_minor, r.currency), Money(r.cost_cap_minor, r.currency)
        out.append(
            Breach(
                "fundraising_cost_over_cap",
                r.project,
                [r.id],
                f"fundraising costs {costs.grouped()} over the plan's cap {cap.grouped()}",
                f"募捐成本 {costs.grouped()} 超过方案上限 {cap.grouped()}",
            )
        )
    for x in _directed_admin(snap, code, start, end).records():
        if x["implementer"] != code:  # listed once, on the organisation that paid
            continue
        out.append(
            Breach(
                "directed_admin",
                x["project"],
                [x["entry"]],
                f"management payment {x['amount'].grouped()} on {x['paid_on']} from directed money",
                f"{x['paid_on']} 以定向资金列支管理费用 {x['amount'].grouped()}（{x['basis_zh']}）",
            )
        )
    return out
