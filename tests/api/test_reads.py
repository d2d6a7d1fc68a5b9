"""Public reads: entries with filters and cursors, organisations, projects with their figures,
money flows, progress, verdicts, and the trace of a donation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient

from ledger.domain.privacy import format_receipt_code
from ledger.protocol import merkle
from ledger.protocol.checkpoint import verify_checkpoint
from ledger.store.donors import DonorStore, load_privacy_key
from ledger.store.export import log_vkey
from tests.api.world import DONOR, FOUNDATION, OTHER_PROJECT, OVERSIGHT, PROJECT, SALT, SERVICE, World


def _all_pages(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        query = dict(params) | ({"cursor": cursor} if cursor else {})
        response = client.get(path, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


# --- entries --------------------------------------------------------------------------------


def test_entries_pages_cover_the_log_once(shared_client: TestClient, shared_world: World) -> None:
    ledger = shared_world.factory.ledger
    size = ledger.log.head().size
    items = _all_pages(shared_client, "/api/v1/entries", limit=4)
    assert [e["seq"] for e in items] == list(range(size))
    for e in items:
        raw = ledger.log.leaf(e["seq"])
        assert e["leaf_hash"] == merkle.leaf_hash(raw).hex()
        assert e["leaf"] == json.loads(raw)
        assert e["type"] == e["leaf"]["body"]["type"] and e["signer"] == e["leaf"]["body"]["signer"]
    newest_first = _all_pages(shared_client, "/api/v1/entries", limit=5, order="desc")
    assert [e["seq"] for e in newest_first] == list(reversed(range(size)))


def test_entries_filters(shared_client: TestClient, shared_world: World) -> None:
    w = shared_world
    donations = _all_pages(shared_client, "/api/v1/entries", type="donation.received", limit=2)
    assert [e["leaf_hash"] for e in donations] == [w.ids[n] for n in ("d1", "d2", "d3", "d4", "d_other")]
    assert donations[1]["amount"] == "250.50" and donations[1]["currency"] == "CNY"
    assert donations[1]["signer_role"] == "fundraiser" and donations[1]["signer_org"] == FOUNDATION

    by_project = _all_pages(shared_client, "/api/v1/entries", project=OTHER_PROJECT)
    assert [e["leaf_hash"] for e in by_project] == [w.ids["other_project"], w.ids["d_other"]]

    by_org = _all_pages(shared_client, "/api/v1/entries", org=SERVICE, limit=1)
    assert [e["leaf_hash"] for e in by_org] == [w.ids[n] for n in ("grant_implementer", "p1", "p2", "progress")]

    by_signer = _all_pages(shared_client, "/api/v1/entries", signer=w.keys["overseer"].id)
    assert [e["leaf_hash"] for e in by_signer] == [w.ids["approve_p1"], w.ids["flag_p2"]]

    d2 = shared_client.get(f"/api/v1/entries/by-hash/{w.ids['d2']}").json()
    idem = d2["leaf"]["body"]["idem"]
    found = _all_pages(shared_client, "/api/v1/entries", signer=d2["signer"], idem=idem)
    assert [e["leaf_hash"] for e in found] == [w.ids["d2"]]
    assert _all_pages(shared_client, "/api/v1/entries", signer=w.keys["overseer"].id, idem=idem) == []

    combined = _all_pages(shared_client, "/api/v1/entries", project=PROJECT, type="funds.disbursed")
    assert [e["amount"] for e in combined] == ["120.00", "30.00"]
    flagged = next(e for e in combined if e["leaf_hash"] == w.ids["p2"])
    assert flagged["last_verdict"] == "flagged" and flagged["last_verdict_by"] == w.ids["flag_p2"]


def test_entries_time_range(shared_client: TestClient, shared_world: World) -> None:
    ledger = shared_world.factory.ledger
    times = [json.loads(ledger.log.leaf(s))["time"] for s in range(ledger.log.head().size)]
    middle = times[len(times) // 2]
    since = _all_pages(shared_client, "/api/v1/entries", since=middle)
    assert [e["seq"] for e in since] == [s for s, t in enumerate(times) if t >= middle]
    until = _all_pages(shared_client, "/api/v1/entries", until=middle)
    assert [e["seq"] for e in until] == [s for s, t in enumerate(times) if t < middle]
    assert _all_pages(shared_client, "/api/v1/entries", since="2999-01-01") == []
    assert len(_all_pages(shared_client, "/api/v1/entries", since="2000-01-01T00:00:00+08:00")) == len(times)
    bad = shared_client.get("/api/v1/entries", params={"since": "last tuesday"})
    assert bad.status_code == 400 and bad.json()["code"] == "parameter_invalid"
    naive = shared_client.get("/api/v1/entries", params={"until": "2026-01-01T00:00:00"})
    assert naive.status_code == 400 and naive.json()["code"] == "parameter_invalid"


def test_entry_by_seq_and_by_hash(shared_client: TestClient, shared_world: World) -> None:
    w = shared_world
    seq = w.seqs["d2"]
    by_seq = shared_client.get(f"/api/v1/entries/{seq}").json()
    by_hash = shared_client.get(f"/api/v1/entries/by-hash/{w.ids['d2']}").json()
    assert by_seq == by_hash
    assert by_seq["leaf"]["body"]["data"]["receipt_no"] == "R-0002"
    assert by_seq["leaf"]["seq"] == seq
    assert by_seq["leaf"]["prev"] == merkle.leaf_hash(w.factory.ledger.log.leaf(seq - 1)).hex()
    for path, code in (
        ("/api/v1/entries/99999", "not_found"),
        (f"/api/v1/entries/by-hash/{'0' * 64}", "not_found"),
        ("/api/v1/entries/by-hash/xyz", "parameter_invalid"),
        ("/api/v1/entries/-3", "parameter_invalid"),
    ):
        response = shared_client.get(path)
        assert response.json()["code"] == code, path


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not a cursor"},
        {"cursor": "WyJ4Il0"},
        {"limit": 0},
        {"limit": 501},
        {"order": "sideways"},
        {"type": "Donation"},
        {"org": "x"},
        {"signer": "12"},
    ],
)
def test_entries_bad_parameters(shared_client: TestClient, params: dict[str, Any]) -> None:
    response = shared_client.get("/api/v1/entries", params=params)
    assert response.status_code == 400
    assert response.json()["code"] in ("cursor_invalid", "parameter_invalid")


# --- organisations and projects -------------------------------------------------------------


def test_organisations(shared_client: TestClient, shared_world: World) -> None:
    orgs = _all_pages(shared_client, "/api/v1/organisations", limit=2)
    codes = [o["org"] for o in orgs]
    assert codes == sorted(codes) and {FOUNDATION, SERVICE, OVERSIGHT} < set(codes)
    foundation = shared_client.get(f"/api/v1/organisations/{FOUNDATION}").json()
    assert foundation == next(o for o in orgs if o["org"] == FOUNDATION)
    assert foundation["legal_form"] == "foundation" and foundation["public_fundraising"] is True
    assert foundation["registered_seq"] == shared_world.seqs["org_foundation"]
    charities = _all_pages(shared_client, "/api/v1/organisations", public_fundraising="true")
    assert [o["org"] for o in charities] == [FOUNDATION]
    missing = shared_client.get("/api/v1/organisations/91440300MA5F00001X")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_project_figures(shared_client: TestClient, shared_world: World) -> None:
    p = shared_client.get(f"/api/v1/projects/{PROJECT}").json()
    assert p["fundraiser_org"] == FOUNDATION and p["implementers"] == [SERVICE] and p["overseers"] == [OVERSIGHT]
    assert p["target"] == "10000.00" and p["directed"] is True and p["plan"] is None and p["closing"] is None
    f = p["funds"]
    # donations 100.00 + 250.50 + 1000.00 restricted, 50.00 unrestricted; 300.00 allocated; 120 + 30 paid
    assert f == {
        "currency": "CNY",
        "raised": "1400.50",
        "raised_restricted": "1350.50",
        "raised_unrestricted": "50.00",
        "raised_in_kind": "0.00",
        "donations_count": 4,
        "allocated": "300.00",
        "allocated_restricted": "300.00",
        "allocated_unrestricted": "0.00",
        "available_restricted": "1050.50",
        "available_unrestricted": "50.00",
        "disbursed": "150.00",
        "disbursed_by_category": {"program": "120.00", "admin": "30.00", "fundraising_cost": "0.00"},
        "balance": "1250.50",
    }
    assert p["implementer_balances"] == [
        {"implementer": SERVICE, "allocated": "300.00", "disbursed": "150.00", "balance": "150.00"}
    ]


def test_projects_list_and_filters(shared_client: TestClient) -> None:
    all_projects = _all_pages(shared_client, "/api/v1/projects", limit=1)
    assert [p["project"] for p in all_projects] == sorted([PROJECT, OTHER_PROJECT])
    assert next(p for p in all_projects if p["project"] == OTHER_PROJECT)["funds"]["raised"] == "7.00"
    for params in (
        {"org": SERVICE},
        {"org": OVERSIGHT},
        {"fundraiser": FOUNDATION},
        {"implementer": SERVICE},
        {"status": "open"},
    ):
        assert len(_all_pages(shared_client, "/api/v1/projects", **params)) == 2, params
    assert _all_pages(shared_client, "/api/v1/projects", implementer=OVERSIGHT) == []
    assert _all_pages(shared_client, "/api/v1/projects", status="closed") == []
    assert shared_client.get("/api/v1/projects/NOPE").status_code == 404


# --- money flows ------------------------------------------------------------------------------


def test_donations(shared_client: TestClient, shared_world: World) -> None:
    w = shared_world
    donations = _all_pages(shared_client, "/api/v1/donations", project=PROJECT, limit=3)
    assert [d["id"] for d in donations] == [w.ids[n] for n in ("d1", "d2", "d3", "d4")]
    assert [d["amount"] for d in donations] == ["100.00", "250.50", "1000.00", "50.00"]
    assert [d["restricted"] for d in donations] == [True, True, True, False]
    assert all(isinstance(d["amount"], str) for d in donations)
    for d in donations:  # the public view: a commitment, no personal data
        assert "李四" not in json.dumps(d, ensure_ascii=False)
        assert len(d["commitment"]) == 64
    assert shared_client.get(f"/api/v1/donations/{w.ids['d2']}").json() == donations[1]
    assert len(_all_pages(shared_client, "/api/v1/donations", org=FOUNDATION)) == 5
    assert _all_pages(shared_client, "/api/v1/donations", org=SERVICE) == []
    desc = _all_pages(shared_client, "/api/v1/donations", order="desc", limit=2)
    assert [d["seq"] for d in desc] == sorted((d["seq"] for d in desc), reverse=True)


def test_allocations_disbursements_progress_attestations(shared_client: TestClient, shared_world: World) -> None:
    w = shared_world
    allocations = _all_pages(shared_client, "/api/v1/allocations", project=PROJECT)
    assert [(a["id"], a["amount"], a["implementer"], a["source"]) for a in allocations] == [
        (w.ids["a1"], "300.00", SERVICE, "restricted")
    ]
    assert _all_pages(shared_client, "/api/v1/allocations", org=SERVICE) == allocations
    assert shared_client.get(f"/api/v1/allocations/{w.ids['a1']}").json() == allocations[0]

    payments = _all_pages(shared_client, "/api/v1/disbursements", project=PROJECT)
    assert [(p["amount"], p["category"], p["evidence"]) for p in payments] == [
        ("120.00", "program", ["ab" * 32]),
        ("30.00", "admin", ["ab" * 32]),
    ]
    assert [p["id"] for p in _all_pages(shared_client, "/api/v1/disbursements", category="admin")] == [w.ids["p2"]]
    assert shared_client.get(f"/api/v1/disbursements/{w.ids['p1']}").json() == payments[0]

    reports = _all_pages(shared_client, "/api/v1/progress-reports", org=SERVICE)
    assert [(r["id"], r["beneficiaries"], r["summary"]) for r in reports] == [(w.ids["progress"], 12, "本周送餐 40 份")]
    assert shared_client.get(f"/api/v1/progress-reports/{w.ids['progress']}").json() == reports[0]

    verdicts = _all_pages(shared_client, "/api/v1/attestations", project=PROJECT)
    assert [(a["target"], a["verdict"], a["overseer_org"]) for a in verdicts] == [
        (w.ids["p1"], "approved", OVERSIGHT),
        (w.ids["p2"], "flagged", OVERSIGHT),
    ]
    assert [a["id"] for a in _all_pages(shared_client, "/api/v1/attestations", verdict="flagged")] == [w.ids["flag_p2"]]
    assert [a["id"] for a in _all_pages(shared_client, "/api/v1/attestations", target=w.ids["p1"])] == [
        w.ids["approve_p1"]
    ]
    assert shared_client.get(f"/api/v1/attestations/{w.ids['approve_p1']}").json() == verdicts[0]

    for path in ("allocations", "disbursements", "progress-reports", "attestations", "donations"):
        missing = shared_client.get(f"/api/v1/{path}/{'0' * 64}")
        assert missing.status_code == 404 and missing.json()["code"] == "not_found", path


# --- the trace of a donation ----------------------------------------------------------------


def _check_trace(body: dict[str, Any], ledger: Any, donation_id: str) -> None:
    checkpoint = verify_checkpoint(body["checkpoint"], log_vkey(ledger.log))
    proof = body["inclusion_proof"]
    assert proof["size"] == checkpoint.size and proof["index"] == body["donation"]["seq"]
    merkle.verify_inclusion(
        bytes.fromhex(donation_id),
        proof["index"],
        proof["size"],
        [bytes.fromhex(h) for h in proof["hashes"]],
        checkpoint.root,
    )


def test_trace_by_donation_id(shared_client: TestClient, shared_world: World) -> None:
    w = shared_world
    # FIFO over the restricted pot: the allocation of 300.00 takes d1 (100.00) then 200.00 of d2;
    # the implementer's payments (120.00 then 30.00) take the allocation's money in that order.
    d1 = shared_client.get(f"/api/v1/donations/{w.ids['d1']}/trace").json()
    assert (d1["allocated"], d1["unallocated"], d1["disbursed"], d1["undisbursed"]) == (
        "100.00",
        "0.00",
        "100.00",
        "0.00",
    )
    assert [(p["disbursement"], p["amount"]) for p in d1["disbursements"]] == [(w.ids["p1"], "100.00")]
    d2 = shared_client.get(f"/api/v1/donations/{w.ids['d2']}/trace").json()
    assert (d2["allocated"], d2["unallocated"], d2["disbursed"], d2["undisbursed"]) == (
        "200.00",
        "50.50",
        "50.00",
        "150.00",
    )
    assert [(p["disbursement"], p["amount"]) for p in d2["disbursements"]] == [
        (w.ids["p1"], "20.00"),
        (w.ids["p2"], "30.00"),
    ]
    assert [(a["allocation"], a["amount"]) for a in d2["allocations"]] == [(w.ids["a1"], "200.00")]
    _check_trace(d2, w.factory.ledger, w.ids["d2"])
    d4 = shared_client.get(f"/api/v1/donations/{w.ids['d4']}/trace").json()
    assert d4["pot"] == "unrestricted" and d4["unallocated"] == "50.00" and d4["allocations"] == []


def test_trace_by_receipt_code(factory, make_client) -> None:
    """The world's donations carry no receipt commitment (recorded before the field): the code is
    found only while the donor store holds its salt (the log-committed case: tests/site/test_receipts.py)."""
    from tests.api.world import build_world

    w = build_world(factory)
    client = make_client()
    store = DonorStore(factory.ledger.engine, load_privacy_key(factory.ledger.settings, create=True))
    seq = w.seqs["d2"]
    store.store(seq, DONOR, SALT)
    code = format_receipt_code(seq, SALT)

    def lookup(typed: str):
        return client.post("/api/v1/donations/by-receipt/trace", json={"code": typed})

    response = lookup(code)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["donation"]["id"] == w.ids["d2"] and body["disbursed"] == "50.00"
    _check_trace(body, factory.ledger, w.ids["d2"])
    # typed in lower case with spaces around: still found
    assert lookup(f" {code.lower()} ").status_code == 200
    # a code with another salt for the same seq is not this donor's receipt
    refused = lookup(format_receipt_code(seq, bytes(16)))
    assert refused.status_code == 404 and refused.json()["code"] == "receipt_not_found"
    # a mistyped character fails the check digit
    typo = code[:-3] + ("A" if code[-3] != "A" else "B") + code[-2:]
    assert lookup(typo).json()["code"] in ("receipt_code_checksum", "receipt_code_invalid")
    # a code for an entry that is not a donation
    assert lookup(format_receipt_code(w.seqs["a1"], SALT)).json()["code"] == "receipt_not_found"
    # the body is JSON with a code in it
    assert (
        client.post(
            "/api/v1/donations/by-receipt/trace", content=code, headers={"content-type": "text/plain"}
        ).status_code
        == 415
    )
    assert client.post("/api/v1/donations/by-receipt/trace", json={}).json()["code"] == "body_invalid"
    # once erased, nothing proves this (uncommitted) donation's code any more
    store.erase(seq)
    assert lookup(code).json()["code"] == "receipt_not_found"
