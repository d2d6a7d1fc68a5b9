"""Money and work flows of the projects, as the public sees them: donations, allocations,
payments, progress reports and the overseers' verdicts.

Each is a frozen value read from its projection table (:mod:`ledger.domain.rows`): the same
names as the table's columns, except that an amount is one :class:`Money` (``amount``; the
columns ``amount_minor`` and ``currency`` stay readable as properties), a list of evidence
hashes is a tuple (``evidence``) and flags are ``bool``. The API maps them to its schemas, the
site's templates and the reports read their attributes.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeVar

from sqlalchemy import Connection, Engine, and_, func, literal, select
from sqlalchemy.sql import ColumnElement

from ledger.domain import rows as R
from ledger.domain.money import Money
from ledger.domain.tracing import DonationTrace, trace_project
from ledger.store.db import read_transaction
from ledger.store.projection_tables import table_for
from ledger.store.reads.rows import rows_where
from ledger.store.tables import ENTRY

F = TypeVar("F", bound="Flow")


@dataclass(frozen=True, slots=True)
class Flow:
    """What the flows share: the entry that recorded it (its id, seq, signer and log time) and
    whether a later entry reversed it (``corrected``, by the entry ``corrected_by``)."""

    row_type: ClassVar[type]
    what: ClassVar[tuple[str, str]]  # how a "not found" names it: English, Chinese

    id: str
    seq: int
    recorded_by: str
    time: str
    corrected: bool
    corrected_by: str | None

    @classmethod
    def from_row(cls: type[F], row: Mapping[Any, Any]) -> F:
        """The value of one row of the flow's table (a SQL mapping or a domain row's fields)."""
        plain, flags, amount, evidence = _plan(cls)
        values = {name: row[name] for name in plain}
        for name in flags:
            values[name] = bool(row[name])
        if amount:
            values["amount"] = Money(int(row["amount_minor"]), row["currency"])
        if evidence:
            values["evidence"] = tuple(json.loads(row["evidence_json"]))
        return cls(**values)


_PLANS: dict[type, tuple[tuple[str, ...], tuple[str, ...], bool, bool]] = {}


def _plan(cls: type[Flow]) -> tuple[tuple[str, ...], tuple[str, ...], bool, bool]:
    """How a flow's fields come from its row, worked out once per class: the columns taken as
    they are, the flags made ``bool``, and whether it has an amount and evidence."""
    plan = _PLANS.get(cls)
    if plan is None:
        names = [f.name for f in fields(cls)]
        flags = tuple(f.name for f in fields(cls) if f.type == "bool")
        plain = tuple(n for n in names if n not in flags and n not in ("amount", "evidence"))
        plan = _PLANS[cls] = (plain, flags, "amount" in names, "evidence" in names)
    return plan


class _Amount:
    __slots__ = ()

    amount: Money

    @property
    def amount_minor(self) -> int:
        return self.amount.minor

    @property
    def currency(self) -> str:
        return self.amount.currency


@dataclass(frozen=True, slots=True)
class Donation(Flow, _Amount):
    """A donation as the public sees it: no personal data, only the donor's commitment."""

    row_type: ClassVar[type] = R.DonationRow
    what: ClassVar[tuple[str, str]] = ("donation", "捐赠")

    project: str
    amount: Money
    kind: str  # money / in_kind
    in_kind_description: str | None
    channel: str
    donor_type: str
    commitment: str
    restricted: bool
    received_on: str
    receipt_no: str | None
    fundraiser_org: str
    note: str | None


@dataclass(frozen=True, slots=True)
class Allocation(Flow, _Amount):
    """Money passed from the raised funds to an implementer."""

    row_type: ClassVar[type] = R.AllocationRow
    what: ClassVar[tuple[str, str]] = ("allocation", "拨付")

    project: str
    implementer: str
    source: str  # restricted / unrestricted
    amount: Money
    allocated_on: str
    note: str | None


@dataclass(frozen=True, slots=True)
class Disbursement(Flow, _Amount):
    """A payment by an implementer from allocated funds."""

    row_type: ClassVar[type] = R.DisbursementRow
    what: ClassVar[tuple[str, str]] = ("disbursement", "支出")

    project: str
    implementer: str
    category: str  # program / admin / fundraising_cost
    amount: Money
    payee: str
    purpose: str
    paid_on: str
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProgressReport(Flow):
    row_type: ClassVar[type] = R.ProgressRow
    what: ClassVar[tuple[str, str]] = ("progress report", "进展报告")

    project: str
    implementer: str
    period_start: str
    period_end: str
    summary: str
    beneficiaries: int | None
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Attestation(Flow):
    """An overseer's verdict on an entry (approved / queried / flagged / resolved)."""

    row_type: ClassVar[type] = R.AttestationRow
    what: ClassVar[tuple[str, str]] = ("attestation", "监督意见")

    target: str
    target_type: str
    overseer_org: str
    verdict: str
    findings: str
    project: str | None
    previous_verdict: str | None
    previous_verdict_by: str | None


def flow_by_id(conn: Connection, cls: type[F], id_: str) -> F | None:
    table = table_for(cls.row_type)
    row = conn.execute(select(table).where(table.c.id == id_)).mappings().first()
    return None if row is None else cls.from_row(row)


def donation_at(conn: Connection, seq: int) -> Donation | None:
    """The donation recorded by the entry at chain position ``seq``, if it is one."""
    table = table_for(R.DonationRow)
    row = conn.execute(select(table).where(table.c.seq == seq)).mappings().first()
    return None if row is None else Donation.from_row(row)


def flows_by_seq(
    conn: Connection,
    cls: type[F],
    *,
    limit: int | None,
    after: int | None = None,
    descending: bool = False,
    equals: Mapping[str, Any] | None = None,
) -> list[F]:
    """Up to ``limit`` flows (all: None, for lists that stay short, like a project's progress
    reports) in seq order (newest first when ``descending``) after the seq ``after`` (keyset),
    whose columns equal ``equals`` (None values are no condition)."""
    table = table_for(cls.row_type)
    conds: list[ColumnElement[bool]] = [table.c[k] == v for k, v in (equals or {}).items() if v is not None]
    if after is not None:
        conds.append(table.c.seq < after if descending else table.c.seq > after)
    stmt = (
        select(table)
        .where(and_(literal(True), *conds))
        .order_by(table.c.seq.desc() if descending else table.c.seq)
        .limit(limit)
    )
    return [cls.from_row(r) for r in conn.execute(stmt).mappings()]


# --- the trace of a donation ----------------------------------------------------------------


class _Recent:
    """The few most recently used project traces (a lock: handlers run in threads)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[Any, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_TRACES = _Recent(8)


def trace(engine: Engine, donation: Donation) -> DonationTrace:
    """The FIFO trace of ``donation`` through its project's fund; all the project's donations,
    allocations and disbursements are read in one transaction.

    The trace of a whole project is kept per process, keyed to the project's last change (the
    seq of its latest entry in ``p_entry``: every entry that adds or corrects one of its rows
    names the project), so a receipt look-up in a project that did not change since the last one
    costs one index read instead of reading and replaying the whole project."""
    project = donation.project
    with read_transaction(engine) as conn:
        last = conn.execute(select(func.max(ENTRY.c.seq)).where(ENTRY.c.project == project)).scalar()
        key = (id(engine), project, last)
        traces: dict[str, DonationTrace] | None = _TRACES.get(key)
        if traces is None or donation.id not in traces:
            traces = trace_project(
                rows_where(conn, R.DonationRow, project=project),
                rows_where(conn, R.AllocationRow, project=project),
                rows_where(conn, R.DisbursementRow, project=project),
            )
            _TRACES.put(key, traces)
    try:
        return traces[donation.id]
    except KeyError:
        raise KeyError(f"no donation {donation.id} among the project's donations") from None
