"""C2SP signed-note, tlog-checkpoint, tlog-cosignature and RFC 6962 Merkle trees, written from the
specification texts alone: the standard library and ``cryptography``, no import of this project.
The witness (spec_witness) and the log driver (spec_log) used against our code are built on it.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

DASH = "\u2014 "  # signature lines start with an em dash and a space (signed-note)
ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04


# --- signed notes (c2sp.org/signed-note) ------------------------------------------------------


def key_id(name: str, alg: int, public: bytes) -> bytes:
    """SHA-256(<name> || "\\n" || <alg byte> || <public key>)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public).digest()[:4]


def vkey(name: str, alg: int, public: bytes) -> str:
    """<name>+<hex key id>+<base64(alg byte || public key)>."""
    return f"{name}+{key_id(name, alg, public).hex()}+{base64.b64encode(bytes([alg]) + public).decode()}"


def parse_vkey(text: str) -> tuple[str, int, bytes]:
    name, hex_id, material = text.split("+", 2)  # base64 may hold "+" too
    raw = base64.b64decode(material, validate=True)
    if bytes.fromhex(hex_id) != key_id(name, raw[0], raw[1:]):
        raise ValueError("key id does not match")
    return name, raw[0], raw[1:]


@dataclass
class Signer:
    """An Ed25519 key with a name: signs note bodies (type 0x01) or cosigns checkpoints (0x04)."""

    name: str
    private: Ed25519PrivateKey

    @classmethod
    def generate(cls, name: str) -> Signer:
        return cls(name, Ed25519PrivateKey.generate())

    @property
    def public(self) -> bytes:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def vkey(self, alg: int = ALG_ED25519) -> str:
        return vkey(self.name, alg, self.public)

    def sign_line(self, body: str) -> str:
        sig = self.private.sign(body.encode())
        return f"{DASH}{self.name} {base64.b64encode(key_id(self.name, ALG_ED25519, self.public) + sig).decode()}\n"

    def cosign_line(self, body: str, timestamp: int) -> str:
        message = f"cosignature/v1\ntime {timestamp}\n{body}".encode()
        sig = timestamp.to_bytes(8, "big") + self.private.sign(message)
        kid = key_id(self.name, ALG_COSIGNATURE_V1, self.public)
        return f"{DASH}{self.name} {base64.b64encode(kid + sig).decode()}\n"


def split_note(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """The body (ending in a newline) and the signature lines as (name, key id, signature)."""
    body, sep, sigs = note.rpartition("\n\n")
    if not sep or not sigs.endswith("\n"):
        raise ValueError("not a signed note")
    lines = []
    for line in sigs[:-1].split("\n"):
        if not line.startswith(DASH):
            raise ValueError("a signature line must start with an em dash")
        name, _, b64 = line[len(DASH) :].rpartition(" ")
        raw = base64.b64decode(b64, validate=True)
        if len(raw) < 5:
            raise ValueError("signature too short")
        lines.append((name, raw[:4], raw[4:]))
    return body + "\n", lines


def verify_ed25519(public: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except InvalidSignature:
        return False
    return True


def verify_cosignature(body: str, name: str, public: bytes, signature: bytes) -> int | None:
    """The timestamp of a valid cosignature/v1 signature, else None."""
    if len(signature) != 72:
        return None
    timestamp = int.from_bytes(signature[:8], "big")
    message = f"cosignature/v1\ntime {timestamp}\n{body}".encode()
    return timestamp if verify_ed25519(public, signature[8:], message) else None


# --- checkpoints (c2sp.org/tlog-checkpoint) ---------------------------------------------------


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def parse_checkpoint(body: str) -> tuple[str, int, bytes]:
    lines = body.split("\n")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not size_text.isdigit() or (len(size_text) > 1 and size_text[0] == "0"):
        raise ValueError("bad size")
    root = base64.b64decode(root_text, validate=True)
    if len(root) != 32:
        raise ValueError("bad root")
    return origin, int(size_text), root


# --- RFC 6962 Merkle trees --------------------------------------------------------------------

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: list[bytes]) -> bytes:
    """MTH over leaf hashes (RFC 6962 2.1)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def consistency_proof(m: int, leaves: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 6962 2.1.2."""
    return _subproof(m, leaves, True) if 0 < m < len(leaves) else []


def _subproof(m: int, leaves: list[bytes], start: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if start else [mth(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], start), mth(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def verify_consistency(m: int, n: int, old_root: bytes, new_root: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 2.1.4.2, for 0 < m <= n."""
    if m == n:
        return not proof and old_root == new_root
    if not proof and m:
        return False
    if m & (m - 1) == 0:
        proof = [old_root, *proof]
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


def random_leaves(count: int) -> list[bytes]:
    return [leaf_hash(os.urandom(16)) for _ in range(count)]
