"""The ledger as data files for journalists: ``/exports/ledger.csv`` and ``.xlsx`` (site-wide,
filtered) and the per-project CSV, all with the same columns.

One row per log entry, in seq order, with what the projections know of it: the business date
(``received_on`` of a donation, ``allocated_on`` of an allocation, ``paid_on`` of a payment, the
end of a progress report's period) beside the log time, the payee, purpose, category and
implementer of a payment, the donor *type* of a donation (never a donor's name: the log holds
none, see :mod:`ledger.domain.privacy`; the donation's free-text note is left out too), the
evidence hashes and the latest oversight verdict.

Rows come from the read model (:mod:`ledger.store.reads.export`) in chunks by seq (keyset),
so an export of a million entries holds one chunk in memory. The CSV is written as it is read; the XLSX (a zip) is written to a
spooled temporary file, then sent in pieces.

Filters (query parameters, each optional): ``org`` (entries it signed or that name it as
implementer), ``project``, ``type``, ``from`` / ``to`` (business dates, inclusive; entries
without a business date are left out when either is given), ``min`` / ``max`` (amounts as
decimal strings, in ``currency``, CNY by default; entries without an amount are left out).
A value that cannot be used is a 400 ``filter_invalid``, bilingual, before any byte is sent.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine

from api.problems import EXPORT_TOO_LARGE, FILTER_INVALID
from ledger.domain.money import CURRENCY_DIGITS, MAX_MINOR, Money
from ledger.domain.schemas import ENTRY_TYPES
from ledger.errors import LedgerError
from ledger.protocol.grammar import pattern as grammar_pattern
from ledger.store.reads.export import ExportFilter, ExportRow, count_export_rows, export_rows
from reports.formats import BOM, FORMULA_START, Column, StreamedTable, write_workbook_xlsx

XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header
# An XLSX is built whole (a zip) before a byte is sent: past this many rows ask for a filter or
# the CSV, which streams (the whole ledger as one workbook is minutes of a worker and ~100 MB)
XLSX_ROW_CAP = 100_000
_ORG = grammar_pattern("uscc")
_PROJECT = grammar_pattern("project")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_AMOUNT = re.compile(r"[0-9]{1,16}(?:\.[0-9]{1,4})?", re.ASCII)

COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号", "Seq", "int"),
    Column("leaf_hash", "条目哈希", "Entry hash"),
    Column("log_time", "记账时间", "Log time"),
    Column("type", "类型", "Type"),
    Column("business_date", "业务日期", "Business date", "date"),
    Column("received_on", "收款日期", "Received on", "date"),
    Column("allocated_on", "拨付日期", "Allocated on", "date"),
    Column("paid_on", "支付日期", "Paid on", "date"),
    Column("project", "项目", "Project"),
    Column("signer_org", "签署组织", "Signing organisation"),
    Column("signer_role", "签署角色", "Signer role"),
    Column("implementer", "执行机构", "Implementer"),
    Column("amount", "金额", "Amount", "money"),
    Column("currency", "币种", "Currency"),
    Column("donor_type", "捐赠人类型", "Donor type"),
    Column("payee", "收款方", "Payee"),
    Column("purpose", "用途", "Purpose"),
    Column("category", "支出类别", "Category"),
    Column("evidence", "证据文件 SHA-256", "Evidence SHA-256"),
    Column("last_verdict", "最新监督意见", "Latest oversight verdict"),
    Column("corrected", "已更正", "Corrected", "bool"),
    Column("corrected_by", "更正条目", "Corrected by"),
    Column("signer", "签名密钥", "Signing key"),
)
HEADER = tuple(c.key for c in COLUMNS)


@dataclass(frozen=True, slots=True)
class ExportFilters(ExportFilter):
    """The read model's filter, as the site reads it from a query string and writes it back."""

    def query(self) -> str:
        """The filters as a query string ("?org=...", "" for none), as :func:`parse_filters` reads it."""
        minor = {"min": self.min_minor, "max": self.max_minor}
        given = {
            "org": self.org,
            "project": self.project,
            "type": self.type,
            "from": self.date_from,
            "to": self.date_to,
            **{k: Money(v, self.currency or "CNY").plain() for k, v in minor.items() if v is not None},
            "currency": self.currency,
        }
        text = urlencode({k: v for k, v in given.items() if v is not None})
        return f"?{text}" if text else ""


def _bad(name: str, value: str, detail: str, detail_zh: str) -> LedgerError:
    shown = value if len(value) <= 40 else value[:40] + "..."
    return LedgerError(FILTER_INVALID, name=name, value=shown, detail=detail, detail_zh=detail_zh)


def _date(name: str, value: str) -> str:
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        date.fromisoformat(value)
    except ValueError:
        raise _bad(name, value, "write a date like 2026-04-20", "请写成 2026-04-20 这样的日期") from None
    return value


def _amount(name: str, value: str, currency: str) -> int:
    digits = CURRENCY_DIGITS[currency]
    whole, _, decimals = value.partition(".")
    if not _AMOUNT.fullmatch(value) or len(decimals) > digits:
        raise _bad(
            name,
            value,
            f"write an amount in {currency} like 1000 or 1000.50",
            f"请写成 1000 或 1000.50 这样的 {currency} 金额",
        )
    minor = int(whole) * 10**digits + int((decimals or "0").ljust(digits, "0") or "0")
    if minor > MAX_MINOR:
        raise _bad(name, value, "it is larger than any amount in the ledger", "超过账本中任何金额的上限")
    return minor


def parse_filters(params: Mapping[str, str], *, project: str | None = None) -> ExportFilters:
    """The filters of a request, or a 400 ``filter_invalid`` naming the first one that cannot
    be used (blank values count as not given)."""

    def given(name: str) -> str | None:
        value = params.get(name)
        return value.strip() or None if value is not None else None

    org, proj, type_ = given("org"), project or given("project"), given("type")
    if org is not None and not _ORG.fullmatch(org.upper()):
        raise _bad("org", org, "give an 18-character unified social credit code", "请填写 18 位统一社会信用代码")
    if proj is not None and not _PROJECT.fullmatch(proj):
        raise _bad("project", proj, "give a project id like P-2026-001", "请填写项目编号，例如 P-2026-001")
    if type_ is not None and type_ not in ENTRY_TYPES:
        raise _bad("type", type_, "give an entry type such as funds.disbursed", "请填写条目类型，例如 funds.disbursed")
    currency = given("currency") or "CNY"
    if currency not in CURRENCY_DIGITS:
        raise _bad("currency", currency, "give a currency code such as CNY", "请填写币种代码，例如 CNY")
    raw_from, raw_to = given("from"), given("to")
    date_from = _date("from", raw_from) if raw_from else None
    date_to = _date("to", raw_to) if raw_to else None
    if date_from and date_to and date_to < date_from:
        raise _bad("to", date_to, f"it is before from={date_from}", f"早于起始日期 {date_from}")
    raw_min, raw_max = given("min"), given("max")
    low = _amount("min", raw_min, currency) if raw_min else None
    high = _amount("max", raw_max, currency) if raw_max else None
    if low is not None and high is not None and high < low:
        raise _bad("max", raw_max or "", "it is below min", "小于最低金额")
    return ExportFilters(
        org=org.upper() if org else None,
        project=proj,
        type=type_,
        date_from=date_from,
        date_to=date_to,
        min_minor=low,
        max_minor=high,
        currency=currency if (low is not None or high is not None) else None,
    )


def check_xlsx_size(engine: Engine, filters: ExportFilters, csv_url: str) -> None:
    """A 400 ``export_too_large`` (bilingual, naming the CSV with the same filters) when the
    workbook would hold more than :data:`XLSX_ROW_CAP` rows; checked before any byte is sent."""
    cap = XLSX_ROW_CAP
    if count_export_rows(engine, filters, cap + 1) > cap:
        raise LedgerError(EXPORT_TOO_LARGE, cap=f"{cap:,}", csv=csv_url)


def _evidence(row: ExportRow) -> list[str]:
    text = row.payment_evidence or row.progress_evidence
    return [h for h in json.loads(text) if isinstance(h, str)] if text else []


def values(row: ExportRow) -> tuple[Any, ...]:
    """One row's cells, in :data:`COLUMNS` order (money as :class:`Money`, dates as ``date``)."""

    def day(text: str | None) -> date | None:
        return date.fromisoformat(text) if text else None

    amount = (
        Money(row.amount_minor, row.currency)
        if row.amount_minor is not None and row.currency in CURRENCY_DIGITS
        else None
    )
    return (
        row.seq,
        row.id,
        row.time,
        row.type,
        day(row.business_date),
        day(row.received_on),
        day(row.allocated_on),
        day(row.paid_on),
        row.project,
        row.signer_org,
        row.signer_role,
        row.payment_implementer or row.allocation_implementer or row.progress_implementer,
        amount,
        row.currency,
        row.donor_type,
        row.payee,
        row.purpose,
        row.category,
        " ".join(_evidence(row)) or None,
        row.last_verdict,
        bool(row.corrected),
        row.corrected_by,
        row.signer,
    )


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Money):
        return value.plain()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    text = str(value)
    # payees and purposes come from the log: never let a spreadsheet run them as a formula
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_chunks(engine: Engine, filters: ExportFilters, flush_at: int = 64_000) -> Iterator[bytes]:
    """The CSV (UTF-8 with BOM, CRLF, a header of column keys), in pieces of about ``flush_at``."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in export_rows(engine, filters):
        writer.writerow([_csv_text(v) for v in values(row)])
        if out.tell() > flush_at:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def xlsx_chunks(engine: Engine, filters: ExportFilters, title: str, piece: int = 256 * 1024) -> Iterator[bytes]:
    """The workbook (one sheet, ``ledger``), written to a spooled file then read out in pieces."""

    def rows() -> Iterator[Sequence[Any]]:
        for n, row in enumerate(export_rows(engine, filters)):
            if n >= XLSX_MAX_ROWS:
                return
            yield values(row)

    table = StreamedTable("ledger", "账本条目", "Ledger entries", COLUMNS, rows())
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        write_workbook_xlsx(spool, [table], title=title)
        spool.seek(0)
        while data := spool.read(piece):
            yield data
