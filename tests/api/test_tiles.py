"""C2SP tlog-tiles over HTTP (DESIGN section 8): every tile of the log, read as a client would,
is checked against the leaves and the signed checkpoint; proofs built from tiles alone equal the
API's proofs and verify; paths are canonical; caching says what is true."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from api.config import ApiSettings
from ledger.cli.app import create_app
from ledger.protocol import merkle, tiles
from ledger.protocol.checkpoint import Checkpoint
from ledger.protocol.note import parse_note
from tests.api.world import PROJECT, World, build_world, donation
from tests.support.ledger_factory import LedgerFactory

EXTRA = 300  # past one full tile of leaves: a full tile, a partial one, a level-1 tile


@pytest.fixture(scope="module")
def tiled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, TestClient]]:
    world = build_world(LedgerFactory(tmp_path_factory.mktemp("tiles") / "home"))
    entries = [world.sign("fundraiser", "donation.received", donation(PROJECT, f"{i + 1}.00")) for i in range(EXTRA)]
    world.factory.ledger.log.append(entries)
    with TestClient(create_app(world.factory.ledger, api_settings=ApiSettings())) as client:
        yield world, client


def _directives(header: str) -> set[str]:
    return {part.strip() for part in header.split(",")}


def _checkpoint(client: TestClient, url: str = "/tlog/checkpoint") -> Checkpoint:
    return Checkpoint.parse(parse_note(client.get(url).text).text)


def _all_leaves(client: TestClient, size: int) -> list[bytes]:
    leaves: list[bytes] = []
    while len(leaves) < size:
        answer = client.get("/api/v1/log/entries", params={"start": len(leaves), "end": size})
        leaves += [line.encode() for line in answer.text.split("\n") if line]
    return leaves


def test_every_tile_is_the_tree_the_checkpoint_signs(tiled: tuple[World, TestClient]) -> None:
    _, client = tiled
    checkpoint = _checkpoint(client)
    assert client.get("/tlog/checkpoint").text == client.get("/api/v1/log/checkpoint").text
    leaves = _all_leaves(client, checkpoint.size)
    tree = merkle.MemoryTree(merkle.leaf_hash(leaf) for leaf in leaves)
    assert tree.root() == checkpoint.root
    wanted = tiles.tiles_for_size(checkpoint.size)
    assert {t.level for t in wanted} == {tiles.ENTRIES, 0, 1}
    for tile in wanted:
        answer = client.get("/tlog/" + tile.path)
        assert answer.status_code == 200, tile.path
        assert answer.headers["content-type"] == "application/octet-stream"
        assert _directives(answer.headers["cache-control"]) == {"public", "max-age=60"}
        pinned = client.get("/tlog/shards/0/" + tile.path)
        assert pinned.content == answer.content
        assert _directives(pinned.headers["cache-control"]) == {"public", "max-age=31536000", "immutable"}
        first = tile.first()
        if tile.level == tiles.ENTRIES:
            assert tiles.decode_bundle(answer.content) == leaves[first : first + tile.width]
        else:
            expected = tree.levels[tile.level * tiles.TILE_HEIGHT][first : first + tile.width]
            assert tiles.split_hashes(answer.content, tile.width) == expected


def test_proofs_from_tiles_alone_equal_the_apis_and_verify(tiled: tuple[World, TestClient]) -> None:
    _, client = tiled
    checkpoint = _checkpoint(client)
    size = checkpoint.size
    fetched: list[str] = []

    def fetch(tile: tiles.Tile) -> bytes:
        fetched.append(tile.path)
        return client.get("/tlog/" + tile.path).content

    nodes = tiles.TileNodes(size, fetch)
    level0 = tiles.split_hashes(client.get("/tlog/tile/0/000").content, 256)
    for index in (0, 1, 255, 256, size - 1):
        proof = merkle.inclusion_proof(index, size, nodes)
        api = client.get("/api/v1/log/proof/inclusion", params={"index": index, "size": size}).json()
        assert [h.hex() for h in proof] == api["hashes"]
        leaf = level0[index] if index < 256 else nodes.get_nodes([(0, index)])[(0, index)]
        merkle.verify_inclusion(leaf, index, size, proof, checkpoint.root)
    for old in (1, 100, 256, size - 1):
        proof = merkle.consistency_proof(old, size, nodes)
        api = client.get("/api/v1/log/proof/consistency", params={"first": old, "second": size}).json()
        assert [h.hex() for h in proof] == api["hashes"]
    assert len(fetched) == len(set(fetched))  # each tile read once


def test_partial_tiles_are_prefixes_and_missing_ones_are_404(tiled: tuple[World, TestClient]) -> None:
    _, client = tiled
    size = _checkpoint(client).size
    full = client.get("/tlog/tile/0/000").content
    assert client.get("/tlog/tile/0/000.p/7").content == full[: 7 * 32]
    bundle = tiles.decode_bundle(client.get("/tlog/tile/entries/000").content)
    assert tiles.decode_bundle(client.get("/tlog/tile/entries/000.p/3").content) == bundle[:3]
    edge = size % 256
    assert client.get(f"/tlog/tile/0/001.p/{edge}").status_code == 200
    for beyond in (f"tile/0/001.p/{edge + 1}", "tile/0/001", "tile/0/002.p/1", "tile/2/000.p/1", "tile/entries/001"):
        answer = client.get("/tlog/" + beyond)
        assert answer.status_code == 404, beyond
        assert "immutable" not in answer.headers.get("cache-control", "")
        assert answer.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/x000/000",  # the same tile under a longer name
        "tile/0/0",
        "tile/0/0000",
        "tile/0/x1/000",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/007",
        "tile/8/000",
        "tile/01/000",
        "tile/-1/000",
        "tile/data/000",
        "tile/0/000.p/",
        "tile/0/",
        "tile/0/%D9%A0%D9%A0%D9%A0",
        "tile/0/000%0A",
        "tile/0/x999999999999999999/000",
    ],
)
def test_non_canonical_tile_paths_are_refused(tiled: tuple[World, TestClient], path: str) -> None:
    _, client = tiled
    answer = client.get("/tlog/" + path)
    assert answer.status_code == 400, path
    assert answer.json()["code"] == "tile_path_invalid"


def test_each_log_of_the_chain_names_its_tiles(tiled: tuple[World, TestClient]) -> None:
    _, client = tiled
    shards = client.get("/api/v1/log/shards").json()["shards"]
    assert [s["tiles"] for s in shards] == ["/tlog/shards/0/"]
    prefix = shards[0]["tiles"]
    assert client.get(prefix + "checkpoint").text == client.get("/tlog/checkpoint").text
    assert client.get(prefix + "tile/1/000.p/1").content == client.get("/tlog/tile/1/000.p/1").content
    assert client.get("/tlog/shards/1/checkpoint").status_code == 404
    assert client.get("/tlog/checkpoint").headers["cache-control"] == "max-age=0, s-maxage=1, public"


def test_checkpoint_root_matches_level_one_tile(tiled: tuple[World, TestClient]) -> None:
    """A 256-leaf subtree in a level-1 tile is the fold of the level-0 tile below it."""
    _, client = tiled
    level0 = tiles.split_hashes(client.get("/tlog/tile/0/000").content, 256)
    (level1,) = tiles.split_hashes(client.get("/tlog/tile/1/000.p/1").content, 1)
    assert merkle.fold([merkle.MemoryTree(level0).root()]) == level1
    assert base64.b64encode(level1)  # 32 bytes, as the format says


# --- verify --url reads leaves from the entry bundles ------------------------------------------


def _recording(client: TestClient) -> list[str]:
    paths: list[str] = []
    client.event_hooks["request"] = [lambda request: paths.append(request.url.path)]
    return paths


def test_verify_url_reads_leaves_from_entry_bundles(tiled: tuple[World, TestClient]) -> None:
    from ledger.protocol.verify import verify_chain
    from ledger.services.remote import fetch_chain_for_verify

    _, client = tiled
    size = _checkpoint(client).size
    paths = _recording(client)
    try:
        logs, vkey = fetch_chain_for_verify(str(client.base_url), None, client=client)
        report = verify_chain(logs, vkey)
    finally:
        client.event_hooks["request"] = []
    assert report.logs[-1].size == size
    assert not [p for p in paths if p.startswith("/api/v1/log/entries")]
    full, rest = divmod(size, tiles.TILE_WIDTH)
    bundles = [p for p in paths if "/tile/entries/" in p]
    assert len(bundles) == full + 1 and bundles[-1].endswith(f".p/{rest}")  # each bundle read once


def test_bundled_entries_equal_the_paged_entries(tiled: tuple[World, TestClient]) -> None:
    from ledger.services.remote import LogClient

    _, client = tiled
    size = _checkpoint(client).size
    log = LogClient(str(client.base_url), client=client)
    assert list(log.bundled_entries("/tlog/shards/0/", 250, size)) == list(log.entries(250, size))
    assert list(log.bundled_entries("/tlog/", 0, 3)) == list(log.entries(0, 3))


def test_verify_url_refuses_a_tampered_bundle(tiled: tuple[World, TestClient], monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    from ledger.errors import VerificationError
    from ledger.protocol.verify import verify_chain
    from ledger.services.remote import LogClient, fetch_chain_for_verify

    _, client = tiled
    real_get = LogClient._get

    def lying(change: object) -> None:
        def get(self: LogClient, path: str, **params: object) -> httpx.Response:
            answer = real_get(self, path, **params)
            if path.endswith("/tile/entries/000"):  # the first full bundle
                return httpx.Response(200, content=change(answer.content))  # type: ignore[operator]
            return answer

        monkeypatch.setattr(LogClient, "_get", get)

    # one amount changed inside a leaf: the rebuilt root is not the signed one
    lying(lambda body: body.replace(b'"amount":"1.00"', b'"amount":"9.00"', 1))
    logs, vkey = fetch_chain_for_verify(str(client.base_url), None, client=client)
    with pytest.raises(VerificationError):
        verify_chain(logs, vkey)
    # a leaf dropped from a bundle: refused as a bundle that does not hold what its path names
    lying(lambda body: tiles.encode_bundle(tiles.decode_bundle(body)[1:]))
    logs, vkey = fetch_chain_for_verify(str(client.base_url), None, client=client)
    with pytest.raises(VerificationError, match="wrong number of leaves"):
        verify_chain(logs, vkey)
