"""Import a bank or payment-platform statement (CSV) as signed ``donation.received`` entries.

The layout is documented in ``docs/import-format.md``. In short: one transaction per row, below
any title rows; a header row in Chinese or English (or a bank's export as downloaded, with
``preset`` = ``cmb``, ``icbc`` or ``alipay``); UTF-8 (with or without BOM) or GB18030; a date
column and an amount column (signed, or 收入/支出 columns) required, the others optional. Every
row is classified (:class:`RowClass`): only donations are recorded; interest, fees, refunds,
money paid out, totals and balances are listed in the report and skipped. The payer's name and
the personal columns (姓名, 证件号, 电话, 地址) go only to the encrypted donor store, never into an
entry; a paying company or foundation is recorded as such, never as anonymous. A remark bound
for the public note passes the personal-data guard (:mod:`ledger.domain.personal_guard`, with
every name of the statement): a hit refuses the row, or with ``drop_personal_text`` leaves the
note out and says so.

How an import runs (:func:`import_donations`):

1. **Read, classify and check every row** (:func:`read_statement`): encoding, header, class,
   dates, amounts (decimal text, never a float or an exponent), channel, donor type, duplicate
   references, personal data limits, the remark; each donation row becomes the ``data`` of a
   ``donation.received`` and is checked against the entry schema. Each bad row is reported with
   its line number and a reason in English and Chinese; each skipped row with its class.
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
   or hand the salts and receipt codes back (over HTTP; see :class:`ledger.services.client.HttpSink`).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from ledger.domain import personal_guard
from ledger.domain.codes import PERSONAL_DATA_IN_TEXT
from ledger.domain.money import CURRENCY_DIGITS, MAX_MINOR
from ledger.domain.privacy import PERSONAL_FIELDS, check_personal_data, donor_fields, format_receipt_code, new_salt
from ledger.domain.schemas import CHANNELS, DONOR_TYPES, validate
from ledger.domain.uscc import check_uscc
from ledger.errors import LedgerError, define
from ledger.protocol.canonical import canonical_bytes, now
from ledger.protocol.entry import SignedEntry
from ledger.protocol.grammar import text_problem
from ledger.services.client import CHINA, Client, donation_data, refused_code, refused_position
from ledger.store.log_store import MAX_BATCH

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
HEADER_SEARCH_LINES = 60  # the header row is looked for among the first lines (bank exports put titles above it)

# canonical column -> accepted header spellings (compared after normalising: lower case, no
# spaces, underscores, hyphens, slashes or brackets). "" in a preset means: known, not used.
COLUMNS: dict[str, tuple[str, ...]] = {
    "date": (
        "日期",
        "date",
        "交易日期",
        "到账日期",
        "收款日期",
        "捐赠日期",
        "received_on",
        "receivedon",
        "transactiondate",
        "交易日",
        "记账日期",
        "记账日",
        "入账日期",
        "入账时间",
    ),
    "time": ("交易时间", "发生时间", "time", "datetime"),
    "amount": ("金额", "amount", "捐赠金额", "到账金额", "交易金额", "发生额", "金额元"),
    "credit": (
        "收入",
        "收入金额",
        "贷方金额",
        "贷方发生额",
        "存入",
        "存入金额",
        "收入金额+元",
        "credit",
        "贷方",
        "收款金额",
    ),
    "debit": (
        "支出",
        "支出金额",
        "借方金额",
        "借方发生额",
        "支取",
        "支取金额",
        "支出金额-元",
        "debit",
        "借方",
        "付款金额",
    ),
    "direction": ("借贷", "借贷标志", "借/贷", "收支", "收/支", "收付方向", "交易方向", "资金方向", "direction"),
    "currency": ("币种", "currency", "货币", "交易币种"),
    "channel": ("渠道", "channel", "捐赠渠道", "收款渠道", "支付方式"),
    "donor_type": ("捐赠人类型", "donor_type", "donortype", "捐赠方类型", "捐赠者类型"),
    "restricted": ("定向", "restricted", "是否定向", "定向捐赠"),
    "reference": ("流水号", "reference", "交易流水号", "交易号", "ref", "transactionid", "账务流水号"),
    "order_no": ("订单号", "order_no", "orderno", "交易单号", "支付订单号", "微信订单号", "支付宝交易号"),
    "summary": ("摘要", "交易类型", "业务类型", "交易摘要", "业务摘要", "交易名称", "summary", "type"),
    "counterparty": (
        "对方户名",
        "对方名称",
        "对方账户名",
        "对方账户名称",
        "收/付方名称",
        "收付方名称",
        "对方单位名称",
        "交易对方",
        "付款人名称",
        "付款方名称",
        "付款人",
        "付款方",
        "汇款人",
        "对手信息",
        "counterparty",
        "payer",
    ),
    "counterparty_id": ("统一社会信用代码", "对方统一社会信用代码", "信用代码", "uscc", "creditcode"),
    "reversal": ("冲帐标志", "冲账标志", "冲正标志", "reversal"),
    "donor_name": ("捐赠人姓名", "donor_name", "donorname", "姓名", "捐赠人", "name", "捐赠者姓名"),
    "id_number": ("证件号", "id_number", "idnumber", "证件号码", "身份证号", "身份证号码"),
    "phone": ("电话", "phone", "联系电话", "手机", "手机号"),
    "address": ("地址", "address", "联系地址"),
    "note": ("备注", "note", "附言", "用途", "交易附言", "remark", "memo"),
    "receipt_no": ("票据号", "receipt_no", "receiptno", "捐赠票据号", "收据号"),
}
# columns a statement has that the import reads nothing from: accepted without a warning
KNOWN_UNUSED = (
    "余额",
    "账户余额",
    "联机余额",
    "账户余额元",
    "balance",
    "起息日",
    "本方账号",
    "本方户名",
    "对方账号",
    "收/付方帐号",
    "收/付方账号",
    "对方开户行",
    "收/付方开户行名",
    "对方行号",
    "交易渠道",
    "钞/汇",
    "交易场所",
    "商户订单号",
    "商户单号",
    "业务流水号",
    "支付方式",
    "当前状态",
    "交易状态",
    "商品名称",
    "凭证号",
    "个性化信息",
    "对方卡号",
    "记账金额",
)
_HEADER_NORMALISE = re.compile(r"[\s_\-()/+元]+")  # after NFKC: full-width brackets and plus are ASCII


def _norm(name: str) -> str:
    return _HEADER_NORMALISE.sub("", unicodedata.normalize("NFKC", name).strip().lower()) or name.strip().lower()


_ALIASES: dict[str, str] = {}
for _canonical, _names in COLUMNS.items():
    for _name in _names:
        _ALIASES[_norm(_name)] = _canonical
_UNUSED = {_norm(n) for n in KNOWN_UNUSED}
MULTI_COLUMNS = {"summary"}  # several columns may describe the transaction; their texts are read together

PERSONAL_COLUMNS = {"donor_name": "name", "id_number": "id_number", "phone": "phone", "address": "address"}


@dataclass(frozen=True, slots=True)
class Preset:
    """A bank's or platform's export as it comes: which header means what, the channel."""

    name: str
    title: str
    columns: dict[str, str]  # header as printed -> canonical column ("" = not used)
    signature: tuple[str, ...]  # headers that tell the export apart (all must be there)
    channel: str


PRESETS: dict[str, Preset] = {
    "cmb": Preset(
        "cmb",
        "招商银行 (China Merchants Bank) 企业网银 交易明细",
        {
            "交易日": "date",
            "交易时间": "",
            "起息日": "",
            "交易类型": "summary",
            "借方金额": "debit",
            "贷方金额": "credit",
            "余额": "",
            "摘要": "summary",
            "流水号": "reference",
            "流程实例号": "",
            "业务名称": "summary",
            "用途": "note",
            "业务参考号": "",
            "业务摘要": "summary",
            "其它摘要": "summary",
            "收/付方分行名": "",
            "收/付方名称": "counterparty",
            "收/付方帐号": "",
            "收/付方开户行行号": "",
            "收/付方开户行名": "",
            "收/付方开户行地址": "",
            "冲帐标志": "reversal",
        },
        ("交易日", "借方金额", "贷方金额", "收/付方名称"),
        "bank_transfer",
    ),
    "icbc": Preset(
        "icbc",
        "工商银行 (ICBC) 账户明细",
        {
            "交易日期": "date",
            "摘要": "summary",
            "交易场所": "",
            "交易国家或地区简称": "",
            "钞/汇": "",
            "交易金额": "amount",
            "交易币种": "currency",
            "余额": "",
            "对方户名": "counterparty",
            "对方账号": "",
            "附言": "note",
            "交易流水号": "reference",
        },
        ("交易日期", "交易金额", "对方户名"),
        "bank_transfer",
    ),
    "ccb": Preset(
        "ccb",
        "建设银行 (China Construction Bank) 企业网银 账户明细",
        {
            "交易时间": "date",
            "借方发生额（支取）": "debit",
            "贷方发生额（收入）": "credit",
            "余额": "",
            "币种": "currency",
            "对方户名": "counterparty",
            "对方账号": "",
            "对方开户机构": "",
            "记账日期": "",
            "摘要": "summary",
            "备注": "note",
            "账户明细编号-交易流水号": "reference",
            "企业流水号": "",
            "凭证种类": "",
            "凭证号": "",
        },
        ("交易时间", "借方发生额（支取）", "贷方发生额（收入）", "对方户名"),
        "bank_transfer",
    ),
    "abc": Preset(
        "abc",
        "农业银行 (Agricultural Bank of China) 企业网银 账户明细",
        {
            "交易时间": "date",
            "收入金额": "credit",
            "支出金额": "debit",
            "本次余额": "",
            "手续费总额": "",
            "交易方式": "",
            "交易行名": "",
            "交易类别": "summary",
            "对方省市": "",
            "对方账号": "",
            "对方户名": "counterparty",
            "交易说明": "summary",
            "交易摘要": "summary",
            "交易附言": "note",
            "交易流水号": "reference",
        },
        ("交易时间", "收入金额", "支出金额", "对方户名", "交易附言"),
        "bank_transfer",
    ),
    "boc": Preset(
        "boc",
        "中国银行 (Bank of China) 企业网银 交易明细",
        {
            "交易类型": "summary",
            "业务类型": "summary",
            "付款人开户行号": "",
            "付款人开户行名": "",
            "付款人账号": "",
            "付款人名称": "counterparty",
            "收款人开户行行号": "",
            "收款人开户行名": "",
            "收款人账号": "",
            "收款人名称": "",
            "交易日期": "date",
            "交易时间": "",
            "交易货币": "currency",
            "交易金额": "amount",
            "交易后余额": "",
            "起息日期": "",
            "汇率": "",
            "交易流水号": "reference",
            "客户申请号": "",
            "客户业务编号": "",
            "用途": "note",
            "备注": "",
            "摘要": "summary",
        },
        ("付款人名称", "收款人名称", "交易日期", "交易金额"),
        "bank_transfer",
    ),
    "bocom": Preset(
        "bocom",
        "交通银行 (Bank of Communications) 企业网银 账户明细",
        {
            "交易时间": "date",
            "借贷标志": "direction",
            "发生额": "amount",
            "余额": "",
            "对方户名": "counterparty",
            "对方账号": "",
            "对方开户行": "",
            "摘要": "summary",
            "附言": "note",
            "会计流水号": "reference",
            "凭证号": "",
        },
        ("交易时间", "借贷标志", "发生额", "对方户名"),
        "bank_transfer",
    ),
    "wechat": Preset(
        "wechat",
        "微信支付 (WeChat Pay) 账单明细",
        {
            "交易时间": "date",
            "交易类型": "summary",
            "交易对方": "counterparty",
            "商品": "summary",
            "收/支": "direction",
            "金额(元)": "amount",
            "支付方式": "",
            "当前状态": "",
            "交易单号": "order_no",
            "商户单号": "",
            "备注": "note",
        },
        ("交易时间", "交易对方", "收/支", "金额(元)", "交易单号"),
        "online_platform",
    ),
    "alipay": Preset(
        "alipay",
        "支付宝 (Alipay) 账务明细",
        {
            "账务流水号": "reference",
            "业务流水号": "",
            "商户订单号": "order_no",
            "商品名称": "summary",
            "发生时间": "date",
            "对方账号": "counterparty_combined",
            "收入金额（+元）": "credit",
            "支出金额（-元）": "debit",
            "账户余额（元）": "",
            "交易渠道": "",
            "业务类型": "summary",
            "备注": "note",
        },
        ("账务流水号", "发生时间", "对方账号", "收入金额（+元）", "支出金额（-元）"),
        "online_platform",
    ),
}

CHANNEL_NAMES: dict[str, str] = {
    **{c: c for c in CHANNELS},
    "银行转账": "bank_transfer",
    "转账": "bank_transfer",
    "银行": "bank_transfer",
    "银行汇款": "bank_transfer",
    "汇款": "bank_transfer",
    "对公转账": "bank_transfer",
    "bank": "bank_transfer",
    "banktransfer": "bank_transfer",
    "网络平台": "online_platform",
    "互联网平台": "online_platform",
    "网络": "online_platform",
    "线上": "online_platform",
    "在线": "online_platform",
    "互联网募捐平台": "online_platform",
    "互联网公开募捐信息平台": "online_platform",
    "微信": "online_platform",
    "微信支付": "online_platform",
    "支付宝": "online_platform",
    "online": "online_platform",
    "onlineplatform": "online_platform",
    "现金": "cash",
    "支票": "cheque",
    "check": "cheque",
    "实物交付": "delivery",
    "交付": "delivery",
    "其他": "other",
    "其它": "other",
}
DONOR_TYPE_NAMES: dict[str, str] = {
    **{d: d for d in DONOR_TYPES},
    "个人": "individual",
    "自然人": "individual",
    "企业": "enterprise",
    "公司": "enterprise",
    "单位": "enterprise",
    "company": "enterprise",
    "政府购买服务": "government_purchase",
    "政府购买": "government_purchase",
    "governmentpurchase": "government_purchase",
    "基金会": "foundation",
    "匿名": "anonymous",
}
CURRENCY_NAMES: dict[str, str] = {
    **{c.lower(): c for c in CURRENCY_DIGITS},
    "人民币": "CNY",
    "rmb": "CNY",
    "元": "CNY",
    "人民币元": "CNY",
    "港币": "HKD",
    "港元": "HKD",
    "澳门元": "MOP",
    "澳门币": "MOP",
    "美元": "USD",
    "欧元": "EUR",
    "英镑": "GBP",
    "日元": "JPY",
}
TRUE_WORDS = {"是", "定向", "true", "yes", "y", "1", "t"}
FALSE_WORDS = {"否", "非定向", "不定向", "false", "no", "n", "0", "f"}
CREDIT_WORDS = {"贷", "收", "收入", "入", "存入", "c", "cr", "credit", "+"}
DEBIT_WORDS = {"借", "支", "支出", "出", "支取", "d", "dr", "debit", "-"}
EMPTY_AMOUNTS = {"", "-", "--", "—", "/"}

# matched in full (fullmatch); \d and \s are ASCII only (re.ASCII)
_DATE_ISO = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?",
    re.ASCII,
)
_DATE_COMPACT = re.compile(
    r"(\d{4})(\d{2})(\d{2})(?:\s?\d{6}|\s\d{1,2}:\d{2}(?::\d{2})?)?", re.ASCII
)  # matched in full
_DATE_ZH = re.compile(
    r"(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?", re.ASCII
)  # matched in full
_AMOUNT_PLAIN = re.compile(r"(\d{1,16})(?:\.(\d{1,8}))?", re.ASCII)  # matched in full
_AMOUNT_GROUPED = re.compile(r"(\d{1,3}(?:,\d{3}){1,5})(?:\.(\d{1,8}))?", re.ASCII)  # matched in full
_CN_ID = re.compile(r"\d{17}[\dXx]", re.ASCII)  # matched in full
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_COMBINED = re.compile(r"^(.*?)\s*[(（]([^()（）]*)[)）]\s*$")  # Alipay: 陈某 (someone@example.com)


# --- row classes ------------------------------------------------------------------------------


class RowClass(StrEnum):
    """What a statement row is. Only ``donation`` rows become donations; the others are listed
    in the report and skipped here (the workbench wizard, :mod:`ledger.services.import_wizard`, records
    interest and fees as interest.received and fee.charged; settlements are reconciled, never recorded)."""

    DONATION = "donation"  # money received from a donor
    INTEREST = "interest"  # 利息 / 结息: the bank's interest
    FEE = "fee"  # 手续费 / 服务费 / 工本费: charges
    REFUND = "refund"  # 退款 / 冲正 / 退汇: money returned, a reversal
    OUTGOING = "outgoing"  # the debit side: money paid out
    SETTLEMENT = "settlement"  # 结算 / 提现: a payment platform paying out what donors gave through it
    SUBTOTAL = "subtotal"  # 合计 / 小计 / 总计 lines
    BALANCE = "balance"  # 余额 lines: balance brought or carried forward
    TEXT = "text"  # a title or footer line inside the table, no transaction


CLASS_NAMES: dict[RowClass, tuple[str, str]] = {
    RowClass.DONATION: ("a donation", "捐赠"),
    RowClass.INTEREST: ("bank interest, not a donation", "银行利息，不是捐赠"),
    RowClass.FEE: ("a fee or charge, not a donation", "手续费或服务费，不是捐赠"),
    RowClass.REFUND: ("a refund or reversal, not a donation", "退款或冲正，不是捐赠"),
    RowClass.OUTGOING: ("money paid out (debit side), not a donation", "支出（借方），不是捐赠"),
    RowClass.SETTLEMENT: (
        "a payment platform's settlement of donations recorded one by one, not a new donation",
        "支付平台的结算款（其中的捐赠已逐笔记录），不是新的捐赠",
    ),
    RowClass.SUBTOTAL: ("a total or subtotal line", "合计或小计行"),
    RowClass.BALANCE: ("a balance line", "余额行"),
    RowClass.TEXT: ("a line without a transaction", "不含交易的文字行"),
}
_KEYWORDS: tuple[tuple[RowClass, re.Pattern[str]], ...] = (
    (
        RowClass.REFUND,
        re.compile(r"退款|退汇|退回|退票|冲正|冲账|冲帐|抹账|撤销|原路退|refund|reversal", re.IGNORECASE),
    ),
    (RowClass.INTEREST, re.compile(r"利息|结息|计息|付息|存息|息金|interest", re.IGNORECASE)),
    (
        RowClass.FEE,
        re.compile(
            r"手续费|服务费|工本费|管理费|年费|短信费|汇划费|维护费|邮电费|收费|扣费|\bfees?\b|charges?", re.IGNORECASE
        ),
    ),
)
_SETTLEMENT = re.compile(
    r"结算|提现|清算|划款|资金归集|财付通|tenpay|settlement|payout|withdraw", re.IGNORECASE
)  # in the summary, remark or the counterparty's name (财付通支付科技有限公司, 支付宝（中国）网络技术有限公司)
_PLATFORM_PAYER = re.compile(r"财付通|tenpay|支付宝|alipay|微信支付|wechat ?pay", re.IGNORECASE)
_SUBTOTAL = re.compile(r"合计|小计|总计|累计|共计|本页|\btotal\b|subtotal", re.IGNORECASE)
_BALANCE = re.compile(
    r"期初余额|期末余额|上日余额|本日余额|承前页|过次页|余额结转|结转余额|上期结转|opening balance|closing balance|"
    r"balance (?:brought|carried)",
    re.IGNORECASE,
)


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int
    reason: str
    reason_zh: str
    code: str = "row_invalid"

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "code": self.code, "reason": self.reason, "reason_zh": self.reason_zh}


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """A row that is not a donation, and why; never written."""

    line: int
    row_class: RowClass
    amount: str | None  # the row's amount as a decimal string, when it has one
    on_date: str | None = None  # the row's date, when it reads as one
    reference: str | None = None  # the statement's reference (流水号)
    summary: str = ""  # the row's words (摘要), for the interest and fee entries' note
    sign: str = ""  # "+" money in, "-" money out, "" unknown
    currency: str = "CNY"

    def to_json(self) -> dict[str, Any]:
        en, zh = CLASS_NAMES[self.row_class]
        return {"line": self.line, "class": str(self.row_class), "amount": self.amount, "reason": en, "reason_zh": zh}


@dataclass(frozen=True, slots=True)
class DroppedText:
    """Free text left out of a donation because it held personal data (``--drop-personal-text``)."""

    line: int
    field: str
    kind: str

    def to_json(self) -> dict[str, Any]:
        en, zh = personal_guard.KINDS[self.kind]
        return {
            "line": self.line,
            "field": self.field,
            "kind": self.kind,
            "reason": f"the {self.field} held {en}; it was left out of the log",
            "reason_zh": f"{self.field} 含有{zh}，未写入账本",
        }


@dataclass(slots=True)
class Row:
    """One good row: the entry's data (without the commitment), its donor and its idem."""

    line: int
    data: dict[str, Any]
    personal: dict[str, str]
    idem: str
    reference: str | None
    order: str | None = None  # the payment platform's order number (private: never in an entry)


@dataclass(slots=True)
class Statement:
    file: str
    encoding: str
    rows: list[Row] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    dropped: list[DroppedText] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    total: int = 0  # data rows read (good, bad and skipped)
    header_line: int = 1
    preset: str | None = None
    header: tuple[str, ...] = ()  # the header row as printed

    def classes(self) -> dict[str, int]:
        counts = Counter({str(RowClass.DONATION): len(self.rows)})
        counts.update(str(s.row_class) for s in self.skipped)
        return {str(c): counts[str(c)] for c in RowClass if counts[str(c)]}


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
        return {
            "line": self.line,
            "seq": self.seq,
            "leaf_hash": self.leaf_hash,
            "receipt_code": self.receipt_code,
            "reference": self.reference,
            "donor_stored": self.donor_stored,
        }


@dataclass(slots=True)
class ImportReport:
    file: str
    encoding: str
    project: str
    rows: int = 0
    imported: list[Imported] = field(default_factory=list)
    already: list[tuple[int, int]] = field(default_factory=list)  # (line, seq)
    bad: list[BadRow] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    dropped: list[DroppedText] = field(default_factory=list)
    classes: dict[str, int] = field(default_factory=dict)
    preset: str | None = None
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    would_import: int = 0
    written: bool = False
    stopped: str | None = None  # why submission stopped part-way (batches before it are written)

    @property
    def ok(self) -> bool:
        return not self.bad and self.stopped is None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "encoding": self.encoding,
            "project": self.project,
            "preset": self.preset,
            "rows": self.rows,
            "classes": self.classes,
            "imported": len(self.imported),
            "already_imported": len(self.already),
            "bad": len(self.bad),
            "skipped": len(self.skipped),
            "dropped_text": len(self.dropped),
            "dry_run": self.dry_run,
            "would_import": self.would_import,
            "written": self.written,
            "stopped": self.stopped,
            "warnings": self.warnings,
            "bad_rows": [b.to_json() for b in self.bad],
            "skipped_rows": [s.to_json() for s in self.skipped],
            "dropped_text_rows": [d.to_json() for d in self.dropped],
            "already_imported_rows": [{"line": line, "seq": seq} for line, seq in self.already],
            "imported_rows": [i.to_json() for i in self.imported],
        }


# --- reading ----------------------------------------------------------------------------------


def decode(raw: bytes, file: str = "statement") -> tuple[str, str]:
    """The text of a statement and the encoding found: UTF-8 with a BOM, UTF-8, or GB18030."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LedgerError(
            IMPORT_FILE_INVALID,
            file=file,
            detail="it is UTF-16; save it as CSV in UTF-8 (or GB18030)",
            detail_zh="文件为 UTF-16 编码，请另存为 UTF-8（或 GB18030）编码的 CSV",
        )
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise LedgerError(
            IMPORT_FILE_INVALID,
            file=file,
            detail=f"it is neither UTF-8 nor GB18030 text (byte {exc.start})",
            detail_zh=f"文件既不是 UTF-8 也不是 GB18030 编码（第 {exc.start} 字节）",
        ) from None


@dataclass(slots=True)
class _Header:
    columns: dict[str, int]  # canonical -> index (one column each)
    multi: dict[str, list[int]]  # canonical -> indexes (summary)
    unknown: list[str]


def _map_header(header: list[str], preset: Preset | None) -> _Header:
    """What each column of a header row means; raises _HeaderProblem for two columns meaning one thing."""
    preset_map = {_norm(k): v for k, v in preset.columns.items()} if preset else {}
    columns: dict[str, int] = {}
    multi: dict[str, list[int]] = {}
    unknown: list[str] = []
    # under a preset, its own columns come first: a column it does not name is read by its name
    # only for what the preset's columns leave open (else it is ignored, with a warning)
    taken = {v for k, v in preset_map.items() if v and k in {_norm(h) for h in header}}
    for index, name in enumerate(header):
        key = _norm(name)
        if not name.strip():
            continue
        canonical = preset_map[key] if key in preset_map else _ALIASES.get(key)
        if preset and key not in preset_map and canonical in taken:
            unknown.append(name.strip())
            continue
        if canonical == "":
            continue
        if canonical is None:
            if key not in _UNUSED:
                unknown.append(name.strip())
            continue
        if canonical in MULTI_COLUMNS:
            multi.setdefault(canonical, []).append(index)
            continue
        if canonical in columns:
            raise _HeaderProblem(canonical, header[columns[canonical]].strip(), name.strip())
        columns[canonical] = index
    return _Header(columns, multi, unknown)


class _HeaderProblem(Exception):
    def __init__(self, canonical: str, first: str, second: str) -> None:
        super().__init__(canonical)
        self.canonical, self.first, self.second = canonical, first, second


def _is_header(mapped: _Header) -> bool:
    has_date = "date" in mapped.columns or "time" in mapped.columns
    has_amount = any(c in mapped.columns for c in ("amount", "credit", "debit"))
    return has_date and has_amount


def _find_header(records: list[tuple[int, list[str]]], preset: Preset | None, file: str) -> tuple[int, _Header]:
    """The position (in ``records``) of the header row: the first row naming a date and an amount column."""
    problem: _HeaderProblem | None = None
    for position, (_line, record) in enumerate(records[:HEADER_SEARCH_LINES]):
        try:
            mapped = _map_header(record, preset)
        except _HeaderProblem as exc:
            problem = problem or exc
            continue
        if _is_header(mapped):
            if preset is not None:
                present = {_norm(c) for c in record}
                missing = [s for s in preset.signature if _norm(s) not in present]
                if missing:
                    raise LedgerError(
                        IMPORT_FILE_INVALID,
                        file=file,
                        detail=f"it does not look like a {preset.title} export "
                        f"(no column {', '.join(missing)}); check --preset, or import without it",
                        detail_zh=f"文件不像{preset.title}导出的格式（缺少列 {'、'.join(missing)}）；"
                        "请检查 --preset，或不用 --preset 导入",
                    )
            return position, mapped
    if problem is not None:
        raise LedgerError(
            IMPORT_FILE_INVALID,
            file=file,
            detail=f"two columns mean {problem.canonical} ({problem.first!r} and {problem.second!r}); "
            "remove one, or use the --preset of the bank's export",
            detail_zh=f"有两列都表示 {problem.canonical}（{problem.first!r} 和 {problem.second!r}）；"
            "请删除其中一列，或使用对应银行导出格式的 --preset",
        )
    raise LedgerError(
        IMPORT_FILE_INVALID,
        file=file,
        detail="no header row with a date column (日期/date) and an amount column (金额/amount, or "
        "收入/贷方金额 and 支出/借方金额) was found in its first lines",
        detail_zh="文件开头几行中没有找到含日期列（日期/date）和金额列（金额/amount，或 收入/贷方金额 与 "
        "支出/借方金额）的表头行",
    )


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
    commas only in groups of exactly three (``1,234.50``); a leading ``¥``/``￥`` or a trailing
    ``元`` for CNY. Refused: exponents (``1e3``), signs (the caller reads a sign as the row's
    direction first), spaces inside, other separators, zero. Text only: never a float."""
    value = text.strip()
    if not value:
        raise _RowError("the amount is missing", "缺少金额")
    if currency == "CNY":
        if value[:1] in ("¥", "￥"):
            value = value[1:].strip()
        if value.endswith("元"):
            value = value[:-1].strip()
    if value.startswith("-"):
        raise _RowError(
            f"the amount {text.strip()!r} is negative: an outgoing payment, not a donation",
            f"金额 {text.strip()!r} 为负数：这是支出，不是捐赠",
        )
    match = _AMOUNT_PLAIN.fullmatch(value) or _AMOUNT_GROUPED.fullmatch(value)
    if not match:
        raise _RowError(
            f"the amount {text.strip()!r} is not a decimal number like 1234.50 (no exponents, no spaces)",
            f"金额 {text.strip()!r} 不是形如 1234.50 的十进制数（不能用科学计数法或空格）",
        )
    whole, fraction = match.group(1).replace(",", ""), match.group(2) or ""
    digits = CURRENCY_DIGITS[currency]
    if len(fraction) > digits:
        raise _RowError(
            f"the amount {text.strip()!r} has more than {digits} decimals for {currency}",
            f"金额 {text.strip()!r} 的小数位超过 {currency} 的 {digits} 位",
        )
    minor = int(whole) * 10**digits + (int(fraction.ljust(digits, "0")) if digits else 0)
    if minor <= 0:
        raise _RowError("the amount is zero", "金额为零")
    if minor > MAX_MINOR:
        raise _RowError(
            f"the amount {text.strip()!r} is larger than the accepted maximum",
            f"金额 {text.strip()!r} 超过允许的最大值",
        )
    if digits == 0:
        return str(minor)
    return f"{minor // 10**digits}.{minor % 10**digits:0{digits}d}"


def _is_zero(text: str) -> bool:
    value = text.strip().lstrip("¥￥+-").rstrip("元").replace(",", "").strip()
    return value in EMPTY_AMOUNTS or bool(re.fullmatch(r"0+(?:\.0+)?", value))


def _choice(value: str, names: dict[str, str], what: str, what_zh: str, known: Sequence[str]) -> str:
    key = _norm(value)
    found = names.get(key) or names.get(value.strip())
    if found is None:
        raise _RowError(
            f"unknown {what} {value.strip()!r} (known: {', '.join(known)})",
            f"未知的{what_zh} {value.strip()!r}（可用：{'、'.join(known)}）",
        )
    return found


def _flag(value: str) -> bool:
    key = value.strip().lower()
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    raise _RowError(
        f"restricted must be yes or no (是/否), not {value.strip()!r}",
        f"定向一栏应填 是 或 否，而不是 {value.strip()!r}",
    )


def _check_id_number(value: str) -> None:
    """An 18-character mainland resident ID number must have its GB 11643 check character;
    other documents (passports, permits) are taken as written."""
    if _CN_ID.fullmatch(value):
        body = value[:17]
        if _ID_CHECK[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True)) % 11] != value[17].upper():
            raise _RowError(
                "the ID number's check character is wrong; look for a typing error",
                "证件号校验位不对，请检查是否输入有误",
            )


def _idem(project: str, reference: str | None, data: dict[str, Any], occurrence: int) -> str:
    if reference is not None:
        material: Any = ["ref", project, reference]
    else:
        public = {k: v for k, v in data.items() if k != "commitment"}
        material = ["row", public, occurrence]
    return "import:" + hashlib.sha256(canonical_bytes(material)).hexdigest()


# --- donors ------------------------------------------------------------------------------------

_FOUNDATION_ENDINGS = ("基金会", "foundation")
_ENTERPRISE_ENDINGS = (
    "公司",
    "集团",
    "银行",
    "支行",
    "分行",
    "企业",
    "厂",
    "商行",
    "店",
    "事务所",
    "合作社",
    "工作室",
    "co",
    "co.",
    "ltd",
    "ltd.",
    "inc",
    "inc.",
    "llc",
    "limited",
    "corp",
    "corp.",
    "corporation",
    "group",
    "bank",
)


ORGANISATION_DONOR_TYPES = ("enterprise", "foundation", "government_purchase")


def organisation_donor_type(name: str, uscc: str | None = None, other: str | None = None) -> str | None:
    """The donor type of an organisation's name (or its unified social credit code), if the
    domain has one for it: ``foundation`` or ``enterprise``; None for a person's name. For an
    organisation the domain's donor types do not fit (an association, a school, a public body):
    ``other`` if given (``--organisation-donor-type``), else _RowError."""
    if uscc:
        head = uscc[:2]
        if head == "53":
            return "foundation"
        if head[:1] == "9":
            return "enterprise"
    if not personal_guard.looks_like_organisation(name) and not uscc:
        return None
    text = re.sub(r"[(（][^()（）]*[)）]?$", "", unicodedata.normalize("NFKC", name).strip()).strip().lower()
    if text.endswith(_FOUNDATION_ENDINGS):
        return "foundation"
    if text.endswith(_ENTERPRISE_ENDINGS):
        return "enterprise"
    if other is not None:
        return other
    raise _RowError(
        "the payer is an organisation that is neither an enterprise nor a foundation (an association, a school, a "
        "public body...); the ledger's donor types are individual, enterprise, foundation, government_purchase and "
        "anonymous: write the right one in a 捐赠人类型/donor_type column for this line, or give "
        "--organisation-donor-type for all such payers",
        "付款方是既非企业也非基金会的组织（协会、学校、机关等）；账本的捐赠人类型只有 个人、企业、基金会、政府购买服务、"
        "匿名：请在本行的 捐赠人类型/donor_type 列中填写合适的类型，或用 --organisation-donor-type 为所有此类付款方指定",
        "donor_type_undecided",
    )


def _split_combined(value: str) -> tuple[str, str]:
    """``陈某 (someone@example.com)`` -> (name, account); an account alone -> ("", account)."""
    match = _COMBINED.match(value)
    if match:
        return match.group(1).strip(), match.group(2).strip()
    if "@" in value or re.fullmatch(r"[0-9*+\-\s]{7,}", value):
        return "", value
    return value, ""


# --- the rows -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Cells:
    line: int
    record: list[str]
    header: _Header

    def get(self, name: str) -> str:
        index = self.header.columns.get(name)
        if index is None or index >= len(self.record):
            return ""
        value = self.record[index].strip()
        if value == "/":  # WeChat Pay's mark of an empty cell
            return ""
        if _CONTROL.search(value) or text_problem(value) is not None:
            raise _RowError(
                f"the {name} column contains line breaks or control characters", f"{name} 一栏含有换行或控制字符"
            )
        return value

    def texts(self, name: str) -> str:
        return " ".join(self.record[i].strip() for i in self.header.multi.get(name, ()) if i < len(self.record))

    def counterparty(self) -> tuple[str, str]:
        """(name, account) of the other side of the transaction."""
        combined = self.header.columns.get("counterparty_combined")
        if combined is not None:
            value = self.record[combined].strip() if combined < len(self.record) else ""
            return _split_combined(value)
        return self.get("counterparty"), ""


def _amount_cell(cells: _Cells, name: str) -> str:
    return unicodedata.normalize("NFKC", cells.get(name)).replace("\u2212", "-").strip()


def _direction(cells: _Cells) -> tuple[str | None, str, str]:
    """(sign, amount text, which column) of a row: sign "+" money in, "-" money out, None: no amount."""
    credit, debit = _amount_cell(cells, "credit"), _amount_cell(cells, "debit")
    amount = _amount_cell(cells, "amount")
    credit_given = bool(credit) and not _is_zero(credit)
    debit_given = bool(debit) and not _is_zero(debit)
    if credit_given and debit_given:
        raise _RowError(
            "the row has an amount in both the credit (收入/贷方) and the debit (支出/借方) column",
            "该行的收入（贷方）和支出（借方）两列都有金额",
        )
    if credit_given:
        return "+", credit.lstrip("+").strip(), "credit"
    if debit_given:
        return "-", debit.lstrip("+-").strip(), "debit"
    if not amount or _is_zero(amount):
        return None, "", ""
    text = amount.strip()
    sign = "+"
    if text[:1] in "+-":
        sign, text = text[0], text[1:].strip()
    direction = cells.get("direction").lower()
    if direction:
        if direction in DEBIT_WORDS or direction.startswith(("借", "支")):
            sign = "-" if sign == "+" else "+"
        elif not (direction in CREDIT_WORDS or direction.startswith(("贷", "收"))):
            raise _RowError(
                f"the direction {cells.get('direction')!r} is neither credit (贷/收入) nor debit (借/支出)",
                f"收支方向 {cells.get('direction')!r} 既不是贷/收入，也不是借/支出",
            )
    return sign, text, "amount"


def classify(cells: _Cells, has_summary: bool) -> tuple[RowClass, str | None, str]:
    """The row's class, and its amount text and sign when it has one."""
    text_cells = [c.strip() for c in cells.record if c.strip()]
    joined = " ".join(text_cells)
    date_text = cells.get("date") or cells.get("time")
    if _BALANCE.search(joined):
        return RowClass.BALANCE, None, ""
    if _SUBTOTAL.search(date_text) or (_SUBTOTAL.search(joined) and not _looks_like_date(date_text)):
        return RowClass.SUBTOTAL, None, ""
    words = cells.texts("summary") if has_summary else cells.get("note")
    settlement = bool(_SETTLEMENT.search(words) or _PLATFORM_PAYER.search(cells.counterparty()[0]))
    try:
        sign, amount, _column = _direction(cells)
    except _RowError:
        if not settlement:
            raise
        # a platform's own transfer line may carry no direction
        sign, amount = "", _amount_cell(cells, "amount").lstrip("+-")
    if sign is None and not _looks_like_date(date_text):
        return RowClass.TEXT, None, ""
    reversal = cells.get("reversal")
    if reversal and reversal.lower() not in FALSE_WORDS and reversal not in ("-", "--"):
        return RowClass.REFUND, amount, sign or ""
    for row_class, pattern in _KEYWORDS:
        if pattern.search(words):
            return row_class, amount, sign or ""
    if settlement and sign != "-":  # money the platform pays in: its donors' gifts, recorded one by one
        return RowClass.SETTLEMENT, amount, sign or ""
    if sign == "-":
        return RowClass.OUTGOING, amount, sign
    return RowClass.DONATION, amount, sign or ""


def _looks_like_date(text: str) -> bool:
    value = text.strip()
    return bool(value) and bool(
        _DATE_ISO.fullmatch(value) or _DATE_COMPACT.fullmatch(value) or _DATE_ZH.fullmatch(value)
    )


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
    preset: str | None = None,
    drop_personal_text: bool = False,
    organisation_donor_type: str | None = None,
    custom: Preset | None = None,
) -> Statement:
    """Read and check a statement: every row is a donation (good or bad) or a skipped row.
    ``custom``: a column mapping given by a person (the workbench's wizard), used as a preset."""
    today = today or now().astimezone(CHINA).date()
    default_currency = CURRENCY_NAMES.get(currency.strip().lower())
    if default_currency is None:
        raise LedgerError("currency_invalid", currency=currency, accepted=", ".join(sorted(CURRENCY_DIGITS)))
    if organisation_donor_type is not None and organisation_donor_type not in ORGANISATION_DONOR_TYPES:
        raise LedgerError(
            IMPORT_FILE_INVALID,
            file=file,
            detail=f"--organisation-donor-type is one of {', '.join(ORGANISATION_DONOR_TYPES)}",
            detail_zh=f"--organisation-donor-type 只能是 {'、'.join(ORGANISATION_DONOR_TYPES)} 之一",
        )
    chosen = custom
    if custom is not None:
        channel = channel or custom.channel
    elif preset is not None:
        chosen = PRESETS.get(preset)
        if chosen is None:
            raise LedgerError(
                IMPORT_FILE_INVALID,
                file=file,
                detail=f"there is no preset {preset!r} (known: {', '.join(PRESETS)})",
                detail_zh=f"没有预设格式 {preset!r}（可用：{'、'.join(PRESETS)}）",
            )
        channel = channel or chosen.channel
    text, encoding = decode(raw, file)
    statement = Statement(file, encoding, preset=preset)
    records: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record) or record[0].lstrip().startswith("#"):
                continue
            records.append((start, record))
    except csv.Error as exc:
        raise LedgerError(
            IMPORT_FILE_INVALID,
            file=file,
            detail=f"line {reader.line_num}: {exc}",
            detail_zh=f"第 {reader.line_num} 行：CSV 格式错误（{exc}）",
        ) from None
    if not records:
        raise LedgerError(IMPORT_FILE_INVALID, file=file, detail="it is empty", detail_zh="文件为空")
    position, header = _find_header(records, chosen, file)
    statement.header_line = records[position][0]
    statement.header = tuple(records[position][1])
    if position:
        statement.warnings.append(
            f"{position} line(s) above the table were skipped (titles, account details) / "
            f"已跳过表格上方的 {position} 行（标题、账户信息）"
        )
    if header.unknown:
        statement.warnings.append(
            f"ignored columns (they never reach the log) / 已忽略的列（不会写入账本）: {', '.join(header.unknown)}"
        )
    if "channel" not in header.columns and channel is None:
        raise LedgerError(
            IMPORT_FILE_INVALID,
            file=file,
            detail="there is no 渠道/channel column: give the channel of the whole file with --channel "
            "(or the --preset of the bank's export)",
            detail_zh="没有 渠道/channel 列：请用 --channel 指定整份文件的捐赠渠道（或使用对应银行导出格式的 --preset）",
        )
    if "date" not in header.columns:
        header.columns["date"] = header.columns.pop("time")
    rows = [_Cells(line, record, header) for line, record in records[position + 1 :]]
    if len(rows) > MAX_ROWS:
        raise LedgerError(
            IMPORT_FILE_INVALID,
            file=file,
            detail=f"it has more than {MAX_ROWS} rows; split it",
            detail_zh=f"超过 {MAX_ROWS} 行，请拆分文件",
        )
    statement.total = len(rows)

    # the personal names of the whole statement: a remark on one line may name the payer of another
    names: list[str] = []
    for cells in rows:
        with contextlib.suppress(_RowError):
            for value in (cells.get("donor_name"), cells.counterparty()[0]):
                if value and not personal_guard.looks_like_organisation(value):
                    names.append(value)
    known = personal_guard.usable_names(names)

    references: dict[str, int] = {}
    occurrences: Counter[str] = Counter()
    has_summary = bool(header.multi.get("summary"))
    for cells in rows:
        try:
            row_class, amount_text, sign = classify(cells, has_summary)
            if row_class is not RowClass.DONATION:
                statement.skipped.append(_skipped(cells, row_class, amount_text, sign, default_currency, today))
                continue
            row, dropped = _row(
                cells,
                amount_text,
                project=project,
                currency=default_currency,
                channel=channel,
                donor_type=donor_type,
                restricted=restricted,
                today=today,
                names=known,
                drop_personal_text=drop_personal_text,
                organisation_type=organisation_donor_type,
            )
        except _RowError as bad:
            statement.bad.append(BadRow(cells.line, bad.reason, bad.reason_zh, bad.code))
            continue
        statement.dropped.extend(dropped)
        if row.reference is not None:
            first = references.get(row.reference)
            if first is not None:
                statement.bad.append(
                    BadRow(
                        cells.line,
                        f"duplicate reference {row.reference!r}: line {first} has it already",
                        f"流水号 {row.reference!r} 重复：第 {first} 行已有",
                        "duplicate_reference",
                    )
                )
                continue
            references[row.reference] = cells.line
            row.idem = _idem(project, row.reference, row.data, 0)
        else:
            key = canonical_bytes(row.data).decode()
            row.idem = _idem(project, None, row.data, occurrences[key])
            occurrences[key] += 1
        statement.rows.append(row)
    return statement


def _skipped(
    cells: _Cells, row_class: RowClass, amount_text: str | None, sign: str, currency: str, today: date
) -> SkippedRow:
    """A row that is not a donation, with what the wizard needs to record interest and fees."""
    amount = _amount_or_none(amount_text, currency)
    on_date = reference = None
    summary = ""
    if amount is not None:
        with contextlib.suppress(_RowError):
            on_date = parse_date(cells.get("date"), today)
        with contextlib.suppress(_RowError):
            reference = cells.get("reference") or None
        with contextlib.suppress(_RowError):
            summary = " ".join((cells.texts("summary"), cells.get("note"))).strip()
    return SkippedRow(cells.line, row_class, amount, on_date, reference, summary, sign, currency)


def _amount_or_none(text: str | None, currency: str) -> str | None:
    if not text:
        return None
    try:
        return parse_amount_text(text, currency)
    except _RowError:
        return None


def _row(
    cells: _Cells,
    amount_text: str | None,
    *,
    project: str,
    currency: str,
    channel: str | None,
    donor_type: str | None,
    restricted: bool,
    today: date,
    names: personal_guard.NameSet,
    drop_personal_text: bool,
    organisation_type: str | None = None,
) -> tuple[Row, list[DroppedText]]:
    currency_text = cells.get("currency")
    row_currency = currency
    if currency_text:
        row_currency = _choice(currency_text, CURRENCY_NAMES, "currency", "币种", sorted(CURRENCY_DIGITS))
    received_on = parse_date(cells.get("date"), today)
    amount = parse_amount_text(amount_text or "", row_currency)
    channel_text = cells.get("channel")
    row_channel = channel
    if channel_text:
        row_channel = _choice(channel_text, CHANNEL_NAMES, "channel", "捐赠渠道", CHANNELS)
    if row_channel is None:
        raise _RowError(
            "the channel is missing (or give --channel for the whole file)",
            "缺少捐赠渠道（或用 --channel 为整份文件指定）",
        )
    personal = {field: cells.get(column) for column, field in PERSONAL_COLUMNS.items() if cells.get(column)}
    payer, account = cells.counterparty()
    uscc = cells.get("counterparty_id") or None
    if uscc is not None:
        try:
            check_uscc(uscc)
        except LedgerError as exc:
            raise _RowError(
                f"the payer's credit code: {exc.message_en}", f"付款方统一社会信用代码：{exc.message_zh}"
            ) from None
    type_text = cells.get("donor_type")
    who = payer or personal.get("name", "")
    inferred = organisation_donor_type(who, uscc, organisation_type) if (who or uscc) and not type_text else None
    if payer and "name" not in personal:
        personal["name"] = payer[: PERSONAL_FIELDS["name"]]
    if inferred is not None and uscc and "id_number" not in personal:
        personal["id_number"] = uscc
    if account and "phone" not in personal and personal_guard.find_personal_data(account, kinds=[personal_guard.PHONE]):
        personal["phone"] = account[: PERSONAL_FIELDS["phone"]]
    try:
        check_personal_data(personal)
    except LedgerError as exc:
        raise _RowError(
            f"donor data: {exc.params.get('detail')}", f"捐赠人信息：{exc.params.get('detail_zh')}"
        ) from None
    if "id_number" in personal:
        _check_id_number(personal["id_number"])
    if type_text:
        row_donor_type = _choice(type_text, DONOR_TYPE_NAMES, "donor type", "捐赠人类型", DONOR_TYPES)
    elif inferred is not None:
        row_donor_type = inferred
    else:
        row_donor_type = donor_type or ("individual" if personal else "anonymous")
    restricted_text = cells.get("restricted")
    row_restricted = _flag(restricted_text) if restricted_text else restricted
    note = cells.get("note") or None
    dropped: list[DroppedText] = []
    if note is not None:
        found = personal_guard.find_personal_data(note, names, strict=True)  # the row's own payer is in names
        repeated = (
            (personal_guard.ID_NUMBER, personal.get("id_number")),
            (personal_guard.PHONE, personal.get("phone")),
        )
        for kind, value in repeated:
            if value and value in note and not found:
                found = [personal_guard.Finding(kind, 0, len(note))]
        if found:
            kind = found[0].kind
            en, zh = personal_guard.KINDS[kind]
            if not drop_personal_text:
                raise _RowError(
                    f"the remark (备注/附言/用途) holds what looks like {en}; remarks become public notes, so remove it, "
                    "or import with --drop-personal-text to leave such remarks out",
                    f"备注/附言/用途中含有疑似{zh}的内容；备注会公开，请删除，或使用 --drop-personal-text 导入以略去此类备注",
                    PERSONAL_DATA_IN_TEXT,
                )
            dropped.append(DroppedText(cells.line, "note", kind))
            note = None
    reference = cells.get("reference") or cells.get("order_no") or None
    if reference is not None and len(reference) > 128:
        raise _RowError("the reference is longer than 128 characters", "流水号超过 128 个字符")
    data = donation_data(
        project,
        amount,
        row_currency,
        commitment="0" * 64,
        receipt="0" * 64,
        received_on=received_on,
        channel=row_channel,
        donor_type=row_donor_type,
        restricted=row_restricted,
        receipt_no=cells.get("receipt_no") or None,
        note=note,
    )
    try:
        validate("donation.received", data)
        personal_guard.check_entry_text("donation.received", data, names)
    except LedgerError as exc:
        field_name = exc.params.get("field", "")
        raise _RowError(f"{field_name}: {exc.message_en}", f"{field_name}：{exc.message_zh}", exc.code) from None
    del data["commitment"], data["receipt"]
    order = cells.get("order_no").lstrip("`'").strip() or None
    return Row(cells.line, data, personal, "", reference, order[:128] if order else None), dropped


# --- importing --------------------------------------------------------------------------------


_COMPARED = (
    "project",
    "currency",
    "amount",
    "kind",
    "channel",
    "donor_type",
    "restricted",
    "received_on",
    "receipt_no",
    "note",
    "in_kind_description",
)


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
    preset: str | None = None,
    drop_personal_text: bool = False,
    organisation_donor_type: str | None = None,
) -> ImportReport:
    """Import a statement's rows as donations signed by ``client``'s key (see the module doc).

    Raises ``import_file_invalid`` for a file that cannot be read at all; returns a report
    otherwise. ``report.ok`` is False when rows were bad (then, without ``skip_bad``, nothing was
    written) or when submission stopped part-way (``report.stopped`` says why).
    """
    statement = read_statement(
        raw,
        project=project,
        file=file,
        currency=currency,
        channel=channel,
        donor_type=donor_type,
        restricted=restricted,
        preset=preset,
        drop_personal_text=drop_personal_text,
        organisation_donor_type=organisation_donor_type,
    )
    report = ImportReport(
        file,
        statement.encoding,
        project,
        rows=statement.total,
        bad=list(statement.bad),
        skipped=list(statement.skipped),
        dropped=list(statement.dropped),
        classes=statement.classes(),
        preset=preset,
        warnings=list(statement.warnings),
        dry_run=dry_run,
    )
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
            report.bad.append(
                BadRow(
                    row.line,
                    f"this row's reference was imported before (seq {found.seq}) with other facts; correct that entry instead",
                    f"该行流水号此前已导入（序号 {found.seq}），但内容不同；请更正原条目",
                    "already_imported_differently",
                )
            )

    # 3. dry-run the rules on the new rows
    salts = [new_salt() for _ in todo]
    commitments = [donor_fields(row.personal, salt) for row, salt in zip(todo, salts, strict=True)]

    def sign(rows: Sequence[int]) -> list[SignedEntry]:
        moment = now()
        return [
            client.sign("donation.received", dict(todo[i].data, **commitments[i]), todo[i].idem, at=moment)
            for i in rows
        ]

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
            results, stored_flags = client.sink.append_with_donors(
                sign(batch), [(todo[i].personal, salts[i]) for i in batch], client.key
            )
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
            report.imported.append(
                Imported(
                    row.line,
                    result.pos,
                    result.leaf_hash,
                    format_receipt_code(result.pos, salts[index]),
                    salts[index],
                    row.reference,
                    stored,
                )
            )
        position_in_good += len(batch)
    return report


def import_file(client: Client, path: Path, **kwargs: Any) -> ImportReport:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LedgerError(
            IMPORT_FILE_INVALID, file=str(path), detail=exc.strerror or str(exc), detail_zh=exc.strerror or str(exc)
        ) from exc
    return import_donations(client, raw, file=path.name, **kwargs)


def write_receipts(report: ImportReport, path: Path) -> None:
    """Write the receipt codes of an import (line, reference, seq, receipt code) as CSV, mode
    0600: the codes carry the salts that let donors prove their donations."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["line", "reference", "seq", "leaf_hash", "receipt_code", "donor_stored"])
        for item in report.imported:
            writer.writerow(
                [
                    item.line,
                    item.reference or "",
                    item.seq,
                    item.leaf_hash,
                    item.receipt_code,
                    "yes" if item.donor_stored else "no",
                ]
            )


__all__ = [
    "PRESETS",
    "BadRow",
    "DroppedText",
    "ImportReport",
    "Imported",
    "Preset",
    "RowClass",
    "SkippedRow",
    "Statement",
    "classify",
    "decode",
    "import_donations",
    "import_file",
    "organisation_donor_type",
    "parse_amount_text",
    "parse_date",
    "read_statement",
    "write_receipts",
]
