"""C2SP signed notes: known-answer vectors, key formats, strict parsing and verification."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import LedgerError, VerificationError
from ledger.protocol import note
from ledger.protocol.keys import KeyPair
from ledger.protocol.note import (
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    add_signatures,
    format_signer_key,
    format_verifier_key,
    open_note,
    parse_note,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
)

DASH = "\u2014"

# golang.org/x/mod/sumdb/note (package documentation and note_test.go): a signer key, its
# verifier key, a text, and the signature Ed25519 (deterministic) must reproduce exactly.
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = f"{DASH} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
PETER_NOTE = PETER_TEXT + "\n" + PETER_SIG
# The same package's doubly signed example: a second key whose signer key is not published.
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
ENOCH_SIG = (
    f"{DASH} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)
# The c2sp.org/signed-note test vector: key example.com/foo over "This is an example message.\n".
EXAMPLE_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
EXAMPLE_NOTE = (
    "This is an example message.\n\n"
    f"{DASH} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
# transparency-dev/formats note_cosigv1_test.go: a type 0x01 verifier key whose base64 holds '+'.
PLUS_VKEY = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"


def _signer(name: str = "example.com/log", seed: bytes = b"log") -> NoteSigner:
    return NoteSigner(name, KeyPair.from_seed(seed))


def _code(exc_info: pytest.ExceptionInfo[LedgerError]) -> str:
    return exc_info.value.code


# --- known answers --------------------------------------------------------------------------


def test_go_vector_signs_byte_for_byte() -> None:
    signer = parse_signer_key(PETER_SKEY)
    assert signer.name == "PeterNeumann"
    assert signer.key_hash == 0xC74F20A3
    assert signer.verifier.to_string() == PETER_VKEY
    assert sign_note(PETER_TEXT, signer) == PETER_NOTE
    assert format_signer_key("PeterNeumann", signer.pair) == PETER_SKEY


def test_go_vector_opens() -> None:
    opened = open_note(PETER_NOTE, [PETER_VKEY])
    assert opened.text == PETER_TEXT
    assert [(v.name, v.signature.key_hash, v.timestamp) for v in opened.verified] == [
        ("PeterNeumann", 0xC74F20A3, None)
    ]
    assert opened.unknown == ()
    text, verified, unknown = opened  # also a plain tuple
    assert text == PETER_TEXT and len(verified) == 1 and unknown == ()


def test_go_vector_doubly_signed() -> None:
    message = PETER_NOTE + ENOCH_SIG
    opened = open_note(message, [PETER_VKEY, ENOCH_VKEY])
    assert [v.name for v in opened.verified] == ["PeterNeumann", "EnochRoot"]
    only_enoch = open_note(message, [ENOCH_VKEY])
    assert [v.name for v in only_enoch.verified] == ["EnochRoot"]
    assert [(s.name, s.key_hash) for s in only_enoch.unknown] == [("PeterNeumann", 0xC74F20A3)]


def test_go_vector_tampered_text_is_refused() -> None:
    with pytest.raises(VerificationError) as err:
        open_note(PETER_NOTE.replace("cryptography", "cryptographY"), [PETER_VKEY])
    assert _code(err) == "note_bad_signature"


def test_c2sp_signed_note_vector() -> None:
    opened = open_note(EXAMPLE_NOTE, [EXAMPLE_VKEY])
    assert opened.text == "This is an example message.\n"
    key = parse_verifier_key(EXAMPLE_VKEY)
    assert key.public == bytes.fromhex("e932791ae6e7a840a46164c904786426d5e7821dd8b29a00d61cae72afdd4da4")
    assert key.key_hash == 0x530D903A and key.sig_type == note.SIG_ED25519


def test_verifier_key_with_plus_in_base64() -> None:
    key = parse_verifier_key(PLUS_VKEY)
    assert key.name == "TEST" and key.key_hash == 0x7997405C
    assert key.to_string() == PLUS_VKEY


# --- key formats ----------------------------------------------------------------------------


@pytest.mark.parametrize("sig_type", [note.SIG_ED25519, note.SIG_COSIGNATURE_V1])
def test_verifier_key_round_trip(sig_type: int) -> None:
    pair = KeyPair.from_seed(b"round trip")
    text = format_verifier_key("charity.example/log", pair.public, sig_type)
    name, hash_hex, material = text.split("+", 2)
    assert name == "charity.example/log" and len(hash_hex) == 8
    assert base64.b64decode(material) == bytes([sig_type]) + pair.public
    key = parse_verifier_key(text)
    assert (key.name, key.sig_type, key.public) == ("charity.example/log", sig_type, pair.public)
    assert key.key_hash == int(hash_hex, 16) == note.key_hash("charity.example/log", sig_type, pair.public)
    assert key.to_string() == text


def test_key_hash_depends_on_type_and_name() -> None:
    public = KeyPair.from_seed(b"k").public
    assert note.key_hash("a", 1, public) != note.key_hash("a", 4, public)
    assert note.key_hash("a", 1, public) != note.key_hash("b", 1, public)


def test_signer_key_round_trip() -> None:
    pair = KeyPair.from_seed(b"signer")
    text = format_signer_key("charity.example/log", pair)
    assert text.startswith("PRIVATE+KEY+charity.example/log+")
    signer = parse_signer_key(text)
    assert signer.pair.public == pair.public
    assert signer.verifier.to_string() == format_verifier_key("charity.example/log", pair.public)
    assert "PRIVATE" not in repr(signer) and text.rsplit("+", 1)[-1] not in repr(signer)


def test_key_hash_mismatch_is_refused() -> None:
    bad = PETER_VKEY.replace("c74f20a3", "c74f20a4")
    with pytest.raises(LedgerError) as err:
        parse_verifier_key(bad)
    assert _code(err) == "note_key_invalid"
    assert "does not match" in err.value.message_en
    with pytest.raises(LedgerError) as err:
        parse_signer_key(PETER_SKEY.replace("c74f20a3", "00000000"))
    assert _code(err) == "note_key_invalid"


@pytest.mark.parametrize(
    "key",
    [
        "",
        "PeterNeumann",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # uppercase hex
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # 7 digits
        "PeterNeumann+0c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # 9 digits
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  # bad base64
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX",  # non-canonical
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy",  # short key
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # empty name
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # space in name
        PETER_VKEY + "\n",
        " " + PETER_VKEY,
        "PeterNeumann+c74f20a3+AhpcZ2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # type 0x02
    ],
)
def test_malformed_verifier_keys_are_refused(key: str) -> None:
    with pytest.raises(LedgerError) as err:
        parse_verifier_key(key)
    assert _code(err) == "note_key_invalid"


def test_every_mangling_of_a_verifier_key_is_refused() -> None:
    """As golang.org/x/mod's TestNewVerifier: every proper substring and every +1 byte change."""
    raw = PETER_VKEY.encode()
    for i in range(len(raw) + 1):
        for j in range(i + 1, len(raw) + 1):
            if (i, j) == (0, len(raw)):
                continue
            with pytest.raises(LedgerError):
                parse_verifier_key(raw[i:j].decode())
    for i in range(len(raw)):
        mangled = bytearray(raw)
        mangled[i] += 1
        with pytest.raises(LedgerError):
            parse_verifier_key(mangled.decode())


def test_verifier_key_type_can_be_restricted() -> None:
    cosig_key = format_verifier_key("w.example", KeyPair.from_seed(b"w").public, note.SIG_COSIGNATURE_V1)
    with pytest.raises(LedgerError) as err:
        parse_verifier_key(cosig_key, sig_types=(note.SIG_ED25519,))
    assert "0x04" in err.value.message_en


@pytest.mark.parametrize(
    "key",
    [
        PETER_SKEY.replace("PRIVATE+KEY", "PRIVATE+KEX"),
        PETER_SKEY[len("PRIVATE+KEY+") :],
        PETER_SKEY.replace("+AYEK", "+BYEK"),  # type byte not 0x01
        PETER_SKEY[:-1],
    ],
)
def test_malformed_signer_keys_are_refused(key: str) -> None:
    with pytest.raises(LedgerError) as err:
        parse_signer_key(key)
    assert _code(err) == "note_key_invalid"


def test_verifier_constructor_checks_the_hash() -> None:
    public = KeyPair.from_seed(b"x").public
    with pytest.raises(LedgerError):
        NoteVerifier("x", 1, public, 0)
    with pytest.raises(LedgerError):
        NoteVerifier.create("bad name", public)
    with pytest.raises(LedgerError):
        NoteVerifier.create("x", public[:31])
    with pytest.raises(LedgerError):
        NoteVerifier.create("x", public, 0x02)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\u00a0b", "a\u3000b", "tab\tname"])
def test_invalid_signer_names(name: str) -> None:
    with pytest.raises(LedgerError):
        NoteSigner(name, KeyPair.from_seed(b"n"))


# --- signing and round trips ----------------------------------------------------------------


def test_sign_and_open_round_trip() -> None:
    a, b = _signer("a.example/log", b"a"), _signer("b.example/log", b"b")
    text = "line one\n\nline three after an empty line\n"
    message = sign_note(text, a, b)
    assert message.startswith(text + "\n" + DASH + " a.example/log ")
    opened = open_note(message, [a.verifier, b.verifier])
    assert opened.text == text
    assert [v.name for v in opened.verified] == ["a.example/log", "b.example/log"]
    parsed = parse_note(message)
    assert parsed.to_text() == message
    assert [NoteSignature.parse_line(s.line()) for s in parsed.signatures] == list(parsed.signatures)


def test_sign_note_with_unicode_text() -> None:
    signer = _signer()
    text = "慈善账本 — checkpoint\n捐赠 1234.50 CNY\n"
    assert open_note(sign_note(text, signer), [signer.verifier]).text == text


@pytest.mark.parametrize("text", ["", "no newline", "tab\there\n", "cr\r\n", "nul\x00\n", "\ud800\n"])
def test_sign_note_refuses_bad_text(text: str) -> None:
    with pytest.raises(LedgerError) as err:
        sign_note(text, _signer())
    assert _code(err) == "note_malformed"


def test_sign_note_refuses_same_key_twice_and_no_key() -> None:
    signer = _signer()
    with pytest.raises(LedgerError):
        sign_note("text\n", signer, signer)
    with pytest.raises(LedgerError):
        sign_note("text\n")


def test_add_signatures_replaces_same_key_and_appends() -> None:
    a, b = _signer("a", b"a"), _signer("b", b"b")
    message = sign_note("text\n", a)
    b_sig = b.sign("text\n")
    merged = add_signatures(message, [b_sig.line()])
    assert [s.name for s in parse_note(merged).signatures] == ["a", "b"]
    again = add_signatures(merged, [b_sig])
    assert again == merged
    other_b = NoteSignature("b", b_sig.key_hash, bytes(64))
    replaced = add_signatures(merged, [other_b])
    assert parse_note(replaced).signatures[-1] == other_b
    assert len(parse_note(replaced).signatures) == 2


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.text(st.characters(min_codepoint=0x20, exclude_categories=("Cs",)), max_size=40),
        min_size=1,
        max_size=6,
    )
)
def test_property_sign_open_round_trip(lines: list[str]) -> None:
    signer = _signer()
    text = "".join(line + "\n" for line in lines)
    message = sign_note(text, signer)
    assert parse_note(message).text == text
    assert parse_note(message.encode("utf-8")).text == text
    assert open_note(message, [signer.verifier]).text == text


# --- strict parsing -------------------------------------------------------------------------

_SIGNED = sign_note("origin\n1\nroot\n", _signer())
_LINE = _SIGNED.split("\n\n", 1)[1]
_B64 = _LINE.split(" ", 2)[2].rstrip("\n")


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(_SIGNED[:-1], id="missing-final-newline"),
        pytest.param(_SIGNED + "\n", id="extra-blank-line-at-end"),
        pytest.param("origin\n1\nroot\n" + _LINE, id="no-blank-line"),
        pytest.param("origin\n1\nroot\n\n", id="no-signature"),
        pytest.param("origin\n1\nroot\n\n" + _LINE.replace(DASH, "-"), id="hyphen-not-em-dash"),
        pytest.param("origin\n1\nroot\n\n" + _LINE.replace(DASH, "\u2013"), id="en-dash"),
        pytest.param("origin\n1\nroot\n\n" + _LINE.replace(DASH + " ", DASH), id="no-space-after-dash"),
        pytest.param("origin\n1\nroot\n\n" + _LINE.replace(" ", "  ", 1), id="two-spaces-after-dash"),
        pytest.param("origin\n1\nroot\n\n" + _LINE.replace(_B64, "  " + _B64), id="two-spaces-before-base64"),
        pytest.param("origin\n1\nroot\n\n" + _LINE.replace(_B64, _B64 + " "), id="trailing-space"),
        pytest.param("origin\n1\nroot\n\n" + _LINE.replace(_B64, _B64[:-2] + "!="), id="bad-base64"),
        pytest.param("origin\n1\nroot\n\n" + _LINE.replace(_B64, _B64.rstrip("=")), id="unpadded-base64"),
        pytest.param("origin\n1\nroot\n\n" + _LINE.replace(_B64, "AAAAAA=="), id="signature-too-short"),
        pytest.param("origin\n1\nroot\n\n" + f"{DASH}  {_B64}\n", id="empty-name"),
        pytest.param("origin\n1\nroot\n\n" + _LINE.replace("example.com/log", "ex+ample"), id="plus-in-name"),
        pytest.param("origin\n1\nroot\n\n" + _LINE.replace("example.com/log", "ex\u00a0ample"), id="nbsp-in-name"),
        pytest.param("origin\r\n1\nroot\n\n" + _LINE, id="carriage-return"),
        pytest.param("ori\tgin\n1\nroot\n\n" + _LINE, id="tab"),
        pytest.param(_SIGNED + _LINE, id="duplicate-signature-line"),
        pytest.param("origin\n1\nroot\n\n" + _LINE + "not a signature\n", id="text-after-signatures"),
    ],
)
def test_malformed_notes_are_refused(message: str) -> None:
    with pytest.raises(LedgerError) as err:
        parse_note(message)
    assert _code(err) == "note_malformed"
    assert err.value.message_zh and err.value.kind == "invalid"


def test_blank_line_between_signatures_is_refused_when_opened() -> None:
    # The text runs to the LAST blank line, so the first signature line becomes part of the
    # text (the syntax allows it) and the signature no longer matches.
    signer = _signer()
    message = _SIGNED + "\n" + _LINE
    assert parse_note(message).text == "origin\n1\nroot\n\n" + _LINE
    with pytest.raises(VerificationError) as err:
        open_note(message, [signer.verifier])
    assert _code(err) == "note_bad_signature"


def test_non_canonical_base64_signature_is_refused() -> None:
    raw = base64.b64decode(_B64)
    assert len(raw) == 68  # 68 % 3 == 2: one '=' and two spare bits in the last character
    last = _B64[-2]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    mangled = _B64[:-2] + alphabet[alphabet.index(last) ^ 1] + "="
    assert base64.b64decode(mangled) == raw  # same bytes, other spelling
    with pytest.raises(LedgerError):
        parse_note("origin\n1\nroot\n\n" + _LINE.replace(_B64, mangled))


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(LedgerError) as err:
        parse_note(b"caf\xe9\n\n" + _LINE.encode())
    assert _code(err) == "note_malformed"


def test_duplicate_signature_from_same_key_is_refused() -> None:
    signer = _signer()
    other = NoteSignature(signer.name, signer.key_hash, bytes(64))
    with pytest.raises(LedgerError) as err:
        parse_note(_SIGNED + other.line())
    assert "two signatures" in err.value.message_en


def test_signature_count_limit() -> None:
    lines = [NoteSignature(f"k{i}", i, bytes(64)).line() for i in range(note.MAX_SIGNATURES + 1)]
    ok = "text\n\n" + "".join(lines[: note.MAX_SIGNATURES])
    assert len(parse_note(ok).signatures) == note.MAX_SIGNATURES
    with pytest.raises(LedgerError) as err:
        parse_note(ok + lines[-1])
    assert "at most 100" in err.value.message_en


def test_too_long_note_is_refused() -> None:
    signer = _signer()
    long_text = ("x" * 1000 + "\n") * 300  # about 300 KB
    with pytest.raises(LedgerError) as err:
        sign_note(long_text, signer)
    assert _code(err) == "note_malformed"
    message = long_text + "\n" + signer.sign(long_text).line()
    with pytest.raises(LedgerError):
        parse_note(message)
    with pytest.raises(LedgerError):
        parse_note(message.encode())
    size = len(message.encode("utf-8"))
    assert open_note(message, [signer.verifier], max_bytes=size).text == long_text
    with pytest.raises(LedgerError):
        open_note(message, [signer.verifier], max_bytes=size - 1)


def test_empty_lines_inside_the_text_are_allowed() -> None:
    # The text ends at the LAST blank line: the spec's own example has an empty line in it.
    signer = _signer()
    text = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
    assert parse_note(sign_note(text, signer)).text == text


# --- verification ---------------------------------------------------------------------------


def test_unknown_key_only_is_refused() -> None:
    signer, stranger = _signer(), _signer("stranger", b"s")
    with pytest.raises(VerificationError) as err:
        open_note(sign_note("text\n", signer), [stranger.verifier])
    assert _code(err) == "note_unverified"
    assert err.value.kind == "forbidden"


def test_no_trusted_keys_is_refused() -> None:
    with pytest.raises(VerificationError) as err:
        open_note(PETER_NOTE, [])
    assert _code(err) == "note_unverified"


def test_wrong_signature_by_known_key_is_refused() -> None:
    signer = _signer()
    forged = NoteSignature(signer.name, signer.key_hash, bytes(64))
    with pytest.raises(VerificationError) as err:
        open_note("text\n\n" + forged.line(), [signer.verifier])
    assert _code(err) == "note_bad_signature"
    # even next to a valid signature from another trusted key
    other = _signer("other", b"o")
    message = sign_note("text\n", other) + forged.line()
    with pytest.raises(VerificationError):
        open_note(message, [signer.verifier, other.verifier])


def test_signature_of_wrong_length_by_known_key_is_refused() -> None:
    signer = _signer()
    short = NoteSignature(signer.name, signer.key_hash, bytes(63))
    with pytest.raises(VerificationError) as err:
        open_note("text\n\n" + short.line(), [signer.verifier])
    assert _code(err) == "note_bad_signature"


def test_same_name_other_hash_and_same_hash_other_name_are_unknown() -> None:
    signer = _signer("log", b"1")
    good = signer.sign("text\n")
    other_hash = NoteSignature("log", good.key_hash ^ 1, good.signature)
    other_name = NoteSignature("log2", good.key_hash, good.signature)
    message = "text\n\n" + good.line() + other_hash.line() + other_name.line()
    opened = open_note(message, [signer.verifier])
    assert [v.signature for v in opened.verified] == [good]
    assert opened.unknown == (other_hash, other_name)


def test_signature_moved_to_other_text_is_refused() -> None:
    signer = _signer()
    sig = signer.sign("size 1\n")
    with pytest.raises(VerificationError):
        open_note("size 2\n\n" + sig.line(), [signer.verifier])


def test_verifiers_given_as_strings_and_duplicates() -> None:
    opened = open_note(PETER_NOTE, [PETER_VKEY, parse_verifier_key(PETER_VKEY)])
    assert len(opened.verified) == 1
    with pytest.raises(LedgerError):
        open_note(PETER_NOTE, ["not a key"])
