"""static/verify.js builds inclusion proofs from C2SP tlog-tiles in the browser (issue 15): the
entry pages name the log's tiles instead of carrying a proof, so they stay the same from one
append to the next and the front can keep them.

The tiles here are plain files served by a static file server, as the front serves them from
disk, for a tree of 70,001 leaves (three tile levels, a partial tile at each); Go's own
transparency-log code (golang.org/x/mod/sumdb/tlog, tests/interop) reads the same folder and
checks it against the root first, so the browser is tested against Go-compatible tiles. Each
proof the browser builds is compared with the one this project's Python builds, and folded up
to the signed root by the browser's own verifier."""

from __future__ import annotations

import base64
import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.protocol import merkle, tiles
from ledger.protocol.keys import KeyPair
from ledger.protocol.note import NoteSigner, format_verifier_key, sign_note
from public_site.templating import STATIC
from tests.interop.test_go_tlog_tiles import _go, _run
from tests.site.browsing import chromium, watched_page

pytestmark = pytest.mark.browser

SIZE = 70_001  # level-0, level-1 and level-2 tiles, each level ending in a partial tile
ORIGIN = "example.org/tiles-test"
KEY = KeyPair.from_seed(b"the tiles test log key, 32 bytes")
INDEXES = [0, 1, 2, 255, 256, 257, 511, 4_097, 65_535, 65_536, 65_537, 69_887, 69_888, 70_000]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, merkle.MemoryTree, list[bytes]]:
    """A folder like `charity-ledger tiles write` makes, for a tree of SIZE leaves."""
    folder = tmp_path_factory.mktemp("www")
    leaves = [f'{{"seq":{i},"body":{{"log":"{ORIGIN}"}}}}'.encode() for i in range(SIZE)]
    memory = merkle.MemoryTree(merkle.leaf_hash(leaf) for leaf in leaves)
    for tile in tiles.tiles_for_size(SIZE):
        first = tile.first()
        if tile.level == tiles.ENTRIES:
            data = tiles.encode_bundle(leaves[first : first + tile.width])
        else:
            data = b"".join(memory.levels[tile.level * tiles.TILE_HEIGHT][first : first + tile.width])
        path = folder / "tlog" / tile.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    text = f"{ORIGIN}\n{SIZE}\n{base64.b64encode(memory.root()).decode()}\n"
    (folder / "tlog" / "checkpoint").write_text(sign_note(text, NoteSigner(ORIGIN, KEY)), encoding="utf-8")
    for name in ("verify.js", "ed25519_strict.js"):
        shutil.copy(STATIC / name, folder / name)
    (folder / "index.html").write_text(
        '<!doctype html><meta charset="utf-8"><script src="ed25519_strict.js"></script>'
        '<script src="verify.js"></script>',
        encoding="utf-8",
    )
    return folder, memory, leaves


@pytest.fixture(scope="module")
def server(tree: tuple[Path, merkle.MemoryTree, list[bytes]]) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(tree[0]))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    with chromium(server) as b:
        yield b


def test_go_reads_the_tiles(tree: tuple[Path, merkle.MemoryTree, list[bytes]], tmp_path: Path) -> None:
    go = _go()
    folder, memory, _ = tree
    done = _run(go, folder / "tlog", SIZE, memory.root(), INDEXES, [1, 256, 65_536], tmp_path)
    assert done.returncode == 0, done.stderr


def test_the_browser_builds_the_proofs_python_builds(
    tree: tuple[Path, merkle.MemoryTree, list[bytes]], browser: Any, server: str
) -> None:
    _, memory, _ = tree
    with watched_page(browser, server) as page:
        page.goto(server + "/index.html")
        built = page.evaluate(
            """async (indexes) => {
                const out = {};
                for (const i of indexes) {
                    const r = await CharityVerify.proofFromTiles("/tlog/", i);
                    out[i] = {size: r.size, proof: r.proof.map(CharityVerify.hex)};
                }
                return out;
            }""",
            INDEXES,
        )
    for index in INDEXES:
        expected = [h.hex() for h in merkle.inclusion_proof(index, SIZE, memory)]
        assert built[str(index)] == {"size": SIZE, "proof": expected}, index


def test_the_browser_check_passes_on_a_proof_from_tiles_and_fails_on_a_changed_tile(
    tree: tuple[Path, merkle.MemoryTree, list[bytes]], browser: Any, server: str
) -> None:
    """check(d) with `tiles` instead of a proof: the leaf, the proof folded to the checkpoint's
    root, the checkpoint's signature; a tile changed on its way fails the inclusion check."""
    _, _, leaves = tree
    vkey = format_verifier_key(ORIGIN, KEY.public)
    index = 65_537
    script = """async ([d, tamper]) => {
        const options = {};
        if (tamper) {
            options.fetchBytes = async (url) => {
                const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
                if (url.indexOf("/tile/1/") >= 0) for (let i = 0; i < bytes.length; i += 32) bytes[i] ^= 1;
                return bytes;
            };
        }
        const r = await CharityVerify.check(d, options);
        const state = {};
        r.items.forEach((it) => { state[it.key] = it.state; });
        return {state: state, size: r.fromTiles && r.fromTiles.size};
    }"""
    d = {"leaf_b64": base64.b64encode(leaves[index]).decode(), "index": index, "tiles": "/tlog/", "vkey": vkey}
    with watched_page(browser, server) as page:
        page.goto(server + "/index.html")
        honest = page.evaluate(script, [d, False])
        tampered = page.evaluate(script, [d, True])
    assert honest["size"] == SIZE
    assert honest["state"]["inclusion"] == "ok" and honest["state"]["logsig"] == "ok"
    assert tampered["state"]["inclusion"] == "bad" and tampered["state"]["logsig"] == "ok"
