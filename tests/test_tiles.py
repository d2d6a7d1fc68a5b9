"""ledger.protocol.tiles: C2SP tlog-tiles paths, widths and encodings, and proofs read from tiles,
checked against the naive in-memory tree for many sizes."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import LedgerError, VerificationError
from ledger.protocol import merkle, tiles
from ledger.protocol.canonical import canonical_bytes
from ledger.protocol.entry import MAX_BODY_BYTES


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "000"),
        (5, "005"),
        (999, "999"),
        (1000, "x001/000"),
        (1234067, "x001/x234/067"),  # the spec's example
    ],
)
def test_index_encoding(n: int, text: str) -> None:
    assert tiles.encode_index(n) == text
    assert tiles.parse_tile_path(f"tile/0/{text}") == tiles.Tile(0, n)


def test_paths_round_trip() -> None:
    for tile in (tiles.Tile(0, 0), tiles.Tile(3, 1234067, 8), tiles.Tile(tiles.ENTRIES, 7, 255), tiles.Tile(7, 0, 1)):
        assert tiles.parse_tile_path(tile.path) == tile
    assert tiles.Tile(tiles.ENTRIES, 1000, 3).path == "tile/entries/x001/000.p/3"


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/x000/005",
        "tile/0/5",
        "tile/8/000",
        "tile/0/000.p/256",
        "tile/0/000.p/0",
        "tile/0/000.p/05",
        "tile/00/000",
        "tile/0/000\n",
        "tile/0/\u0660\u0660\u0660",
        "tile/0/\uff10\uff10\uff10",
        "tiles/0/000",
        "tile/0",
        "tile/entries/000.p/-1",
        "tile/0/x001",
        "tile/0/001/000",
    ],
)
def test_non_canonical_paths_are_refused(path: str) -> None:
    with pytest.raises(LedgerError) as info:
        tiles.parse_tile_path(path)
    assert info.value.code == "tile_path_invalid"


def test_widths_and_the_tiles_of_a_size() -> None:
    assert tiles.available_width(0, 0, 300) == 256 and tiles.available_width(0, 1, 300) == 44
    assert tiles.available_width(1, 0, 300) == 1 and tiles.available_width(1, 0, 255) == 0
    assert tiles.tiles_for_size(0) == []
    assert [t.path for t in tiles.tiles_for_size(257)] == [
        "tile/entries/000",
        "tile/entries/001.p/1",
        "tile/0/000",
        "tile/0/001.p/1",
        "tile/1/000.p/1",
    ]
    with pytest.raises(LedgerError) as info:
        tiles.check_available(tiles.Tile(0, 1, 2), 257)
    assert info.value.code == "not_found"


def test_bundles() -> None:
    leaves = [b"", b"a", bytes(range(256)) * 3, b"x" * tiles.MAX_LEAF_BYTES]
    data = tiles.encode_bundle(leaves)
    assert data[:6] == b"\x00\x00\x00\x01a\x03"
    assert tiles.decode_bundle(data) == leaves
    with pytest.raises(ValueError):
        tiles.encode_bundle([b"x" * (tiles.MAX_LEAF_BYTES + 1)])
    for cut in (1, 3, len(data) - 1):
        with pytest.raises(VerificationError):
            tiles.decode_bundle(data[:cut])


def test_the_largest_body_makes_a_leaf_that_fits_a_bundle() -> None:
    """The body limit leaves room for the leaf's own fields at their longest."""
    body = {"v": 1, "data": {"note": ""}}
    body["data"]["note"] = "x" * (MAX_BODY_BYTES - len(canonical_bytes(body)))
    assert len(canonical_bytes(body)) == MAX_BODY_BYTES
    leaf = canonical_bytes(
        {"seq": 2**53 - 1, "prev": "f" * 64, "time": "2026-12-31T23:59:59.999Z", "body": body, "sig": "A" * 88}
    )
    assert len(leaf) <= tiles.MAX_LEAF_BYTES


def _tree(size: int) -> merkle.MemoryTree:
    return merkle.MemoryTree(hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(size))


def _fetcher(tree: merkle.MemoryTree, reads: list[tiles.Tile] | None = None):  # type: ignore[no-untyped-def]
    def fetch(tile: tiles.Tile) -> bytes:
        if reads is not None:
            reads.append(tile)
        level = tree.levels[tile.level * tiles.TILE_HEIGHT]
        return b"".join(level[tile.first() : tile.first() + tile.width])

    return fetch


BIG = _tree(70_000)


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 70_000), data=st.data())
def test_proofs_from_tiles_equal_proofs_from_the_tree(size: int, data: st.DataObject) -> None:
    nodes = tiles.TileNodes(size, _fetcher(BIG))
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(1, size))
    assert merkle.inclusion_proof(index, size, nodes) == merkle.inclusion_proof(index, size, BIG)
    assert merkle.consistency_proof(old, size, nodes) == merkle.consistency_proof(old, size, BIG)
    assert merkle.root_at(size, nodes) == merkle.root_at(size, BIG)


def test_a_proof_reads_few_tiles_once_each() -> None:
    reads: list[tiles.Tile] = []
    nodes = tiles.TileNodes(70_000, _fetcher(BIG, reads))
    merkle.inclusion_proof(12_345, 70_000, nodes)
    assert len(reads) == len(set(reads)) <= 6


def test_a_wrong_tile_makes_a_proof_that_fails() -> None:
    size = 1000
    tree = _tree(size)
    good = _fetcher(tree)

    def lying(tile: tiles.Tile) -> bytes:
        data = bytearray(good(tile))
        if tile.level == 1:  # the 256-leaf subtrees the proof of leaf 3 climbs through
            data[32] ^= 1  # node (8, 1), a sibling on the path
        return bytes(data)

    proof = merkle.inclusion_proof(3, size, tiles.TileNodes(size, lying))
    with pytest.raises(VerificationError):
        merkle.verify_inclusion(tree.levels[0][3], 3, size, proof, tree.root())
    with pytest.raises(VerificationError):
        tiles.TileNodes(size, lambda t: good(t)[:-1]).get_nodes([(0, 0)])
