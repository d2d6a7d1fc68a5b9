"""Projection rows: the tables that answer queries, derived from the log by :mod:`.rules`.

One mutable ``@dataclass(slots=True)`` per table. ``__table__name__`` is the table name,
``__pk__`` the primary key field names. Field types are only ``str``, ``int``, ``bool``,
``str | None`` and ``int | None`` so that storage can generate SQL tables from the fields;
lists are JSON strings in fields ending with ``_json``; every ``str`` field has a maximum
length in ``metadata["max"]``. Money is integer minor units (fields ending with ``_minor``),
in the currency of the row (a project keeps all its accounts in one currency).

Rows are values: code that changes one builds a new row (``dataclasses.replace``) and puts it,
it never mutates a row it got from a state. Entry ids are leaf hashes (64 lowercase hex).

Nothing here holds personal data: donors appear only as a commitment (see :mod:`.privacy`).
"""

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

DEFAULT_MAX = 200

HASH = 64      # leaf hashes, key ids, SHA-256 digests
USCC = 18      # organisation codes
IDENT = 64     # project ids
ENUM = 32      # vocabulary values
TIME = 24      # RFC 3339 with ms: 2026-01-31T08:00:00.000Z
DATE = 10      # 2026-01-31


def text(max_len: int = DEFAULT_MAX) -> Any:
    return field(metadata={"max": max_len})


def text_or_none(max_len: int = DEFAULT_MAX) -> Any:
    return field(default=None, metadata={"max": max_len})


@dataclass(slots=True)
class RegistryRow:
    """The trust root named by entry 0 (one row)."""

    __table__name__: ClassVar[str] = "p_registry"
    __pk__: ClassVar[tuple[str, ...]] = ("origin",)

    origin: str = text(200)
    jurisdiction: str = text(100)
    rule_sets_json: str = text(1100)
    registrar_org: str = text(USCC)
    registrar_key: str = text(HASH)
    genesis_id: str = text(HASH)
    genesis_time: str = text(TIME)
    log_key: str | None = text_or_none(44)         # the current checkpoint key (base64), if named
    log_key_id: str | None = text_or_none(HASH)
    log_key_from_size: int | None = None           # first tree size it signs
    # the chain of shards: the log this one continues, and (once sealed) the one after it
    previous_origin: str | None = text_or_none(200)
    next_origin: str | None = text_or_none(200)
    sealed_size: int | None = None                 # the final tree size, set by log.sealed


@dataclass(slots=True)
class OrgRow:
    __table__name__: ClassVar[str] = "p_org"
    __pk__: ClassVar[tuple[str, ...]] = ("org",)

    org: str = text(USCC)                 # unified social credit code
    name_zh: str = text(200)
    legal_form: str = text(ENUM)
    track: str = text(ENUM)               # registered (登记) / filed (备案)
    public_fundraising: bool
    is_registrar: bool
    status: str = text(ENUM)              # active / deregistered
    registered_seq: int
    updated_seq: int
    name_en: str | None = text_or_none(200)
    registered_on: str | None = text_or_none(DATE)
    deregistered_seq: int | None = None
    deregister_reason: str | None = text_or_none(500)


@dataclass(slots=True)
class KeyRow:
    __table__name__: ClassVar[str] = "p_key"
    __pk__: ClassVar[tuple[str, ...]] = ("key_id",)

    key_id: str = text(HASH)
    public_key: str = text(44)            # base64 of the raw 32 bytes
    role: str = text(ENUM)
    org: str = text(USCC)
    holder: str = text(100)
    granted_seq: int
    granted_by: str | None = text_or_none(HASH)   # None for the genesis key
    revoked_seq: int | None = None        # refused when seq > revoked_seq
    revoked_by: str | None = text_or_none(HASH)
    revoke_reason: str | None = text_or_none(500)


@dataclass(slots=True)
class ProjectRow:
    __table__name__: ClassVar[str] = "p_project"
    __pk__: ClassVar[tuple[str, ...]] = ("project",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (('fundraiser_org',), ('field',), ('region',), ('status',))

    project: str = text(IDENT)
    title_zh: str = text(200)
    field: str = text(ENUM)
    region: str = text(100)
    start_date: str = text(DATE)
    end_date: str = text(DATE)
    currency: str = text(3)
    target_minor: int
    fundraiser_org: str = text(USCC)
    registered_by: str = text(HASH)
    registered_id: str = text(HASH)
    registered_seq: int
    implementers_json: str = text(220)    # JSON list of organisation codes
    overseers_json: str = text(120)       # JSON list of organisation codes
    directed: bool                        # 定向: not public fundraising
    emergency: bool
    status: str = text(ENUM)              # open / closed
    closed: bool
    title_en: str | None = text_or_none(200)
    description: str | None = text_or_none(2000)
    # the fundraising plan (Charity Law art. 24), None for directed projects without a plan
    plan_purpose: str | None = text_or_none(1000)
    plan_fundraising_start: str | None = text_or_none(DATE)
    plan_fundraising_end: str | None = text_or_none(DATE)
    plan_area: str | None = text_or_none(200)
    plan_responsible_person: str | None = text_or_none(100)
    plan_office_address: str | None = text_or_none(200)
    plan_receiving_methods: str | None = text_or_none(500)
    plan_bank_account: str | None = text_or_none(200)
    plan_beneficiaries: str | None = text_or_none(500)
    plan_use_of_funds: str | None = text_or_none(1000)
    plan_fundraising_cost: str | None = text_or_none(500)
    plan_surplus_handling: str | None = text_or_none(500)
    # filing
    plan_filed_seq: int | None = None
    plan_filed_id: str | None = text_or_none(HASH)
    plan_filed_time: str | None = text_or_none(TIME)
    plan_filing_number: str | None = text_or_none(64)
    plan_ack_seq: int | None = None
    plan_record_number: str | None = text_or_none(64)
    # closing
    closed_seq: int | None = None
    closed_id: str | None = text_or_none(HASH)
    closed_on: str | None = text_or_none(DATE)
    close_summary: str | None = text_or_none(2000)
    surplus_minor: int | None = None
    surplus_handling: str | None = text_or_none(ENUM)
    surplus_note: str | None = text_or_none(1000)


@dataclass(slots=True)
class FundRow:
    """The project fund. available_* = raised_* - allocated_*; balance = raised - disbursed."""

    __table__name__: ClassVar[str] = "p_fund"
    __pk__: ClassVar[tuple[str, ...]] = ("project",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("fundraiser_org", "currency"),)

    project: str = text(IDENT)
    currency: str = text(3)
    fundraiser_org: str = text(USCC)
    raised_restricted_minor: int = 0
    raised_unrestricted_minor: int = 0
    raised_in_kind_minor: int = 0         # part of the two above given in kind (valuation)
    donations_count: int = 0
    allocated_restricted_minor: int = 0
    allocated_unrestricted_minor: int = 0
    disbursed_program_minor: int = 0
    disbursed_admin_minor: int = 0
    disbursed_fundraising_cost_minor: int = 0
    available_restricted_minor: int = 0
    available_unrestricted_minor: int = 0
    raised_minor: int = 0
    allocated_minor: int = 0
    disbursed_minor: int = 0
    balance_minor: int = 0


@dataclass(slots=True)
class AllocationBalanceRow:
    """What one implementer received for one project and has not yet paid out."""

    __table__name__: ClassVar[str] = "p_allocation_balance"
    __pk__: ClassVar[tuple[str, ...]] = ("project", "implementer")

    project: str = text(IDENT)
    implementer: str = text(USCC)
    currency: str = text(3)
    allocated_minor: int = 0
    disbursed_minor: int = 0
    balance_minor: int = 0


@dataclass(slots=True)
class DonationRow:
    """A donation as the public sees it: no personal data, only the donor commitment."""

    __table__name__: ClassVar[str] = "p_donation"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (('project', 'seq'), ('seq',), ('fundraiser_org', 'seq'))

    id: str = text(HASH)
    seq: int
    project: str = text(IDENT)
    amount_minor: int
    currency: str = text(3)
    kind: str = text(ENUM)                # money / in_kind
    channel: str = text(ENUM)
    donor_type: str = text(ENUM)
    commitment: str = text(HASH)
    restricted: bool
    received_on: str = text(DATE)
    fundraiser_org: str = text(USCC)
    recorded_by: str = text(HASH)
    time: str = text(TIME)
    in_kind_description: str | None = text_or_none(500)
    receipt_no: str | None = text_or_none(64)
    note: str | None = text_or_none(500)
    corrected: bool = False
    corrected_by: str | None = text_or_none(HASH)


@dataclass(slots=True)
class AllocationRow:
    __table__name__: ClassVar[str] = "p_allocation"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (('project', 'seq'), ('implementer', 'seq'))

    id: str = text(HASH)
    seq: int
    project: str = text(IDENT)
    implementer: str = text(USCC)
    source: str = text(ENUM)              # restricted / unrestricted pot of the project fund
    amount_minor: int
    currency: str = text(3)
    allocated_on: str = text(DATE)
    recorded_by: str = text(HASH)
    time: str = text(TIME)
    note: str | None = text_or_none(500)
    corrected: bool = False
    corrected_by: str | None = text_or_none(HASH)


@dataclass(slots=True)
class DisbursementRow:
    __table__name__: ClassVar[str] = "p_disbursement"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("project", "seq"), ("implementer", "seq"))

    id: str = text(HASH)
    seq: int
    project: str = text(IDENT)
    implementer: str = text(USCC)
    category: str = text(ENUM)            # program / admin / fundraising_cost
    amount_minor: int
    currency: str = text(3)
    payee: str = text(200)
    purpose: str = text(500)
    paid_on: str = text(DATE)
    evidence_json: str = text(1400)       # JSON list of SHA-256 hex
    recorded_by: str = text(HASH)
    time: str = text(TIME)
    corrected: bool = False
    corrected_by: str | None = text_or_none(HASH)


@dataclass(slots=True)
class ProgressRow:
    __table__name__: ClassVar[str] = "p_progress"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("project", "seq"), ("implementer", "seq"))

    id: str = text(HASH)
    seq: int
    project: str = text(IDENT)
    implementer: str = text(USCC)
    period_start: str = text(DATE)
    period_end: str = text(DATE)
    summary: str = text(2000)
    evidence_json: str = text(1400)
    recorded_by: str = text(HASH)
    time: str = text(TIME)
    beneficiaries: int | None = None
    corrected: bool = False
    corrected_by: str | None = text_or_none(HASH)


@dataclass(slots=True)
class AttestationRow:
    __table__name__: ClassVar[str] = "p_attestation"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (('target',), ('project', 'seq'), ('overseer_org', 'seq'))

    id: str = text(HASH)
    seq: int
    target: str = text(HASH)
    target_type: str = text(40)
    overseer_org: str = text(USCC)
    verdict: str = text(ENUM)             # approved / queried / flagged / resolved
    findings: str = text(2000)
    recorded_by: str = text(HASH)
    time: str = text(TIME)
    project: str | None = text_or_none(IDENT)
    previous_verdict: str | None = text_or_none(ENUM)   # the target's verdict before this one
    previous_verdict_by: str | None = text_or_none(HASH)
    corrected: bool = False
    corrected_by: str | None = text_or_none(HASH)


@dataclass(slots=True)
class AuditOpinionRow:
    __table__name__: ClassVar[str] = "p_audit_opinion"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (('org', 'year'),)

    id: str = text(HASH)
    seq: int
    org: str = text(USCC)                 # the audited organisation
    year: int
    opinion: str = text(ENUM)
    report_sha256: str = text(HASH)
    auditor_org: str = text(USCC)
    recorded_by: str = text(HASH)
    time: str = text(TIME)
    summary: str | None = text_or_none(2000)
    corrected: bool = False
    corrected_by: str | None = text_or_none(HASH)


@dataclass(slots=True)
class FinancialsRow:
    """An organisation's reported figures for a year (``financials.reported``): the set in force.

    One row per organisation and year. Withdrawing it (``entry.corrected``) marks it
    ``corrected``; figures reported again afterwards replace the row (the withdrawn ones stay in
    the log, ``p_entry`` and ``p_correction``). ``net_assets_minor`` may be negative.
    """

    __table__name__: ClassVar[str] = "p_financials"
    __pk__: ClassVar[tuple[str, ...]] = ("org", "year")
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (('id',),)

    org: str = text(USCC)
    year: int
    id: str = text(HASH)                  # the financials.reported entry
    seq: int
    currency: str = text(3)
    total_income_minor: int
    charitable_spending_minor: int
    management_costs_minor: int
    fundraising_costs_minor: int
    total_spending_minor: int
    net_assets_minor: int                 # year-end net assets
    signer_org: str = text(USCC)          # the organisation itself, or the registrar
    recorded_by: str = text(HASH)
    time: str = text(TIME)
    audit_report_sha256: str | None = text_or_none(HASH)
    note: str | None = text_or_none(1000)
    corrected: bool = False
    corrected_by: str | None = text_or_none(HASH)


@dataclass(slots=True)
class CorrectionRow:
    __table__name__: ClassVar[str] = "p_correction"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (('target',),)

    id: str = text(HASH)
    seq: int
    target: str = text(HASH)
    target_type: str = text(40)
    reason: str = text(1000)
    signer_org: str = text(USCC)
    recorded_by: str = text(HASH)
    time: str = text(TIME)
    project: str | None = text_or_none(IDENT)
    amount_minor: int | None = None       # the amount reversed, for money entries
    currency: str | None = text_or_none(3)


@dataclass(slots=True)
class ReportRow:
    __table__name__: ClassVar[str] = "p_report"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)

    id: str = text(HASH)
    seq: int
    kind: str = text(64)
    subject: str = text(200)
    period_start: str = text(DATE)
    period_end: str = text(DATE)
    rule_set: str = text(64)
    tree_size: int
    root: str = text(HASH)
    files_json: str = text(12000)         # JSON list of {"name", "sha256", "size"}
    recorded_by: str = text(HASH)
    time: str = text(TIME)


@dataclass(slots=True)
class SzFilingRow:
    """A donation filing under the Shenzhen SEZ regulations (``sz.donation_filed``, art. 24-26)
    and the authority's reply (``sz.filing_replied``, art. 25), keyed by the filing's leaf hash."""

    __table__name__: ClassVar[str] = "p_sz_filing"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("org", "seq"), ("org", "ref"), ("authority", "seq"))

    id: str = text(HASH)                  # the sz.donation_filed entry
    seq: int
    org: str = text(USCC)                 # the donee that files
    ref: str = text(64)                   # the filing's reference, unique per organisation
    authority: str = text(USCC)           # who must reply
    filed_on: str = text(DATE)
    emergency: bool
    donations_json: str = text(6800)      # JSON list of the donation.received leaf hashes covered
    purpose: str = text(1000)
    intent_sha256: str = text(HASH)
    declaration_sha256: str = text(HASH)
    property_list_sha256: str = text(HASH)
    recorded_by: str = text(HASH)
    time: str = text(TIME)
    accepted_on: str | None = text_or_none(DATE)   # emergency donations accepted before filing
    note: str | None = text_or_none(500)
    replied_on: str | None = text_or_none(DATE)
    decision: str | None = text_or_none(ENUM)      # approved / objection
    reply_id: str | None = text_or_none(HASH)
    reply_seq: int | None = None
    reply_note: str | None = text_or_none(1000)
    corrected: bool = False
    corrected_by: str | None = text_or_none(HASH)


@dataclass(slots=True)
class EntryRow:
    """An index row per log entry, keyed by its leaf hash."""

    __table__name__: ClassVar[str] = "p_entry"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (
        ("seq",), ("project", "seq"), ("signer_org", "seq"), ("type", "seq"), ("signer", "seq"), ("last_verdict", "seq"),
        # open queries and flags of an organisation or a project, newest first, without
        # walking all of its entries
        ("signer_org", "last_verdict", "seq"), ("project", "last_verdict", "seq"),
    )

    id: str = text(HASH)
    seq: int
    type: str = text(40)
    signer: str = text(HASH)              # key id
    signer_role: str = text(ENUM)
    signer_org: str = text(USCC)
    time: str = text(TIME)                # log time
    project: str | None = text_or_none(IDENT)
    amount_minor: int | None = None       # the entry's data.amount (reversals too: positive)
    currency: str | None = text_or_none(3)
    corrected: bool = False
    corrected_by: str | None = text_or_none(HASH)
    last_verdict: str | None = text_or_none(ENUM)       # latest oversight verdict on this entry
    last_verdict_by: str | None = text_or_none(HASH)


@dataclass(slots=True)
class OrgYearRow:
    """An organisation's money on the log for a calendar year, kept at append time so the
    organisation page never sums its entries: donations it received as fundraiser (by the
    day received) and payments it made as implementer (by the day paid), corrections netted."""

    __table__name__: ClassVar[str] = "p_org_year"
    __pk__: ClassVar[tuple[str, ...]] = ("org", "year", "currency")

    org: str = text(USCC)
    year: int
    currency: str = text(3)
    raised_minor: int = 0
    donations_count: int = 0
    disbursed_program_minor: int = 0
    disbursed_admin_minor: int = 0
    disbursed_fundraising_cost_minor: int = 0


@dataclass(slots=True)
class ProjectDonorTypeRow:
    """A project's live donations by donor type, kept at append (the project page's breakdown
    and fund-flow diagram read it instead of grouping the donations)."""

    __table__name__: ClassVar[str] = "p_project_donor_type"
    __pk__: ClassVar[tuple[str, ...]] = ("project", "donor_type")

    project: str = text(IDENT)
    donor_type: str = text(ENUM)
    raised_minor: int = 0
    donations_count: int = 0


ROW_TYPES: tuple[type, ...] = (
    RegistryRow,
    OrgRow,
    KeyRow,
    ProjectRow,
    FundRow,
    OrgYearRow,
    ProjectDonorTypeRow,
    AllocationBalanceRow,
    DonationRow,
    AllocationRow,
    DisbursementRow,
    ProgressRow,
    AttestationRow,
    AuditOpinionRow,
    FinancialsRow,
    CorrectionRow,
    ReportRow,
    SzFilingRow,
    EntryRow,
)

# the only field types (so storage can map them to SQL columns)
ALLOWED_TYPES = (str, int, bool, str | None, int | None)


def pk_of(row: Any) -> tuple[Any, ...]:
    """The primary key values of a row, in ``__pk__`` order."""
    return tuple(getattr(row, name) for name in row.__pk__)


def max_length(row_type: type, name: str) -> int:
    """The maximum length of a ``str`` field (``DEFAULT_MAX`` when not given)."""
    for f in fields(row_type):
        if f.name == name:
            return int(f.metadata.get("max", DEFAULT_MAX))
    raise KeyError(name)


def row_dict(row: Any) -> dict[str, Any]:
    return {f.name: getattr(row, f.name) for f in fields(row)}
