"""Regulator overview (监管总览): a compliance matrix across every charity of the registry.

One row per charity (foundation, social group, social service organisation) with, for the
reported year: the spending-ratio check, overdue and late disclosures, the annual report, the
audit opinion, open oversight queries and flags, public fundraising plan filings and SEZ
donation filings. One line per breach, each with the leaf hashes of the entries it rests on
(the figures that missed a ratio, the project whose disclosure is overdue, the flagged entry and
the flag), so a reader can look every breach up on the log.

- Ratios, the annual report and the audit are those of ``year`` (default: the last whole year
  before the log date); overdue disclosures are those past due at the log date, whatever the
  year; late ones are those due in ``year``.
- Public-fundraising organisations' financial reports are audited (rule set ``audit``): no live
  ``audit.opinion`` for the year once the annual report is due is a breach.
- An annual report due before the log's first entry is not asked for (as in the overseer's scan).
- SEZ donation filings (``sz.donation_filed``, rule set ``sz-donation`` art. 24-26) and the
  authority's replies (``sz.filing_replied``): the matrix counts a charity's filings made in
  ``year``, those awaiting a reply at the log date and, among them, those whose reply is
  overdue (past 10 days; past 30 no reply counts as approval, the breach says so). Breaches:
  a reply overdue at the log date, a reply made late (after 10 days) in ``year``, and an
  emergency filing made in ``year`` more than 3 months after the donation was accepted, each
  with the filing's (and the reply's) leaf hash. A reply is the authority's to make: its
  breaches are listed on the row of the charity that filed, so the filing can be found.
  Withdrawn filings are left out.

The matrix is sorted by the number of breaches (most first), then by organisation code; the
CSV and XLSX files sort and filter on any column.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date
from typing import Any

from ledger.compliance import deadlines as calc
from ledger.compliance.ratios import YearCheck, check_org_year
from ledger.compliance.rulesets import ruleset
from ledger.domain.history import org_on, project_begun
from ledger.domain.rows import (
    AuditOpinionRow,
    EntryRow,
    FinancialsRow,
    OrgChangeRow,
    OrgRow,
    ProgressRow,
    ProjectRow,
    SzFilingRow,
)
from ledger.domain.schemas import CHARITY_FORMS, OPEN_VERDICTS
from ledger.errors import InvariantBroken
from reports import labels as L
from reports.common import PDF_ROWS, ReportDoc, ReportRequest, figure_pairs, pdf_view, rules_for
from reports.disclosures import Disclosure, annual_reports, of_project
from reports.formats import Column, Money, Table, percent_from_bp
from reports.render import Section
from reports.snapshot import Snapshot
from reports.statutory import BREACH_KINDS as STATUTORY_BREACHES
from reports.statutory import breaches as statutory_breaches

BREACH_KINDS = {
    "ratio_missed": ("年度支出比例未达标", "Spending ratio missed"),
    "disclosure_overdue": ("信息公开逾期未完成", "Disclosure overdue"),
    "disclosure_late": ("信息公开逾期完成", "Disclosure made late"),
    "annual_report_overdue": ("年度报告逾期未报送", "Annual report overdue"),
    "annual_report_late": ("年度报告逾期报送", "Annual report filed late"),
    "audit_missing": ("缺少审计意见", "No audit opinion"),
    "open_flag": ("监督问题标记未解决", "Open oversight flag"),
    "open_query": ("监督质询未解决", "Open oversight query"),
    "sz_reply_overdue": ("特区捐赠备案主管部门逾期未答复", "SEZ filing: authority reply overdue"),
    "sz_reply_late": ("特区捐赠备案主管部门逾期答复", "SEZ filing: authority replied late"),
    "sz_emergency_filing_late": ("特区紧急捐赠逾期备案", "SEZ emergency donation filed late"),
    **STATUTORY_BREACHES,  # issue 13: major events, campaign costs, directed money
}


def _ratio_detail(check: YearCheck) -> tuple[str, str]:
    r = check.result
    if r is None:
        raise InvariantBroken("r is missing")
    en, zh = [], []
    cur = check.currency or "CNY"
    for req in r.spending:
        if not req.met:
            en.append(
                f"charitable spending {Money(req.actual_fen, cur).grouped()} < required {Money(req.required_fen, cur).grouped()} "
                f"({percent_from_bp(req.basis_points)}% of {req.decided_by})"
            )
            zh.append(
                f"慈善活动支出 {Money(req.actual_fen, cur).grouped()} 低于应达 {Money(req.required_fen, cur).grouped()}"
                f"（{L.zh('ratio_base', req.decided_by)}的 {percent_from_bp(req.basis_points)}%）"
            )
    m = r.management
    if not m.met:
        en.append(
            f"management costs {Money(m.actual_fen, cur).grouped()} > cap {Money(m.cap_fen, cur).grouped()} ({percent_from_bp(m.cap_basis_points)}% of total spending)"
        )
        zh.append(
            f"管理费用 {Money(m.actual_fen, cur).grouped()} 超过上限 {Money(m.cap_fen, cur).grouped()}（费用合计的 {percent_from_bp(m.cap_basis_points)}%）"
        )
    return "; ".join(en), "；".join(zh)


def _charities_at(snap: Snapshot, end: date) -> tuple[list[OrgRow], dict[str, OrgRow], dict[str, list[OrgChangeRow]]]:
    """The charities registered by ``end`` with the facts they held that day (legal form,
    qualification, names, status: their history), their current rows and their history. An
    organisation whose registration day is unknown (no ``registered_on``) and that was entered
    on the log after ``end`` is listed with the facts it was registered with."""
    changes: dict[str, list[OrgChangeRow]] = defaultdict(list)
    for c in snap.rows(OrgChangeRow):
        changes[c.org].append(c)
    current = {o.org: o for o in snap.rows(OrgRow)}
    out = []
    for o in current.values():
        held = org_on(changes.get(o.org, []), end, o)
        if held is None and o.registered_on is None:  # registration day unknown: its facts as recorded
            held = org_on([], end, o)
        if held is None or held.legal_form not in CHARITY_FORMS:
            continue
        out.append(
            replace(
                o,
                name_zh=held.name_zh,
                name_en=held.name_en,
                legal_form=held.legal_form,
                track=held.track,
                public_fundraising=held.public_fundraising,
                status=held.status,
            )
        )
    return sorted(out, key=lambda o: o.org), current, changes


def build(snap: Snapshot, req: ReportRequest, **_: Any) -> ReportDoc:
    as_of = snap.at.as_of
    year = req.year if req.year is not None else as_of.year - 1
    start, end = date(year, 1, 1), date(year, 12, 31)
    rs = rules_for(end)
    audited_rule = (
        bool(rs.param("audit", "public_fundraising_financial_report_audited")) if "audit" in rs.parameters else False
    )

    charities, current, changes = _charities_at(snap, end)
    projects: dict[str, list[ProjectRow]] = defaultdict(list)
    for p in snap.rows(ProjectRow):
        if project_begun(p, end):  # a project or campaign begun after the year is not in it
            projects[p.fundraiser_org].append(p)
    project_owner = {p.project: org for org, ps in projects.items() for p in ps}
    progress: dict[str, list[ProgressRow]] = defaultdict(list)
    for g in snap.rows(ProgressRow):
        progress[g.project].append(g)
    figures_of: dict[str, dict[int, FinancialsRow]] = defaultdict(dict)
    for f in snap.rows(FinancialsRow):
        if not f.corrected:
            figures_of[f.org][f.year] = f
    audits: dict[str, dict[int, list[AuditOpinionRow]]] = defaultdict(lambda: defaultdict(list))
    for a in snap.rows(AuditOpinionRow):
        if not a.corrected:
            audits[a.org][a.year].append(a)
    sz_rules = ruleset("sz-donation", end)
    filings: dict[str, list[SzFilingRow]] = defaultdict(list)
    for sf in snap.rows(SzFilingRow):
        if not sf.corrected:
            filings[sf.org].append(sf)
    open_entries: dict[str, list[EntryRow]] = defaultdict(list)
    for v in OPEN_VERDICTS:
        for e in snap.rows(EntryRow, last_verdict=v):
            owner = project_owner.get(e.project) if e.project else None
            open_entries[owner or e.signer_org].append(e)

    matrix: list[list[Any]] = []
    breaches: list[dict[str, Any]] = []
    for org in charities:
        mine: list[dict[str, Any]] = []

        def breach(
            kind: str,
            subject: str,
            entries: list[str | None],
            detail_en: str,
            detail_zh: str,
            due_on: date | None = None,
            rule: str | None = None,
            org: OrgRow = org,
            mine: list = mine,
        ) -> None:
            mine.append(
                {
                    "org": org.org,
                    "name_zh": org.name_zh,
                    "kind": kind,
                    "subject": subject,
                    "rule": rule,
                    "due_on": due_on,
                    "detail_en": detail_en,
                    "detail_zh": detail_zh,
                    "entries": [e for e in entries if e],
                }
            )

        check = check_org_year(
            current[org.org], changes.get(org.org, []), figures_of.get(org.org, {}), year, rules=rs
        ).check
        if check.status == "failed":
            en, zh = _ratio_detail(check)
            breach("ratio_missed", f"{org.org}/{year}", list(check.entries), en, zh)
        items: list[Disclosure] = []
        for p in projects.get(org.org, []):
            items += of_project(snap, p, rs, as_of, progress.get(p.project, []))
        registered = {p.project: p.registered_id for p in projects.get(org.org, [])}  # where a project's deadlines hang
        overdue = [d for d in items if d.status == "missing"]
        late = [d for d in items if d.status == "late" and start <= d.due_on <= end]
        for d in overdue:
            breach(
                "disclosure_overdue",
                d.subject,
                [registered.get(d.subject)],
                f"{L.en('rule', d.rule)} due {d.due_on} not made",
                f"{L.zh('rule', d.rule)}应于 {d.due_on} 前完成，尚未完成",
                d.due_on,
                d.rule,
            )
        for d in late:
            breach(
                "disclosure_late",
                d.subject,
                [d.entry, registered.get(d.subject)],
                f"{L.en('rule', d.rule)} due {d.due_on}, made {d.done_on}",
                f"{L.zh('rule', d.rule)}应于 {d.due_on} 前完成，实际 {d.done_on} 完成",
                d.due_on,
                d.rule,
            )
        annual = annual_reports(snap, org, rs, as_of).get(year)  # None: not owed (before the log, not ended, inactive)
        if annual is not None and annual.status in ("missing", "late"):
            kind = "annual_report_overdue" if annual.status == "missing" else "annual_report_late"
            breach(
                kind,
                annual.subject,
                [annual.entry],
                f"annual report {year} due {annual.due_on}"
                + (f", figures reported {annual.done_on}" if annual.done_on else ", figures not reported"),
                f"{year} 年度报告应于 {annual.due_on} 前报送"
                + (f"，实际 {annual.done_on} 报送" if annual.done_on else "，尚未报送"),
                annual.due_on,
                "annual_report",
            )
        opinions = audits.get(org.org, {}).get(year, [])
        if annual is not None and audited_rule and org.public_fundraising and not opinions and as_of > annual.due_on:
            breach(
                "audit_missing",
                f"{org.org}/{year}",
                [],
                f"no audit opinion on {year} (public fundraising: the financial report is audited)",
                f"无 {year} 年度审计意见（具有公开募捐资格的组织财务报告须经审计）",
                annual.due_on,
                "annual_report",
            )
        flagged = sorted(open_entries.get(org.org, []), key=lambda e: e.seq)
        for e in flagged:
            breach(
                "open_flag" if e.last_verdict == "flagged" else "open_query",
                e.project or e.type,
                [e.id, e.last_verdict_by],
                f"{e.type} #{e.seq} is {e.last_verdict}",
                f"{e.type} 条目 #{e.seq} 的监督意见为{L.zh('verdict', e.last_verdict)}，尚未解决",
            )
        filed_in_year, awaiting, reply_overdue = 0, 0, 0
        for sf in sorted(filings.get(org.org, []), key=lambda f: f.seq):
            filed_on = date.fromisoformat(sf.filed_on)
            normal, latest = calc.sz_reply_dues(sz_rules, filed_on)
            if start <= filed_on <= end:
                filed_in_year += 1
            if sf.replied_on is None:
                awaiting += 1
                if as_of > normal.due_on:
                    reply_overdue += 1
                    deemed = as_of > latest.due_on
                    breach(
                        "sz_reply_overdue",
                        sf.ref,
                        [sf.id],
                        f"filed {sf.filed_on} with {sf.authority}, no reply by {normal.due_on} (10 days)"
                        + (f"; deemed approved after {latest.due_on} (30 days)" if deemed else ""),
                        f"{sf.filed_on} 向 {sf.authority} 备案，{normal.due_on} 前（10 日）未获答复"
                        + (f"；{latest.due_on}（30 日）后视为同意" if deemed else ""),
                        normal.due_on,
                        normal.rule,
                    )
            elif (
                start <= date.fromisoformat(sf.replied_on) <= end and date.fromisoformat(sf.replied_on) > normal.due_on
            ):
                breach(
                    "sz_reply_late",
                    sf.ref,
                    [sf.id, sf.reply_id],
                    f"filed {sf.filed_on}, reply due {normal.due_on}, replied {sf.replied_on} ({sf.decision})",
                    f"{sf.filed_on} 备案，应于 {normal.due_on} 前答复，实际 {sf.replied_on} 答复（{L.zh('sz_decision', sf.decision)}）",
                    normal.due_on,
                    normal.rule,
                )
            if sf.emergency and sf.accepted_on and start <= filed_on <= end:
                due = calc.sz_emergency_filing_due(sz_rules, date.fromisoformat(sf.accepted_on))
                if filed_on > due.due_on:
                    breach(
                        "sz_emergency_filing_late",
                        sf.ref,
                        [sf.id],
                        f"emergency donation accepted {sf.accepted_on}, filing due {due.due_on} (3 months), filed {sf.filed_on}",
                        f"紧急捐赠于 {sf.accepted_on} 接受，应于 {due.due_on} 前（3 个月）备案，实际 {sf.filed_on} 备案",
                        due.due_on,
                        due.rule,
                    )
        for b in statutory_breaches(snap, org.org, year, rs, as_of):
            breach(b.kind, b.subject, list(b.entries), b.detail_en, b.detail_zh, b.due_on, b.rule)
        public = [p for p in projects.get(org.org, []) if not p.directed and p.plan_fundraising_start]
        first = check.result.spending[0] if check.result is not None and check.result.spending else None
        matrix.append(
            [
                org.org,
                org.name_zh,
                org.legal_form,
                org.public_fundraising,
                org.status,
                len(projects.get(org.org, [])),
                check.status,
                first.actual_basis_points if first else None,
                first.basis_points if first else None,
                check.result.management.actual_basis_points if check.result else None,
                check.result.management.cap_basis_points if check.result else None,
                len(overdue),
                len(late),
                annual.status if annual else None,
                annual.done_on if annual else None,
                ", ".join(sorted({a.opinion for a in opinions})) or None,
                len(flagged),
                len(public),
                sum(1 for p in public if p.plan_filed_seq is not None),
                filed_in_year,
                awaiting,
                reply_overdue,
                len(mine),
            ]
        )
        breaches += mine

    matrix.sort(key=lambda r: (-r[-1], r[0]))
    order = {row[0]: i for i, row in enumerate(matrix)}
    breaches.sort(key=lambda b: (order[b["org"]], b["kind"], b["subject"], str(b["due_on"] or "")))
    matrix_table = Table(
        "matrix",
        "合规矩阵",
        "Compliance matrix",
        (
            Column("org", "统一社会信用代码", "Organisation"),
            Column("name_zh", "名称", "Name"),
            Column("legal_form", "组织形式", "Legal form"),
            Column("public_fundraising", "公开募捐资格", "Public fundraising", "bool"),
            Column("status", "状态", "Status"),
            Column("projects", "项目数", "Projects", "int"),
            Column("ratio_status", "支出比例检查", "Ratio check"),
            Column("spending_bp", "慈善活动支出比例", "Spending ratio", "bp"),
            Column("spending_min_bp", "最低要求", "Minimum", "bp"),
            Column("management_bp", "管理费用比例", "Management ratio", "bp"),
            Column("management_cap_bp", "上限", "Cap", "bp"),
            Column("disclosures_overdue", "逾期未公开", "Disclosures overdue", "int"),
            Column("disclosures_late", "本年逾期公开", "Late in the year", "int"),
            Column("annual_report", "年度报告", "Annual report"),
            Column("annual_report_on", "年报报送日期", "Reported on", "date"),
            Column("audit_opinion", "审计意见", "Audit opinion"),
            Column("open_findings", "未解决监督意见", "Open queries and flags", "int"),
            Column("public_projects", "公开募捐项目", "Public fundraising projects", "int"),
            Column("plans_filed", "已备案方案", "Plans filed", "int"),
            Column("sez_filings", "本年特区捐赠备案", "SEZ filings in the year", "int"),
            Column("sez_awaiting_reply", "特区备案待答复", "SEZ filings awaiting a reply", "int"),
            Column("sez_replies_overdue", "特区备案逾期未答复", "SEZ replies overdue", "int"),
            Column("breaches", "问题数", "Breaches", "int"),
        ),
        matrix,
    )
    breach_table = Table(
        "breaches",
        "问题清单",
        "Breaches",
        (
            Column("org", "统一社会信用代码", "Organisation"),
            Column("name_zh", "名称", "Name"),
            Column("kind", "问题类型", "Kind"),
            Column("kind_zh", "问题", "Kind (zh)"),
            Column("subject", "对象", "Subject"),
            Column("rule", "规则", "Rule"),
            Column("due_on", "截止日期", "Due on", "date"),
            Column("detail_zh", "说明", "Detail (zh)"),
            Column("detail_en", "说明（英文）", "Detail (en)"),
            Column("entries", "相关条目（叶哈希）", "Entries (leaf hashes)"),
        ),
        [
            [
                b["org"],
                b["name_zh"],
                b["kind"],
                BREACH_KINDS[b["kind"]][0],
                b["subject"],
                b["rule"],
                b["due_on"],
                b["detail_zh"],
                b["detail_en"],
                " ".join(b["entries"]),
            ]
            for b in breaches
        ],
    )
    by_kind = {k: sum(1 for b in breaches if b["kind"] == k) for k in BREACH_KINDS}
    summary = {
        "organisations": len(charities),
        "with_breaches": sum(1 for r in matrix if r[-1]),
        "ratio": {
            s: sum(1 for r in matrix if r[6] == s) for s in ("passed", "failed", "not_computed", "not_applicable")
        },
        "breaches": by_kind,
        "sez_filings": {
            "filed": sum(r[-4] for r in matrix),
            "awaiting_reply": sum(r[-3] for r in matrix),
            "replies_overdue": sum(r[-2] for r in matrix),
        },
    }
    figures = {"year": year, "as_of": as_of, "summary": summary, "breaches": breaches}
    kind_table = Table(
        "breach_kinds",
        "问题类型统计",
        "Breaches by kind",
        (
            Column("kind", "问题类型", "Kind"),
            Column("kind_zh", "名称", "Kind (zh)"),
            Column("kind_en", "名称（英文）", "Kind (en)"),
            Column("count", "数量", "Count", "int"),
        ),
        [[k, zh, en, by_kind[k]] for k, (zh, en) in BREACH_KINDS.items()],
    )
    sections = [
        Section(
            "summary",
            "概况 Summary",
            figures=figure_pairs(
                [
                    ("报告年度 Year", str(year)),
                    ("账本日期 Log date", as_of.isoformat()),
                    ("慈善组织 Charities", str(len(charities))),
                    ("存在问题的组织 With breaches", str(summary["with_breaches"])),
                    *((f"支出比例 {s}", str(n)) for s, n in summary["ratio"].items()),
                ]
            ),
            tables=(pdf_view(kind_table, "kind_zh", "kind_en", "count"),),
        ),
        Section(
            "matrix",
            "合规矩阵 Compliance matrix",
            row_limit=PDF_ROWS,
            tables=(
                pdf_view(
                    matrix_table,
                    "name_zh",
                    "ratio_status",
                    "disclosures_overdue",
                    "disclosures_late",
                    "annual_report",
                    "audit_opinion",
                    "open_findings",
                    "breaches",
                ),
            ),
            paragraphs=(
                "按问题数从多到少排列；CSV/XLSX 文件可按任意列排序和筛选。Sorted by breaches, most first; the CSV/XLSX files sort on any column.",
            ),
        ),
        Section(
            "breaches",
            "问题清单 Breaches",
            row_limit=PDF_ROWS,
            tables=(pdf_view(breach_table, "name_zh", "kind_zh", "subject", "due_on", "detail_zh", "entries"),),
            paragraphs=(
                "每项问题列出所依据条目的叶哈希，可在账本浏览器中查验。Each breach lists the leaf hashes of its entries.",
            ),
        ),
        Section(
            "sez",
            "特区捐赠备案 SEZ donation filings",
            figures=figure_pairs(
                [
                    ("本年备案 Filed in the year", str(summary["sez_filings"]["filed"])),
                    ("待答复 Awaiting a reply", str(summary["sez_filings"]["awaiting_reply"])),
                    ("逾期未答复 Replies overdue", str(summary["sez_filings"]["replies_overdue"])),
                ]
            ),
            paragraphs=(
                f"深圳经济特区捐赠公益事业条例第 24-26 条（规则集 {sz_rules.ref}）：主管部门应于备案后 10 日内答复，最长 30 日，逾期未答复视为同意；"
                "紧急捐赠可先接受，3 个月内备案。逾期答复计入备案组织所在行，以便查找备案条目。",
                f"SEZ Regulations art. 24-26 (rule set {sz_rules.ref}): the authority replies within 10 days, at most 30 (no reply counts as "
                "approval); emergency donations are filed within 3 months. Overdue replies are listed on the row of the charity that filed.",
            ),
        ),
    ]
    notes = [
        f"支出比例、年度报告与审计按 {year} 年度核查；逾期未公开的事项按账本日期 {as_of} 核查。Ratios, annual report and audit are checked for {year}; overdue disclosures at the log date.",
        f"规则集 {rs.ref}、{sz_rules.ref}。Rule sets {rs.ref}, {sz_rules.ref}.",
    ]
    return ReportDoc(
        kind="overview",
        name=f"overview-{year}",
        subject="registry",
        subject_name="全部慈善组织 All charities",
        title_zh=f"{year} 年度慈善组织合规总览",
        title_en=f"Compliance overview {year}",
        period_start=start,
        period_end=end,
        ruleset=rs,
        at=snap.at,
        figures=figures,
        tables=[matrix_table, breach_table, kind_table],
        sections=sections,
        notes=notes,
    )
