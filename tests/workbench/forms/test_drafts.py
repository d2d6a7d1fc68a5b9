"""Prepare -> review -> approve -> sign: any staff member prepares, the role holder signs, and
above the organisation's amount a second person (not the preparer, not the signer) approves
first. A draft is marked signed in the append's transaction."""

from __future__ import annotations

import base64
from typing import Any

from litestar.testing import TestClient

from ledger.protocol.keys import KeyPair
from tests.api.conftest import log_state
from tests.api.world import PROJECT, SERVICE, World, donation
from tests.workbench.forms.conftest import as_


def _draft(client: TestClient, login: str, data: dict[str, Any], type_: str = "donation.received") -> dict[str, Any]:
    r = client.post("/workbench/api/drafts", json={"type": type_, "data": data}, headers=as_(login))
    assert r.status_code == 201, r.text
    return r.json()["draft"]


def _sign_draft(client: TestClient, login: str, key: KeyPair, draft: dict[str, Any]) -> Any:
    payload = {"type": draft["type"], "data": draft["data"], "draft": draft["id"], "public_key": key.public_b64}
    prepared = client.post("/workbench/api/prepare", json=payload, headers=as_(login))
    assert prepared.status_code == 200, prepared.text
    entries = [
        {"body": e["body"], "sig": base64.b64encode(key.sign(base64.b64decode(e["signing_message"]))).decode()}
        for e in prepared.json()["entries"]
    ]
    return client.post("/workbench/api/submit", json={"entries": entries, "draft": draft["id"]}, headers=as_(login))


def _status(client: TestClient, draft_id: int) -> str:
    page = client.get(f"/workbench/drafts/{draft_id}", headers=as_("clerk"))
    assert page.status_code == 200
    return page.text.split('id="wb-status">', 1)[1].split("<", 1)[0]


def test_a_draft_is_validated_when_saved(world: World, client: TestClient) -> None:
    data = donation(PROJECT, "5")
    del data["channel"]
    r = client.post("/workbench/api/drafts", json={"type": "donation.received", "data": data}, headers=as_("clerk"))
    assert r.status_code == 400, r.text
    assert [p["field"] for p in r.json()["params"]["problems"]] == ["amount", "channel"]
    assert "没有草稿" in client.get("/workbench/drafts", headers=as_("clerk")).text


def test_second_approval_above_the_organisations_amount(world: World, client: TestClient) -> None:
    key = world.keys["fundraiser"]  # the key in the fundraisers' browsers
    # only an org_admin sets the amount
    rule = {"currency": "CNY", "amount": "500.00"}
    assert client.post("/workbench/api/approval-rule", json=rule, headers=as_("clerk")).status_code == 403
    assert client.post("/workbench/api/approval-rule", json=rule, headers=as_("admin")).status_code == 200

    big = _draft(client, "clerk", donation(PROJECT, "800.00"))
    assert big["status"] == "prepared" and big["amount"] == "800.00"
    page = client.get(f"/workbench/drafts/{big['id']}", headers=as_("fundraiser")).text
    assert "需要（超过本机构限额）" in page and 'id="wb-approve"' in page

    before = log_state(world.factory.ledger)
    r = _sign_draft(client, "fundraiser", key, big)
    assert r.status_code == 422 and r.json()["code"] == "draft_refused"
    assert "second person must approve" in r.json()["detail"]
    assert log_state(world.factory.ledger) == before

    # the preparer cannot approve; a staff member without a signing role or org_admin cannot either
    r = client.post(f"/workbench/api/drafts/{big['id']}/approve", json={}, headers=as_("clerk"))
    assert r.status_code == 422 and "preparer" in r.json()["detail"]
    r = client.post(f"/workbench/api/drafts/{big['id']}/approve", json={}, headers=as_("fundraiser2"))
    assert r.status_code == 200 and r.json()["draft"]["approved_by"] == "fundraiser2"
    assert _status(client, big["id"]) == "approved"

    # the approver cannot also sign it
    r = _sign_draft(client, "fundraiser2", key, big)
    assert r.status_code == 422 and "approver cannot also sign" in r.json()["detail"]
    assert log_state(world.factory.ledger) == before

    # the other fundraiser signs: appended, and the draft is signed with the entry's leaf hash
    r = _sign_draft(client, "fundraiser", key, big)
    assert r.status_code == 201, r.text
    (item,) = r.json()["items"]
    assert log_state(world.factory.ledger)[0] == before[0] + 1
    assert _status(client, big["id"]) == "signed"
    assert item["leaf_hash"] in client.get(f"/workbench/drafts/{big['id']}", headers=as_("clerk")).text
    # signing it again is refused and writes nothing
    after = log_state(world.factory.ledger)
    r = _sign_draft(client, "fundraiser", key, big)
    assert r.status_code == 422 and r.json()["code"] == "draft_refused"
    assert log_state(world.factory.ledger) == after


def test_below_the_amount_the_role_holder_signs_alone(world: World, client: TestClient) -> None:
    key = world.keys["fundraiser"]
    client.post("/workbench/api/approval-rule", json={"currency": "CNY", "amount": "500.00"}, headers=as_("admin"))
    small = _draft(client, "clerk", donation(PROJECT, "500.00"))  # not above the amount
    page = client.get(f"/workbench/drafts/{small['id']}", headers=as_("fundraiser")).text
    assert "不需要 not required" in page
    r = _sign_draft(client, "fundraiser", key, small)
    assert r.status_code == 201, r.text
    assert _status(client, small["id"]) == "signed"


def test_a_staff_member_cannot_sign_and_signed_data_must_be_the_drafts(world: World, client: TestClient) -> None:
    key = world.keys["fundraiser"]
    d = _draft(client, "clerk", donation(PROJECT, "20.00"))
    before = log_state(world.factory.ledger)
    r = _sign_draft(client, "clerk", key, d)  # the clerk holds no signing role
    assert r.status_code == 422 and r.json()["code"] == "draft_refused"
    other = dict(d, data=donation(PROJECT, "21.00"))  # not what was reviewed
    r = _sign_draft(client, "fundraiser", key, other)
    assert r.status_code == 422 and "not the draft's" in r.json()["detail"]
    assert log_state(world.factory.ledger) == before
    assert _status(client, d["id"]) == "prepared"
    # withdrawn drafts are not signed
    assert client.post(f"/workbench/api/drafts/{d['id']}/withdraw", json={}, headers=as_("clerk")).status_code == 200
    r = _sign_draft(client, "fundraiser", key, d)
    assert r.status_code == 422 and log_state(world.factory.ledger) == before


def test_another_organisations_draft_is_not_found(world: World, client: TestClient) -> None:
    from public_site.workbench.session import Account
    from tests.workbench.forms.conftest import ACCOUNTS

    d = _draft(client, "clerk", donation(PROJECT, "20.00"))
    ACCOUNTS["outsider"] = Account(9, "outsider", "外人", SERVICE, frozenset({"org_admin"}))
    try:
        r = client.get(f"/workbench/drafts/{d['id']}", headers=as_("outsider"))
        assert r.status_code == 404
        r = client.post(f"/workbench/api/drafts/{d['id']}/approve", json={}, headers=as_("outsider"))
        assert r.status_code == 404 and r.json()["code"] == "draft_unknown"
    finally:
        del ACCOUNTS["outsider"]
