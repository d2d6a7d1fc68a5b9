"""The shortcuts the verifier's runs take give what the long roads give: the plain-leaf parse
what parse_leaf reads (or nothing, leaving it to parse_leaf), subtrees what appending leaf by
leaf builds, the signature pre-checks libsodium's verdicts, the flat-object inspection the
recursive one."""

from __future__ import annotations

import random
from typing import Any

from ledger.errors import LedgerError
from ledger.protocol import ed25519_strict, merkle
from ledger.protocol.canonical import _inspect, encodes_plainly
from ledger.protocol.entry import Leaf, make_body, parse_leaf, sign_entry
from ledger.protocol.keys import KeyPair
from ledger.protocol.leafcheck import _plain_fields, leaf_fields

KEY = KeyPair.from_seed(b"leafcheck")


def _leaf(seq: int, data: dict[str, Any], idem: str = "i-1") -> bytes:
    at = "2026-02-28T23:59:59.999Z"
    body = make_body("runs.example/log", "donation.received", KEY.id, at, idem, data)
    return Leaf(seq, "ab" * 32, at, sign_entry(KEY, body)).to_bytes()


def _as_parse_leaf_reads(raw: bytes) -> Any:
    try:
        leaf = parse_leaf(raw)
    except LedgerError:
        return "refused"
    body = leaf.entry.body
    fields = (body["type"], body["signer"], body["log"], body["data"], leaf.entry.body_bytes, leaf.entry.sig)
    return (leaf.seq, leaf.prev, leaf.time, *fields)


SAMPLES = [
    _leaf(0, {}),
    _leaf(7, {"amount": 12_345, "currency": "CNY", "donor": "张三", "anonymous": False, "note": None}),
    _leaf(2**53 - 1, {"nested": {"list": [1, "二", {"x": True}]}, "emoji": "😀", "quote": 'a "b" \\ c\n'}),
    _leaf(3, {"k": "v"}, idem='with"quote'),
]
ALPHABET = b'{}[]":,\\0123456789abcdefAQgw=+/ .eE-\x00\x1f\x7f\xc3\xa9\xf0\x9f\x98\x80ntrufalse'


def test_leaves_as_the_log_writes_them_take_the_plain_road() -> None:
    for raw in SAMPLES[:3]:
        assert _plain_fields(raw) == _as_parse_leaf_reads(raw)
    assert _plain_fields(SAMPLES[3]) is None  # an idem with a quote is escaped: parse_leaf reads it
    assert leaf_fields(SAMPLES[3]) == _as_parse_leaf_reads(SAMPLES[3])


def test_the_plain_road_never_accepts_what_parse_leaf_refuses_or_reads_otherwise() -> None:
    rng = random.Random(15)
    for _ in range(6000):
        raw = bytearray(rng.choice(SAMPLES))
        for _ in range(rng.randrange(1, 3)):
            i = rng.randrange(len(raw))
            edit = rng.randrange(3)
            if edit == 0:
                raw[i] = rng.choice(ALPHABET)
            elif edit == 1:
                del raw[i]
            else:
                raw[i:i] = bytes([rng.choice(ALPHABET)])
        fields = _plain_fields(bytes(raw))
        if fields is not None:
            assert fields == _as_parse_leaf_reads(bytes(raw)), bytes(raw)


def test_subtrees_extend_the_edge_as_leaves_appended_one_by_one() -> None:
    rng = random.Random(9)
    for _ in range(200):
        leaves = [rng.randbytes(32) for _ in range(rng.randrange(1, 200))]
        one_by_one, in_runs = merkle.CompactRange(), merkle.CompactRange()
        for leaf in leaves:
            one_by_one.append(leaf)
        start = 0
        while start < len(leaves):
            end = min(len(leaves), start + rng.randrange(1, 70))
            for level, root in merkle.subtree_roots(start, leaves[start:end]):
                in_runs.extend(level, root)
            start = end
        assert (in_runs.size, in_runs.hashes) == (one_by_one.size, one_by_one.hashes)


def _precheck_long_road(signature: bytes) -> str | None:
    r, s = bytes(signature[:32]), signature[32:]
    if int.from_bytes(s, "little") >= ed25519_strict.L:
        return "S is not canonical (S >= L)"
    if ed25519_strict.has_small_order(r):
        return "R is a point of small order"
    if not ed25519_strict.is_canonical(r):
        return "R is not canonically encoded (y >= p)"
    return None


def test_signature_prechecks_refuse_what_the_full_tests_refuse() -> None:
    rng = random.Random(3)
    small = [e[:31] + bytes([e[31] | sign]) for e in ed25519_strict.SMALL_ORDER_ENCODINGS for sign in (0, 0x80)]
    p = ed25519_strict.P
    high_y = [
        ((y | sign) % 2**256).to_bytes(32, "little") for y in (p, p + 1, 2**255 - 1, p - 1) for sign in (0, 1 << 255)
    ]
    scalars = [ed25519_strict.L + d for d in (-1, 0, 1)] + [2**252, 2**252 - 1, 2**256 - 1, 0]
    for _ in range(20000):
        r = rng.choice(small + high_y) if rng.random() < 0.5 else rng.randbytes(32)
        s = rng.choice(scalars).to_bytes(32, "little") if rng.random() < 0.5 else rng.randbytes(32)
        assert ed25519_strict.signature_problem(r + s) == _precheck_long_road(r + s)


def test_a_strict_key_verifies_as_strict_verify_does() -> None:
    message = b"charity-ledger/entry/v1\n{}"
    good = KEY.sign(message)
    for public in (KEY.public, ed25519_strict.SMALL_ORDER_ENCODINGS[0], b"\x01" * 31):
        key = ed25519_strict.StrictKey(public)
        for sig in (good, good[:32] + bytes(32), bytes(64), good[:-1]):
            assert key.verify(sig, message) == ed25519_strict.verify(public, sig, message)


def _value(rng: random.Random, depth: int) -> Any:
    kind = rng.randrange(10)
    if kind < 3:
        return rng.choice(["a", "é", "😀", ""])
    if kind < 5:
        return rng.choice([0, -5, 2**53 - 1, 2**53, -(2**53), True, None])
    if kind == 5:
        return 1.5
    if depth < 20 and kind < 8:
        return {rng.choice(["k", "é", "😀x"]) + str(i): _value(rng, depth + 1) for i in range(rng.randrange(4))}
    return [_value(rng, depth + 1) for _ in range(rng.randrange(3))] if depth < 20 else "x"


def _verdict(check: Any, value: Any, level: int) -> Any:
    try:
        return check(value, level)
    except LedgerError:
        return "too deep"


def test_a_flat_object_is_inspected_as_the_recursive_walk_does() -> None:
    rng = random.Random(4)
    for _ in range(20000):
        value = {
            rng.choice(["a", "é", "😀k"]) + str(i): _value(rng, rng.randrange(22)) for i in range(rng.randrange(5))
        }
        level = rng.randrange(18)
        assert _verdict(encodes_plainly, value, level) == _verdict(_inspect, value, level)
