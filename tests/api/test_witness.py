"""POST /api/v1/log/add-checkpoint: witnesses hand the log their cosignatures (C2SP
tlog-witness request format), which the log then serves with its checkpoints."""

from __future__ import annotations

import time
from typing import Any

import pytest
from litestar.testing import TestClient

from ledger.protocol.checkpoint import (
    Checkpoint,
    cosign,
    format_witness_key,
    parse_witness_key,
    sign_checkpoint,
    verify_checkpoint,
    verify_cosignatures,
)
from ledger.protocol.keys import KeyPair
from ledger.protocol.note import NoteSigner, add_signatures, parse_note
from ledger.protocol.witness_protocol import build_add_checkpoint_request, parse_cosignature_response
from ledger.store.export import log_vkey
from tests.support.ledger_factory import LedgerFactory

WITNESS = KeyPair.from_seed(b"witness one")
WITNESS_NAME = "witness.example/one"
OTHER = KeyPair.from_seed(b"witness two")
OTHER_NAME = "witness.example/two"
WITNESS_KEY = format_witness_key(WITNESS_NAME, WITNESS.public)


@pytest.fixture
def wclient(factory: LedgerFactory, make_client: Any) -> TestClient:
    factory.with_genesis()
    factory.append_orgs(3)
    return make_client(witness_keys=(parse_witness_key(WITNESS_KEY),))


def _cosigned(note: str, pair: KeyPair = WITNESS, name: str = WITNESS_NAME, at: int | None = None) -> str:
    text = parse_note(note).text
    return add_signatures(note, [cosign(text, pair, name, at or int(time.time()))])


def _post(client: TestClient, old: int, proof: list[bytes], note: str, content_type: str = "text/plain; charset=utf-8"):
    body = build_add_checkpoint_request(old, proof, note)
    return client.post("/api/v1/log/add-checkpoint", content=body, headers={"content-type": content_type})


def test_cosignature_is_stored_and_served(factory: LedgerFactory, wclient: TestClient) -> None:
    log = factory.ledger.log
    note = log.latest_checkpoint()
    size = verify_checkpoint(note, log_vkey(log)).size
    response = _post(wclient, 0, [], _cosigned(note, at=1_790_000_000))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    (line,) = parse_cosignature_response(response.content)
    assert line.name == WITNESS_NAME
    assert log.cosignatures(size) == [line.line().rstrip("\n")]

    served = wclient.get("/api/v1/log/checkpoint").text
    assert verify_checkpoint(served, log_vkey(log)).size == size  # still the log's valid note
    assert verify_cosignatures(served, [WITNESS_KEY]) == [(WITNESS_NAME, 1_790_000_000)]
    assert verify_cosignatures(wclient.get(f"/api/v1/log/checkpoint/{size}").text, [WITNESS_KEY])
    # a retry of the same request stores nothing new and answers the same line
    again = _post(wclient, 0, [], _cosigned(note, at=1_790_000_000))
    assert again.status_code == 200 and again.content == response.content


def test_old_size_must_be_the_witness_latest(factory: LedgerFactory, wclient: TestClient) -> None:
    log = factory.ledger.log
    first = log.latest_checkpoint()
    first_size = verify_checkpoint(first, log_vkey(log)).size
    assert _post(wclient, 0, [], _cosigned(first)).status_code == 200
    factory.append_orgs(3, start=100)
    second = log.latest_checkpoint()
    second_size = verify_checkpoint(second, log_vkey(log)).size

    stale = _post(wclient, 0, [], _cosigned(second))
    assert stale.status_code == 409
    assert stale.headers.get_list("content-type") == ["text/x.tlog.size"]  # byte for byte: no charset
    assert stale.text == f"{first_size}\n"
    assert log.cosignatures(second_size) == []

    proof = log.consistency_proof(first_size, second_size)
    ok = _post(wclient, first_size, proof, _cosigned(second))
    assert ok.status_code == 200, ok.text
    assert len(log.cosignatures(second_size)) == 1

    # a wrong consistency proof from the witness's latest size is refused
    factory.append_orgs(2, start=200)
    third = log.latest_checkpoint()
    third_size = verify_checkpoint(third, log_vkey(log)).size
    bad_proof = [bytes(32)] * len(log.consistency_proof(second_size, third_size))
    refused = _post(wclient, second_size, bad_proof, _cosigned(third))
    assert refused.status_code == 422 and refused.json()["code"] == "witness_inconsistent_proof"
    assert log.cosignatures(third_size) == []


def test_untrusted_witness_is_forbidden(factory: LedgerFactory, wclient: TestClient) -> None:
    log = factory.ledger.log
    note = log.latest_checkpoint()
    response = _post(wclient, 0, [], _cosigned(note, OTHER, OTHER_NAME))
    assert response.status_code == 403 and response.json()["code"] == "witness_unknown_key"
    bare = _post(wclient, 0, [], note)  # the log's own signature only
    assert bare.status_code == 403 and bare.json()["code"] == "witness_unknown_key"
    size = verify_checkpoint(note, log_vkey(log)).size
    assert log.cosignatures(size) == []


def test_forged_cosignature_is_forbidden(factory: LedgerFactory, wclient: TestClient) -> None:
    log = factory.ledger.log
    note = log.latest_checkpoint()
    text = parse_note(note).text
    line = cosign(text, WITNESS, WITNESS_NAME, 1_790_000_000)
    name, _, b64sig = line.rstrip("\n").rpartition(" ")
    import base64

    raw = bytearray(base64.b64decode(b64sig))
    raw[-1] ^= 1
    forged = add_signatures(note, [f"{name} {base64.b64encode(bytes(raw)).decode()}\n"])
    response = _post(wclient, 0, [], forged)
    assert response.status_code == 403 and response.json()["code"] == "note_bad_signature"


def test_checkpoint_not_signed_by_this_log(factory: LedgerFactory, wclient: TestClient) -> None:
    log = factory.ledger.log
    real = Checkpoint.parse(parse_note(log.latest_checkpoint()).text)
    impostor = NoteSigner(log.origin, KeyPair.from_seed(b"impostor"))
    fake = sign_checkpoint(Checkpoint(real.origin, real.size, bytes(32)), impostor)
    response = _post(wclient, 0, [], _cosigned(fake))
    assert response.status_code == 403 and response.json()["code"] == "note_unverified"
    elsewhere = sign_checkpoint(
        Checkpoint("other.example/log", 1, bytes(32)), NoteSigner("other.example/log", KeyPair.from_seed(b"o"))
    )
    response = _post(wclient, 0, [], _cosigned(elsewhere))
    assert response.status_code == 404 and response.json()["code"] == "witness_unknown_log"


@pytest.mark.parametrize(
    "body",
    [b"", b"old 0\n", b"old x\n\nfoo\n", b"new 0\n\n" + b"a\n", b"old 01\n\nx\n\n\xe2\x80\x94 a b\n", b"\xff\xfe"],
)
def test_malformed_requests(wclient: TestClient, body: bytes) -> None:
    response = wclient.post("/api/v1/log/add-checkpoint", content=body, headers={"content-type": "text/plain"})
    assert response.status_code == 400, response.text
    assert response.json()["code"] in ("witness_request_invalid", "note_malformed", "checkpoint_invalid")


def test_wrong_media_type_and_no_witnesses_configured(
    factory: LedgerFactory, wclient: TestClient, make_client: Any
) -> None:
    note = factory.ledger.log.latest_checkpoint()
    assert _post(wclient, 0, [], _cosigned(note), content_type="application/json").status_code == 415
    no_witnesses = make_client()
    response = _post(no_witnesses, 0, [], _cosigned(note))
    assert response.status_code == 403 and response.json()["code"] == "witness_unknown_key"


NOW = 1_790_000_000  # the log's clock in the tests below (seconds since 1970)


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> int:
    import api.controllers.log

    monkeypatch.setattr(api.controllers.log, "wall_clock", lambda: NOW)
    return NOW


@pytest.mark.parametrize(
    ("at", "why"), [(0, "zero"), (NOW + 601, "601 seconds in the future"), (2**62, "in the future")]
)
def test_cosignature_dated_zero_or_far_ahead_is_refused(factory, wclient, fixed_clock, at, why) -> None:
    log = factory.ledger.log
    note = log.latest_checkpoint()
    size = verify_checkpoint(note, log_vkey(log)).size
    text = parse_note(note).text
    response = _post(wclient, 0, [], add_signatures(note, [cosign(text, WITNESS, WITNESS_NAME, at)]))
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "cosignature_time_invalid"
    assert why in response.json()["detail"] or why in response.text
    assert log.cosignatures(size) == []


def test_cosignature_up_to_ten_minutes_ahead_is_accepted(factory, wclient, fixed_clock) -> None:
    log = factory.ledger.log
    note = log.latest_checkpoint()
    size = verify_checkpoint(note, log_vkey(log)).size
    assert _post(wclient, 0, [], _cosigned(note, at=NOW + 600)).status_code == 200
    assert len(log.cosignatures(size)) == 1


def test_a_stored_cosignature_is_never_replaced_by_an_older_one(factory, wclient, fixed_clock) -> None:
    log = factory.ledger.log
    note = log.latest_checkpoint()
    size = verify_checkpoint(note, log_vkey(log)).size
    assert _post(wclient, 0, [], _cosigned(note, at=NOW - 10)).status_code == 200
    (newer,) = log.cosignatures(size)
    older = _post(wclient, size, [], _cosigned(note, at=NOW - 20))  # old = the size it cosigned
    assert older.status_code == 409 and older.json()["code"] == "cosignature_older", older.text
    assert log.cosignatures(size) == [newer]
    # a later one does replace it
    assert _post(wclient, size, [], _cosigned(note, at=NOW - 5)).status_code == 200
    (latest,) = log.cosignatures(size)
    assert latest != newer
    served = wclient.get(f"/api/v1/log/checkpoint/{size}").text
    assert verify_cosignatures(served, [WITNESS_KEY]) == [(WITNESS_NAME, NOW - 5)]
