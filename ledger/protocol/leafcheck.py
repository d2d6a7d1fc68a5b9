"""The per-leaf half of verifying a log, for a run of consecutive leaves at a time.

The verifier (:mod:`ledger.protocol.verify`) hands runs of raw leaf bytes to its process pool;
:func:`check_run` does, for each leaf of a run, everything that needs nothing but the run: the
strict parse, ``seq`` in place, ``prev`` linking to the leaf before inside the run, log time
not running backwards inside the run, the body signed for this log, genesis only at entry 0,
nothing after ``log.sealed``, the signature, the leaf hash and the Merkle subtrees of the run.
It answers with a small :class:`RunResult`: where the first problem is (if any), the run's
edges (first ``prev``, first and last time, last hash), its subtree roots, the entries that
change the key ring and the first entry of each signer between them. The verifier keeps what
is strictly sequential (the links between runs, the key ring, the tree's edge) and, when a
run reports a problem, walks that run again leaf by leaf with the exact sequential code, so
the error raised is the one the sequential walk raises.

A signer's key is found by its id: an id is the SHA-256 of its key, so the key a run learns
from a leaf naming it (or the verifier sends) is the only key that id can stand for. Whether
the key may sign at that point of the log is the key ring's business, in the verifier.
"""

from __future__ import annotations

import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ledger.errors import LedgerError
from ledger.protocol import merkle
from ledger.protocol.canonical import MAX_SAFE_INT, encodes_plainly
from ledger.protocol.ed25519_strict import StrictKey
from ledger.protocol.entry import ENTRY_PREFIX, parse_leaf
from ledger.protocol.grammar import PATTERNS, matches, pattern
from ledger.protocol.keys import key_id

GENESIS = "registry.genesis"
LOG_KEY_ROTATED = "log.key_rotated"
LOG_SEALED = "log.sealed"
# entries the key ring reads, or that only a log key signs
RING_TYPES = frozenset({GENESIS, "key.granted", "key.revoked", LOG_KEY_ROTATED, LOG_SEALED})


def _embedded(name: str) -> bytes:
    text = PATTERNS[name]
    if re.compile(text).groups or '"' in text or "\\\\" in text:
        raise ValueError(f"pattern {name} cannot be embedded in the leaf pattern")
    return text.encode("ascii")


_PLAIN = rb'[^"\\\x00-\x1f]*'  # a JSON string's bytes with nothing to escape: its value, in UTF-8
_TIME, _HEX, _TYPE = _embedded("time"), _embedded("hex64"), _embedded("entry_type")
# A leaf in its canonical form whose strings need no escapes (what the log writes), with the
# body's data as one JSON object: ``data`` is the only part left to decode. Every string after
# ``data`` holds no quote, so the bytes after it split in one way only.
_LEAF = re.compile(
    rb'\{"body":(\{"at":"('
    + _TIME
    + rb')","data":(\{.*\}),"idem":"('
    + _PLAIN
    + rb')","log":"('
    + _PLAIN
    + rb')","signer":"('
    + _HEX
    + rb')","type":"('
    + _TYPE
    + rb')","v":1\}),"prev":"('
    + _HEX
    + rb')","seq":(0|[1-9][0-9]{0,15}),"sig":"([A-Za-z0-9+/]{85}[AQgw]==)","time":"('
    + _TIME
    + rb')"\}',
    re.DOTALL,
)
# RFC 8785 bytes of JSON values that canonical.canonical_bytes encodes with the standard
# library's encoder (see canonical._inspect): the same encoder, made once
_C_ENCODER = json.encoder.c_make_encoder  # type: ignore[attr-defined]
_ENCODE = (
    _C_ENCODER(None, None, json.encoder.encode_basestring, None, ":", ",", True, False, True)
    if _C_ENCODER is not None
    else lambda value, level: [json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))]
)
_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_IDEM = pattern("idem")

# (seq, prev, time, type, signer, log, data, body bytes, signature)
Fields = tuple[int, str, str, str, str, str, dict[str, Any], bytes, bytes]


def leaf_fields(raw: bytes) -> Fields:
    """The fields of a leaf as :func:`ledger.protocol.entry.parse_leaf` reads them, or its
    LedgerError. Leaves as the log writes them take a shorter road (:func:`_plain_fields`)."""
    fields = _plain_fields(raw)
    if fields is not None:
        return fields
    leaf = parse_leaf(raw)
    body = leaf.entry.body
    return (
        leaf.seq,
        leaf.prev,
        leaf.time,
        body["type"],
        body["signer"],
        body["log"],
        body["data"],
        leaf.entry.body_bytes,
        leaf.entry.sig,
    )


def _plain_fields(raw: bytes) -> Fields | None:
    """The fields of a leaf that matches :data:`_LEAF` and that parse_leaf accepts, else None
    (parse_leaf decides). Matching the pattern is canonical form for everything but the data,
    and every field's grammar but idem's and the log's; the data must decode to an object that
    encodes back to the same bytes, at the depth it has in the leaf."""
    m = _LEAF.fullmatch(raw)
    if m is None:
        return None
    try:
        text = m[3].decode("utf-8")
        data, end = _SCAN(text, 0)
        if (
            end != len(text)
            or type(data) is not dict
            or not encodes_plainly(data, 2)
            or "".join(_ENCODE(data, 0)) != text
        ):
            return None
        idem, log = m[4].decode("ascii"), m[5].decode("ascii")
    except (ValueError, StopIteration, RecursionError, LedgerError):
        return None
    seq = int(m[9])
    if seq > MAX_SAFE_INT or not _IDEM.fullmatch(idem) or not matches("origin", log):
        return None
    return (
        seq,
        m[8].decode(),
        m[11].decode(),
        m[7].decode(),
        m[6].decode(),
        log,
        data,
        m[1],
        binascii.a2b_base64(m[10]),
    )


@dataclass(slots=True)
class RunResult:
    """What :func:`check_run` found in a run of leaves (indexes count from the run's start)."""

    bad: int | None = None  # the first leaf with a problem found in the run alone
    first_prev: str = ""
    first_time: str = ""
    last_time: str = ""
    last_hash: bytes = b""
    roots: list[tuple[int, bytes]] = field(default_factory=list)  # the run's subtrees, see merkle.subtree_roots
    ring: list[tuple[int, str, str, dict[str, Any]]] = field(default_factory=list)  # (index, type, signer, data)
    firsts: list[tuple[int, str]] = field(default_factory=list)  # (index, signer): first after each ring entry
    unchecked: list[int] = field(default_factory=list)  # signatures by a key the run did not know
    by_type: dict[str, int] = field(default_factory=dict)


_known: dict[str, StrictKey] = {}  # key id -> key, in this process (ids only ever stand for one key)
_known_blob = b""


def _learn(blob: bytes) -> None:
    """Take the verifier's keys (raw 32-byte keys, concatenated; the blob only grows)."""
    global _known_blob
    if not blob.startswith(_known_blob):
        _known_blob = b""
    for i in range(len(_known_blob), len(blob), 32):
        raw = blob[i : i + 32]
        _known.setdefault(key_id(raw), StrictKey(raw))
    _known_blob = blob


def _learn_named(data: dict[str, Any]) -> None:
    """Keys a ring entry names (a grant, a genesis, a log key rotation)."""
    for name in ("public_key", "log_key"):
        value = data.get(name)
        if isinstance(value, str) and len(value) == 44:
            try:
                raw = binascii.a2b_base64(value, strict_mode=True)
            except binascii.Error:
                continue
            if len(raw) == 32:
                _known.setdefault(key_id(raw), StrictKey(raw))


def ready() -> None:
    """Nothing: a process that runs it has imported this module (the pool's initializer)."""


def check_run(start: int, raws: list[bytes], origin: str, size: int, keys: bytes) -> RunResult:
    """Check the leaves at positions ``start``... of a log named ``origin`` whose checkpoint
    has ``size`` entries; ``keys``: the keys the verifier knows so far (raw, concatenated).
    Stops at the first problem (``bad``); the verifier walks the run again to name it.

    The signatures are verified after every leaf is read, in one loop: Ed25519's tables stay
    in the processor's caches (verifying between parses costs a tenth more)."""
    _learn(keys)
    out = RunResult()
    hashes: list[bytes] = []
    signed = _read_run(start, raws, origin, size, out, hashes)
    for i, key, sig, message in signed:
        if not key.verify(sig, message):
            out.bad = i
            break
    if out.bad is None:
        out.roots = merkle.subtree_roots(start, hashes)
    else:
        out.by_type, out.roots = {}, []
    return out


def _read_run(
    start: int, raws: list[bytes], origin: str, size: int, out: RunResult, hashes: list[bytes]
) -> list[tuple[int, StrictKey, bytes, bytes]]:
    """Every check of :func:`check_run` but the signatures, which it returns to verify (those
    of the leaves before the first problem, and by a key known here)."""
    signed: list[tuple[int, StrictKey, bytes, bytes]] = []
    seen: set[str] = set()
    prev_hash = b""
    for i, raw in enumerate(raws):
        try:
            seq, prev, time, type_, signer, log, data, body, sig = leaf_fields(raw)
        except LedgerError:
            out.bad = i
            break
        position = start + i
        if i == 0:
            out.first_prev, out.first_time = prev, time
        elif prev != prev_hash.hex() or time < out.last_time:
            out.bad = i
            break
        if (
            seq != position
            or position >= size
            or log != origin
            or (type_ == GENESIS) != (position == 0)
            or (out.ring and out.ring[-1][1] == LOG_SEALED)
        ):
            out.bad = i
            break
        if type_ in RING_TYPES:
            out.ring.append((i, type_, signer, data))
            _learn_named(data)
            seen.clear()
        elif signer not in seen:
            seen.add(signer)
            out.firsts.append((i, signer))
        key = _known.get(signer)
        if key is None:
            out.unchecked.append(i)
        else:
            signed.append((i, key, sig, ENTRY_PREFIX + body))
        prev_hash = merkle.leaf_hash(raw)
        hashes.append(prev_hash)
        out.last_time, out.last_hash = time, prev_hash
        out.by_type[type_] = out.by_type.get(type_, 0) + 1
    return signed
