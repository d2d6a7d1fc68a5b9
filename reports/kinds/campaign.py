"""Public fundraising campaign report (公开募捐活动报告): the plan, its filing date against the
10-day rule (Order 74 art. 11; emergencies within 10 days after the start), the receipts of
the fundraising period by channel, donor type and month, and the campaign's published results
(``fundraising.results``: receipts, use, costs against the plan's cap).

Only projects with public fundraising (not directed, with a plan) have a campaign. Receipts
count live donations whose ``received_on`` falls in the fundraising period (the append rules
refuse public donations outside it).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ledger.compliance import deadlines as calc
from ledger.domain.history import project_on
from ledger.domain.rows import DonationRow, FundraisingResultRow
from ledger.domain.schemas import CHANNELS, DONOR_TYPES, POTS
from ledger.errors import InvariantBroken, LedgerError
from reports import labels as L
from reports.codes import REPORT_NOT_APPLICABLE
from reports.common import (
    PDF_ROWS,
    Orgs,
    ReportDoc,
    ReportRequest,
    breakdown,
    breakdown_view,
    donations_table,
    figure_pairs,
    in_period,
    pdf_view,
    rules_for,
    totals,
)
from reports.disclosures import disclosed_on
from reports.formats import Column, Money, Table
from reports.kinds.project import plan_of, plan_table, project_or_404
from reports.render import Section
from reports.snapshot import Snapshot
from reports.statutory import fundraising_results_table


def build(snap: Snapshot, req: ReportRequest, **_: Any) -> ReportDoc:
    if req.project is None:
        raise InvariantBroken("req.project is missing")
    project = project_or_404(snap, req.project)
    pid, cur = project.project, project.currency
    if project.directed or project.plan_fundraising_start is None or project.plan_fundraising_end is None:
        raise LedgerError(
            REPORT_NOT_APPLICABLE,
            kind="campaign",
            subject=pid,
            detail="it is a directed project: it has no public fundraising campaign",
            detail_zh="该项目为定向募捐项目，没有公开募捐活动",
        )
    orgs = Orgs(snap)
    start, end = date.fromisoformat(project.plan_fundraising_start), date.fromisoformat(project.plan_fundraising_end)
    rs = rules_for(end)
    as_of = snap.at.as_of
    key = "plan_filing_emergency" if project.emergency else "plan_filing"
    filing_due = calc.due_after(rs, key, start)
    # the day the plan was filed: its published_on when recorded with it, else its log date
    filed_on = disclosed_on(project.plan_published_on, project.plan_filed_time) if project.plan_filed_time else None
    if filed_on is not None:
        filing_status = "on_time" if filed_on <= filing_due.due_on else "late"
    else:
        filing_status = "missing" if as_of > filing_due.due_on else "due"
    days_before = (start - filed_on).days if filed_on is not None else None

    donations = [d for d in snap.rows(DonationRow, project=pid) if in_period(d.received_on, start, end)]
    live = [d for d in donations if not d.corrected]
    by_channel = breakdown(
        "receipts_by_channel",
        "按渠道分类的募捐收入",
        "Receipts by channel",
        live,
        lambda d: d.channel,
        "channel",
        key_title=("渠道", "Channel"),
        order=CHANNELS,
    )
    by_donor = breakdown(
        "receipts_by_donor_type",
        "按捐赠人类型分类的募捐收入",
        "Receipts by donor type",
        live,
        lambda d: d.donor_type,
        "donor_type",
        key_title=("捐赠人类型", "Donor type"),
        order=DONOR_TYPES,
    )
    by_pot = breakdown(
        "receipts_by_restriction",
        "定向与非定向募捐收入",
        "Restricted and unrestricted receipts",
        live,
        lambda d: "restricted" if d.restricted else "unrestricted",
        "pot",
        key_title=("资金性质", "Restriction"),
        order=POTS,
    )
    by_month = breakdown(
        "receipts_by_month",
        "按月份的募捐收入",
        "Receipts by month",
        live,
        lambda d: d.received_on[:7],
        None,
        key_title=("月份", "Month"),
    )
    dues = [
        *list(calc.recurring_dues(rs, "campaign_progress_disclosure", start, end)),
        calc.due_after(rs, "campaign_final_disclosure", end),
    ]
    dues_table = Table(
        "campaign_disclosures",
        "募捐情况公开期限",
        "Campaign disclosure deadlines",
        (
            Column("rule", "事项", "Rule"),
            Column("rule_zh", "事项名称", "Rule (zh)"),
            Column("index", "期次", "No.", "int"),
            Column("period_start", "期间开始", "Period start", "date"),
            Column("period_end", "期间结束", "Period end", "date"),
            Column("due_on", "截止日期", "Due on", "date"),
            Column("source", "依据", "Source"),
        ),
        [[d.rule, L.zh("rule", d.rule), d.index, d.period_start, d.period_end, d.due_on, d.source] for d in dues],
    )
    plan = plan_table(project)
    results, over_cap = fundraising_results_table(snap, snap.rows(FundraisingResultRow, project=pid), rs, as_of)
    filing = {
        "rule": key,
        "fundraising_start": start,
        "fundraising_end": end,
        "emergency": project.emergency,
        "due_on": filing_due.due_on,
        "source": filing_due.source,
        "filed_on": filed_on,
        "filed_entry": project.plan_filed_id,
        "days_before_start": days_before,
        "status": filing_status,
        "filing_number": project.plan_filing_number,
        "record_number": project.plan_record_number,
    }
    figures = {
        "project": {
            "project": pid,
            "title_zh": project.title_zh,
            "title_en": project.title_en,
            "currency": cur,
            "fundraiser": project.fundraiser_org,
            "target": Money(project.target_minor, cur),
            "status": project_on(project, end).status,  # as it stood when fundraising ended
        },
        "plan": plan_of(project),
        "filing": filing,
        "receipts": {
            "totals": totals(live),
            "corrected_count": sum(1 for d in donations if d.corrected),
            "running": as_of <= end,
        },
        "disclosure_dues": [d.to_json() for d in dues],
        "results": {"published": len(results.rows), "over_cap": len(over_cap)},
    }
    rule_text = (
        f"紧急情况：应在募捐开始后 {(filing_due.due_on - start).days} 日内（{filing_due.due_on} 前）补办备案。"
        if project.emergency
        else f"应在募捐开始 {(start - filing_due.due_on).days} 日前（{filing_due.due_on} 前）备案。"
    )
    sections = [
        Section(
            "plan",
            "募捐方案 Fundraising plan",
            figures=figure_pairs(
                [
                    ("项目 Project", f"{pid} {project.title_zh}"),
                    ("募集方 Fundraiser", f"{orgs.name(project.fundraiser_org)}（{project.fundraiser_org}）"),
                    ("募捐期间 Fundraising period", f"{start} – {end}"),
                    ("目标 Target", Money(project.target_minor, cur)),
                ]
            ),
            tables=(pdf_view(plan, "field_zh", "value"),),
            row_limit=PDF_ROWS,
        ),
        Section(
            "filing",
            "方案备案（10日规则）Plan filing and the 10-day rule",
            paragraphs=(rule_text, f"依据 Source: {filing_due.source}"),
            figures=figure_pairs(
                [
                    ("备案截止 Due on", filing_due.due_on),
                    ("备案日期 Filed on", filed_on),
                    ("距募捐开始天数 Days before the start", None if days_before is None else str(days_before)),
                    ("结论 Result", f"{L.zh('status', filing_status)} {L.en('status', filing_status)}"),
                    ("备案编号 Filing number", project.plan_filing_number),
                    ("登记机关备案号 Record number", project.plan_record_number),
                ]
            ),
        ),
        Section(
            "receipts",
            "募捐收入 Receipts",
            figures=figure_pairs(
                [(f"募捐收入 Receipts（{c}，{t['count']} 笔）", t["amount"]) for c, t in totals(live).items()]
                or [("募捐收入 Receipts", Money(0, cur))]
            ),
            tables=tuple(breakdown_view(t) for t in (by_channel, by_donor, by_pot, by_month)),
            row_limit=PDF_ROWS,
        ),
        Section(
            "disclosure",
            "募捐情况公开 Campaign disclosures",
            row_limit=PDF_ROWS,
            tables=(pdf_view(dues_table, "rule_zh", "index", "period_start", "period_end", "due_on"),),
            paragraphs=(
                "每笔募捐收入在记录时即在账本公开；下表列出规则集规定的公开期限。Every receipt is public on the log when recorded; the table lists the deadlines of the rule set.",
            ),
        ),
        Section(
            "results",
            "募捐结果 Fundraising results",
            paragraphs=(
                "募捐结束后三个月内公开募得款物、使用情况和募捐成本；成本超出方案上限的须说明。"
                "Within 3 months of the end: receipts, use and fundraising costs against the plan's cap.",
            )
            + (() if results.rows else ("尚未公开募捐结果。No results published yet.",)),
            tables=(
                pdf_view(
                    results,
                    "published_on",
                    "status_zh",
                    "receipts",
                    "used",
                    "fundraising_costs",
                    "cost_cap",
                    "over_cap",
                ),
            ),
        ),
    ]
    tables = [plan, by_channel, by_donor, by_pot, by_month, dues_table, results, donations_table(donations)]
    notes = [
        f"募捐收入为募捐期间（{start} 至 {end}）内收到、未冲销的捐赠。Receipts are live donations received in the fundraising period."
    ]
    if end + timedelta(days=1) > as_of:
        notes.append(f"截至账本日期 {as_of} 募捐尚未结束。The campaign had not ended at the log date.")
    return ReportDoc(
        kind="campaign",
        name=f"campaign-{pid}",
        subject=pid,
        subject_name=project.title_zh,
        title_zh=f"{project.title_zh} 公开募捐活动报告",
        title_en="Public fundraising campaign report",
        period_start=start,
        period_end=end,
        ruleset=rs,
        at=snap.at,
        figures=figures,
        tables=tables,
        sections=sections,
        notes=notes,
    )
