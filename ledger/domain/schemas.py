"""The data schema of every entry type (DESIGN section 4), validated into frozen dataclasses.

:func:`validate` takes an entry's type and ``data`` object and returns a typed, frozen record,
or raises a :class:`~ledger.errors.LedgerError`:

- ``data_invalid`` names the field (``plan.purpose``, ``evidence[2]``) and what is wrong: unknown
  or missing fields, wrong JSON types, strings too long or blank or with control characters,
  malformed ids, dates and hashes, and numbers with a fraction anywhere (money is a decimal
  string, never a float);
- ``uscc_invalid`` for an organisation code whose check character is wrong;
- ``amount_invalid`` / ``currency_invalid`` (from :mod:`ledger.domain.money`) for money.

Amounts come out as integer minor units (``"1234.50"`` CNY -> ``123450``; only a balance such
as ``financials.reported``'s ``net_assets`` may be negative, ``"-12.50"``), lists as tuples,
absent optional fields as ``None`` (an explicit JSON ``null`` means the same as absent).

The fields a verifier relies on are pinned by DESIGN section 3: ``public_key``, ``role`` and
``org`` on ``registry.genesis`` and ``key.granted``; ``project``, ``amount`` and ``currency``
on every entry that moves money (``donation.received``, ``funds.allocated``,
``funds.disbursed``, and ``entry.corrected`` when it reverses one of them); ``target`` on
``entry.corrected``; ``key_id`` on ``key.revoked``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from ledger.domain.codes import DATA_INVALID, UNKNOWN_TYPE
from ledger.domain.money import check_currency, parse_amount
from ledger.domain.uscc import check_uscc
from ledger.errors import LedgerError
from ledger.protocol.ed25519_strict import public_key_problem
from ledger.protocol.grammar import TEXT_PROBLEMS, matches, pattern, text_problem
from ledger.protocol.keys import unb64

# --- vocabularies ---------------------------------------------------------------------------

ROLES = ("registrar", "org_admin", "fundraiser", "implementer", "overseer", "system")
CHARITY_FORMS = ("foundation", "social_group", "social_service_org")
# Overseers, auditors and the registrar itself are organisations too, but not charities.
LEGAL_FORMS = (*CHARITY_FORMS, "government", "enterprise", "other")
TRACKS = ("registered", "filed")  # 登记 / 备案
FIELDS = (
    "elderly_care",
    "community_service",
    "social_work",
    "disaster_relief",
    "education",
    "health",
    "poverty_relief",
    "children",
    "disability",
    "environment",
    "culture",
    "other",
)
DONATION_KINDS = ("money", "in_kind")
CHANNELS = ("bank_transfer", "online_platform", "cash", "cheque", "delivery", "other")
DONOR_TYPES = ("individual", "enterprise", "government_purchase", "foundation", "anonymous")
POTS = ("restricted", "unrestricted")
CATEGORIES = ("program", "admin", "fundraising_cost")
VERDICTS = ("approved", "queried", "flagged", "resolved")
OPEN_VERDICTS = ("queried", "flagged")  # a finding the overseer has not resolved yet
OPINIONS = ("unqualified", "qualified", "adverse", "disclaimer")
SURPLUS_HANDLING = ("none", "per_plan", "similar_purpose", "returned_to_donors", "other")
SZ_DECISIONS = ("approved", "objection")
FEE_KINDS = ("bank_fee", "platform_fee", "other")  # 银行手续费 / 支付平台服务费 / 其他
# disclosure.recorded: the events Charity Law art. 73 / compliance.md item 14 require disclosed within 30 days
DISCLOSURE_KINDS = ("major_asset_change", "investment", "related_party_transaction")


class _Bad(Exception):
    """A field failed validation; turned into ``data_invalid`` with the field's path."""

    def __init__(self, path: str, detail: str, detail_zh: str) -> None:
        super().__init__(path, detail)
        self.path = path
        self.detail = detail
        self.detail_zh = detail_zh
        self.original: LedgerError | None = None  # a money or code error, raised as itself when alone


# --- field specs ----------------------------------------------------------------------------

_IDENT = pattern("project")
_SLUG = pattern("slug")
_HEX64 = pattern("hex64")
_FILE_NAME = pattern("file_name")

# Business dates: the calendar the registry accepts (before and after it a date is a typing error).
FIRST_DATE = "1900-01-01"
LAST_DATE = "2199-12-31"


class Spec:
    """Checks one JSON value; ``values`` holds the fields of the same object checked so far."""

    def check(self, value: Any, path: str, values: dict[str, Any]) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Text(Spec):
    max: int
    multiline: bool = False

    def check(self, value: Any, path: str, values: dict[str, Any]) -> str:
        if not isinstance(value, str):
            raise _Bad(path, "write it as text", "应为文本")
        if not value.strip():
            raise _Bad(path, "it is empty", "不能为空")
        if len(value) > self.max:
            raise _Bad(
                path,
                f"it has {len(value)} characters; at most {self.max} are accepted",
                f"共 {len(value)} 个字符，最多 {self.max} 个",
            )
        problem = text_problem(value, multiline=self.multiline)
        if problem is not None:
            if problem == "control" and not self.multiline:
                problem = "control_line"
            detail, detail_zh = TEXT_PROBLEMS[problem]
            raise _Bad(path, detail, detail_zh)
        return value


@dataclass(frozen=True)
class Pattern(Spec):
    regex: re.Pattern[str]
    what: str
    what_zh: str

    def check(self, value: Any, path: str, values: dict[str, Any]) -> str:
        if not isinstance(value, str) or not self.regex.fullmatch(value):
            raise _Bad(path, f"it must be {self.what}", f"应为{self.what_zh}")
        return value


IDENT = Pattern(
    _IDENT,
    "an id of 1 to 64 capital letters, digits, '.', '_' or '-', starting and ending with a capital letter or digit",
    "由 1 到 64 个大写字母、数字、'.'、'_' 或 '-' 组成、以大写字母或数字开头和结尾的编号",
)
SLUG = Pattern(
    _SLUG,
    "a name of 1 to 64 lowercase letters, digits, '.', '_', '/' or '-'",
    "由 1 到 64 个小写字母、数字、'.'、'_'、'/' 或 '-' 组成的名称",
)
HEX64 = Pattern(_HEX64, "a SHA-256 hash: 64 lowercase hex digits", " SHA-256 哈希值：64 位小写十六进制数字")
FILE_NAME = Pattern(
    _FILE_NAME,
    "a file name of letters, digits, '.', '_' or '-' (no folders)",
    "由字母、数字、'.'、'_' 或 '-' 组成的文件名（不含目录）",
)


@dataclass(frozen=True)
class Enum(Spec):
    values: tuple[str, ...]

    def check(self, value: Any, path: str, values: dict[str, Any]) -> str:
        if not isinstance(value, str) or value not in self.values:
            raise _Bad(path, f"it must be one of {', '.join(self.values)}", f"应为以下之一：{'、'.join(self.values)}")
        return value


@dataclass(frozen=True)
class Bool(Spec):
    def check(self, value: Any, path: str, values: dict[str, Any]) -> bool:
        if not isinstance(value, bool):
            raise _Bad(path, "it must be true or false", "应为 true 或 false")
        return value


@dataclass(frozen=True)
class Int(Spec):
    lo: int
    hi: int

    def check(self, value: Any, path: str, values: dict[str, Any]) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _Bad(path, "it must be a whole number", "应为整数")
        if not self.lo <= value <= self.hi:
            raise _Bad(path, f"it must be between {self.lo} and {self.hi}", f"应在 {self.lo} 到 {self.hi} 之间")
        return value


@dataclass(frozen=True)
class Date(Spec):
    def check(self, value: Any, path: str, values: dict[str, Any]) -> str:
        if not matches("date_shape", value):
            raise _Bad(path, "it must be a date like 2026-01-31", "应为日期，如 2026-01-31")
        try:
            date.fromisoformat(value)
        except ValueError:
            raise _Bad(path, f"{value} is not a date in the calendar", f"{value} 不是有效日期") from None
        if not FIRST_DATE <= value <= LAST_DATE:
            raise _Bad(
                path, f"it must be between {FIRST_DATE} and {LAST_DATE}", f"应在 {FIRST_DATE} 至 {LAST_DATE} 之间"
            )
        if not matches("date", value):  # the grammar's date: exactly the checks above
            raise _Bad(path, f"{value} is not a date in the calendar", f"{value} 不是有效日期")
        return str(value)


@dataclass(frozen=True)
class Origin(Spec):
    """A log's origin: the first line of its checkpoints (printable ASCII, no spaces)."""

    def check(self, value: Any, path: str, values: dict[str, Any]) -> str:
        if not matches("origin", value):
            raise _Bad(
                path,
                "it must be a log origin: 1 to 200 printable ASCII characters without spaces",
                "应为账本名称：1 到 200 个可打印 ASCII 字符，不含空格",
            )
        return str(value)


@dataclass(frozen=True)
class Uscc(Spec):
    def check(self, value: Any, path: str, values: dict[str, Any]) -> str:
        try:
            return check_uscc(value)
        except LedgerError as exc:
            exc.params["field"] = path
            raise


@dataclass(frozen=True)
class PublicKey(Spec):
    def check(self, value: Any, path: str, values: dict[str, Any]) -> str:
        try:
            raw = unb64(value, length=32, what=path)
        except LedgerError as exc:
            raise _Bad(
                path,
                "it must be the base64 of a raw 32-byte Ed25519 public key",
                "应为 32 字节 Ed25519 公钥的 base64 编码",
            ) from exc
        problem = public_key_problem(raw)  # libsodium's strictness (ledger.protocol.ed25519_strict)
        if problem is not None:
            raise _Bad(
                path,
                f"it must be a usable Ed25519 public key: {problem}",
                "应为可用的 Ed25519 公钥（编码规范、非小阶点、在曲线上）",
            )
        return str(value)


@dataclass(frozen=True)
class Currency(Spec):
    def check(self, value: Any, path: str, values: dict[str, Any]) -> str:
        try:
            return check_currency(value)
        except LedgerError as exc:
            exc.params["field"] = path
            raise


@dataclass(frozen=True)
class Amount(Spec):
    """A decimal string in the currency named by the sibling field ``currency``; gives minor units."""

    currency_field: str = "currency"
    allow_zero: bool = False
    allow_negative: bool = False  # a balance that may be below zero ("-12.50")

    def check(self, value: Any, path: str, values: dict[str, Any]) -> int:
        currency = values.get(self.currency_field)
        if currency is None:
            raise _Bad(
                path,
                f"an amount needs its currency in {self.currency_field}",
                f"金额须在 {self.currency_field} 中写明币种",
            )
        negative = self.allow_negative and isinstance(value, str) and value.startswith("-")
        try:
            minor = parse_amount(value[1:] if negative else value, currency, allow_zero=self.allow_zero or negative)
        except LedgerError as exc:
            exc.params["field"] = path
            raise
        if negative and minor == 0:
            raise _Bad(path, "write zero without a sign", "零不带负号")
        return -minor if negative else minor


@dataclass(frozen=True)
class ListOf(Spec):
    item: Spec
    min: int
    max: int
    unique: bool = True

    def check(self, value: Any, path: str, values: dict[str, Any]) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise _Bad(path, "it must be a list", "应为列表")
        if not self.min <= len(value) <= self.max:
            raise _Bad(
                path,
                f"it must have {self.min} to {self.max} items, not {len(value)}",
                f"应有 {self.min} 到 {self.max} 项，实际 {len(value)} 项",
            )
        out = tuple(self.item.check(v, f"{path}[{i}]", values) for i, v in enumerate(value))
        if self.unique and len(set(map(_hashable, out))) != len(out):
            raise _Bad(path, "it lists the same item twice", "同一项重复列出")
        return out


@dataclass(frozen=True)
class Obj(Spec):
    schema: type

    def check(self, value: Any, path: str, values: dict[str, Any]) -> Any:
        return _check_object(self.schema, value, path + ".")


def _hashable(value: Any) -> Any:
    return value if not hasattr(value, "__dataclass_fields__") else tuple(getattr(value, f.name) for f in fields(value))


def req(spec: Spec) -> Any:
    return field(metadata={"spec": spec, "optional": False})


def opt(spec: Spec) -> Any:
    return field(metadata={"spec": spec, "optional": True})


# --- the schemas ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Previous:
    """The sealed log a later shard continues: its origin and final checkpoint."""

    origin: str = req(Origin())
    size: int = req(Int(1, 2**62))
    root_hash: str = req(HEX64)  # the final checkpoint's root, hex
    checkpoint: str = req(Text(4000, multiline=True))  # the final checkpoint, a signed note


@dataclass(frozen=True, slots=True)
class Genesis:
    """registry.genesis: the trust root, entry 0, signed by the registrar key it names.

    It registers exactly two things: the registrar's organisation (legal form ``government``,
    no fundraising qualification) and the registrar key (``role`` is always ``registrar``).
    Everything else, the log operator's ``system`` key included, is granted afterwards by the
    registrar with ``key.granted``, so that every key but the root has a granting entry.
    """

    origin: str = req(Origin())  # the log's origin; equals the body's "log"
    jurisdiction: str = req(Text(100))  # e.g. "CN-GD-Shenzhen"
    rule_sets: tuple[str, ...] = req(ListOf(SLUG, 1, 16))  # rule set versions in force, "cn-charity/1"
    public_key: str = req(PublicKey())  # the registrar key (base64, raw 32 bytes)
    role: str = req(Enum(("registrar",)))
    org: str = req(Uscc())  # the registrar's organisation (civil-affairs bureau)
    org_name_zh: str = req(Text(200))
    org_name_en: str | None = opt(Text(200))
    holder: str = req(Text(100))  # person or department holding the key
    # the log operator's checkpoint key (base64, raw 32 bytes): named by the registrar so that
    # verifiers can follow the log's key rotations from the trust root
    log_key: str | None = opt(PublicKey())
    # set only on the genesis of a log that continues a sealed one (a later shard): that log's
    # final checkpoint. Such a genesis is signed by the log key, restates the trust root of the
    # first log (public_key, org) and requires log_key (the key in force when it was sealed).
    previous: Previous | None = opt(Obj(Previous))  # noqa: RUF009 (opt returns a dataclasses.field)


@dataclass(frozen=True, slots=True)
class LogSealed:
    """log.sealed: the last entry of a log, signed by its current log key. ``size`` is the
    log's final tree size (this entry's seq + 1); ``next_origin`` names the log that
    continues the chain, whose genesis names this log's final checkpoint."""

    next_origin: str = req(Origin())
    size: int = req(Int(1, 2**62))


@dataclass(frozen=True, slots=True)
class LogKeyRotated:
    """log.key_rotated: signed by the current log key; names the key that signs checkpoints
    from ``from_size`` (the size right after this entry) on."""

    public_key: str = req(PublicKey())
    from_size: int = req(Int(1, 2**62))


@dataclass(frozen=True, slots=True)
class OrgRegistered:
    org: str = req(Uscc())
    name_zh: str = req(Text(200))
    name_en: str | None = opt(Text(200))
    legal_form: str = req(Enum(LEGAL_FORMS))
    track: str = req(Enum(TRACKS))
    public_fundraising: bool = req(Bool())  # holds the public-fundraising qualification
    registered_on: str | None = opt(Date())
    # the day these facts take effect (default: registered_on, else the entry's log date)
    effective_on: str | None = opt(Date())


@dataclass(frozen=True, slots=True)
class OrgUpdated:
    """Changes the fields given (at least one); the others stay as they are."""

    org: str = req(Uscc())
    name_zh: str | None = opt(Text(200))
    name_en: str | None = opt(Text(200))
    legal_form: str | None = opt(Enum(LEGAL_FORMS))
    track: str | None = opt(Enum(TRACKS))
    public_fundraising: bool | None = opt(Bool())
    reason: str | None = opt(Text(500))
    effective_on: str | None = opt(Date())  # the day the change takes effect (default: the log date)


@dataclass(frozen=True, slots=True)
class OrgDeregistered:
    org: str = req(Uscc())
    reason: str = req(Text(500))
    effective_on: str | None = opt(Date())


@dataclass(frozen=True, slots=True)
class KeyGranted:
    public_key: str = req(PublicKey())
    role: str = req(Enum(ROLES))
    org: str = req(Uscc())
    holder: str = req(Text(100))  # person or department
    # the day the holder took up the role (default: the log date); the key signs only from its
    # position in the log on, whatever this says: the date is what the role's history reports
    effective_on: str | None = opt(Date())


@dataclass(frozen=True, slots=True)
class KeyRevoked:
    key_id: str = req(HEX64)
    reason: str = req(Text(500))
    # the day from which the key is not to be trusted (a device lost on that day, a person who
    # left); default: the log date. Entries it signed from that day to the revocation stay in the
    # log and are marked as signed after it.
    effective_on: str | None = opt(Date())


@dataclass(frozen=True, slots=True)
class Plan:
    """The public fundraising plan, Charity Law art. 24."""

    purpose: str = req(Text(1000, multiline=True))
    fundraising_start: str = req(Date())
    fundraising_end: str = req(Date())
    area: str = req(Text(200))
    responsible_person: str = req(Text(100))
    office_address: str = req(Text(200))
    receiving_methods: str = req(Text(500, multiline=True))
    bank_account: str = req(Text(200))
    beneficiaries: str = req(Text(500, multiline=True))
    use_of_funds: str = req(Text(1000, multiline=True))
    fundraising_cost: str = req(Text(500, multiline=True))
    surplus_handling: str = req(Text(500, multiline=True))


@dataclass(frozen=True, slots=True)
class ProjectRegistered:
    """A project or campaign, registered by a fundraiser key of the fundraising organisation."""

    project: str = req(IDENT)
    title_zh: str = req(Text(200))
    title_en: str | None = opt(Text(200))
    field: str = req(Enum(FIELDS))
    region: str = req(Text(100))
    start_date: str = req(Date())
    end_date: str = req(Date())
    currency: str = req(Currency())
    target: int = req(Amount())  # fundraising target, minor units
    implementers: tuple[str, ...] = req(ListOf(Uscc(), 1, 10))
    overseers: tuple[str, ...] = req(ListOf(Uscc(), 1, 5))
    directed: bool = req(Bool())  # 定向募捐: not public fundraising
    emergency: bool = req(Bool())  # the plan may be filed within 10 days after the start
    plan: Plan | None = opt(Obj(Plan))  # noqa: RUF009 (a dataclasses.field) - required unless directed
    description: str | None = opt(Text(2000, multiline=True))


@dataclass(frozen=True, slots=True)
class PlanFiled:
    project: str = req(IDENT)
    filing_number: str | None = opt(Text(64))
    published_on: str | None = opt(Date())  # the day it was published (default: the log date)
    publication_sha256: str | None = opt(HEX64)  # the published document; required with published_on


@dataclass(frozen=True, slots=True)
class PlanAcknowledged:
    project: str = req(IDENT)
    record_number: str = req(Text(64))  # the registrar's filing record number
    note: str | None = opt(Text(500))


@dataclass(frozen=True, slots=True)
class DonationReceived:
    project: str = req(IDENT)
    currency: str = req(Currency())
    amount: int = req(Amount())  # for in-kind gifts: the valuation
    kind: str = req(Enum(DONATION_KINDS))
    in_kind_description: str | None = opt(Text(500))  # what, how many, how valued
    channel: str = req(Enum(CHANNELS))
    donor_type: str = req(Enum(DONOR_TYPES))
    commitment: str = req(HEX64)  # privacy.donor_commitment; no personal data
    receipt: str | None = opt(HEX64)  # privacy.receipt_commitment: a receipt code is checked against it
    restricted: bool = req(Bool())  # 定向: only for this project's purpose
    received_on: str = req(Date())
    receipt_no: str | None = opt(Text(64))  # number of the fiscal receipt the charity issued (财政票据号码)
    note: str | None = opt(Text(500))


@dataclass(frozen=True, slots=True)
class FundsAllocated:
    project: str = req(IDENT)
    currency: str = req(Currency())
    amount: int = req(Amount())
    implementer: str = req(Uscc())
    source: str = req(Enum(POTS))  # which pot of the project fund the money comes from
    allocated_on: str = req(Date())
    note: str | None = opt(Text(500))


@dataclass(frozen=True, slots=True)
class FundsDisbursed:
    project: str = req(IDENT)
    currency: str = req(Currency())
    amount: int = req(Amount())
    category: str = req(Enum(CATEGORIES))
    payee: str = req(Text(200))
    purpose: str = req(Text(500))
    paid_on: str = req(Date())
    evidence: tuple[str, ...] = req(ListOf(HEX64, 0, 20))  # SHA-256 of invoices, contracts...


@dataclass(frozen=True, slots=True)
class ProgressReported:
    project: str = req(IDENT)
    period_start: str = req(Date())
    period_end: str = req(Date())
    summary: str = req(Text(2000, multiline=True))
    beneficiaries: int | None = opt(Int(0, 10**9))
    evidence: tuple[str, ...] = req(ListOf(HEX64, 0, 20))
    published_on: str | None = opt(Date())  # the day it was published (default: the log date)
    publication_sha256: str | None = opt(HEX64)  # the published document; required with published_on


@dataclass(frozen=True, slots=True)
class ProjectClosed:
    project: str = req(IDENT)
    closed_on: str = req(Date())
    summary: str = req(Text(2000, multiline=True))
    currency: str = req(Currency())
    surplus: int = req(Amount(allow_zero=True))  # money raised and not spent; must match the books
    surplus_handling: str = req(Enum(SURPLUS_HANDLING))
    surplus_note: str | None = opt(Text(1000, multiline=True))
    published_on: str | None = opt(Date())  # the day it was published (default: the log date)
    publication_sha256: str | None = opt(HEX64)  # the published document; required with published_on


@dataclass(frozen=True, slots=True)
class AttestationRecorded:
    target: str = req(HEX64)  # leaf hash of the entry attested
    verdict: str = req(Enum(VERDICTS))
    findings: str = req(Text(2000, multiline=True))


@dataclass(frozen=True, slots=True)
class QueryAnswered:
    """query.answered: an organisation's answer to an overseer's query or flag on one of its own
    entries; the overseer then resolves it (``attestation.recorded`` with ``resolved``) or not."""

    attestation: str = req(HEX64)  # leaf hash of the attestation.recorded that queried or flagged
    answer: str = req(Text(2000, multiline=True))
    evidence: tuple[str, ...] = req(ListOf(HEX64, 0, 20))  # SHA-256 of documents that back it


@dataclass(frozen=True, slots=True)
class AuditOpinion:
    org: str = req(Uscc())
    year: int = req(Int(1990, 2200))
    opinion: str = req(Enum(OPINIONS))
    report_sha256: str = req(HEX64)
    summary: str | None = opt(Text(2000, multiline=True))


@dataclass(frozen=True, slots=True)
class FinancialsReported:
    """financials.reported: an organisation's figures for a year, from its annual financial
    report (会计报表), that the spending-ratio checks need and the log does not hold: total
    income (donations outside the log's projects, grants, investment income...), spending by
    function, and year-end net assets. Signed by the organisation's ``org_admin`` or the
    registrar; one set per organisation and year (withdraw it with ``entry.corrected`` to
    report it again)."""

    org: str = req(Uscc())
    year: int = req(Int(1990, 2200))
    currency: str = req(Currency())
    total_income: int = req(Amount(allow_zero=True))  # 收入合计
    charitable_spending: int = req(Amount(allow_zero=True))  # 慈善活动支出 (业务活动成本)
    management_costs: int = req(Amount(allow_zero=True))  # 管理费用
    fundraising_costs: int = req(Amount(allow_zero=True))  # 筹资费用
    total_spending: int = req(Amount(allow_zero=True))  # 费用合计
    net_assets: int = req(Amount(allow_zero=True, allow_negative=True))  # 年末净资产
    audit_report_sha256: str | None = opt(HEX64)  # SHA-256 of the audited report
    note: str | None = opt(Text(1000, multiline=True))
    published_on: str | None = opt(Date())  # the day it was published (default: the log date)
    publication_sha256: str | None = opt(HEX64)  # the published document; required with published_on


@dataclass(frozen=True, slots=True)
class EntryCorrected:
    """Reverses a money entry (repeat its project, amount and currency) or withdraws a report."""

    target: str = req(HEX64)
    reason: str = req(Text(1000, multiline=True))
    project: str | None = opt(IDENT)
    currency: str | None = opt(Currency())
    amount: int | None = opt(Amount())


@dataclass(frozen=True, slots=True)
class ReportFile:
    name: str = req(FILE_NAME)
    sha256: str = req(HEX64)
    size: int = req(Int(0, 2**40))


@dataclass(frozen=True, slots=True)
class ReportIssued:
    kind: str = req(SLUG)
    subject: str = req(Text(200))  # "registry", an organisation code, a project id
    period_start: str = req(Date())
    period_end: str = req(Date())
    rule_set: str = req(SLUG)  # e.g. "cn-charity/1"
    tree_size: int = req(Int(1, 2**62))
    root: str = req(HEX64)
    files: tuple[ReportFile, ...] = req(ListOf(Obj(ReportFile), 1, 50))


@dataclass(frozen=True, slots=True)
class SzDonationFiled:
    """sz.donation_filed: the donee files donations with the authority (Shenzhen SEZ Regulations on
    Donations for Public Welfare, art. 24-26). Signed by a fundraiser or org_admin key of the
    donee; it covers donation.received entries of that organisation (leaf hashes). An emergency
    donation (art. 26) may be accepted first (``accepted_on``) and filed within 3 months."""

    ref: str = req(Text(64))  # the filing's reference, unique per organisation
    authority: str = req(Uscc())  # the authority that replies (the registrar)
    donations: tuple[str, ...] = req(ListOf(HEX64, 1, 100))  # leaf hashes of donation.received entries
    filed_on: str = req(Date())
    emergency: bool = req(Bool())
    accepted_on: str | None = opt(Date())  # emergency only: the day the donation was accepted
    purpose: str = req(Text(1000, multiline=True))  # purpose and means of use (用途和方式)
    intent_sha256: str = req(HEX64)  # donation intent or agreement (捐赠意向书/协议书)
    declaration_sha256: str = req(HEX64)  # declaration form (申报表)
    property_list_sha256: str = req(HEX64)  # list of money and goods (捐赠财产清单)
    note: str | None = opt(Text(500))


@dataclass(frozen=True, slots=True)
class SzFilingReplied:
    """sz.filing_replied: the authority's reply to a filing (art. 25), signed by the registrar."""

    target: str = req(HEX64)  # leaf hash of the sz.donation_filed entry
    decision: str = req(Enum(SZ_DECISIONS))
    replied_on: str = req(Date())
    note: str | None = opt(Text(1000, multiline=True))


# --- forms (issue 14): project amendments --------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProjectAmended:
    """project.amended: changes a registered project's dates and adds implementing or oversight
    organisations (none is ever removed: money may have moved through it). Signed by a fundraiser
    of the project's fundraising organisation while the project is open; separation of roles
    holds for the amended project as for a new one."""

    project: str = req(IDENT)
    reason: str = req(Text(1000, multiline=True))
    start_date: str | None = opt(Date())
    end_date: str | None = opt(Date())
    add_implementers: tuple[str, ...] | None = opt(ListOf(Uscc(), 1, 10))
    add_overseers: tuple[str, ...] | None = opt(ListOf(Uscc(), 1, 5))


# --- end forms ------------------------------------------------------------------------------


# --- import wizard (issue 14): money the bank or platform adds or takes --------------------


@dataclass(frozen=True, slots=True)
class InterestReceived:
    """interest.received: interest the bank credited to an organisation's account (利息收入),
    recorded so that it is never mistaken for a donation. Signed by a fundraiser or org_admin of
    the organisation; ``project`` when the account holds one project's money."""

    org: str = req(Uscc())
    currency: str = req(Currency())
    amount: int = req(Amount())
    received_on: str = req(Date())
    project: str | None = opt(IDENT)
    note: str | None = opt(Text(500))
    evidence: tuple[str, ...] | None = opt(ListOf(HEX64, 0, 20))  # SHA-256 of the statement


@dataclass(frozen=True, slots=True)
class FeeCharged:
    """fee.charged: a charge the bank or payment platform took from an organisation's account
    (手续费, 服务费). Signed by a fundraiser or org_admin of the organisation; ``project`` when
    the account holds one project's money."""

    org: str = req(Uscc())
    currency: str = req(Currency())
    amount: int = req(Amount())
    charged_on: str = req(Date())
    fee_kind: str = req(Enum(FEE_KINDS))
    project: str | None = opt(IDENT)
    note: str | None = opt(Text(500))
    evidence: tuple[str, ...] | None = opt(ListOf(HEX64, 0, 20))


# --- end import wizard ------------------------------------------------------------------------
# --- disclosures (issue 13): events, campaign results, the annual work report -----------------


@dataclass(frozen=True, slots=True)
class DisclosureRecorded:
    """disclosure.recorded: an organisation's disclosure of a major asset change, an investment or
    a related-party transaction (to be published within 30 days of the event, compliance.md
    item 14). ``occurred_on`` is the event's date, ``published_on`` the day the disclosure was
    published; a late one is recorded all the same and shown late. Signed by the organisation's
    ``org_admin``; ``ref`` is unique per organisation among live disclosures."""

    ref: str = req(Text(64))
    kind: str = req(Enum(DISCLOSURE_KINDS))
    title: str = req(Text(200))
    summary: str = req(Text(2000, multiline=True))
    occurred_on: str = req(Date())
    published_on: str = req(Date())
    evidence: tuple[str, ...] = req(ListOf(HEX64, 1, 20))  # SHA-256 of the published disclosure and its documents
    counterparty: str | None = opt(Text(200))  # the other party (an organisation; no personal data)
    project: str | None = opt(IDENT)
    currency: str | None = opt(Currency())
    amount: int | None = opt(Amount())


@dataclass(frozen=True, slots=True)
class FundraisingResults:
    """fundraising.results: the results of a public fundraising campaign (Charity Law art. 71,
    compliance.md item 4): what it received, what was used and for what, and its fundraising
    costs against the cap its plan set (``cost_cap``, the plan's fundraising cost in money).
    Costs over the cap are recorded only with an ``explanation`` and are flagged in reports.
    Signed by a fundraiser of the campaign's fundraising organisation; one set per campaign
    (withdraw it with ``entry.corrected`` to publish it again)."""

    project: str = req(IDENT)
    currency: str = req(Currency())
    receipts: int = req(Amount(allow_zero=True))  # 募得款物合计
    used: int = req(Amount(allow_zero=True))  # 已使用（用于募捐目的）
    fundraising_costs: int = req(Amount(allow_zero=True))  # 募捐成本
    cost_cap: int = req(Amount(allow_zero=True))  # 方案载明的募捐成本上限
    ended_on: str = req(Date())  # the campaign's last day
    published_on: str = req(Date())
    use_summary: str = req(Text(2000, multiline=True))  # 款物使用情况
    evidence: tuple[str, ...] = req(ListOf(HEX64, 1, 20))
    explanation: str | None = opt(Text(1000, multiline=True))  # required when costs exceed the cap


@dataclass(frozen=True, slots=True)
class WorkReportFiled:
    """work_report.filed: the figures of an organisation's annual work report
    (慈善组织年度工作报告) that the log cannot know: its people and governance, its balance
    sheet, income by the categories of the accounting rules for non-profit organisations
    (民间非营利组织会计制度) and spending by function. Signed by the organisation's ``org_admin`` or the registrar; one set
    per organisation and ended year (withdraw it with ``entry.corrected`` to file it again).
    Totals must equal the sum of their parts, and net assets total assets less liabilities."""

    org: str = req(Uscc())
    year: int = req(Int(1990, 2200))
    currency: str = req(Currency())
    staff: int = req(Int(0, 10**7))  # 专职工作人员
    volunteers: int = req(Int(0, 10**9))  # 志愿者
    council_members: int = req(Int(0, 1000))  # 理事
    supervisors: int = req(Int(0, 1000))  # 监事
    council_meetings: int = req(Int(0, 1000))  # 本年理事会会议次数
    total_assets: int = req(Amount(allow_zero=True))  # 资产合计
    total_liabilities: int = req(Amount(allow_zero=True))  # 负债合计
    net_assets: int = req(Amount(allow_zero=True, allow_negative=True))  # 净资产合计
    donation_income: int = req(Amount(allow_zero=True))  # 捐赠收入
    membership_income: int = req(Amount(allow_zero=True))  # 会费收入
    service_income: int = req(Amount(allow_zero=True))  # 提供服务收入
    sales_income: int = req(Amount(allow_zero=True))  # 商品销售收入
    government_grants: int = req(Amount(allow_zero=True))  # 政府补助收入
    investment_income: int = req(Amount(allow_zero=True))  # 投资收益
    other_income: int = req(Amount(allow_zero=True))  # 其他收入
    total_income: int = req(Amount(allow_zero=True))  # 收入合计
    charitable_spending: int = req(Amount(allow_zero=True))  # 业务活动成本（慈善活动支出）
    management_costs: int = req(Amount(allow_zero=True))  # 管理费用
    fundraising_costs: int = req(Amount(allow_zero=True))  # 筹资费用
    other_expenses: int = req(Amount(allow_zero=True))  # 其他费用
    total_spending: int = req(Amount(allow_zero=True))  # 费用合计
    report_sha256: str = req(HEX64)  # SHA-256 of the published work report
    published_on: str = req(Date())
    volunteer_hours: int | None = opt(Int(0, 10**12))  # 志愿服务时长（小时）
    beneficiaries: int | None = opt(Int(0, 10**10))  # 受益人次
    activities: str | None = opt(Text(2000, multiline=True))  # 开展慈善活动情况
    note: str | None = opt(Text(1000, multiline=True))


SCHEMAS: dict[str, type] = {
    "registry.genesis": Genesis,
    "org.registered": OrgRegistered,
    "org.updated": OrgUpdated,
    "org.deregistered": OrgDeregistered,
    "key.granted": KeyGranted,
    "key.revoked": KeyRevoked,
    "project.registered": ProjectRegistered,
    "plan.filed": PlanFiled,
    "plan.acknowledged": PlanAcknowledged,
    "donation.received": DonationReceived,
    "funds.allocated": FundsAllocated,
    "funds.disbursed": FundsDisbursed,
    "progress.reported": ProgressReported,
    "project.closed": ProjectClosed,
    "attestation.recorded": AttestationRecorded,
    "query.answered": QueryAnswered,
    "audit.opinion": AuditOpinion,
    "financials.reported": FinancialsReported,
    "entry.corrected": EntryCorrected,
    "report.issued": ReportIssued,
    "log.key_rotated": LogKeyRotated,
    "log.sealed": LogSealed,
    "sz.donation_filed": SzDonationFiled,
    "sz.filing_replied": SzFilingReplied,
    "project.amended": ProjectAmended,  # forms (issue 14)
    "interest.received": InterestReceived,  # import wizard (issue 14)
    "fee.charged": FeeCharged,  # import wizard (issue 14)
    "disclosure.recorded": DisclosureRecorded,  # disclosures (issue 13)
    "fundraising.results": FundraisingResults,
    "work_report.filed": WorkReportFiled,
}
ENTRY_TYPES: tuple[str, ...] = tuple(SCHEMAS)
MONEY_TYPES = frozenset({"donation.received", "funds.allocated", "funds.disbursed"})


# --- cross-field checks ---------------------------------------------------------------------


def _dates_in_order(first: str, second: str, path: str) -> Callable[[Any], None]:
    def check(obj: Any) -> None:
        if getattr(obj, second) < getattr(obj, first):
            raise _Bad(path + second, f"it is before {first}", f"早于 {first}")

    return check


def _org_updated(d: OrgUpdated) -> None:
    if all(getattr(d, name) is None for name in ("name_zh", "name_en", "legal_form", "track", "public_fundraising")):
        raise _Bad(
            "data",
            "name the fields to change (name_zh, name_en, legal_form, track, public_fundraising)",
            "请写明要变更的字段（name_zh、name_en、legal_form、track、public_fundraising）",
        )


def _published(d: Any) -> None:
    """A publication date is recorded with the published document's hash (and not without)."""
    if (d.published_on is None) != (d.publication_sha256 is None):
        raise _Bad(
            "publication_sha256",
            "published_on and publication_sha256 go together: give both or neither",
            "published_on 与 publication_sha256 须同时填写或同时不填",
        )


def _with_published(check: Callable[[Any], None]) -> Callable[[Any], None]:
    def both(d: Any) -> None:
        check(d)
        _published(d)

    return both


def _project(d: ProjectRegistered) -> None:
    if d.end_date < d.start_date:
        raise _Bad("end_date", "it is before start_date", "早于 start_date")


def _donation(d: DonationReceived) -> None:
    if (d.kind == "in_kind") != (d.in_kind_description is not None):
        raise _Bad(
            "in_kind_description",
            "give it for in-kind gifts (what, how many, how valued), and only for them",
            "实物捐赠须填写（物品、数量、估价方式），资金捐赠不填",
        )


def _closed(d: ProjectClosed) -> None:
    if d.surplus > 0 and d.surplus_handling == "none":
        raise _Bad("surplus_handling", "there is a surplus: say how it is handled", "有结余，须说明处理方式")


def _financials(d: FinancialsReported) -> None:
    if d.charitable_spending + d.management_costs + d.fundraising_costs > d.total_spending:
        raise _Bad(
            "total_spending",
            "it is less than charitable_spending + management_costs + fundraising_costs",
            "小于 charitable_spending、management_costs 与 fundraising_costs 之和",
        )


def _corrected(d: EntryCorrected) -> None:
    given = [name for name in ("project", "currency", "amount") if getattr(d, name) is not None]
    if given and len(given) != 3:
        raise _Bad(
            "data",
            "a reversal repeats the target's project, amount and currency, all three",
            "冲销须同时写明原条目的 project、amount 和 currency",
        )


def _amended(d: ProjectAmended) -> None:  # forms (issue 14)
    changes = ("start_date", "end_date", "add_implementers", "add_overseers")
    if all(getattr(d, name) is None for name in changes):
        raise _Bad(
            "data",
            "name what changes (start_date, end_date, add_implementers, add_overseers)",
            "请写明要变更的内容（start_date、end_date、add_implementers、add_overseers）",
        )
    if d.start_date is not None and d.end_date is not None and d.end_date < d.start_date:
        raise _Bad("end_date", "it is before start_date", "早于 start_date")


def _sz_filed(d: SzDonationFiled) -> None:
    if d.emergency != (d.accepted_on is not None):
        raise _Bad(
            "accepted_on",
            "give it for emergency filings (the day the donation was accepted), and only for them",
            "紧急捐赠备案须填写（接受捐赠的日期），其他备案不填",
        )
    if d.accepted_on is not None and d.filed_on < d.accepted_on:
        raise _Bad("filed_on", "it is before accepted_on", "早于 accepted_on")


def _disclosure(d: DisclosureRecorded) -> None:  # disclosures (issue 13)
    if d.published_on < d.occurred_on:
        raise _Bad("published_on", "it is before occurred_on", "早于 occurred_on")
    if (d.amount is None) != (d.currency is None):
        raise _Bad("amount", "give the amount and its currency together", "金额与币种须同时填写")


def _results(d: FundraisingResults) -> None:
    if d.published_on < d.ended_on:
        raise _Bad("published_on", "it is before ended_on: results are published after the end", "早于 ended_on")


WORK_REPORT_INCOME = (
    "donation_income",
    "membership_income",
    "service_income",
    "sales_income",
    "government_grants",
    "investment_income",
    "other_income",
)
WORK_REPORT_SPENDING = ("charitable_spending", "management_costs", "fundraising_costs", "other_expenses")


def _work_report(d: WorkReportFiled) -> None:
    for total, parts in (("total_income", WORK_REPORT_INCOME), ("total_spending", WORK_REPORT_SPENDING)):
        if sum(getattr(d, name) for name in parts) != getattr(d, total):
            raise _Bad(total, f"it is not the sum of {', '.join(parts)}", f"不等于 {'、'.join(parts)} 之和")
    if d.total_assets - d.total_liabilities != d.net_assets:
        raise _Bad(
            "net_assets", "it is not total_assets less total_liabilities", "不等于 total_assets 减 total_liabilities"
        )


def _report(d: ReportIssued) -> None:
    if d.period_end < d.period_start:
        raise _Bad("period_end", "it is before period_start", "早于 period_start")
    names = [f.name for f in d.files]
    if len(set(names)) != len(names):
        raise _Bad("files", "two files have the same name", "有两个文件同名")


_POST: dict[type, Callable[[Any], None]] = {
    Plan: _dates_in_order("fundraising_start", "fundraising_end", "plan."),
    OrgUpdated: _org_updated,
    ProjectRegistered: _project,
    DonationReceived: _donation,
    PlanFiled: _published,
    ProgressReported: _with_published(_dates_in_order("period_start", "period_end", "")),
    ProjectClosed: _with_published(_closed),
    FinancialsReported: _with_published(_financials),
    EntryCorrected: _corrected,
    ReportIssued: _report,
    SzDonationFiled: _sz_filed,
    ProjectAmended: _amended,  # forms (issue 14)
    DisclosureRecorded: _disclosure,  # disclosures (issue 13)
    FundraisingResults: _results,
    WorkReportFiled: _work_report,
}


# --- validation -----------------------------------------------------------------------------


def _check_object(schema: type, value: Any, prefix: str, problems: list[_Bad] | None = None) -> Any:
    """The object's record; with ``problems`` every wrong field is added there (nested objects
    too) and None is returned if any was, so that one answer names all of them."""
    if not isinstance(value, dict):
        raise _Bad(prefix.rstrip(".") or "data", "it must be a JSON object", "应为 JSON 对象")
    collect: list[_Bad] = [] if problems is None else problems
    before = len(collect)
    known, plan = _plan(schema)
    if not known.keys() >= value.keys():
        _unknown_fields(value, known, prefix, collect, raising=problems is None)
    out: dict[str, Any] = {}
    failed: set[str] = set()
    for name, spec, optional in plan:
        raw = value.get(name)
        try:
            if raw is None:
                if not optional:
                    raise _Bad(prefix + name, "it is required", "必填")
                out[name] = None
                continue
            if isinstance(spec, Amount) and spec.currency_field in failed:
                failed.add(name)  # its currency is wrong already: that is the one to fix
                continue
            if isinstance(spec, Obj) and problems is not None:
                out[name] = _check_object(spec.schema, raw, prefix + name + ".", problems)
                if out[name] is None:
                    failed.add(name)
                continue
            out[name] = spec.check(raw, prefix + name, out)
        except _Bad as bad:
            if problems is None:
                raise
            problems.append(bad)
            failed.add(name)
        except LedgerError as exc:  # uscc, currency and amount: their own codes
            if problems is None:
                raise
            coded = _Bad(str(exc.params.get("field", prefix + name)), exc.message_en, exc.message_zh)
            coded.original = exc
            problems.append(coded)
            failed.add(name)
    if len(collect) > before:
        return None
    return _post_checked(schema, schema(**out), problems)


_PLANS: dict[type, tuple[dict[str, Any], tuple[tuple[str, Spec, bool], ...]]] = {}


def _plan(schema: type) -> tuple[dict[str, Any], tuple[tuple[str, Spec, bool], ...]]:
    """A schema's fields by name, and (name, spec, optional) of each in order (made once)."""
    found = _PLANS.get(schema)
    if found is None:
        known = {f.name: f for f in fields(schema)}
        plan = tuple((name, f.metadata["spec"], f.metadata["optional"]) for name, f in known.items())
        found = _PLANS[schema] = (known, plan)
    return found


def _unknown_fields(
    value: dict[str, Any], known: dict[str, Any], prefix: str, collect: list[_Bad], *, raising: bool
) -> None:
    """Name each field the object has and its schema does not (the first raises when ``raising``)."""
    for name in sorted(set(value) - set(known)):
        collect.append(
            _Bad(
                prefix + name,
                f"there is no field {name!r} here (known: {', '.join(known)})",
                f"此处没有字段 {name!r}（可用字段：{'、'.join(known)}）",
            )
        )
        if raising:
            raise collect[0]


def _post_checked(schema: type, obj: Any, problems: list[_Bad] | None) -> Any:
    """The record after its schema's checks across fields (None, the problem added, if one fails)."""
    post = _POST.get(schema)
    if post is not None:
        try:
            post(obj)
        except _Bad as bad:
            if problems is None:
                raise
            problems.append(bad)
            return None
    return obj


def _reject_floats(value: Any, path: str) -> None:
    if isinstance(value, float):
        raise _Bad(
            path,
            'numbers with a fraction or exponent are not accepted; write amounts as decimal strings like "12.50"',
            '不接受带小数或指数的数字，金额请写成字符串，如 "12.50"',
        )
    if isinstance(value, dict):
        for k, v in value.items():
            if type(v) not in _NOT_FLOAT:  # (a scalar of these types needs no call)
                _reject_floats(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if type(v) not in _NOT_FLOAT:
                _reject_floats(v, f"{path}[{i}]")


_NOT_FLOAT = frozenset({str, int, bool, type(None)})


def validate(type_name: str, data: Any) -> Any:
    """Validate ``data`` for the entry type ``type_name``; return its frozen record.

    A refusal names the first wrong field in ``field`` and every wrong field in
    ``params["problems"]`` (``[{"field", "detail", "detail_zh"}]``), so that a form can mark all
    of them at once. Its code is ``data_invalid`` (whose message names them all), or the first
    wrong field's own code when that is an amount, a currency or an organisation code
    (``amount_invalid``, ``currency_invalid``, ``uscc_invalid``)."""
    schema = SCHEMAS.get(type_name)
    if schema is None:
        raise LedgerError(UNKNOWN_TYPE, type=type_name)
    found: list[_Bad] = []
    try:
        _reject_floats(data, "")
        record = _check_object(schema, data, "", found)
    except _Bad as bad:
        found.insert(0, bad)
        record = None
    if not found and record is not None:
        return record
    first = found[0]
    listed = [{"field": b.path or "data", "detail": b.detail, "detail_zh": b.detail_zh} for b in found]
    if first.original is not None:  # a wrong amount, currency or code first: its own code
        first.original.params["problems"] = listed
        raise first.original
    detail, detail_zh = first.detail, first.detail_zh
    if len(found) > 1:
        detail += "; also " + "; ".join(f"{b.path or 'data'}: {b.detail}" for b in found[1:])
        detail_zh += "；另有 " + "；".join(f"{b.path or 'data'}：{b.detail_zh}" for b in found[1:])
    raise LedgerError(
        DATA_INVALID,
        type=type_name,
        field=first.path or "data",
        detail=detail,
        detail_zh=detail_zh,
        problems=listed,
    )


def schema_fields(type_name: str) -> list[str]:
    """The field names of a type's data (for documentation and forms)."""
    return [f.name for f in fields(SCHEMAS[type_name])]


__all__ = ["ENTRY_TYPES", "MONEY_TYPES", "SCHEMAS", "schema_fields", "validate"]
