"""The transparency-dev RFC 6962/9162 vectors, tampered cases included, and property tests."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import VerificationError
from ledger.protocol import merkle

# Vendored from transparency-dev/merkle (Apache-2.0): see vectors/rfc6962/README.md and LICENSE.
VECTORS = Path(__file__).resolve().parent / "vectors" / "rfc6962"


def _cases(kind: str) -> list[Path]:
    files = sorted((VECTORS / kind).rglob("*.json"))
    assert files, f"no {kind} vectors found under {VECTORS}"
    return files


def _b(text: str | None) -> bytes:
    return base64.b64decode(text or "")


@pytest.mark.parametrize("path", _cases("inclusion"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_inclusion_vectors(path: Path) -> None:
    case = json.loads(path.read_text())
    args = (
        _b(case["leafHash"]),
        case["leafIdx"],
        case["treeSize"],
        [_b(p) for p in case["proof"] or []],
        _b(case["root"]),
    )
    if case["wantErr"]:
        with pytest.raises(VerificationError):
            merkle.verify_inclusion(*args)
    else:
        merkle.verify_inclusion(*args)


@pytest.mark.parametrize("path", _cases("consistency"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_consistency_vectors(path: Path) -> None:
    case = json.loads(path.read_text())
    args = (case["size1"], case["size2"], _b(case["root1"]), _b(case["root2"]), [_b(p) for p in case["proof"] or []])
    if case["wantErr"]:
        with pytest.raises(VerificationError):
            merkle.verify_consistency(*args)
    else:
        merkle.verify_consistency(*args)


def test_vector_counts_cover_tampered_cases() -> None:
    wanted = [json.loads(p.read_text())["wantErr"] for p in _cases("inclusion") + _cases("consistency")]
    assert wanted.count(True) > 100 and wanted.count(False) >= 10


# --- a naive recursive implementation straight from RFC 9162 2.1 ---------------------------


def naive_mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(d[:k]) + naive_mth(d[k:])).digest()


def naive_path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*naive_path(m, d[:k]), naive_mth(d[k:])]
    return [*naive_path(m - k, d[k:]), naive_mth(d[:k])]


def naive_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [naive_mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*naive_subproof(m, d[:k], b), naive_mth(d[k:])]
    return [*naive_subproof(m - k, d[k:], False), naive_mth(d[:k])]


def _data(n: int) -> list[bytes]:
    return [f"leaf {i}".encode() for i in range(n)]


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=300), st.data())
def test_tree_matches_naive(n: int, data: st.DataObject) -> None:
    d = _data(n)
    tree = merkle.MemoryTree(merkle.leaf_hash(x) for x in d)
    root = naive_mth(d)
    assert tree.root() == root
    assert merkle.root_at(n, tree) == root
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    proof = merkle.inclusion_proof(index, n, tree)
    assert proof == naive_path(index, d)
    merkle.verify_inclusion(merkle.leaf_hash(d[index]), index, n, proof, root)
    m = data.draw(st.integers(min_value=1, max_value=n))
    cproof = merkle.consistency_proof(m, n, tree)
    assert cproof == (naive_subproof(m, d, True) if m < n else [])
    merkle.verify_consistency(m, n, naive_mth(d[:m]), root, cproof)
    # proofs at an older size come from the same stored nodes
    assert merkle.root_at(m, tree) == naive_mth(d[:m])


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=2, max_value=200), st.data())
def test_tampered_proofs_rejected(n: int, data: st.DataObject) -> None:
    d = _data(n)
    tree = merkle.MemoryTree(merkle.leaf_hash(x) for x in d)
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    proof = merkle.inclusion_proof(index, n, tree)
    leaf = merkle.leaf_hash(d[index])
    if proof:
        pos = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        bad = list(proof)
        bad[pos] = bytes([bad[pos][0] ^ 1]) + bad[pos][1:]
        with pytest.raises(VerificationError):
            merkle.verify_inclusion(leaf, index, n, bad, tree.root())
    with pytest.raises(VerificationError):
        merkle.verify_inclusion(merkle.leaf_hash(b"other"), index, n, proof, tree.root())


def test_compact_range_reports_completed_subtrees() -> None:
    edge = merkle.CompactRange()
    new = [edge.append(merkle.leaf_hash(bytes([i]))) for i in range(4)]
    assert [[(lv, ix) for lv, ix, _ in n] for n in new] == [
        [(0, 0)],
        [(0, 1), (1, 0)],
        [(0, 2)],
        [(0, 3), (1, 1), (2, 0)],
    ]
    assert merkle.edge_nodes(13) == [(3, 0), (2, 2), (0, 12)]


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=150), st.integers(min_value=1, max_value=150))
def test_proofs_of_a_batch_from_memory_are_the_rfc_proofs(old: int, added: int) -> None:
    """An append's proofs of its new leaves, made in one pass from the old tree's edge and
    the nodes the batch completes (what the sequencer holds), are the RFC 9162 audit paths."""
    d = _data(old + added)
    edge = merkle.CompactRange()
    for x in d[:old]:
        edge.append(merkle.leaf_hash(x))
    nodes = dict(zip(merkle.edge_nodes(old), edge.hashes, strict=True))
    for x in d[old:]:
        for level, index, h in edge.append(merkle.leaf_hash(x)):
            nodes[(level, index)] = h
    size = old + added
    proofs = merkle.new_leaf_proofs(nodes, old, size)
    assert sorted(proofs) == list(range(old, size))
    for index, proof in proofs.items():
        assert proof == [h.hex() for h in naive_path(index, d)]
        merkle.verify_inclusion(merkle.leaf_hash(d[index]), index, size, [bytes.fromhex(h) for h in proof], edge.root())
