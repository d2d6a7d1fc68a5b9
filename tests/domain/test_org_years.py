"""p_org_year: an organisation's money by calendar year, kept by the append rules."""

from __future__ import annotations

from ledger.domain.rows import OrgYearRow
from tests.domain import helpers


def _years(world: helpers.World) -> dict[tuple[str, int], tuple[int, int, int, int, int]]:
    return {
        (r.org, r.year): (
            r.raised_minor,
            r.donations_count,
            r.disbursed_program_minor,
            r.disbursed_admin_minor,
            r.disbursed_fundraising_cost_minor,
        )
        for r in world.state.rows(OrgYearRow)
    }


def test_years_follow_donations_payments_and_corrections() -> None:
    w = helpers.World()
    w.append(w.fundraiser, "donation.received", helpers.donation_data(w.PUB, "1000.00", received_on="2026-03-21"))
    w.append(w.fundraiser, "donation.received", helpers.donation_data(w.PUB, "250.50", received_on="2026-03-21"))
    w.append(w.fundraiser, "funds.allocated", helpers.allocation_data(w.PUB, "800.00"))
    paid = w.append(w.implementer, "funds.disbursed", helpers.disbursement_data(w.PUB, "300.00"))
    w.append(w.implementer, "funds.disbursed", helpers.disbursement_data(w.PUB, "20.00", category="admin"))
    assert _years(w) == {
        (helpers.FOUNDATION, 2026): (125050, 2, 0, 0, 0),
        (helpers.SERVICE_ORG, 2026): (0, 0, 30000, 2000, 0),
    }
    w.append(
        w.implementer,
        "entry.corrected",
        {
            "target": paid,
            "reason": "paid twice by mistake",
            "project": w.PUB,
            "amount": "300.00",
            "currency": "CNY",
        },
    )
    assert _years(w)[(helpers.SERVICE_ORG, 2026)] == (0, 0, 0, 2000, 0)


def test_donor_types_follow_donations_and_reversals() -> None:
    from ledger.domain.rows import ProjectDonorTypeRow

    w = helpers.World()
    first = w.append(w.fundraiser, "donation.received", helpers.donation_data(w.PUB, "100.00"))
    w.append(w.fundraiser, "donation.received", helpers.donation_data(w.PUB, "40.00", donor_type="enterprise"))
    w.append(w.fundraiser, "donation.received", helpers.donation_data(w.PUB, "60.00"))

    def types() -> dict[str, tuple[int, int]]:
        return {
            r.donor_type: (r.raised_minor, r.donations_count)
            for r in w.state.rows(ProjectDonorTypeRow)
            if r.project == w.PUB
        }

    assert types() == {"individual": (16000, 2), "enterprise": (4000, 1)}
    w.append(
        w.fundraiser,
        "entry.corrected",
        {
            "target": first,
            "reason": "bank line entered twice",
            "project": w.PUB,
            "amount": "100.00",
            "currency": "CNY",
        },
    )
    assert types() == {"individual": (6000, 1), "enterprise": (4000, 1)}
