"""project.amended: dates changed, implementers and overseers added, under the same rules as a
registration (separation of roles, active organisations) and signed only by the project's
fundraiser while the project is open. Refusals change nothing (Harness.refuse checks it)."""

from __future__ import annotations

import json

import pytest

from ledger.domain.rows import ProjectRow
from tests.domain.helpers import AUDITOR, FOUNDATION, OVERSIGHT, SERVICE_ORG, SMALL_GROUP, World, donation_data


@pytest.fixture
def w() -> World:
    return World()


def project(w: World, pid: str = World.PUB) -> ProjectRow:
    row = w.state.get(ProjectRow, pid)
    assert row is not None
    return row


def amend(pid: str = World.PUB, **changes: object) -> dict[str, object]:
    return {"project": pid, "reason": "监督机构增加，项目延期 / oversight added, project extended", **changes}


def test_dates_and_organisations_are_amended(w: World) -> None:
    before = project(w)
    w.append(w.fundraiser, "project.amended", amend(end_date="2027-06-30", add_overseers=[AUDITOR]))
    after = project(w)
    assert after.end_date == "2027-06-30" and after.start_date == before.start_date
    assert json.loads(after.overseers_json) == [OVERSIGHT, AUDITOR]
    assert after.implementers_json == before.implementers_json
    # the added overseer may now attest the project's entries
    d = w.append(w.fundraiser, "donation.received", donation_data(World.PUB))
    w.append(w.auditor, "attestation.recorded", {"target": d, "verdict": "approved", "findings": "票据齐全"})


def test_an_implementer_added_can_receive_money(w: World) -> None:
    w.append(w.fundraiser, "donation.received", donation_data(World.PUB, "500.00"))
    w.refuse(
        w.fundraiser,
        "funds.allocated",
        {
            "project": World.PUB,
            "currency": "CNY",
            "amount": "100.00",
            "implementer": SMALL_GROUP,
            "source": "restricted",
            "allocated_on": "2026-03-21",
        },
        "not_project_implementer",
    )
    w.append(w.fundraiser, "project.amended", amend(add_implementers=[SMALL_GROUP]))
    w.append(
        w.fundraiser,
        "funds.allocated",
        {
            "project": World.PUB,
            "currency": "CNY",
            "amount": "100.00",
            "implementer": SMALL_GROUP,
            "source": "restricted",
            "allocated_on": "2026-03-21",
        },
    )


def test_separation_of_roles_still_holds(w: World) -> None:
    w.refuse(w.fundraiser, "project.amended", amend(add_overseers=[FOUNDATION]), "separation_violation")
    w.refuse(w.fundraiser, "project.amended", amend(add_overseers=[SERVICE_ORG]), "separation_violation")
    w.refuse(w.fundraiser, "project.amended", amend(add_implementers=[OVERSIGHT]), "separation_violation")
    # both at once: the new overseer is also a new implementer
    w.refuse(
        w.fundraiser,
        "project.amended",
        amend(add_implementers=[AUDITOR], add_overseers=[AUDITOR]),
        "separation_violation",
    )


def test_only_the_projects_fundraiser_signs(w: World) -> None:
    w.refuse(w.implementer, "project.amended", amend(end_date="2027-06-30"), "role_not_allowed")
    w.refuse(w.overseer, "project.amended", amend(end_date="2027-06-30"), "role_not_allowed")
    w.refuse(w.group_fundraiser, "project.amended", amend(end_date="2027-06-30"), "not_project_fundraiser")
    w.append(w.fundraiser2, "project.amended", amend(end_date="2027-06-30"))  # any fundraiser of the org


def test_refusals_of_the_amendment_rules(w: World) -> None:
    err = w.refuse(w.fundraiser, "project.amended", amend(end_date="2026-02-01"), "project_amendment_refused")
    assert "before the start date" in err.message_en
    w.refuse(w.fundraiser, "project.amended", amend(add_overseers=[OVERSIGHT]), "project_amendment_refused")
    w.refuse(w.fundraiser, "project.amended", amend(add_implementers=[SERVICE_ORG]), "project_amendment_refused")
    w.refuse(w.fundraiser, "project.amended", amend(), "data_invalid")  # nothing to change
    w.refuse(w.fundraiser, "project.amended", amend("P-NONE", end_date="2027-06-30"), "project_unknown")
    # once money came in, the start only moves earlier
    w.append(w.fundraiser, "donation.received", donation_data(World.PUB))
    err = w.refuse(w.fundraiser, "project.amended", amend(start_date="2026-03-10"), "project_amendment_refused")
    assert "only move earlier" in err.message_en
    w.append(w.fundraiser, "project.amended", amend(start_date="2026-02-01"))
    assert project(w).start_date == "2026-02-01"


def test_a_closed_project_is_not_amended(w: World) -> None:
    w.append(
        w.fundraiser,
        "project.closed",
        {
            "project": World.DIR,
            "closed_on": "2026-03-21",
            "summary": "项目完成",
            "currency": "CNY",
            "surplus": "0.00",
            "surplus_handling": "none",
        },
    )
    w.refuse(w.fundraiser, "project.amended", amend(World.DIR, end_date="2027-06-30"), "project_closed")


def test_an_amendment_is_not_corrected(w: World) -> None:
    amendment = w.append(w.fundraiser, "project.amended", amend(end_date="2027-06-30"))
    err = w.refuse(w.fundraiser, "entry.corrected", {"target": amendment, "reason": "撤回"}, "correction_not_allowed")
    assert "project.amended" in err.message_en
