"""C2SP checkpoints and witness cosignatures.

A checkpoint (https://c2sp.org/tlog-checkpoint) is a signed note whose text is::

    <origin>
    <tree size, decimal, no leading zeros>
    <base64 of the 32-byte RFC 9162 root hash>
    [extension lines, non-empty, opaque]

The log signs it with its Ed25519 note key (type 0x01, :mod:`ledger.protocol.note`); the key name
should be the origin. Witnesses add tlog-cosignature v1 lines (https://c2sp.org/tlog-cosignature):
key type 0x04, key hash ``SHA-256(name || 0x0A || 0x04 || public key)[:4]``, and the signature
``key hash || timestamp (uint64 big-endian) || Ed25519(message)`` where the message is::

    cosignature/v1
    time <timestamp, decimal>
    <the checkpoint text, extension lines included>

A v1 cosignature does not commit to the witness name, so one public key must never stand for two
witnesses: the quorum helpers refuse such a witness list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from ledger.errors import InvariantBroken, LedgerError, VerificationError, define
from ledger.protocol.keys import KeyPair, b64, unb64
from ledger.protocol.merkle import HASH_SIZE
from ledger.protocol.note import (
    MAX_TIMESTAMP,
    NOTE_KEY_INVALID,
    SIG_COSIGNATURE_V1,
    SIG_ED25519,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    check_text,
    cosignature_message,
    is_valid_name,
    open_note,
    parse_note,
    parse_verifier_key,
    sign_note,
    verifier_map,
)

MAX_TREE_SIZE = 2**64 - 1
_DECIMAL = re.compile(r"0|[1-9][0-9]*")

CHECKPOINT_INVALID = "checkpoint_invalid"  # defined in ledger.errors
COSIGNATURE_QUORUM_NOT_MET = define(
    "cosignature_quorum_not_met",
    "invalid",
    "Too few trusted witnesses cosigned the checkpoint{where}: {what} (expected {expected}, found {actual}).",
    "为该检查点副署的受信任见证方不足{where_zh}：{what}（应为 {expected}，实际为 {actual}）。",
)


def _invalid(detail: str) -> LedgerError:
    return LedgerError(CHECKPOINT_INVALID, detail=detail)


def _check_line(value: object, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise _invalid(f"the {what} must be a non-empty string")
    for ch in value:
        if ch < "\x20":
            raise _invalid(f"the {what} contains a control character or a newline")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _invalid(f"the {what} is not valid Unicode") from exc


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: origin, size, root hash and optional extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "origin")
        if not isinstance(self.size, int) or isinstance(self.size, bool) or not 0 <= self.size <= MAX_TREE_SIZE:
            raise _invalid(f"the tree size must be an integer from 0 to 2^64-1, not {self.size!r}")
        if not isinstance(self.root, (bytes, bytearray)) or len(self.root) != HASH_SIZE:
            got = len(self.root) if isinstance(self.root, (bytes, bytearray)) else type(self.root).__name__
            raise _invalid(f"the root hash must be {HASH_SIZE} bytes, not {got}")
        object.__setattr__(self, "root", bytes(self.root))
        if isinstance(self.extensions, str):
            raise _invalid("extensions must be a sequence of lines")
        object.__setattr__(self, "extensions", tuple(self.extensions))
        for line in self.extensions:
            _check_line(line, "extension line")

    def to_text(self) -> str:
        """The note text (body) of the checkpoint, ending in a newline."""
        lines = [self.origin, str(self.size), b64(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body strictly (the note text, without signatures)."""
        if not isinstance(text, str):
            raise _invalid("the checkpoint must be text")
        if not text.endswith("\n"):
            raise _invalid("the checkpoint text must end with a newline")
        if "\n\n" in text or text.startswith("\n"):
            raise _invalid("the checkpoint has an empty line (pass the note text, not the signed note)")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise _invalid(f"a checkpoint has at least 3 lines, not {len(lines)}")
        origin, size_text, root_text, *extensions = lines
        if not _DECIMAL.fullmatch(size_text):
            raise _invalid(f"the tree size {size_text!r} is not a decimal number without leading zeros")
        size = int(size_text)
        try:
            root = unb64(root_text, what="root hash")
        except LedgerError as exc:
            raise _invalid("the root hash is not canonical base64") from exc
        return cls(origin, size, root, tuple(extensions))


# --- log signatures -------------------------------------------------------------------------


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    """The signed note of ``checkpoint`` by the log key (type 0x01)."""
    return sign_note(checkpoint.to_text(), signer)


def _log_verifier(log_key: NoteVerifier | str) -> NoteVerifier:
    verifier = parse_verifier_key(log_key, sig_types=(SIG_ED25519,)) if isinstance(log_key, str) else log_key
    if not isinstance(verifier, NoteVerifier) or verifier.sig_type != SIG_ED25519:
        raise LedgerError(NOTE_KEY_INVALID, detail="the log key must be an Ed25519 note key (type 0x01)")
    return verifier


def verify_checkpoint(message: str | bytes, log_key: NoteVerifier | str, *, origin: str | None = None) -> Checkpoint:
    """Verify the log's signature on a signed checkpoint and return the checkpoint.

    Other signatures (cosignatures, other keys) are ignored. If ``origin`` is given, the
    checkpoint's origin must be exactly it. Raises VerificationError (``note_unverified``,
    ``note_bad_signature``, or ``verification_failed`` for the origin) or LedgerError
    (``note_malformed``, ``checkpoint_invalid``).
    """
    opened = open_note(message, [_log_verifier(log_key)])
    checkpoint = Checkpoint.parse(opened.text)
    if origin is not None and checkpoint.origin != origin:
        raise VerificationError("checkpoint origin", expected=origin, actual=checkpoint.origin)
    return checkpoint


# --- cosignatures ---------------------------------------------------------------------------


class Cosigner(NamedTuple):
    """A witness whose cosignature verified, and the time it claims."""

    name: str
    timestamp: int


def witness_verifier(name: str, public: bytes) -> NoteVerifier:
    """The type 0x04 verifier of a witness key."""
    return NoteVerifier.create(name, public, SIG_COSIGNATURE_V1)


def format_witness_key(name: str, public: bytes) -> str:
    """``name+<8 hex key hash>+base64(0x04 || public)``."""
    return witness_verifier(name, public).to_string()


def parse_witness_key(text: str) -> NoteVerifier:
    """Parse a witness verifier key strictly (type 0x04 only)."""
    return parse_verifier_key(text, sig_types=(SIG_COSIGNATURE_V1,))


def _checkpoint_text(checkpoint: Checkpoint | str) -> str:
    if isinstance(checkpoint, Checkpoint):
        return checkpoint.to_text()
    return Checkpoint.parse(checkpoint).to_text()


def cosign(checkpoint: Checkpoint | str, witness: KeyPair, name: str, time: int) -> str:
    """A tlog-cosignature v1 line by ``witness`` over the checkpoint at ``time``.

    ``checkpoint`` is a :class:`Checkpoint` or its note text (the body, not the signed note;
    verifying the log's signature is the caller's job). ``time`` is POSIX seconds. Returns the
    signature line ``— <name> <base64>`` with its final newline.
    """
    if not is_valid_name(name):
        raise LedgerError(NOTE_KEY_INVALID, detail=f"the witness name {name!r} is empty or has spaces or '+'")
    if not isinstance(time, int) or isinstance(time, bool) or not 0 <= time <= MAX_TIMESTAMP:
        raise LedgerError(
            CHECKPOINT_INVALID, detail=f"the cosignature time must be an integer from 0 to 2^63-1, not {time!r}"
        )
    text = _checkpoint_text(checkpoint)
    check_text(text)
    signature = witness.sign(cosignature_message(text, time))
    verifier = witness_verifier(name, witness.public)
    return NoteSignature(name, verifier.key_hash, time.to_bytes(8, "big") + signature).line()


def cosignature_timestamp(signature: NoteSignature | str) -> int:
    """The timestamp a type 0x04 cosignature claims (not verified: use verify_cosignatures)."""
    sig = NoteSignature.parse_line(signature) if isinstance(signature, str) else signature
    if len(sig.signature) != 8 + 64:
        raise LedgerError(CHECKPOINT_INVALID, detail="not a cosignature v1: the signature is not 72 bytes")
    return int.from_bytes(sig.signature[:8], "big")


def _witness_map(witness_keys: Iterable[NoteVerifier | str]) -> dict[tuple[str, int], NoteVerifier]:
    """Trusted witness keys by (name, key hash): type 0x04, one key per name, one name per key."""
    keys = [parse_witness_key(k) if isinstance(k, str) else k for k in witness_keys]
    known = verifier_map(keys)
    publics: dict[bytes, str] = {}
    names: set[str] = set()
    for v in known.values():
        if v.sig_type != SIG_COSIGNATURE_V1:
            raise LedgerError(NOTE_KEY_INVALID, detail=f"the witness key {v.name} is not a cosignature key (type 0x04)")
        if v.name in names:
            raise LedgerError(NOTE_KEY_INVALID, detail=f"the witness {v.name!r} is listed with two keys")
        names.add(v.name)
        if v.public in publics:
            raise LedgerError(
                NOTE_KEY_INVALID,
                detail=f"witnesses {publics[v.public]!r} and {v.name!r} share one public key",
            )
        publics[v.public] = v.name
    return known


def verify_cosignatures(
    message: str | bytes,
    witness_keys: Iterable[NoteVerifier | str],
    *,
    not_after: int | None = None,
) -> list[Cosigner]:
    """The trusted witnesses whose cosignatures on the signed checkpoint verify.

    Does not check the log's own signature (use :func:`verify_checkpoint`). Signatures by
    unknown keys are ignored; a cosignature by a trusted witness that fails to verify, or
    (when ``not_after`` is given) claims a time after it, raises VerificationError. An empty
    list means no trusted witness cosigned.
    """
    known = _witness_map(witness_keys)
    note = parse_note(message)
    Checkpoint.parse(note.text)  # only checkpoints are cosigned
    text = note.text
    cosigners: list[Cosigner] = []
    for sig in note.signatures:
        verifier = known.get(sig.key)
        if verifier is None:
            continue
        timestamp = verifier.check(text, sig)
        if timestamp is None:
            raise InvariantBroken("timestamp is missing")
        if not_after is not None and timestamp > not_after:
            raise VerificationError(
                f"cosignature by {sig.name} is dated in the future", expected=f"<= {not_after}", actual=timestamp
            )
        cosigners.append(Cosigner(sig.name, timestamp))
    return cosigners


def quorum_met(cosigners: Iterable[Cosigner], threshold: int) -> bool:
    """Whether at least ``threshold`` distinct witnesses (by name) are among ``cosigners``."""
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1:
        raise LedgerError(NOTE_KEY_INVALID, detail=f"the quorum must be a positive integer, not {threshold!r}")
    return len({c.name for c in cosigners}) >= threshold


def require_quorum(
    message: str | bytes,
    witness_keys: Iterable[NoteVerifier | str],
    threshold: int,
    *,
    not_after: int | None = None,
) -> list[Cosigner]:
    """Raise unless at least ``threshold`` of ``witness_keys`` cosigned (k of n).

    ``threshold`` must be between 1 and the number of distinct witness keys. Returns the valid
    cosigners. Raises VerificationError with code ``cosignature_quorum_not_met``.
    """
    known = _witness_map(witness_keys)
    if not isinstance(threshold, int) or isinstance(threshold, bool) or not 1 <= threshold <= len(known):
        raise LedgerError(
            NOTE_KEY_INVALID,
            detail=f"the quorum {threshold!r} must be between 1 and the {len(known)} witness keys",
        )
    cosigners = verify_cosignatures(message, known.values(), not_after=not_after)
    if not quorum_met(cosigners, threshold):
        raise VerificationError(
            f"{len(cosigners)} of {len(known)} trusted witnesses cosigned",
            expected=f"at least {threshold}",
            actual=", ".join(c.name for c in cosigners) or "none",
            code=COSIGNATURE_QUORUM_NOT_MET,
        )
    return cosigners


def verify_witnessed_checkpoint(
    message: str | bytes,
    log_key: NoteVerifier | str,
    witness_keys: Iterable[NoteVerifier | str],
    threshold: int,
    *,
    origin: str | None = None,
    not_after: int | None = None,
) -> tuple[Checkpoint, list[Cosigner]]:
    """Verify the log's signature and a k-of-n witness quorum; return both results."""
    checkpoint = verify_checkpoint(message, log_key, origin=origin)
    return checkpoint, require_quorum(message, witness_keys, threshold, not_after=not_after)
