"""Ed25519 verification as strict as libsodium's ``crypto_sign_verify_detached``.

RFC 8032 leaves verifiers room: implementations disagree on small-order points, on
non-canonical encodings and on the cofactor. A transparency log must not: a public key of
small order lets anyone "sign" with it without a private key (R = identity, S = 0 verifies
under the cofactorless equation for every message), and two verifiers that disagree on a
signature disagree on the log. So every verifier path of this project applies one rule, the
one libsodium applies (since 1.0.16, without ``ED25519_COMPAT``):

1. ``S`` (the second half of the signature) is canonical: ``S < L``.
2. ``R`` (the first half) is not one of the small-order encodings, and is canonical (y < p).
3. The public key ``A`` is canonical (``y < p``, the sign bit aside) and not of small order.
4. The cofactorless equation ``[S]B = R + [k]A`` holds with ``R`` compared byte for byte
   with the canonical encoding of the computed point (pyca/cryptography's verify does this).

Small order is judged as libsodium does: the first 31 bytes and the last byte without its
sign bit equal one of seven encodings (the identity, the points of order 2, 4 and 8, and the
non-canonical ``p``, ``p + 1`` and ``p - 1`` forms), which also catches the "negative zero"
variants. :func:`public_key_problem` additionally refuses a key that is not a point of the
curve at all, so that a key entering the log can always be used.

Standard library and ``cryptography`` only (the pure core).
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
_SQRT_M1 = pow(2, (P - 1) // 4, P)

# libsodium's ge25519_has_small_order list (last byte compared without the sign bit)
SMALL_ORDER_ENCODINGS: tuple[bytes, ...] = tuple(
    bytes.fromhex(h)
    for h in (
        "0000000000000000000000000000000000000000000000000000000000000000",  # order 4
        "0100000000000000000000000000000000000000000000000000000000000000",  # order 1 (identity)
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  # order 8
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  # order 8
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # p - 1, order 2
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # p (non-canonical 0)
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # p + 1 (non-canonical 1)
    )
)
_SMALL = frozenset(SMALL_ORDER_ENCODINGS)
_SMALL_PREFIXES = frozenset(e[:31] for e in SMALL_ORDER_ENCODINGS)


def has_small_order(point: bytes) -> bool:
    """The 32-byte encoding is one of libsodium's small-order encodings (sign bit ignored)."""
    return point[:31] + bytes([point[31] & 0x7F]) in _SMALL


def is_canonical(point: bytes) -> bool:
    """The encoded y coordinate (sign bit aside) is below p."""
    return int.from_bytes(point, "little") & ((1 << 255) - 1) < P


def is_on_curve(point: bytes) -> bool:
    """The encoding decodes to a point of edwards25519 (RFC 8032 section 5.1.3)."""
    y = int.from_bytes(point, "little") & ((1 << 255) - 1)
    if y >= P:
        return False
    u = (y * y - 1) % P
    v = (D * y * y + 1) % P
    x2 = u * pow(v, P - 2, P) % P
    if x2 == 0:
        return not point[31] >> 7  # x = 0 with the sign bit set is refused
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * _SQRT_M1 % P
    return (x * x - x2) % P == 0


def public_key_problem(public: bytes) -> str | None:
    """Why ``public`` may not enter the log as an Ed25519 key, or None when it may."""
    if not isinstance(public, bytes | bytearray) or len(public) != 32:
        return "an Ed25519 public key is 32 bytes"
    public = bytes(public)
    if not is_canonical(public):
        return "the public key is not canonically encoded (y >= p)"
    if has_small_order(public):
        return "the public key is a point of small order"
    if not is_on_curve(public):
        return "the public key is not a point of the curve"
    return None


def precheck(public: bytes, signature: bytes) -> str | None:
    """libsodium's checks before the equation: None when they pass, else a short reason."""
    if len(public) != 32:
        return "an Ed25519 public key is 32 bytes"
    return signature_problem(signature) or _key_problem(bytes(public))


def signature_problem(signature: bytes) -> str | None:
    """The checks of :func:`precheck` on the signature alone (its length, S and R)."""
    if len(signature) != 64:
        return "an Ed25519 signature is 64 bytes"
    r, s = bytes(signature[:32]), signature[32:]
    # the shortcuts skip a test only where it cannot fail: S < 2**252 < L when its top byte is
    # below 0x10; no small-order encoding starts with R's first 31 bytes; y < p unless y's
    # top byte (sign bit aside) is 0x7f
    if signature[63] >= 0x10 and int.from_bytes(s, "little") >= L:
        return "S is not canonical (S >= L)"
    if r[:31] in _SMALL_PREFIXES and has_small_order(r):
        return "R is a point of small order"
    if r[31] & 0x7F == 0x7F and not is_canonical(r):
        return "R is not canonically encoded (y >= p)"
    return None


def _key_problem(public: bytes) -> str | None:
    if not is_canonical(public):
        return "the public key is not canonically encoded (y >= p)"
    if has_small_order(public):
        return "the public key is a point of small order"
    return None


def verify(public: bytes, signature: bytes, message: bytes, key: Ed25519PublicKey | None = None) -> bool:
    """Strict verification: the pre-checks, then pyca/cryptography's (cofactorless) verify.
    ``key``: the loaded form of ``public``, when the caller has it already."""
    if precheck(public, signature) is not None:
        return False
    try:
        (key or Ed25519PublicKey.from_public_bytes(bytes(public))).verify(bytes(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


class StrictKey:
    """One public key, loaded and pre-checked once, for verifying many signatures:
    :meth:`verify` gives what :func:`verify` gives for this key."""

    __slots__ = ("_key", "_usable", "public")

    def __init__(self, public: bytes) -> None:
        self.public = bytes(public)
        self._usable = len(self.public) == 32 and _key_problem(self.public) is None
        self._key: Ed25519PublicKey | None = None
        if self._usable:
            try:
                self._key = Ed25519PublicKey.from_public_bytes(self.public)
            except ValueError:
                self._usable = False

    def verify(self, signature: bytes, message: bytes) -> bool:
        if not self._usable or self._key is None or signature_problem(signature) is not None:
            return False
        try:
            self._key.verify(bytes(signature), message)
        except (InvalidSignature, ValueError):
            return False
        return True
