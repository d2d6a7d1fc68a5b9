"""The site over a registry whose history spans two logs (tests.site.shard_world), on SQLite and
(when CHARITY_LEDGER_TEST_POSTGRES_URL is set) PostgreSQL: proofs come from the entry's own log
(its seq in that log, that log's checkpoint, cosignatures and key), the chain of logs shows on
the checkpoints, ledger and how-to pages, the seal and the continuing genesis link the logs in
both languages, and the pages stay self-contained and small."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from markupsafe import escape

from ledger.protocol import merkle
from ledger.protocol.canonical import canonical_bytes
from ledger.protocol.checkpoint import verify_checkpoint, verify_cosignatures
from ledger.protocol.entry import parse_leaf, signature_valid
from ledger.protocol.keys import unb64
from ledger.protocol.note import parse_note
from ledger.store.export import log_vkey, shard_vkey
from tests.domain import helpers as H
from tests.site.conftest import make_app
from tests.site.shard_world import NEXT_ORIGIN, WITNESS_NAME, ShardedWorld, build_sharded_world
from tests.site.test_pages import check_self_contained_and_small, from_tiles, proof_data, text_of


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def sharded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShardedWorld]:
    home = tmp_path_factory.mktemp("shards") / "home"
    if request.param == "sqlite":
        yield build_sharded_world(home)
        return
    from sqlalchemy import text

    from ledger.store.db import make_engine

    url = request.getfixturevalue("postgres_url")
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = make_engine(url, pool=False)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    world = build_sharded_world(home, f"{url}{sep}options=-csearch_path%3D{schema}")
    try:
        yield world
    finally:
        world.ledger.engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def client(sharded: ShardedWorld) -> Iterator[TestClient]:
    with TestClient(make_app(sharded)) as c:  # type: ignore[arg-type]
        yield c


def check_proof(d: dict[str, Any], leaf: bytes, vkey: str, root_hex: str | None = None) -> None:
    """The proof data of a page holds, with the ledger's own verifiers: the leaf's seq is the
    index, the inclusion proof folds up to the checkpoint's root, the note verifies with
    ``vkey`` (the key of the log that holds the entry) and names that log."""
    assert base64.b64decode(d["leaf_b64"]) == leaf
    assert json.loads(leaf)["seq"] == d["index"]
    assert merkle.leaf_hash(leaf).hex() == d["leaf_hash"]
    assert d["vkey"] == vkey
    checkpoint = verify_checkpoint(d["note"], vkey)
    assert checkpoint.origin == d["log"] == parse_leaf(leaf).entry.body["log"]
    assert checkpoint.size == d["size"]
    if root_hex is not None:
        assert checkpoint.root.hex() == root_hex
    merkle.verify_inclusion(
        merkle.leaf_hash(leaf), d["index"], d["size"], [bytes.fromhex(h) for h in d["proof"]], checkpoint.root
    )


# --- the entry page ---------------------------------------------------------------------------


def test_an_entry_of_the_sealed_log_proves_against_its_final_checkpoint(client, sharded):
    store = sharded.ledger.log
    sealed = store.shard(0)
    position = sharded.position("pay")
    r = client.get(f"/ledger/{position}")
    assert r.status_code == 200
    d = proof_data(r.text)
    assert d["log"] == H.ORIGIN and d["sealed"] is True and d["position"] == position
    assert d["index"] == position - sealed.base and d["size"] == sealed.size == sharded.sealed_size
    check_proof(d, store.leaf(position), shard_vkey(store, sealed), sealed.root)
    # the note is the final checkpoint as sealed, with the witness's cosignature on it
    assert parse_note(d["note"]).text == parse_note(sealed.checkpoint).text
    assert [c.name for c in verify_cosignatures(d["note"], [sharded.witness_key])] == [WITNESS_NAME]
    # the log that holds it, its year and the entry's seq in it
    log = re.search(r'<dd id="entry-log" data-origin="([^"]+)" data-log-seq="(\d+)">(.*?)</dd>', r.text, flags=re.S)
    assert log and log.group(1) == H.ORIGIN and int(log.group(2)) == position
    assert "2026 年度" in text_of(log.group(3)) and "已封存" in text_of(log.group(3))
    assert 'href="/checkpoints?log=0"' in log.group(3)
    assert 'id="sealed-proof"' in r.text


def test_an_entry_of_the_new_log_proves_in_that_log(client, sharded):
    store = sharded.ledger.log
    active = store.shards()[-1]
    position = sharded.position("new2")
    d = proof_data(client.get(f"/ledger/{position}").text)
    assert d["tiles"] == f"/tlog/shards/{active.index}/"
    d = from_tiles(client, d)
    # the chain position is not the index: the new log counts from 0
    assert d["index"] == position - active.base == position - sharded.sealed_size < position
    assert d["log"] == NEXT_ORIGIN and d["sealed"] is False and d["size"] == active.size
    check_proof(d, store.leaf(position), log_vkey(store), active.root)
    page = client.get(f"/ledger/{position}?lang=en").text
    assert f"seq {d['index']} in this log" in text_of(page) and "year 2027" in text_of(page)
    assert 'id="sealed-proof"' not in page


def test_the_seal_and_the_continuing_genesis_link_the_logs(client, sharded):
    store = sharded.ledger.log
    seal, genesis = sharded.position("sealed"), sharded.position("genesis1")
    assert genesis == seal + 1 == sharded.sealed_size
    zh = client.get(f"/ledger/{seal}?lang=zh-CN").text
    assert "账本封存" in text_of(zh)
    link = re.search(r'<li id="sealed-link">(.*?)</li>', zh, flags=re.S)
    assert link and f'href="/ledger/{genesis}"' in link.group(1) and NEXT_ORIGIN in link.group(1)
    en = client.get(f"/ledger/{seal}?lang=en").text
    assert f"Entry #{seal}: Log sealed" in text_of(en) and "The log (its checkpoint key)" in text_of(en)
    # both are signed with the log key, which the page hands to the browser
    for position in (seal, genesis):
        d = proof_data(client.get(f"/ledger/{position}").text)
        leaf = parse_leaf(store.leaf(position))
        assert d["signer_public_key"] and signature_valid(leaf.entry, unb64(d["signer_public_key"], length=32))
    # the genesis of the new log: labelled as such, linked back, its proof in the new log
    en = client.get(f"/ledger/{genesis}?lang=en").text
    assert f"Entry #{genesis}: Next log opened" in text_of(en)
    back = re.search(r'<li id="continues-link">(.*?)</li>', en, flags=re.S)
    assert back and f'href="/ledger/{seal}"' in back.group(1) and H.ORIGIN in back.group(1)
    assert "the same final checkpoint the site holds for that log" in text_of(back.group(1))
    # its previous-entry hash starts a new chain: no link to the seal there
    prev = re.search(r"Previous entry's hash</dt><dd>(.*?)</dd>", en, flags=re.S)
    assert prev and "href=" not in prev.group(1) and "0" * 64 in prev.group(1)
    d = from_tiles(client, proof_data(en))
    assert d["index"] == 0 and d["log"] == NEXT_ORIGIN
    check_proof(d, store.leaf(genesis), log_vkey(store))
    assert "新账本开启" in text_of(client.get(f"/ledger/{genesis}?lang=zh-CN").text)


# --- verify my donation -----------------------------------------------------------------------


def test_verify_a_donation_in_the_sealed_log(client, sharded):
    store = sharded.ledger.log
    sealed = store.shard(0)
    r = client.post("/verify?lang=en", data={"code": sharded.receipts["old"]})
    assert r.status_code == 200
    d = proof_data(r.text)
    position = sharded.position("old")
    assert d["index"] == position - sealed.base and d["size"] == sealed.size and d["sealed"] is True
    check_proof(d, store.leaf(position), shard_vkey(store, sealed), sealed.root)
    assert [c.name for c in verify_cosignatures(d["note"], d["witnesses"])] == [WITNESS_NAME]
    text = text_of(r.text)
    assert f"seq {d['index']} in the log {H.ORIGIN} (year 2026)" in text
    assert "proof below is against its final checkpoint (28 entries)" in text
    # witnessing is the browser's finding (k of n witnesses the user trusts), not the site's word
    assert (
        "A witness cosigned it." not in text
        and "Whether witnesses you trust cosigned it is shown by the check below" in text
    )


def test_verify_a_donation_in_the_new_log(client, sharded):
    store = sharded.ledger.log
    active = store.shards()[-1]
    r = client.post("/verify", data={"code": sharded.receipts["new"]})
    assert r.status_code == 200
    d = proof_data(r.text)
    position = sharded.position("new")
    assert d["index"] == position - active.base and d["log"] == NEXT_ORIGIN
    # a witness cosigned size 3 of this log, but before the log key changed: the page proves
    # against the latest checkpoint instead, signed with the key it gives to the browser
    assert sharded.witnessed[1] == 3 and d["size"] == active.size
    check_proof(d, store.leaf(position), log_vkey(store), active.root)
    assert f"#{position}" in text_of(r.text) and NEXT_ORIGIN in text_of(r.text)


# --- the chain on the checkpoints, ledger, how-to and home pages ---------------------------------


def chain_rows(page: str) -> list[tuple[str, str, str, str]]:
    table = page[page.index('id="chain"') : page.index("</table>", page.index('id="chain"'))]
    return re.findall(
        r'<tr data-log="(\d+)" data-origin="([^"]+)" data-sealed="(\w+)"[^>]*>(.*?)</tr>', table, flags=re.S
    )


def test_checkpoints_page_shows_the_chain_and_the_active_log(client, sharded):
    store = sharded.ledger.log
    page = client.get("/checkpoints").text
    rows = chain_rows(page)
    assert [(i, o, s) for i, o, s, _ in rows] == [("0", H.ORIGIN, "true"), ("1", NEXT_ORIGIN, "false")]
    sealed_row = rows[0][3]
    seal, genesis = sharded.position("sealed"), sharded.position("genesis1")
    assert f'href="/ledger/{seal}"' in sealed_row and f'class="next-genesis" href="/ledger/{genesis}"' in sealed_row
    assert f'title="{store.shard(0).root}"' in sealed_row  # its final root
    assert 'href="/checkpoints?log=0"' in sealed_row
    # the active log's checkpoints only, with its own key
    assert log_vkey(store) in page and f'id="origin">{NEXT_ORIGIN}<' in page
    sizes = [int(s) for s in re.findall(r'<tr data-size="(\d+)">', page)]
    assert sizes and max(sizes) == store.shards()[-1].size and sharded.sealed_size not in sizes
    witnessed = re.search(rf'<tr data-size="{sharded.witnessed[1]}">(.*?)</tr>', page, flags=re.S)
    assert witnessed and WITNESS_NAME in witnessed.group(1) and "✓" in witnessed.group(1)
    assert 'id="final-checkpoint"' not in page


def test_checkpoints_page_of_the_sealed_log(client, sharded):
    store = sharded.ledger.log
    sealed = store.shard(0)
    page = client.get("/checkpoints?log=0&lang=en").text
    assert shard_vkey(store, sealed) in page and f'id="origin">{H.ORIGIN}<' in page
    final = re.search(r'<pre class="note" id="final-checkpoint">(.*?)</pre>', page, flags=re.S)
    assert final and final.group(1) == str(escape(sealed.checkpoint))
    assert "Sealed" in text_of(page) and NEXT_ORIGIN in text_of(page)
    sizes = [int(s) for s in re.findall(r'<tr data-size="(\d+)">', page)]
    assert sizes[0] == sealed.size and sizes == sorted(sizes, reverse=True)
    row = re.search(rf'<tr data-size="{sealed.size}">(.*?)</tr>', page, flags=re.S)
    assert row and WITNESS_NAME in row.group(1) and "✓" in row.group(1)
    # a log that does not exist is a 404 page; a nonsense value shows the active log
    assert client.get("/checkpoints?log=9").status_code == 404
    assert f'id="origin">{NEXT_ORIGIN}<' in client.get("/checkpoints?log=abc").text


def test_ledger_and_how_to_verify_show_the_chain(client, sharded):
    store = sharded.ledger.log
    active = store.shards()[-1]
    total = active.base + active.size
    page = client.get("/ledger?lang=en").text
    assert f"{total} entries so far" in text_of(page)
    chain = page[page.index('id="chain-logs"') : page.index("</section>", page.index('id="chain-logs"'))]
    assert H.ORIGIN in chain and NEXT_ORIGIN in chain and f'href="/ledger/{sharded.sealed_size}"' in chain
    assert re.findall(r'data-type="([a-z._]+)"', page)[: total - sharded.sealed_size][-1] == "registry.genesis"
    assert "Next log opened" in text_of(page) and "Log sealed" in text_of(page)
    how = client.get("/how-to-verify").text
    assert "shards/NNNN/" in how and "/api/v1/log/shards" in how and "shards/0000/" in how
    keys = re.findall(r'<tr data-log="(\d+)">.*?<code class="wrap-any">([^<]+)</code></td></tr>', how, flags=re.S)
    assert keys == [("0", shard_vkey(store, store.shard(0))), ("1", log_vkey(store))]
    assert f"{total:,}" in text_of(how)


def test_home_shows_the_active_logs_checkpoint(client, sharded):
    store = sharded.ledger.log
    active = store.shards()[-1]
    page = client.get("/").text
    assert f'id="latest-log">{NEXT_ORIGIN}<' in page
    # the latest checkpoint of the active log, not a checkpoint of the same size in log 0
    assert f'title="{active.root}"' in page
    cosigners = re.search(r'<dd id="latest-cosigners">(.*?)</dd>', page, flags=re.S)
    assert cosigners and WITNESS_NAME not in cosigners.group(1)


def test_project_download_holds_entries_of_every_log(client, sharded):
    store = sharded.ledger.log
    body = json.loads(client.get(f"/projects/{H.World.DIR}/entries.json").content)
    assert [g["origin"] for g in body["logs"]] == [H.ORIGIN, NEXT_ORIGIN]
    seqs = [e["seq"] for e in body["entries"]]
    assert sharded.position("new") in seqs and sharded.position("late") in seqs
    for e in body["entries"]:
        base = next(g["first_seq"] for g in body["logs"] if g["origin"] == e["log"])
        assert (
            e["seq"] == base + e["log_seq"]
            and e["leaf"]["seq"] == e["log_seq"]
            and e["leaf"]["body"]["log"] == e["log"]
        )
        assert (
            merkle.leaf_hash(canonical_bytes(e["leaf"])).hex()
            == e["leaf_hash"]
            == merkle.leaf_hash(store.leaf(e["seq"])).hex()
        )


def test_pages_link_both_languages_and_translate_the_chain(client, sharded):
    for url in ("/checkpoints", "/checkpoints?log=0", "/ledger", f"/ledger/{sharded.sealed_size}", "/how-to-verify"):
        zh = client.get(url + ("&" if "?" in url else "?") + "lang=zh-CN").text
        assert 'hreflang="en"' in zh and 'hreflang="zh-CN"' in zh, url
    assert "账本链" in client.get("/checkpoints?lang=zh-CN").text
    assert "The chain of logs" in client.get("/checkpoints?lang=en").text


SHARD_PAGES = (
    "/",
    "/ledger",
    "/checkpoints",
    "/checkpoints?log=0",
    "/how-to-verify",
    "/ledger/22",
    "/ledger/27",
    "/ledger/28",
    "/ledger/30",
)


@pytest.mark.parametrize("url", SHARD_PAGES)
def test_pages_load_nothing_from_elsewhere_and_stay_small(client, url):
    check_self_contained_and_small(client, url)
