"""POST /api/v1/donations/{id}/donor-data: signed by the recording charity, opens the commitment,
kept encrypted, never public; refusals write nothing."""

from __future__ import annotations

import base64
from typing import Any

from litestar.testing import TestClient

from ledger.domain.privacy import donor_data_message, format_receipt_code
from ledger.store.donors import DonorStore, load_privacy_key
from tests.api.world import DONOR, SALT, World


def _body(
    world: World, signer: str, personal: dict[str, str] = DONOR, salt: bytes = SALT, donation: str | None = None
) -> dict[str, Any]:
    donation = donation or world.ids["d1"]
    key = world.keys[signer]
    return {
        "personal": personal,
        "salt": base64.b64encode(salt).decode(),
        "signer": key.id,
        "sig": base64.b64encode(key.sign(donor_data_message(donation, personal, salt))).decode(),
    }


def _store(world: World) -> DonorStore:
    return DonorStore(world.factory.ledger.engine, load_privacy_key(world.factory.ledger.settings))


def test_charity_hands_in_donor_data(world: World, client: TestClient) -> None:
    url = f"/api/v1/donations/{world.ids['d1']}/donor-data"
    r = client.post(url, json=_body(world, "fundraiser"))
    assert r.status_code == 201, r.text
    seq = world.seqs["d1"]
    assert r.json() == {"seq": seq, "receipt_code": format_receipt_code(seq, SALT)}
    assert _store(world).get(seq).personal == DONOR
    # the receipt code now works on the public trace, which shows no personal data
    trace = client.post("/api/v1/donations/by-receipt/trace", json={"code": r.json()["receipt_code"]})
    assert trace.status_code == 200 and DONOR["name"] not in trace.text
    again = client.post(url, json=_body(world, "fundraiser"))
    assert again.status_code == 409 and again.json()["code"] == "donor_data_exists"


def test_refusals_write_nothing(world: World, client: TestClient) -> None:
    url = f"/api/v1/donations/{world.ids['d1']}/donor-data"
    cases = [
        (_body(world, "implementer"), 403, "donor_data_signer_not_allowed"),  # another organisation's key
        (_body(world, "fundraiser", personal={"name": "张三"}), 422, "donor_data_mismatch"),
        (_body(world, "fundraiser", salt=bytes(16)), 422, "donor_data_mismatch"),
        (dict(_body(world, "fundraiser"), sig=base64.b64encode(bytes(64)).decode()), 422, "bad_signature"),
        (dict(_body(world, "fundraiser"), salt="short"), 400, "body_invalid"),
        (dict(_body(world, "fundraiser"), personal={"email": "x@example.com"}), 400, "personal_data_invalid"),
    ]
    for body, status, code in cases:
        r = client.post(url, json=body)
        assert (r.status_code, r.json()["code"]) == (status, code), r.text
    unknown = "ab" * 32
    r = client.post(f"/api/v1/donations/{unknown}/donor-data", json=_body(world, "fundraiser", donation=unknown))
    assert r.status_code == 404
    from sqlalchemy import select

    from ledger.store.donors import TABLE

    with world.factory.ledger.engine.connect() as conn:
        assert conn.execute(select(TABLE)).first() is None
