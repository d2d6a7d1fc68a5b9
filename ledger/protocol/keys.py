"""Ed25519 keys: ids, encodings and key files.

A key's id is the lowercase hex SHA-256 of its raw 32-byte public key (DESIGN section 3).
Private keys live in PKCS#8 PEM files written with mode 0600, optionally encrypted with a
passphrase; nothing here ever prints a private key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.errors import LedgerError
from ledger.protocol import ed25519_strict


def key_id(public_raw: bytes) -> str:
    """Lowercase hex SHA-256 of the raw 32-byte public key."""
    return hashlib.sha256(public_raw).hexdigest()


def public_raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: object, *, length: int | None = None, what: str = "value") -> bytes:
    """Strict standard base64 (with padding); optionally of an exact decoded length."""
    if not isinstance(text, str):
        raise LedgerError("body_invalid", detail=f"{what} must be a base64 string")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise LedgerError("body_invalid", detail=f"{what} is not valid base64") from exc
    if b64(raw) != text:
        raise LedgerError("body_invalid", detail=f"{what} is not canonical base64")
    if length is not None and len(raw) != length:
        raise LedgerError("body_invalid", detail=f"{what} must decode to {length} bytes, not {len(raw)}")
    return raw


def load_public(raw: bytes) -> Ed25519PublicKey:
    if len(raw) != 32:
        raise LedgerError("body_invalid", detail="an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def verify(public: Ed25519PublicKey | bytes, signature: bytes, message: bytes) -> bool:
    """Ed25519 verification with libsodium's strictness (:mod:`ledger.protocol.ed25519_strict`)."""
    if isinstance(public, bytes | bytearray):
        return ed25519_strict.verify(bytes(public), signature, message)
    return ed25519_strict.verify(public_raw(public), signature, message, key=public)


def check_public_key(raw: bytes, *, what: str = "public key") -> bytes:
    """``raw`` if it may enter the log as an Ed25519 key (32 bytes, canonical, not of small
    order, on the curve), else a typed ``body_invalid`` naming why."""
    problem = ed25519_strict.public_key_problem(raw)
    if problem is not None:
        raise LedgerError("body_invalid", detail=f"{what}: {problem}")
    return raw


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A private key with its public half and id, ready to sign."""

    private: Ed25519PrivateKey
    public: bytes
    id: str

    @classmethod
    def generate(cls) -> KeyPair:
        return cls.from_private(Ed25519PrivateKey.generate())

    @classmethod
    def from_private(cls, private: Ed25519PrivateKey) -> KeyPair:
        raw = public_raw(private)
        return cls(private, raw, key_id(raw))

    @classmethod
    def from_seed(cls, seed: bytes) -> KeyPair:
        """Deterministic key from a 32-byte seed (demo data and tests)."""
        return cls.from_private(Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed).digest()))

    @property
    def public_b64(self) -> str:
        return b64(self.public)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    def __repr__(self) -> str:  # never show the private key
        return f"KeyPair(id={self.id[:16]}…)"


def write_key_file(pair: KeyPair, path: Path, passphrase: bytes | None = None) -> None:
    """Write the private key as PKCS#8 PEM with mode 0600, atomically; refuse to overwrite."""
    path = Path(path)
    if path.exists():
        raise LedgerError("key_file_invalid", path=str(path), detail="the file exists already; refusing to overwrite")
    encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    pem = pair.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def read_key_file(path: Path, passphrase: bytes | None = None) -> KeyPair:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LedgerError("key_file_invalid", path=str(path), detail=exc.strerror or str(exc)) from exc
    try:
        key = serialization.load_pem_private_key(data, password=passphrase or None)
    except (ValueError, TypeError) as exc:
        raise LedgerError(
            "key_file_invalid", path=str(path), detail="not an Ed25519 PEM key, or wrong passphrase"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise LedgerError("key_file_invalid", path=str(path), detail="not an Ed25519 key")
    return KeyPair.from_private(key)
