"""C2SP tlog-tiles: the log's tree and leaves as immutable, cacheable files.

The C2SP tlog-tiles specification (https://c2sp.org/tlog-tiles) serves a Merkle tree as *tiles*
of height 8 (DESIGN section 8):

- a **hash tile** ``tile/<L>/<N>[.p/<W>]`` holds the hashes of the perfect subtrees at tree
  level ``8 * L`` with indexes ``256 * N`` to ``256 * N + W - 1``, concatenated (32 bytes each);
  level-0 tiles hold leaf hashes. A full tile has ``W = 256`` and no ``.p/`` suffix; a partial
  tile ``.p/<W>`` (``1 <= W <= 255``) holds the first ``W`` hashes of the tile at a tree size
  that does not fill it.
- an **entry bundle** ``tile/entries/<N>[.p/<W>]`` holds leaves ``256 * N`` to
  ``256 * N + W - 1``, each prefixed by its length as a big-endian uint16.
- ``N`` is written in groups of three decimal digits, every group but the last prefixed by
  ``x``: 1234067 is ``x001/x234/067``.

Everything in a tile is determined by the tree, so a tile of a given path never changes:
"Full tiles MUST be served with long-lived caching headers" (and a partial tile of width W is
the same W hashes forever). Clients hash what they read up to a signed checkpoint root, so a
tile needs no signature of its own.

This module is the pure part: paths, widths, encodings, and a :class:`merkle.NodeSource` that
reads proofs out of tiles (for verifiers that fetch tiles instead of asking for proofs).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ledger.errors import LedgerError, VerificationError
from ledger.protocol import merkle

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256
ENTRIES = -1  # the "level" of entry bundles (``tile/entries/...``)
MAX_LEAF_BYTES = 0xFFFF  # a leaf must fit its uint16 length prefix
MAX_INDEX = (1 << 63) - 1

_GROUP_X = re.compile(r"x[0-9]{3}", re.ASCII)
_GROUP_LAST = re.compile(r"[0-9]{3}", re.ASCII)
_LEVEL = re.compile(r"0|[1-9][0-9]?", re.ASCII)
_PARTIAL_WIDTH = re.compile(r"[1-9][0-9]{0,2}", re.ASCII)


@dataclass(frozen=True, slots=True)
class Tile:
    """One tile: ``level`` (0.., or :data:`ENTRIES` for an entry bundle), ``index`` N, ``width`` W."""

    level: int
    index: int
    width: int = TILE_WIDTH

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def path(self) -> str:
        """The tile's path below a log's prefix, e.g. ``tile/0/x001/234.p/5``."""
        level = "entries" if self.level == ENTRIES else str(self.level)
        suffix = "" if self.full else f".p/{self.width}"
        return f"tile/{level}/{encode_index(self.index)}{suffix}"

    def first(self) -> int:
        """The index, at the tile's tree level, of its first hash (or leaf)."""
        return self.index * TILE_WIDTH


def tile_error(path: str, why: str, why_zh: str) -> LedgerError:
    return LedgerError("tile_path_invalid", path=path[:200], detail=why, detail_zh=why_zh)


def encode_index(n: int) -> str:
    """``N`` as tlog-tiles writes it: 3-digit groups, all but the last prefixed by ``x``."""
    if not 0 <= n <= MAX_INDEX:
        raise ValueError(f"tile index {n} out of range")
    groups = []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if not n:
            break
    groups.reverse()
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


def parse_tile_path(path: str) -> Tile:
    """The tile a path names (``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]``), in the
    one canonical spelling only: a path that is not exactly :attr:`Tile.path` is refused, so a
    cache never holds one tile under two names."""
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise tile_error(path, "not a tile path (tile/<L>/<N>[.p/<W>])", "不是瓦片路径（tile/<L>/<N>[.p/<W>]）")
    level_text, rest = parts[1], parts[2:]
    if level_text == "entries":
        level = ENTRIES
    elif _LEVEL.fullmatch(level_text) and int(level_text) <= 63 // TILE_HEIGHT:
        level = int(level_text)
    else:
        raise tile_error(path, "the tile level is 0 to 7 or 'entries'", "瓦片层级应为 0 至 7 或 entries")
    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        if not _PARTIAL_WIDTH.fullmatch(rest[-1]) or not 1 <= int(rest[-1]) < TILE_WIDTH:
            raise tile_error(path, "a partial tile's width is 1 to 255", "部分瓦片的宽度应为 1 至 255")
        width = int(rest[-1])
        rest = [*rest[:-2], rest[-2][:-2]]
    if not rest or not _GROUP_LAST.fullmatch(rest[-1]) or not all(_GROUP_X.fullmatch(g) for g in rest[:-1]):
        raise tile_error(path, "the tile index is written as x000/.../000 groups", "瓦片序号应写作 x000/.../000 分组")
    index = int("".join(g.lstrip("x") for g in rest))
    if index > MAX_INDEX // TILE_WIDTH:
        raise tile_error(path, "the tile index is out of range", "瓦片序号超出范围")
    tile = Tile(level, index, width)
    if tile.path != path:  # e.g. a leading x000 group: the same tile under another name
        raise tile_error(path, f"the canonical path of this tile is {tile.path}", f"该瓦片的规范路径为 {tile.path}")
    return tile


def _level_count(level: int, size: int) -> int:
    """How many perfect subtrees (or leaves) a tree of ``size`` has at a tile level."""
    return size if level == ENTRIES else size >> (TILE_HEIGHT * level)


def available_width(level: int, index: int, size: int) -> int:
    """How many hashes (or leaves) of tile ``(level, index)`` exist at tree size ``size`` (0..256)."""
    return max(0, min(TILE_WIDTH, _level_count(level, size) - index * TILE_WIDTH))


def check_available(tile: Tile, size: int) -> None:
    """Refuse a tile the tree of ``size`` does not (yet) hold."""
    if available_width(tile.level, tile.index, size) < tile.width:
        raise LedgerError("not_found", what="tile", what_zh="瓦片", ref=f"{tile.path} at tree size {size}")


def tiles_for_size(size: int) -> list[Tile]:
    """Every tile a client may need at tree size ``size``: the full ones and, at each level, the
    partial tile at the edge (as tlog-tiles lists them; entry bundles included)."""
    out: list[Tile] = []
    for level in [ENTRIES, *range(0, 8)]:
        count = _level_count(level, size)
        if count == 0:
            break
        for index in range(count // TILE_WIDTH):
            out.append(Tile(level, index))
        if count % TILE_WIDTH:
            out.append(Tile(level, count // TILE_WIDTH, count % TILE_WIDTH))
    return out


# --- encodings --------------------------------------------------------------------------


def encode_bundle(leaves: Sequence[bytes]) -> bytes:
    """Leaves as an entry bundle: each prefixed by its length, a big-endian uint16."""
    out = bytearray()
    for leaf in leaves:
        if len(leaf) > MAX_LEAF_BYTES:
            raise ValueError(f"a leaf of {len(leaf)} bytes does not fit an entry bundle")
        out += struct.pack(">H", len(leaf)) + leaf
    return bytes(out)


def decode_bundle(data: bytes) -> list[bytes]:
    """The leaves of an entry bundle; a truncated bundle is an error."""
    leaves: list[bytes] = []
    position = 0
    while position < len(data):
        if position + 2 > len(data):
            raise VerificationError("the entry bundle ends inside a length prefix")
        (length,) = struct.unpack_from(">H", data, position)
        position += 2
        if position + length > len(data):
            raise VerificationError("the entry bundle ends inside a leaf")
        leaves.append(data[position : position + length])
        position += length
    return leaves


def split_hashes(data: bytes, width: int) -> list[bytes]:
    """The ``width`` hashes of a hash tile's bytes."""
    if len(data) != width * merkle.HASH_SIZE:
        raise VerificationError(f"a hash tile of width {width} is {width * merkle.HASH_SIZE} bytes, got {len(data)}")
    return [data[i : i + merkle.HASH_SIZE] for i in range(0, len(data), merkle.HASH_SIZE)]


# --- proofs from tiles ------------------------------------------------------------------


class TileNodes:
    """A :class:`merkle.NodeSource` over the hash tiles of a tree of ``size``: every perfect
    subtree a proof needs is read from the tile holding it, or folded from the tile below.

    ``fetch(tile) -> bytes`` reads a tile (over HTTP, from disk); tiles are read once each. What
    it returns is not trusted: proofs built from it verify only if the tiles were right."""

    def __init__(self, size: int, fetch: Callable[[Tile], bytes]) -> None:
        self.size = size
        self.fetch = fetch
        self._tiles: dict[tuple[int, int], list[bytes]] = {}

    def _tile_hashes(self, level: int, index: int) -> list[bytes]:
        key = (level, index)
        if key not in self._tiles:
            width = available_width(level, index, self.size)
            if width == 0:
                raise VerificationError(f"tile {level}/{index} is beyond tree size {self.size}")
            self._tiles[key] = split_hashes(self.fetch(Tile(level, index, width)), width)
        return self._tiles[key]

    def _node(self, level: int, index: int) -> bytes:
        tile_level, below = divmod(level, TILE_HEIGHT)
        # the node covers 2**below hashes of tile level ``tile_level``, all in one tile
        span = 1 << below
        first = index * span
        hashes = self._tile_hashes(tile_level, first // TILE_WIDTH)
        offset = first % TILE_WIDTH
        part = hashes[offset : offset + span]
        if len(part) != span:
            raise VerificationError(f"node ({level}, {index}) is not complete at tree size {self.size}")
        while len(part) > 1:
            part = [merkle.node_hash(part[i], part[i + 1]) for i in range(0, len(part), 2)]
        return part[0]

    def get_nodes(self, nodes: Sequence[merkle.Node]) -> dict[merkle.Node, bytes]:
        return {(level, index): self._node(level, index) for level, index in nodes}
