"""Entries with what their projections add (the donation's date and donor type, the
allocation's and the payment's implementer, the payment's payee, purpose, category and
evidence, a progress report's implementer and evidence), as the site's CSV and workbook
exports list them: in seq order, read in chunks keyed on seq, filtered by organisation (in
any role), project, type, business date and amount.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Engine, and_, func, literal, or_, select
from sqlalchemy.sql import ColumnElement

from ledger.store.db import read_transaction
from ledger.store.tables import ALLOCATION, DISBURSEMENT, DONATION, ENTRY, PROGRESS

CHUNK = 2000
FIRST_CHUNK = 250  # about the first 64 KB piece of the CSV

BUSINESS_DATE = func.coalesce(
    DONATION.c.received_on, ALLOCATION.c.allocated_on, DISBURSEMENT.c.paid_on, PROGRESS.c.period_end
)
_SELECT = (
    ENTRY.c.seq,
    ENTRY.c.id,
    ENTRY.c.time,
    ENTRY.c.type,
    ENTRY.c.signer,
    ENTRY.c.signer_role,
    ENTRY.c.signer_org,
    ENTRY.c.project,
    ENTRY.c.amount_minor,
    ENTRY.c.currency,
    ENTRY.c.corrected,
    ENTRY.c.corrected_by,
    ENTRY.c.last_verdict,
    DONATION.c.received_on,
    DONATION.c.donor_type,
    ALLOCATION.c.allocated_on,
    ALLOCATION.c.implementer.label("allocation_implementer"),
    DISBURSEMENT.c.paid_on,
    DISBURSEMENT.c.payee,
    DISBURSEMENT.c.purpose,
    DISBURSEMENT.c.category,
    DISBURSEMENT.c.implementer.label("payment_implementer"),
    DISBURSEMENT.c.evidence_json.label("payment_evidence"),
    PROGRESS.c.implementer.label("progress_implementer"),
    PROGRESS.c.evidence_json.label("progress_evidence"),
    BUSINESS_DATE.label("business_date"),
)
_JOINED = (
    ENTRY.join(DONATION, DONATION.c.id == ENTRY.c.id, isouter=True)
    .join(ALLOCATION, ALLOCATION.c.id == ENTRY.c.id, isouter=True)
    .join(DISBURSEMENT, DISBURSEMENT.c.id == ENTRY.c.id, isouter=True)
    .join(PROGRESS, PROGRESS.c.id == ENTRY.c.id, isouter=True)
)


@dataclass(frozen=True, slots=True)
class ExportFilter:
    """Which entries an export holds: every condition set must hold (None: no condition).
    ``date_from`` and ``date_to`` bound the business date (both included); the amounts are
    minor units of ``currency``."""

    org: str | None = None  # the signer, or the implementer of an allocation, payment or report
    project: str | None = None
    type: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    min_minor: int | None = None
    max_minor: int | None = None
    currency: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        if self.org:
            conds.append(
                or_(
                    ENTRY.c.signer_org == self.org,
                    DISBURSEMENT.c.implementer == self.org,
                    ALLOCATION.c.implementer == self.org,
                    PROGRESS.c.implementer == self.org,
                )
            )
        if self.project:
            conds.append(ENTRY.c.project == self.project)
        if self.type:
            conds.append(ENTRY.c.type == self.type)
        if self.date_from:
            conds.append(BUSINESS_DATE >= self.date_from)
        if self.date_to:
            conds.append(BUSINESS_DATE <= self.date_to)
        if self.currency and (self.min_minor is not None or self.max_minor is not None):
            conds.append(ENTRY.c.currency == self.currency)
        if self.min_minor is not None:
            conds.append(ENTRY.c.amount_minor >= self.min_minor)
        if self.max_minor is not None:
            conds.append(ENTRY.c.amount_minor <= self.max_minor)
        return conds


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One entry as an export row (the columns of the projections that do not concern it
    are None)."""

    seq: int
    id: str
    time: str
    type: str
    signer: str
    signer_role: str
    signer_org: str
    project: str | None
    amount_minor: int | None
    currency: str | None
    corrected: bool
    corrected_by: str | None
    last_verdict: str | None
    received_on: str | None
    donor_type: str | None
    allocated_on: str | None
    allocation_implementer: str | None
    paid_on: str | None
    payee: str | None
    purpose: str | None
    category: str | None
    payment_implementer: str | None
    payment_evidence: str | None
    progress_implementer: str | None
    progress_evidence: str | None
    business_date: str | None


def export_rows(
    engine: Engine, filters: ExportFilter, chunk: int = CHUNK, first: int = FIRST_CHUNK
) -> Iterator[ExportRow]:
    """The matching entries in seq order, ``first`` of them then ``chunk`` at a time (one short
    read transaction each, keyed on seq): a small first read lets a download start at once."""
    after = -1
    where = filters.conditions()
    size = min(first, chunk)
    while True:
        with read_transaction(engine) as conn:
            rows = (
                conn.execute(
                    select(*_SELECT)
                    .select_from(_JOINED)
                    .where(and_(ENTRY.c.seq > after, *where))
                    .order_by(ENTRY.c.seq)
                    .limit(size)
                )
                .mappings()
                .all()
            )
        yield from (ExportRow(**r) for r in rows)
        if len(rows) < size:
            return
        after = rows[-1]["seq"]
        size = chunk


def count_export_rows(engine: Engine, filters: ExportFilter, cap: int) -> int:
    """How many entries the filters keep, counted up to ``cap`` (never more are read)."""
    inner = select(ENTRY.c.seq).select_from(_JOINED).where(and_(literal(True), *filters.conditions())).limit(cap)
    with read_transaction(engine) as conn:
        return int(conn.execute(select(func.count()).select_from(inner.subquery())).scalar_one())
