"""The workbench's import wizard (issue 14, item 5): a statement becomes bodies for the browser
to sign, one per row that the ledger records, and nothing else.

:func:`plan_import` reads a statement with :func:`ledger.services.importer.read_statement`
(presets, header rows, totals lines, GB18030, the personal-data guard on the remarks) and turns

- each **donation** row into a ``donation.received`` (the payer's name and the personal
  columns to the donor store, committed with a fresh salt; the platform's order number kept
  apart, keyed, for the donor's look-up);
- each **interest** credit into an ``interest.received`` and each **fee** debit into a
  ``fee.charged`` (the row's words as the note, after the personal-data guard);
- each **platform settlement** credit into nothing: it is *reconciled* against the
  per-donor donations already recorded (or in the same file): matched when the
  ``online_platform`` donations of a run of days ending on the settlement's day or the day
  before add up to it (gross, or net of the platform fees recorded in those days). A matched
  settlement is shown with its donations; an unmatched one is a warning (import the platform's
  per-donor export first). Either way it is never a donation, so nothing is counted twice;
- refunds, money paid out, totals, balances and title lines into nothing (listed).

Every body has a deterministic ``idem`` (``import:`` + SHA-256 of the row's reference, or of
its public facts and occurrence), so a statement imported again finds its rows in the log and
adds nothing. The bodies are dry-run against the log's rules before anything is shown for
signing; a statement with any bad row prepares nothing.

:func:`commit_import` appends the signed entries in one atomic batch, checking that each is the
body prepared, and in the same transaction keeps the donors' personal data and salts in the
donor store and the order numbers in ``donor_order``.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from ledger.domain import personal_guard
from ledger.domain.codes import DRAFT_REFUSED, PERSONAL_DATA_IN_TEXT
from ledger.domain.money import parse_amount
from ledger.domain.privacy import donor_fields, format_receipt_code, new_salt
from ledger.domain.rows import AccountMovementRow, DonationRow
from ledger.errors import LedgerError
from ledger.protocol.canonical import canonical_bytes, now
from ledger.protocol.entry import SignedEntry, make_body
from ledger.services.client import LocalSink
from ledger.services.importer import (
    CLASS_NAMES,
    HEADER_SEARCH_LINES,
    IMPORT_FILE_INVALID,
    PRESETS,
    BadRow,
    Preset,
    RowClass,
    SkippedRow,
    Statement,
    decode,
    read_statement,
)
from ledger.store import imports as I
from ledger.store.db import read_transaction
from ledger.store.dry_run import unsigned_entry
from ledger.store.log_store import MAX_BATCH
from ledger.store.projection_tables import table_for

SETTLEMENT_LOOKBACK_DAYS = 31


@dataclass(slots=True)
class PlanRow:
    """One statement line in the preview: what the wizard does with it."""

    line: int
    row_class: str
    amount: str | None
    on_date: str | None
    action: str  # the entry type written, or "already", "skip", "matched", "unmatched", "bad"
    detail: str = ""
    detail_zh: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "class": self.row_class,
            "amount": self.amount,
            "date": self.on_date,
            "action": self.action,
            "detail": self.detail,
            "detail_zh": self.detail_zh,
        }


@dataclass(slots=True)
class Plan:
    file: str
    encoding: str
    preset: str | None
    header: tuple[str, ...]
    rows: list[PlanRow] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    private: list[dict[str, Any] | None] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the statement line of each body

    @property
    def ok(self) -> bool:
        return not self.bad

    def preview(self) -> dict[str, Any]:
        counts = Counter(r.action for r in self.rows)
        return {
            "file": self.file,
            "encoding": self.encoding,
            "preset": self.preset,
            "rows": [r.to_json() for r in self.rows],
            "bad": [b.to_json() for b in self.bad],
            "warnings": self.warnings,
            "counts": dict(sorted(counts.items())),
            "lines": self.lines,
        }


@dataclass(slots=True)
class _Item:
    line: int
    type: str
    data: dict[str, Any]
    idem: str
    private: dict[str, Any] | None = None


def _idem(material: Any) -> str:
    return "import:" + hashlib.sha256(canonical_bytes(material)).hexdigest()


def _guarded_note(skip: SkippedRow, drop_personal_text: bool) -> str | None:
    """The row's words as a public note, if the personal-data guard finds nothing in them."""
    text = skip.summary[:500].strip()
    if not text:
        return None
    found = personal_guard.find_personal_data(text, strict=True)
    if not found:
        return text
    if drop_personal_text:
        return None
    en, zh = personal_guard.KINDS[found[0].kind]
    raise LedgerError(
        PERSONAL_DATA_IN_TEXT,
        field=f"line {skip.line}",
        kind=found[0].kind,
        detail=f"line {skip.line}: the summary holds what looks like {en}",
        detail_zh=f"第 {skip.line} 行：摘要中含有疑似{zh}的内容",
    )


def _movement(skip: SkippedRow, org: str, project: str, note: str | None, occurrence: int) -> _Item:
    interest = skip.row_class is RowClass.INTEREST
    type_name = "interest.received" if interest else "fee.charged"
    data: dict[str, Any] = {"org": org, "currency": skip.currency, "amount": skip.amount, "project": project}
    if interest:
        data["received_on"] = skip.on_date
    else:
        data["charged_on"] = skip.on_date
        data["fee_kind"] = "bank_fee"
    if note is not None:
        data["note"] = note
    key = ["ref", skip.reference] if skip.reference else ["row", skip.on_date, skip.amount, occurrence]
    return _Item(skip.line, type_name, data, _idem([type_name, org, project, *key]))


def _is_movement(skip: SkippedRow) -> bool:
    wanted = {RowClass.INTEREST: "+", RowClass.FEE: "-"}.get(skip.row_class)
    return wanted is not None and skip.sign == wanted and skip.amount is not None and skip.on_date is not None


def _items(statement: Statement, plan: Plan, org: str, project: str, drop_personal_text: bool) -> list[_Item]:
    items: list[_Item] = []
    for row in statement.rows:
        salt = new_salt()
        data = dict(row.data, **donor_fields(row.personal, salt))
        private = {"personal": row.personal, "salt": base64.b64encode(salt).decode(), "order": row.order}
        items.append(_Item(row.line, "donation.received", data, row.idem, private))
    seen: Counter[tuple[str, str | None, str | None]] = Counter()
    for skip in statement.skipped:
        if not _is_movement(skip):
            continue
        key = (str(skip.row_class), skip.on_date, skip.amount)
        try:
            note = _guarded_note(skip, drop_personal_text)
        except LedgerError as exc:
            plan.bad.append(BadRow(skip.line, exc.message_en, exc.message_zh, exc.code))
            continue
        items.append(_movement(skip, org, project, note, seen[key]))
        seen[key] += 1
    items.sort(key=lambda i: i.line)
    return items


def _by_day(ledger: Any, day: Any, amount: Any, *where: Any) -> Counter[str]:
    days: Counter[str] = Counter()
    with read_transaction(ledger.engine) as conn:
        for on_date, minor in conn.execute(select(day, amount).where(*where)):
            days[on_date] += minor
    return days


def _platform_days(ledger: Any, project: str, currency: str, extra: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Minor units of ``online_platform`` donations per day: the project's live ones in the log,
    and those of this statement not yet there."""
    t = table_for(DonationRow)
    days = _by_day(
        ledger,
        t.c.received_on,
        t.c.amount_minor,
        t.c.project == project,
        t.c.channel == "online_platform",
        t.c.currency == currency,
        t.c.corrected.is_(False),
    )
    for data in extra:
        if data.get("channel") == "online_platform" and data.get("currency") == currency:
            days[data["received_on"]] += parse_amount(data["amount"], currency)
    return dict(days)


def _platform_fees(ledger: Any, org: str, currency: str) -> dict[str, int]:
    t = table_for(AccountMovementRow)
    where = (t.c.org == org, t.c.kind == "fee", t.c.fee_kind == "platform_fee", t.c.currency == currency)
    return dict(_by_day(ledger, t.c.on_date, t.c.amount_minor, *where, t.c.corrected.is_(False)))


def reconcile(amount: int, day: str, donations: dict[str, int], fees: dict[str, int]) -> tuple[str, str] | None:
    """The run of days (first, last) whose platform donations make up a settlement of ``amount``
    paid on ``day``: the run ends on ``day`` or the day before (T+0, T+1) and reaches back at most
    :data:`SETTLEMENT_LOOKBACK_DAYS`; the donations match gross, or net of the platform fees."""
    paid = date.fromisoformat(day)
    for last in (paid - timedelta(days=1), paid):
        gross = net = 0
        for back in range(SETTLEMENT_LOOKBACK_DAYS):
            first = last - timedelta(days=back)
            gross += donations.get(first.isoformat(), 0)
            net = gross - sum(fees.get((first + timedelta(days=d)).isoformat(), 0) for d in range(back + 1))
            if donations.get(first.isoformat()) and amount in (gross, net):
                return first.isoformat(), last.isoformat()
    return None


def _settlements(ledger: Any, plan: Plan, statement: Statement, org: str, project: str) -> None:
    settlements = [s for s in statement.skipped if s.row_class is RowClass.SETTLEMENT]
    if not settlements:
        return
    extra = [r.data for r in statement.rows]
    for skip in settlements:
        row = PlanRow(skip.line, str(skip.row_class), skip.amount, skip.on_date, "skip")
        if skip.sign == "+" and skip.amount is not None and skip.on_date is not None:
            donations = _platform_days(ledger, project, skip.currency, extra)
            fees = _platform_fees(ledger, org, skip.currency)
            found = reconcile(parse_amount(skip.amount, skip.currency), skip.on_date, donations, fees)
            if found is None:
                row.action = "unmatched"
                row.detail = "no per-donor donations add up to this settlement: import the platform's export first"
                row.detail_zh = "没有与该结算款金额相符的逐笔捐赠：请先导入支付平台的逐笔明细"
                plan.warnings.append(f"line {skip.line}: {row.detail} / 第 {skip.line} 行：{row.detail_zh}")
            else:
                row.action = "matched"
                row.detail = f"the platform donations of {found[0]} to {found[1]}; not counted again"
                row.detail_zh = f"对应 {found[0]} 至 {found[1]} 的平台捐赠，不重复计入"
        plan.rows.append(row)


def remembered(ledger: Any, raw: bytes, org: str) -> tuple[Preset, str | None] | None:
    """The column mapping ``org`` gave before for this statement's layout (any of its first
    lines may be the header), as a preset, with the preset chosen then."""
    try:
        text, _encoding = decode(raw)
        records = list(itertools.islice(csv.reader(io.StringIO(text, newline="")), HEADER_SEARCH_LINES))
    except (LedgerError, csv.Error):
        return None
    for record in records:
        found = I.mapping_for(ledger.engine, org, I.layout_of(record)) if any(c.strip() for c in record) else None
        if found is not None:
            columns, preset = found
            channel = PRESETS[preset].channel if preset in PRESETS else "bank_transfer"
            return Preset("custom", "自定义列对应 custom columns", columns, (), channel), preset
    return None


def plan_import(
    ledger: Any,
    raw: bytes,
    *,
    file: str,
    org: str,
    project: str,
    signer: str,
    preset: str | None = None,
    custom: Preset | None = None,
    drop_personal_text: bool = False,
) -> Plan:
    """Read ``raw`` and prepare the bodies ``signer`` signs (see the module doc). Raises
    ``import_file_invalid`` for a file that cannot be read; a plan with bad rows prepares no body."""
    statement = read_statement(
        raw, project=project, file=file, preset=preset, custom=custom, drop_personal_text=drop_personal_text
    )
    plan = Plan(file, statement.encoding, preset or (custom.name if custom else None), statement.header)
    plan.bad.extend(statement.bad)
    plan.warnings.extend(statement.warnings)
    items = _items(statement, plan, org, project, drop_personal_text)
    _settlements(ledger, plan, statement, org, project)
    planned = {i.line for i in items}
    for skip in statement.skipped:
        if skip.row_class is not RowClass.SETTLEMENT and skip.line not in planned:
            en, zh = CLASS_NAMES[skip.row_class]
            plan.rows.append(PlanRow(skip.line, str(skip.row_class), skip.amount, skip.on_date, "skip", en, zh))
    todo = _not_in_log(ledger, plan, items, signer)
    if len(todo) > MAX_BATCH:
        raise LedgerError(
            IMPORT_FILE_INVALID,
            file=file,
            detail=f"it has more than {MAX_BATCH} rows to record; split it",
            detail_zh=f"需记录的行超过 {MAX_BATCH} 行，请拆分文件",
        )
    _dry_run(ledger, plan, todo, signer)
    plan.rows.sort(key=lambda r: r.line)
    plan.bad.sort(key=lambda b: b.line)
    return plan


def _not_in_log(ledger: Any, plan: Plan, items: list[_Item], signer: str) -> list[_Item]:
    sink = LocalSink(ledger)
    known = sink.known(sink.fellow_signers(signer), [i.idem for i in items])
    todo = []
    for item in items:
        found = known.get(item.idem)
        when = item.data.get("received_on") or item.data.get("charged_on")
        if found is None:
            todo.append(item)
            plan.rows.append(PlanRow(item.line, item.type.split(".")[0], item.data["amount"], when, item.type))
            continue
        old = {k: v for k, v in found.body.get("data", {}).items() if k not in ("commitment", "receipt")}
        new = {k: v for k, v in item.data.items() if k not in ("commitment", "receipt")}
        if found.body.get("type") != item.type or canonical_bytes(old) != canonical_bytes(new):
            plan.bad.append(
                BadRow(
                    item.line,
                    f"this row was imported before (seq {found.seq}) with other facts; correct that entry instead",
                    f"该行此前已导入（序号 {found.seq}），但内容不同；请更正原条目",
                    "already_imported_differently",
                )
            )
            continue
        detail, detail_zh = f"in the log already (seq {found.seq})", f"账本中已有（序号 {found.seq}）"
        plan.rows.append(PlanRow(item.line, item.type, item.data["amount"], when, "already", detail, detail_zh))
    return todo


def _dry_run(ledger: Any, plan: Plan, todo: list[_Item], signer: str) -> None:
    if plan.bad or not todo:
        return
    origin, at = ledger.log.current_origin(), now()
    bodies = [make_body(origin, i.type, signer, at, i.idem, i.data) for i in todo]
    refused = LocalSink(ledger).check([unsigned_entry(b) for b in bodies])
    for position, exc in refused:
        plan.bad.append(BadRow(todo[position].line, exc.message_en, exc.message_zh, exc.code))
    if plan.bad:
        return
    plan.bodies = bodies
    plan.private = [i.private for i in todo]
    plan.lines = [i.line for i in todo]


@dataclass(frozen=True, slots=True)
class Committed:
    line: int
    seq: int
    leaf_hash: str
    type: str
    receipt_code: str | None


def _refuse(detail: str, detail_zh: str) -> LedgerError:
    return LedgerError(
        DRAFT_REFUSED, draft="(import)", action="signed", action_zh="签署", detail=detail, detail_zh=detail_zh
    )


def commit_import(
    ledger: Any, pending: I.PendingImport, entries: Sequence[SignedEntry], keep: Callable[[Any, int, Any], None]
) -> list[Committed]:
    """Append the signed entries of a prepared import (each must be its prepared body, in order)
    as one batch; in the same transaction ``keep(conn, seq, private)`` keeps each donation's
    private data, and the import is marked committed."""
    if pending.status != "prepared":
        raise _refuse("this import was committed already", "该导入已提交")
    if len(entries) != len(pending.bodies):
        raise _refuse(f"{len(pending.bodies)} entries were prepared", f"准备的条目共 {len(pending.bodies)} 条")
    signer = pending.bodies[0]["signer"] if pending.bodies else None
    for entry, body in zip(entries, pending.bodies, strict=True):
        if entry.signer != signer or canonical_bytes(entry.body) != canonical_bytes(body):
            raise _refuse("a signed entry is not the body prepared", "签署的条目与准备的内容不一致")

    def then(conn: Any, results: list[Any]) -> None:
        seqs = []
        for result, private in zip(results, pending.private, strict=True):
            if private is not None and not result.existing:
                keep(conn, result.pos, private)
                seqs.append(result.pos)
        I.mark_committed(conn, pending.id, dict(pending.preview, committed_seqs=seqs))

    results = ledger.log.append(list(entries), then=then)
    lines = pending.preview.get("lines", [0] * len(results))
    out = []
    for result, private, entry, line in zip(results, pending.private, entries, lines, strict=True):
        code = None
        if private is not None:
            code = format_receipt_code(result.pos, base64.b64decode(private["salt"]))
        out.append(Committed(line, result.pos, result.leaf_hash, entry.type, code))
    return out


__all__ = ["Committed", "Plan", "PlanRow", "commit_import", "plan_import", "reconcile"]
