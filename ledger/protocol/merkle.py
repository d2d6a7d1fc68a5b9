"""The RFC 9162 Merkle tree: hashes, roots, inclusion and consistency proofs, and verifiers.

Trees are addressed by *perfect subtrees*: node ``(level, index)`` is the hash of leaves
``[index * 2**level, (index + 1) * 2**level)``; level 0 is the leaf hashes. A perfect subtree
never changes once its last leaf is in, so storage keeps each one once, and any root or proof
at any tree size is a fold of O(log n) of them:

- :func:`range_nodes` lists the perfect subtrees that make up an RFC 9162 subtree range;
- :func:`inclusion_ranges` / :func:`consistency_ranges` list the ranges a proof consists of;
- :func:`inclusion_proof` / :func:`consistency_proof` / :func:`root_at` fetch the nodes they
  need in one call of a :class:`NodeSource` and fold them.

The verifiers follow RFC 9162 sections 2.1.3.2 and 2.1.4.2 literally and check hash lengths.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

from ledger.errors import InvariantBroken, VerificationError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Node = tuple[int, int]  # (level, index) of a perfect subtree
Range = tuple[int, int]  # [start, end) of leaves


def leaf_hash(leaf: bytes) -> bytes:
    """SHA-256(0x00 || leaf)."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


# --- structure ------------------------------------------------------------------------------


def range_nodes(start: int, end: int) -> list[Node]:
    """Perfect subtrees, left to right, whose right fold is MTH(D[start:end]).

    Valid for the ranges RFC 9162 builds trees and proofs from: ``start`` is a multiple of
    the largest power of two not above ``end - start``.
    """
    if not 0 <= start < end:
        raise ValueError(f"empty or negative range [{start}, {end})")
    nodes: list[Node] = []
    position = start
    remaining = end - start
    while remaining:
        level = remaining.bit_length() - 1
        width = 1 << level
        if position % width:
            raise ValueError(f"range [{start}, {end}) is not aligned as an RFC 9162 subtree")
        nodes.append((level, position >> level))
        position += width
        remaining -= width
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """Fold the hashes of :func:`range_nodes` right to left into the range's hash."""
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose hashes form the audit path of leaf ``index`` (leaf to root)."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} not in a tree of size {size}")
    path: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        middle = start + (1 << ((end - start - 1).bit_length() - 1))  # start + _split(end - start), inline: hot
        if index < middle:
            path.append((middle, end))
            end = middle
        else:
            path.append((start, middle))
            start = middle
    path.reverse()
    return path


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The ranges whose hashes form the RFC 9162 consistency proof between two sizes."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second}")
    proof: list[Range] = []
    start, end, complete = 0, second, True
    while True:
        if first == end:
            if not complete:
                proof.append((start, end))
            break
        k = _split(end - start)
        if first <= start + k:
            proof.append((start + k, end))
            end = start + k
        else:
            proof.append((start, start + k))
            start += k
            complete = False
    proof.reverse()
    return proof


def subtree_roots(start: int, leaves: Sequence[bytes]) -> list[tuple[int, bytes]]:
    """The leaf hashes at positions ``start``... as perfect subtrees, left to right, each
    ``(level, root)`` starting at a multiple of its width ``2**level``: added in order with
    :meth:`CompactRange.extend` to the edge of the tree of size ``start``, they give the edge
    that appending the leaves one by one gives."""
    out: list[tuple[int, bytes]] = []
    position, end = start, start + len(leaves)
    while position < end:
        level = 0
        while not position & (1 << level) and position + (2 << level) <= end:
            level += 1
        row = list(leaves[position - start : position - start + (1 << level)])
        while len(row) > 1:
            row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
        out.append((level, row[0]))
        position += 1 << level
    return out


# --- reading trees from stored perfect subtrees ----------------------------------------------


class NodeSource(Protocol):
    def get_nodes(self, nodes: Sequence[Node]) -> dict[Node, bytes]:
        """Hashes of the given perfect subtrees (all must exist)."""
        ...


def _hash_ranges(ranges: Sequence[Range], source: NodeSource) -> list[bytes]:
    per_range = [range_nodes(s, e) for s, e in ranges]
    wanted = sorted({node for nodes in per_range for node in nodes})
    found = source.get_nodes(wanted) if wanted else {}
    missing = [n for n in wanted if n not in found]
    if missing:
        raise LookupError(f"tree nodes missing from storage: {missing[:5]}")
    return [fold([found[n] for n in nodes]) for nodes in per_range]


def root_at(size: int, source: NodeSource) -> bytes:
    """MTH of the first ``size`` leaves."""
    if size == 0:
        return EMPTY_ROOT
    return _hash_ranges([(0, size)], source)[0]


def inclusion_proof(index: int, size: int, source: NodeSource) -> list[bytes]:
    return _hash_ranges(inclusion_ranges(index, size), source)


def new_leaf_proofs(nodes: dict[Node, bytes], first: int, size: int) -> dict[int, list[str]]:
    """The inclusion proofs (hex, leaf to root) at ``size`` of leaves ``first`` .. ``size - 1``,
    in one pass over ``nodes``, which must hold every perfect subtree these proofs are made of:
    the edge of the tree of size ``first`` and every node completed since (what an append has
    in memory). Bottom-up: at level k the leaf's subtree ``j = index >> k`` has its left
    sibling ``j - 1`` when j is odd, else the right part ``[(j + 1) << k, size)`` when it is not
    empty (one node when whole, a fold of its perfect subtrees at the tree's edge when not).
    The part of a proof above a subtree is the same for all its leaves, so it is built once."""
    memo: dict[Node, tuple[str, ...]] = {}
    edges: dict[int, str] = {}  # start of a partial right part -> its hash

    def sibling(level: int, j: int) -> str | None:
        if j & 1:
            return nodes[(level, j - 1)].hex()
        start = (j + 1) << level
        if start >= size:
            return None
        if start + (1 << level) <= size:
            return nodes[(level, j + 1)].hex()
        if start not in edges:
            edges[start] = fold([nodes[n] for n in range_nodes(start, size)]).hex()
        return edges[start]

    top = (size - 1).bit_length()  # levels 0 .. top - 1 have a sibling or a right part
    out: dict[int, list[str]] = {}
    for index in range(first, size):
        climbed: list[Node] = []
        level, j = 0, index
        suffix: tuple[str, ...] = ()
        while level < top:
            found = memo.get((level, j))
            if found is not None:
                suffix = found
                break
            climbed.append((level, j))
            level, j = level + 1, j >> 1
        for level, j in reversed(climbed):
            h = sibling(level, j)
            if h is not None:
                suffix = (h, *suffix)
            memo[(level, j)] = suffix
        out[index] = list(suffix)
    return out


def consistency_proof(first: int, second: int, source: NodeSource) -> list[bytes]:
    if first == 0 or first == second:
        return []
    return _hash_ranges(consistency_ranges(first, second), source)


class CompactRange:
    """The right edge of a tree: the perfect subtrees of ``[0, size)``, largest first.

    Appending a leaf hash returns the perfect subtrees it completes, which is exactly what
    storage must write; :meth:`root` folds the edge. Loading the edge of a stored tree is one
    O(log n) read (:func:`edge_nodes`).
    """

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != bin(size).count("1"):
            raise ValueError("edge hashes do not match the tree size")
        self.size = size
        self.hashes = list(hashes)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; returns the new perfect subtrees as (level, index, hash)."""
        index = self.size
        new = [(0, index, leaf)]
        h = leaf
        level = 0
        while (index >> level) & 1:  # the subtree at this level is now complete
            h = node_hash(self.hashes.pop(), h)
            level += 1
            new.append((level, index >> level, h))
        self.hashes.append(h)
        self.size += 1
        return new

    def extend(self, level: int, subtree: bytes) -> None:
        """Add the root of a perfect subtree of ``2**level`` leaves that starts at the current
        size (which must be a multiple of its width), as appending its leaves one by one would."""
        if self.size % (1 << level):
            raise ValueError("a subtree must start at a multiple of its width")
        index = self.size >> level
        h = subtree
        while index & 1:
            h = node_hash(self.hashes.pop(), h)
            index >>= 1
        self.hashes.append(h)
        self.size += 1 << level

    def root(self) -> bytes:
        return fold(self.hashes) if self.hashes else EMPTY_ROOT


def edge_nodes(size: int) -> list[Node]:
    """The perfect subtrees of ``[0, size)``, largest first (the compact range)."""
    return range_nodes(0, size) if size else []


class MemoryTree:
    """All perfect subtrees in memory: a NodeSource for verifiers, tests and tools."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        self.edge = CompactRange()
        for h in leaf_hashes:
            self.append(h)

    @property
    def size(self) -> int:
        return self.edge.size

    def append(self, leaf: bytes) -> None:
        for level, index, h in self.edge.append(leaf):
            if level == len(self.levels):
                self.levels.append([])
            if len(self.levels[level]) != index:
                raise InvariantBroken("broken: len(self.levels[level]) == index")
            self.levels[level].append(h)

    def root(self) -> bytes:
        return self.edge.root()

    def get_nodes(self, nodes: Sequence[Node]) -> dict[Node, bytes]:
        return {(lv, ix): self.levels[lv][ix] for lv, ix in nodes}


# --- verifiers (RFC 9162 2.1.3.2 and 2.1.4.2) -----------------------------------------------


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, (bytes, bytearray)) or len(value) != HASH_SIZE:
        got = len(value) if isinstance(value, (bytes, bytearray)) else type(value).__name__
        raise VerificationError(f"{what} must be a {HASH_SIZE}-byte hash", expected=HASH_SIZE, actual=got)


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (raises if the proof has the wrong shape)."""
    _check_hash(leaf, "leaf hash")
    for p in proof:
        _check_hash(p, "proof hash")
    if not 0 <= index < size:
        raise VerificationError("leaf index outside the tree", expected=f"< {size}", actual=index)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise VerificationError("inclusion proof is too long", expected="shorter proof", actual=len(proof))
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("inclusion proof is too short", expected="longer proof", actual=len(proof))
    return r


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Raise VerificationError unless ``proof`` shows leaf ``index`` in the tree ``root``."""
    _check_hash(root, "root")
    computed = root_from_inclusion(leaf, index, size, proof)
    if computed != root:
        raise VerificationError("inclusion proof leads to another root", expected=root.hex(), actual=computed.hex())


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]) -> None:
    """Raise VerificationError unless ``proof`` shows tree ``first`` is a prefix of ``second``."""
    if first < 0 or second < first:
        raise VerificationError("sizes are not in order", expected="0 <= first <= second", actual=f"{first}, {second}")
    if first == second:
        if proof:
            raise VerificationError("proof between equal sizes must be empty", expected=0, actual=len(proof))
        if first == 0 and first_root != EMPTY_ROOT:
            raise VerificationError("root of the empty tree", expected=EMPTY_ROOT.hex(), actual=first_root.hex())
        if first_root != second_root:
            raise VerificationError("roots of equal sizes differ", expected=first_root.hex(), actual=second_root.hex())
        return
    _check_hash(first_root, "first root")
    _check_hash(second_root, "second root")
    for p in proof:
        _check_hash(p, "proof hash")
    if first == 0:
        if proof:
            raise VerificationError("proof from the empty tree must be empty", expected=0, actual=len(proof))
        if first_root != EMPTY_ROOT:
            raise VerificationError("root of the empty tree", expected=EMPTY_ROOT.hex(), actual=first_root.hex())
        return
    if not proof:
        raise VerificationError("consistency proof is empty", expected="a proof", actual=0)
    path = list(proof)
    if first & (first - 1) == 0:  # exact power of two
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError("consistency proof is too long", expected="shorter proof", actual=len(proof))
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("consistency proof is too short", expected="longer proof", actual=len(proof))
    if fr != first_root:
        raise VerificationError(
            "consistency proof leads to another first root", expected=first_root.hex(), actual=fr.hex()
        )
    if sr != second_root:
        raise VerificationError(
            "consistency proof leads to another second root", expected=second_root.hex(), actual=sr.hex()
        )
