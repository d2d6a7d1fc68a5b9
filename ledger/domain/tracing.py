"""Where did my donation go: first-in first-out tracing through a project's fund.

A project fund has two pots, restricted (定向) and unrestricted money. Donations fill their pot
in seq order; each allocation takes from the pot it names, oldest money first; the money an
implementer receives (its allocations in seq order, from both pots) is paid out by its
disbursements, oldest money first. Reversed (corrected) entries are left out: their amounts
were taken back.

Think of each pot as a line of money laid out in seq order: donation i covers the stretch
``[D(i-1), D(i))`` of cumulative amounts, allocation j the stretch ``[A(j-1), A(j))``; the part of
donation i in allocation j is the overlap of the two stretches. The same holds for an
implementer's allocations and disbursements. All amounts are integer minor units, so the parts
add up exactly, to the fen:

- for every donation: ``amount = unallocated + sum(allocations)`` and
  ``sum(allocations) = undisbursed + sum(disbursements)``;
- for every disbursement: the parts traced to all donations add up to its amount;
- over all donations: the unallocated parts add up to the fund's available money per pot,
  the undisbursed parts to the implementers' allocation balances.

Because the rules keep every balance non-negative at every seq, allocations never exceed the
donations before them in the line, and disbursements never exceed allocations (a reversal of a
donation is refused once its money was allocated), so every allocated and disbursed fen is
traced. Given rows that break this (not from this ledger), the excess is left untraced.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ledger.domain.rows import AllocationRow, DisbursementRow, DonationRow
from ledger.errors import InvariantBroken


@dataclass(frozen=True, slots=True)
class AllocationPortion:
    allocation: str  # the allocation entry's id (leaf hash)
    seq: int
    implementer: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class DisbursementPortion:
    disbursement: str  # the disbursement entry's id (leaf hash)
    seq: int
    implementer: str
    category: str
    payee: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class DonationTrace:
    donation: str
    seq: int
    project: str
    currency: str
    amount_minor: int
    pot: str  # restricted / unrestricted
    reversed: bool  # the donation was corrected away: nothing of it is traced
    allocations: tuple[AllocationPortion, ...]
    disbursements: tuple[DisbursementPortion, ...]
    unallocated_minor: int  # still in the project fund
    undisbursed_minor: int  # with an implementer, not yet paid out

    @property
    def allocated_minor(self) -> int:
        return sum(p.amount_minor for p in self.allocations)

    @property
    def disbursed_minor(self) -> int:
        return sum(p.amount_minor for p in self.disbursements)


@dataclass(slots=True)
class _Piece:
    """A stretch of one allocation that came from one donation (None: untraced)."""

    donation: str | None
    allocation: AllocationRow
    amount: int


def _pour(
    sources: Iterable[tuple[object, int]], sinks: Sequence[tuple[object, int]]
) -> list[tuple[object | None, object, int]]:
    """Lay sources and sinks out in order and return the overlaps ``(source, sink, amount)``.

    Sink stretches beyond the end of the sources come back with source None.
    """
    queue = deque((s, a) for s, a in sources if a > 0)
    out: list[tuple[object | None, object, int]] = []
    for sink, need in sinks:
        while need > 0:
            if not queue:
                out.append((None, sink, need))
                break
            source, have = queue[0]
            take = min(have, need)
            out.append((source, sink, take))
            need -= take
            if take == have:
                queue.popleft()
            else:
                queue[0] = (source, have - take)
    return out


def trace_project(
    donations: Iterable[DonationRow],
    allocations: Iterable[AllocationRow],
    disbursements: Iterable[DisbursementRow],
) -> dict[str, DonationTrace]:
    """Trace every donation of one project; returns ``{donation id: trace}`` in seq order."""
    donations = sorted(donations, key=lambda r: r.seq)
    allocations = sorted(allocations, key=lambda r: r.seq)
    disbursements = sorted(disbursements, key=lambda r: r.seq)
    projects = {d.project for d in donations} | {a.project for a in allocations} | {x.project for x in disbursements}
    if len(projects) > 1:
        raise ValueError(f"rows of more than one project: {sorted(projects)}")

    live_allocations = [a for a in allocations if not a.corrected]
    live_disbursements = [d for d in disbursements if not d.corrected]

    pieces, alloc_parts = _allocated(donations, live_allocations)
    paid_parts = _paid(donations, live_allocations, live_disbursements, pieces)
    by_id = {d.id: d for d in live_disbursements}
    out: dict[str, DonationTrace] = {}
    for d in donations:
        allocated = tuple(alloc_parts[d.id])
        paid = tuple(
            DisbursementPortion(row.id, row.seq, row.implementer, row.category, row.payee, total)
            for row, total in ((by_id[i], t) for i, t in paid_parts[d.id].items())
        )
        allocated_sum = sum(p.amount_minor for p in allocated)
        out[d.id] = DonationTrace(
            donation=d.id,
            seq=d.seq,
            project=d.project,
            currency=d.currency,
            amount_minor=d.amount_minor,
            pot="restricted" if d.restricted else "unrestricted",
            reversed=d.corrected,
            allocations=allocated,
            disbursements=paid,
            unallocated_minor=0 if d.corrected else d.amount_minor - allocated_sum,
            undisbursed_minor=allocated_sum - sum(p.amount_minor for p in paid),
        )
    return out


def _allocated(
    donations: list[DonationRow], live_allocations: list[AllocationRow]
) -> tuple[dict[str, list[_Piece]], dict[str, list[AllocationPortion]]]:
    """Step 1, donations -> allocations, per pot: each allocation's pieces (which donation
    paid how much of it) and each donation's portions of allocations."""
    pieces: dict[str, list[_Piece]] = {a.id: [] for a in live_allocations}
    alloc_parts: dict[str, list[AllocationPortion]] = {d.id: [] for d in donations}
    for pot, restricted in (("restricted", True), ("unrestricted", False)):
        sources = [(d.id, d.amount_minor) for d in donations if d.restricted is restricted and not d.corrected]
        sinks = [(a, a.amount_minor) for a in live_allocations if a.source == pot]
        for donation_id, allocation, amount in _pour(sources, sinks):
            if not isinstance(allocation, AllocationRow):
                raise InvariantBroken("allocation is not a AllocationRow")
            pieces[allocation.id].append(_Piece(donation_id, allocation, amount))  # type: ignore[arg-type]
            if donation_id is not None:
                alloc_parts[str(donation_id)].append(
                    AllocationPortion(allocation.id, allocation.seq, allocation.implementer, amount)
                )
    return pieces, alloc_parts


def _paid(
    donations: list[DonationRow],
    live_allocations: list[AllocationRow],
    live_disbursements: list[DisbursementRow],
    pieces: dict[str, list[_Piece]],
) -> dict[str, dict[str, int]]:
    """Step 2, allocation pieces -> disbursements, per implementer: donation -> {disbursement: amount}."""
    paid_parts: dict[str, dict[str, int]] = {d.id: {} for d in donations}
    implementers = {a.implementer for a in live_allocations} | {d.implementer for d in live_disbursements}
    for implementer in sorted(implementers):
        held: list[tuple[object, int]] = [
            (p, p.amount) for a in live_allocations if a.implementer == implementer for p in pieces[a.id]
        ]
        spent: list[tuple[object, int]] = [
            (d.id, d.amount_minor) for d in live_disbursements if d.implementer == implementer
        ]
        for piece, disbursement_id, amount in _pour(held, spent):
            if isinstance(piece, _Piece) and piece.donation is not None:
                parts = paid_parts[piece.donation]
                parts[disbursement_id] = parts.get(disbursement_id, 0) + amount  # type: ignore[index, call-overload]
    return paid_parts


def trace_donation(
    donations: Iterable[DonationRow],
    allocations: Iterable[AllocationRow],
    disbursements: Iterable[DisbursementRow],
    donation_id: str,
) -> DonationTrace:
    """Trace one donation through its project's rows (all of the project's rows are needed:
    the money before it in the line decides where its own money went)."""
    traces = trace_project(donations, allocations, disbursements)
    try:
        return traces[donation_id]
    except KeyError:
        raise KeyError(f"no donation {donation_id} among the project's donations") from None
