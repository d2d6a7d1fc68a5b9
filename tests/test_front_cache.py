"""The front: Debian's nginx run with deploy/nginx.conf (the file docs/operations.md shows and
benchmarks/surge.py runs) in front of the API, with tiles written to disk by the tile writer.

What it serves must be what the log signed: tiles byte for byte the stored tree, whether nginx
reads them from disk or asks the API for one not written yet; a cached checkpoint verifies with
the log key and is the log's own checkpoint at its size (a prefix of the log), only ever older
than the head, never another one; a cached page is a page the API rendered."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.config import ApiSettings
from ledger.cli.app import create_app
from ledger.domain.privacy import receipt_commitment
from ledger.protocol import tiles
from ledger.protocol.checkpoint import verify_checkpoint
from ledger.protocol.merkle import verify_inclusion
from ledger.store.export import log_vkey
from ledger.store.tile_reader import read_tile
from ledger.store.tile_writer import write_tiles
from public_site.templating import STATIC
from tests.api.world import PROJECT, World, build_world, donation
from tests.site.browsing import free_port, serving
from tests.support.ledger_factory import LedgerFactory

TEMPLATE = Path(__file__).resolve().parents[1] / "deploy" / "nginx.conf"


def _nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        if os.environ.get("CHARITY_LEDGER_REQUIRE_SERVICES") == "1":
            pytest.fail("nginx is needed (scripts/bootstrap.sh test installs Debian's nginx as root)")
        pytest.skip("nginx is not installed")
    return found


@dataclass
class Front:
    world: World
    api: str  # the API itself
    url: str  # through nginx
    tiles: Path


def render_conf(run: Path, listen: str, api: str, tiles_dir: Path) -> str:
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in {
        "WORKERS": 1,
        "RUN": run,
        "LISTEN": listen,
        "API": api,
        "TILES": tiles_dir,
        "STATIC": STATIC,
    }.items():
        text = text.replace(f"@{name}@", str(value))
    assert not re.findall(r"@[A-Z]+@", "".join(line.split("#", 1)[0] for line in text.splitlines()))
    # tests run in private temporary folders: as root, the workers run as root too
    return ("user root;\n" if os.geteuid() == 0 else "") + text


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    nginx = _nginx()
    tmp = tmp_path_factory.mktemp("front")
    world = build_world(LedgerFactory(tmp / "home"))
    www = tmp / "www"
    run = tmp / "run"
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "cache"):
        (run / sub).mkdir(parents=True)
    with serving(create_app(world.factory.ledger, api_settings=ApiSettings())) as api:
        write_tiles(world.factory.ledger.log, www / "tlog")
        port = free_port()
        conf = run / "nginx.conf"
        conf.write_text(render_conf(run, f"127.0.0.1:{port}", api.split("//", 1)[1], www), encoding="utf-8")
        proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(run)], stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 20
            while True:
                if proc.poll() is not None:
                    pytest.fail("nginx did not start: " + (proc.stderr.read().decode() if proc.stderr else ""))
                try:
                    if httpx.get(url + "/tlog/checkpoint", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
            yield Front(world, api, url, www)
        finally:
            proc.send_signal(signal.SIGQUIT)
            proc.wait(timeout=20)


def _directives(header: str) -> set[str]:
    return {part.strip() for part in header.split(",")}


def _append(world: World, count: int) -> None:
    world.factory.ledger.log.append(
        [world.sign("fundraiser", "donation.received", donation(PROJECT, f"{i + 1}.00")) for i in range(count)]
    )


def test_tiles_through_the_front_are_the_stored_tree(front: Front) -> None:
    store = front.world.factory.ledger.log
    on_disk = store.head().size
    _append(front.world, 300)  # tiles past what the writer wrote: nginx asks the API for them
    size = store.head().size
    shard = store.shard(None)
    with httpx.Client(base_url=front.url) as client:
        for tile in tiles.tiles_for_size(size):
            answer = client.get("/tlog/" + tile.path)
            assert answer.status_code == 200, tile.path
            assert answer.content == read_tile(store, shard, tile), tile.path
            # /tlog/ names the log being appended to (a roll-over changes it): a minute at most
            assert _directives(answer.headers["cache-control"]) == {"public", "max-age=60"}, tile.path
            pinned = client.get(f"/tlog/shards/{shard.index}/" + tile.path)
            assert pinned.content == answer.content, tile.path
            assert _directives(pinned.headers["cache-control"]) == {"public", "max-age=31536000", "immutable"}
        # the files the writer wrote are served from disk, byte for byte
        for tile in tiles.tiles_for_size(on_disk):
            assert (front.tiles / "tlog" / tile.path).read_bytes() == client.get("/tlog/" + tile.path).content


def test_a_cached_checkpoint_is_older_never_wrong(front: Front) -> None:
    store = front.world.factory.ledger.log
    vkey = log_vkey(store)
    seen: list[tuple[int, int, str]] = []
    with httpx.Client(base_url=front.url) as client:
        for _ in range(20):
            _append(front.world, 1)
            answer = client.get("/tlog/checkpoint")
            head = store.head().size
            assert answer.status_code == 200
            checkpoint = verify_checkpoint(answer.text, vkey)  # signed by the log
            assert checkpoint.size <= head
            assert checkpoint.root == store.root_at(checkpoint.size)  # the log's own tree at that size
            seen.append((checkpoint.size, head, answer.headers.get("x-cache-status", "")))
        # the front did answer from its cache, with an older checkpoint than the head
        assert any(size < head for size, head, _ in seen), seen
        assert any(status in ("HIT", "UPDATING", "STALE") for _, _, status in seen), seen
        # and catches up once its second is over
        deadline = time.monotonic() + 15
        head = store.head().size
        while verify_checkpoint(client.get("/tlog/checkpoint").text, vkey).size != head:
            assert time.monotonic() < deadline, "the front kept an old checkpoint past its lifetime"


def test_a_cached_page_is_a_page_the_api_rendered(front: Front) -> None:
    seq = front.world.seqs["d1"]
    # pages name their own absolute address (Open Graph, share links): ask the API with the Host
    # the front passes on (nginx's $host: the name without the port)
    host = {"Host": httpx.URL(front.url).host}
    with httpx.Client(base_url=front.url) as client, httpx.Client(base_url=front.api, headers=host) as api:
        for path in (f"/ledger/{seq}", "/"):
            rendered = {api.get(path).content}
            first = client.get(path)
            assert first.content in rendered | {api.get(path).content}
            rendered.add(first.content)
            _append(front.world, 2)
            again = client.get(path)
            assert again.headers["x-cache-status"] in ("HIT", "UPDATING", "STALE", "EXPIRED", "MISS", "REVALIDATED")
            # the page held (an older state) or the one rendered now: never anything else
            assert again.content in rendered | {api.get(path).content}, path
        # an entry's page names the tiles, not a checkpoint: appends do not change it
        assert client.get(f"/ledger/{seq}").content == api.get(f"/ledger/{seq}").content


def test_a_cached_receipt_trace_is_older_never_wrong(front: Front) -> None:
    """The receipt look-up the browser makes (seq and receipt commitment, a GET) is held by the
    front: what it holds is the API's answer, its proof against a checkpoint the log signed at
    or before the head, folding the donation's leaf to that checkpoint's root."""
    store = front.world.factory.ledger.log
    vkey = log_vkey(store)
    salt = bytes(range(16))
    entry = front.world.sign(
        "fundraiser", "donation.received", donation(PROJECT, "8.88", receipt=receipt_commitment(salt))
    )
    store.append([entry])
    seq = store.head().size - 1
    path = f"/api/v1/donations/by-receipt/{seq}/{receipt_commitment(salt)}/trace"
    statuses = []
    with httpx.Client(base_url=front.url) as client:
        for _ in range(5):
            answer = client.get(path)
            _append(front.world, 2)
            assert answer.status_code == 200, answer.text
            statuses.append(answer.headers["x-cache-status"])
            body = answer.json()
            assert body["donation"]["seq"] == seq and body["donation"]["amount"] == "8.88"
            checkpoint = verify_checkpoint(body["checkpoint"], vkey)  # signed by the log
            assert checkpoint.size <= store.head().size
            assert checkpoint.root == store.root_at(checkpoint.size)  # the log's own tree at that size
            proof = body["inclusion_proof"]
            assert proof["size"] == checkpoint.size and proof["index"] == seq
            hashes = [bytes.fromhex(h) for h in proof["hashes"]]
            verify_inclusion(bytes.fromhex(body["donation"]["id"]), seq, checkpoint.size, hashes, checkpoint.root)
        # held by the front: later answers came from its cache, with the first one's checkpoint
        assert statuses[0] == "MISS" and set(statuses[1:]) == {"HIT"}, statuses
        # a wrong commitment is not found, and not held
        wrong = client.get(f"/api/v1/donations/by-receipt/{seq}/{receipt_commitment(bytes(16))}/trace")
        assert wrong.status_code == 404 and wrong.json()["code"] == "receipt_not_found"
        assert client.get(wrong.request.url.path).headers["x-cache-status"] == "MISS"


def test_credentials_and_posts_pass_by_the_cache(front: Front) -> None:
    with httpx.Client(base_url=front.url) as client:
        client.get("/projects")
        assert client.get("/projects").headers["x-cache-status"] == "HIT"
        signed_in = client.get("/projects", headers={"authorization": "Bearer not-a-token"})
        assert signed_in.headers["x-cache-status"] == "BYPASS"
        posted = client.post("/api/v1/entries", json={})
        assert posted.status_code == 400 and "x-cache-status" not in posted.headers
