"""Annual work report of an organisation for a year (年度工作报告), in the seven statutory
chapters of :mod:`reports.statutory` (basic information, governance, projects, fundraising,
finances, disclosures, compliance), with the figures below placed under them.

From the log: income (donations to the projects it raises) by source project, channel, donor
type, restriction and kind; allocations to implementers; spending by category, of the money it
raised and of the money it spent itself as an implementer; its projects and public fundraising
campaigns; disclosure timeliness; audit opinions; oversight verdicts; corrections.

From ``financials.reported`` (the figures of its own financial report the log does not hold):
the spending-ratio checks of its legal form and net-asset tier under the rule set in force at
the year's end, with every number that decides them, and a reconciliation of the reported
figures with what the log shows.

Only live entries count in sums (reversed donations, allocations and payments are left out and
counted as corrections); dates are the business dates of the entries (``received_on``,
``allocated_on``, ``paid_on``); verdicts and corrections count by their log date (China time).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from ledger.compliance.ratios import YearCheck, check_org_year
from ledger.domain.history import ImplementerPosition, implementer_positions_on, positions_on, project_begun, project_on
from ledger.domain.rows import (
    AllocationBalanceRow,
    AllocationRow,
    AttestationRow,
    AuditOpinionRow,
    CorrectionRow,
    DisbursementRow,
    DonationRow,
    EntryRow,
    FinancialsRow,
    OrgChangeRow,
    ProgressRow,
    ProjectRow,
)
from ledger.domain.schemas import CATEGORIES, CHANNELS, DONATION_KINDS, DONOR_TYPES, OPEN_VERDICTS, POTS, VERDICTS
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
    in_period,
    pdf_view,
    rules_for,
    totals,
)
from reports.disclosures import annual_reports, china_date, counts, of_project
from reports.formats import Column, Money, Table, percent_from_bp
from reports.render import Section
from reports.snapshot import Snapshot, sorted_by
from reports.statutory import arrange, build_statutory


def financials_by_year(snap: Snapshot, org: str, years: range) -> dict[int, FinancialsRow]:
    out = {}
    for y in years:
        row = snap.get(FinancialsRow, org, y)
        if row is not None and not row.corrected:
            out[y] = row
    return out


def ratio_table(check: YearCheck, name: str = "ratios") -> Table:
    """The deciding numbers of a ratio check, one row per requirement and one for the cap."""
    columns = (
        Column("check", "检查项", "Check"),
        Column("basis_points", "比例要求", "Required ratio", "bp"),
        Column("base", "计算基数", "Base"),
        Column("base_zh", "基数名称", "Base (zh)"),
        Column("base_amount", "基数金额", "Base amount", "money"),
        Column("limit", "应达金额 / 上限", "Required / cap", "money"),
        Column("actual", "实际金额", "Actual", "money"),
        Column("actual_bp", "实际比例", "Actual ratio", "bp"),
        Column("met", "是否达标", "Met", "bool"),
        Column("exempt", "豁免", "Exempt", "bool"),
    )
    rows: list[list[Any]] = []
    r = check.result
    if r is not None:
        cur = check.currency or "CNY"
        for i, req in enumerate(r.spending, 1):
            for base in req.bases:
                decided = base.name == req.decided_by
                rows.append(
                    [
                        f"min_spending_{i}" + ("" if decided else "_alt"),
                        req.basis_points,
                        base.name,
                        L.zh("ratio_base", base.name),
                        Money(base.amount_fen, cur),
                        Money(base.required_fen, cur),
                        Money(req.actual_fen, cur),
                        req.actual_basis_points if decided else None,
                        req.met if decided else None,
                        None,
                    ]
                )
        m = r.management
        rows.append(
            [
                "management_cap",
                m.cap_basis_points,
                "total_spending",
                "费用合计",
                Money(m.total_spending_fen, cur),
                Money(m.cap_fen, cur),
                Money(m.actual_fen, cur),
                m.actual_basis_points,
                m.met,
                m.exempt,
            ]
        )
    return Table(name, "年度支出比例检查", "Spending ratio checks", columns, rows, totals=False)


def ratio_paragraphs(check: YearCheck) -> list[str]:
    if check.result is None:
        return [f"未计算 Not computed: {check.reason_zh} / {check.reason_en}."]
    r = check.result
    verdict = "达标 Passed" if r.passed else "未达标 Failed"
    cur = check.currency or "CNY"

    def g(fen: int) -> str:
        return Money(fen, cur).grouped()

    def yes(met: bool) -> str:
        return "达标 met" if met else "未达标 missed"

    out = [
        f"适用规则 Rule: {r.ruleset} · {L.zh('ratio_rule', r.rule)} · 档次 {L.zh('ratio_tier', r.tier)}（上年末净资产 prior-year-end net assets "
        f"{g(r.prior_year_end_net_assets_fen)}）· 依据 {r.source}。",
        f"结论 Result: {verdict}。",
    ]
    for i, req in enumerate(r.spending, 1):
        bases = "；".join(
            f"{L.zh('ratio_base', b.name)} {g(b.amount_fen)} × {percent_from_bp(req.basis_points)}% = {g(b.required_fen)}"
            for b in req.bases
        )
        shown = "—" if req.actual_basis_points is None else f"{percent_from_bp(req.actual_basis_points)}%"
        out.append(
            f"最低支出 {i} Minimum {i}：{bases}；按较低者 the lower decides（{L.zh('ratio_base', req.decided_by)}）应达 required "
            f"{g(req.required_fen)}，慈善活动支出 actual {g(req.actual_fen)}（{shown}）→ {yes(req.met)}。"
        )
    m = r.management
    shown = "—" if m.actual_basis_points is None else f"{percent_from_bp(m.actual_basis_points)}%"
    out.append(
        f"管理费用上限 Management cap：费用合计 {g(m.total_spending_fen)} × {percent_from_bp(m.cap_basis_points)}% = {g(m.cap_fen)}；"
        f"管理费用 actual {g(m.actual_fen)}（{shown}）→ {yes(m.within_cap)}。"
    )
    if r.management.exempt:
        out.append(
            "管理费用低于豁免标准，不适用管理费用比例上限。Management costs are under the exemption threshold: the cap does not apply."
        )
    if not r.verified:
        out.append(
            "注意：本档次比例未经核实（规则集标注 unverified），结论仅供参考。Note: this tier's figures are marked unverified in the rule set."
        )
    if r.explanation_required:
        out.append("未达标的比例须在年度报告中说明并公开。A missed ratio must be reported and explained publicly.")
    return out


def _balance(b: AllocationBalanceRow | ImplementerPosition | None, currency: str) -> list[Money]:
    if b is None:
        return [Money(0, currency)] * 3
    return [Money(b.allocated_minor, currency), Money(b.disbursed_minor, currency), Money(b.balance_minor, currency)]


def build(snap: Snapshot, req: ReportRequest, **_: Any) -> ReportDoc:
    if not (req.org is not None and req.year is not None):
        raise InvariantBroken("broken: req.org is not None and req.year is not None")
    code, year = req.org, req.year
    orgs = Orgs(snap)
    org = orgs.row(code)
    if org is None:
        raise LedgerError("not_found", what="organisation", what_zh="组织", ref=code)
    start, end = date(year, 1, 1), date(year, 12, 31)
    rs = rules_for(end)
    as_of = snap.at.as_of
    changes = snap.rows(OrgChangeRow, org=code)

    # --- projects as they stood at the year's end (begun by then; closed only if closed by then) --
    raised_now = sorted_by([p for p in snap.rows(ProjectRow, fundraiser_org=code) if project_begun(p, end)], "project")
    raised = [project_on(p, end) for p in raised_now]
    raised_ids = [p.project for p in raised]
    implemented = sorted_by(
        [
            project_on(p, end)
            for p in snap.rows(ProjectRow)
            if p.fundraiser_org != code and code in json.loads(p.implementers_json) and project_begun(p, end)
        ],
        "project",
    )
    implemented_ids = [p.project for p in implemented]

    # --- money (live entries; business dates): of the year, and positions at its end ------------
    all_donations = snap.rows(DonationRow, fundraiser_org=code)
    donations = [d for d in all_donations if in_period(d.received_on, start, end)]
    live_donations = [d for d in donations if not d.corrected]
    all_allocations = snap.rows_in(AllocationRow, "project", raised_ids)
    allocations = [a for a in all_allocations if in_period(a.allocated_on, start, end)]
    live_allocations = [a for a in allocations if not a.corrected]
    raised_spending = snap.rows_in(DisbursementRow, "project", raised_ids)
    spent = {x.id: x for x in raised_spending}
    own_spending = snap.rows(DisbursementRow, implementer=code)
    spent.update({x.id: x for x in own_spending})
    disbursements = [x for x in spent.values() if in_period(x.paid_on, start, end)]
    funds = positions_on(raised, all_donations, all_allocations, raised_spending, end)
    impl_set = set(implemented_ids)
    balances = implementer_positions_on(
        [a for a in snap.rows(AllocationRow, implementer=code) if a.project in impl_set],
        [x for x in own_spending if x.project in impl_set],
        end,
    )
    live_spent = [x for x in disbursements if not x.corrected]
    raised_set = set(raised_ids)
    spent_raised = [x for x in live_spent if x.project in raised_set]
    spent_own = [x for x in live_spent if x.implementer == code]

    income_totals = totals(live_donations)
    in_kind = totals([d for d in live_donations if d.kind == "in_kind"])
    restricted = totals([d for d in live_donations if d.restricted])
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
    by_pot = breakdown(
        "income_by_restriction",
        "定向与非定向收入",
        "Restricted and unrestricted income",
        live_donations,
        lambda d: "restricted" if d.restricted else "unrestricted",
        "pot",
        key_title=("资金性质", "Restriction"),
        order=POTS,
    )
    by_kind = breakdown(
        "income_by_kind",
        "资金与物资捐赠",
        "Money and in-kind gifts",
        live_donations,
        lambda d: d.kind,
        "kind",
        key_title=("形式", "Kind"),
        order=DONATION_KINDS,
    )
    by_project = breakdown(
        "income_by_project",
        "按项目（来源）分类的收入",
        "Income by project (source)",
        live_donations,
        lambda d: d.project,
        None,
        key_title=("项目", "Project"),
    )
    alloc_by_impl = breakdown(
        "allocations_by_implementer",
        "按执行方分类的拨付",
        "Allocations by implementer",
        live_allocations,
        lambda a: a.implementer,
        None,
        key_title=("执行方", "Implementer"),
    )
    spend_raised = breakdown(
        "spending_raised",
        "所募资金的支出（按类别）",
        "Spending of the funds it raised, by category",
        spent_raised,
        lambda x: x.category,
        "category",
        key_title=("类别", "Category"),
        order=CATEGORIES,
    )
    spend_own = breakdown(
        "spending_own",
        "作为执行方的支出（按类别）",
        "Its own spending as an implementer, by category",
        spent_own,
        lambda x: x.category,
        "category",
        key_title=("类别", "Category"),
        order=CATEGORIES,
    )

    # --- reported figures and the ratio checks ---------------------------------------------------
    figures_by_year = financials_by_year(snap, code, range(year - 3, year + 1))
    org_check = check_org_year(org, changes, figures_by_year, year, rules=rs)  # the site calls it too
    check = org_check.check
    held = org_check.org  # the organisation's facts at the year's end
    fin_columns = (
        Column("year", "年度", "Year", "year"),
        Column("currency", "币种", "Currency"),
        Column("total_income", "收入合计", "Total income", "money"),
        Column("charitable_spending", "慈善活动支出", "Charitable spending", "money"),
        Column("management_costs", "管理费用", "Management costs", "money"),
        Column("fundraising_costs", "筹资费用", "Fundraising costs", "money"),
        Column("total_spending", "费用合计", "Total spending", "money"),
        Column("net_assets", "年末净资产", "Year-end net assets", "money"),
        Column("recorded_on", "报送日期", "Recorded on", "date"),
        Column("entry", "条目哈希", "Entry (leaf hash)"),
        Column("audit_report_sha256", "审计报告哈希", "Audit report SHA-256"),
    )
    fin_table = Table(
        "financials",
        "报送的年度财务数据",
        "Reported annual figures",
        fin_columns,
        [
            [
                f.year,
                f.currency,
                Money(f.total_income_minor, f.currency),
                Money(f.charitable_spending_minor, f.currency),
                Money(f.management_costs_minor, f.currency),
                Money(f.fundraising_costs_minor, f.currency),
                Money(f.total_spending_minor, f.currency),
                Money(f.net_assets_minor, f.currency),
                china_date(f.time),
                f.id,
                f.audit_report_sha256,
            ]
            for y, f in sorted(figures_by_year.items())
        ],
    )
    ratios = ratio_table(check)
    this_year = figures_by_year.get(year)
    recon_rows: list[list[Any]] = []
    if this_year is not None:
        cur = this_year.currency

        def log_sum(rows: list[Any]) -> int:
            return sum(r.amount_minor for r in rows if r.currency == cur)

        for key, zh, en, reported, logged in (
            ("income", "收入", "Income", this_year.total_income_minor, log_sum(live_donations)),
            (
                "charitable_spending",
                "慈善活动支出",
                "Charitable spending",
                this_year.charitable_spending_minor,
                log_sum([x for x in spent_raised if x.category == "program"]),
            ),
            (
                "management_costs",
                "管理费用",
                "Management costs",
                this_year.management_costs_minor,
                log_sum([x for x in spent_raised if x.category == "admin"]),
            ),
            (
                "fundraising_costs",
                "筹资费用",
                "Fundraising costs",
                this_year.fundraising_costs_minor,
                log_sum([x for x in spent_raised if x.category == "fundraising_cost"]),
            ),
        ):
            recon_rows.append(
                [
                    key,
                    zh,
                    en,
                    cur,
                    Money(reported, cur),
                    Money(logged, cur),
                    None if reported <= 0 else logged * 10_000 // reported,
                ]
            )
    recon = Table(
        "reconciliation",
        "报送数据与账本记录对照",
        "Reported figures and the log",
        (
            Column("item", "项目", "Item"),
            Column("item_zh", "名称", "Item (zh)"),
            Column("item_en", "名称（英文）", "Item (en)"),
            Column("currency", "币种", "Currency"),
            Column("reported", "报送金额", "Reported", "money"),
            Column("on_log", "账本记录金额", "On the log", "money"),
            Column("on_log_bp", "账本占比", "Share on the log", "bp"),
        ),
        recon_rows,
        totals=False,  # different items side by side: they do not add up
    )

    # --- projects and campaigns -------------------------------------------------------------------
    def year_sum(rows: list[Any], project: str) -> int:
        return sum(r.amount_minor for r in rows if r.project == project)

    proj_table = Table(
        "projects",
        "本组织募集的项目",
        "Projects it raises funds for",
        (
            Column("project", "项目", "Project"),
            Column("title_zh", "名称", "Title"),
            Column("directed", "定向募捐", "Directed", "bool"),
            Column("status", "状态", "Status"),
            Column("start_date", "开始日期", "Start", "date"),
            Column("end_date", "结束日期", "End", "date"),
            Column("currency", "币种", "Currency"),
            Column("target", "目标金额", "Target", "money"),
            Column("raised_in_year", "本年募集", "Raised in the year", "money"),
            Column("spent_in_year", "本年支出", "Spent in the year", "money"),
            Column("raised", "年末累计募集", "Raised by the year's end", "money"),
            Column("allocated", "年末累计拨付", "Allocated by the year's end", "money"),
            Column("disbursed", "年末累计支出", "Disbursed by the year's end", "money"),
            Column("balance", "年末结余", "Balance at the year's end", "money"),
        ),
        [
            [
                p.project,
                p.title_zh,
                p.directed,
                p.status,
                date.fromisoformat(p.start_date),
                date.fromisoformat(p.end_date),
                p.currency,
                Money(p.target_minor, p.currency),
                Money(year_sum(live_donations, p.project), p.currency),
                Money(year_sum(spent_raised, p.project), p.currency),
                Money(funds[p.project].raised_minor, p.currency),
                Money(funds[p.project].allocated_minor, p.currency),
                Money(funds[p.project].disbursed_minor, p.currency),
                Money(funds[p.project].balance_minor, p.currency),
            ]
            for p in raised
        ],
    )
    impl_table = Table(
        "implemented",
        "本组织执行的其他组织项目",
        "Projects of others it implements",
        (
            Column("project", "项目", "Project"),
            Column("title_zh", "名称", "Title"),
            Column("fundraiser", "募集方", "Fundraiser"),
            Column("currency", "币种", "Currency"),
            Column("received", "年末累计收到拨付", "Allocated to it by the year's end", "money"),
            Column("disbursed", "年末累计支出", "Disbursed by it by the year's end", "money"),
            Column("balance", "年末结余", "Balance at the year's end", "money"),
        ),
        [
            [
                p.project,
                p.title_zh,
                p.fundraiser_org,
                p.currency,
                *_balance(balances.get((p.project, code)), p.currency),
            ]
            for p in implemented
        ],
    )
    progress = {}
    for row in snap.rows_in(ProgressRow, "project", raised_ids):
        progress.setdefault(row.project, []).append(row)
    campaigns = [p for p in raised if not p.directed and p.plan_fundraising_start]
    per_project = {p.project: of_project(snap, p, rs, as_of, progress.get(p.project, [])) for p in raised_now}
    camp_rows = []
    for p in campaigns:
        plan = next((d for d in per_project[p.project] if d.rule.startswith("plan_filing")), None)
        camp_rows.append(
            [
                p.project,
                p.title_zh,
                date.fromisoformat(p.plan_fundraising_start),
                date.fromisoformat(p.plan_fundraising_end),
                p.emergency,
                plan.due_on if plan else None,
                plan.done_on if plan else None,
                plan.status if plan else None,
                p.plan_record_number,
                Money(year_sum(live_donations, p.project), p.currency),
            ]
        )
    camp_table = Table(
        "campaigns",
        "公开募捐活动",
        "Public fundraising campaigns",
        (
            Column("project", "项目", "Project"),
            Column("title_zh", "名称", "Title"),
            Column("fundraising_start", "募捐开始", "Fundraising start", "date"),
            Column("fundraising_end", "募捐结束", "Fundraising end", "date"),
            Column("emergency", "紧急", "Emergency", "bool"),
            Column("filing_due", "备案截止", "Filing due", "date"),
            Column("filed_on", "备案日期", "Filed on", "date"),
            Column("filing_status", "备案状态", "Filing status"),
            Column("record_number", "备案编号", "Record number"),
            Column("raised_in_year", "本年募集", "Raised in the year", "money"),
        ),
        camp_rows,
    )

    # --- disclosure timeliness ---------------------------------------------------------------------
    due_in_year = [d for p in raised for d in per_project[p.project] if start <= d.due_on <= end]
    owed = annual_reports(snap, org, rs, as_of)  # none due before the log began
    annual_dues = [owed[y] for y in (year - 1, year) if y in owed]
    disclosures = sorted(due_in_year + annual_dues, key=lambda d: (d.due_on, d.subject, d.rule, d.index or 0))
    disc_table = disclosures_table(disclosures)
    disc_counts = counts(disclosures)

    # --- audit, oversight, corrections ------------------------------------------------------------
    audits = sorted_by(snap.rows(AuditOpinionRow, org=code), "year", "seq")
    audit_table = Table(
        "audit",
        "审计意见",
        "Audit opinions",
        (
            Column("year", "年度", "Year", "year"),
            Column("opinion", "意见类型", "Opinion"),
            Column("opinion_zh", "意见（中文）", "Opinion (zh)"),
            Column("auditor", "审计机构", "Auditor"),
            Column("recorded_on", "记录日期", "Recorded on", "date"),
            Column("report_sha256", "审计报告哈希", "Audit report SHA-256"),
            Column("entry", "条目哈希", "Entry (leaf hash)"),
            Column("withdrawn", "已撤回", "Withdrawn", "bool"),
        ),
        [
            [
                a.year,
                a.opinion,
                L.zh("opinion", a.opinion),
                a.auditor_org,
                china_date(a.time),
                a.report_sha256,
                a.id,
                a.corrected,
            ]
            for a in audits
        ],
    )
    related = set(raised_ids) | set(implemented_ids)
    attestations = {a.id: a for a in snap.rows_in(AttestationRow, "project", sorted(related))}
    for a in snap.rows(AttestationRow, project=None):
        target = snap.get(EntryRow, a.target)
        if target is not None and target.signer_org == code:
            attestations[a.id] = a
    verdicts_in_year = [a for a in attestations.values() if in_period(china_date(a.time).isoformat(), start, end)]
    over_table = attestations_table(verdicts_in_year)
    verdict_counts = {v: sum(1 for a in verdicts_in_year if a.verdict == v and not a.corrected) for v in VERDICTS}
    open_entries = sorted(
        (
            e
            for v in OPEN_VERDICTS
            for e in snap.rows(EntryRow, last_verdict=v)
            if e.signer_org == code or e.project in related
        ),
        key=lambda e: e.seq,
    )
    open_table = Table(
        "open_findings",
        "未解决的质询和问题标记",
        "Open queries and flags",
        (
            Column("seq", "序号", "Seq", "int"),
            Column("entry", "条目哈希", "Entry (leaf hash)"),
            Column("type", "条目类型", "Type"),
            Column("project", "项目", "Project"),
            Column("verdict", "最新意见", "Latest verdict"),
            Column("verdict_entry", "意见条目", "Verdict entry (leaf hash)"),
        ),
        [[e.seq, e.id, e.type, e.project, e.last_verdict, e.last_verdict_by] for e in open_entries],
    )
    corrections = [
        c for c in snap.rows(CorrectionRow, signer_org=code) if in_period(china_date(c.time).isoformat(), start, end)
    ]

    # --- the document -----------------------------------------------------------------------------
    name_zh = held.name_zh if held is not None else org.name_zh
    facts: Any = held if held is not None else org
    organisation = {
        "org": org.org,
        "name_zh": facts.name_zh,
        "name_en": facts.name_en,
        "legal_form": facts.legal_form,
        "track": facts.track,
        "public_fundraising": facts.public_fundraising,
        "status": facts.status,
        "registered_on": org.registered_on,
        "as_of": end.isoformat(),  # the facts held at the year's end (effective dates)
        "since": held.since if held is not None else {},
    }
    figures = {
        "organisation": organisation,
        "year": year,
        "year_complete": as_of > end,
        "income": {
            "totals": income_totals,
            "restricted": restricted,
            "in_kind": in_kind,
            "corrected_count": sum(1 for d in donations if d.corrected),
        },
        "allocations": {
            "totals": totals(live_allocations),
            "corrected_count": sum(1 for a in allocations if a.corrected),
        },
        "spending": {
            "raised_funds": totals(spent_raised),
            "as_implementer": totals(spent_own),
            "corrected_count": sum(1 for x in disbursements if x.corrected),
        },
        "financials": {str(y): {"entry": f.id, "currency": f.currency} for y, f in sorted(figures_by_year.items())},
        "ratios": org_check.to_json(),
        "projects": {
            "raised": len(raised),
            "implemented": len(implemented),
            "campaigns": len(campaigns),
            "open": sum(1 for p in raised if not p.closed),
        },
        "disclosures": {"counts": disc_counts, "annual_report": [d.to_json() for d in annual_dues]},
        "audit": {
            "opinions": len(audits),
            "this_year": [a.opinion for a in audits if a.year == year and not a.corrected],
        },
        "oversight": {"verdicts_in_year": verdict_counts, "open_findings": len(open_entries)},
        "corrections_in_year": len(corrections),
    }

    def money_lines(block: dict[str, dict[str, Any]], zh: str, en: str) -> list[tuple[str, Any]]:
        if not block:
            return [(f"{zh} {en}", Money(0, "CNY"))]
        return [(f"{zh} {en}（{cur}，{t['count']} 笔）", t["amount"]) for cur, t in block.items()]

    tables = [
        by_channel,
        by_donor,
        by_pot,
        by_kind,
        by_project,
        alloc_by_impl,
        spend_raised,
        spend_own,
        fin_table,
        ratios,
        recon,
        proj_table,
        impl_table,
        camp_table,
        disc_table,
        audit_table,
        over_table,
        open_table,
        donations_table(donations),
        allocations_table(allocations),
        disbursements_table(disbursements),
    ]
    breaches = [d for d in disclosures if d.status in ("late", "missing")]
    bv = breakdown_view
    sections = [
        Section(
            "organisation",
            "组织概况 Organisation",
            figures=figure_pairs(
                [
                    ("统一社会信用代码 Code", org.org),
                    ("名称 Name", f"{facts.name_zh} {facts.name_en or ''}".strip()),
                    ("组织形式 Legal form", L.both("legal_form", facts.legal_form)),
                    (
                        f"公开募捐资格（{end} 时）Public fundraising at the year's end",
                        "有 Yes" if facts.public_fundraising else "无 No",
                    ),
                    ("状态 Status", facts.status),
                    ("报告年度 Year", str(year)),
                ]
            ),
            paragraphs=()
            if as_of > end
            else (
                f"截至账本日期 {as_of} 本年度尚未结束，数据为截至该日的数据。The year had not ended at the log date {as_of}.",
            ),
        ),
        Section(
            "income",
            "收入 Income",
            figures=figure_pairs(
                money_lines(income_totals, "捐赠收入", "Donations")
                + money_lines(restricted, "其中定向", "of which restricted")
                + money_lines(in_kind, "其中物资", "of which in kind")
            ),
            tables=(bv(by_channel), bv(by_donor), bv(by_pot), bv(by_kind), bv(by_project)),
            row_limit=PDF_ROWS,
        ),
        Section(
            "allocations",
            "拨付 Allocations",
            figures=figure_pairs(money_lines(totals(live_allocations), "拨付合计", "Allocated")),
            tables=(bv(alloc_by_impl),),
            row_limit=PDF_ROWS,
        ),
        Section(
            "spending",
            "支出 Spending",
            figures=figure_pairs(
                money_lines(totals(spent_raised), "所募资金支出", "Spent from funds raised")
                + money_lines(totals(spent_own), "作为执行方的支出", "Spent as implementer")
            ),
            tables=(bv(spend_raised), bv(spend_own)),
            row_limit=PDF_ROWS,
        ),
        Section(
            "ratios",
            "年度支出与管理费用比例 Spending ratios",
            paragraphs=tuple(ratio_paragraphs(check)),
            tables=(
                pdf_view(
                    fin_table,
                    "year",
                    "total_income",
                    "charitable_spending",
                    "management_costs",
                    "fundraising_costs",
                    "total_spending",
                    "net_assets",
                    "recorded_on",
                ),
                pdf_view(recon, "item_zh", "item_en", "reported", "on_log", "on_log_bp"),
            ),
            row_limit=PDF_ROWS,
        ),
        Section(
            "projects",
            "项目与募捐活动 Projects and campaigns",
            tables=(
                pdf_view(
                    proj_table,
                    "project",
                    "title_zh",
                    "status",
                    "raised_in_year",
                    "spent_in_year",
                    "raised",
                    "disbursed",
                    "balance",
                ),
                pdf_view(impl_table, "project", "title_zh", "received", "disbursed", "balance"),
                pdf_view(
                    camp_table,
                    "project",
                    "fundraising_start",
                    "fundraising_end",
                    "filing_due",
                    "filed_on",
                    "filing_status",
                    "raised_in_year",
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
            paragraphs=(
                f"逾期或逾期完成 {len(breaches)} 项；明细见下表及 CSV/XLSX。{len(breaches)} late or overdue; details below and in the CSV/XLSX.",
            ),
            tables=(pdf_view(disc_table, "subject", "rule_zh", "index", "due_on", "status", "done_on", "recorded_on"),),
            row_limit=PDF_ROWS,
        ),
        Section(
            "audit",
            "审计意见 Audit opinions",
            tables=(pdf_view(audit_table, "year", "opinion_zh", "auditor", "recorded_on", "withdrawn"),),
            row_limit=PDF_ROWS,
        ),
        Section(
            "oversight",
            "监督意见 Oversight findings",
            figures=figure_pairs(
                [(f"{L.zh('verdict', v)} {L.en('verdict', v)}", str(n)) for v, n in verdict_counts.items()]
                + [
                    ("未解决 Open queries and flags", str(len(open_entries))),
                    ("本年更正 Corrections in the year", str(len(corrections))),
                ]
            ),
            tables=(
                pdf_view(over_table, "recorded_on", "verdict", "target_type", "project", "findings"),
                pdf_view(open_table, "seq", "type", "project", "verdict"),
            ),
            row_limit=PDF_ROWS,
        ),
    ]
    # --- the statutory chapters of the work report (issue 13) ---------------------------------------
    statutory = build_statutory(
        snap, org, year, rs, as_of, ratios_passed=check.result.passed if check.result is not None else None
    )
    sections = arrange(sections, statutory)
    tables.extend(statutory.tables)
    figures["statutory"] = statutory.figures
    notes = [
        "收入、拨付、支出按条目的业务日期计入年度，已冲销的条目不计入合计。Sums count live entries by their business dates; reversed entries are left out.",
        f"项目、募捐活动、组织信息及结余均为 {end} 日终的状态（按业务日期和生效日期），此后记录的条目不改变本报告的数字；信息公开及时性按账本日期 {as_of} 判断。"
        f"Projects, campaigns, the organisation's facts and balances are as they stood at the end of {end} (business and effective dates): later entries do not change these figures; disclosure timeliness is judged at the log date {as_of}.",
        "比例检查使用组织报送的年度财务数据（financials.reported）；账本只记录项目资金，对照表显示两者差异。The ratio checks use the figures the organisation reported; the log holds project funds only.",
        f"规则集 {rs.ref}（{rs.effective_from} 起施行）适用于本年度末。Rule set {rs.ref} in force at the end of the year.",
    ]
    return ReportDoc(
        kind="annual",
        name=f"annual-{code}-{year}",
        subject=code,
        subject_name=name_zh,
        title_zh=f"{name_zh} {year} 年度工作报告",
        title_en=f"Annual work report {year}",
        period_start=start,
        period_end=end,
        ruleset=rs,
        at=snap.at,
        figures=figures,
        tables=tables,
        sections=sections,
        notes=notes,
    )
