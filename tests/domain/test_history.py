"""ledger.domain.history: what held on a day, folded by effective date (pure)."""

from __future__ import annotations

import json
from datetime import date

from ledger.domain.history import implementer_positions_on, org_on, positions_on, project_begun, project_on
from ledger.domain.rows import AllocationRow, DisbursementRow, DonationRow, OrgChangeRow, OrgRow
from tests.domain import helpers as H


def change(seq: int, kind: str, effective_on: str, changed: list[str], **values: object) -> OrgChangeRow:
    base = {
        "name_zh": "成长基金会",
        "legal_form": "foundation",
        "track": "registered",
        "public_fundraising": False,
        "status": "active",
    }
    base.update(values)  # type: ignore[arg-type]
    return OrgChangeRow(
        org=H.FOUNDATION,
        seq=seq,
        id=f"{seq:064x}",
        kind=kind,
        effective_on=effective_on,
        time="2026-03-10T02:00:00.000Z",
        changed_json=json.dumps(changed),
        **base,  # type: ignore[arg-type]
    )


def test_changes_apply_by_effective_date_not_by_log_order() -> None:
    rows = [
        change(1, "registered", "2023-05-01", ["name_zh", "legal_form", "track", "public_fundraising"]),
        # recorded first: the new name from 2026; recorded later: the qualification from 2025-07-01
        change(2, "updated", "2026-01-01", ["name_zh"], name_zh="成长慈善基金会"),
        change(3, "updated", "2025-07-01", ["public_fundraising"], name_zh="成长慈善基金会", public_fundraising=True),
        change(4, "deregistered", "2027-01-01", ["status"], status="deregistered"),
    ]
    assert org_on(rows, date(2023, 4, 30)) is None  # not registered yet
    on = {d: org_on(rows, date.fromisoformat(d)) for d in ("2024-12-31", "2025-12-31", "2026-12-31", "2027-01-01")}
    assert [(s.name_zh, s.public_fundraising, s.status) for s in on.values() if s] == [
        ("成长基金会", False, "active"),
        ("成长基金会", True, "active"),  # the name of row 3 is not a change of row 3
        ("成长慈善基金会", True, "active"),
        ("成长慈善基金会", True, "deregistered"),
    ]
    assert on["2025-12-31"] is not None and on["2025-12-31"].since["public_fundraising"] == "2025-07-01"


def test_without_history_the_current_row_stands() -> None:
    current = OrgRow(
        org=H.FOUNDATION,
        name_zh="基金会",
        legal_form="foundation",
        track="registered",
        public_fundraising=True,
        is_registrar=False,
        status="active",
        registered_seq=1,
        updated_seq=1,
    )
    held = org_on([], date(2020, 1, 1), current)
    assert held is not None and held.public_fundraising and held.entries == ()
    assert org_on([], date(2020, 1, 1)) is None


def test_positions_and_projects_at_a_day() -> None:
    project = H.project_data("P-1", directed=True, start_date="2024-07-01", end_date="2025-06-30")
    from ledger.domain.rows import ProjectRow

    row = ProjectRow(
        project="P-1",
        title_zh="t",
        field="education",
        region="440304",
        start_date=project["start_date"],
        end_date=project["end_date"],
        currency="CNY",
        target_minor=1,
        fundraiser_org=H.FOUNDATION,
        registered_by="k",
        registered_id="e",
        registered_seq=1,
        implementers_json="[]",
        overseers_json="[]",
        directed=True,
        emergency=False,
        status="closed",
        closed=True,
        closed_on="2026-02-15",
        closed_id="c",
        closed_seq=9,
    )
    assert project_begun(row, date(2024, 7, 1)) and not project_begun(row, date(2024, 6, 30))
    assert project_on(row, date(2025, 12, 31)).status == "open" and project_on(row, date(2026, 2, 15)).closed

    def money(cls: type, day: str, amount: int, corrected: bool = False, **kw: object) -> object:
        common = {"id": f"{day}{amount}", "seq": 1, "project": "P-1", "amount_minor": amount, "currency": "CNY"}
        common.update(recorded_by="k", time="t", corrected=corrected)
        return cls(**common, **kw)  # type: ignore[arg-type]

    d = dict(kind="money", channel="cash", donor_type="individual", commitment="c", restricted=True)
    donations = [
        money(DonationRow, "2024-08-10", 100, received_on="2024-08-10", fundraiser_org=H.FOUNDATION, **d),
        money(DonationRow, "2025-03-01", 50, received_on="2025-03-01", fundraiser_org=H.FOUNDATION, **d),
        money(DonationRow, "2025-03-02", 7, True, received_on="2025-03-02", fundraiser_org=H.FOUNDATION, **d),
    ]
    allocations = [
        money(AllocationRow, "2024-08-20", 60, implementer="S", source="restricted", allocated_on="2024-08-20")
    ]
    paid = dict(implementer="S", category="program", payee="p", purpose="p", evidence_json="[]")
    payments = [money(DisbursementRow, "2025-05-10", 15, paid_on="2025-05-10", **paid)]
    p2024 = positions_on([row], donations, allocations, payments, date(2024, 12, 31))["P-1"]
    p2025 = positions_on([row], donations, allocations, payments, date(2025, 12, 31))["P-1"]
    assert (p2024.raised_minor, p2024.allocated_minor, p2024.disbursed_minor, p2024.balance_minor) == (100, 60, 0, 100)
    assert (p2025.raised_minor, p2025.disbursed_minor, p2025.balance_minor) == (150, 15, 135)  # reversal left out
    held = implementer_positions_on(allocations, payments, date(2025, 12, 31))[("P-1", "S")]
    assert (held.allocated_minor, held.disbursed_minor, held.balance_minor) == (60, 15, 45)
