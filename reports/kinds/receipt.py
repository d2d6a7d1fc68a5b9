"""Donation record certificate (捐赠记录证明) for one donation: the fields of compliance.md item
16 (donor or "anonymous", kind and quantity of the property, organisation, handler, date, a
number), the entry on the log, and a QR code that opens the public site.

It certifies the record on the log; it is not the fiscal donation receipt (公益事业捐赠票据) the
finance authorities supervise. Its number is never empty: the entry's position in the chain and
a verification code from its leaf hash (:func:`reports.statutory.certificate_number`). The fiscal
receipt's number, when the charity records it (``receipt_no`` on ``donation.received``), is
printed in a field of its own.

Two variants (docs/reports.md, "Receipts and personal data"):

- **public** (anyone; recorded in the log as ``report.issued``; recomputable from an export):
  the donor is "匿名 anonymous" for anonymous gifts and "not disclosed" otherwise; the QR code
  opens the entry's public page ``<site>/ledger/<seq>``;
- **personal** (the receipt holder, who proves it with the receipt code, or a regulator): the
  donor's name from the encrypted donor store, the receipt code, and a QR code that opens
  ``<site>/verify#code=<receipt code>&logkey=<fingerprint>`` (the fragment never reaches the
  server). Both variants print the log key's fingerprint (``p_registry.log_key_id``, SHA-256 of
  the raw public key) and carry it in the link's fragment (``#logkey=``), so the site's in-browser
  check compares the key it is handed with the one on paper. Personal
  receipts are never recorded in the log (a hash of a file with a name in it would let anyone
  test guesses of the name) and never listed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ledger.domain.privacy import parse_receipt_code
from ledger.domain.rows import DonationRow, KeyRow, OrgRow, ProjectRow, RegistryRow
from ledger.errors import InvariantBroken, LedgerError
from ledger.protocol.grammar import matches as grammar_matches
from ledger.protocol.grammar import pattern as grammar_pattern
from reports import labels as L
from reports.common import ReportDoc, ReportRequest, default_site_url, rules_for
from reports.disclosures import china_date
from reports.formats import Column, Money, Table
from reports.snapshot import Snapshot
from reports.statutory import certificate_number

_HEX64 = grammar_pattern("hex64")


def find_donation(snap: Snapshot, ref: str) -> DonationRow:
    """The donation a seq, a leaf hash or a receipt code names (the code's salt is not checked here)."""
    ref = ref.strip()
    found: DonationRow | None = None
    if grammar_matches("uint", ref):
        rows = snap.rows(DonationRow, seq=int(ref))
        found = rows[0] if rows else None
    elif _HEX64.fullmatch(ref):
        found = snap.get(DonationRow, ref)
    else:
        rows = snap.rows(DonationRow, seq=parse_receipt_code(ref).seq)
        found = rows[0] if rows else None
    if found is None:
        shown = ref if grammar_matches("uint", ref) or _HEX64.fullmatch(ref) else "the receipt code"
        raise LedgerError("not_found", what="donation", what_zh="捐赠", ref=shown)
    return found


def mask_id_number(value: str | None) -> str | None:
    """``440301199001011234`` -> ``4403**********1234``: enough to recognise, not to reuse."""
    if not value:
        return None
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def build(
    snap: Snapshot,
    req: ReportRequest,
    *,
    personal: dict[str, str] | None = None,
    receipt_code: str | None = None,
    **_: Any,
) -> ReportDoc:
    """``personal``/``receipt_code``: the donor's data and code from the donor store, given only
    for a personal receipt (the caller checks who may have them)."""
    if req.donation is None:
        raise InvariantBroken("req.donation is missing")
    d = find_donation(snap, req.donation)
    cur = d.currency
    received = date.fromisoformat(d.received_on)
    rs = rules_for(received)
    fields = tuple(rs.param("receipt", "fields"))
    anonymous_zh, anonymous_en = rs.param("receipt", "anonymous_donor_zh"), rs.param("receipt", "anonymous_donor_en")
    project = snap.get(ProjectRow, d.project)
    org = snap.get(OrgRow, d.fundraiser_org)
    handler = snap.get(KeyRow, d.recorded_by)
    is_personal = req.personal
    site = (req.site_url or default_site_url(snap.at.origin)).rstrip("/")

    if d.donor_type == "anonymous":
        donor_zh, donor_en = anonymous_zh, anonymous_en
    elif is_personal and personal and personal.get("name"):
        donor_zh = donor_en = personal["name"]
    elif is_personal:
        donor_zh, donor_en = "（捐赠人未留存个人信息）", "(no personal data stored)"
    else:
        donor_zh, donor_en = "（不公开）", "(not disclosed)"
    quantity = f"{Money(d.amount_minor, cur).grouped()} {cur}"
    if d.kind == "in_kind":
        quantity = f"{d.in_kind_description}（估值 valued at {quantity}）"
    values: dict[str, tuple[str, str, Any]] = {
        "donor": ("捐赠人", "Donor", donor_zh if donor_zh == donor_en else f"{donor_zh} {donor_en}"),
        "property_kind": ("捐赠财产种类", "Kind of property", L.both("kind", d.kind)),
        "property_quantity": ("数量 / 金额", "Quantity / amount", quantity),
        "organisation_name": (
            "受赠单位",
            "Organisation",
            f"{org.name_zh if org else d.fundraiser_org}（{d.fundraiser_org}）",
        ),
        "handler": ("经手人", "Handler", handler.holder if handler else d.recorded_by),
        "date": ("捐赠日期", "Date", d.received_on),
        "receipt_number": ("证明编号", "Certificate number", certificate_number(d.seq, d.id)),
    }
    fiscal = (
        "fiscal_receipt_no",
        "财政票据号码",
        "Fiscal receipt number",
        d.receipt_no or "（本组织未登记 not recorded by the charity）",
    )
    extra: list[tuple[str, str, str, Any]] = [
        ("project", "捐赠项目", "Project", f"{d.project} {project.title_zh if project else ''}".strip()),
        ("restricted", "定向捐赠", "Restricted", "是 Yes" if d.restricted else "否 No"),
        ("channel", "捐赠渠道", "Channel", L.both("channel", d.channel)),
        ("donor_type", "捐赠人类型", "Donor type", L.both("donor_type", d.donor_type)),
        ("amount", "金额", "Amount", Money(d.amount_minor, cur)),
        ("entry", "账本条目", "Log entry", d.id),
        ("seq", "账本序号", "Seq", str(d.seq)),
        ("recorded_at", "记账时间", "Recorded at", d.time),
        ("commitment", "捐赠人承诺值", "Donor commitment", d.commitment),
    ]
    id_number = mask_id_number(personal.get("id_number")) if is_personal and personal else None
    if id_number:
        extra.append(("donor_id_number", "证件号码", "ID number", id_number))
    # the log key's fingerprint (its key id, SHA-256 of the raw public key), printed and carried in
    # the link's fragment: the site's check compares it with the key the page hands the browser
    registry = snap.get(RegistryRow, snap.at.origin)
    fingerprint = registry.log_key_id if registry is not None else None
    if fingerprint:
        extra.append(("log_key_fingerprint", "账本公钥指纹", "Log key fingerprint", fingerprint))
    logkey = f"logkey={fingerprint}" if fingerprint else ""
    if is_personal and receipt_code:
        extra.append(("receipt_code", "查询码", "Receipt code", receipt_code))
        verify_url = f"{site}/verify#code={receipt_code}" + (f"&{logkey}" if logkey else "")
    else:
        verify_url = f"{site}/ledger/{d.seq}" + (f"#{logkey}" if logkey else "")
    extra.append(("verify_url", "查验网址", "Verify at", verify_url))

    required = [[k, *values[k]] for k in fields if k in values]
    required.insert(next(i + 1 for i, r in enumerate(required) if r[0] == "receipt_number"), list(fiscal))
    others = [[k, zh, en, str(v) if isinstance(v, Money) else v] for k, zh, en, v in extra]
    rows = required + others
    table = Table(
        "receipt",
        "捐赠记录证明",
        "Donation record certificate",
        (
            Column("field", "字段", "Field"),
            Column("field_zh", "名称", "Field (zh)"),
            Column("field_en", "名称（英文）", "Field (en)"),
            Column("value", "内容", "Value"),
        ),
        rows,
    )
    figures = {
        "donation": {
            "entry": d.id,
            "seq": d.seq,
            "project": d.project,
            "amount": Money(d.amount_minor, cur),
            "currency": cur,
            "kind": d.kind,
            "in_kind_description": d.in_kind_description,
            "channel": d.channel,
            "donor_type": d.donor_type,
            "restricted": d.restricted,
            "received_on": d.received_on,
            "receipt_no": d.receipt_no,
            "commitment": d.commitment,
            "recorded_at": d.time,
            "recorded_by": d.recorded_by,
            "reversed": d.corrected,
            "reversed_by": d.corrected_by,
        },
        "receipt": {k: values[k][2] for k in fields if k in values},
        "required_fields": list(fields),
        "certificate_number": values["receipt_number"][2],
        "fiscal_receipt_no": d.receipt_no,
        "variant": "personal" if is_personal else "public",
        "verify_url": verify_url,
    }
    if is_personal:
        figures["holder"] = {
            "name": personal.get("name") if personal else None,
            "id_number": id_number,
            "receipt_code": receipt_code,
        }
    notes = [
        "本证明用于证明该笔捐赠已记入账本，不是财政部门监制的公益事业捐赠票据；财政票据号码栏为本组织登记的票据号码。"
        "This certifies the donation's record on the log; it is not the fiscal donation receipt.",
        "证明编号为账本序号与校验码（条目哈希前 8 位）。The number is the entry's position and a verification code (the first 8 hex digits of its hash).",
        "本证明的捐赠记录可在账本中查验：条目哈希、包含证明与签名检查点。The donation can be checked on the log: its entry, inclusion proof and signed checkpoint.",
        "捐赠人个人信息不进入账本；账本仅记录其承诺值（加盐哈希）。Personal data never enters the log; it holds a salted commitment.",
    ]
    if d.corrected:
        notes.insert(
            0,
            f"注意：此捐赠已被条目 {d.corrected_by} 冲销。Note: this donation was reversed by entry {d.corrected_by}.",
        )
    if is_personal:
        notes.append(
            "本证明含个人信息，仅供捐赠人本人或监管机关使用，不在账本中登记。This receipt holds personal data: for the donor or a regulator only; it is not recorded in the log."
        )
    return ReportDoc(
        kind="receipt",
        name=f"receipt-{d.seq}" + ("-personal" if is_personal else ""),
        subject=d.id,
        subject_name=f"捐赠 seq {d.seq}（{d.project}）",
        title_zh="捐赠记录证明",
        title_en="Donation record certificate",
        period_start=received,
        period_end=received,
        ruleset=rs,
        at=snap.at,
        figures=figures,
        tables=[table],
        notes=notes,
        template="report_receipt.html",
        context={
            "table": table,
            "required": required,
            "verify_url": verify_url,
            "details": [
                r
                for r in others
                if r[0]
                in (
                    "project",
                    "restricted",
                    "channel",
                    "entry",
                    "seq",
                    "recorded_at",
                    "receipt_code",
                    "donor_id_number",
                )
            ],
            "amount": Money(d.amount_minor, cur),
            "recorded_on": china_date(d.time),
            "certificate_number": values["receipt_number"][2],
        },
        record=not is_personal,
        variant="personal" if is_personal else "",
    )
