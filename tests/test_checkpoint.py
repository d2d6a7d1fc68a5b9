"""C2SP checkpoints, log signatures, tlog-cosignature v1 witness cosignatures and quorums."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import LedgerError, VerificationError
from ledger.protocol import checkpoint as cp
from ledger.protocol.checkpoint import (
    Checkpoint,
    Cosigner,
    cosign,
    cosignature_timestamp,
    format_witness_key,
    parse_witness_key,
    quorum_met,
    require_quorum,
    sign_checkpoint,
    verify_checkpoint,
    verify_cosignatures,
    verify_witnessed_checkpoint,
    witness_verifier,
)
from ledger.protocol.keys import KeyPair
from ledger.protocol.merkle import EMPTY_ROOT
from ledger.protocol.note import (
    NoteSignature,
    NoteSigner,
    add_signatures,
    cosignature_message,
    open_note,
    parse_note,
)

DASH = "\u2014"
ORIGIN = "charity.example/ledger/2026"
ROOT = hashlib.sha256(b"root").digest()
T = 1_767_225_600  # 2026-01-01T00:00:00Z

# A real checkpoint of a staging CT log, with its log signature (type 0x01), a signature of
# another type (0x05, unknown here) and four independent witnesses' cosignatures (type 0x04),
# as published in the tests of a third-party Python tlog library; the keys are the operators'
# published verifier keys. It checks this code against other implementations of the specs.
REAL_CHECKPOINT = f"""arche2025h1.staging.ct.transparency.dev
1432088532
U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=

{DASH} arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=
{DASH} arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=
{DASH} transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==
{DASH} witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==
{DASH} remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==
{DASH} witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==
"""
REAL_LOG_KEY = "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
REAL_WITNESS_KEYS = [
    "transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM",
    "witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO",
    "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
    "witness.stagemole.eu+67f7aea0+BEqSG3yu9YrmcM3BHvQYTxwFj3uSWakQepafafpUqklv",
]
REAL_TIME = 0x6A122120


def _log() -> NoteSigner:
    return NoteSigner(ORIGIN, KeyPair.from_seed(b"log key"))


def _witnesses(n: int = 3) -> list[tuple[str, KeyPair]]:
    return [(f"witness{i}.example", KeyPair.from_seed(f"witness {i}".encode())) for i in range(n)]


def _signed(checkpoint: Checkpoint | None = None) -> str:
    return sign_checkpoint(checkpoint or Checkpoint(ORIGIN, 5, ROOT), _log())


# --- the checkpoint body --------------------------------------------------------------------


def test_to_text_and_parse_round_trip() -> None:
    c = Checkpoint(ORIGIN, 20852163, ROOT)
    text = c.to_text()
    assert text == f"{ORIGIN}\n20852163\n{base64.b64encode(ROOT).decode()}\n"
    assert Checkpoint.parse(text) == c
    with_ext = Checkpoint(ORIGIN, 0, EMPTY_ROOT, ("ext one", "ext two"))
    assert Checkpoint.parse(with_ext.to_text()) == with_ext
    assert with_ext.to_text().endswith("ext one\next two\n")


def test_spec_example_body_parses() -> None:
    c = Checkpoint.parse("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
    assert (c.origin, c.size, c.extensions) == ("example.com/behind-the-sofa", 20852163, ())
    assert len(c.root) == 32


def test_extensions_given_as_list_become_a_tuple() -> None:
    c = Checkpoint(ORIGIN, 1, ROOT, ["x"])  # type: ignore[arg-type]
    assert c.extensions == ("x",)
    assert hash(c) == hash(Checkpoint(ORIGIN, 1, ROOT, ("x",)))


_R = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"{ORIGIN}\n5\n{_R}", id="missing-final-newline"),
        pytest.param(f"{ORIGIN}\n05\n{_R}\n", id="leading-zero"),
        pytest.param(f"{ORIGIN}\n00\n{_R}\n", id="double-zero"),
        pytest.param(f"{ORIGIN}\n+5\n{_R}\n", id="plus-sign"),
        pytest.param(f"{ORIGIN}\n-5\n{_R}\n", id="negative"),
        pytest.param(f"{ORIGIN}\n 5\n{_R}\n", id="space"),
        pytest.param(f"{ORIGIN}\n1_000\n{_R}\n", id="underscore"),
        pytest.param(f"{ORIGIN}\n\u0665\n{_R}\n", id="arabic-indic-digit"),
        pytest.param(f"{ORIGIN}\n0x10\n{_R}\n", id="hex"),
        pytest.param(f"{ORIGIN}\n{2**64}\n{_R}\n", id="above-uint64"),
        pytest.param(f"{ORIGIN}\n5\n{base64.b64encode(ROOT[:31]).decode()}\n", id="root-31-bytes"),
        pytest.param(f"{ORIGIN}\n5\n{base64.b64encode(ROOT + b'x').decode()}\n", id="root-33-bytes"),
        pytest.param(f"{ORIGIN}\n5\n{ROOT.hex()}\n", id="root-in-hex"),
        pytest.param(f"{ORIGIN}\n5\n{_R.rstrip('=')}\n", id="root-unpadded"),
        pytest.param(f"{ORIGIN}\n5\n{_R[:-2]}!=\n", id="root-bad-base64"),
        pytest.param(f"{ORIGIN}\n5\n", id="two-lines"),
        pytest.param(f"{ORIGIN}\n5\n{_R}\n\n", id="trailing-empty-line"),
        pytest.param(f"\n{ORIGIN}\n5\n{_R}\n", id="leading-empty-line"),
        pytest.param(f"{ORIGIN}\n5\n{_R}\n\next\n", id="empty-line-before-extension"),
        pytest.param(f"\n5\n{_R}\n", id="empty-origin"),
        pytest.param(f"{ORIGIN}\r\n5\n{_R}\n", id="carriage-return"),
        pytest.param(f"orig\tin\n5\n{_R}\n", id="tab-in-origin"),
        pytest.param(f"{ORIGIN}\n5\n{_R}\n\n{DASH} log AAAA\n", id="signed-note-not-body"),
    ],
)
def test_malformed_bodies_are_refused(text: str) -> None:
    with pytest.raises(LedgerError) as err:
        Checkpoint.parse(text)
    assert err.value.code == "checkpoint_invalid"


def test_root_with_other_base64_spelling_is_refused() -> None:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    spare = _R[:-2] + alphabet[alphabet.index(_R[-2]) ^ 1] + "="  # 32 bytes: 2 spare bits
    assert base64.b64decode(spare) == ROOT
    with pytest.raises(LedgerError):
        Checkpoint.parse(f"{ORIGIN}\n5\n{spare}\n")


def test_largest_size_is_accepted() -> None:
    c = Checkpoint.parse(f"{ORIGIN}\n{2**64 - 1}\n{_R}\n")
    assert c.size == 2**64 - 1


@pytest.mark.parametrize(
    "args",
    [
        ("", 1, ROOT, ()),
        ("a\nb", 1, ROOT, ()),
        (ORIGIN, -1, ROOT, ()),
        (ORIGIN, 2**64, ROOT, ()),
        (ORIGIN, True, ROOT, ()),
        (ORIGIN, "5", ROOT, ()),
        (ORIGIN, 1, ROOT[:31], ()),
        (ORIGIN, 1, ROOT.hex(), ()),
        (ORIGIN, 1, ROOT, ("",)),
        (ORIGIN, 1, ROOT, ("two\nlines",)),
        (ORIGIN, 1, ROOT, "ext"),
    ],
)
def test_invalid_checkpoints_cannot_be_built(args: tuple) -> None:
    with pytest.raises(LedgerError) as err:
        Checkpoint(*args)
    assert err.value.code == "checkpoint_invalid"


@settings(max_examples=100, deadline=None)
@given(
    origin=st.text(st.characters(min_codepoint=0x20, exclude_categories=("Cs",)), min_size=1, max_size=30),
    size=st.integers(0, 2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(
        st.text(st.characters(min_codepoint=0x20, exclude_categories=("Cs",)), min_size=1, max_size=10), max_size=3
    ),
)
def test_property_round_trip(origin: str, size: int, root: bytes, extensions: list[str]) -> None:
    c = Checkpoint(origin, size, root, tuple(extensions))
    assert Checkpoint.parse(c.to_text()) == c


# --- the log's signature --------------------------------------------------------------------


def test_sign_and_verify_checkpoint() -> None:
    log = _log()
    c = Checkpoint(ORIGIN, 5, ROOT)
    message = sign_checkpoint(c, log)
    assert message.startswith(c.to_text() + "\n" + f"{DASH} {ORIGIN} ")
    assert verify_checkpoint(message, log.verifier) == c
    assert verify_checkpoint(message, log.verifier.to_string(), origin=ORIGIN) == c
    assert verify_checkpoint(message.encode(), log.verifier) == c


def test_checkpoint_with_other_origin_is_refused() -> None:
    with pytest.raises(VerificationError) as err:
        verify_checkpoint(_signed(), _log().verifier, origin="other.example/log")
    assert err.value.expected == "other.example/log" and err.value.actual == ORIGIN


def test_checkpoint_signed_by_another_key_is_refused() -> None:
    stranger = NoteSigner(ORIGIN, KeyPair.from_seed(b"stranger"))
    message = sign_checkpoint(Checkpoint(ORIGIN, 5, ROOT), stranger)
    with pytest.raises(VerificationError) as err:
        verify_checkpoint(message, _log().verifier)
    assert err.value.code == "note_unverified"


def test_tampered_checkpoint_is_refused() -> None:
    message = _signed()
    with pytest.raises(VerificationError) as err:
        verify_checkpoint(message.replace(f"{ORIGIN}\n5\n", f"{ORIGIN}\n6\n"), _log().verifier)
    assert err.value.code == "note_bad_signature"


def test_log_key_must_be_type_01() -> None:
    as_witness = format_witness_key(ORIGIN, _log().pair.public)
    with pytest.raises(LedgerError) as err:
        verify_checkpoint(_signed(), as_witness)
    assert err.value.code == "note_key_invalid"
    with pytest.raises(LedgerError):
        verify_checkpoint(_signed(), witness_verifier(ORIGIN, _log().pair.public))


def test_signed_note_that_is_not_a_checkpoint_is_refused() -> None:
    from ledger.protocol.note import sign_note

    message = sign_note("just a note\n", _log())
    with pytest.raises(LedgerError) as err:
        verify_checkpoint(message, _log().verifier)
    assert err.value.code == "checkpoint_invalid"


def test_real_checkpoint_log_signature() -> None:
    c = verify_checkpoint(REAL_CHECKPOINT, REAL_LOG_KEY, origin="arche2025h1.staging.ct.transparency.dev")
    assert c.size == 1432088532
    assert c.root == base64.b64decode("U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=")


# --- cosignatures ---------------------------------------------------------------------------


def test_cosignature_message_matches_the_spec_example() -> None:
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    assert cosignature_message(body, 1679315147) == (b"cosignature/v1\ntime 1679315147\n" + body.encode())


def test_real_cosignatures_verify() -> None:
    cosigners = verify_cosignatures(REAL_CHECKPOINT, REAL_WITNESS_KEYS)
    assert cosigners == [
        Cosigner("transparency.dev/DEV:witness-little-garden", REAL_TIME),
        Cosigner("witness1.smartit.nu/witness1", REAL_TIME),
        Cosigner("remora.n621.de", REAL_TIME),
        Cosigner("witness.stagemole.eu", REAL_TIME),
    ]
    checkpoint, quorum = verify_witnessed_checkpoint(REAL_CHECKPOINT, REAL_LOG_KEY, REAL_WITNESS_KEYS, 4)
    assert checkpoint.size == 1432088532 and len(quorum) == 4


def test_real_cosignatures_open_as_a_note_with_witness_keys_only() -> None:
    # tlog-witness: a client MAY verify cosignatures with an ordinary note verifier.
    opened = open_note(REAL_CHECKPOINT, REAL_WITNESS_KEYS[2:3])
    assert [(v.name, v.timestamp) for v in opened.verified] == [("remora.n621.de", REAL_TIME)]
    assert len(opened.unknown) == 5


def test_real_cosignatures_over_a_changed_checkpoint_fail() -> None:
    changed = REAL_CHECKPOINT.replace("\n1432088532\n", "\n42\n")
    with pytest.raises(VerificationError) as err:
        verify_cosignatures(changed, REAL_WITNESS_KEYS[2:3])
    assert err.value.code == "note_bad_signature"


def test_cosignature_timestamp_known_answer() -> None:
    # transparency-dev/formats note_cosigv1_test.go, TestCosignatureTimestamp
    raw = base64.b64decode(
        "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA=="
    )
    sig = NoteSignature("w", int.from_bytes(raw[:4], "big"), raw[4:])
    assert cosignature_timestamp(sig) == 1727964367
    assert cosignature_timestamp(sig.line()) == 1727964367
    plain = base64.b64decode(
        "eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY="
    )
    with pytest.raises(LedgerError):
        cosignature_timestamp(NoteSignature("w", 1, plain[4:]))


def test_cosign_round_trip() -> None:
    (name, pair), *_ = _witnesses(1)
    c = Checkpoint(ORIGIN, 5, ROOT)
    line = cosign(c, pair, name, T)
    assert line.startswith(f"{DASH} {name} ") and line.endswith("\n") and line.count("\n") == 1
    raw = base64.b64decode(line.split(" ")[2])
    key = witness_verifier(name, pair.public)
    assert raw[:4] == key.key_hash.to_bytes(4, "big")
    assert int.from_bytes(raw[4:12], "big") == T and len(raw) == 4 + 8 + 64
    assert cosign(c.to_text(), pair, name, T) == line  # body text works too
    message = add_signatures(_signed(c), [line])
    assert verify_cosignatures(message, [key]) == [Cosigner(name, T)]
    assert verify_cosignatures(message, [key.to_string()]) == [(name, T)]
    assert verify_checkpoint(message, _log().verifier) == c  # the log signature still verifies


def test_cosignature_with_wrong_timestamp_is_refused() -> None:
    (name, pair), *_ = _witnesses(1)
    c = Checkpoint(ORIGIN, 5, ROOT)
    sig = NoteSignature.parse_line(cosign(c, pair, name, T))
    moved = NoteSignature(sig.name, sig.key_hash, (T + 1).to_bytes(8, "big") + sig.signature[8:])
    message = add_signatures(_signed(c), [moved])
    with pytest.raises(VerificationError) as err:
        verify_cosignatures(message, [witness_verifier(name, pair.public)])
    assert err.value.code == "note_bad_signature"


def test_cosignature_on_altered_checkpoint_is_refused() -> None:
    (name, pair), *_ = _witnesses(1)
    line = cosign(Checkpoint(ORIGIN, 5, ROOT), pair, name, T)
    for other in (
        Checkpoint(ORIGIN, 6, ROOT),
        Checkpoint(ORIGIN, 5, hashlib.sha256(b"other").digest()),
        Checkpoint("other.example/log", 5, ROOT),
        Checkpoint(ORIGIN, 5, ROOT, ("extension",)),
    ):
        message = add_signatures(
            sign_checkpoint(other, NoteSigner(other.origin, KeyPair.from_seed(b"log key"))), [line]
        )
        with pytest.raises(VerificationError):
            verify_cosignatures(message, [witness_verifier(name, pair.public)])


def test_cosignature_covers_extension_lines() -> None:
    (name, pair), *_ = _witnesses(1)
    c = Checkpoint(ORIGIN, 5, ROOT, ("ext",))
    message = add_signatures(_signed(c), [cosign(c, pair, name, T)])
    assert verify_cosignatures(message, [witness_verifier(name, pair.public)]) == [(name, T)]


def test_cosignature_is_not_a_plain_signature() -> None:
    (name, pair), *_ = _witnesses(1)
    c = Checkpoint(ORIGIN, 5, ROOT)
    message = add_signatures(_signed(c), [cosign(c, pair, name, T)])
    plain_key = NoteSigner(name, pair).verifier  # same name and key, type 0x01: other key hash
    with pytest.raises(VerificationError) as err:
        open_note(message, [plain_key])
    assert err.value.code == "note_unverified"


def test_cosignature_in_the_future_can_be_refused() -> None:
    (name, pair), *_ = _witnesses(1)
    c = Checkpoint(ORIGIN, 5, ROOT)
    message = add_signatures(_signed(c), [cosign(c, pair, name, T)])
    key = witness_verifier(name, pair.public)
    assert verify_cosignatures(message, [key], not_after=T) == [(name, T)]
    with pytest.raises(VerificationError):
        verify_cosignatures(message, [key], not_after=T - 1)


@pytest.mark.parametrize("time", [-1, 2**63, True, 1.5, "1"])
def test_cosign_refuses_bad_time(time: object) -> None:
    (name, pair), *_ = _witnesses(1)
    with pytest.raises(LedgerError):
        cosign(Checkpoint(ORIGIN, 5, ROOT), pair, name, time)  # type: ignore[arg-type]


def test_cosign_accepts_largest_time() -> None:
    (name, pair), *_ = _witnesses(1)
    c = Checkpoint(ORIGIN, 5, ROOT)
    message = add_signatures(_signed(c), [cosign(c, pair, name, 2**63 - 1)])
    assert verify_cosignatures(message, [witness_verifier(name, pair.public)]) == [(name, 2**63 - 1)]


def test_cosignature_timestamp_above_2_63_is_refused() -> None:
    (name, pair), *_ = _witnesses(1)
    key = witness_verifier(name, pair.public)
    c = Checkpoint(ORIGIN, 5, ROOT)
    huge = 2**63
    signature = pair.sign(cosignature_message(c.to_text(), huge))
    line = NoteSignature(name, key.key_hash, huge.to_bytes(8, "big") + signature)
    with pytest.raises(VerificationError):
        verify_cosignatures(add_signatures(_signed(c), [line]), [key])


def test_cosign_refuses_signed_note_and_bad_names() -> None:
    (name, pair), *_ = _witnesses(1)
    with pytest.raises(LedgerError) as err:
        cosign(_signed(), pair, name, T)
    assert err.value.code == "checkpoint_invalid"
    for bad in ("", "a b", "a+b"):
        with pytest.raises(LedgerError):
            cosign(Checkpoint(ORIGIN, 5, ROOT), pair, bad, T)


def test_witness_key_format() -> None:
    (name, pair), *_ = _witnesses(1)
    text = format_witness_key(name, pair.public)
    assert base64.b64decode(text.split("+", 2)[2])[0] == 0x04
    assert parse_witness_key(text) == witness_verifier(name, pair.public)
    with pytest.raises(LedgerError):
        parse_witness_key(NoteSigner(name, pair).verifier.to_string())  # type 0x01
    with pytest.raises(LedgerError):
        parse_witness_key(text.replace("+", "+0", 1)[:-1])


def test_type_01_key_is_not_a_witness_key() -> None:
    with pytest.raises(LedgerError):
        verify_cosignatures(_signed(), [_log().verifier])


def test_unknown_cosignatures_are_ignored() -> None:
    witnesses = _witnesses(2)
    c = Checkpoint(ORIGIN, 5, ROOT)
    lines = [cosign(c, pair, name, T) for name, pair in witnesses]
    message = add_signatures(_signed(c), lines)
    first_name, first_pair = witnesses[0]
    only_first = [witness_verifier(first_name, first_pair.public)]
    assert verify_cosignatures(message, only_first) == [(first_name, T)]
    assert verify_cosignatures(_signed(c), only_first) == []


# --- quorum ---------------------------------------------------------------------------------


def _witnessed(signing: int, time: int = T) -> tuple[str, list]:
    witnesses = _witnesses(3)
    c = Checkpoint(ORIGIN, 5, ROOT)
    lines = [cosign(c, pair, name, time) for name, pair in witnesses[:signing]]
    message = add_signatures(_signed(c), lines)
    keys = [witness_verifier(name, pair.public) for name, pair in witnesses]
    return message, keys


def test_quorum_two_of_three_met() -> None:
    message, keys = _witnessed(2)
    cosigners = require_quorum(message, keys, 2)
    assert [c.name for c in cosigners] == ["witness0.example", "witness1.example"]
    assert quorum_met(cosigners, 2) and not quorum_met(cosigners, 3)
    checkpoint, quorum = verify_witnessed_checkpoint(message, _log().verifier, keys, 2, origin=ORIGIN)
    assert checkpoint == Checkpoint(ORIGIN, 5, ROOT) and len(quorum) == 2


def test_quorum_two_of_three_not_met() -> None:
    message, keys = _witnessed(1)
    with pytest.raises(VerificationError) as err:
        require_quorum(message, keys, 2)
    assert err.value.code == "cosignature_quorum_not_met"
    assert "1 of 3" in err.value.message_en and err.value.message_zh
    with pytest.raises(VerificationError):
        verify_witnessed_checkpoint(message, _log().verifier, keys, 2)


def test_quorum_not_met_without_any_cosignature() -> None:
    message, keys = _witnessed(0)
    with pytest.raises(VerificationError) as err:
        require_quorum(message, keys, 1)
    assert err.value.code == "cosignature_quorum_not_met"


def test_quorum_counts_a_forged_cosignature_as_failure() -> None:
    message, keys = _witnessed(2)
    forged = NoteSignature(keys[2].name, keys[2].key_hash, T.to_bytes(8, "big") + bytes(64))
    with pytest.raises(VerificationError) as err:
        require_quorum(add_signatures(message, [forged]), keys, 2)
    assert err.value.code == "note_bad_signature"


@pytest.mark.parametrize("threshold", [0, 4, -1, True])
def test_quorum_threshold_must_fit(threshold: int) -> None:
    message, keys = _witnessed(3)
    with pytest.raises(LedgerError):
        require_quorum(message, keys, threshold)


def test_one_key_cannot_stand_for_two_witnesses() -> None:
    # A v1 cosignature does not commit to the witness name: the same key under two names would
    # let one witness count twice.
    pair = KeyPair.from_seed(b"shared")
    c = Checkpoint(ORIGIN, 5, ROOT)
    keys = [witness_verifier("w1.example", pair.public), witness_verifier("w2.example", pair.public)]
    message = add_signatures(_signed(c), [cosign(c, pair, "w1.example", T), cosign(c, pair, "w2.example", T)])
    with pytest.raises(LedgerError) as err:
        require_quorum(message, keys, 2)
    assert err.value.code == "note_key_invalid"


def test_one_witness_cannot_have_two_keys_in_a_policy() -> None:
    keys = [
        witness_verifier("w.example", KeyPair.from_seed(b"1").public),
        witness_verifier("w.example", KeyPair.from_seed(b"2").public),
    ]
    message, _ = _witnessed(0)
    with pytest.raises(LedgerError):
        require_quorum(message, keys, 1)


def test_real_checkpoint_quorum() -> None:
    assert len(require_quorum(REAL_CHECKPOINT, REAL_WITNESS_KEYS, 3)) == 4
    stranger = format_witness_key("stranger.example", KeyPair.from_seed(b"s").public)
    with pytest.raises(VerificationError):
        require_quorum(REAL_CHECKPOINT, [*REAL_WITNESS_KEYS[:1], stranger], 2)


def test_module_exports() -> None:
    assert cp.SIG_COSIGNATURE_V1 == 0x04 and cp.SIG_ED25519 == 0x01
    assert parse_note(REAL_CHECKPOINT).signatures[0].key_hash == 0xCD333CB1
