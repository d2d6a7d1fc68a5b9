"""The offline verifier: checks a whole log against its signed checkpoint.

Given the leaves (in seq order), the checkpoint note and the log's verifier key, it checks:

- the checkpoint's signature by the log key, and its origin;
- every leaf: canonical bytes (RFC 8785), exact fields, ``seq`` equal to its position,
  ``prev`` equal to the previous leaf's hash, log time never running backwards, the body
  signed for this log;
- every signature, against actor keys taken from the log itself (``registry.genesis`` and
  ``key.granted``; ``key.revoked`` ends a key from its seq on);
- the Merkle root of the leaves against the checkpoint's root and size.

It stops at the first problem and raises :class:`VerificationError` naming the seq and what
was expected. It needs nothing but ``ledger`` core modules: no database, no network.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import merkle
from .checkpoint import Checkpoint, verify_checkpoint
from .entry import GENESIS_PREV, Leaf, SignedEntry, parse_leaf
from .errors import LedgerError, VerificationError
from .keys import key_id, unb64

LOG_KEY_ROTATED = "log.key_rotated"
from .note import NoteVerifier, format_verifier_key, parse_note, parse_verifier_key
from .sigcheck import Pending
from .sigcheck import start as start_verify


@dataclass(slots=True)
class ActorKey:
    public: bytes
    role: str
    org: str
    granted_seq: int
    revoked_seq: int | None = None


@dataclass(slots=True)
class VerifyReport:
    size: int
    root: str
    origin: str
    entries_by_type: dict[str, int] = field(default_factory=dict)
    keys: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": True,
            "origin": self.origin,
            "size": self.size,
            "root": self.root,
            "entries_by_type": dict(sorted(self.entries_by_type.items())),
            "keys": self.keys,
        }


class KeyRing:
    """Actor keys as the log itself grants and revokes them."""

    def __init__(self) -> None:
        self.keys: dict[str, ActorKey] = {}
        # the log's checkpoint keys as (first tree size signed, raw key): from genesis, then
        # each log.key_rotated, which the key before signs
        self.log_keys: list[tuple[int, bytes]] = []

    def public_key_for(self, seq: int, signer: str, type_: str = "") -> bytes | None:
        if type_ == LOG_KEY_ROTATED:
            current = self.log_keys[-1][1] if self.log_keys else None
            return current if current is not None and key_id(current) == signer else None
        key = self.keys.get(signer)
        if key is None or (key.revoked_seq is not None and seq > key.revoked_seq):
            return None
        return key.public

    def observe(self, seq: int, type_: str, data: dict[str, Any]) -> None:
        """Learn from a key-granting or key-revoking entry (after its signature checked)."""
        if type_ in ("registry.genesis", "key.granted"):
            raw = unb64(data.get("public_key"), length=32, what="data.public_key")
            self.keys[key_id(raw)] = ActorKey(raw, str(data.get("role")), str(data.get("org")), seq)
            if type_ == "registry.genesis" and data.get("log_key") is not None:
                self.log_keys.append((0, unb64(data.get("log_key"), length=32, what="data.log_key")))
        elif type_ == LOG_KEY_ROTATED:
            if data.get("from_size") != seq + 1:
                raise LedgerError("body_invalid", detail=f"from_size must be {seq + 1}")
            self.log_keys.append((seq + 1, unb64(data.get("public_key"), length=32, what="data.public_key")))
        elif type_ == "key.revoked":
            target = self.keys.get(str(data.get("key_id")))
            if target is not None and target.revoked_seq is None:
                target.revoked_seq = seq


def verify_leaves(leaves: Iterable[bytes], checkpoint: Checkpoint, ring: KeyRing | None = None) -> VerifyReport:
    """Check every leaf and the root against a checkpoint (whose signature the caller checks)."""
    ring = ring if ring is not None else KeyRing()
    edge = merkle.CompactRange()
    report = VerifyReport(checkpoint.size, checkpoint.root.hex(), checkpoint.origin)
    position = -1
    stream = iter(leaves)
    signatures = _Signatures()
    try:
        position = _walk(stream, checkpoint, ring, edge, report, signatures)
        signatures.settle()
    except VerificationError:
        signatures.settle()  # a bad signature before the problem found is the first bad entry
        raise
    count = position + 1
    if count < checkpoint.size:
        raise VerificationError("log is shorter than its checkpoint", seq=count, expected=f"{checkpoint.size} entries", actual=f"{count} entries")
    root = edge.root()
    if root != checkpoint.root:
        last = checkpoint.size - 1 if checkpoint.size else None
        raise VerificationError("Merkle root differs from the checkpoint", seq=last, expected=checkpoint.root.hex(), actual=root.hex())
    report.keys = len(ring.keys)
    return report


class _Signatures:
    """Signature checks queued in chunks and verified by the process pool while parsing goes
    on; :meth:`settle` waits for all and raises for the first bad one, by seq."""

    CHUNK = 2048

    def __init__(self) -> None:
        self.items: list[tuple[bytes, bytes, bytes]] = []
        self.meta: list[tuple[int, str, str]] = []
        self.pending: list[tuple[list[tuple[int, str, str]], Pending]] = []

    def add(self, position: int, entry: SignedEntry, public: bytes) -> None:
        self.items.append((public, entry.sig, entry.signing_message()))
        self.meta.append((position, entry.signer, entry.type))
        if len(self.items) >= self.CHUNK:
            self._submit()
            if len(self.pending) > 2:  # keep the pipeline short: settle the oldest chunk
                self._check(*self.pending.pop(0))

    def _submit(self) -> None:
        if self.items:
            self.pending.append((self.meta, start_verify(self.items)))
            self.items, self.meta = [], []

    @staticmethod
    def _check(meta: list[tuple[int, str, str]], pending: Pending) -> None:
        for (position, signer, type_), ok in zip(meta, pending.result(), strict=True):
            if not ok:
                raise VerificationError("signature does not verify", seq=position, expected=f"signature by {signer}", actual=type_)

    def settle(self) -> None:
        self._submit()
        while self.pending:
            self._check(*self.pending.pop(0))


def _walk(stream: Iterator[bytes], checkpoint: Checkpoint, ring: KeyRing, edge: merkle.CompactRange, report: VerifyReport, signatures: _Signatures) -> int:
    """The sequential checks of every leaf; signatures go to ``signatures``. Returns the last position."""
    prev = GENESIS_PREV
    last_time = ""
    position = -1
    for position, raw in enumerate(stream):
        if position >= checkpoint.size:
            raise VerificationError("entry beyond the checkpoint's tree size", seq=position, expected=f"{checkpoint.size} entries", actual="more")
        try:
            leaf = parse_leaf(raw)
        except LedgerError as exc:
            raise VerificationError(f"leaf is not well formed ({exc.message_en})", seq=position, expected="canonical leaf", actual=raw[:80].decode("utf-8", "replace")) from exc
        if leaf.seq != position:
            raise VerificationError("seq out of place", seq=position, expected=position, actual=leaf.seq)
        if leaf.prev != prev:
            raise _chain_break(position, leaf, prev, stream, edge, checkpoint)
        if leaf.time < last_time:
            raise VerificationError("log time runs backwards", seq=position, expected=f">= {last_time}", actual=leaf.time)
        body = leaf.entry.body
        if body["log"] != checkpoint.origin:
            raise VerificationError("entry signed for another log", seq=position, expected=checkpoint.origin, actual=body["log"])
        if position == 0:
            if body["type"] != "registry.genesis":
                raise VerificationError("entry 0 must be registry.genesis", seq=0, expected="registry.genesis", actual=body["type"])
            try:
                ring.observe(0, "registry.genesis", body["data"])
            except LedgerError as exc:
                raise VerificationError("genesis names no valid public key", seq=0, expected="data.public_key", actual=exc.message_en) from exc
        public = ring.public_key_for(position, leaf.entry.signer, body["type"])
        if public is None:
            raise VerificationError("signer key not granted (or revoked) at this point of the log", seq=position, expected="a granted key", actual=leaf.entry.signer)
        signatures.add(position, leaf.entry, public)
        if position > 0 and body["type"] in ("key.granted", "key.revoked", LOG_KEY_ROTATED):
            try:
                ring.observe(position, body["type"], body["data"])
            except LedgerError as exc:
                raise VerificationError("key entry names no valid public key", seq=position, expected="data.public_key", actual=exc.message_en) from exc
        report.entries_by_type[body["type"]] = report.entries_by_type.get(body["type"], 0) + 1
        lh = merkle.leaf_hash(raw)
        edge.append(lh)
        prev = lh.hex()
        last_time = leaf.time
    return position


def _chain_break(
    position: int, leaf: Leaf, computed: str, stream: Any, edge: merkle.CompactRange, checkpoint: Checkpoint
) -> VerificationError:
    """Name the bad entry when leaf ``position`` does not link to the one before it.

    Either the previous leaf was altered (it no longer hashes to what this one recorded), or
    this leaf's own ``prev`` was. In the second case this leaf no longer hashes to what the
    next one recorded either; for the last leaf, putting the computed ``prev`` back makes the
    root match the checkpoint. That tells the two apart.
    """
    following = next(stream, None)
    if following is None:
        restored = Leaf(leaf.seq, computed, leaf.time, leaf.entry)
        trial = merkle.CompactRange(edge.size, edge.hashes)
        trial.append(restored.hash())
        this_is_bad = trial.root() == checkpoint.root
    else:
        try:
            this_is_bad = parse_leaf(following).prev != leaf.hash().hex()
        except LedgerError:
            this_is_bad = False
    if this_is_bad:
        return VerificationError("prev does not link to the entry before", seq=position, expected=computed, actual=leaf.prev)
    return VerificationError("entry does not hash to the prev its successor recorded", seq=position - 1, expected=leaf.prev, actual=computed)


def verify_log(leaves: Iterable[bytes], checkpoint_note: str, vkey: str, *, origin: str | None = None) -> VerifyReport:
    """Verify every leaf against the checkpoint, and the checkpoint's signature.

    ``vkey`` is the log key the caller trusts. When the log names its checkpoint keys (genesis
    ``log_key`` and ``log.key_rotated`` entries), the checkpoint must be signed by the key in
    force at its size, reached from ``vkey`` through rotations each signed by the key before.
    """
    try:
        verifier = parse_verifier_key(vkey.strip())
    except LedgerError as exc:
        raise VerificationError("log verifier key is not valid", expected="name+hash+key", actual=exc.message_en) from exc
    try:
        claimed = Checkpoint.parse(parse_note(checkpoint_note).text)
    except LedgerError as exc:
        raise VerificationError("checkpoint is not a signed note", expected="C2SP checkpoint", actual=exc.message_en) from exc
    if origin is not None and claimed.origin != origin:
        raise VerificationError("checkpoint origin", expected=origin, actual=claimed.origin)
    ring = KeyRing()
    report = verify_leaves(leaves, claimed, ring)
    check_checkpoint_key(checkpoint_note, claimed, verifier, ring)
    return report


def check_checkpoint_key(note: str, checkpoint: Checkpoint, trusted: NoteVerifier, ring: KeyRing) -> None:
    """The checkpoint is signed by the log key in force at its size, and that key is the one
    the verifier trusts or follows from it through rotations the log recorded."""
    chain = ring.log_keys
    if not chain:  # the genesis named no log key: the trusted key signs every checkpoint
        verify_checkpoint(note, trusted, origin=checkpoint.origin)
        return
    in_force = max(i for i, (from_size, _) in enumerate(chain) if from_size <= checkpoint.size)
    trusted_at = [i for i, (_, raw) in enumerate(chain) if raw == trusted.public]
    if not trusted_at or min(trusted_at) > in_force:
        raise VerificationError(
            "the trusted log key is not the log's key at this size, nor an earlier key it rotated from",
            expected=key_id(chain[in_force][1]), actual=key_id(trusted.public),
        )
    verify_checkpoint(note, format_verifier_key(checkpoint.origin, chain[in_force][1]), origin=checkpoint.origin)


def read_export(folder: Path) -> tuple[Iterator[bytes], str, str]:
    """Open an export folder: the leaves (streamed, one per line), the checkpoint, the vkey."""
    folder = Path(folder)
    try:
        note = (folder / "checkpoint").read_text(encoding="utf-8")
        vkey = (folder / "log.vkey").read_text(encoding="utf-8").strip()
        entries = folder / "entries.jsonl"
        if not entries.is_file():
            raise FileNotFoundError(str(entries))
    except (OSError, UnicodeDecodeError) as exc:
        raise VerificationError("export folder is incomplete", expected="entries.jsonl, checkpoint, log.vkey", actual=str(exc)) from exc

    def lines() -> Iterator[bytes]:
        with open(entries, "rb") as f:
            for line in f:
                if not line.endswith(b"\n"):
                    yield line  # a last line without newline is still checked as a leaf
                else:
                    yield line[:-1]

    return lines(), note, vkey
