"""Entry bodies, their signatures, and leaves (DESIGN section 3).

- body: ``{"v":1, "log", "type", "signer", "at", "idem", "data"}``, signed by the actor as
  Ed25519 over ``b"charity-ledger/entry/v1\\n" + JCS(body)``;
- leaf: ``JCS({"seq", "prev", "time", "body", "sig"})``, built by the log;
- leaf hash: SHA-256(0x00 || leaf); ``prev`` is the leaf hash of the entry before (64 zeros
  for entry 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.errors import LedgerError
from ledger.protocol import merkle
from ledger.protocol.canonical import canonical_bytes, format_time, parse_canonical, parse_json, parse_time
from ledger.protocol.grammar import matches, pattern
from ledger.protocol.keys import KeyPair, b64, unb64, verify

ENTRY_PREFIX = b"charity-ledger/entry/v1\n"
GENESIS_PREV = "0" * 64
BODY_KEYS = frozenset({"v", "log", "type", "signer", "at", "idem", "data"})
LEAF_KEYS = frozenset({"seq", "prev", "time", "body", "sig"})
# Every leaf (the body plus at most 240 bytes of seq, prev, time and sig; a seq is at most 2**53 - 1) must fit the uint16
# length prefix of a C2SP tlog-tiles entry bundle (65,535 bytes).
MAX_BODY_BYTES = 65_000
MAX_IDEM = 128

_HEX64 = pattern("hex64")
_TYPE = pattern("entry_type")
_IDEM = pattern("idem")


@dataclass(frozen=True, slots=True)
class SignedEntry:
    """A body as the actor signed it, with its canonical bytes and signature."""

    body: dict[str, Any]
    body_bytes: bytes
    sig: bytes

    @property
    def type(self) -> str:
        return str(self.body["type"])

    @property
    def signer(self) -> str:
        return str(self.body["signer"])

    @property
    def idem(self) -> str:
        return str(self.body["idem"])

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = self.body["data"]
        return data

    def signing_message(self) -> bytes:
        return ENTRY_PREFIX + self.body_bytes

    def to_json(self) -> dict[str, Any]:
        """The submission form: ``{"body": {...}, "sig": base64}``."""
        return {"body": self.body, "sig": b64(self.sig)}


def check_body(body: Any, *, log: str | None = None) -> dict[str, Any]:
    """Shape checks common to every entry; the data schema is the domain's business."""
    if not isinstance(body, dict):
        raise LedgerError("body_invalid", detail="the body must be a JSON object")
    keys = set(body)
    if keys != BODY_KEYS:
        missing = sorted(BODY_KEYS - keys)
        extra = sorted(keys - BODY_KEYS)
        raise LedgerError("body_invalid", detail=f"missing fields {missing}, unknown fields {extra}")
    if body["v"] != 1 or isinstance(body["v"], bool):
        raise LedgerError("body_invalid", detail="v must be 1")
    if not matches("origin", body["log"]):
        raise LedgerError(
            "body_invalid", detail="log must be the log's origin: 1 to 200 printable ASCII characters, no spaces"
        )
    if log is not None and body["log"] != log:
        raise LedgerError("wrong_log", got=body["log"], expected=log)
    if not isinstance(body["type"], str) or not _TYPE.fullmatch(body["type"]):
        raise LedgerError("body_invalid", detail=f"type {str(body['type'])[:70]!r} is not like 'donation.received'")
    if not isinstance(body["signer"], str) or not _HEX64.fullmatch(body["signer"]):
        raise LedgerError("body_invalid", detail="signer must be a key id: 64 lowercase hex digits")
    parse_time(body["at"])
    if not isinstance(body["idem"], str) or not _IDEM.fullmatch(body["idem"]):
        raise LedgerError("body_invalid", detail=f"idem must be 1 to {MAX_IDEM} printable ASCII characters")
    if not isinstance(body["data"], dict):
        raise LedgerError("body_invalid", detail="data must be a JSON object")
    return body


def make_body(log: str, type_: str, signer: str, at: datetime | str, idem: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "v": 1,
        "log": log,
        "type": type_,
        "signer": signer,
        "at": at if isinstance(at, str) else format_time(at),
        "idem": idem,
        "data": data,
    }


def sign_entry(key: KeyPair, body: dict[str, Any]) -> SignedEntry:
    body_bytes = canonical_bytes(check_body(body))
    if len(body_bytes) > MAX_BODY_BYTES:
        raise LedgerError("body_too_large", size=len(body_bytes), limit=MAX_BODY_BYTES)
    return SignedEntry(body, body_bytes, key.sign(ENTRY_PREFIX + body_bytes))


def parse_submission(obj: Any, *, log: str | None = None) -> SignedEntry:
    """Check an ``{"body", "sig"}`` submission's shape and size (not its signature)."""
    if not isinstance(obj, dict) or set(obj) != {"body", "sig"}:
        raise LedgerError("body_invalid", detail='a submission is {"body": {...}, "sig": "<base64>"}')
    body = check_body(obj["body"], log=log)
    body_bytes = canonical_bytes(body)
    if len(body_bytes) > MAX_BODY_BYTES:
        raise LedgerError("body_too_large", size=len(body_bytes), limit=MAX_BODY_BYTES)
    sig = unb64(obj["sig"], length=64, what="sig")
    return SignedEntry(body, body_bytes, sig)


def signature_valid(entry: SignedEntry, public_key: bytes) -> bool:
    if len(public_key) != 32:
        return False
    return verify(public_key, entry.sig, entry.signing_message())


@dataclass(frozen=True, slots=True)
class Leaf:
    """One log entry as stored and hashed."""

    seq: int
    prev: str
    time: str
    entry: SignedEntry

    def to_bytes(self) -> bytes:
        # JCS of {"body","prev","seq","sig","time"}: the keys sort in this order and every value
        # but the body is an ASCII string or a small integer, so concatenation is canonical.
        return b"".join(
            (
                b'{"body":',
                self.entry.body_bytes,
                b',"prev":"',
                self.prev.encode(),
                b'","seq":',
                str(self.seq).encode(),
                b',"sig":"',
                b64(self.entry.sig).encode(),
                b'","time":"',
                self.time.encode(),
                b'"}',
            )
        )

    def hash(self) -> bytes:
        return merkle.leaf_hash(self.to_bytes())

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "prev": self.prev,
            "time": self.time,
            "body": self.entry.body,
            "sig": b64(self.entry.sig),
        }


def parse_leaf(raw: bytes) -> Leaf:
    """Parse stored leaf bytes strictly: canonical form, exact fields and types."""
    obj = parse_canonical(raw)
    if not isinstance(obj, dict) or set(obj) != LEAF_KEYS:
        raise LedgerError("body_invalid", detail="a leaf has exactly seq, prev, time, body, sig")
    seq, prev, time = obj["seq"], obj["prev"], obj["time"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise LedgerError("body_invalid", detail="leaf seq must be a non-negative integer")
    if not isinstance(prev, str) or not _HEX64.fullmatch(prev):
        raise LedgerError("body_invalid", detail="leaf prev must be 64 lowercase hex digits")
    parse_time(time)
    body = check_body(obj["body"])
    sig = unb64(obj["sig"], length=64, what="sig")
    # The leaf is canonical, so its body's canonical bytes are the slice between '{"body":' and
    # the leaf's own ',"prev":"' (the last one: the fields after the body cannot contain it).
    body_bytes = raw[len(b'{"body":') : raw.rindex(b',"prev":"')]
    return Leaf(seq, prev, time, SignedEntry(body, body_bytes, sig))


def parse_leaf_json(text: bytes | str) -> Any:
    """Parse leaf JSON loosely (for tools that show leaves); use parse_leaf to verify."""
    return parse_json(text)
