"""What every report kind shares: the request, the built report, money sums, detail tables.

A builder (one module per kind in :mod:`reports.kinds`) turns a :class:`~reports.snapshot.Snapshot`
and a :class:`ReportRequest` into a :class:`ReportDoc`: the figures (JSON values, ``Money`` for
amounts), the tables (every detail line, for CSV/XLSX/JSON), the PDF sections (aggregates and
bounded tables) and notes. :func:`render_report` turns it into files.

The JSON document holds only what the log state determines — no generation time, no host, no
path — so the JSON, CSV and XLSX made from the database and from an export of the same log
state are the same bytes, and their SHA-256 are those recorded in ``report.issued``.
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ledger.compliance.rulesets import RuleSet, ruleset
from ledger.domain.rows import (
    AllocationRow,
    AttestationRow,
    DisbursementRow,
    DonationRow,
    OrgRow,
    ProgressRow,
)
from ledger.errors import LedgerError
from ledger.protocol.canonical import parse_time
from ledger.protocol.grammar import pattern as grammar_pattern
from reports import labels as L
from reports.bundle import bundle_json, bundle_xlsx, csv_name, render_bundle
from reports.codes import REPORT_KIND_UNKNOWN, REPORT_PARAM_INVALID, REPORT_PARAM_MISSING
from reports.disclosures import Disclosure, china_date
from reports.formats import Column, Money, Table, table_csv
from reports.render import IssuedRef, ReportHeader, Section, html_to_pdf, render_html, render_sections_pdf
from reports.snapshot import LogState, Snapshot

FORMAT = "charity-ledger/report/v1"
KINDS = ("annual", "project", "campaign", "overview", "receipt", "verification")
# kinds whose files only a regulator (bearer token with the regulator scope) may request and read
REGULATOR_KINDS = frozenset({"overview"})
PDF_ROWS = 60  # rows of a table shown in a PDF before "see the CSV/XLSX"
# matched in full (fullmatch), ASCII only (ledger.protocol.grammar)
_USCC = grammar_pattern("uscc")
_IDENT = grammar_pattern("project")
DONATION_REF = r"(?:0|[1-9][0-9]{0,17}|[0-9a-f]{64}|D[0-9A-Za-z-]{10,80})"
URL = r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~/-]*)?"
_DONATION = re.compile(DONATION_REF, re.ASCII)
_URL = re.compile(URL, re.ASCII)


# --- the request ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """What a report is about. Plain values only: it travels to workers as JSON."""

    kind: str
    org: str | None = None  # annual
    project: str | None = None  # project, campaign
    year: int | None = None  # annual; overview (default: the last whole year)
    donation: str | None = None  # receipt: seq, leaf hash or receipt code (D<seq>-<salt>-<check>)
    personal: bool = False  # receipt: with the donor's personal data (not recorded in the log)
    site_url: str | None = None  # base URL of the public site for QR codes

    def checked(self) -> ReportRequest:
        """Refuse unknown kinds, missing and malformed parameters (before any work)."""
        if self.kind not in KINDS:
            raise LedgerError(REPORT_KIND_UNKNOWN, kind=self.kind, kinds=", ".join(KINDS))
        need = {"annual": ("org", "year"), "project": ("project",), "campaign": ("project",), "receipt": ("donation",)}
        for name in need.get(self.kind, ()):
            if getattr(self, name) is None:
                raise LedgerError(REPORT_PARAM_MISSING, kind=self.kind, param=f"--{name}")
        if self.org is not None and not _USCC.fullmatch(self.org):
            raise LedgerError(REPORT_PARAM_INVALID, detail=f"{self.org!r} is not an organisation code (18 characters)")
        if self.project is not None and not _IDENT.fullmatch(self.project):
            raise LedgerError(REPORT_PARAM_INVALID, detail=f"{self.project!r} is not a project id")
        if self.year is not None and (
            isinstance(self.year, bool) or not isinstance(self.year, int) or not 1990 <= self.year <= 2200
        ):
            raise LedgerError(REPORT_PARAM_INVALID, detail=f"{self.year!r} is not a year from 1990 to 2200")
        if self.donation is not None and not (
            isinstance(self.donation, str) and _DONATION.fullmatch(self.donation.strip())
        ):
            raise LedgerError(
                REPORT_PARAM_INVALID, detail="a donation is named by its seq, its leaf hash or a receipt code"
            )
        if self.site_url is not None and not _URL.fullmatch(self.site_url):
            raise LedgerError(REPORT_PARAM_INVALID, detail=f"{self.site_url!r} is not an http(s) base URL")
        if self.personal and self.kind != "receipt":
            raise LedgerError(REPORT_PARAM_INVALID, detail="only receipts carry personal data")
        return self

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) not in (None, False)}  # type: ignore[attr-defined]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReportRequest:
        if not isinstance(data, Mapping) or not isinstance(data.get("kind"), str):
            raise LedgerError(REPORT_PARAM_INVALID, detail="a report request is an object with a kind")
        known = set(cls.__slots__)  # type: ignore[attr-defined]
        extra = sorted(set(data) - known)
        if extra:
            raise LedgerError(REPORT_PARAM_INVALID, detail=f"unknown field(s) {', '.join(extra)}")
        for name in ("org", "project", "donation", "site_url"):
            if data.get(name) is not None and not isinstance(data[name], str):
                raise LedgerError(REPORT_PARAM_INVALID, detail=f"{name} must be text")
        if not isinstance(data.get("personal", False), bool):
            raise LedgerError(REPORT_PARAM_INVALID, detail="personal must be true or false")
        return cls(**{k: v for k, v in data.items() if k in known}).checked()


def default_site_url(origin: str) -> str:
    """The public site of a log, when no URL is given: https://<the origin's host>."""
    return "https://" + origin.split("/", 1)[0]


# --- the built report --------------------------------------------------------------------------


@dataclass
class ReportDoc:
    """One report, built and ready to render."""

    kind: str
    name: str  # file stem without the tree size: "annual-<org>-2025"
    subject: str  # report.issued subject: org code, project id, "registry", leaf hash
    subject_name: str
    title_zh: str
    title_en: str
    period_start: date
    period_end: date
    ruleset: RuleSet
    at: LogState
    figures: dict[str, Any]
    tables: list[Table] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    template: str | None = None  # a PDF template of its own (else the generic sections)
    context: dict[str, Any] = field(default_factory=dict)
    record: bool = True  # recorded in the log as report.issued
    variant: str = ""  # "personal" receipts differ from public ones
    org_names: dict[str, str] = field(default_factory=dict)  # credit code -> name, printed beside codes

    @property
    def stem(self) -> str:
        return f"{self.name}-t{self.at.tree_size}"

    @property
    def restricted(self) -> bool:
        return self.kind in REGULATOR_KINDS or self.variant == "personal"

    def idem(self) -> str:
        """The report.issued idem: one entry per kind, subject, period and tree size."""
        text = f"report:{self.kind}:{self.subject}:{self.period_start}:{self.period_end}:{self.at.tree_size}"
        if len(text) <= 128:
            return text
        return f"report:{self.kind}:" + hashlib.sha256(text.encode()).hexdigest()

    def document(self) -> dict[str, Any]:
        """The JSON document (its tables are added by the bundle)."""
        rs = self.ruleset
        return {
            "format": FORMAT,
            "kind": self.kind,
            "title": {"zh": self.title_zh, "en": self.title_en},
            "subject": {"id": self.subject, "name": self.subject_name},
            "period": {"start": self.period_start, "end": self.period_end},
            "rule_set": {
                "ref": rs.ref,
                "title_zh": rs.title_zh,
                "title_en": rs.title_en,
                "effective_from": rs.effective_from,
                "effective_to": rs.effective_to,
            },
            "log": self.at.to_json(),
            "figures": self.figures,
            "notes": self.notes,
        }

    def header(self, issued: IssuedRef | None = None) -> ReportHeader:
        return ReportHeader(
            subject_id=self.subject if len(self.subject) < 64 else "",
            issued=issued,
            title=self.title_zh,
            subtitle=self.title_en,
            subject=self.subject_name,
            period=f"{self.period_start.isoformat()} – {self.period_end.isoformat()}",
            tree_size=self.at.tree_size,
            root=self.at.root,
            ruleset=self.ruleset.ref,
            as_of=self.at.time,
        )


def render_pdf(
    doc: ReportDoc, *, issued: IssuedRef | None = None, attachments: Mapping[str, bytes] | None = None
) -> bytes:
    """The PDF of a report (PDF/A-3b), with ``attachments`` (its data files) inside."""
    header = doc.header(issued)
    if doc.template is not None:
        html = render_html(doc.template, header=header, doc=doc, notes=doc.notes, names=doc.org_names, **doc.context)
        return html_to_pdf(html, attachments=attachments)
    return render_sections_pdf(header, doc.sections, notes=doc.notes, names=doc.org_names, attachments=attachments)


ATTACHED = (".csv", ".json")  # the data files a report's PDF carries inside
ATTACH_ROWS_MAX = 5000  # lines of a table whose CSV a PDF carries; of all tables, for the JSON


def attached_tables(tables: Sequence[Table]) -> list[Table]:
    """The tables whose CSV a report's PDF carries."""
    return [t for t in tables if len(t.rows) <= ATTACH_ROWS_MAX]


def json_attached(tables: Sequence[Table]) -> bool:
    """Whether a report's PDF carries its JSON: when all its tables together have at most
    :data:`ATTACH_ROWS_MAX` lines. A longer report's JSON (tens of MB for 100,000 donations)
    stays beside the PDF, made after it: WeasyPrint's memory and the JSON's never add up."""
    return sum(len(t.rows) for t in tables) <= ATTACH_ROWS_MAX


def attachments(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The data files among ``files`` a report's PDF carries: the JSON and the CSV files."""
    return {name: body for name, body in files.items() if name.endswith(ATTACHED)}


def render_report(
    doc: ReportDoc,
    *,
    pdf: bool = True,
    issued: IssuedRef | None = None,
    sign: Callable[[bytes], bytes] | None = None,
) -> dict[str, bytes]:
    """The report's files by name: PDF (with the JSON and CSV files attached, see
    :func:`attached_tables` and :func:`json_attached`, then signed by ``sign`` when given), CSV
    per table, XLSX, JSON. What the PDF does not carry (the workbook, long tables' CSV, a long
    report's JSON) is made after the PDF, so it never takes memory while WeasyPrint does."""
    title, as_of, document = f"{doc.title_zh} {doc.title_en}", parse_time(doc.at.time), doc.document()
    small, with_json = attached_tables(doc.tables), json_attached(doc.tables)
    files = render_bundle(
        doc.stem, document, tables=doc.tables, title=title, as_of=as_of, xlsx=False, csv_of=small, json=with_json
    )
    if pdf:
        body = render_pdf(doc, issued=issued, attachments=attachments(files))
        files[f"{doc.stem}.pdf"] = sign(body) if sign is not None else body
        del body
        gc.collect()  # WeasyPrint's layout is cyclic garbage: free it before the long files are made
    # in the order of render_bundle (CSV, XLSX, JSON): the order that peaks lowest after a PDF
    for table in doc.tables:
        name = csv_name(doc.stem, table)
        if name not in files:
            files[name] = table_csv(table)
    if doc.tables:
        files[f"{doc.stem}.xlsx"] = bundle_xlsx(document, doc.tables, title=title, as_of=as_of)
    if not with_json:
        files[f"{doc.stem}.json"] = bundle_json(document, doc.tables)
    return files


def rules_for(day: date) -> RuleSet:
    """The ``cn-charity`` version in force on ``day`` (a report's period end)."""
    return ruleset("cn-charity", day)


# --- small helpers ------------------------------------------------------------------------------


class Orgs:
    """Organisation names, looked up once each."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._rows: dict[str, OrgRow | None] = {}

    def row(self, code: str) -> OrgRow | None:
        if code not in self._rows:
            self._rows[code] = self.snapshot.get(OrgRow, code)
        return self._rows[code]

    def name(self, code: str) -> str:
        row = self.row(code)
        return row.name_zh if row is not None else code


def year_of(day: str) -> int:
    return int(day[:4])


def in_period(day: str, start: date, end: date) -> bool:
    return start.isoformat() <= day <= end.isoformat()


def money(minor: int, currency: str) -> Money:
    return Money(minor, currency)


def totals(rows: Iterable[Any], amount: str = "amount_minor") -> dict[str, dict[str, Any]]:
    """{currency: {"count", "amount"}} over rows with ``currency`` and an amount field."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        t = out[r.currency]
        t[0] += 1
        t[1] += getattr(r, amount)
    return {cur: {"count": c, "amount": Money(a, cur)} for cur, (c, a) in sorted(out.items())}


def breakdown(
    name: str,
    title_zh: str,
    title_en: str,
    rows: Iterable[Any],
    key: Callable[[Any], str],
    vocab: str | None,
    *,
    amount: str = "amount_minor",
    key_title: tuple[str, str] = ("类别", "Category"),
    order: Sequence[str] = (),
) -> Table:
    """Count and amount per key (and currency), with labels: an aggregate table."""
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        s = sums[(key(r), r.currency)]
        s[0] += 1
        s[1] += getattr(r, amount)
    rank = {k: i for i, k in enumerate(order)}
    keys = sorted(sums, key=lambda kc: (rank.get(kc[0], len(rank)), kc[0], kc[1]))
    columns = [Column("key", key_title[0], key_title[1])]
    if vocab is not None:
        columns += [Column("label_zh", "名称", "Label (zh)"), Column("label_en", "名称（英文）", "Label (en)")]
    columns += [
        Column("currency", "币种", "Currency"),
        Column("count", "笔数", "Count", "int"),
        Column("amount", "金额", "Amount", "money"),
    ]
    out_rows = []
    for k, cur in keys:
        c, a = sums[(k, cur)]
        labels = [L.zh(vocab, k), L.en(vocab, k)] if vocab is not None else []
        out_rows.append([k, *labels, cur, c, Money(a, cur)])
    return Table(name, title_zh, title_en, tuple(columns), out_rows)


def table_json(table: Table) -> list[dict[str, Any]]:
    """A small aggregate table as JSON records (for the figures block)."""
    return table.records()


# --- detail tables (CSV/XLSX/JSON; never whole in the PDF) -----------------------------------------

ENTRY = Column("entry", "条目哈希", "Entry (leaf hash)")
SEQ = Column("seq", "序号", "Seq", "int")


def donations_table(rows: Sequence[DonationRow], name: str = "donations") -> Table:
    columns = (
        SEQ,
        ENTRY,
        Column("project", "项目", "Project"),
        Column("received_on", "收到日期", "Received on", "date"),
        Column("kind", "捐赠形式", "Kind"),
        Column("channel", "渠道", "Channel"),
        Column("donor_type", "捐赠人类型", "Donor type"),
        Column("restricted", "定向", "Restricted", "bool"),
        Column("currency", "币种", "Currency"),
        Column("amount", "金额", "Amount", "money"),
        Column("receipt_no", "票据号", "Receipt no."),
        Column("corrected", "已冲销", "Reversed", "bool"),
    )
    return Table(
        name,
        "捐赠明细",
        "Donations",
        columns,
        [
            [
                d.seq,
                d.id,
                d.project,
                date.fromisoformat(d.received_on),
                d.kind,
                d.channel,
                d.donor_type,
                d.restricted,
                d.currency,
                Money(d.amount_minor, d.currency),
                d.receipt_no,
                d.corrected,
            ]
            for d in sorted(rows, key=lambda r: r.seq)
        ],
    )


def allocations_table(rows: Sequence[AllocationRow], name: str = "allocations") -> Table:
    columns = (
        SEQ,
        ENTRY,
        Column("project", "项目", "Project"),
        Column("implementer", "执行方", "Implementer"),
        Column("allocated_on", "拨付日期", "Allocated on", "date"),
        Column("source", "资金来源", "Source"),
        Column("currency", "币种", "Currency"),
        Column("amount", "金额", "Amount", "money"),
        Column("corrected", "已冲销", "Reversed", "bool"),
    )
    return Table(
        name,
        "拨付明细",
        "Allocations",
        columns,
        [
            [
                a.seq,
                a.id,
                a.project,
                a.implementer,
                date.fromisoformat(a.allocated_on),
                a.source,
                a.currency,
                Money(a.amount_minor, a.currency),
                a.corrected,
            ]
            for a in sorted(rows, key=lambda r: r.seq)
        ],
    )


def disbursements_table(rows: Sequence[DisbursementRow], name: str = "disbursements") -> Table:
    columns = (
        SEQ,
        ENTRY,
        Column("project", "项目", "Project"),
        Column("implementer", "执行方", "Implementer"),
        Column("paid_on", "支付日期", "Paid on", "date"),
        Column("category", "支出类别", "Category"),
        Column("payee", "收款方", "Payee"),
        Column("purpose", "用途", "Purpose"),
        Column("currency", "币种", "Currency"),
        Column("amount", "金额", "Amount", "money"),
        Column("evidence", "凭证数", "Evidence files", "int"),
        Column("corrected", "已冲销", "Reversed", "bool"),
    )
    return Table(
        name,
        "支出明细",
        "Disbursements",
        columns,
        [
            [
                x.seq,
                x.id,
                x.project,
                x.implementer,
                date.fromisoformat(x.paid_on),
                x.category,
                x.payee,
                x.purpose,
                x.currency,
                Money(x.amount_minor, x.currency),
                len(json.loads(x.evidence_json)),
                x.corrected,
            ]
            for x in sorted(rows, key=lambda r: r.seq)
        ],
    )


def progress_table(rows: Sequence[ProgressRow], name: str = "progress") -> Table:
    columns = (
        SEQ,
        ENTRY,
        Column("project", "项目", "Project"),
        Column("implementer", "执行方", "Implementer"),
        Column("recorded_on", "记录日期", "Recorded on", "date"),
        Column("period_start", "期间开始", "Period start", "date"),
        Column("period_end", "期间结束", "Period end", "date"),
        Column("beneficiaries", "受益人数", "Beneficiaries", "int"),
        Column("evidence", "凭证数", "Evidence files", "int"),
        Column("summary", "摘要", "Summary"),
        Column("corrected", "已撤回", "Withdrawn", "bool"),
    )

    return Table(
        name,
        "进展报告",
        "Progress reports",
        columns,
        [
            [
                p.seq,
                p.id,
                p.project,
                p.implementer,
                china_date(p.time),
                date.fromisoformat(p.period_start),
                date.fromisoformat(p.period_end),
                p.beneficiaries,
                len(json.loads(p.evidence_json)),
                p.summary,
                p.corrected,
            ]
            for p in sorted(rows, key=lambda r: r.seq)
        ],
    )


def attestations_table(rows: Sequence[AttestationRow], name: str = "oversight") -> Table:
    columns = (
        SEQ,
        ENTRY,
        Column("recorded_on", "记录日期", "Recorded on", "date"),
        Column("overseer", "监督方", "Overseer"),
        Column("verdict", "意见", "Verdict"),
        Column("target", "所涉条目", "Target entry"),
        Column("target_type", "条目类型", "Target type"),
        Column("project", "项目", "Project"),
        Column("findings", "发现", "Findings"),
        Column("withdrawn", "已撤回", "Withdrawn", "bool"),
    )
    return Table(
        name,
        "监督意见",
        "Oversight verdicts",
        columns,
        [
            [
                a.seq,
                a.id,
                china_date(a.time),
                a.overseer_org,
                a.verdict,
                a.target,
                a.target_type,
                a.project,
                a.findings,
                a.corrected,
            ]
            for a in sorted(rows, key=lambda r: r.seq)
        ],
    )


def disclosures_table(items: Sequence[Disclosure], name: str = "disclosures") -> Table:
    columns = (
        Column("subject", "对象", "Subject"),
        Column("rule", "事项", "Rule"),
        Column("rule_zh", "事项名称", "Rule (zh)"),
        Column("index", "期次", "No.", "int"),
        Column("period_start", "期间开始", "Period start", "date"),
        Column("period_end", "期间结束", "Period end", "date"),
        Column("due_on", "截止日期", "Due on", "date"),
        Column("status", "状态", "Status"),
        Column("done_on", "完成日期", "Done on", "date"),
        Column("recorded_on", "记入账本日期", "Recorded on the log", "date"),
        Column("entry", "完成条目", "Entry (leaf hash)"),
        Column("source", "依据", "Source"),
    )
    return Table(
        name,
        "信息公开及时性",
        "Disclosure timeliness",
        columns,
        [
            [
                d.subject,
                d.rule,
                L.zh("rule", d.rule),
                d.index,
                d.period_start,
                d.period_end,
                d.due_on,
                d.status,
                d.done_on,
                d.recorded_on,
                d.entry,
                d.source,
            ]
            for d in items
        ],
    )


def pdf_view(table: Table, *keys: str) -> Table:
    """The same lines with fewer columns, for a PDF page (the files keep every column)."""
    index = {c.key: i for i, c in enumerate(table.columns)}
    picked = [index[k] for k in keys]
    return Table(
        table.name,
        table.title_zh,
        table.title_en,
        tuple(table.columns[i] for i in picked),
        [[row[i] for i in picked] for row in table.rows],
        totals=table.totals,
    )


def breakdown_view(table: Table) -> Table:
    """A breakdown table for the PDF: labels (or the key when there are none), count, amount."""
    keys = [c.key for c in table.columns]
    label = ("label_zh", "label_en") if "label_zh" in keys else ("key",)
    return pdf_view(table, *label, "currency", "count", "amount")


def figure_pairs(items: Iterable[tuple[str, Any]]) -> tuple[tuple[str, Any], ...]:
    """Label/value pairs for a PDF section; None shows as a dash."""
    return tuple((label, "—" if value is None else value) for label, value in items)
