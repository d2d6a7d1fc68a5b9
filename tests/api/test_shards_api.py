"""The API over a chain of logs (shards): a registry whose first log was sealed by a roll-over
and whose history goes on in the next one.

Every answer about the sealed log is checked the way a client would: proofs against the sealed
log's final checkpoint, verified with the sealed log's own verifier key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from api.config import ApiSettings
from ledger import cli
from ledger.cli.app import create_app
from ledger.protocol import merkle
from ledger.protocol.checkpoint import (
    Checkpoint,
    cosign,
    format_witness_key,
    parse_witness_key,
    verify_checkpoint,
    verify_cosignatures,
)
from ledger.protocol.entry import SignedEntry, parse_leaf
from ledger.protocol.keys import KeyPair
from ledger.protocol.note import add_signatures, parse_note
from ledger.protocol.tiles import decode_bundle
from ledger.protocol.witness_protocol import build_add_checkpoint_request
from ledger.services.remote import LogClient
from ledger.store.export import log_vkey, shard_vkey
from ledger.store.runtime import roll_over
from tests.api.conftest import log_state
from tests.api.test_serve import serving
from tests.api.world import PROJECT, World, build_world, disbursement, donation
from tests.support.ledger_factory import LedgerFactory

WITNESS = KeyPair.from_seed(b"shard witness")
WITNESS_NAME = "witness.example/shards"
WITNESS_KEY = format_witness_key(WITNESS_NAME, WITNESS.public)


@dataclass
class Chain:
    """The API world, rolled over once: ``kept`` was stored in the first log before the roll."""

    world: World
    kept: SignedEntry  # a donation stored in the sealed log (its submission, for retries)
    kept_position: int
    sealed_origin: str
    later: str  # leaf hash of a donation in the new log
    later_position: int

    @property
    def ledger(self) -> Any:
        return self.world.factory.ledger


def _append_now(world: World, signer: str, type_: str, data: dict[str, Any]) -> Any:
    """Append to the log being appended to (entries name its origin)."""
    ledger = world.factory.ledger
    entry = world.sign(signer, type_, data, log=ledger.log.origin)
    return ledger.log.append([entry])[0]


def build_chain(factory: LedgerFactory) -> Chain:
    world = build_world(factory)
    ledger = factory.ledger
    kept = world.sign("fundraiser", "donation.received", donation(PROJECT, "12.00"))
    (stored,) = ledger.log.append([kept])
    sealed_origin = ledger.log.origin
    rolled = roll_over(ledger, year=2027)
    assert rolled["rolled"] and ledger.log.origin != sealed_origin
    # A log time of its own for the next entries (the since test): the log's clock moves on a second.
    moved = ledger.log.clock() + timedelta(seconds=1)
    ledger.log.clock = lambda: moved
    later = _append_now(world, "fundraiser", "donation.received", donation(PROJECT, "30.00"))
    _append_now(world, "implementer", "funds.disbursed", disbursement(PROJECT, "5.00"))
    return Chain(world, kept, stored.pos, sealed_origin, later.leaf_hash, later.pos)


@pytest.fixture
def chain(any_factory: LedgerFactory) -> Chain:
    return build_chain(any_factory)


@pytest.fixture
def client(chain: Chain) -> Iterator[TestClient]:
    app = create_app(chain.ledger, api_settings=ApiSettings(witness_keys=(parse_witness_key(WITNESS_KEY),)))
    with TestClient(app) as c:
        yield c


def _directives(header: str) -> set[str]:
    return {part.strip() for part in header.split(",")}


def _hashes(body: dict[str, Any]) -> list[bytes]:
    return [bytes.fromhex(h) for h in body["hashes"]]


def _lines(content: bytes) -> list[bytes]:
    return [line for line in content.split(b"\n") if line]


# --- the list of logs ----------------------------------------------------------------------


def test_shard_list(chain: Chain, client: TestClient) -> None:
    store = chain.ledger.log
    response = client.get("/api/v1/log/shards")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-cache"
    sealed, active = response.json()["shards"]
    first, current = store.shards()
    tiles_0, tiles_1 = "/tlog/shards/0/", "/tlog/shards/1/"
    assert sealed == first.to_json() | {
        "checkpoint": first.checkpoint,
        "vkey": shard_vkey(store, first),
        "tiles": tiles_0,
    }
    assert sealed["sealed"] and sealed["origin"] == chain.sealed_origin and sealed["next_origin"] == current.origin
    assert active == current.to_json() | {"checkpoint": None, "vkey": log_vkey(store), "tiles": tiles_1}
    assert (active["index"], active["base"], active["sealed"]) == (1, sealed["size"], False)
    assert active["vkey"] + "\n" == client.get("/api/v1/log/vkey").text
    # the final checkpoint is signed by the sealed log's key, and is that log's final tree
    final = verify_checkpoint(sealed["checkpoint"], sealed["vkey"])
    assert (final.origin, final.size, final.root.hex()) == (sealed["origin"], sealed["size"], sealed["root_hash"])
    # each log's tiles: the sealed log's final tree, and the log being appended to (also at /tlog/)
    assert client.get(tiles_0 + "checkpoint").text.startswith(sealed["checkpoint"].rstrip("\n"))
    assert client.get(tiles_1 + "checkpoint").text == client.get("/tlog/checkpoint").text
    for prefix, shard in ((tiles_0, first), (tiles_1, current)):
        bundle = client.get(f"{prefix}tile/entries/000.p/{shard.size}").content
        assert decode_bundle(bundle) == store.leaves(0, shard.size, shard.index)
        hashes = client.get(f"{prefix}tile/0/000.p/{shard.size}").content
        assert hashes == b"".join(merkle.leaf_hash(leaf) for leaf in decode_bundle(bundle))
    assert client.get(f"{tiles_0}tile/0/000.p/{first.size + 1}").status_code == 404
    # /tlog/ names the log being appended to: after the roll-over the same address holds the new
    # log's bytes, so it is never cached for good; the addresses that name their log are
    both = min(first.size, current.size)
    active_tile = client.get(f"/tlog/tile/0/000.p/{both}")
    assert active_tile.content == client.get(f"{tiles_1}tile/0/000.p/{both}").content
    assert active_tile.content != client.get(f"{tiles_0}tile/0/000.p/{both}").content
    assert _directives(active_tile.headers["cache-control"]) == {"public", "max-age=60"}
    for prefix in (tiles_0, tiles_1):
        pinned = client.get(f"{prefix}tile/0/000.p/{both}").headers["cache-control"]
        assert _directives(pinned) == {"public", "max-age=31536000", "immutable"}


def test_a_single_log_is_a_chain_of_one(factory: LedgerFactory) -> None:
    build_world(factory)
    with TestClient(create_app(factory.ledger, api_settings=ApiSettings())) as c:
        (only,) = c.get("/api/v1/log/shards").json()["shards"]
        assert (only["index"], only["base"], only["sealed"], only["checkpoint"]) == (0, 0, False, None)
        assert only["size"] == factory.ledger.log.head().size
        assert c.get("/api/v1/log/shards/0/checkpoint").text == c.get("/api/v1/log/checkpoint").text


# --- a sealed log's protocol ---------------------------------------------------------------


def test_sealed_checkpoint_and_vkey(chain: Chain, client: TestClient) -> None:
    store = chain.ledger.log
    shard = store.shard(0)
    vkey = client.get("/api/v1/log/shards/0/vkey")
    assert vkey.status_code == 200 and vkey.text == shard_vkey(store, shard) + "\n"
    assert "immutable" in vkey.headers["cache-control"]
    note = client.get("/api/v1/log/shards/0/checkpoint")
    assert note.status_code == 200 and note.headers["content-type"].startswith("text/plain")
    assert note.text == shard.checkpoint  # no witness cosigned it yet
    final = verify_checkpoint(note.text, vkey.text.strip())
    assert (final.origin, final.size, final.root.hex()) == (shard.origin, shard.size, shard.root)
    # the sealed log's key does not verify the next log's checkpoints, nor the reverse
    assert verify_checkpoint(client.get("/api/v1/log/checkpoint").text, log_vkey(store)).origin == store.origin
    older = client.get("/api/v1/log/shards/0/checkpoint/5")
    assert older.status_code == 200 and verify_checkpoint(older.text, vkey.text.strip()).size == 5


def test_sealed_inclusion_proofs_verify_against_the_final_checkpoint(chain: Chain, client: TestClient) -> None:
    store = chain.ledger.log
    vkey = client.get("/api/v1/log/shards/0/vkey").text.strip()
    final = verify_checkpoint(client.get("/api/v1/log/shards/0/checkpoint").text, vkey)
    leaves = list(store.iter_leaves(shard=0))
    assert len(leaves) == final.size
    for seq, leaf in enumerate(leaves):
        leaf_hash = merkle.leaf_hash(leaf)
        by_index = client.get("/api/v1/log/shards/0/proof/inclusion", params={"index": seq})
        assert by_index.status_code == 200, by_index.text
        assert "immutable" in by_index.headers["cache-control"]  # the default size is final
        body = by_index.json()
        assert (body["index"], body["size"]) == (seq, final.size)
        merkle.verify_inclusion(leaf_hash, seq, final.size, _hashes(body), final.root)
    # by leaf hash, and at an older size of the sealed log
    leaf_hash = merkle.leaf_hash(leaves[4])
    body = client.get("/api/v1/log/shards/0/proof/inclusion", params={"leaf_hash": leaf_hash.hex()}).json()
    assert body["index"] == 4
    merkle.verify_inclusion(leaf_hash, 4, final.size, _hashes(body), final.root)
    old = verify_checkpoint(client.get("/api/v1/log/shards/0/checkpoint/9").text, vkey)
    body = client.get("/api/v1/log/shards/0/proof/inclusion", params={"index": 4, "size": 9}).json()
    merkle.verify_inclusion(leaf_hash, 4, 9, _hashes(body), old.root)
    # a leaf of the next log is not in the sealed one
    missing = client.get("/api/v1/log/shards/0/proof/inclusion", params={"leaf_hash": chain.later})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    beyond = client.get("/api/v1/log/shards/0/proof/inclusion", params={"index": final.size})
    assert beyond.status_code == 400 and beyond.json()["code"] == "size_out_of_range"


def test_sealed_consistency_proofs_verify(chain: Chain, client: TestClient) -> None:
    vkey = client.get("/api/v1/log/shards/0/vkey").text.strip()
    final = verify_checkpoint(client.get("/api/v1/log/shards/0/checkpoint").text, vkey)
    for first in (0, 1, 5, 9, final.size - 1, final.size):
        response = client.get("/api/v1/log/shards/0/proof/consistency", params={"first": first, "second": final.size})
        assert response.status_code == 200, response.text
        assert "immutable" in response.headers["cache-control"]
        old_root = verify_checkpoint(client.get(f"/api/v1/log/shards/0/checkpoint/{first}").text, vkey).root
        merkle.verify_consistency(first, final.size, old_root, final.root, _hashes(response.json()))
    beyond = client.get("/api/v1/log/shards/0/proof/consistency", params={"first": 1, "second": final.size + 1})
    assert beyond.status_code == 400 and beyond.json()["code"] == "size_out_of_range"


def test_sealed_entries_are_the_stored_leaves(chain: Chain, client: TestClient) -> None:
    store = chain.ledger.log
    size = store.shard(0).size
    response = client.get("/api/v1/log/shards/0/entries", params={"start": 0})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert response.headers["x-log-tree-size"] == str(size)
    # past the end of a sealed log the answer is short, and still never changes
    assert "immutable" in response.headers["cache-control"]
    assert _lines(response.content) == list(store.iter_leaves(shard=0))
    assert response.content == b"".join(leaf + b"\n" for leaf in store.iter_leaves(shard=0))
    assert [parse_leaf(line).seq for line in _lines(response.content)] == list(range(size))
    assert parse_leaf(_lines(response.content)[-1]).entry.type == "log.sealed"
    # paged by the client that `verify --url` uses
    paged = list(LogClient(str(client.base_url), client=client).for_shard(0).entries(0, size))
    assert paged == list(store.iter_leaves(shard=0))
    part = client.get("/api/v1/log/shards/0/entries", params={"start": 3, "end": 7})
    assert _lines(part.content) == list(store.iter_leaves(3, 7, shard=0))
    bad = client.get("/api/v1/log/shards/0/entries", params={"start": size})
    assert bad.status_code == 400 and bad.json()["code"] == "size_out_of_range"


def test_sealed_checkpoint_list(chain: Chain, client: TestClient) -> None:
    store = chain.ledger.log
    sizes: list[int] = []
    cursor = None
    while True:
        response = client.get(
            "/api/v1/log/shards/0/checkpoints", params={"limit": 7} | ({"cursor": cursor} if cursor else {})
        )
        assert response.status_code == 200 and "immutable" in response.headers["cache-control"]
        sizes += [item["size"] for item in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert sizes == store.checkpoint_sizes(limit=10_000, shard=0)
    assert sizes[0] == store.shard(0).size and sizes[-1] == 0


def test_the_active_log_by_index_answers_like_the_log(chain: Chain, client: TestClient) -> None:
    store = chain.ledger.log
    index = store.head().shard
    size = store.head().size
    prefix = f"/api/v1/log/shards/{index}"
    assert client.get(prefix + "/checkpoint").text == client.get("/api/v1/log/checkpoint").text
    assert client.get(prefix + "/checkpoint").headers["cache-control"] == "max-age=0, s-maxage=1, public"
    assert client.get(prefix + "/vkey").text == client.get("/api/v1/log/vkey").text
    for path, params in (
        ("/entries", {"start": 0}),
        ("/proof/inclusion", {"index": 1}),
        ("/proof/consistency", {"first": 1, "second": size}),
        ("/checkpoints", {}),
    ):
        mine, theirs = client.get(prefix + path, params=params), client.get("/api/v1/log" + path, params=params)
        assert mine.status_code == theirs.status_code == 200
        assert mine.content == theirs.content
        assert mine.headers.get("cache-control") == theirs.headers.get("cache-control")
    # seqs there are of the active log: its entry 0 is the genesis that names the sealed log
    genesis = parse_leaf(_lines(client.get(prefix + "/entries", params={"start": 0, "end": 1}).content)[0])
    assert genesis.seq == 0 and genesis.entry.type == "registry.genesis"
    assert genesis.entry.data["previous"]["checkpoint"] == store.shard(0).checkpoint


@pytest.mark.parametrize(
    "path",
    [
        "checkpoint",
        "checkpoint/1",
        "checkpoints",
        "vkey",
        "proof/inclusion?index=0",
        "proof/consistency?first=0&second=1",
        "entries?start=0",
    ],
)
def test_unknown_shard_is_404(chain: Chain, client: TestClient, path: str) -> None:
    response = client.get(f"/api/v1/log/shards/7/{path}")
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_found" and body["params"]["ref"] == "7"
    assert body["detail"] and body["message_zh"] and body["message_zh"] != body["detail"]


@pytest.mark.parametrize(
    ("shard", "status", "code"),
    [("-1", 400, "parameter_invalid"), ("40000", 400, "parameter_invalid"), ("x", 404, "route_not_found")],
)
def test_malformed_shard(chain: Chain, client: TestClient, shard: str, status: int, code: str) -> None:
    response = client.get(f"/api/v1/log/shards/{shard}/checkpoint")
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


# --- writes across a roll-over -------------------------------------------------------------


def test_entry_for_the_sealed_log_is_refused(chain: Chain, client: TestClient) -> None:
    ledger = chain.ledger
    before = log_state(ledger)
    late = chain.world.sign("fundraiser", "donation.received", donation(PROJECT, "8.00"), log=chain.sealed_origin)
    response = client.post("/api/v1/entries", json=late.to_json())
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["code"] == "log_sealed" and body["params"]["origin"] == chain.sealed_origin
    assert body["params"]["current"] == ledger.log.origin and body["message_zh"]
    assert log_state(ledger) == before
    # alone in a batch: the same answer; with another entry: the batch is refused, nothing written
    alone = client.post("/api/v1/entries/batch", json=[late.to_json()])
    assert alone.status_code == 409 and alone.json()["code"] == "log_sealed"
    fresh = chain.world.sign("fundraiser", "donation.received", donation(PROJECT, "9.00"), log=ledger.log.origin)
    both = client.post("/api/v1/entries/batch", json=[fresh.to_json(), late.to_json()])
    assert both.status_code == 422 and both.json()["code"] == "batch_entry_refused"
    assert both.json()["params"]["code"] == "log_sealed" and both.json()["params"]["position"] == 1
    assert log_state(ledger) == before
    # another registry's log stays wrong_log
    elsewhere = chain.world.sign("fundraiser", "donation.received", donation(PROJECT, "8.00"), log="other.example/log")
    response = client.post("/api/v1/entries", json=elsewhere.to_json())
    assert response.status_code == 422 and response.json()["code"] == "wrong_log"
    assert log_state(ledger) == before


def _check_sealed_answer(chain: Chain, item: dict[str, Any], checkpoint: str) -> None:
    """An append answer for the entry stored in the sealed log: its proof verifies against the
    sealed log's final checkpoint."""
    store = chain.ledger.log
    sealed = store.shard(0)
    assert item["existing"] is True
    assert item["log"] == chain.sealed_origin and item["position"] == chain.kept_position
    assert item["seq"] == chain.kept_position - sealed.base
    assert checkpoint == sealed.checkpoint
    final = verify_checkpoint(checkpoint, shard_vkey(store, sealed))
    proof = item["inclusion_proof"]
    assert (proof["index"], proof["size"]) == (item["seq"], final.size)
    leaf_hash = merkle.leaf_hash(store.leaf(chain.kept_position))
    assert item["leaf_hash"] == leaf_hash.hex()
    merkle.verify_inclusion(leaf_hash, proof["index"], final.size, _hashes(proof), final.root)


def test_retry_of_an_entry_stored_before_the_roll_over(chain: Chain, client: TestClient) -> None:
    ledger = chain.ledger
    before = log_state(ledger)
    response = client.post("/api/v1/entries", json=chain.kept.to_json())
    assert response.status_code == 200, response.text
    body = response.json()
    _check_sealed_answer(chain, body, body["checkpoint"])
    assert log_state(ledger) == before
    # in a batch, after a new entry: the retry's proof is against its own (sealed) checkpoint
    fresh = chain.world.sign("fundraiser", "donation.received", donation(PROJECT, "4.00"), log=ledger.log.origin)
    batch = client.post("/api/v1/entries/batch", json=[fresh.to_json(), chain.kept.to_json()])
    assert batch.status_code == 201, batch.text
    new, retry = batch.json()["items"]
    _check_sealed_answer(chain, retry, retry["checkpoint"])
    assert "checkpoint" not in new and new["log"] == ledger.log.origin and not new["existing"]
    current = verify_checkpoint(batch.json()["checkpoint"], log_vkey(ledger.log))
    assert current.origin == ledger.log.origin and new["position"] == ledger.log.shard().base + new["seq"]
    merkle.verify_inclusion(
        bytes.fromhex(new["leaf_hash"]), new["seq"], current.size, _hashes(new["inclusion_proof"]), current.root
    )
    # a retry of an entry of the new log answers its seq there and its place in the chain
    again = client.post("/api/v1/entries", json=fresh.to_json())
    assert again.status_code == 200 and (again.json()["seq"], again.json()["position"]) == (new["seq"], new["position"])


def test_new_entries_go_to_the_new_log(chain: Chain, client: TestClient) -> None:
    ledger = chain.ledger
    entry = chain.world.sign("fundraiser", "donation.received", donation(PROJECT, "6.00"), log=ledger.log.origin)
    response = client.post("/api/v1/entries", json=entry.to_json())
    assert response.status_code == 201, response.text
    body = response.json()
    head = ledger.log.head()
    assert body["log"] == head.origin and body["seq"] == head.size - 1 and body["position"] == head.base + body["seq"]
    stored = client.get(f"/api/v1/entries/{body['position']}").json()
    assert (
        stored["leaf_hash"] == body["leaf_hash"]
        and stored["log"] == head.origin
        and stored["leaf"]["seq"] == body["seq"]
    )


# --- reads across a roll-over --------------------------------------------------------------


def test_entries_name_their_log(chain: Chain, client: TestClient) -> None:
    base = chain.ledger.log.head().base
    kept = client.get(f"/api/v1/entries/{chain.kept_position}").json()
    assert kept["log"] == chain.sealed_origin and kept["leaf"]["seq"] == chain.kept_position
    later = client.get(f"/api/v1/entries/by-hash/{chain.later}").json()
    assert later["seq"] == chain.later_position and later["log"] == chain.ledger.log.origin
    assert later["leaf"]["seq"] == chain.later_position - base
    items = client.get("/api/v1/entries", params={"limit": 500}).json()["items"]
    assert [e["seq"] for e in items] == list(range(base + chain.ledger.log.head().size))
    assert {e["log"] for e in items if e["seq"] < base} == {chain.sealed_origin}
    assert {e["log"] for e in items if e["seq"] >= base} == {chain.ledger.log.origin}


def test_since_searches_the_whole_chain(chain: Chain, client: TestClient) -> None:
    later = client.get(f"/api/v1/entries/by-hash/{chain.later}").json()
    items = client.get("/api/v1/entries", params={"since": later["time"], "limit": 500}).json()["items"]
    assert items and items[0]["seq"] == chain.later_position
    before = client.get("/api/v1/entries", params={"until": later["time"], "limit": 500}).json()["items"]
    assert before[-1]["seq"] == chain.later_position - 1


def _check_trace(trace: dict[str, Any], store: Any, position: int) -> None:
    shard = store.shard_of(position)
    assert trace["log"] == shard.origin
    proof = trace["inclusion_proof"]
    assert trace["donation"]["seq"] == position and proof["index"] == position - shard.base
    checkpoint = verify_checkpoint(trace["checkpoint"], shard_vkey(store, shard))
    assert checkpoint.origin == shard.origin and proof["size"] == checkpoint.size
    leaf_hash = merkle.leaf_hash(store.leaf(position))
    merkle.verify_inclusion(leaf_hash, proof["index"], checkpoint.size, _hashes(proof), checkpoint.root)


def test_donation_trace_proofs_verify_in_either_log(chain: Chain, client: TestClient) -> None:
    store = chain.ledger.log
    d1 = client.get(f"/api/v1/donations/{chain.world.ids['d1']}/trace")
    assert d1.status_code == 200, d1.text
    _check_trace(d1.json(), store, chain.world.seqs["d1"])
    assert d1.json()["checkpoint"] == store.shard(0).checkpoint  # the sealed log's final checkpoint
    later = client.get(f"/api/v1/donations/{chain.later}/trace")
    assert later.status_code == 200, later.text
    _check_trace(later.json(), store, chain.later_position)
    assert later.json()["inclusion_proof"]["index"] < later.json()["donation"]["seq"]


# --- witnesses -----------------------------------------------------------------------------


def _cosigned(note: str, at: int = 1_790_000_000) -> str:
    return add_signatures(note, [cosign(parse_note(note).text, WITNESS, WITNESS_NAME, at)])


def _add(client: TestClient, old: int, proof: list[bytes], note: str) -> Any:
    body = build_add_checkpoint_request(old, proof, note)
    return client.post("/api/v1/log/add-checkpoint", content=body, headers={"content-type": "text/plain"})


def test_witness_cosigns_the_sealed_log_final_checkpoint(chain: Chain, client: TestClient) -> None:
    store = chain.ledger.log
    sealed = store.shard(0)
    assert sealed.checkpoint is not None
    response = _add(client, 0, [], _cosigned(sealed.checkpoint))
    assert response.status_code == 200, response.text
    assert len(store.cosignatures(sealed.size, 0)) == 1
    served = client.get("/api/v1/log/shards/0/checkpoint")
    assert "immutable" not in served.headers["cache-control"]  # cosignatures may still be added
    assert verify_checkpoint(served.text, shard_vkey(store, sealed)).size == sealed.size
    assert verify_cosignatures(served.text, [WITNESS_KEY]) == [(WITNESS_NAME, 1_790_000_000)]
    assert verify_cosignatures(client.get(f"/api/v1/log/shards/0/checkpoint/{sealed.size}").text, [WITNESS_KEY])
    # the next log is a tree of its own: the witness starts there from 0, not from the sealed size
    current = store.latest_checkpoint()
    size = Checkpoint.parse(parse_note(current).text).size
    stale = _add(client, 1, store.consistency_proof(1, size), _cosigned(current))
    assert stale.status_code == 409 and stale.text == "0\n"
    fresh = _add(client, 0, [], _cosigned(current))
    assert fresh.status_code == 200, fresh.text
    assert verify_cosignatures(client.get("/api/v1/log/checkpoint").text, [WITNESS_KEY])
    assert store.cosignatures(size, 0) == []  # nothing stored under the sealed log for that size
    # a later cosignature of the final checkpoint goes on from the size the witness holds in that log
    again = _add(client, sealed.size, [], _cosigned(sealed.checkpoint, at=1_790_000_001))
    assert again.status_code == 200, again.text


# --- verify --url ----------------------------------------------------------------------------


def test_verify_url_verifies_a_rolled_over_chain(factory: LedgerFactory, capsys: pytest.CaptureFixture[str]) -> None:
    chain = build_chain(factory)
    shards = factory.ledger.log.shards()
    with serving(factory) as base:
        capsys.readouterr()
        assert cli.main(["verify", "--url", base]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["size"] == shards[-1].size
        assert [(log["origin"], log["size"]) for log in report["chain"]["logs"]] == [(s.origin, s.size) for s in shards]
        assert report["chain"]["entries"] == sum(s.size for s in shards)
        assert chain.sealed_origin == shards[0].origin


def test_openapi_documents_the_shard_operations(factory: LedgerFactory) -> None:
    factory.with_genesis()
    with TestClient(create_app(factory.ledger, api_settings=ApiSettings())) as c:
        spec = c.get("/schema/openapi.json").json()
    ops = {op["operationId"]: (path, op) for path, item in spec["paths"].items() for op in item.values()}
    for op_id, path in {
        "listLogShards": "/api/v1/log/shards",
        "getShardCheckpoint": "/api/v1/log/shards/{shard}/checkpoint",
        "getShardCheckpointAtSize": "/api/v1/log/shards/{shard}/checkpoint/{size}",
        "listShardCheckpoints": "/api/v1/log/shards/{shard}/checkpoints",
        "getShardVerifierKey": "/api/v1/log/shards/{shard}/vkey",
        "getShardInclusionProof": "/api/v1/log/shards/{shard}/proof/inclusion",
        "getShardConsistencyProof": "/api/v1/log/shards/{shard}/proof/consistency",
        "getShardLeaves": "/api/v1/log/shards/{shard}/entries",
    }.items():
        found, op = ops[op_id]
        assert found == path and op["description"] and op["summary"]
        ok = op["responses"]["200"]["content"]
        assert any("examples" in media or "$ref" in media["schema"] for media in ok.values()), op_id
        if op_id != "listLogShards":
            assert "404" in op["responses"]
    assert spec["components"]["schemas"]["LogShardList"]["examples"]


def test_the_api_follows_a_roll_over_made_elsewhere(any_factory: LedgerFactory) -> None:
    """`charity-ledger shard roll` runs in another process than the API's workers: their
    ledger objects still name the old log until they look at the database again."""
    from ledger.store.runtime import open_ledger

    world = build_world(any_factory)
    served = any_factory.ledger
    old_origin = served.log.origin
    with TestClient(create_app(served, api_settings=ApiSettings())) as c:
        assert c.get("/api/v1/log/checkpoint").status_code == 200
        other = open_ledger(any_factory.settings)  # the operator's command
        try:
            roll_over(other, year=2027)
            new_origin = other.log.origin
        finally:
            other.engine.dispose()
        assert served.log.origin == old_origin  # not yet looked at the database
        shards = c.get("/api/v1/log/shards").json()["shards"]
        assert [s["origin"] for s in shards] == [old_origin, new_origin]
        assert (
            verify_checkpoint(c.get("/api/v1/log/checkpoint").text, c.get("/api/v1/log/vkey").text.strip()).origin
            == new_origin
        )
        entry = world.sign("fundraiser", "donation.received", donation(PROJECT, "3.00"), log=new_origin)
        response = c.post("/api/v1/entries", json=entry.to_json())
        assert response.status_code == 201, response.text
        assert response.json()["log"] == new_origin and response.json()["seq"] == 1
        batch = [world.sign("fundraiser", "donation.received", donation(PROJECT, "2.00"), log=new_origin).to_json()]
        assert c.post("/api/v1/entries/batch", json=batch).status_code == 201
        late = world.sign("fundraiser", "donation.received", donation(PROJECT, "1.00"), log=old_origin)
        refused = c.post("/api/v1/entries", json=late.to_json())
        assert refused.status_code == 409 and refused.json()["code"] == "log_sealed"
