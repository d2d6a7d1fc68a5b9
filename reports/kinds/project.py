"""Project disclosure report (项目信息公开报告): plan, money raised, allocated, disbursed and
left, progress reports and whether each came within the 3-month rule, closing and surplus.

The fund figures are the project fund's projection (``p_fund``: every live entry to the log
state); breakdowns and detail lines come from the entries themselves. Progress reports are
matched to the periods of the rule set's ``progress_disclosure`` by ``ledger.services.oversight``
(:mod:`reports.disclosures`).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from ledger.domain.rows import (
    AllocationBalanceRow,
    AllocationRow,
    AttestationRow,
    DisbursementRow,
    DonationRow,
    EntryRow,
    FundRow,
    ProgressRow,
    ProjectRow,
)
from ledger.domain.schemas import CATEGORIES, CHANNELS, DONOR_TYPES, OPEN_VERDICTS, VERDICTS
from ledger.errors import InvariantBroken, LedgerError
from reports import labels as L
from reports.common import (
    PDF_ROWS,
    Orgs,
    ReportDoc,
    ReportRequest,
    allocations_table,
    attestations_table,
    breakdown,
    breakdown_view,
    disbursements_table,
    disclosures_table,
    donations_table,
    figure_pairs,
    pdf_view,
    rules_for,
)
from reports.disclosures import china_date, counts, of_project
from reports.formats import Column, Money, Table
from reports.render import Section
from reports.snapshot import Snapshot

PLAN_FIELDS = (
    ("purpose", "募捐目的", "Purpose"),
    ("fundraising_start", "募捐开始日期", "Fundraising start"),
    ("fundraising_end", "募捐结束日期", "Fundraising end"),
    ("area", "活动地域", "Area"),
    ("responsible_person", "负责人", "Responsible person"),
    ("office_address", "办公地址", "Office address"),
    ("receiving_methods", "接受捐赠方式", "How donations are received"),
    ("bank_account", "银行账户", "Bank account"),
    ("beneficiaries", "受益人", "Beneficiaries"),
    ("use_of_funds", "募得款物用途", "Use of funds"),
    ("fundraising_cost", "募捐成本", "Fundraising cost"),
    ("surplus_handling", "剩余财产处理", "Surplus handling"),
)


def project_or_404(snap: Snapshot, project_id: str) -> ProjectRow:
    project = snap.get(ProjectRow, project_id)
    if project is None:
        raise LedgerError("not_found", what="project", what_zh="项目", ref=project_id)
    return project


def plan_of(project: ProjectRow) -> dict[str, Any] | None:
    if project.plan_fundraising_start is None:
        return None
    return {key: getattr(project, f"plan_{key}") for key, _, _ in PLAN_FIELDS}


def plan_table(project: ProjectRow) -> Table:
    plan = plan_of(project) or {}
    return Table(
        "plan",
        "募捐方案（《慈善法》第二十四条）",
        "Fundraising plan (Charity Law art. 24)",
        (
            Column("field", "字段", "Field"),
            Column("field_zh", "名称", "Field (zh)"),
            Column("field_en", "名称（英文）", "Field (en)"),
            Column("value", "内容", "Value"),
        ),
        [[key, zh, en, plan.get(key)] for key, zh, en in PLAN_FIELDS] if plan else [],
    )


def build(snap: Snapshot, req: ReportRequest, **_: Any) -> ReportDoc:
    if req.project is None:
        raise InvariantBroken("req.project is missing")
    project = project_or_404(snap, req.project)
    pid, cur = project.project, project.currency
    orgs = Orgs(snap)
    start, end = date.fromisoformat(project.start_date), date.fromisoformat(project.end_date)
    rs = rules_for(end)
    as_of = snap.at.as_of
    fund = snap.get(FundRow, pid)
    if fund is None:
        raise InvariantBroken("fund is missing")
    implementers = json.loads(project.implementers_json)
    overseers = json.loads(project.overseers_json)

    donations = snap.rows(DonationRow, project=pid)
    live_donations = [d for d in donations if not d.corrected]
    allocations = snap.rows(AllocationRow, project=pid)
    disbursements = snap.rows(DisbursementRow, project=pid)
    live_disbursements = [x for x in disbursements if not x.corrected]
    progress = sorted(snap.rows(ProgressRow, project=pid), key=lambda p: p.seq)
    closed_entry = snap.get(EntryRow, project.closed_id) if project.closed_id else None
    items = of_project(snap, project, rs, as_of, progress)
    met_by = {d.entry: d for d in items if d.entry is not None and d.rule == "progress_disclosure"}

    balances = sorted(snap.rows(AllocationBalanceRow, project=pid), key=lambda b: b.implementer)
    balance_table = Table(
        "implementers",
        "执行方资金",
        "Funds by implementer",
        (
            Column("implementer", "执行方", "Implementer"),
            Column("name_zh", "名称", "Name"),
            Column("allocated", "收到拨付", "Allocated", "money"),
            Column("disbursed", "已支出", "Disbursed", "money"),
            Column("balance", "结余", "Balance", "money"),
        ),
        [
            [
                b.implementer,
                orgs.name(b.implementer),
                Money(b.allocated_minor, cur),
                Money(b.disbursed_minor, cur),
                Money(b.balance_minor, cur),
            ]
            for b in balances
        ],
    )
    by_channel = breakdown(
        "income_by_channel",
        "按渠道分类的收入",
        "Income by channel",
        live_donations,
        lambda d: d.channel,
        "channel",
        key_title=("渠道", "Channel"),
        order=CHANNELS,
    )
    by_donor = breakdown(
        "income_by_donor_type",
        "按捐赠人类型分类的收入",
        "Income by donor type",
        live_donations,
        lambda d: d.donor_type,
        "donor_type",
        key_title=("捐赠人类型", "Donor type"),
        order=DONOR_TYPES,
    )
    by_category = breakdown(
        "spending_by_category",
        "按类别分类的支出",
        "Spending by category",
        live_disbursements,
        lambda x: x.category,
        "category",
        key_title=("类别", "Category"),
        order=CATEGORIES,
    )
    prog_table = Table(
        "progress",
        "进展报告及其及时性",
        "Progress reports and the 3-month rule",
        (
            Column("seq", "序号", "Seq", "int"),
            Column("entry", "条目哈希", "Entry (leaf hash)"),
            Column("recorded_on", "记录日期", "Recorded on", "date"),
            Column("period_start", "期间开始", "Period start", "date"),
            Column("period_end", "期间结束", "Period end", "date"),
            Column("beneficiaries", "受益人数", "Beneficiaries", "int"),
            Column("evidence", "凭证数", "Evidence files", "int"),
            Column("withdrawn", "已撤回", "Withdrawn", "bool"),
            Column("meets", "对应公开期次", "Meets disclosure no.", "int"),
            Column("due_on", "该期截止", "Due on", "date"),
            Column("on_time", "按时", "On time", "bool"),
            Column("summary", "摘要", "Summary"),
        ),
        [
            [
                p.seq,
                p.id,
                china_date(p.time),
                date.fromisoformat(p.period_start),
                date.fromisoformat(p.period_end),
                p.beneficiaries,
                len(json.loads(p.evidence_json)),
                p.corrected,
                *(
                    (met_by[p.id].index, met_by[p.id].due_on, met_by[p.id].status == "on_time")
                    if p.id in met_by
                    else (None, None, None)
                ),
                p.summary,
            ]
            for p in progress
        ],
    )
    disc_table = disclosures_table(items)
    disc_counts = counts(items)
    attestations = snap.rows(AttestationRow, project=pid)
    over_table = attestations_table(attestations)
    verdicts = {v: sum(1 for a in attestations if a.verdict == v and not a.corrected) for v in VERDICTS}
    open_findings = sorted(
        (e for v in OPEN_VERDICTS for e in snap.rows(EntryRow, project=pid, last_verdict=v)),
        key=lambda e: e.seq,
    )
    plan = plan_table(project)

    surplus_item = next((d for d in items if d.rule == "surplus_disclosure"), None)
    final_item = next((d for d in items if d.rule == "final_disclosure"), None)
    closing = None
    if project.closed:
        closing = {
            "closed_on": project.closed_on,
            "entry": project.closed_id,
            "recorded_on": china_date(closed_entry.time) if closed_entry else None,
            "summary": project.close_summary,
            "surplus": Money(project.surplus_minor or 0, cur),
            "surplus_handling": project.surplus_handling,
            "surplus_note": project.surplus_note,
            "surplus_disclosure": surplus_item.to_json() if surplus_item else None,
        }
    figures = {
        "project": {
            "project": pid,
            "title_zh": project.title_zh,
            "title_en": project.title_en,
            "field": project.field,
            "region": project.region,
            "start_date": project.start_date,
            "end_date": project.end_date,
            "currency": cur,
            "target": Money(project.target_minor, cur),
            "directed": project.directed,
            "emergency": project.emergency,
            "fundraiser": project.fundraiser_org,
            "implementers": implementers,
            "overseers": overseers,
            "status": project.status,
            "registered_entry": project.registered_id,
        },
        "plan": None
        if plan_of(project) is None
        else {
            **plan_of(project),  # type: ignore[dict-item]
            "filed_entry": project.plan_filed_id,
            "filed_on": china_date(project.plan_filed_time) if project.plan_filed_time else None,
            "filing_number": project.plan_filing_number,
            "record_number": project.plan_record_number,
        },
        "funds": {
            "raised": Money(fund.raised_minor, cur),
            "raised_restricted": Money(fund.raised_restricted_minor, cur),
            "raised_unrestricted": Money(fund.raised_unrestricted_minor, cur),
            "raised_in_kind": Money(fund.raised_in_kind_minor, cur),
            "donations": fund.donations_count,
            "allocated": Money(fund.allocated_minor, cur),
            "disbursed": Money(fund.disbursed_minor, cur),
            "disbursed_program": Money(fund.disbursed_program_minor, cur),
            "disbursed_admin": Money(fund.disbursed_admin_minor, cur),
            "disbursed_fundraising_cost": Money(fund.disbursed_fundraising_cost_minor, cur),
            "balance": Money(fund.balance_minor, cur),
            "unallocated": Money(fund.available_restricted_minor + fund.available_unrestricted_minor, cur),
            "with_implementers": Money(sum(b.balance_minor for b in balances), cur),
        },
        "progress": {
            "reports": sum(1 for p in progress if not p.corrected),
            "withdrawn": sum(1 for p in progress if p.corrected),
        },
        "disclosures": {"counts": disc_counts, "final": final_item.to_json() if final_item else None},
        "closing": closing,
        "oversight": {"verdicts": verdicts, "open_findings": len(open_findings)},
        "corrections": sum(1 for rows in (donations, allocations, disbursements) for r in rows if r.corrected),
    }
    f = figures["funds"]
    sections = [
        Section(
            "project",
            "项目概况 Project",
            figures=figure_pairs(
                [
                    ("项目编号 Project", pid),
                    ("名称 Title", f"{project.title_zh} {project.title_en or ''}".strip()),
                    ("募集方 Fundraiser", f"{orgs.name(project.fundraiser_org)}（{project.fundraiser_org}）"),
                    ("执行方 Implementers", "；".join(f"{orgs.name(o)}（{o}）" for o in implementers)),
                    ("监督方 Overseers", "；".join(f"{orgs.name(o)}（{o}）" for o in overseers)),
                    ("期间 Dates", f"{project.start_date} – {project.end_date}"),
                    ("目标 Target", Money(project.target_minor, cur)),
                    ("定向募捐 Directed", "是 Yes" if project.directed else "否 No"),
                    ("状态 Status", project.status),
                ]
            ),
        ),
        Section(
            "plan",
            "募捐方案 Fundraising plan",
            tables=(pdf_view(plan, "field_zh", "value"),) if plan.rows else (),
            paragraphs=()
            if plan.rows
            else ("定向募捐项目，无公开募捐方案。A directed project: no public fundraising plan.",),
            figures=figure_pairs(
                [
                    ("备案日期 Filed on", figures["plan"]["filed_on"]),
                    ("备案编号 Record number", project.plan_record_number),
                ]
            )
            if figures["plan"]
            else (),
        ),
        Section(
            "funds",
            "资金 Funds",
            figures=figure_pairs(
                [
                    ("募集 Raised", f["raised"]),
                    ("其中定向 Restricted", f["raised_restricted"]),
                    ("其中非定向 Unrestricted", f["raised_unrestricted"]),
                    ("其中物资 In kind", f["raised_in_kind"]),
                    ("捐赠笔数 Donations", str(fund.donations_count)),
                    ("拨付 Allocated", f["allocated"]),
                    ("支出 Disbursed", f["disbursed"]),
                    ("结余 Balance", f["balance"]),
                    ("未拨付 Not yet allocated", f["unallocated"]),
                    ("执行方结余 Held by implementers", f["with_implementers"]),
                ]
            ),
            tables=(
                pdf_view(balance_table, "name_zh", "allocated", "disbursed", "balance"),
                breakdown_view(by_channel),
                breakdown_view(by_donor),
                breakdown_view(by_category),
            ),
            row_limit=PDF_ROWS,
        ),
        Section(
            "progress",
            "进展报告 Progress reports",
            tables=(
                pdf_view(
                    prog_table,
                    "recorded_on",
                    "period_start",
                    "period_end",
                    "beneficiaries",
                    "meets",
                    "due_on",
                    "on_time",
                    "summary",
                ),
            ),
            row_limit=PDF_ROWS,
        ),
        Section(
            "disclosures",
            "信息公开及时性 Disclosure timeliness",
            figures=figure_pairs(
                [(f"{L.zh('status', s)} {L.en('status', s)}", str(n)) for s, n in disc_counts.items()]
            ),
            tables=(
                pdf_view(
                    disc_table,
                    "rule_zh",
                    "index",
                    "period_start",
                    "period_end",
                    "due_on",
                    "status",
                    "done_on",
                    "recorded_on",
                ),
            ),
            row_limit=PDF_ROWS,
        ),
        Section(
            "closing",
            "结项与剩余财产 Closing and surplus",
            figures=figure_pairs(
                [
                    ("结项日期 Closed on", project.closed_on),
                    ("结余 Surplus", closing["surplus"]),
                    ("处理方式 Handling", L.both("surplus_handling", project.surplus_handling)),
                    ("说明 Note", project.surplus_note),
                    ("结项说明 Summary", project.close_summary),
                ]
            )
            if closing
            else (),
            paragraphs=() if closing else ("项目尚未结项。The project is not closed.",),
        ),
        Section(
            "oversight",
            "监督意见 Oversight",
            figures=figure_pairs(
                [(f"{L.zh('verdict', v)} {L.en('verdict', v)}", str(n)) for v, n in verdicts.items()]
                + [("未解决 Open queries and flags", str(len(open_findings)))]
            ),
            tables=(pdf_view(over_table, "recorded_on", "verdict", "target_type", "findings"),),
            row_limit=PDF_ROWS,
        ),
    ]
    tables = [
        plan,
        balance_table,
        by_channel,
        by_donor,
        by_category,
        prog_table,
        disc_table,
        over_table,
        donations_table(donations),
        allocations_table(allocations),
        disbursements_table(disbursements),
    ]
    notes = [
        "资金数字为项目资金账（p_fund）截至本报告账本状态的数额；已冲销的条目不计入。Fund figures are the project fund at this log state; reversed entries do not count.",
        "进展报告按规则集的三个月公开周期匹配：每份报告满足最早一个尚未满足、且在其记录日期前已开始的期次。Each progress report meets the oldest open period that began on or before the day it was recorded.",
    ]
    return ReportDoc(
        kind="project",
        name=f"project-{pid}",
        subject=pid,
        subject_name=project.title_zh,
        title_zh=f"{project.title_zh} 项目信息公开报告",
        title_en="Project disclosure report",
        period_start=start,
        period_end=end,
        ruleset=rs,
        at=snap.at,
        figures=figures,
        tables=tables,
        sections=sections,
        notes=notes,
    )
