"""interest.received and fee.charged: the bank's interest and charges, recorded apart from
donations and payments, signed by the organisation's own fundraiser or admin, on its own
projects, withdrawn with entry.corrected. Refusals change nothing (Harness.refuse checks it)."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.domain.rows import AccountMovementRow, FundRow
from tests.domain.helpers import FOUNDATION, SERVICE_ORG, World


@pytest.fixture
def w() -> World:
    return World()


def interest(**over: Any) -> dict[str, Any]:
    return {"org": FOUNDATION, "currency": "CNY", "amount": "3.21", "received_on": "2026-03-21", **over}


def fee(**over: Any) -> dict[str, Any]:
    data = {"org": FOUNDATION, "currency": "CNY", "amount": "1.50", "charged_on": "2026-03-20", "fee_kind": "bank_fee"}
    return {**data, **over}


def test_interest_and_fees_are_recorded_and_never_raise_the_project_fund(w: World) -> None:
    fund_before = w.state.get(FundRow, World.PUB)
    i = w.append(w.fundraiser, "interest.received", interest(project=World.PUB, note="第一季度结息"))
    f = w.append(w.foundation_admin, "fee.charged", fee(fee_kind="platform_fee"))
    row = w.state.get(AccountMovementRow, i)
    assert row is not None
    assert (row.kind, row.amount_minor, row.on_date, row.project, row.note) == (
        "interest",
        321,
        "2026-03-21",
        World.PUB,
        "第一季度结息",
    )
    charged = w.state.get(AccountMovementRow, f)
    assert charged is not None and (charged.kind, charged.fee_kind, charged.amount_minor) == (
        "fee",
        "platform_fee",
        150,
    )
    assert w.state.get(FundRow, World.PUB) == fund_before  # interest is not a donation


def test_only_the_organisation_itself_records_them(w: World) -> None:
    w.refuse(w.service_admin, "interest.received", interest(), "account_movement_wrong_org")
    w.refuse(w.implementer, "fee.charged", fee(org=SERVICE_ORG), "role_not_allowed")
    w.refuse(w.fundraiser, "fee.charged", fee(charged_on="2026-03-22"), "date_in_future")
    w.refuse(w.fundraiser, "interest.received", interest(project="P-NOPE"), "project_unknown")
    w.refuse(w.fundraiser, "interest.received", interest(project=World.PUB, currency="USD"), "currency_mismatch")


def test_personal_data_in_the_note_is_refused(w: World) -> None:
    w.refuse(w.fundraiser, "fee.charged", fee(note="退给张伟 13800138000"), "personal_data_in_text")


def test_a_fee_is_withdrawn_with_entry_corrected(w: World) -> None:
    f = w.append(w.fundraiser, "fee.charged", fee())
    w.append(w.fundraiser, "entry.corrected", {"target": f, "reason": "重复记录 / recorded twice"})
    row = w.state.get(AccountMovementRow, f)
    assert row is not None and row.corrected
