"""``POST /api/v1/entries/check``: the append rules run without writing; and the OpenAPI document
types every entry's ``data`` with the schema generated from the field specs."""

from __future__ import annotations

import base64
import json
from typing import Any

from litestar.testing import TestClient

from ledger.domain.json_schema import entry_data_schema
from ledger.domain.schemas import ENTRY_TYPES
from ledger.protocol.canonical import canonical_bytes, now
from ledger.protocol.entry import ENTRY_PREFIX, make_body
from tests.api.conftest import log_state
from tests.api.world import PROJECT, World, allocation, donation


def _unsigned(world: World, signer: str, type_: str, data: dict[str, Any], idem: str = "check-1") -> dict[str, Any]:
    pair = world.keys[signer]
    return {"body": make_body(world.factory.ledger.log.origin, type_, pair.id, now(), idem, data)}


def test_an_unsigned_entry_that_passes_gets_the_exact_bytes_to_sign(world: World, client: TestClient) -> None:
    before = log_state(world.factory.ledger)
    item = _unsigned(world, "fundraiser", "donation.received", donation(PROJECT, "12.00"))
    r = client.post("/api/v1/entries/check", json=item)
    assert r.status_code == 200, r.text
    (checked,) = r.json()["entries"]
    expected = ENTRY_PREFIX + canonical_bytes(item["body"])
    assert base64.b64decode(checked["signing_message"]) == expected
    assert checked["canonical"].encode() == canonical_bytes(item["body"])
    assert checked["signature_checked"] is False and checked["existing"] is False
    assert log_state(world.factory.ledger) == before  # nothing written

    # signed with the key, the same body checks with its signature, and then appends
    signed = world.sign("fundraiser", "donation.received", donation(PROJECT, "12.00"), idem="check-2")
    r = client.post("/api/v1/entries/check", json=signed.to_json())
    assert r.status_code == 200 and r.json()["entries"][0]["signature_checked"] is True
    assert log_state(world.factory.ledger) == before
    assert client.post("/api/v1/entries", json=signed.to_json()).status_code == 201


def test_every_wrong_field_is_named_at_once_and_nothing_is_written(world: World, client: TestClient) -> None:
    before = log_state(world.factory.ledger)
    data = donation(PROJECT, "12.5")  # one decimal too few
    del data["channel"]
    del data["donor_type"]
    data["received_on"] = "2026-02-30"
    data["colour"] = "red"
    r = client.post("/api/v1/entries/check", json=_unsigned(world, "fundraiser", "donation.received", data))
    assert r.status_code == 400
    problem = r.json()
    assert problem["code"] == "data_invalid"
    fields = [p["field"] for p in problem["params"]["problems"]]
    assert fields == ["colour", "amount", "channel", "donor_type", "received_on"]
    for p in problem["params"]["problems"]:
        assert p["detail"] and p["detail_zh"]
    assert "channel" in problem["detail"] and "received_on" in problem["detail"]  # the message names them all
    assert log_state(world.factory.ledger) == before
    # the real append refuses the same entry with the same list
    signed = world.sign("fundraiser", "donation.received", data, idem="check-3")
    r2 = client.post("/api/v1/entries", json=signed.to_json())
    assert r2.status_code == 400 and r2.json()["params"]["problems"] == problem["params"]["problems"]
    assert log_state(world.factory.ledger) == before


def test_the_rules_run_too_balance_and_batch(world: World, client: TestClient) -> None:
    """An allocation above what the restricted pot holds is refused as the append would; two
    entries checked together see each other (a correction, then its replacement)."""
    before = log_state(world.factory.ledger)
    too_much = _unsigned(world, "fundraiser", "funds.allocated", allocation(PROJECT, "5000.00"))
    r = client.post("/api/v1/entries/check", json=too_much)
    assert r.status_code == 422 and r.json()["code"] == "insufficient_funds"

    d1 = world.ids["d3"]  # 1000.00 restricted
    reverse = _unsigned(
        world,
        "fundraiser",
        "entry.corrected",
        {"target": d1, "reason": "wrong amount typed", "project": PROJECT, "amount": "1000.00", "currency": "CNY"},
        idem="fix-1",
    )
    replace = _unsigned(world, "fundraiser", "donation.received", donation(PROJECT, "100.00"), idem="fix-2")
    r = client.post("/api/v1/entries/check", json=[reverse, replace])
    assert r.status_code == 200, r.text
    assert [e["type"] for e in r.json()["entries"]] == ["entry.corrected", "donation.received"]
    # after the reversal there is less to allocate: an allocation checked in the same batch sees it
    alloc = _unsigned(world, "fundraiser", "funds.allocated", allocation(PROJECT, "900.00"), idem="fix-3")
    r = client.post("/api/v1/entries/check", json=[reverse, alloc])
    assert r.status_code == 422
    assert r.json()["code"] == "batch_entry_refused" and r.json()["params"]["position"] == 1
    assert client.post("/api/v1/entries/check", json=alloc).status_code == 200  # alone it passes
    assert log_state(world.factory.ledger) == before


def test_a_bad_signature_is_refused(world: World, client: TestClient) -> None:
    signed = world.sign("fundraiser", "donation.received", donation(PROJECT, "12.00")).to_json()
    signed["body"]["data"]["amount"] = "13.00"
    r = client.post("/api/v1/entries/check", json=signed)
    assert r.status_code == 422 and r.json()["code"] == "bad_signature"


def test_openapi_types_every_entry_data(client: TestClient) -> None:
    doc = client.get("/schema/openapi.json").json()
    schemas = doc["components"]["schemas"]
    for type_name in ENTRY_TYPES:
        component = schemas[f"EntryData.{type_name}"]
        generated = entry_data_schema(type_name)
        assert component["properties"] == json.loads(json.dumps(generated["properties"]))
        assert component.get("required", []) == generated.get("required", [])
    donation_schema = schemas["EntryData.donation.received"]
    assert donation_schema["properties"]["amount"]["type"] == "string"
    assert "donor_type" in donation_schema["required"]
    assert donation_schema["properties"]["channel"]["enum"][0] == "bank_transfer"
    body = schemas["EntryBody"]
    assert {b["properties"]["type"]["const"] for b in body["oneOf"]} == set(ENTRY_TYPES)
    assert len(body["properties"]["data"]["anyOf"]) == len(ENTRY_TYPES)
    assert "checkEntries" in {
        op.get("operationId") for item in doc["paths"].values() for op in item.values() if isinstance(op, dict)
    }
