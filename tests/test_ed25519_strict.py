"""Ed25519 as strict as libsodium: the published edge-case vectors, verified by the project
and by libsodium (PyNaCl), must get the same verdict, every one."""

from __future__ import annotations

import nacl.bindings
import nacl.exceptions
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.protocol import ed25519_strict
from ledger.protocol.entry import make_body, parse_submission, signature_valid
from ledger.protocol.keys import KeyPair, b64, load_public, verify
from tests.ed25519_vectors import all_vectors

VECTORS = all_vectors()
IDENTITY = bytes.fromhex("0100000000000000000000000000000000000000000000000000000000000000")
# the forgery of the review: a small-order key, R = identity, S = 0 "verifies" any message
FORGED = IDENTITY + bytes(32)


def libsodium_accepts(public: bytes, sig: bytes, msg: bytes) -> bool:
    if len(public) != 32 or len(sig) != 64:
        return False
    try:
        nacl.bindings.crypto_sign_open(sig + msg, public)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        return False
    return True


def plain_cryptography_accepts(public: bytes, sig: bytes, msg: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(sig, msg)
    except (InvalidSignature, ValueError):  # a bad signature, or a key the library will not load
        return False
    return True


def test_the_vector_sets_are_all_there():
    names = [n for n, *_ in VECTORS]
    assert sum(n.startswith("speccheck-") for n in names) == 12
    assert sum(n.startswith("wycheproof-") for n in names) == 151
    assert sum(n.startswith("cctv-") for n in names) == 914


def test_project_and_libsodium_agree_on_every_vector():
    disagree = [
        (name, ours, theirs)
        for name, public, sig, msg in VECTORS
        if (ours := ed25519_strict.verify(public, sig, msg)) != (theirs := libsodium_accepts(public, sig, msg))
    ]
    assert disagree == []


def test_keys_verify_is_the_strict_rule_with_loaded_keys_too():
    disagree = [
        name
        for name, public, sig, msg in VECTORS
        if len(public) == 32 and verify(load_public(public), sig, msg) != libsodium_accepts(public, sig, msg)
    ]
    assert disagree == []


def test_the_vectors_exercise_the_difference_from_plain_verification():
    # without the pre-checks, pyca/cryptography accepts small-order keys and Rs: the vectors
    # would catch a verifier path that skipped them
    lenient = [
        n for n, pk, sig, msg in VECTORS if plain_cryptography_accepts(pk, sig, msg) != libsodium_accepts(pk, sig, msg)
    ]
    assert "speccheck-0" in lenient and len(lenient) > 100


def test_speccheck_libsodium_column():
    # "Taming the many EdDSAs", table of results: libsodium accepts case 3 only
    accepted = [n for n, pk, sig, msg in VECTORS if n.startswith("speccheck-") and ed25519_strict.verify(pk, sig, msg)]
    assert accepted == ["speccheck-3"]


def test_the_reviewers_forgery_is_refused():
    for message in (b"", b"any entry at all", b"\x00" * 100):
        assert plain_cryptography_accepts(IDENTITY, FORGED, message)  # what the log used to accept
        assert not verify(IDENTITY, FORGED, message)
        assert not libsodium_accepts(IDENTITY, FORGED, message)
    assert ed25519_strict.precheck(IDENTITY, FORGED) == "R is a point of small order"


@pytest.mark.parametrize("encoding", ed25519_strict.SMALL_ORDER_ENCODINGS)
def test_small_order_keys_cannot_enter(encoding):
    assert ed25519_strict.public_key_problem(encoding) is not None
    negated = encoding[:31] + bytes([encoding[31] | 0x80])  # the sign-bit variant
    assert ed25519_strict.public_key_problem(negated) is not None


def test_key_problems_are_named():
    good = KeyPair.from_seed(b"strict").public
    assert ed25519_strict.public_key_problem(good) is None
    assert ed25519_strict.public_key_problem(IDENTITY) == "the public key is a point of small order"
    non_canonical = bytes.fromhex("f0" + "ff" * 30 + "7f")  # y = p + 3
    assert ed25519_strict.public_key_problem(non_canonical) == "the public key is not canonically encoded (y >= p)"
    off_curve = (2).to_bytes(32, "little")  # y = 2 gives no x on edwards25519
    assert ed25519_strict.public_key_problem(off_curve) == "the public key is not a point of the curve"
    assert ed25519_strict.public_key_problem(good[:31]) == "an Ed25519 public key is 32 bytes"


def test_every_key_libsodium_accepts_a_signature_from_may_enter_the_log():
    keys = {pk for _, pk, sig, msg in VECTORS if libsodium_accepts(pk, sig, msg)}
    assert keys and all(ed25519_strict.public_key_problem(pk) is None for pk in keys)


def test_a_non_canonical_s_is_refused():
    pair = KeyPair.from_seed(b"s-malleability")
    sig = pair.sign(b"message")
    s = int.from_bytes(sig[32:], "little") + ed25519_strict.L
    malleated = sig[:32] + s.to_bytes(32, "little")
    assert verify(pair.public, sig, b"message")
    assert not verify(pair.public, malleated, b"message")
    assert ed25519_strict.precheck(pair.public, malleated) == "S is not canonical (S >= L)"


def test_entry_signatures_use_the_strict_rule():
    body = make_body("example.org/log", "org.registered", "0" * 64, "2026-01-01T00:00:00.000Z", "i-1", {})
    entry = parse_submission({"body": body, "sig": b64(FORGED)})
    assert plain_cryptography_accepts(IDENTITY, FORGED, entry.signing_message())
    assert not signature_valid(entry, IDENTITY)


@pytest.mark.parametrize("encoding", [*ed25519_strict.SMALL_ORDER_ENCODINGS, bytes.fromhex("f0" + "ff" * 30 + "7f")])
def test_log_and_witness_keys_cannot_be_weak(encoding):
    # verifier keys name log keys and witness keys (C2SP signed-note); a weak one is refused
    from ledger.errors import LedgerError
    from ledger.protocol.note import SIG_COSIGNATURE_V1, NoteVerifier

    for sig_type in (1, SIG_COSIGNATURE_V1):
        with pytest.raises(LedgerError) as info:
            NoteVerifier.create("example.org/log", encoding, sig_type)
        assert info.value.code == "note_key_invalid"


def test_batch_verification_is_strict_too():
    from ledger.protocol.sigcheck import _verify_chunk

    pair = KeyPair.from_seed(b"batch")
    items = [(IDENTITY, FORGED, b"x"), (pair.public, pair.sign(b"y"), b"y"), (b"short", FORGED, b"x")]
    assert _verify_chunk(items) == [False, True, False]
