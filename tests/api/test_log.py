"""The log's public endpoints: checkpoints, proofs verified against the signed roots, leaves."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from ledger.protocol import merkle
from ledger.protocol.checkpoint import verify_checkpoint
from ledger.protocol.entry import parse_leaf
from ledger.protocol.verify import verify_log
from ledger.services.remote import LogClient
from ledger.store.export import log_vkey
from tests.api.world import World


def _checkpoint(client: TestClient, path: str = "/api/v1/log/checkpoint"):
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    vkey = client.get("/api/v1/log/vkey").text.strip()
    return verify_checkpoint(response.text, vkey), response.text


def test_checkpoint_and_vkey_verify(shared_client: TestClient, shared_world: World) -> None:
    ledger = shared_world.factory.ledger
    vkey = shared_client.get("/api/v1/log/vkey")
    assert vkey.status_code == 200
    assert vkey.text == log_vkey(ledger.log) + "\n"
    checkpoint, note = _checkpoint(shared_client)
    head = ledger.log.head()
    assert checkpoint.origin == ledger.settings.origin
    assert (checkpoint.size, checkpoint.root) == (head.size, head.root)
    assert note == ledger.log.latest_checkpoint()  # no witness cosigned yet: exactly the log's note


def test_checkpoint_at_size_and_list(shared_client: TestClient, shared_world: World) -> None:
    ledger = shared_world.factory.ledger
    checkpoint, _ = _checkpoint(shared_client, "/api/v1/log/checkpoint/5")
    assert checkpoint.size == 5
    assert checkpoint.root == ledger.log.root_at(5)
    missing = shared_client.get("/api/v1/log/checkpoint/100000")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"

    sizes: list[int] = []
    cursor = None
    while True:
        params = {"limit": 7} | ({"cursor": cursor} if cursor else {})
        body = shared_client.get("/api/v1/log/checkpoints", params=params).json()
        assert len(body["items"]) <= 7
        sizes += [item["size"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sizes == sorted(ledger.log.checkpoint_sizes(limit=10_000), reverse=True)
    assert sizes[0] == ledger.log.head().size and sizes[-1] == 0


@pytest.mark.parametrize("by", ["index", "leaf_hash"])
def test_inclusion_proofs_verify_against_the_signed_root(
    shared_client: TestClient, shared_world: World, by: str
) -> None:
    ledger = shared_world.factory.ledger
    checkpoint, _ = _checkpoint(shared_client)
    for seq in range(checkpoint.size):
        leaf = ledger.log.leaf(seq)
        leaf_hash = merkle.leaf_hash(leaf)
        params = {"index": seq} if by == "index" else {"leaf_hash": leaf_hash.hex()}
        response = shared_client.get("/api/v1/log/proof/inclusion", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"index", "size", "hashes"}
        assert (body["index"], body["size"]) == (seq, checkpoint.size)
        merkle.verify_inclusion(
            leaf_hash, seq, checkpoint.size, [bytes.fromhex(h) for h in body["hashes"]], checkpoint.root
        )


def test_inclusion_proof_at_an_older_size(shared_client: TestClient, shared_world: World) -> None:
    old, _ = _checkpoint(shared_client, "/api/v1/log/checkpoint/9")
    leaf_hash = merkle.leaf_hash(shared_world.factory.ledger.log.leaf(4))
    body = shared_client.get("/api/v1/log/proof/inclusion", params={"index": 4, "size": 9}).json()
    merkle.verify_inclusion(leaf_hash, 4, 9, [bytes.fromhex(h) for h in body["hashes"]], old.root)


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({}, 400, "parameter_invalid"),
        ({"index": 1, "leaf_hash": "ab" * 32}, 400, "parameter_invalid"),
        ({"index": 10_000}, 400, "size_out_of_range"),
        ({"index": 3, "size": 3}, 400, "size_out_of_range"),
        ({"index": 0, "size": 10_000}, 400, "size_out_of_range"),
        ({"leaf_hash": "ab" * 32}, 404, "not_found"),
        ({"leaf_hash": "AB" * 32}, 400, "parameter_invalid"),
        ({"index": -1}, 400, "parameter_invalid"),
        ({"index": "x"}, 400, "parameter_invalid"),
    ],
)
def test_inclusion_proof_bad_requests(shared_client: TestClient, params: dict, status: int, code: str) -> None:
    response = shared_client.get("/api/v1/log/proof/inclusion", params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


def test_consistency_proofs_verify(shared_client: TestClient, shared_world: World) -> None:
    ledger = shared_world.factory.ledger
    size = ledger.log.head().size
    for first in (0, 1, 2, 5, 8, size):
        second = size
        body = shared_client.get("/api/v1/log/proof/consistency", params={"first": first, "second": second}).json()
        assert (body["first"], body["second"]) == (first, second)
        merkle.verify_consistency(
            first, second, ledger.log.root_at(first), ledger.log.head().root, [bytes.fromhex(h) for h in body["hashes"]]
        )
    bad = shared_client.get("/api/v1/log/proof/consistency", params={"first": 5, "second": 3})
    assert bad.status_code == 400 and bad.json()["code"] == "size_out_of_range"
    beyond = shared_client.get("/api/v1/log/proof/consistency", params={"first": 1, "second": size + 1})
    assert beyond.status_code == 400 and beyond.json()["code"] == "size_out_of_range"
    missing = shared_client.get("/api/v1/log/proof/consistency", params={"first": 1})
    assert missing.status_code == 400 and missing.json()["code"] == "parameter_invalid"


def test_leaves_are_the_stored_bytes(shared_client: TestClient, shared_world: World) -> None:
    ledger = shared_world.factory.ledger
    size = ledger.log.head().size
    response = shared_client.get("/api/v1/log/entries", params={"start": 2, "end": 9})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert response.headers["x-log-tree-size"] == str(size)
    assert response.content == b"".join(ledger.log.leaf(s) + b"\n" for s in range(2, 9))
    leaves = [parse_leaf(line) for line in response.content.splitlines()]
    assert [leaf.seq for leaf in leaves] == list(range(2, 9))
    # past the end of the tree: the answer stops at the tree size
    tail = shared_client.get("/api/v1/log/entries", params={"start": size - 2, "end": size + 50})
    assert len(tail.content.splitlines()) == 2
    assert "immutable" not in tail.headers["cache-control"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"start": 5, "end": 5}, "parameter_invalid"),
        ({"start": 10_000}, "size_out_of_range"),
        ({}, "parameter_invalid"),
    ],
)
def test_leaves_bad_ranges(shared_client: TestClient, params: dict, code: str) -> None:
    response = shared_client.get("/api/v1/log/entries", params=params)
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_leaves_are_capped_at_1000_per_answer(factory, make_client) -> None:
    factory.with_genesis()
    factory.append_orgs(1100, batch=550)
    client = make_client()
    first = client.get("/api/v1/log/entries", params={"start": 0, "end": 1101})
    lines = first.content.splitlines()
    assert len(lines) == 1000
    rest = client.get("/api/v1/log/entries", params={"start": 1000, "end": 1101}).content.splitlines()
    assert len(rest) == 101
    assert [parse_leaf(x).seq for x in lines + rest] == list(range(1101))


def test_the_cli_client_verifies_the_served_log(shared_client: TestClient, shared_world: World) -> None:
    client = LogClient(str(shared_client.base_url), client=shared_client)
    vkey = client.vkey()
    note = client.checkpoint()
    size = verify_checkpoint(note, vkey).size
    report = verify_log(client.entries(0, size), note, vkey)
    assert report.to_json()["size"] == size == shared_world.factory.ledger.log.head().size
    # and its proof helpers agree with the server's tree
    assert client.consistency(3, size) == [h.hex() for h in shared_world.factory.ledger.log.consistency_proof(3, size)]
    assert client.inclusion(2, size) == [h.hex() for h in shared_world.factory.ledger.log.inclusion_proof(2, size)]
