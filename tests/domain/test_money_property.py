"""Property tests: random histories of donations, allocations, disbursements and corrections
against a naive model of the books, and the FIFO tracing on the resulting rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.domain.money import format_amount
from ledger.domain.rows import AllocationBalanceRow, AllocationRow, DisbursementRow, DonationRow, FundRow
from ledger.domain.tracing import trace_donation, trace_project
from tests.domain.helpers import SERVICE_ORG, SERVICE_ORG_2, World, allocation_data, disbursement_data, donation_data

IMPLEMENTERS = (SERVICE_ORG, SERVICE_ORG_2)
POTS = ("restricted", "unrestricted")
CATEGORIES = ("program", "admin", "fundraising_cost")


def amounts(top: int) -> st.SearchStrategy[int]:
    """Minor units: small, so that balances run out often."""
    return st.integers(min_value=1, max_value=top)


correction = st.tuples(st.just("correct"), st.integers(min_value=0, max_value=10_000))
ops = st.one_of(
    st.tuples(st.just("donate"), amounts(5_000), st.booleans()),
    st.tuples(st.just("allocate"), amounts(3_000), st.sampled_from(IMPLEMENTERS), st.sampled_from(POTS)),
    st.tuples(st.just("disburse"), amounts(2_000), st.sampled_from(IMPLEMENTERS), st.sampled_from(CATEGORIES)),
    correction,
    correction,
)
histories = st.lists(ops, min_size=1, max_size=50)


@dataclass
class Naive:
    """The books as plain lists of live (not reversed) entries."""

    entries: list[tuple[str, str, dict]] = field(default_factory=list)  # (id, kind, facts)
    reversed: set[str] = field(default_factory=set)

    def live(self, kind: str) -> list[dict]:
        return [f for i, k, f in self.entries if k == kind and i not in self.reversed]

    def raised(self, pot: str) -> int:
        return sum(f["amount"] for f in self.live("donation") if f["pot"] == pot)

    def allocated(self, pot: str | None = None, implementer: str | None = None) -> int:
        return sum(
            f["amount"]
            for f in self.live("allocation")
            if pot in (None, f["pot"]) and implementer in (None, f["implementer"])
        )

    def disbursed(self, implementer: str | None = None, category: str | None = None) -> int:
        return sum(
            f["amount"]
            for f in self.live("disbursement")
            if implementer in (None, f["implementer"]) and category in (None, f["category"])
        )

    def available(self, pot: str) -> int:
        return self.raised(pot) - self.allocated(pot)

    def held(self, implementer: str) -> int:
        return self.allocated(implementer=implementer) - self.disbursed(implementer=implementer)


def cny(minor: int) -> str:
    return format_amount(minor, "CNY")


def run(history) -> tuple[World, Naive]:
    w = World()
    p = w.DIR
    naive = Naive()
    implementer_key = {SERVICE_ORG: w.implementer, SERVICE_ORG_2: w.implementer2}
    for op in history:
        kind = op[0]
        expected_code = None
        if kind == "donate":
            _, amount, restricted = op
            pot = "restricted" if restricted else "unrestricted"
            signer, type_, data = (
                w.fundraiser,
                "donation.received",
                donation_data(p, cny(amount), restricted=restricted),
            )
            facts = {"kind": "donation", "amount": amount, "pot": pot}
        elif kind == "allocate":
            _, amount, implementer, pot = op
            signer, type_ = w.fundraiser, "funds.allocated"
            data = allocation_data(p, cny(amount), implementer, source=pot)
            facts = {"kind": "allocation", "amount": amount, "pot": pot, "implementer": implementer}
            if amount > naive.available(pot):
                expected_code = "insufficient_funds"
        elif kind == "disburse":
            _, amount, implementer, category = op
            signer, type_ = implementer_key[implementer], "funds.disbursed"
            data = disbursement_data(p, cny(amount), category=category)
            facts = {"kind": "disbursement", "amount": amount, "implementer": implementer, "category": category}
            if amount > naive.held(implementer):
                expected_code = "insufficient_allocation"
        else:
            if not naive.entries:
                continue
            target, target_kind, f = naive.entries[op[1] % len(naive.entries)]
            type_ = "entry.corrected"
            data = {"target": target, "reason": "随机冲销", "project": p, "amount": cny(f["amount"]), "currency": "CNY"}
            signer = implementer_key[f["implementer"]] if target_kind == "disbursement" else w.fundraiser2
            facts = {"kind": "correction", "target": target}
            if target in naive.reversed:
                expected_code = "already_corrected"
            elif target_kind == "donation" and f["amount"] > naive.available(f["pot"]):
                expected_code = "correction_overdraw"
            elif target_kind == "allocation" and f["amount"] > naive.held(f["implementer"]):
                expected_code = "correction_overdraw"
        if expected_code is None:
            entry_id = w.append(signer, type_, data)
            if facts["kind"] == "correction":
                naive.reversed.add(facts["target"])
            else:
                naive.entries.append((entry_id, facts["kind"], facts))
        else:
            w.refuse(signer, type_, data, expected_code)
        check_books(w, naive)
    return w, naive


def check_books(w: World, naive: Naive) -> None:
    f = w.state.get(FundRow, w.DIR)
    assert f.raised_restricted_minor == naive.raised("restricted")
    assert f.raised_unrestricted_minor == naive.raised("unrestricted")
    assert f.allocated_restricted_minor == naive.allocated("restricted")
    assert f.allocated_unrestricted_minor == naive.allocated("unrestricted")
    for pot in POTS:
        assert getattr(f, f"available_{pot}_minor") == naive.available(pot) >= 0
    for category in CATEGORIES:
        assert getattr(f, f"disbursed_{category}_minor") == naive.disbursed(category=category) >= 0
    assert f.raised_minor == naive.raised("restricted") + naive.raised("unrestricted")
    assert f.allocated_minor == naive.allocated()
    assert f.disbursed_minor == naive.disbursed()
    assert f.balance_minor == f.raised_minor - f.disbursed_minor >= 0
    assert f.donations_count == len(naive.live("donation"))
    for implementer in IMPLEMENTERS:
        b = w.state.get(AllocationBalanceRow, w.DIR, implementer)
        if b is None:
            assert naive.allocated(implementer=implementer) == 0
            continue
        assert b.allocated_minor == naive.allocated(implementer=implementer)
        assert b.disbursed_minor == naive.disbursed(implementer=implementer)
        assert b.balance_minor == naive.held(implementer) >= 0


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories)
def test_money_rules_match_the_naive_books(history):
    run(history)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories)
def test_tracing_reconciles_to_the_fen(history):
    w, naive = run(history)
    donations = w.state.scan(DonationRow, project=w.DIR)
    allocations = w.state.scan(AllocationRow, project=w.DIR)
    disbursements = w.state.scan(DisbursementRow, project=w.DIR)
    traces = trace_project(donations, allocations, disbursements)
    assert list(traces) == [d.id for d in sorted(donations, key=lambda d: d.seq)]

    per_disbursement: dict[str, int] = defaultdict(int)
    per_allocation: dict[str, int] = defaultdict(int)
    unallocated: dict[str, int] = defaultdict(int)
    held: dict[str, int] = defaultdict(int)
    for d in donations:
        t = traces[d.id]
        if d.corrected:
            assert t.reversed and not t.allocations and not t.disbursements and t.unallocated_minor == 0
            continue
        # no donation is traced beyond its amount, and its parts add up exactly
        assert 0 <= t.disbursed_minor <= t.allocated_minor <= d.amount_minor
        assert t.unallocated_minor + t.allocated_minor == d.amount_minor
        assert t.undisbursed_minor == t.allocated_minor - t.disbursed_minor >= 0
        assert all(p.amount_minor > 0 for p in t.allocations + t.disbursements)
        unallocated[t.pot] += t.unallocated_minor
        for p in t.allocations:
            per_allocation[p.allocation] += p.amount_minor
            held[p.implementer] += p.amount_minor
        for p in t.disbursements:
            per_disbursement[p.disbursement] += p.amount_minor
            held[p.implementer] -= p.amount_minor

    # every live allocation and disbursement is traced in full, reversed ones not at all
    for a in allocations:
        assert per_allocation.get(a.id, 0) == (0 if a.corrected else a.amount_minor)
    for x in disbursements:
        assert per_disbursement.get(x.id, 0) == (0 if x.corrected else x.amount_minor)
    # and the traces reconcile with the project's books
    f = w.state.get(FundRow, w.DIR)
    assert unallocated["restricted"] == f.available_restricted_minor
    assert unallocated["unrestricted"] == f.available_unrestricted_minor
    for implementer in IMPLEMENTERS:
        assert held[implementer] == naive.held(implementer)
    if donations:
        one = donations[0]
        assert trace_donation(donations, allocations, disbursements, one.id) == traces[one.id]
