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

import dataclasses as dc
from dataclasses import dataclass, fields
from typing import Any, ClassVar

DEFAULT_MAX = 200

HASH = 64  # leaf hashes, key ids, SHA-256 digests
USCC = 18  # organisation codes
IDENT = 64  # project ids
ENUM = 32  # vocabulary values
TIME = 24  # RFC 3339 with ms: 2026-01-31T08:00:00.000Z
DATE = 10  # 2026-01-31


@dataclass(slots=True)
class RegistryRow:
    """The trust root named by entry 0 (one row)."""

    __table__name__: ClassVar[str] = "p_registry"
    __pk__: ClassVar[tuple[str, ...]] = ("origin",)

    origin: str = dc.field(metadata={"max": 200})
    jurisdiction: str = dc.field(metadata={"max": 100})
    rule_sets_json: str = dc.field(metadata={"max": 1100})
    registrar_org: str = dc.field(metadata={"max": USCC})
    registrar_key: str = dc.field(metadata={"max": HASH})
    genesis_id: str = dc.field(metadata={"max": HASH})
    genesis_time: str = dc.field(metadata={"max": TIME})
    log_key: str | None = dc.field(default=None, metadata={"max": 44})  # the current checkpoint key (base64), if named
    log_key_id: str | None = dc.field(default=None, metadata={"max": HASH})
    log_key_from_size: int | None = None  # first tree size it signs
    # the chain of shards: the log this one continues, and (once sealed) the one after it
    previous_origin: str | None = dc.field(default=None, metadata={"max": 200})
    next_origin: str | None = dc.field(default=None, metadata={"max": 200})
    sealed_size: int | None = None  # the final tree size, set by log.sealed
    # the earliest business date on the log (received_on, allocated_on, paid_on, a project's
    # start): with back-loaded history it is earlier than the genesis; deadlines count from it
    business_from: str | None = dc.field(default=None, metadata={"max": DATE})


@dataclass(slots=True)
class OrgRow:
    __table__name__: ClassVar[str] = "p_org"
    __pk__: ClassVar[tuple[str, ...]] = ("org",)

    org: str = dc.field(metadata={"max": USCC})  # unified social credit code
    name_zh: str = dc.field(metadata={"max": 200})
    legal_form: str = dc.field(metadata={"max": ENUM})
    track: str = dc.field(metadata={"max": ENUM})  # registered (登记) / filed (备案)
    public_fundraising: bool
    is_registrar: bool
    status: str = dc.field(metadata={"max": ENUM})  # active / deregistered
    registered_seq: int
    updated_seq: int
    name_en: str | None = dc.field(default=None, metadata={"max": 200})
    registered_on: str | None = dc.field(default=None, metadata={"max": DATE})
    deregistered_seq: int | None = None
    deregister_reason: str | None = dc.field(default=None, metadata={"max": 500})


@dataclass(slots=True)
class OrgChangeRow:
    """One registration, change or deregistration of an organisation, with the day it takes
    effect (``effective_on``): the history ``ledger.domain.history`` answers "what held on day
    D" from. ``changed_json`` lists the fields the entry set; the value columns hold the
    organisation's values after the entry (only the listed ones are this entry's)."""

    __table__name__: ClassVar[str] = "p_org_change"
    __pk__: ClassVar[tuple[str, ...]] = ("org", "seq")

    org: str = dc.field(metadata={"max": USCC})
    seq: int
    id: str = dc.field(metadata={"max": HASH})
    kind: str = dc.field(metadata={"max": ENUM})  # registered / updated / deregistered
    effective_on: str = dc.field(metadata={"max": DATE})
    time: str = dc.field(metadata={"max": TIME})
    changed_json: str = dc.field(metadata={"max": 200})  # JSON list of field names
    name_zh: str = dc.field(metadata={"max": 200})
    legal_form: str = dc.field(metadata={"max": ENUM})
    track: str = dc.field(metadata={"max": ENUM})
    public_fundraising: bool
    status: str = dc.field(metadata={"max": ENUM})
    name_en: str | None = dc.field(default=None, metadata={"max": 200})
    reason: str | None = dc.field(default=None, metadata={"max": 500})


@dataclass(slots=True)
class KeyRow:
    __table__name__: ClassVar[str] = "p_key"
    __pk__: ClassVar[tuple[str, ...]] = ("key_id",)

    key_id: str = dc.field(metadata={"max": HASH})
    public_key: str = dc.field(metadata={"max": 44})  # base64 of the raw 32 bytes
    role: str = dc.field(metadata={"max": ENUM})
    org: str = dc.field(metadata={"max": USCC})
    holder: str = dc.field(metadata={"max": 100})
    granted_seq: int
    granted_by: str | None = dc.field(default=None, metadata={"max": HASH})  # None for the genesis key
    revoked_seq: int | None = None  # refused when seq > revoked_seq
    revoked_by: str | None = dc.field(default=None, metadata={"max": HASH})
    revoke_reason: str | None = dc.field(default=None, metadata={"max": 500})
    effective_on: str | None = dc.field(default=None, metadata={"max": DATE})  # the role held from
    revoked_effective_on: str | None = dc.field(default=None, metadata={"max": DATE})  # not trusted from


@dataclass(slots=True)
class ProjectRow:
    __table__name__: ClassVar[str] = "p_project"
    __pk__: ClassVar[tuple[str, ...]] = ("project",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("fundraiser_org",), ("field",), ("region",), ("status",))

    project: str = dc.field(metadata={"max": IDENT})
    title_zh: str = dc.field(metadata={"max": 200})
    field: str = dc.field(metadata={"max": ENUM})
    region: str = dc.field(metadata={"max": 100})
    start_date: str = dc.field(metadata={"max": DATE})
    end_date: str = dc.field(metadata={"max": DATE})
    currency: str = dc.field(metadata={"max": 3})
    target_minor: int
    fundraiser_org: str = dc.field(metadata={"max": USCC})
    registered_by: str = dc.field(metadata={"max": HASH})
    registered_id: str = dc.field(metadata={"max": HASH})
    registered_seq: int
    implementers_json: str = dc.field(metadata={"max": 220})  # JSON list of organisation codes
    overseers_json: str = dc.field(metadata={"max": 120})  # JSON list of organisation codes
    directed: bool  # 定向: not public fundraising
    emergency: bool
    status: str = dc.field(metadata={"max": ENUM})  # open / closed
    closed: bool
    title_en: str | None = dc.field(default=None, metadata={"max": 200})
    description: str | None = dc.field(default=None, metadata={"max": 2000})
    # the fundraising plan (Charity Law art. 24), None for directed projects without a plan
    plan_purpose: str | None = dc.field(default=None, metadata={"max": 1000})
    plan_fundraising_start: str | None = dc.field(default=None, metadata={"max": DATE})
    plan_fundraising_end: str | None = dc.field(default=None, metadata={"max": DATE})
    plan_area: str | None = dc.field(default=None, metadata={"max": 200})
    plan_responsible_person: str | None = dc.field(default=None, metadata={"max": 100})
    plan_office_address: str | None = dc.field(default=None, metadata={"max": 200})
    plan_receiving_methods: str | None = dc.field(default=None, metadata={"max": 500})
    plan_bank_account: str | None = dc.field(default=None, metadata={"max": 200})
    plan_beneficiaries: str | None = dc.field(default=None, metadata={"max": 500})
    plan_use_of_funds: str | None = dc.field(default=None, metadata={"max": 1000})
    plan_fundraising_cost: str | None = dc.field(default=None, metadata={"max": 500})
    plan_surplus_handling: str | None = dc.field(default=None, metadata={"max": 500})
    # filing
    plan_filed_seq: int | None = None
    plan_filed_id: str | None = dc.field(default=None, metadata={"max": HASH})
    plan_filed_time: str | None = dc.field(default=None, metadata={"max": TIME})
    plan_filing_number: str | None = dc.field(default=None, metadata={"max": 64})
    plan_ack_seq: int | None = None
    plan_record_number: str | None = dc.field(default=None, metadata={"max": 64})
    plan_published_on: str | None = dc.field(default=None, metadata={"max": DATE})  # plan.filed's published_on
    plan_publication_sha256: str | None = dc.field(default=None, metadata={"max": HASH})
    # closing
    closed_seq: int | None = None
    closed_id: str | None = dc.field(default=None, metadata={"max": HASH})
    closed_on: str | None = dc.field(default=None, metadata={"max": DATE})
    close_summary: str | None = dc.field(default=None, metadata={"max": 2000})
    surplus_minor: int | None = None
    surplus_handling: str | None = dc.field(default=None, metadata={"max": ENUM})
    surplus_note: str | None = dc.field(default=None, metadata={"max": 1000})
    closed_published_on: str | None = dc.field(default=None, metadata={"max": DATE})  # project.closed's published_on
    closed_publication_sha256: str | None = dc.field(default=None, metadata={"max": HASH})


@dataclass(slots=True)
class FundRow:
    """The project fund. available_* = raised_* - allocated_*; balance = raised - disbursed."""

    __table__name__: ClassVar[str] = "p_fund"
    __pk__: ClassVar[tuple[str, ...]] = ("project",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("fundraiser_org", "currency"),)

    project: str = dc.field(metadata={"max": IDENT})
    currency: str = dc.field(metadata={"max": 3})
    fundraiser_org: str = dc.field(metadata={"max": USCC})
    raised_restricted_minor: int = 0
    raised_unrestricted_minor: int = 0
    raised_in_kind_minor: int = 0  # part of the two above given in kind (valuation)
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

    project: str = dc.field(metadata={"max": IDENT})
    implementer: str = dc.field(metadata={"max": USCC})
    currency: str = dc.field(metadata={"max": 3})
    allocated_minor: int = 0
    disbursed_minor: int = 0
    balance_minor: int = 0


@dataclass(slots=True)
class DonationRow:
    """A donation as the public sees it: no personal data, only the donor commitment."""

    __table__name__: ClassVar[str] = "p_donation"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("project", "seq"), ("seq",), ("fundraiser_org", "seq"))

    id: str = dc.field(metadata={"max": HASH})
    seq: int
    project: str = dc.field(metadata={"max": IDENT})
    amount_minor: int
    currency: str = dc.field(metadata={"max": 3})
    kind: str = dc.field(metadata={"max": ENUM})  # money / in_kind
    channel: str = dc.field(metadata={"max": ENUM})
    donor_type: str = dc.field(metadata={"max": ENUM})
    commitment: str = dc.field(metadata={"max": HASH})
    restricted: bool
    received_on: str = dc.field(metadata={"max": DATE})
    fundraiser_org: str = dc.field(metadata={"max": USCC})
    recorded_by: str = dc.field(metadata={"max": HASH})
    time: str = dc.field(metadata={"max": TIME})
    in_kind_description: str | None = dc.field(default=None, metadata={"max": 500})
    receipt_no: str | None = dc.field(default=None, metadata={"max": 64})
    note: str | None = dc.field(default=None, metadata={"max": 500})
    corrected: bool = False
    corrected_by: str | None = dc.field(default=None, metadata={"max": HASH})


@dataclass(slots=True)
class AllocationRow:
    __table__name__: ClassVar[str] = "p_allocation"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("project", "seq"), ("implementer", "seq"))

    id: str = dc.field(metadata={"max": HASH})
    seq: int
    project: str = dc.field(metadata={"max": IDENT})
    implementer: str = dc.field(metadata={"max": USCC})
    source: str = dc.field(metadata={"max": ENUM})  # restricted / unrestricted pot of the project fund
    amount_minor: int
    currency: str = dc.field(metadata={"max": 3})
    allocated_on: str = dc.field(metadata={"max": DATE})
    recorded_by: str = dc.field(metadata={"max": HASH})
    time: str = dc.field(metadata={"max": TIME})
    note: str | None = dc.field(default=None, metadata={"max": 500})
    corrected: bool = False
    corrected_by: str | None = dc.field(default=None, metadata={"max": HASH})


@dataclass(slots=True)
class DisbursementRow:
    __table__name__: ClassVar[str] = "p_disbursement"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("project", "seq"), ("implementer", "seq"))

    id: str = dc.field(metadata={"max": HASH})
    seq: int
    project: str = dc.field(metadata={"max": IDENT})
    implementer: str = dc.field(metadata={"max": USCC})
    category: str = dc.field(metadata={"max": ENUM})  # program / admin / fundraising_cost
    amount_minor: int
    currency: str = dc.field(metadata={"max": 3})
    payee: str = dc.field(metadata={"max": 200})
    purpose: str = dc.field(metadata={"max": 500})
    paid_on: str = dc.field(metadata={"max": DATE})
    evidence_json: str = dc.field(metadata={"max": 1400})  # JSON list of SHA-256 hex
    recorded_by: str = dc.field(metadata={"max": HASH})
    time: str = dc.field(metadata={"max": TIME})
    corrected: bool = False
    corrected_by: str | None = dc.field(default=None, metadata={"max": HASH})


@dataclass(slots=True)
class ProgressRow:
    __table__name__: ClassVar[str] = "p_progress"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("project", "seq"), ("implementer", "seq"))

    id: str = dc.field(metadata={"max": HASH})
    seq: int
    project: str = dc.field(metadata={"max": IDENT})
    implementer: str = dc.field(metadata={"max": USCC})
    period_start: str = dc.field(metadata={"max": DATE})
    period_end: str = dc.field(metadata={"max": DATE})
    summary: str = dc.field(metadata={"max": 2000})
    evidence_json: str = dc.field(metadata={"max": 1400})
    recorded_by: str = dc.field(metadata={"max": HASH})
    time: str = dc.field(metadata={"max": TIME})
    beneficiaries: int | None = None
    published_on: str | None = dc.field(default=None, metadata={"max": DATE})
    publication_sha256: str | None = dc.field(default=None, metadata={"max": HASH})
    corrected: bool = False
    corrected_by: str | None = dc.field(default=None, metadata={"max": HASH})


@dataclass(slots=True)
class AttestationRow:
    __table__name__: ClassVar[str] = "p_attestation"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("target",), ("project", "seq"), ("overseer_org", "seq"))

    id: str = dc.field(metadata={"max": HASH})
    seq: int
    target: str = dc.field(metadata={"max": HASH})
    target_type: str = dc.field(metadata={"max": 40})
    overseer_org: str = dc.field(metadata={"max": USCC})
    verdict: str = dc.field(metadata={"max": ENUM})  # approved / queried / flagged / resolved
    findings: str = dc.field(metadata={"max": 2000})
    recorded_by: str = dc.field(metadata={"max": HASH})
    time: str = dc.field(metadata={"max": TIME})
    project: str | None = dc.field(default=None, metadata={"max": IDENT})
    previous_verdict: str | None = dc.field(
        default=None, metadata={"max": ENUM}
    )  # the target's verdict before this one
    previous_verdict_by: str | None = dc.field(default=None, metadata={"max": HASH})
    corrected: bool = False
    corrected_by: str | None = dc.field(default=None, metadata={"max": HASH})


@dataclass(slots=True)
class AnswerRow:
    """query.answered: the answer of the queried organisation, threaded under the attestation."""

    __table__name__: ClassVar[str] = "p_answer"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("attestation",), ("target",), ("org", "seq"))

    id: str = dc.field(metadata={"max": HASH})
    seq: int
    attestation: str = dc.field(metadata={"max": HASH})
    target: str = dc.field(metadata={"max": HASH})
    org: str = dc.field(metadata={"max": USCC})
    answer: str = dc.field(metadata={"max": 2000})
    evidence_json: str = dc.field(metadata={"max": 1400})
    recorded_by: str = dc.field(metadata={"max": HASH})
    time: str = dc.field(metadata={"max": TIME})
    project: str | None = dc.field(default=None, metadata={"max": IDENT})


@dataclass(slots=True)
class AccountMovementRow:
    """interest.received and fee.charged: money the bank or payment platform added to or took
    from an organisation's account, recorded apart from donations (they are not gifts) and
    from payments (nobody chose to pay them). ``kind`` is ``interest`` or ``fee``."""

    __table__name__: ClassVar[str] = "p_account_movement"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("org", "seq"), ("project", "seq"))

    id: str = dc.field(metadata={"max": HASH})
    seq: int
    org: str = dc.field(metadata={"max": USCC})
    kind: str = dc.field(metadata={"max": ENUM})  # interest / fee
    amount_minor: int
    currency: str = dc.field(metadata={"max": 3})
    on_date: str = dc.field(metadata={"max": DATE})  # received_on / charged_on
    recorded_by: str = dc.field(metadata={"max": HASH})
    time: str = dc.field(metadata={"max": TIME})
    project: str | None = dc.field(default=None, metadata={"max": IDENT})
    fee_kind: str | None = dc.field(default=None, metadata={"max": ENUM})
    note: str | None = dc.field(default=None, metadata={"max": 500})
    corrected: bool = False
    corrected_by: str | None = dc.field(default=None, metadata={"max": HASH})


@dataclass(slots=True)
class AuditOpinionRow:
    __table__name__: ClassVar[str] = "p_audit_opinion"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("org", "year"),)

    id: str = dc.field(metadata={"max": HASH})
    seq: int
    org: str = dc.field(metadata={"max": USCC})  # the audited organisation
    year: int
    opinion: str = dc.field(metadata={"max": ENUM})
    report_sha256: str = dc.field(metadata={"max": HASH})
    auditor_org: str = dc.field(metadata={"max": USCC})
    recorded_by: str = dc.field(metadata={"max": HASH})
    time: str = dc.field(metadata={"max": TIME})
    summary: str | None = dc.field(default=None, metadata={"max": 2000})
    corrected: bool = False
    corrected_by: str | None = dc.field(default=None, metadata={"max": HASH})


@dataclass(slots=True)
class FinancialsRow:
    """An organisation's reported figures for a year (``financials.reported``): the set in force.

    One row per organisation and year. Withdrawing it (``entry.corrected``) marks it
    ``corrected``; figures reported again afterwards replace the row (the withdrawn ones stay in
    the log, ``p_entry`` and ``p_correction``). ``net_assets_minor`` may be negative.
    """

    __table__name__: ClassVar[str] = "p_financials"
    __pk__: ClassVar[tuple[str, ...]] = ("org", "year")
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("id",),)

    org: str = dc.field(metadata={"max": USCC})
    year: int
    id: str = dc.field(metadata={"max": HASH})  # the financials.reported entry
    seq: int
    currency: str = dc.field(metadata={"max": 3})
    total_income_minor: int
    charitable_spending_minor: int
    management_costs_minor: int
    fundraising_costs_minor: int
    total_spending_minor: int
    net_assets_minor: int  # year-end net assets
    signer_org: str = dc.field(metadata={"max": USCC})  # the organisation itself, or the registrar
    recorded_by: str = dc.field(metadata={"max": HASH})
    time: str = dc.field(metadata={"max": TIME})
    audit_report_sha256: str | None = dc.field(default=None, metadata={"max": HASH})
    note: str | None = dc.field(default=None, metadata={"max": 1000})
    published_on: str | None = dc.field(default=None, metadata={"max": DATE})
    publication_sha256: str | None = dc.field(default=None, metadata={"max": HASH})
    corrected: bool = False
    corrected_by: str | None = dc.field(default=None, metadata={"max": HASH})


@dataclass(slots=True)
class CorrectionRow:
    __table__name__: ClassVar[str] = "p_correction"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("target",),)

    id: str = dc.field(metadata={"max": HASH})
    seq: int
    target: str = dc.field(metadata={"max": HASH})
    target_type: str = dc.field(metadata={"max": 40})
    reason: str = dc.field(metadata={"max": 1000})
    signer_org: str = dc.field(metadata={"max": USCC})
    recorded_by: str = dc.field(metadata={"max": HASH})
    time: str = dc.field(metadata={"max": TIME})
    project: str | None = dc.field(default=None, metadata={"max": IDENT})
    amount_minor: int | None = None  # the amount reversed, for money entries
    currency: str | None = dc.field(default=None, metadata={"max": 3})


@dataclass(slots=True)
class ReportRow:
    __table__name__: ClassVar[str] = "p_report"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)

    id: str = dc.field(metadata={"max": HASH})
    seq: int
    kind: str = dc.field(metadata={"max": 64})
    subject: str = dc.field(metadata={"max": 200})
    period_start: str = dc.field(metadata={"max": DATE})
    period_end: str = dc.field(metadata={"max": DATE})
    rule_set: str = dc.field(metadata={"max": 64})
    tree_size: int
    root: str = dc.field(metadata={"max": HASH})
    files_json: str = dc.field(metadata={"max": 12000})  # JSON list of {"name", "sha256", "size"}
    recorded_by: str = dc.field(metadata={"max": HASH})
    time: str = dc.field(metadata={"max": TIME})


@dataclass(slots=True)
class SzFilingRow:
    """A donation filing under the Shenzhen SEZ regulations (``sz.donation_filed``, art. 24-26)
    and the authority's reply (``sz.filing_replied``, art. 25), keyed by the filing's leaf hash."""

    __table__name__: ClassVar[str] = "p_sz_filing"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("org", "seq"), ("org", "ref"), ("authority", "seq"))

    id: str = dc.field(metadata={"max": HASH})  # the sz.donation_filed entry
    seq: int
    org: str = dc.field(metadata={"max": USCC})  # the donee that files
    ref: str = dc.field(metadata={"max": 64})  # the filing's reference, unique per organisation
    authority: str = dc.field(metadata={"max": USCC})  # who must reply
    filed_on: str = dc.field(metadata={"max": DATE})
    emergency: bool
    donations_json: str = dc.field(metadata={"max": 6800})  # JSON list of the donation.received leaf hashes covered
    purpose: str = dc.field(metadata={"max": 1000})
    intent_sha256: str = dc.field(metadata={"max": HASH})
    declaration_sha256: str = dc.field(metadata={"max": HASH})
    property_list_sha256: str = dc.field(metadata={"max": HASH})
    recorded_by: str = dc.field(metadata={"max": HASH})
    time: str = dc.field(metadata={"max": TIME})
    accepted_on: str | None = dc.field(
        default=None, metadata={"max": DATE}
    )  # emergency donations accepted before filing
    note: str | None = dc.field(default=None, metadata={"max": 500})
    replied_on: str | None = dc.field(default=None, metadata={"max": DATE})
    decision: str | None = dc.field(default=None, metadata={"max": ENUM})  # approved / objection
    reply_id: str | None = dc.field(default=None, metadata={"max": HASH})
    reply_seq: int | None = None
    reply_note: str | None = dc.field(default=None, metadata={"max": 1000})
    corrected: bool = False
    corrected_by: str | None = dc.field(default=None, metadata={"max": HASH})


@dataclass(slots=True)
class EntryRow:
    """An index row per log entry, keyed by its leaf hash."""

    __table__name__: ClassVar[str] = "p_entry"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (
        ("seq",),
        ("project", "seq"),
        ("signer_org", "seq"),
        ("type", "seq"),
        ("signer", "seq"),
        ("last_verdict", "seq"),
        # open queries and flags of an organisation or a project, newest first, without
        # walking all of its entries
        ("signer_org", "last_verdict", "seq"),
        ("project", "last_verdict", "seq"),
    )

    id: str = dc.field(metadata={"max": HASH})
    seq: int
    type: str = dc.field(metadata={"max": 40})
    signer: str = dc.field(metadata={"max": HASH})  # key id
    signer_role: str = dc.field(metadata={"max": ENUM})
    signer_org: str = dc.field(metadata={"max": USCC})
    time: str = dc.field(metadata={"max": TIME})  # log time
    project: str | None = dc.field(default=None, metadata={"max": IDENT})
    amount_minor: int | None = None  # the entry's data.amount (reversals too: positive)
    currency: str | None = dc.field(default=None, metadata={"max": 3})
    corrected: bool = False
    corrected_by: str | None = dc.field(default=None, metadata={"max": HASH})
    last_verdict: str | None = dc.field(default=None, metadata={"max": ENUM})  # latest oversight verdict on this entry
    last_verdict_by: str | None = dc.field(default=None, metadata={"max": HASH})


@dataclass(slots=True)
class OrgYearRow:
    """An organisation's money on the log for a calendar year, kept at append time so the
    organisation page never sums its entries: donations it received as fundraiser (by the
    day received) and payments it made as implementer (by the day paid), corrections netted."""

    __table__name__: ClassVar[str] = "p_org_year"
    __pk__: ClassVar[tuple[str, ...]] = ("org", "year", "currency")

    org: str = dc.field(metadata={"max": USCC})
    year: int
    currency: str = dc.field(metadata={"max": 3})
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

    project: str = dc.field(metadata={"max": IDENT})
    donor_type: str = dc.field(metadata={"max": ENUM})
    raised_minor: int = 0
    donations_count: int = 0


# --- disclosures (issue 13) ------------------------------------------------------------------


@dataclass(slots=True)
class DisclosureRow:
    """disclosure.recorded: a major asset change, an investment or a related-party transaction
    disclosed by an organisation; its deadline (30 days from ``occurred_on``) is for the rule set."""

    __table__name__: ClassVar[str] = "p_disclosure"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("org", "seq"), ("org", "ref"))

    id: str = dc.field(metadata={"max": HASH})
    seq: int
    org: str = dc.field(metadata={"max": USCC})
    ref: str = dc.field(metadata={"max": 64})
    kind: str = dc.field(metadata={"max": ENUM})
    title: str = dc.field(metadata={"max": 200})
    summary: str = dc.field(metadata={"max": 2000})
    occurred_on: str = dc.field(metadata={"max": DATE})
    published_on: str = dc.field(metadata={"max": DATE})
    evidence_json: str = dc.field(metadata={"max": 1400})
    recorded_by: str = dc.field(metadata={"max": HASH})
    time: str = dc.field(metadata={"max": TIME})
    counterparty: str | None = dc.field(default=None, metadata={"max": 200})
    project: str | None = dc.field(default=None, metadata={"max": IDENT})
    amount_minor: int | None = None
    currency: str | None = dc.field(default=None, metadata={"max": 3})
    corrected: bool = False
    corrected_by: str | None = dc.field(default=None, metadata={"max": HASH})


@dataclass(slots=True)
class FundraisingResultRow:
    """fundraising.results: a public fundraising campaign's published results (one live set per
    project); ``over_cap`` when its fundraising costs exceed the plan's cap."""

    __table__name__: ClassVar[str] = "p_fundraising_result"
    __pk__: ClassVar[tuple[str, ...]] = ("id",)
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("project", "seq"), ("org", "seq"))

    id: str = dc.field(metadata={"max": HASH})
    seq: int
    project: str = dc.field(metadata={"max": IDENT})
    org: str = dc.field(metadata={"max": USCC})  # the campaign's fundraising organisation
    currency: str = dc.field(metadata={"max": 3})
    receipts_minor: int
    used_minor: int
    fundraising_costs_minor: int
    cost_cap_minor: int
    over_cap: bool
    ended_on: str = dc.field(metadata={"max": DATE})
    published_on: str = dc.field(metadata={"max": DATE})
    use_summary: str = dc.field(metadata={"max": 2000})
    evidence_json: str = dc.field(metadata={"max": 1400})
    recorded_by: str = dc.field(metadata={"max": HASH})
    time: str = dc.field(metadata={"max": TIME})
    explanation: str | None = dc.field(default=None, metadata={"max": 1000})
    corrected: bool = False
    corrected_by: str | None = dc.field(default=None, metadata={"max": HASH})


@dataclass(slots=True)
class WorkReportRow:
    """work_report.filed: the figures of an organisation's annual work report, the set in force
    (one row per organisation and year, like :class:`FinancialsRow`)."""

    __table__name__: ClassVar[str] = "p_work_report"
    __pk__: ClassVar[tuple[str, ...]] = ("org", "year")
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = (("id",),)

    org: str = dc.field(metadata={"max": USCC})
    year: int
    id: str = dc.field(metadata={"max": HASH})
    seq: int
    currency: str = dc.field(metadata={"max": 3})
    staff: int
    volunteers: int
    council_members: int
    supervisors: int
    council_meetings: int
    total_assets_minor: int
    total_liabilities_minor: int
    net_assets_minor: int
    donation_income_minor: int
    membership_income_minor: int
    service_income_minor: int
    sales_income_minor: int
    government_grants_minor: int
    investment_income_minor: int
    other_income_minor: int
    total_income_minor: int
    charitable_spending_minor: int
    management_costs_minor: int
    fundraising_costs_minor: int
    other_expenses_minor: int
    total_spending_minor: int
    report_sha256: str = dc.field(metadata={"max": HASH})
    published_on: str = dc.field(metadata={"max": DATE})
    signer_org: str = dc.field(metadata={"max": USCC})
    recorded_by: str = dc.field(metadata={"max": HASH})
    time: str = dc.field(metadata={"max": TIME})
    volunteer_hours: int | None = None
    beneficiaries: int | None = None
    activities: str | None = dc.field(default=None, metadata={"max": 2000})
    note: str | None = dc.field(default=None, metadata={"max": 1000})
    corrected: bool = False
    corrected_by: str | None = dc.field(default=None, metadata={"max": HASH})


@dataclass(slots=True)
class MonthRow:
    """Money in and out of a project or an organisation in a calendar month, kept at append (the
    monthly chart of the project and organisation pages reads it instead of grouping entries):
    ``kind`` "project" (donations to it by the day received, payments from it by the day paid)
    or "org" (donations it received as fundraiser, payments it made as implementer); live
    entries only, corrections netted."""

    __table__name__: ClassVar[str] = "p_month"
    __pk__: ClassVar[tuple[str, ...]] = ("kind", "subject", "month", "currency")

    kind: str = dc.field(metadata={"max": ENUM})
    subject: str = dc.field(metadata={"max": IDENT})
    month: str = dc.field(metadata={"max": 7})  # YYYY-MM
    currency: str = dc.field(metadata={"max": 3})
    in_minor: int = 0
    out_minor: int = 0


ROW_TYPES: tuple[type, ...] = (
    RegistryRow,
    OrgRow,
    OrgChangeRow,
    KeyRow,
    ProjectRow,
    FundRow,
    OrgYearRow,
    ProjectDonorTypeRow,
    MonthRow,
    AllocationBalanceRow,
    DonationRow,
    AllocationRow,
    DisbursementRow,
    ProgressRow,
    AttestationRow,
    AnswerRow,
    AccountMovementRow,
    AuditOpinionRow,
    FinancialsRow,
    CorrectionRow,
    ReportRow,
    SzFilingRow,
    DisclosureRow,
    FundraisingResultRow,
    WorkReportRow,
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
