"""FIFO tracing on a worked example (the property test is in test_money_property.py)."""

import pytest

from ledger.domain.rows import AllocationRow, DisbursementRow, DonationRow
from ledger.domain.tracing import trace_donation, trace_project
from tests.domain.helpers import FOUNDATION
from tests.domain.helpers import SERVICE_ORG as X
from tests.domain.helpers import SERVICE_ORG_2 as Y

P = "P-1"
T = "2026-03-21T02:00:00.000Z"


def donation(id_, seq, amount, restricted=True, corrected=False, project=P):
    return DonationRow(
        id=id_,
        seq=seq,
        project=project,
        amount_minor=amount,
        currency="CNY",
        kind="money",
        channel="bank_transfer",
        donor_type="individual",
        commitment="0" * 64,
        restricted=restricted,
        received_on="2026-03-21",
        fundraiser_org=FOUNDATION,
        recorded_by="k",
        time=T,
        corrected=corrected,
    )


def allocation(id_, seq, amount, implementer, source="restricted", corrected=False):
    return AllocationRow(
        id=id_,
        seq=seq,
        project=P,
        implementer=implementer,
        source=source,
        amount_minor=amount,
        currency="CNY",
        allocated_on="2026-03-21",
        recorded_by="k",
        time=T,
        corrected=corrected,
    )


def disbursement(id_, seq, amount, implementer, category="program", corrected=False):
    return DisbursementRow(
        id=id_,
        seq=seq,
        project=P,
        implementer=implementer,
        category=category,
        amount_minor=amount,
        currency="CNY",
        payee=f"payee {id_}",
        purpose="p",
        paid_on="2026-03-21",
        evidence_json="[]",
        recorded_by="k",
        time=T,
        corrected=corrected,
    )


DONATIONS = [donation("D1", 1, 100), donation("D2", 2, 50), donation("D3", 3, 30, restricted=False)]
ALLOCATIONS = [allocation("A1", 4, 120, X), allocation("A2", 5, 20, Y, "unrestricted"), allocation("A3", 6, 20, Y)]
DISBURSEMENTS = [disbursement("X1", 7, 70, X), disbursement("X2", 8, 50, X, "admin"), disbursement("Y1", 9, 30, Y)]


def parts(trace):
    return (
        [(p.allocation, p.amount_minor) for p in trace.allocations],
        [(p.disbursement, p.amount_minor) for p in trace.disbursements],
        trace.unallocated_minor,
        trace.undisbursed_minor,
    )


def test_worked_example():
    # restricted pot: D1 100 + D2 50 -> A1 120 (D1 100, D2 20), A3 20 (D2 20); 10 of D2 unallocated
    # unrestricted pot: D3 30 -> A2 20; 10 of D3 unallocated
    # X receives A1 = [D1 100, D2 20] and pays X1 70 (D1), X2 50 (D1 30, D2 20)
    # Y receives A2 = [D3 20] then A3 = [D2 20] and pays Y1 30 (D3 20, D2 10); 10 of D2 undisbursed
    traces = trace_project(reversed(DONATIONS), ALLOCATIONS[::-1], DISBURSEMENTS)  # any input order
    assert list(traces) == ["D1", "D2", "D3"]
    assert parts(traces["D1"]) == ([("A1", 100)], [("X1", 70), ("X2", 30)], 0, 0)
    assert parts(traces["D2"]) == ([("A1", 20), ("A3", 20)], [("X2", 20), ("Y1", 10)], 10, 10)
    assert parts(traces["D3"]) == ([("A2", 20)], [("Y1", 20)], 10, 0)
    x2 = traces["D1"].disbursements[1]
    assert (x2.implementer, x2.category, x2.payee) == (X, "admin", "payee X2")
    assert traces["D3"].pot == "unrestricted" and not traces["D3"].reversed


def test_trace_one_donation():
    t = trace_donation(DONATIONS, ALLOCATIONS, DISBURSEMENTS, "D2")
    assert t.allocated_minor == 40 and t.disbursed_minor == 30
    with pytest.raises(KeyError):
        trace_donation(DONATIONS, ALLOCATIONS, DISBURSEMENTS, "D9")


def test_reversed_entries_are_left_out():
    donations = [donation("D0", 0, 100, corrected=True), *DONATIONS]
    allocations = [*ALLOCATIONS, allocation("A9", 10, 5, X, corrected=True)]
    disbursements = [disbursement("X0", 6, 10, X, corrected=True), *DISBURSEMENTS]
    traces = trace_project(donations, allocations, disbursements)
    assert traces["D0"].reversed and parts(traces["D0"]) == ([], [], 0, 0)
    for id_ in ("D1", "D2", "D3"):
        assert parts(traces[id_]) == parts(trace_project(DONATIONS, ALLOCATIONS, DISBURSEMENTS)[id_])


def test_money_still_in_the_fund():
    traces = trace_project(DONATIONS, [], [])
    assert [parts(t) for t in traces.values()] == [([], [], 100, 0), ([], [], 50, 0), ([], [], 30, 0)]


def test_rows_of_one_project_only():
    with pytest.raises(ValueError):
        trace_project([*DONATIONS, donation("E1", 10, 5, project="P-2")], ALLOCATIONS, DISBURSEMENTS)
