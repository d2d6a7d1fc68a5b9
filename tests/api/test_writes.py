"""Signed writes over HTTP: appends with proofs, idempotent retries, atomic batches, and every
kind of bad input answered with a problem and nothing written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient

from ledger.errors import LedgerError
from ledger.protocol import merkle
from ledger.protocol.checkpoint import verify_checkpoint
from ledger.protocol.keys import KeyPair
from ledger.store.export import log_vkey
from tests.api.conftest import log_state
from tests.api.world import FOUNDATION, PROJECT, allocation, build_people, donation, key, org, project
from tests.support.ledger_factory import LedgerFactory
from tests.support.world import grant_data


def _verify_append(body: dict[str, Any], ledger: Any, entry_json: dict[str, Any]) -> None:
    """The answer's proof shows the entry's leaf in the signed checkpoint it carries."""
    checkpoint = verify_checkpoint(body["checkpoint"], log_vkey(ledger.log))
    proof = body["inclusion_proof"]
    assert proof["index"] == body["seq"] and proof["size"] == checkpoint.size
    leaf = ledger.log.leaf(body["seq"])
    assert json.loads(leaf)["body"] == entry_json["body"]
    assert merkle.leaf_hash(leaf).hex() == body["leaf_hash"]
    merkle.verify_inclusion(
        bytes.fromhex(body["leaf_hash"]),
        body["seq"],
        checkpoint.size,
        [bytes.fromhex(h) for h in proof["hashes"]],
        checkpoint.root,
    )


def test_append_then_idempotent_retry(factory: LedgerFactory, client: TestClient) -> None:
    ledger = factory.with_genesis()
    entry = factory.org_entry(1).to_json()
    first = client.post("/api/v1/entries", json=entry)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["existing"] is False and body["seq"] == 1
    _verify_append(body, ledger, entry)
    assert log_state(ledger)[0] == 2

    again = client.post("/api/v1/entries", json=entry)
    assert again.status_code == 200
    assert again.json()["existing"] is True
    assert (again.json()["seq"], again.json()["leaf_hash"]) == (body["seq"], body["leaf_hash"])
    assert log_state(ledger)[0] == 2
    org_view = client.get(f"/api/v1/organisations/{entry['body']['data']['org']}").json()
    assert org_view["name_zh"] == entry["body"]["data"]["name_zh"] and org_view["registered_seq"] == 1


def test_any_json_spacing_and_key_order_is_accepted(factory: LedgerFactory, client: TestClient) -> None:
    """The signature is over the canonical form: how the client spaces its JSON does not matter."""
    factory.with_genesis()
    entry = factory.org_entry(2).to_json()
    raw = json.dumps(
        {"sig": entry["sig"], "body": dict(reversed(list(entry["body"].items())))}, indent=3, ensure_ascii=True
    )
    response = client.post(
        "/api/v1/entries", content=raw.encode(), headers={"content-type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 201, response.text


def test_batch_is_atomic_and_keeps_order(factory: LedgerFactory, client: TestClient) -> None:
    ledger = factory.with_genesis()
    entries = [factory.org_entry(n).to_json() for n in range(10, 15)]
    response = client.post("/api/v1/entries/batch", json=entries)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["size"] == 6 and [i["seq"] for i in body["items"]] == [1, 2, 3, 4, 5]
    checkpoint = verify_checkpoint(body["checkpoint"], log_vkey(ledger.log))
    for item in body["items"]:
        merkle.verify_inclusion(
            bytes.fromhex(item["leaf_hash"]),
            item["seq"],
            checkpoint.size,
            [bytes.fromhex(h) for h in item["inclusion_proof"]["hashes"]],
            checkpoint.root,
        )
    # the same batch again: every entry is a retry
    again = client.post("/api/v1/entries/batch", json=entries)
    assert again.status_code == 200
    assert all(i["existing"] for i in again.json()["items"])
    assert log_state(ledger)[0] == 6


def test_batch_with_a_refused_entry_writes_nothing(factory: LedgerFactory, client: TestClient) -> None:
    ledger = factory.with_genesis()
    before = log_state(ledger)
    entries = [factory.org_entry(n).to_json() for n in range(20, 24)]
    entries[2] = factory.sign(KeyPair.from_seed(b"nobody"), "org.registered", entries[2]["body"]["data"]).to_json()
    response = client.post("/api/v1/entries/batch", json=entries)
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "batch_entry_refused"
    assert problem["params"]["position"] == 2 and problem["params"]["code"] == "unknown_signer"
    assert log_state(ledger) == before
    assert client.get("/api/v1/organisations").json()["items"][0]["is_registrar"] is True
    assert len(client.get("/api/v1/organisations").json()["items"]) == 1


@pytest.mark.parametrize(("size", "code"), [(0, "batch_empty"), (1001, "batch_too_large")])
def test_batch_size_limits(factory: LedgerFactory, client: TestClient, size: int, code: str) -> None:
    ledger = factory.with_genesis()
    before = log_state(ledger)
    entry = factory.org_entry(1).to_json()
    response = client.post("/api/v1/entries/batch", json=[entry] * size)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert log_state(ledger) == before


def test_entries_of_a_batch_may_depend_on_each_other(factory: LedgerFactory, client: TestClient) -> None:
    """A key granted at position 1 signs at position 2 of the same batch."""
    ledger = factory.with_genesis()
    admin = key("batch-admin")
    entries = [
        factory.sign(factory.registrar, "org.registered", org(FOUNDATION, "基金会", "foundation", True)).to_json(),
        factory.sign(
            factory.registrar,
            "key.granted",
            grant_data(admin, "org_admin", FOUNDATION, "admin"),
        ).to_json(),
        factory.sign(
            admin,
            "key.granted",
            grant_data(key("batch-fr"), "fundraiser", FOUNDATION, "fr"),
        ).to_json(),
    ]
    response = client.post("/api/v1/entries/batch", json=entries)
    assert response.status_code == 201, response.text
    assert log_state(ledger)[0] == 4


# --- bad input: a problem, and the log unchanged ----------------------------------------------


def _post_raw(client: TestClient, body: bytes, content_type: str = "application/json", path: str = "/api/v1/entries"):
    return client.post(path, content=body, headers={"content-type": content_type})


def _assert_refused(response: Any, status: int, code: str, ledger: Any, before: tuple[int, bytes]) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == code
    assert problem["status"] == status
    assert problem["type"] == f"/api/v1/problems/{code}"
    assert problem["instance"].startswith("/api/v1/")
    assert problem["detail"] and problem["message_zh"]
    assert log_state(ledger) == before, "a refused write changed the log"
    return problem


@pytest.mark.parametrize("path", ["/api/v1/entries", "/api/v1/entries/batch"])
@pytest.mark.parametrize(
    "raw",
    [b"{", b'{"body": }', b"", b"\xff\xfe", b'{"body": {}, "sig": NaN}'],
    ids=["truncated", "syntax", "empty", "not-utf8", "nan"],
)
def test_malformed_json(factory: LedgerFactory, client: TestClient, path: str, raw: bytes) -> None:
    ledger = factory.with_genesis()
    before = log_state(ledger)
    _assert_refused(_post_raw(client, raw, path=path), 400, "malformed_json", ledger, before)


def test_duplicate_keys_are_malformed(factory: LedgerFactory, client: TestClient) -> None:
    ledger = factory.with_genesis()
    before = log_state(ledger)
    entry = factory.org_entry(3).to_json()
    raw = json.dumps(entry)[:-1] + ', "sig": "' + entry["sig"] + '"}'
    _assert_refused(_post_raw(client, raw.encode()), 400, "malformed_json", ledger, before)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1", ""]
)
def test_wrong_content_type(factory: LedgerFactory, client: TestClient, content_type: str) -> None:
    ledger = factory.with_genesis()
    before = log_state(ledger)
    raw = json.dumps(factory.org_entry(4).to_json()).encode()
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/api/v1/entries", content=raw, headers=headers)
    _assert_refused(response, 415, "unsupported_media_type", ledger, before)


def test_oversized_body(factory: LedgerFactory, make_client: Any) -> None:
    ledger = factory.with_genesis()
    client = make_client(max_entry_bytes=4096, max_batch_bytes=8192)
    before = log_state(ledger)
    entry = factory.org_entry(5).to_json()
    padded = json.dumps(entry) + " " * 5000
    problem = _assert_refused(_post_raw(client, padded.encode()), 413, "request_too_large", ledger, before)
    assert problem["params"]["limit"] == 4096
    big_batch = json.dumps([entry] * 40).encode()
    _assert_refused(
        _post_raw(client, big_batch, path="/api/v1/entries/batch"), 413, "request_too_large", ledger, before
    )


def test_oversized_body_without_content_length(factory: LedgerFactory, make_client: Any) -> None:
    """A chunked body is cut at the app-wide limit as it streams in."""
    ledger = factory.with_genesis()
    client = make_client(max_entry_bytes=1024, max_batch_bytes=2048)
    before = log_state(ledger)

    def chunks():
        yield b'{"body": "'
        for _ in range(100):
            yield b"x" * 100
        yield b'"}'

    response = client.post("/api/v1/entries", content=chunks(), headers={"content-type": "application/json"})
    _assert_refused(response, 413, "request_too_large", ledger, before)


def test_unknown_signer(factory: LedgerFactory, client: TestClient) -> None:
    ledger = factory.with_genesis()
    before = log_state(ledger)
    stranger = KeyPair.from_seed(b"stranger")
    entry = factory.sign(stranger, "org.registered", factory.org_entry(6).body["data"])
    problem = _assert_refused(
        client.post("/api/v1/entries", json=entry.to_json()), 422, "unknown_signer", ledger, before
    )
    assert problem["params"]["signer"] == stranger.id


def test_bad_signature(factory: LedgerFactory, client: TestClient) -> None:
    ledger = factory.with_genesis()
    before = log_state(ledger)
    entry = factory.org_entry(7).to_json()
    entry["body"]["data"]["name_zh"] = "改过的名字"  # signed over the old name
    _assert_refused(client.post("/api/v1/entries", json=entry), 422, "bad_signature", ledger, before)


def test_replayed_idem_with_another_body(factory: LedgerFactory, client: TestClient) -> None:
    ledger = factory.with_genesis()
    first = factory.org_entry(8)
    assert client.post("/api/v1/entries", json=first.to_json()).status_code == 201
    before = log_state(ledger)
    other = factory.sign(factory.registrar, "org.registered", factory.org_entry(9).body["data"], idem=first.idem)
    problem = _assert_refused(
        client.post("/api/v1/entries", json=other.to_json()), 409, "idem_conflict", ledger, before
    )
    assert problem["params"]["seq"] == 1


def test_entry_signed_for_another_log(factory: LedgerFactory, client: TestClient) -> None:
    ledger = factory.with_genesis()
    before = log_state(ledger)
    entry = factory.sign(
        factory.registrar, "org.registered", factory.org_entry(10).body["data"], log="other.example/log"
    )
    _assert_refused(client.post("/api/v1/entries", json=entry.to_json()), 422, "wrong_log", ledger, before)


def test_clock_far_off(factory: LedgerFactory, client: TestClient) -> None:
    ledger = factory.with_genesis()
    before = log_state(ledger)
    entry = factory.sign(
        factory.registrar, "org.registered", factory.org_entry(11).body["data"], at="2020-01-01T00:00:00.000Z"
    )
    _assert_refused(client.post("/api/v1/entries", json=entry.to_json()), 422, "clock_skew", ledger, before)


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda e: e.pop("sig"), "body_invalid"),
        (lambda e: e.update(extra=1), "body_invalid"),
        (lambda e: e.update(sig="not base64!"), "body_invalid"),
        (lambda e: e["body"].pop("idem"), "body_invalid"),
        (lambda e: e["body"].update(v=2), "body_invalid"),
        (lambda e: e["body"].update(at="yesterday"), "body_invalid"),
        (lambda e: e["body"].update(signer="XYZ"), "body_invalid"),
        (lambda e: e.update(body=[1, 2]), "body_invalid"),
    ],
)
def test_malformed_submissions(factory: LedgerFactory, client: TestClient, mutate: Any, code: str) -> None:
    ledger = factory.with_genesis()
    before = log_state(ledger)
    entry = factory.org_entry(12).to_json()
    mutate(entry)
    _assert_refused(client.post("/api/v1/entries", json=entry), 400, code, ledger, before)


def test_a_float_amount_is_refused_by_the_domain(factory: LedgerFactory, client: TestClient) -> None:
    world = build_people(factory)
    client.post("/api/v1/entries", json=world.sign("fundraiser", "project.registered", project(PROJECT)).to_json())
    before = log_state(factory.ledger)
    data = donation(PROJECT, "10.00")
    data["amount"] = 10.5
    entry = world.sign("fundraiser", "donation.received", data)
    problem = _assert_refused(
        client.post("/api/v1/entries", json=entry.to_json()), 400, "data_invalid", factory.ledger, before
    )
    assert problem["params"]["field"] == "amount"


def test_personal_data_in_a_note_is_refused_without_echoing_it(factory: LedgerFactory, client: TestClient) -> None:
    world = build_people(factory)
    client.post("/api/v1/entries", json=world.sign("fundraiser", "project.registered", project(PROJECT)).to_json())
    before = log_state(factory.ledger)
    data = donation(PROJECT, "10.00")
    data["note"] = "张三捐赠，联系电话 13912345678"
    entry = world.sign("fundraiser", "donation.received", data)
    response = client.post("/api/v1/entries", json=entry.to_json())
    problem = _assert_refused(response, 400, "personal_data_in_text", factory.ledger, before)
    assert (problem["params"]["field"], problem["params"]["kind"]) == ("note", "phone")
    assert "13912345678" not in response.text and "张三" not in response.text


def test_money_rules_refuse_over_allocation(factory: LedgerFactory, client: TestClient) -> None:
    world = build_people(factory)
    for entry in (
        world.sign("fundraiser", "project.registered", project(PROJECT)),
        world.sign("fundraiser", "donation.received", donation(PROJECT, "100.00")),
    ):
        assert client.post("/api/v1/entries", json=entry.to_json()).status_code == 201
    before = log_state(factory.ledger)
    over = world.sign("fundraiser", "funds.allocated", allocation(PROJECT, "100.01"))
    problem = _assert_refused(
        client.post("/api/v1/entries", json=over.to_json()), 422, "insufficient_funds", factory.ledger, before
    )
    assert "100.01" in problem["detail"] and problem["message_zh"]
    fund = client.get(f"/api/v1/projects/{PROJECT}").json()["funds"]
    assert fund["raised"] == "100.00" and fund["allocated"] == "0.00"


# --- rate limit -----------------------------------------------------------------------------


def test_writes_are_rate_limited_per_address(factory: LedgerFactory, make_client: Any) -> None:
    ledger = factory.with_genesis()
    client = make_client(write_rate=0.01, write_burst=2)
    entries = [factory.org_entry(n).to_json() for n in range(30, 33)]
    assert client.post("/api/v1/entries", json=entries[0]).status_code == 201
    assert client.post("/api/v1/entries", json=entries[1]).status_code == 201
    before = log_state(ledger)
    limited = client.post("/api/v1/entries", json=entries[2])
    problem = _assert_refused(limited, 429, "rate_limited", ledger, before)
    assert int(limited.headers["retry-after"]) >= 1
    assert problem["params"]["client"] == "testclient"
    # reads are not limited
    assert client.get("/api/v1/log/checkpoint").status_code == 200


def test_exempt_addresses_are_not_limited() -> None:
    import ipaddress

    from api.config import ApiSettings
    from api.security import RateLimiter

    settings = ApiSettings(write_rate=0.01, write_burst=1, rate_limit_exempt=(ipaddress.ip_network("127.0.0.0/8"),))
    limiter = RateLimiter(settings)
    for _ in range(50):
        limiter.check("127.0.0.1")
    limiter.check("192.0.2.1")
    with pytest.raises(Exception) as info:
        limiter.check("192.0.2.1")
    assert info.value.code == "rate_limited"


def test_rate_limiter_refills(monkeypatch: pytest.MonkeyPatch) -> None:
    import limits.storage.memory

    from api.config import ApiSettings
    from api.security import RateLimiter

    moment = [1_000_000.0]
    monkeypatch.setattr(limits.storage.memory, "time", type("Clock", (), {"time": staticmethod(lambda: moment[0])}))
    limiter = RateLimiter(ApiSettings(write_rate=2.0, write_burst=2))  # 2 writes in any 1 s
    limiter.check("10.0.0.1")
    moment[0] += 0.5
    limiter.check("10.0.0.1")
    with pytest.raises(Exception) as info:
        limiter.check("10.0.0.1")
    assert info.value.code == "rate_limited"
    limiter.check("10.0.0.2")  # another address has its own count
    moment[0] += 0.6  # the first write left the window
    limiter.check("10.0.0.1")
    with pytest.raises(LedgerError):
        limiter.check("10.0.0.1")


def test_rate_limit_is_shared_by_api_processes_through_redis(redis_url: str) -> None:
    """Two API processes (two limiters) on one Redis share each address's count: a client that
    spreads its writes over the workers gets the rate once, not once per worker."""
    import uuid

    from api.config import ApiSettings
    from api.security import RateLimiter

    settings = ApiSettings(write_rate=0.01, write_burst=3, rate_limit_store=redis_url)
    first, second = RateLimiter(settings), RateLimiter(settings)
    host = f"198.51.100.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:8]}"  # a count no other run touched
    first.check(host)
    second.check(host)
    first.check(host)
    with pytest.raises(Exception) as info:
        second.check(host)
    assert info.value.code == "rate_limited" and 1 <= int(info.value.headers["Retry-After"]) <= 300


def test_rate_limit_store_down_lets_writes_through(caplog: pytest.LogCaptureFixture) -> None:
    from api.config import ApiSettings
    from api.security import RateLimiter

    limiter = RateLimiter(ApiSettings(write_rate=0.01, write_burst=1, rate_limit_store="redis://127.0.0.1:1/0"))
    limiter.check("192.0.2.9")
    limiter.check("192.0.2.9")  # not refused: the count could not be kept
    assert "rate limit store redis://127.0.0.1:1/0 unreachable" in caplog.text


def test_rate_limit_store_setting_is_checked() -> None:
    from api.config import from_env

    assert (
        from_env({"CHARITY_LEDGER_RATE_LIMIT_STORE": "redis://10.0.0.5:6379/2"}).rate_limit_store
        == "redis://10.0.0.5:6379/2"
    )
    assert from_env({}).rate_limit_store == "memory://"
    with pytest.raises(ValueError, match="CHARITY_LEDGER_RATE_LIMIT_STORE"):
        from_env({"CHARITY_LEDGER_RATE_LIMIT_STORE": "mongodb://x"})


# --- concurrent single submissions share transactions (api.coalescer) ------------------------


def test_concurrent_submissions_are_each_judged_and_proven(factory: LedgerFactory) -> None:
    import asyncio

    import httpx

    from api.config import ApiSettings
    from ledger.cli.app import create_app

    ledger = factory.with_genesis()
    good = [factory.org_entry(n).to_json() for n in range(40, 100)]
    bad = factory.org_entry(100).to_json()
    bad["body"]["data"]["name_zh"] = "tampered"
    submissions = [*good[:30], bad, *good[30:]]

    async def run() -> list[Any]:
        # httpx's ASGI transport runs the requests concurrently in this event loop
        app = create_app(ledger, api_settings=ApiSettings(write_rate=0))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return await asyncio.gather(*(client.post("/api/v1/entries", json=s) for s in submissions))

    responses = asyncio.run(run())
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == len(good) and statuses[30] == 422
    assert responses[30].json()["code"] == "bad_signature"
    bodies = [r.json() for r in responses if r.status_code == 201]
    assert sorted(b["seq"] for b in bodies) == list(range(1, len(good) + 1))
    for entry, body in zip(good, bodies, strict=True):
        _verify_append(body, ledger, entry)
    assert log_state(ledger)[0] == len(good) + 1
    # fewer checkpoints than appends: requests that came in together were committed together
    assert len(ledger.log.checkpoint_sizes(limit=10_000)) < len(good) + 2


def _bad_sig(entry: dict[str, Any]) -> dict[str, Any]:
    """The same entry with a signature that does not verify (one bit of S changed)."""
    import base64

    raw = bytearray(base64.b64decode(entry["sig"]))
    raw[40] ^= 1
    return {"body": entry["body"], "sig": base64.b64encode(bytes(raw)).decode()}


def test_a_retry_with_a_bad_signature_is_refused_not_answered_existing(factory: LedgerFactory, client: TestClient):
    ledger = factory.with_genesis()
    entry = factory.org_entry(3).to_json()
    assert client.post("/api/v1/entries", json=entry).status_code == 201
    size = log_state(ledger)[0]
    forged = client.post("/api/v1/entries", json=_bad_sig(entry))
    assert forged.status_code in (400, 403, 422) and forged.json()["code"] == "bad_signature", forged.text
    # the reviewer's forgery (identity R, S = 0) as a retry is refused too
    import base64

    identity_sig = base64.b64encode(bytes([1]) + bytes(63)).decode()
    forged_retry = client.post("/api/v1/entries", json={"body": entry["body"], "sig": identity_sig})
    assert forged_retry.json()["code"] == "bad_signature"
    batch = client.post("/api/v1/entries/batch", json=[_bad_sig(entry)])
    assert batch.json()["code"] in ("bad_signature", "batch_entry_refused"), batch.text
    assert "bad_signature" in batch.text
    assert log_state(ledger)[0] == size
    # the genuine retry is still answered with the stored entry
    again = client.post("/api/v1/entries", json=entry)
    assert again.status_code == 200 and again.json()["existing"] is True
