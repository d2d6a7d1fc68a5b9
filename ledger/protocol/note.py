"""C2SP signed notes (https://c2sp.org/signed-note): text signed by one or more keys.

A signed note is the note *text* (one or more lines, each ending in ``\\n``; empty lines are
allowed), one blank line, then one or more signature lines::

    — <key name> base64(4-byte key hash || signature)

(U+2014 em dash, a space, the name, a space, the base64, a newline). The whole note is UTF-8
with no control characters below U+0020 except the newline. The text is separated from the
signatures by the *last* blank line of the note.

Keys are identified by (name, key hash), where the key hash is the first four bytes, read as a
big-endian uint32, of ``SHA-256(name || 0x0A || type || public key)``. Two key types are used
here, both Ed25519 (RFC 8032):

- ``0x01`` (:data:`SIG_ED25519`): the signature is Ed25519 over the note text. Logs sign their
  checkpoints with it.
- ``0x04`` (:data:`SIG_COSIGNATURE_V1`): a c2sp.org/tlog-cosignature v1 witness cosignature:
  the signature bytes are ``timestamp (uint64, big-endian) || Ed25519 signature`` over
  ``"cosignature/v1\\ntime <timestamp>\\n" + note text`` (see :mod:`ledger.protocol.checkpoint`).

Keys are written as *verifier keys* ``name+<8 hex key hash>+base64(type || public key)`` and
(type 0x01 only) *signer keys* ``PRIVATE+KEY+name+<8 hex key hash>+base64(0x01 || seed)``, the
golang.org/x/mod/sumdb/note formats. Both parsers check the key hash.

Opening a note follows the spec: signatures from unknown keys are ignored (returned apart),
a signature from a known key must verify or the whole note is refused, and at least one known
key must have signed. This module is stricter than the spec in one way: a note that carries two
signature lines for the same (name, key hash) is malformed rather than deduplicated.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.errors import LedgerError, VerificationError, define
from ledger.protocol.ed25519_strict import public_key_problem
from ledger.protocol.keys import KeyPair, b64, unb64, verify

SIG_ED25519 = 0x01
SIG_COSIGNATURE_V1 = 0x04
KNOWN_SIG_TYPES = (SIG_ED25519, SIG_COSIGNATURE_V1)

SIG_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 100  # the spec asks verifiers to accept at least 16
MAX_NOTE_BYTES = 256 * 1024  # room for 100 signatures of post-quantum size
MAX_TIMESTAMP = 2**63 - 1  # tlog-cosignature: a timestamp MUST NOT exceed 2^63 - 1

ED25519_SIG_SIZE = 64
COSIGNATURE_V1_HEADER = "cosignature/v1\n"

_HASH8 = re.compile(r"[0-9a-f]{8}")

NOTE_MALFORMED = define(
    "note_malformed",
    "invalid",
    "The signed note is not well formed: {detail}.",
    "签名文本（signed note）格式不正确：{detail}。",
)
NOTE_KEY_INVALID = define(
    "note_key_invalid",
    "invalid",
    "The note key is not valid: {detail}.",
    "签名密钥串无效：{detail}。",
)
NOTE_UNVERIFIED = define(
    "note_unverified",
    "forbidden",
    "The note is not signed by any trusted key{where}: {what} (expected {expected}, found {actual}).",
    "该签名文本没有任何受信任密钥的签名{where_zh}：{what}（应为 {expected}，实际为 {actual}）。",
)
NOTE_BAD_SIGNATURE = define(
    "note_bad_signature",
    "forbidden",
    "A signature by a trusted key does not verify{where}: {what} (expected {expected}, found {actual}).",
    "受信任密钥的签名校验失败{where_zh}：{what}（应为 {expected}，实际为 {actual}）。",
)


# --- names, text and key hashes -------------------------------------------------------------


def _is_space(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def is_valid_name(name: str) -> bool:
    """A key name is non-empty and has neither Unicode spaces nor ``+`` (nor control chars)."""
    return (
        isinstance(name, str)
        and name != ""
        and "+" not in name
        and not any(_is_space(ch) or ch < "\x20" for ch in name)
    )


def _check_name(name: str, error: str) -> None:
    if not is_valid_name(name):
        raise LedgerError(error, detail=f"the key name {name!r} is empty or has spaces, '+' or control characters")


def _control_char(text: str) -> int:
    """Index of the first control character other than a newline, or -1."""
    for i, ch in enumerate(text):
        if ch < "\x20" and ch != "\n":
            return i
    return -1


def check_text(text: str) -> None:
    """Raise unless ``text`` can be the text of a signed note.

    It must be a non-empty string ending in a newline with no control characters other than
    newlines, and encodable as UTF-8 (no lone surrogates). Empty lines are allowed.
    """
    if not isinstance(text, str):
        raise LedgerError(NOTE_MALFORMED, detail="the note text must be a string")
    if not text or not text.endswith("\n"):
        raise LedgerError(NOTE_MALFORMED, detail="the note text must end with a newline")
    at = _control_char(text)
    if at >= 0:
        raise LedgerError(NOTE_MALFORMED, detail=f"control character U+{ord(text[at]):04X} at offset {at}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LedgerError(NOTE_MALFORMED, detail="the note text is not valid Unicode") from exc


def key_hash(name: str, sig_type: int, public: bytes) -> int:
    """``SHA-256(name || 0x0A || sig_type || public)[:4]`` as a big-endian uint32."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public).digest()
    return int.from_bytes(digest[:4], "big")


def cosignature_message(text: str, timestamp: int) -> bytes:
    """The message a tlog-cosignature v1 signs: header, time line, then the note text."""
    return f"{COSIGNATURE_V1_HEADER}time {timestamp}\n".encode("ascii") + text.encode("utf-8")


# --- signatures and notes -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: key name, key hash and the signature bytes after the key hash."""

    name: str
    key_hash: int
    signature: bytes

    @property
    def base64(self) -> str:
        """base64(key hash || signature), as written on the line."""
        return b64(struct.pack(">I", self.key_hash) + self.signature)

    def line(self) -> str:
        """The signature line, ``— name base64\\n``."""
        return f"{SIG_PREFIX}{self.name} {self.base64}\n"

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.key_hash)

    @classmethod
    def parse_line(cls, line: str) -> NoteSignature:
        """Parse one signature line, with or without its final newline."""
        if line.endswith("\n"):
            line = line[:-1]
        if not line.startswith(SIG_PREFIX):
            raise LedgerError(NOTE_MALFORMED, detail="a signature line must start with an em dash (U+2014) and a space")
        rest = line[len(SIG_PREFIX) :]
        name, sep, encoded = rest.partition(" ")
        if not sep:
            raise LedgerError(NOTE_MALFORMED, detail="a signature line must be '— <name> <base64>'")
        _check_name(name, NOTE_MALFORMED)
        try:
            raw = unb64(encoded, what="signature")
        except LedgerError as exc:
            raise LedgerError(NOTE_MALFORMED, detail=f"the signature of {name!r} is not canonical base64") from exc
        if len(raw) < 5:
            raise LedgerError(NOTE_MALFORMED, detail=f"the signature of {name!r} is too short")
        return cls(name, int.from_bytes(raw[:4], "big"), raw[4:])


@dataclass(frozen=True, slots=True)
class Note:
    """A parsed, not yet verified, signed note."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def to_text(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)


def parse_note(
    message: str | bytes,
    *,
    max_bytes: int = MAX_NOTE_BYTES,
    max_signatures: int = MAX_SIGNATURES,
) -> Note:
    """Split a signed note into its text and signatures, checking only the syntax.

    Refuses: more than ``max_bytes`` bytes, invalid UTF-8, control characters other than
    newline, no blank line before the signatures, a missing final newline, a line in the
    signature block that is not ``— <name> <base64>``, no signature, more than
    ``max_signatures`` signatures, and two signatures for the same (name, key hash).
    """
    if isinstance(message, (bytes, bytearray)):
        if len(message) > max_bytes:
            raise LedgerError(
                NOTE_MALFORMED, detail=f"the note is {len(message)} bytes; at most {max_bytes} are accepted"
            )
        try:
            message = bytes(message).decode("utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            raise LedgerError(NOTE_MALFORMED, detail="the note is not valid UTF-8") from exc
    elif not isinstance(message, str):
        raise LedgerError(NOTE_MALFORMED, detail="the note must be text")
    else:
        try:
            size = len(message.encode("utf-8"))
        except UnicodeEncodeError as exc:
            raise LedgerError(NOTE_MALFORMED, detail="the note is not valid Unicode") from exc
        if size > max_bytes:
            raise LedgerError(NOTE_MALFORMED, detail=f"the note is {size} bytes; at most {max_bytes} are accepted")
    at = _control_char(message)
    if at >= 0:
        raise LedgerError(NOTE_MALFORMED, detail=f"control character U+{ord(message[at]):04X} at offset {at}")
    split = message.rfind("\n\n")
    if split < 0:
        raise LedgerError(NOTE_MALFORMED, detail="no blank line separates the text from the signatures")
    text, block = message[: split + 1], message[split + 2 :]
    if not block:
        raise LedgerError(NOTE_MALFORMED, detail="there is no signature after the blank line")
    if not block.endswith("\n"):
        raise LedgerError(NOTE_MALFORMED, detail="the last signature line must end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > max_signatures:
        raise LedgerError(NOTE_MALFORMED, detail=f"{len(lines)} signatures; at most {max_signatures} are accepted")
    signatures: list[NoteSignature] = []
    seen: set[tuple[str, int]] = set()
    for line in lines:
        sig = NoteSignature.parse_line(line)
        if sig.key in seen:
            raise LedgerError(NOTE_MALFORMED, detail=f"two signatures by the key {sig.name}+{sig.key_hash:08x}")
        seen.add(sig.key)
        signatures.append(sig)
    return Note(text, tuple(signatures))


# --- keys -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoteVerifier:
    """A trusted public key: name, key type, raw 32-byte Ed25519 key and its key hash."""

    name: str
    sig_type: int
    public: bytes
    key_hash: int

    def __post_init__(self) -> None:
        _check_name(self.name, NOTE_KEY_INVALID)
        if self.sig_type not in KNOWN_SIG_TYPES:
            raise LedgerError(NOTE_KEY_INVALID, detail=f"unsupported key type {self.sig_type!r}")
        if not isinstance(self.public, (bytes, bytearray)) or len(self.public) != 32:
            raise LedgerError(NOTE_KEY_INVALID, detail="an Ed25519 public key is 32 bytes")
        object.__setattr__(self, "public", bytes(self.public))
        problem = public_key_problem(self.public)  # libsodium's strictness (ledger.protocol.ed25519_strict)
        if problem is not None:
            raise LedgerError(NOTE_KEY_INVALID, detail=problem)
        expected = key_hash(self.name, self.sig_type, self.public)
        if self.key_hash != expected or isinstance(self.key_hash, bool):
            claimed = f"{self.key_hash:08x}" if isinstance(self.key_hash, int) else repr(self.key_hash)
            raise LedgerError(
                NOTE_KEY_INVALID, detail=f"the key hash {claimed} does not match the key (computed {expected:08x})"
            )

    @classmethod
    def create(cls, name: str, public: bytes, sig_type: int = SIG_ED25519) -> NoteVerifier:
        """The verifier of ``public`` under ``name``, with its key hash computed."""
        _check_name(name, NOTE_KEY_INVALID)
        if not isinstance(public, (bytes, bytearray)) or len(public) != 32:
            raise LedgerError(NOTE_KEY_INVALID, detail="an Ed25519 public key is 32 bytes")
        if sig_type not in KNOWN_SIG_TYPES:
            raise LedgerError(NOTE_KEY_INVALID, detail=f"unsupported key type {sig_type!r}")
        return cls(name, sig_type, bytes(public), key_hash(name, sig_type, bytes(public)))

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.key_hash)

    def to_string(self) -> str:
        """The verifier key string ``name+hash+base64(type || public)``."""
        return f"{self.name}+{self.key_hash:08x}+{b64(bytes([self.sig_type]) + self.public)}"

    def check(self, text: str, sig: NoteSignature) -> int | None:
        """Verify ``sig`` over the note ``text``; raise VerificationError if it does not verify.

        Returns the cosignature timestamp for type 0x04 keys, None for type 0x01.
        """
        if sig.key != self.key:
            raise VerificationError(
                "signature is by another key",
                expected=f"{self.name}+{self.key_hash:08x}",
                actual=f"{sig.name}+{sig.key_hash:08x}",
                code=NOTE_BAD_SIGNATURE,
            )
        public = self.public
        timestamp: int | None = None
        if self.sig_type == SIG_COSIGNATURE_V1:
            if len(sig.signature) != 8 + ED25519_SIG_SIZE:
                raise VerificationError(
                    f"cosignature by {self.name} has the wrong length",
                    expected=8 + ED25519_SIG_SIZE,
                    actual=len(sig.signature),
                    code=NOTE_BAD_SIGNATURE,
                )
            timestamp = int.from_bytes(sig.signature[:8], "big")
            if timestamp > MAX_TIMESTAMP:
                raise VerificationError(
                    f"cosignature by {self.name} has a timestamp above 2^63-1",
                    expected=f"<= {MAX_TIMESTAMP}",
                    actual=timestamp,
                    code=NOTE_BAD_SIGNATURE,
                )
            ok = verify(public, sig.signature[8:], cosignature_message(text, timestamp))
        else:
            if len(sig.signature) != ED25519_SIG_SIZE:
                raise VerificationError(
                    f"signature by {self.name} has the wrong length",
                    expected=ED25519_SIG_SIZE,
                    actual=len(sig.signature),
                    code=NOTE_BAD_SIGNATURE,
                )
            ok = verify(public, sig.signature, text.encode("utf-8"))
        if not ok:
            raise VerificationError(
                f"signature by {self.name}+{self.key_hash:08x} does not match the note text",
                expected="a valid Ed25519 signature",
                actual=sig.base64,
                code=NOTE_BAD_SIGNATURE,
            )
        return timestamp


@dataclass(frozen=True, slots=True)
class NoteSigner:
    """A named type 0x01 signing key (a log key)."""

    name: str
    pair: KeyPair

    def __post_init__(self) -> None:
        _check_name(self.name, NOTE_KEY_INVALID)

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier.create(self.name, self.pair.public, SIG_ED25519)

    @property
    def key_hash(self) -> int:
        return key_hash(self.name, SIG_ED25519, self.pair.public)

    def sign(self, text: str) -> NoteSignature:
        check_text(text)
        return NoteSignature(self.name, self.key_hash, self.pair.sign(text.encode("utf-8")))

    def __repr__(self) -> str:  # never show the private key
        return f"NoteSigner(name={self.name!r}, key_hash={self.key_hash:08x})"


def _split_key(text: str, parts: int, error: str) -> list[str]:
    """Split at the first ``parts - 1`` pluses; the last part (base64) may contain '+'."""
    if not isinstance(text, str):
        raise LedgerError(error, detail="a key must be a string")
    if text != text.strip() or "\n" in text:
        raise LedgerError(error, detail="a key must not have surrounding spaces or newlines")
    pieces = text.split("+", parts - 1)
    if len(pieces) != parts:
        raise LedgerError(error, detail="wrong number of '+'-separated parts")
    return pieces


def _decode_key_material(name: str, hash_hex: str, encoded: str, error: str) -> tuple[int, int, bytes]:
    _check_name(name, error)
    if not _HASH8.fullmatch(hash_hex):
        raise LedgerError(error, detail="the key hash must be 8 lowercase hex digits")
    try:
        raw = unb64(encoded, what="key")
    except LedgerError as exc:
        raise LedgerError(error, detail="the key material is not canonical base64") from exc
    if len(raw) != 33:
        raise LedgerError(error, detail=f"the key material must be a type byte and 32 bytes, not {len(raw)} bytes")
    return int(hash_hex, 16), raw[0], raw[1:]


def format_verifier_key(name: str, public: bytes, sig_type: int = SIG_ED25519) -> str:
    """``name+<8 hex key hash>+base64(sig_type || public)``."""
    return NoteVerifier.create(name, public, sig_type).to_string()


def parse_verifier_key(text: str, *, sig_types: Iterable[int] = KNOWN_SIG_TYPES) -> NoteVerifier:
    """Parse a verifier key strictly: valid name, 8 lowercase hex digits, canonical base64 of a
    type byte in ``sig_types`` and a 32-byte key, and a key hash that matches."""
    name, hash_hex, encoded = _split_key(text, 3, NOTE_KEY_INVALID)
    claimed, sig_type, public = _decode_key_material(name, hash_hex, encoded, NOTE_KEY_INVALID)
    allowed = tuple(sig_types)
    if sig_type not in allowed:
        names = ", ".join(f"0x{t:02x}" for t in allowed)
        raise LedgerError(NOTE_KEY_INVALID, detail=f"key type 0x{sig_type:02x} where {names} is expected")
    return NoteVerifier(name, sig_type, public, claimed)  # checks the key hash


def format_signer_key(name: str, pair: KeyPair) -> str:
    """``PRIVATE+KEY+name+<8 hex key hash>+base64(0x01 || 32-byte seed)``. Keep it secret."""
    signer = NoteSigner(name, pair)
    seed = pair.private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return f"PRIVATE+KEY+{name}+{signer.key_hash:08x}+{b64(bytes([SIG_ED25519]) + seed)}"


def parse_signer_key(text: str) -> NoteSigner:
    """Parse a signer key strictly (type 0x01 only); the key hash must match the derived key."""
    private, key_word, name, hash_hex, encoded = _split_key(text, 5, NOTE_KEY_INVALID)
    if private != "PRIVATE" or key_word != "KEY":
        raise LedgerError(NOTE_KEY_INVALID, detail="a signer key starts with PRIVATE+KEY+")
    claimed, sig_type, seed = _decode_key_material(name, hash_hex, encoded, NOTE_KEY_INVALID)
    if sig_type != SIG_ED25519:
        raise LedgerError(NOTE_KEY_INVALID, detail=f"signer key type 0x{sig_type:02x}; only 0x01 is supported")
    signer = NoteSigner(name, KeyPair.from_private(Ed25519PrivateKey.from_private_bytes(seed)))
    if signer.key_hash != claimed:
        raise LedgerError(
            NOTE_KEY_INVALID,
            detail=f"the key hash {hash_hex} does not match the key (computed {signer.key_hash:08x})",
        )
    return signer


def verifier_map(verifiers: Iterable[NoteVerifier | str]) -> dict[tuple[str, int], NoteVerifier]:
    """Index trusted keys by (name, key hash); strings are parsed as verifier keys.

    Two different keys with the same name and key hash are refused (ambiguous); the same key
    listed twice is kept once.
    """
    known: dict[tuple[str, int], NoteVerifier] = {}
    for v in verifiers:
        if isinstance(v, str):
            v = parse_verifier_key(v)
        if not isinstance(v, NoteVerifier):
            raise LedgerError(NOTE_KEY_INVALID, detail="expected a NoteVerifier or a verifier key string")
        other = known.get(v.key)
        if other is not None and other != v:
            raise LedgerError(
                NOTE_KEY_INVALID, detail=f"two trusted keys share the name and key hash {v.name}+{v.key_hash:08x}"
            )
        known[v.key] = v
    return known


# --- signing and opening --------------------------------------------------------------------


class VerifiedSignature(NamedTuple):
    """A signature that verified: the line, the trusted key, and (type 0x04) its timestamp."""

    signature: NoteSignature
    verifier: NoteVerifier
    timestamp: int | None

    @property
    def name(self) -> str:
        return self.signature.name


class OpenedNote(NamedTuple):
    """The verified text, the signatures that verified, and those by unknown keys."""

    text: str
    verified: tuple[VerifiedSignature, ...]
    unknown: tuple[NoteSignature, ...]


def sign_note(text: str, *signers: NoteSigner) -> str:
    """Sign ``text`` with each signer (type 0x01) and return the signed note."""
    check_text(text)
    if not signers:
        raise LedgerError(NOTE_KEY_INVALID, detail="at least one signer is needed")
    sigs = [s.sign(text) for s in signers]
    if len({s.key for s in sigs}) != len(sigs):
        raise LedgerError(NOTE_KEY_INVALID, detail="the same key is given twice")
    message = Note(text, tuple(sigs)).to_text()
    parse_note(message)  # the result must parse again: size and count limits
    return message


def add_signatures(message: str, signatures: Iterable[NoteSignature | str]) -> str:
    """Add signature lines (e.g. witness cosignatures) to a signed note.

    A new signature replaces an existing one by the same (name, key hash); nothing is verified
    here. Existing signatures come first, in their order, then the new ones.
    """
    note = parse_note(message)
    new: dict[tuple[str, int], NoteSignature] = {}
    for s in signatures:
        if isinstance(s, str):
            s = NoteSignature.parse_line(s)
        new[s.key] = s
    kept = tuple(s for s in note.signatures if s.key not in new)
    merged = Note(note.text, kept + tuple(new.values())).to_text()
    parse_note(merged)
    return merged


def open_note(
    message: str | bytes,
    verifiers: Iterable[NoteVerifier | str],
    *,
    max_bytes: int = MAX_NOTE_BYTES,
    max_signatures: int = MAX_SIGNATURES,
) -> OpenedNote:
    """Parse a signed note and verify it against trusted keys.

    Signatures by unknown keys (name and key hash not both matching a trusted key) are returned
    in ``unknown``. Raises VerificationError (code ``note_bad_signature``) if a trusted key's
    signature fails, and (code ``note_unverified``) if no trusted key signed.
    """
    known = verifier_map(verifiers)
    note = parse_note(message, max_bytes=max_bytes, max_signatures=max_signatures)
    verified: list[VerifiedSignature] = []
    unknown: list[NoteSignature] = []
    for sig in note.signatures:
        verifier = known.get(sig.key)
        if verifier is None:
            unknown.append(sig)
            continue
        verified.append(VerifiedSignature(sig, verifier, verifier.check(note.text, sig)))
    if not verified:
        raise VerificationError(
            "no signature by a trusted key",
            expected=", ".join(f"{n}+{h:08x}" for n, h in known) or "a trusted key",
            actual=", ".join(f"{s.name}+{s.key_hash:08x}" for s in note.signatures),
            code=NOTE_UNVERIFIED,
        )
    return OpenedNote(note.text, tuple(verified), tuple(unknown))
