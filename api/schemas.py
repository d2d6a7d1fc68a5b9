"""Request and response bodies of the API: msgspec Structs, apart from the projection rows.

Each Struct carries ``__example__`` (a JSON value), which :mod:`api.openapi` puts on its
schema. Money is always a decimal string with the currency's minor digits (``"1234.50"``),
never a float; ids of entries are leaf hashes (64 lowercase hex).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import Meta, Struct

from ledger.protocol.grammar import schema_pattern

HASH_EXAMPLE = "3f1c8a0e9f4b7d2c6e5a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e"
KEY_EXAMPLE = "9a7c2f4e1b3d5c6a8e0f2b4d6c8a0e1f3b5d7c9e1a3b5c7d9e0f2a4c6b8d0e2f"
ORG_EXAMPLE = "53440300MJL00001AX"
TIME_EXAMPLE = "2026-11-27T08:30:00.000Z"
CHECKPOINT_EXAMPLE = (
    "charity-ledger.example/log\n42\nq1ZCw0Yl8Ke6r3x5lF0m9f1mJ6tq0kGq2bHc3M2s0xE=\n\n"
    "\u2014 charity-ledger.example/log Az3grlgtzPICa5OS8npBqT6ZCjcwGNnH9v5aQx0hbvNjR1b0XkO0pAXeIbKw1eqAu+OdLtv3uT1xGQuLkWFJ8x/tTw==\n"
)


class _Schema(Struct, kw_only=True):
    __example__: ClassVar[Any] = None


# --- problems -------------------------------------------------------------------------------


class Problem(_Schema):
    """An error, as RFC 9457 problem details (media type application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    message_zh: str
    params: dict[str, Any]
    instance: str

    __example__: ClassVar[Any] = {
        "type": "/api/v1/problems/unknown_signer",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": f"The signing key {KEY_EXAMPLE} is not known to this log; ask for it to be granted first.",
        "code": "unknown_signer",
        "message_zh": f"签名密钥 {KEY_EXAMPLE} 未在本账本登记，请先申请授权。",
        "params": {"signer": KEY_EXAMPLE},
        "instance": "/api/v1/entries",
    }


class ProblemType(_Schema):
    """One error code: its kind, HTTP status and message templates."""

    code: str
    kind: str
    status: int
    title: str
    message_en: str
    message_zh: str

    __example__: ClassVar[Any] = {
        "code": "insufficient_funds",
        "kind": "refused",
        "status": 422,
        "title": "Unprocessable Content",
        "message_en": "Allocating {amount} from the {pot} money of {project} would overdraw it: {available} is available.",
        "message_zh": "从项目 {project} 的{pot_zh}资金中拨付 {amount} 将超出可用余额 {available}。",
    }


class ProblemTypeList(_Schema):
    items: list[ProblemType]

    __example__: ClassVar[Any] = {"items": [ProblemType.__example__]}


# --- the log --------------------------------------------------------------------------------


class InclusionProof(_Schema):
    """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""

    index: int
    size: int
    hashes: list[str]

    __example__: ClassVar[Any] = {"index": 7, "size": 42, "hashes": [HASH_EXAMPLE, HASH_EXAMPLE]}


class ConsistencyProof(_Schema):
    """RFC 9162 consistency proof between the trees of ``first`` and ``second`` leaves."""

    first: int
    second: int
    hashes: list[str]

    __example__: ClassVar[Any] = {"first": 10, "second": 42, "hashes": [HASH_EXAMPLE, HASH_EXAMPLE]}


class CheckpointRef(_Schema):
    size: int

    __example__: ClassVar[Any] = {"size": 42}


class CheckpointPage(_Schema):
    """Sizes the log signed a checkpoint for, newest first."""

    items: list[CheckpointRef]
    next_cursor: str | None

    __example__: ClassVar[Any] = {"items": [{"size": 42}, {"size": 41}], "next_cursor": "WzQxXQ"}


SEALED_CHECKPOINT_EXAMPLE = CHECKPOINT_EXAMPLE.replace("example/log", "example/log/2026")


class LogShard(_Schema):
    """One log of the chain (a shard, normally one per year). A sealed log never changes:
    ``size`` and ``root_hash`` are final and ``checkpoint`` is its final signed checkpoint; the
    log being appended to (the last one) has no ``checkpoint`` here (see /api/v1/log/checkpoint).
    Positions in the chain (the ``seq`` of the registry's reads) run from ``base`` to
    ``base + size - 1`` in this log; its own seqs from 0 to ``size - 1``."""

    index: int
    origin: str
    base: int
    size: int
    root_hash: str
    sealed: bool
    next_origin: str | None
    sealed_at: str | None
    checkpoint: str | None
    vkey: str
    tiles: str  # the prefix of the log's C2SP tlog-tiles: <prefix>checkpoint, <prefix>tile/...

    __example__: ClassVar[Any] = {
        "index": 0,
        "origin": "charity-ledger.example/log/2026",
        "base": 0,
        "size": 42,
        "tiles": "/tlog/shards/0/",
        "root_hash": HASH_EXAMPLE,
        "sealed": True,
        "next_origin": "charity-ledger.example/log/2027",
        "sealed_at": TIME_EXAMPLE,
        "checkpoint": SEALED_CHECKPOINT_EXAMPLE,
        "vkey": "charity-ledger.example/log/2026+8588bfbd+Ac2Xe7akWuUKbDefId+7J/KVvXm35t1buxhlGirgBNuI",
    }


class LogShardList(_Schema):
    """Every log of the chain, oldest first; the last one is the log being appended to."""

    shards: list[LogShard]

    __example__: ClassVar[Any] = {
        "shards": [
            LogShard.__example__,
            LogShard.__example__
            | {
                "index": 1,
                "origin": "charity-ledger.example/log/2027",
                "base": 42,
                "size": 7,
                "sealed": False,
                "next_origin": None,
                "sealed_at": None,
                "checkpoint": None,
                "vkey": "charity-ledger.example/log/2027+f8180bd2+Ac2Xe7akWuUKbDefId+7J/KVvXm35t1buxhlGirgBNuI",
            },
        ]
    }


class EntryBody(_Schema, forbid_unknown_fields=True):
    """What the actor signs (DESIGN section 3). Every field is matched in full by the grammar of
    ``ledger.protocol.grammar``; ``data`` is the entry type's data schema (DESIGN section 4)."""

    v: Annotated[int, Meta(ge=1, le=1)]
    log: Annotated[str, Meta(pattern=schema_pattern("origin"), min_length=1, max_length=200)]
    type: Annotated[str, Meta(pattern=schema_pattern("entry_type"), max_length=63)]
    signer: Annotated[str, Meta(pattern=schema_pattern("hex64"), min_length=64, max_length=64)]
    at: Annotated[str, Meta(pattern=schema_pattern("time"), min_length=24, max_length=24)]
    idem: Annotated[str, Meta(pattern=schema_pattern("idem"), min_length=1, max_length=128)]
    data: dict[str, Any]

    __example__: ClassVar[Any] = {
        "v": 1,
        "log": "charity-ledger.example/log",
        "type": "donation.received",
        "signer": KEY_EXAMPLE,
        "at": TIME_EXAMPLE,
        "idem": "bank-2026-11-27-0042",
        "data": {
            "project": "P-ELDER-2026",
            "currency": "CNY",
            "amount": "200.00",
            "kind": "money",
            "channel": "bank_transfer",
            "donor_type": "individual",
            "commitment": HASH_EXAMPLE,
            "restricted": True,
            "received_on": "2026-11-27",
        },
    }


class Submission(_Schema, forbid_unknown_fields=True):
    """One signed entry: the body and base64 Ed25519 over ``charity-ledger/entry/v1\\n`` + JCS(body)."""

    body: EntryBody
    sig: Annotated[str, Meta(pattern=schema_pattern("b64_sig"), min_length=88, max_length=88)]

    __example__: ClassVar[Any] = {
        "body": EntryBody.__example__,
        "sig": "3q2+7w" + "A" * 80 + "==",
    }


class AppendResult(_Schema):
    """Where the entry is, with its inclusion proof against the signed checkpoint.

    ``seq`` and the proof are of the entry's own log (``log``, the checkpoint's origin: one of
    the chain of yearly logs); ``position`` is its place in the whole chain, the ``seq`` of
    ``/api/v1/entries/{seq}`` and of the registry's reads (equal to ``seq`` in the first log).
    An idempotent retry of an entry stored before its log was sealed answers that log, with the
    proof against its final checkpoint."""

    seq: int
    leaf_hash: str
    time: str
    existing: bool
    inclusion_proof: InclusionProof
    checkpoint: str
    log: str
    position: int

    __example__: ClassVar[Any] = {
        "seq": 41,
        "leaf_hash": HASH_EXAMPLE,
        "time": TIME_EXAMPLE,
        "existing": False,
        "inclusion_proof": {"index": 41, "size": 42, "hashes": [HASH_EXAMPLE]},
        "checkpoint": CHECKPOINT_EXAMPLE,
        "log": "charity-ledger.example/log",
        "position": 41,
    }


class BatchItem(_Schema):
    """One entry of a batch; ``checkpoint`` only when its proof is against another checkpoint
    than the batch's (the retry of an entry stored in a log sealed since)."""

    seq: int
    leaf_hash: str
    time: str
    existing: bool
    inclusion_proof: InclusionProof
    log: str
    position: int
    checkpoint: str | None = None

    __example__: ClassVar[Any] = {k: v for k, v in AppendResult.__example__.items() if k != "checkpoint"}


class BatchResult(_Schema):
    """A batch, in the order sent; every proof is against ``checkpoint`` (tree ``size``)."""

    size: int
    checkpoint: str
    items: list[BatchItem]

    __example__: ClassVar[Any] = {"size": 42, "checkpoint": CHECKPOINT_EXAMPLE, "items": [BatchItem.__example__]}


class Leaf(_Schema):
    """An entry as the log stores and hashes it."""

    seq: int
    prev: str
    time: str
    body: EntryBody
    sig: str

    __example__: ClassVar[Any] = {
        "seq": 41,
        "prev": HASH_EXAMPLE,
        "time": TIME_EXAMPLE,
        "body": EntryBody.__example__,
        "sig": Submission.__example__["sig"],
    }


class Entry(_Schema):
    """A log entry with what the projections know about it. ``seq`` is its position in the
    chain of logs; ``log`` is the origin of the log (shard) holding it, where its own seq is
    ``leaf.seq``."""

    seq: int
    log: str
    leaf_hash: str
    type: str
    signer: str
    time: str
    signer_role: str | None
    signer_org: str | None
    project: str | None
    amount: str | None
    currency: str | None
    corrected: bool
    corrected_by: str | None
    last_verdict: str | None
    last_verdict_by: str | None
    leaf: Leaf

    __example__: ClassVar[Any] = {
        "seq": 41,
        "log": "charity-ledger.example/log",
        "leaf_hash": HASH_EXAMPLE,
        "type": "donation.received",
        "signer": KEY_EXAMPLE,
        "time": TIME_EXAMPLE,
        "signer_role": "fundraiser",
        "signer_org": ORG_EXAMPLE,
        "project": "P-ELDER-2026",
        "amount": "200.00",
        "currency": "CNY",
        "corrected": False,
        "corrected_by": None,
        "last_verdict": None,
        "last_verdict_by": None,
        "leaf": Leaf.__example__,
    }


class EntryPage(_Schema):
    items: list[Entry]
    next_cursor: str | None

    __example__: ClassVar[Any] = {"items": [Entry.__example__], "next_cursor": "WzQxXQ"}


# --- registry -------------------------------------------------------------------------------


class Organisation(_Schema):
    org: str
    name_zh: str
    name_en: str | None
    legal_form: str
    track: str
    public_fundraising: bool
    is_registrar: bool
    status: str
    registered_on: str | None
    registered_seq: int
    updated_seq: int
    deregistered_seq: int | None
    deregister_reason: str | None

    __example__: ClassVar[Any] = {
        "org": ORG_EXAMPLE,
        "name_zh": "深圳市长者关爱基金会",
        "name_en": "Shenzhen Elderly Care Foundation",
        "legal_form": "foundation",
        "track": "registered",
        "public_fundraising": True,
        "is_registrar": False,
        "status": "active",
        "registered_on": "2019-05-10",
        "registered_seq": 3,
        "updated_seq": 3,
        "deregistered_seq": None,
        "deregister_reason": None,
    }


class OrganisationPage(_Schema):
    items: list[Organisation]
    next_cursor: str | None

    __example__: ClassVar[Any] = {"items": [Organisation.__example__], "next_cursor": None}


class DisbursedByCategory(_Schema):
    program: str
    admin: str
    fundraising_cost: str

    __example__: ClassVar[Any] = {"program": "1800.00", "admin": "100.00", "fundraising_cost": "50.00"}


class ProjectFunds(_Schema):
    """The project fund: raised, allocated to implementers, paid out, and what is left."""

    currency: str
    raised: str
    raised_restricted: str
    raised_unrestricted: str
    raised_in_kind: str
    donations_count: int
    allocated: str
    allocated_restricted: str
    allocated_unrestricted: str
    available_restricted: str
    available_unrestricted: str
    disbursed: str
    disbursed_by_category: DisbursedByCategory
    balance: str

    __example__: ClassVar[Any] = {
        "currency": "CNY",
        "raised": "5000.00",
        "raised_restricted": "4000.00",
        "raised_unrestricted": "1000.00",
        "raised_in_kind": "0.00",
        "donations_count": 12,
        "allocated": "3000.00",
        "allocated_restricted": "3000.00",
        "allocated_unrestricted": "0.00",
        "available_restricted": "1000.00",
        "available_unrestricted": "1000.00",
        "disbursed": "1950.00",
        "disbursed_by_category": DisbursedByCategory.__example__,
        "balance": "3050.00",
    }


class ImplementerBalance(_Schema):
    implementer: str
    allocated: str
    disbursed: str
    balance: str

    __example__: ClassVar[Any] = {
        "implementer": "52440300MJL00002BX",
        "allocated": "3000.00",
        "disbursed": "1950.00",
        "balance": "1050.00",
    }


class FundraisingPlan(_Schema):
    """The public fundraising plan (Charity Law art. 24) and its filing."""

    purpose: str | None
    fundraising_start: str | None
    fundraising_end: str | None
    area: str | None
    responsible_person: str | None
    office_address: str | None
    receiving_methods: str | None
    bank_account: str | None
    beneficiaries: str | None
    use_of_funds: str | None
    fundraising_cost: str | None
    surplus_handling: str | None
    filed_seq: int | None
    filed_id: str | None
    filed_time: str | None
    filing_number: str | None
    acknowledged_seq: int | None
    record_number: str | None

    __example__: ClassVar[Any] = {
        "purpose": "为社区独居老人提供助餐与探访服务",
        "fundraising_start": "2026-03-20",
        "fundraising_end": "2026-12-31",
        "area": "广东省深圳市",
        "responsible_person": "张主任",
        "office_address": "深圳市福田区福中三路 1 号",
        "receiving_methods": "银行转账",
        "bank_account": "中国银行深圳分行 7000 0000 0001",
        "beneficiaries": "福田区 60 岁以上独居老人",
        "use_of_funds": "助餐补贴 80%，探访服务 15%，其他 5%",
        "fundraising_cost": "不超过募集总额的 3%",
        "surplus_handling": "结余用于同类养老服务项目",
        "filed_seq": 18,
        "filed_id": HASH_EXAMPLE,
        "filed_time": TIME_EXAMPLE,
        "filing_number": "SZ-2026-001",
        "acknowledged_seq": None,
        "record_number": None,
    }


class ProjectClosing(_Schema):
    closed_seq: int
    closed_id: str | None
    closed_on: str | None
    summary: str | None
    surplus: str | None
    surplus_handling: str | None
    surplus_note: str | None

    __example__: ClassVar[Any] = {
        "closed_seq": 120,
        "closed_id": HASH_EXAMPLE,
        "closed_on": "2027-03-01",
        "summary": "项目按计划完成",
        "surplus": "0.00",
        "surplus_handling": "none",
        "surplus_note": None,
    }


class Project(_Schema):
    project: str
    title_zh: str
    title_en: str | None
    field: str
    region: str
    start_date: str
    end_date: str
    currency: str
    target: str
    fundraiser_org: str
    implementers: list[str]
    overseers: list[str]
    directed: bool
    emergency: bool
    status: str
    description: str | None
    registered_seq: int
    registered_id: str
    registered_by: str
    plan: FundraisingPlan | None
    closing: ProjectClosing | None
    funds: ProjectFunds | None
    implementer_balances: list[ImplementerBalance]

    __example__: ClassVar[Any] = {
        "project": "P-ELDER-2026",
        "title_zh": "长者助餐计划",
        "title_en": "Meals for the elderly",
        "field": "elderly_care",
        "region": "440304",
        "start_date": "2026-03-01",
        "end_date": "2027-02-28",
        "currency": "CNY",
        "target": "500000.00",
        "fundraiser_org": ORG_EXAMPLE,
        "implementers": ["52440300MJL00002BX"],
        "overseers": ["12440300MB0000011X"],
        "directed": False,
        "emergency": False,
        "status": "open",
        "description": None,
        "registered_seq": 17,
        "registered_id": HASH_EXAMPLE,
        "registered_by": KEY_EXAMPLE,
        "plan": FundraisingPlan.__example__,
        "closing": None,
        "funds": ProjectFunds.__example__,
        "implementer_balances": [ImplementerBalance.__example__],
    }


class ProjectPage(_Schema):
    items: list[Project]
    next_cursor: str | None

    __example__: ClassVar[Any] = {"items": [Project.__example__], "next_cursor": None}


class Donation(_Schema):
    """A donation as the public sees it: no personal data, only the donor's commitment."""

    id: str
    seq: int
    project: str
    amount: str
    currency: str
    kind: str
    in_kind_description: str | None
    channel: str
    donor_type: str
    commitment: str
    restricted: bool
    received_on: str
    receipt_no: str | None
    fundraiser_org: str
    recorded_by: str
    time: str
    note: str | None
    corrected: bool
    corrected_by: str | None

    __example__: ClassVar[Any] = {
        "id": HASH_EXAMPLE,
        "seq": 41,
        "project": "P-ELDER-2026",
        "amount": "200.00",
        "currency": "CNY",
        "kind": "money",
        "in_kind_description": None,
        "channel": "bank_transfer",
        "donor_type": "individual",
        "commitment": HASH_EXAMPLE,
        "restricted": True,
        "received_on": "2026-11-27",
        "receipt_no": "SZ-R-000123",
        "fundraiser_org": ORG_EXAMPLE,
        "recorded_by": KEY_EXAMPLE,
        "time": TIME_EXAMPLE,
        "note": None,
        "corrected": False,
        "corrected_by": None,
    }


class DonationPage(_Schema):
    items: list[Donation]
    next_cursor: str | None

    __example__: ClassVar[Any] = {"items": [Donation.__example__], "next_cursor": "WzQxXQ"}


class Allocation(_Schema):
    """Money passed from the raised funds to an implementer (募集 -> 使用)."""

    id: str
    seq: int
    project: str
    implementer: str
    source: str
    amount: str
    currency: str
    allocated_on: str
    recorded_by: str
    time: str
    note: str | None
    corrected: bool
    corrected_by: str | None

    __example__: ClassVar[Any] = {
        "id": HASH_EXAMPLE,
        "seq": 52,
        "project": "P-ELDER-2026",
        "implementer": "52440300MJL00002BX",
        "source": "restricted",
        "amount": "3000.00",
        "currency": "CNY",
        "allocated_on": "2026-11-27",
        "recorded_by": KEY_EXAMPLE,
        "time": TIME_EXAMPLE,
        "note": None,
        "corrected": False,
        "corrected_by": None,
    }


class AllocationPage(_Schema):
    items: list[Allocation]
    next_cursor: str | None

    __example__: ClassVar[Any] = {"items": [Allocation.__example__], "next_cursor": None}


class Disbursement(_Schema):
    """A payment by an implementer from allocated funds."""

    id: str
    seq: int
    project: str
    implementer: str
    category: str
    amount: str
    currency: str
    payee: str
    purpose: str
    paid_on: str
    evidence: list[str]
    recorded_by: str
    time: str
    corrected: bool
    corrected_by: str | None

    __example__: ClassVar[Any] = {
        "id": HASH_EXAMPLE,
        "seq": 60,
        "project": "P-ELDER-2026",
        "implementer": "52440300MJL00002BX",
        "category": "program",
        "amount": "1800.00",
        "currency": "CNY",
        "payee": "福田区长者饭堂",
        "purpose": "十一月助餐补贴",
        "paid_on": "2026-11-27",
        "evidence": [HASH_EXAMPLE],
        "recorded_by": KEY_EXAMPLE,
        "time": TIME_EXAMPLE,
        "corrected": False,
        "corrected_by": None,
    }


class DisbursementPage(_Schema):
    items: list[Disbursement]
    next_cursor: str | None

    __example__: ClassVar[Any] = {"items": [Disbursement.__example__], "next_cursor": None}


class ProgressReport(_Schema):
    id: str
    seq: int
    project: str
    implementer: str
    period_start: str
    period_end: str
    summary: str
    beneficiaries: int | None
    evidence: list[str]
    recorded_by: str
    time: str
    corrected: bool
    corrected_by: str | None

    __example__: ClassVar[Any] = {
        "id": HASH_EXAMPLE,
        "seq": 70,
        "project": "P-ELDER-2026",
        "implementer": "52440300MJL00002BX",
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
        "summary": "本月为 120 位长者提供助餐 3,400 份",
        "beneficiaries": 120,
        "evidence": [HASH_EXAMPLE],
        "recorded_by": KEY_EXAMPLE,
        "time": TIME_EXAMPLE,
        "corrected": False,
        "corrected_by": None,
    }


class ProgressPage(_Schema):
    items: list[ProgressReport]
    next_cursor: str | None

    __example__: ClassVar[Any] = {"items": [ProgressReport.__example__], "next_cursor": None}


class Attestation(_Schema):
    """An overseer's verdict on an entry."""

    id: str
    seq: int
    target: str
    target_type: str
    overseer_org: str
    verdict: str
    findings: str
    project: str | None
    previous_verdict: str | None
    previous_verdict_by: str | None
    recorded_by: str
    time: str
    corrected: bool
    corrected_by: str | None

    __example__: ClassVar[Any] = {
        "id": HASH_EXAMPLE,
        "seq": 75,
        "target": HASH_EXAMPLE,
        "target_type": "funds.disbursed",
        "overseer_org": "12440300MB0000011X",
        "verdict": "approved",
        "findings": "票据齐全，金额相符",
        "project": "P-ELDER-2026",
        "previous_verdict": None,
        "previous_verdict_by": None,
        "recorded_by": KEY_EXAMPLE,
        "time": TIME_EXAMPLE,
        "corrected": False,
        "corrected_by": None,
    }


class AttestationPage(_Schema):
    items: list[Attestation]
    next_cursor: str | None

    __example__: ClassVar[Any] = {"items": [Attestation.__example__], "next_cursor": None}


class AllocationPortion(_Schema):
    allocation: str
    seq: int
    implementer: str
    amount: str

    __example__: ClassVar[Any] = {
        "allocation": HASH_EXAMPLE,
        "seq": 52,
        "implementer": "52440300MJL00002BX",
        "amount": "150.00",
    }


class DisbursementPortion(_Schema):
    disbursement: str
    seq: int
    implementer: str
    category: str
    payee: str
    amount: str

    __example__: ClassVar[Any] = {
        "disbursement": HASH_EXAMPLE,
        "seq": 60,
        "implementer": "52440300MJL00002BX",
        "category": "program",
        "payee": "福田区长者饭堂",
        "amount": "120.00",
    }


class DonationTrace(_Schema):
    """Where a donation's money went (first in, first out through the project fund), with the
    proof that the donation is in the log: ``inclusion_proof`` is of the donation's entry in
    ``log`` (the log of the chain that holds it; the index is its seq there) against
    ``checkpoint``, that log's latest checkpoint (its final one once sealed)."""

    donation: Donation
    pot: str
    reversed: bool
    allocated: str
    unallocated: str
    disbursed: str
    undisbursed: str
    allocations: list[AllocationPortion]
    disbursements: list[DisbursementPortion]
    inclusion_proof: InclusionProof
    checkpoint: str
    log: str

    __example__: ClassVar[Any] = {
        "donation": Donation.__example__,
        "pot": "restricted",
        "reversed": False,
        "allocated": "150.00",
        "unallocated": "50.00",
        "disbursed": "120.00",
        "undisbursed": "30.00",
        "allocations": [AllocationPortion.__example__],
        "disbursements": [DisbursementPortion.__example__],
        "inclusion_proof": {"index": 41, "size": 42, "hashes": [HASH_EXAMPLE]},
        "checkpoint": CHECKPOINT_EXAMPLE,
        "log": "charity-ledger.example/log",
    }


# --- regulator ------------------------------------------------------------------------------


class OrganisationFunds(_Schema):
    """Totals of one fundraising organisation's projects in one currency (cross-organisation view)."""

    org: str
    currency: str
    projects: int
    donations_count: int
    raised: str
    allocated: str
    disbursed: str
    balance: str

    __example__: ClassVar[Any] = {
        "org": ORG_EXAMPLE,
        "currency": "CNY",
        "projects": 3,
        "donations_count": 250,
        "raised": "125000.00",
        "allocated": "90000.00",
        "disbursed": "70000.00",
        "balance": "55000.00",
    }


class OrganisationFundsPage(_Schema):
    items: list[OrganisationFunds]
    next_cursor: str | None

    __example__: ClassVar[Any] = {"items": [OrganisationFunds.__example__], "next_cursor": None}


class Finding(_Schema):
    """An entry whose latest oversight verdict is queried or flagged (not yet resolved)."""

    id: str
    seq: int
    type: str
    signer_org: str
    project: str | None
    amount: str | None
    currency: str | None
    time: str
    verdict: str
    verdict_by: str | None

    __example__: ClassVar[Any] = {
        "id": HASH_EXAMPLE,
        "seq": 60,
        "type": "funds.disbursed",
        "signer_org": "52440300MJL00002BX",
        "project": "P-ELDER-2026",
        "amount": "1800.00",
        "currency": "CNY",
        "time": TIME_EXAMPLE,
        "verdict": "flagged",
        "verdict_by": HASH_EXAMPLE,
    }


class FindingPage(_Schema):
    items: list[Finding]
    next_cursor: str | None

    __example__: ClassVar[Any] = {"items": [Finding.__example__], "next_cursor": None}


class DonorPersonalData(_Schema):
    """Personal data given for a donation (every field optional; anonymous donors give none)."""

    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    address: str | None = None

    __example__: ClassVar[Any] = {"name": "李四", "id_number": None, "phone": "13800000000", "address": None}


class DonorRecord(_Schema):
    """A donation's personal data from the encrypted donor store (regulator only). ``personal``
    is null once erased; the log and its proofs are untouched by erasure."""

    seq: int
    personal: DonorPersonalData | None
    stored_at: str
    erased_at: str | None

    __example__: ClassVar[Any] = {
        "seq": 41,
        "personal": DonorPersonalData.__example__,
        "stored_at": TIME_EXAMPLE,
        "erased_at": None,
    }


# --- oversight ------------------------------------------------------------------------------


class Deadline(_Schema):
    """A disclosure or filing not yet made that is overdue (``days`` late) or due within the
    warning window (``days`` left), under the rule set in force on the day asked about."""

    rule: str
    status: str
    due_on: str
    days: int
    org: str
    subject: str
    ruleset: str
    source: str
    en: str
    zh: str
    project: str | None
    index: int | None
    period_start: str | None
    period_end: str | None

    __example__: ClassVar[Any] = {
        "rule": "progress_disclosure",
        "status": "overdue",
        "due_on": "2026-06-01",
        "days": 4,
        "org": ORG_EXAMPLE,
        "subject": "P-ELDER-2026",
        "ruleset": "cn-charity/1",
        "source": "charity-law art. 72 (2016 numbering, unverified)",
        "en": "A project longer than 6 months discloses its progress and use of money at least every 3 months.",
        "zh": "慈善项目实施周期超过六个月的，至少每三个月公开一次项目实施情况。",
        "project": "P-ELDER-2026",
        "index": 1,
        "period_start": "2026-03-01",
        "period_end": "2026-05-31",
    }


class DeadlinePage(_Schema):
    """Deadlines computed for the day ``on`` (China Standard Time): overdue first, then by due date."""

    on: str
    items: list[Deadline]
    next_cursor: str | None

    __example__: ClassVar[Any] = {"on": "2026-06-05", "items": [Deadline.__example__], "next_cursor": None}


class AwaitingEntry(_Schema):
    """An entry of an overseen project that has no verdict of this overseer yet."""

    id: str
    seq: int
    type: str
    time: str
    signer_org: str
    signer_role: str
    project: str | None
    amount: str | None
    currency: str | None
    last_verdict: str | None

    __example__: ClassVar[Any] = {
        "id": HASH_EXAMPLE,
        "seq": 60,
        "type": "funds.disbursed",
        "time": TIME_EXAMPLE,
        "signer_org": "52440300MJL00002BX",
        "signer_role": "implementer",
        "project": "P-ELDER-2026",
        "amount": "1800.00",
        "currency": "CNY",
        "last_verdict": None,
    }


class AwaitingPage(_Schema):
    items: list[AwaitingEntry]
    next_cursor: str | None

    __example__: ClassVar[Any] = {"items": [AwaitingEntry.__example__], "next_cursor": "WzYwXQ"}


class OverseerFinding(_Schema):
    """A query or flag the overseer raised, with what became of it: ``open``, ``resolved`` (by a
    later ``resolved`` verdict on the same entry) or ``target_corrected``."""

    attestation: str
    seq: int
    verdict: str
    findings: str
    target: str
    target_type: str
    project: str | None
    time: str
    status: str
    resolved_by: str | None
    resolved_time: str | None
    target_last_verdict: str | None
    overseer_org: str | None = None  # who raised it

    __example__: ClassVar[Any] = {
        "attestation": HASH_EXAMPLE,
        "seq": 75,
        "verdict": "flagged",
        "findings": "缺少发票",
        "target": HASH_EXAMPLE,
        "target_type": "funds.disbursed",
        "project": "P-ELDER-2026",
        "time": TIME_EXAMPLE,
        "status": "open",
        "resolved_by": None,
        "resolved_time": None,
        "target_last_verdict": "flagged",
    }


class OverseerView(_Schema):
    """An oversight organisation's desk: the projects it oversees, the entries awaiting its
    verdict (the first page), its queries and flags with their resolution, and the overdue
    disclosures of its projects and of their organisations. Risk signals are at ``.../risks``."""

    org: str
    on: str
    projects: list[str]
    awaiting: AwaitingPage
    findings: list[OverseerFinding]
    overdue: list[Deadline]

    __example__: ClassVar[Any] = {
        "org": "12440300MB0000011X",
        "on": "2026-06-05",
        "projects": ["P-ELDER-2026"],
        "awaiting": AwaitingPage.__example__,
        "findings": [OverseerFinding.__example__],
        "overdue": [Deadline.__example__],
    }


class RiskSignal(_Schema):
    """A pattern worth a look, not a finding: ``near_threshold`` (a payment just under the
    approval threshold), ``shared_payee`` (one payee paid by many projects), ``own_payee`` (the
    payee is the project's own fundraising organisation)."""

    kind: str
    payee: str
    projects: list[str]
    en: str
    zh: str
    entry: str | None
    seq: int | None
    amount: str | None
    currency: str | None

    __example__: ClassVar[Any] = {
        "kind": "near_threshold",
        "payee": "福田区长者饭堂",
        "projects": ["P-ELDER-2026"],
        "en": "Paid 49000.00 CNY, just under the approval threshold of 50000.00 CNY.",
        "zh": "支出 49000.00 CNY，略低于审批门槛 50000.00 CNY。",
        "entry": HASH_EXAMPLE,
        "seq": 60,
        "amount": "49000.00",
        "currency": "CNY",
    }


class OverseerRisks(_Schema):
    """Risk signals on the payments of the projects an overseer oversees, with the parameters used."""

    org: str
    thresholds: dict[str, str]
    band_bp: int
    min_projects: int
    items: list[RiskSignal]

    __example__: ClassVar[Any] = {
        "org": "12440300MB0000011X",
        "thresholds": {"CNY": "50000.00"},
        "band_bp": 1000,
        "min_projects": 3,
        "items": [RiskSignal.__example__],
    }


def to_builtins(value: Any) -> Any:
    return msgspec.to_builtins(value)
