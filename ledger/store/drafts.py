"""Drafts of entries: prepare, review, approve, sign (the workbench's workflow, issue 14).

Any staff member of an organisation prepares a draft (an entry type and its ``data``, validated
when saved, every wrong field named at once). A holder of the role that signs the type signs it
in the browser; the log gets only the signed entry. An organisation may require a second
person's approval of drafts above an amount (per currency): then a draft is signed only once
someone other than its preparer and other than its signer (an ``org_admin`` or a holder of the
signing role) approved it. A draft is marked signed in the transaction that appends its entry,
so it is signed if and only if the log holds the entry.

A correction draft carries a replacement: ``entry.corrected`` and a new entry of the target's
type, signed together and appended as one atomic batch.

Drafts are the organisation's working papers, not part of the public log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Column, Connection, Engine, Index, Integer, String, Text, select, update
from sqlmodel import Field, SQLModel

from ledger.domain import codes as C
from ledger.domain.money import check_currency, format_amount, parse_amount
from ledger.domain.rules import TYPE_ROLES
from ledger.domain.schemas import SCHEMAS, validate
from ledger.errors import InvariantBroken, LedgerError
from ledger.protocol.canonical import format_time, now
from ledger.store.db import read_transaction, write_transaction

STATUSES = ("prepared", "approved", "signed", "withdrawn")
# types a person signs in the workbench (not the log's own, the trust root or the system's)
WORKBENCH_TYPES = tuple(
    t for t, roles in TYPE_ROLES.items() if set(roles) - {"log", "system"} and t != "registry.genesis"
)


class WorkbenchDraft(SQLModel, table=True):
    __tablename__ = "workbench_draft"
    __table_args__ = (Index("ix_workbench_draft_org_status", "org", "status"),)
    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    org: str = Field(sa_column=Column(String(18), nullable=False))
    type: str = Field(sa_column=Column(String(63), nullable=False))
    data_json: str = Field(sa_column=Column(Text, nullable=False))
    replacement_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    amount_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    currency: str | None = Field(default=None, sa_column=Column(String(3), nullable=True))
    status: str = Field(sa_column=Column(String(12), nullable=False))
    prepared_by: str = Field(sa_column=Column(String(100), nullable=False))  # login
    prepared_at: str = Field(sa_column=Column(String(24), nullable=False))
    approved_by: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    approved_at: str | None = Field(default=None, sa_column=Column(String(24), nullable=True))
    signed_by: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))  # login
    signer_key: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    signed_at: str | None = Field(default=None, sa_column=Column(String(24), nullable=True))
    leaf_hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))


class WorkbenchApprovalRule(SQLModel, table=True):
    """Drafts of ``org`` in ``currency`` above ``threshold_minor`` need a second person's approval."""

    __tablename__ = "workbench_approval_rule"
    org: str = Field(sa_column=Column(String(18), primary_key=True))
    currency: str = Field(sa_column=Column(String(3), primary_key=True))
    threshold_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    set_by: str = Field(sa_column=Column(String(100), nullable=False))
    set_at: str = Field(sa_column=Column(String(24), nullable=False))


DRAFT = WorkbenchDraft.__table__  # type: ignore[attr-defined]
RULE = WorkbenchApprovalRule.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Draft:
    id: int
    org: str
    type: str
    data: dict[str, Any]
    replacement: dict[str, Any] | None  # for entry.corrected: {"type", "data"} of the new entry
    amount_minor: int | None
    currency: str | None
    status: str
    prepared_by: str
    prepared_at: str
    approved_by: str | None
    approved_at: str | None
    signed_by: str | None
    signer_key: str | None
    signed_at: str | None
    leaf_hash: str | None

    @property
    def amount(self) -> str | None:
        if self.amount_minor is None or self.currency is None:
            return None
        return format_amount(self.amount_minor, self.currency)

    def to_json(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.__slots__}
        out["amount"] = self.amount
        return out


def _refuse(draft: int | str, action: str, action_zh: str, detail: str, detail_zh: str) -> LedgerError:
    return LedgerError(
        C.DRAFT_REFUSED, draft=draft, action=action, action_zh=action_zh, detail=detail, detail_zh=detail_zh
    )


def signing_roles(type_name: str) -> tuple[str, ...]:
    return TYPE_ROLES.get(type_name, ())


def _money_of(
    type_name: str, data: dict[str, Any], replacement: dict[str, Any] | None
) -> tuple[int | None, str | None]:
    """The amount a draft moves (the larger of a correction's two), for the approval rule."""
    found: list[tuple[int, str]] = []
    for d in (data, (replacement or {}).get("data") or {}):
        amount, currency = d.get("amount"), d.get("currency")
        if isinstance(amount, str) and isinstance(currency, str):
            found.append((parse_amount(amount, currency), currency))
    if not found:
        return None, None
    return max(found)


def prepare(
    engine: Engine,
    *,
    org: str,
    login: str,
    type_name: str,
    data: Any,
    replacement: Any = None,
) -> Draft:
    """Save a draft after validating its data (every wrong field named at once)."""
    if type_name not in SCHEMAS or type_name not in WORKBENCH_TYPES:
        raise LedgerError(C.UNKNOWN_TYPE, type=type_name)
    validate(type_name, data)
    if replacement is not None:
        if type_name != "entry.corrected":
            raise _refuse("(new)", "saved", "保存", "only a correction carries a replacement", "只有更正可附替换条目")
        if not isinstance(replacement, dict) or set(replacement) != {"type", "data"}:
            raise LedgerError("body_invalid", detail='a replacement is {"type": ..., "data": {...}}')
        if replacement["type"] not in WORKBENCH_TYPES:
            raise LedgerError(C.UNKNOWN_TYPE, type=replacement["type"])
        validate(replacement["type"], replacement["data"])
    amount, currency = _money_of(type_name, data, replacement)
    row = {
        "org": org,
        "type": type_name,
        "data_json": json.dumps(data, ensure_ascii=False, sort_keys=True),
        "replacement_json": None
        if replacement is None
        else json.dumps(replacement, ensure_ascii=False, sort_keys=True),
        "amount_minor": amount,
        "currency": currency,
        "status": "prepared",
        "prepared_by": login,
        "prepared_at": format_time(now()),
    }
    with write_transaction(engine) as conn:
        inserted = conn.execute(DRAFT.insert().values(**row)).inserted_primary_key
        if inserted is None:
            raise InvariantBroken("the draft's insert gave no id")
        new_id = inserted[0]
        return _load(conn, int(new_id), org)


def _draft(row: Any) -> Draft:
    m = row._mapping
    return Draft(
        id=m["id"],
        org=m["org"],
        type=m["type"],
        data=json.loads(m["data_json"]),
        replacement=None if m["replacement_json"] is None else json.loads(m["replacement_json"]),
        amount_minor=m["amount_minor"],
        currency=m["currency"],
        status=m["status"],
        prepared_by=m["prepared_by"],
        prepared_at=m["prepared_at"],
        approved_by=m["approved_by"],
        approved_at=m["approved_at"],
        signed_by=m["signed_by"],
        signer_key=m["signer_key"],
        signed_at=m["signed_at"],
        leaf_hash=m["leaf_hash"],
    )


def _load(conn: Connection, draft_id: int, org: str) -> Draft:
    row = conn.execute(select(DRAFT).where(DRAFT.c.id == draft_id, DRAFT.c.org == org)).first()
    if row is None:
        raise LedgerError(C.DRAFT_UNKNOWN, draft=draft_id)
    return _draft(row)


def get(engine: Engine, draft_id: int, org: str) -> Draft:
    """A draft of ``org`` (another organisation's drafts are not found)."""
    with read_transaction(engine) as conn:
        return _load(conn, draft_id, org)


def list_drafts(engine: Engine, org: str, status: str | None = None) -> list[Draft]:
    query = select(DRAFT).where(DRAFT.c.org == org)
    if status is not None:
        query = query.where(DRAFT.c.status == status)
    with read_transaction(engine) as conn:
        return [_draft(r) for r in conn.execute(query.order_by(DRAFT.c.id.desc()).limit(200))]


def set_threshold(engine: Engine, *, org: str, currency: str, amount: str, login: str) -> None:
    """Require a second person's approval of ``org``'s drafts above ``amount`` ``currency``."""
    check_currency(currency)
    minor = parse_amount(amount, currency, allow_zero=True)
    with write_transaction(engine) as conn:
        conn.execute(RULE.delete().where(RULE.c.org == org, RULE.c.currency == currency))
        conn.execute(
            RULE.insert().values(
                org=org, currency=currency, threshold_minor=minor, set_by=login, set_at=format_time(now())
            )
        )


def threshold(engine: Engine, org: str, currency: str) -> int | None:
    with read_transaction(engine) as conn:
        value = conn.execute(
            select(RULE.c.threshold_minor).where(RULE.c.org == org, RULE.c.currency == currency)
        ).scalar()
    return None if value is None else int(value)


def needs_approval(engine: Engine, draft: Draft) -> bool:
    if draft.amount_minor is None or draft.currency is None:
        return False
    limit = threshold(engine, draft.org, draft.currency)
    return limit is not None and draft.amount_minor > limit


def approve(engine: Engine, draft_id: int, *, org: str, login: str, roles: frozenset[str]) -> Draft:
    """A second person's approval: not the preparer; an org_admin or a holder of the signing role."""
    with write_transaction(engine) as conn:
        draft = _load(conn, draft_id, org)
        if draft.status != "prepared":
            raise _refuse(draft_id, "approved", "批准", f"it is {draft.status}", f"其状态为 {draft.status}")
        if draft.prepared_by == login:
            raise _refuse(
                draft_id, "approved", "批准", "its preparer cannot approve it", "准备人不能批准自己准备的草稿"
            )
        if not roles & ({"org_admin"} | set(signing_roles(draft.type))):
            raise _refuse(
                draft_id,
                "approved",
                "批准",
                "only an org_admin or a holder of the signing role approves",
                "只有机构管理员或该条目的签署角色可以批准",
            )
        conn.execute(
            update(DRAFT)
            .where(DRAFT.c.id == draft_id)
            .values(status="approved", approved_by=login, approved_at=format_time(now()))
        )
        return _load(conn, draft_id, org)


def check_signable(engine: Engine, draft: Draft, *, login: str, roles: frozenset[str]) -> None:
    """Refuse unless ``login`` may sign ``draft`` now (role, status, second approval)."""
    if draft.status not in ("prepared", "approved"):
        raise _refuse(draft.id, "signed", "签署", f"it is {draft.status}", f"其状态为 {draft.status}")
    if not roles & set(signing_roles(draft.type)):
        raise _refuse(
            draft.id,
            "signed",
            "签署",
            f"{draft.type} is signed by {', '.join(signing_roles(draft.type))}",
            f"{draft.type} 须由 {'、'.join(signing_roles(draft.type))} 签署",
        )
    if needs_approval(engine, draft):
        if draft.status != "approved":
            raise _refuse(
                draft.id,
                "signed",
                "签署",
                f"{draft.amount} {draft.currency} is above the organisation's limit: a second person must approve it first",
                f"{draft.amount} {draft.currency} 超过本机构的限额，须先由另一人批准",
            )
        if draft.approved_by == login:
            raise _refuse(draft.id, "signed", "签署", "its approver cannot also sign it", "批准人不能同时签署")


def mark_signed(conn: Connection, draft_id: int, *, login: str, signer_key: str, leaf_hash: str) -> None:
    """Inside the append's transaction: the draft is signed if and only if its entry is stored."""
    done = conn.execute(
        update(DRAFT)
        .where(DRAFT.c.id == draft_id, DRAFT.c.status.in_(("prepared", "approved")))
        .values(
            status="signed", signed_by=login, signer_key=signer_key, signed_at=format_time(now()), leaf_hash=leaf_hash
        )
    )
    if done.rowcount != 1:
        raise _refuse(draft_id, "signed", "签署", "it was signed or withdrawn meanwhile", "其间已被签署或撤回")


def withdraw(engine: Engine, draft_id: int, *, org: str, login: str) -> Draft:
    with write_transaction(engine) as conn:
        draft = _load(conn, draft_id, org)
        if draft.status not in ("prepared", "approved"):
            raise _refuse(draft_id, "withdrawn", "撤回", f"it is {draft.status}", f"其状态为 {draft.status}")
        conn.execute(update(DRAFT).where(DRAFT.c.id == draft_id).values(status="withdrawn"))
        return _load(conn, draft_id, org)


__all__ = [
    "STATUSES",
    "WORKBENCH_TYPES",
    "Draft",
    "WorkbenchApprovalRule",
    "WorkbenchDraft",
    "approve",
    "check_signable",
    "get",
    "list_drafts",
    "mark_signed",
    "needs_approval",
    "prepare",
    "set_threshold",
    "threshold",
    "withdraw",
]
