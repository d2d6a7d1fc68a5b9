"""Import a bank or payment-platform statement (CSV) as signed ``donation.received`` entries.

The layout is documented in ``docs/import-format.md``. In short: one donation per row; a header
row in Chinese or English; UTF-8 (with or without BOM) or GB18030; the columns 日期/date and
金额/amount required, the others optional; personal columns (姓名, 证件号, 电话, 地址) go only to
the encrypted donor store, never into an entry.

How an import runs (:func:`import_donations`):

1. **Read and check every row** (:func:`read_statement`): encoding, header, dates, amounts
   (decimal text, never a float or an exponent), channel, donor type, duplicate references,
   personal data limits; each row becomes the ``data`` of a ``donation.received`` and is checked
   against the entry schema. Each bad row is reported with its line number and a reason in
   English and Chinese.
2. **Skip what is already in the log.** Each row has a deterministic ``idem``: ``import:`` +
   SHA-256 of the project and the statement's reference (流水号), or — for a row without a
   reference — of the row's public fields and its occurrence number among identical rows.
   Personal data never enters the idem (the idem is public, and ID numbers are guessable).
   The log is asked which of these idems the signer (and the other keys of the same role in the
   same organisation) already used: a row whose donation is there with the same facts is
   "already imported"; with other facts it is a bad row. A re-import therefore adds nothing —
   and needs no deterministic salt: salts stay random.
3. **Dry-run the rules** (in-process only): the new entries are checked against the domain's
   rules on a throw-away overlay of the projections (project open, signer's role, currency,
   fundraising period, ...), so a refused row is reported before anything is written.
4. **Write nothing if any row is bad**, unless ``skip_bad``: then the good rows are written.
5. **Submit** the new rows in batches of at most 1,000 (each batch atomic, signed just before
   it is sent), then keep each donor's personal data and salt in the donor store (in-process),
   or hand the salts and receipt codes back (over HTTP; see :class:`ledger.client.HttpSink`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .canonical import canonical_bytes, now
from .client import CHINA, Client, donation_data, refused_code, refused_position
from .domain.privacy import check_personal_data, donor_fields, format_receipt_code, new_salt
from .domain.schemas import CHANNELS, DONOR_TYPES, validate
from .entry import SignedEntry
from .errors import LedgerError, define
from .grammar import text_problem
from .money import CURRENCY_DIGITS, MAX_MINOR
from .store.log_store import MAX_BATCH

IMPORT_FILE_INVALID = define(
    "import_file_invalid",
    "invalid",
    "The statement {file} cannot be imported: {detail}.",
    "无法导入对账单 {file}：{detail_zh}。",
)
IMPORT_HAS_BAD_ROWS = define(
    "import_has_bad_rows",
    "refused",
    "{count} row(s) of {file} are not valid, so nothing was imported; fix them, or import the good rows with --skip-bad.",
    "{file} 中有 {count} 行无效，因此未导入任何内容；请修正这些行，或使用 --skip-bad 只导入有效的行。",
)

MAX_ROWS = 1_000_000

# canonical column -> accepted header spellings (compared after normalising: lower case, no
# spaces, underscores, hyphens or brackets)
COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("日期", "date", "交易日期", "到账日期", "收款日期", "捐赠日期", "received_on", "receivedon", "transactiondate"),
    "amount": ("金额", "amount", "捐赠金额", "收入金额", "贷方金额", "到账金额", "收入"),
    "currency": ("币种", "currency", "货币"),
    "channel": ("渠道", "channel", "捐赠渠道", "收款渠道", "支付方式"),
    "donor_type": ("捐赠人类型", "donor_type", "donortype", "捐赠方类型", "捐赠者类型"),
    "restricted": ("定向", "restricted", "是否定向", "定向捐赠"),
    "reference": ("流水号", "reference", "交易流水号", "交易号", "订单号", "ref", "transactionid"),
    "donor_name": ("捐赠人姓名", "donor_name", "donorname", "姓名", "捐赠人", "name", "捐赠者姓名"),
    "id_number": ("证件号", "id_number", "idnumber", "证件号码", "身份证号", "身份证号码"),
    "phone": ("电话", "phone", "联系电话", "手机", "手机号"),
    "address": ("地址", "address", "联系地址"),
    "note": ("备注", "note", "附言", "摘要"),
    "receipt_no": ("票据号", "receipt_no", "receiptno", "捐赠票据号", "收据号"),
}
_HEADER_NORMALISE = re.compile(r"[\s_\-()（）/]+")
_ALIASES: dict[str, str] = {}
for _canonical, _names in COLUMNS.items():
    for _name in _names:
        _ALIASES[_HEADER_NORMALISE.sub("", _name.lower())] = _canonical

PERSONAL_COLUMNS = {"donor_name": "name", "id_number": "id_number", "phone": "phone", "address": "address"}

CHANNEL_NAMES: dict[str, str] = {
    **{c: c for c in CHANNELS},
    "银行转账": "bank_transfer", "转账": "bank_transfer", "银行": "bank_transfer", "银行汇款": "bank_transfer",
    "汇款": "bank_transfer", "对公转账": "bank_transfer", "bank": "bank_transfer", "banktransfer": "bank_transfer",
    "网络平台": "online_platform", "互联网平台": "online_platform", "网络": "online_platform", "线上": "online_platform",
    "在线": "online_platform", "互联网募捐平台": "online_platform", "互联网公开募捐信息平台": "online_platform",
    "微信": "online_platform", "微信支付": "online_platform", "支付宝": "online_platform", "online": "online_platform",
    "onlineplatform": "online_platform",
    "现金": "cash", "支票": "cheque", "check": "cheque", "实物交付": "delivery", "交付": "delivery",
    "其他": "other", "其它": "other",
}
DONOR_TYPE_NAMES: dict[str, str] = {
    **{d: d for d in DONOR_TYPES},
    "个人": "individual", "自然人": "individual", "企业": "enterprise", "公司": "enterprise", "单位": "enterprise",
    "company": "enterprise", "政府购买服务": "government_purchase", "政府购买": "government_purchase",
    "governmentpurchase": "government_purchase", "基金会": "foundation", "匿名": "anonymous",
}
CURRENCY_NAMES: dict[str, str] = {
    **{c.lower(): c for c in CURRENCY_DIGITS},
    "人民币": "CNY", "rmb": "CNY", "元": "CNY", "港币": "HKD", "港元": "HKD", "澳门元": "MOP", "澳门币": "MOP",
    "美元": "USD", "欧元": "EUR", "英镑": "GBP", "日元": "JPY",
}
TRUE_WORDS = {"是", "定向", "true", "yes", "y", "1", "t"}
FALSE_WORDS = {"否", "非定向", "不定向", "false", "no", "n", "0", "f"}

# matched in full (fullmatch); \d and \s are ASCII only (re.ASCII)
_DATE_ISO = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", re.ASCII,
)
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:\s?\d{6})?", re.ASCII)  # matched in full
_DATE_ZH = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?", re.ASCII)  # matched in full
_AMOUNT_PLAIN = re.compile(r"(\d{1,16})(?:\.(\d{1,8}))?", re.ASCII)  # matched in full
_AMOUNT_GROUPED = re.compile(r"(\d{1,3}(?:,\d{3}){1,5})(?:\.(\d{1,8}))?", re.ASCII)  # matched in full
_CN_ID = re.compile(r"\d{17}[\dXx]", re.ASCII)  # matched in full
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int
    reason: str
    reason_zh: str
    code: str = "row_invalid"

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "code": self.code, "reason": self.reason, "reason_zh": self.reason_zh}


@dataclass(slots=True)
class Row:
    """One good row: the entry's data (without the commitment), its donor and its idem."""

    line: int
    data: dict[str, Any]
    personal: dict[str, str]
    idem: str
    reference: str | None


@dataclass(slots=True)
class Statement:
    file: str
    encoding: str
    rows: list[Row] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    total: int = 0   # data rows read (good and bad)


@dataclass(frozen=True, slots=True)
class Imported:
    line: int
    seq: int
    leaf_hash: str
    receipt_code: str
    salt: bytes
    reference: str | None
    donor_stored: bool

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "seq": self.seq, "leaf_hash": self.leaf_hash, "receipt_code": self.receipt_code,
                "reference": self.reference, "donor_stored": self.donor_stored}


@dataclass(slots=True)
class ImportReport:
    file: str
    encoding: str
    project: str
    rows: int = 0
    imported: list[Imported] = field(default_factory=list)
    already: list[tuple[int, int]] = field(default_factory=list)   # (line, seq)
    bad: list[BadRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    would_import: int = 0
    written: bool = False
    stopped: str | None = None      # why submission stopped part-way (batches before it are written)

    @property
    def ok(self) -> bool:
        return not self.bad and self.stopped is None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file, "encoding": self.encoding, "project": self.project, "rows": self.rows,
            "imported": len(self.imported), "already_imported": len(self.already), "bad": len(self.bad),
            "dry_run": self.dry_run, "would_import": self.would_import, "written": self.written,
            "stopped": self.stopped, "warnings": self.warnings,
            "bad_rows": [b.to_json() for b in self.bad],
            "already_imported_rows": [{"line": line, "seq": seq} for line, seq in self.already],
            "imported_rows": [i.to_json() for i in self.imported],
        }


# --- reading ----------------------------------------------------------------------------------


def decode(raw: bytes, file: str = "statement") -> tuple[str, str]:
    """The text of a statement and the encoding found: UTF-8 with a BOM, UTF-8, or GB18030."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LedgerError(IMPORT_FILE_INVALID, file=file, detail="it is UTF-16; save it as CSV in UTF-8 (or GB18030)",
                          detail_zh="文件为 UTF-16 编码，请另存为 UTF-8（或 GB18030）编码的 CSV")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise LedgerError(IMPORT_FILE_INVALID, file=file,
                          detail=f"it is neither UTF-8 nor GB18030 text (byte {exc.start})",
                          detail_zh=f"文件既不是 UTF-8 也不是 GB18030 编码（第 {exc.start} 字节）") from None


def _header_map(header: list[str], file: str) -> tuple[dict[str, int], list[str]]:
    columns: dict[str, int] = {}
    unknown: list[str] = []
    for index, name in enumerate(header):
        key = _HEADER_NORMALISE.sub("", name.strip().lower())
        if not key:
            continue
        canonical = _ALIASES.get(key)
        if canonical is None:
            unknown.append(name.strip())
            continue
        if canonical in columns:
            raise LedgerError(IMPORT_FILE_INVALID, file=file,
                              detail=f"two columns mean {canonical} ({header[columns[canonical]]!r} and {name!r})",
                              detail_zh=f"有两列都表示 {canonical}（{header[columns[canonical]]!r} 和 {name!r}）")
        columns[canonical] = index
    missing = [c for c in ("date", "amount") if c not in columns]
    if missing:
        names = ", ".join(f"{COLUMNS[c][0]}/{COLUMNS[c][1]}" for c in missing)
        raise LedgerError(IMPORT_FILE_INVALID, file=file, detail=f"the header has no column {names}",
                          detail_zh=f"表头缺少列 {names}")
    return columns, unknown


class _RowError(Exception):
    def __init__(self, reason: str, reason_zh: str, code: str = "row_invalid") -> None:
        super().__init__(reason)
        self.reason, self.reason_zh, self.code = reason, reason_zh, code


def parse_date(text: str, today: date) -> str:
    """``2026-03-21``, ``2026/3/21``, ``20260321``, ``2026年3月21日`` (a time after it is
    ignored: statements are in China time) -> ``2026-03-21``; never in the future."""
    value = text.strip()
    if not value:
        raise _RowError("the date is missing", "缺少日期")
    match = _DATE_ISO.fullmatch(value) or _DATE_COMPACT.fullmatch(value) or _DATE_ZH.fullmatch(value)
    if not match:
        raise _RowError(f"the date {value[:40]!r} is not like 2026-03-21", f"日期 {value!r} 格式不对，应如 2026-03-21")
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise _RowError(f"{value!r} is not a date in the calendar", f"{value!r} 不是有效日期") from None
    if day > today:
        raise _RowError(f"the date {day.isoformat()} is in the future", f"日期 {day.isoformat()} 晚于今天")
    return day.isoformat()


def parse_amount_text(text: str, currency: str) -> str:
    """A statement amount -> the protocol's decimal string with exactly the currency's digits.

    Accepted: digits with an optional decimal point (``1234.5`` -> ``1234.50``; fewer decimals
    than the currency has are padded, more are refused, never rounded); thousands separated by
    commas only in groups of exactly three (``1,234.50``); a leading ``¥``/``￥`` for CNY.
    Refused: exponents (``1e3``), signs (a negative line is money going out), spaces inside,
    other separators, zero."""
    value = text.strip()
    if not value:
        raise _RowError("the amount is missing", "缺少金额")
    if currency == "CNY" and value[:1] in ("¥", "￥"):
        value = value[1:].strip()
    if value.startswith("-"):
        raise _RowError(f"the amount {text.strip()!r} is negative: an outgoing payment, not a donation",
                        f"金额 {text.strip()!r} 为负数：这是支出，不是捐赠")
    match = _AMOUNT_PLAIN.fullmatch(value) or _AMOUNT_GROUPED.fullmatch(value)
    if not match:
        raise _RowError(f"the amount {text.strip()!r} is not a decimal number like 1234.50 (no exponents, no spaces)",
                        f"金额 {text.strip()!r} 不是形如 1234.50 的十进制数（不能用科学计数法或空格）")
    whole, fraction = match.group(1).replace(",", ""), match.group(2) or ""
    digits = CURRENCY_DIGITS[currency]
    if len(fraction) > digits:
        raise _RowError(f"the amount {text.strip()!r} has more than {digits} decimals for {currency}",
                        f"金额 {text.strip()!r} 的小数位超过 {currency} 的 {digits} 位")
    minor = int(whole) * 10**digits + (int(fraction.ljust(digits, "0")) if digits else 0)
    if minor <= 0:
        raise _RowError("the amount is zero", "金额为零")
    if minor > MAX_MINOR:
        raise _RowError(f"the amount {text.strip()!r} is larger than the accepted maximum",
                        f"金额 {text.strip()!r} 超过允许的最大值")
    if digits == 0:
        return str(minor)
    return f"{minor // 10**digits}.{minor % 10**digits:0{digits}d}"


def _choice(value: str, names: dict[str, str], what: str, what_zh: str, known: Sequence[str]) -> str:
    key = _HEADER_NORMALISE.sub("", value.strip().lower())
    found = names.get(key) or names.get(value.strip())
    if found is None:
        raise _RowError(f"unknown {what} {value.strip()!r} (known: {', '.join(known)})",
                        f"未知的{what_zh} {value.strip()!r}（可用：{'、'.join(known)}）")
    return found


def _flag(value: str) -> bool:
    key = value.strip().lower()
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    raise _RowError(f"restricted must be yes or no (是/否), not {value.strip()!r}", f"定向一栏应填 是 或 否，而不是 {value.strip()!r}")


def _check_id_number(value: str) -> None:
    """An 18-character mainland resident ID number must have its GB 11643 check character;
    other documents (passports, permits) are taken as written."""
    if _CN_ID.fullmatch(value):
        body = value[:17]
        if _ID_CHECK[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS)) % 11] != value[17].upper():
            raise _RowError("the ID number's check character is wrong; look for a typing error",
                            "证件号校验位不对，请检查是否输入有误")


def _idem(project: str, reference: str | None, data: dict[str, Any], occurrence: int) -> str:
    if reference is not None:
        material: Any = ["ref", project, reference]
    else:
        public = {k: v for k, v in data.items() if k != "commitment"}
        material = ["row", public, occurrence]
    return "import:" + hashlib.sha256(canonical_bytes(material)).hexdigest()


def read_statement(
    raw: bytes,
    *,
    project: str,
    file: str = "statement",
    currency: str = "CNY",
    channel: str | None = None,
    donor_type: str | None = None,
    restricted: bool = True,
    today: date | None = None,
) -> Statement:
    """Read and check a statement; every row is either good (a :class:`Row`) or bad."""
    today = today or now().astimezone(CHINA).date()
    default_currency = CURRENCY_NAMES.get(currency.strip().lower())
    if default_currency is None:
        raise LedgerError("currency_invalid", currency=currency, accepted=", ".join(sorted(CURRENCY_DIGITS)))
    text, encoding = decode(raw, file)
    statement = Statement(file, encoding)
    records = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    columns: dict[str, int] = {}
    references: dict[str, int] = {}
    occurrences: Counter[str] = Counter()
    line = 1
    try:
        for record in records:
            start, line = line, records.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = record
                columns, unknown = _header_map(record, file)
                if unknown:
                    statement.warnings.append(
                        f"ignored columns (they never reach the log) / 已忽略的列（不会写入账本）: {', '.join(unknown)}")
                if "channel" not in columns and channel is None:
                    raise LedgerError(IMPORT_FILE_INVALID, file=file,
                                      detail="there is no 渠道/channel column: give the channel of the whole file with --channel",
                                      detail_zh="没有 渠道/channel 列：请用 --channel 指定整份文件的捐赠渠道")
                continue
            statement.total += 1
            if statement.total > MAX_ROWS:
                raise LedgerError(IMPORT_FILE_INVALID, file=file, detail=f"it has more than {MAX_ROWS} rows; split it",
                                  detail_zh=f"超过 {MAX_ROWS} 行，请拆分文件")
            try:
                row = _row(record, columns, start, project=project, currency=default_currency, channel=channel,
                           donor_type=donor_type, restricted=restricted, today=today)
            except _RowError as bad:
                statement.bad.append(BadRow(start, bad.reason, bad.reason_zh, bad.code))
                continue
            if row.reference is not None:
                first = references.get(row.reference)
                if first is not None:
                    statement.bad.append(BadRow(
                        start, f"duplicate reference {row.reference!r}: line {first} has it already",
                        f"流水号 {row.reference!r} 重复：第 {first} 行已有", "duplicate_reference"))
                    continue
                references[row.reference] = start
                row.idem = _idem(project, row.reference, row.data, 0)
            else:
                key = canonical_bytes(row.data).decode()
                row.idem = _idem(project, None, row.data, occurrences[key])
                occurrences[key] += 1
            statement.rows.append(row)
    except csv.Error as exc:
        raise LedgerError(IMPORT_FILE_INVALID, file=file, detail=f"line {records.line_num}: {exc}",
                          detail_zh=f"第 {records.line_num} 行：CSV 格式错误（{exc}）") from None
    if header is None:
        raise LedgerError(IMPORT_FILE_INVALID, file=file, detail="it is empty", detail_zh="文件为空")
    return statement


def _row(
    record: list[str], columns: dict[str, int], line: int, *, project: str, currency: str, channel: str | None,
    donor_type: str | None, restricted: bool, today: date,
) -> Row:
    def cell(name: str) -> str:
        index = columns.get(name)
        if index is None or index >= len(record):
            return ""
        value = record[index].strip()
        if _CONTROL.search(value) or text_problem(value) is not None:
            raise _RowError(f"the {name} column contains line breaks or control characters", f"{name} 一栏含有换行或控制字符")
        return value

    currency_text = cell("currency")
    row_currency = currency
    if currency_text:
        row_currency = _choice(currency_text, CURRENCY_NAMES, "currency", "币种", sorted(CURRENCY_DIGITS))
    received_on = parse_date(cell("date"), today)
    amount = parse_amount_text(cell("amount"), row_currency)
    channel_text = cell("channel")
    row_channel = channel
    if channel_text:
        row_channel = _choice(channel_text, CHANNEL_NAMES, "channel", "捐赠渠道", CHANNELS)
    if row_channel is None:
        raise _RowError("the channel is missing (or give --channel for the whole file)", "缺少捐赠渠道（或用 --channel 为整份文件指定）")
    personal = {field: cell(column) for column, field in PERSONAL_COLUMNS.items() if cell(column)}
    try:
        check_personal_data(personal)
    except LedgerError as exc:
        raise _RowError(f"donor data: {exc.params.get('detail')}", f"捐赠人信息：{exc.params.get('detail_zh')}") from None
    if "id_number" in personal:
        _check_id_number(personal["id_number"])
    type_text = cell("donor_type")
    if type_text:
        row_donor_type = _choice(type_text, DONOR_TYPE_NAMES, "donor type", "捐赠人类型", DONOR_TYPES)
    else:
        row_donor_type = donor_type or ("individual" if personal else "anonymous")
    restricted_text = cell("restricted")
    row_restricted = _flag(restricted_text) if restricted_text else restricted
    note = cell("note") or None
    if note is not None:
        for field_name in ("name", "id_number", "phone"):
            value = personal.get(field_name)
            if value and value in note:
                raise _RowError(
                    f"the note repeats the donor's {field_name.replace('_', ' ')}; notes are public, so remove it",
                    "备注中含有捐赠人的个人信息（姓名、证件号或电话）；备注会公开，请删除")
    reference = cell("reference") or None
    if reference is not None and len(reference) > 128:
        raise _RowError("the reference is longer than 128 characters", "流水号超过 128 个字符")
    data = donation_data(
        project, amount, row_currency, commitment="0" * 64, receipt="0" * 64, received_on=received_on, channel=row_channel,
        donor_type=row_donor_type, restricted=row_restricted, receipt_no=cell("receipt_no") or None, note=note,
    )
    try:
        validate("donation.received", data)
    except LedgerError as exc:
        field_name = exc.params.get("field", "")
        raise _RowError(f"{field_name}: {exc.message_en}", f"{field_name}：{exc.message_zh}", exc.code) from None
    del data["commitment"], data["receipt"]
    return Row(line, data, personal, "", reference)


# --- importing --------------------------------------------------------------------------------


_COMPARED = ("project", "currency", "amount", "kind", "channel", "donor_type", "restricted", "received_on",
             "receipt_no", "note", "in_kind_description")


def _same_facts(existing: dict[str, Any], data: dict[str, Any]) -> bool:
    return all(existing.get(name) == data.get(name) for name in _COMPARED)


def import_donations(
    client: Client,
    raw: bytes,
    *,
    project: str,
    file: str = "statement",
    skip_bad: bool = False,
    dry_run: bool = False,
    currency: str = "CNY",
    channel: str | None = None,
    donor_type: str | None = None,
    restricted: bool = True,
    batch_size: int = MAX_BATCH,
) -> ImportReport:
    """Import a statement's rows as donations signed by ``client``'s key (see the module doc).

    Raises ``import_file_invalid`` for a file that cannot be read at all; returns a report
    otherwise. ``report.ok`` is False when rows were bad (then, without ``skip_bad``, nothing was
    written) or when submission stopped part-way (``report.stopped`` says why).
    """
    statement = read_statement(raw, project=project, file=file, currency=currency, channel=channel,
                               donor_type=donor_type, restricted=restricted)
    report = ImportReport(file, statement.encoding, project, rows=statement.total, bad=list(statement.bad),
                          warnings=list(statement.warnings), dry_run=dry_run)
    sink = client.sink

    # 2. what the log holds already
    signers = sink.fellow_signers(client.key.id)
    known = sink.known(signers, [r.idem for r in statement.rows])
    todo: list[Row] = []
    for row in statement.rows:
        found = known.get(row.idem)
        if found is None:
            todo.append(row)
        elif found.body.get("type") == "donation.received" and _same_facts(found.body.get("data", {}), row.data):
            report.already.append((row.line, found.seq))
        else:
            report.bad.append(BadRow(
                row.line,
                f"this row's reference was imported before (seq {found.seq}) with other facts; correct that entry instead",
                f"该行流水号此前已导入（序号 {found.seq}），但内容不同；请更正原条目", "already_imported_differently"))

    # 3. dry-run the rules on the new rows
    salts = [new_salt() for _ in todo]
    commitments = [donor_fields(row.personal, salt) for row, salt in zip(todo, salts, strict=True)]

    def sign(rows: Sequence[int]) -> list[SignedEntry]:
        moment = now()
        return [client.sign("donation.received", dict(todo[i].data, **commitments[i]), todo[i].idem, at=moment)
                for i in rows]

    refused = sink.check(sign(range(len(todo)))) if todo else []
    dropped: set[int] = set()
    for position, exc in refused or []:
        dropped.add(position)
        report.bad.append(BadRow(todo[position].line, exc.message_en, exc.message_zh, refused_code(exc)))
    report.bad.sort(key=lambda b: b.line)
    good = [i for i in range(len(todo)) if i not in dropped]
    report.would_import = len(good)
    if dry_run or (report.bad and not skip_bad) or not good:
        return report

    # 5. submit, batch by batch
    position_in_good = 0
    while position_in_good < len(good):
        batch = good[position_in_good : position_in_good + batch_size]
        try:
            results, stored_flags = client.sink.append_with_donors(sign(batch), [(todo[i].personal, salts[i]) for i in batch], client.key)
        except LedgerError as exc:
            where = refused_position(exc)
            if where is not None and skip_bad and 0 <= where < len(batch):
                index = batch[where]
                report.bad.append(BadRow(todo[index].line, exc.message_en, exc.message_zh, refused_code(exc)))
                good.remove(index)
                report.bad.sort(key=lambda b: b.line)
                continue
            line = f" (line {todo[batch[where]].line})" if where is not None and 0 <= where < len(batch) else ""
            report.stopped = f"{exc.message_en}{line} / {exc.message_zh}"
            if where is not None and 0 <= where < len(batch):
                report.bad.append(BadRow(todo[batch[where]].line, exc.message_en, exc.message_zh, refused_code(exc)))
            break
        report.written = True
        for index, result, stored in zip(batch, results, stored_flags, strict=True):
            row = todo[index]
            report.imported.append(Imported(row.line, result.pos, result.leaf_hash,
                                            format_receipt_code(result.pos, salts[index]), salts[index],
                                            row.reference, stored))
        position_in_good += len(batch)
    return report


def import_file(client: Client, path: Path, **kwargs: Any) -> ImportReport:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LedgerError(IMPORT_FILE_INVALID, file=str(path), detail=exc.strerror or str(exc),
                          detail_zh=exc.strerror or str(exc)) from exc
    return import_donations(client, raw, file=path.name, **kwargs)


def write_receipts(report: ImportReport, path: Path) -> None:
    """Write the receipt codes of an import (line, reference, seq, receipt code) as CSV, mode
    0600: the codes carry the salts that let donors prove their donations."""
    import os

    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["line", "reference", "seq", "leaf_hash", "receipt_code", "donor_stored"])
        for item in report.imported:
            writer.writerow([item.line, item.reference or "", item.seq, item.leaf_hash, item.receipt_code,
                             "yes" if item.donor_stored else "no"])


__all__ = ["BadRow", "ImportReport", "Imported", "Statement", "decode", "import_donations", "import_file",
           "parse_amount_text", "parse_date", "read_statement", "write_receipts"]
