import hashlib

import pytest

from ledger.domain.privacy import (
    ReceiptCode,
    check_personal_data,
    donor_commitment,
    donor_fields,
    format_receipt_code,
    looks_like_receipt_code,
    new_salt,
    normalise_receipt_text,
    parse_receipt_code,
    receipt_commitment,
    receipt_matches,
    verify_commitment,
)
from ledger.domain.schemas import validate
from ledger.errors import LedgerError
from ledger.protocol.canonical import canonical_bytes

SALT = bytes(range(16))


def test_commitment_is_the_documented_hash():
    personal = {"name": "王小明", "phone": "13800000000"}
    expected = hashlib.sha256(b"charity-ledger/donor/v1\n" + SALT + canonical_bytes(personal)).hexdigest()
    assert donor_commitment(personal, SALT) == expected
    assert verify_commitment(expected, personal, SALT)
    assert not verify_commitment(expected, {"name": "王小明"}, SALT)
    assert not verify_commitment(expected, personal, bytes(16))


def test_anonymous_commitment_commits_to_empty_object():
    assert donor_commitment({}, SALT) == hashlib.sha256(b"charity-ledger/donor/v1\n" + SALT + b"{}").hexdigest()
    # different salts hide that two anonymous gifts commit to the same data
    assert donor_commitment({}, new_salt()) != donor_commitment({}, new_salt())


def test_key_order_does_not_matter():
    a = {"name": "A", "address": "深圳"}
    assert donor_commitment(a, SALT) == donor_commitment(dict(reversed(a.items())), SALT)


@pytest.mark.parametrize(
    "personal",
    [
        {"email": "a@b.c"},
        {"name": ""},
        {"name": "x" * 101},
        {"phone": 138},
        {"address": "a\nb"},
        ["name"],
    ],
)
def test_personal_data_bounded(personal):
    with pytest.raises(LedgerError) as info:
        check_personal_data(personal)
    assert info.value.code == "personal_data_invalid"


def test_salt_length():
    with pytest.raises(ValueError):
        donor_commitment({}, b"short")


def test_receipt_code_documented_example():
    code = format_receipt_code(1234, SALT)
    assert code == "D1234-AAAQEAYEAUDAOCAJBIFQYDIOB4-G"
    assert parse_receipt_code(code) == ReceiptCode(1234, SALT)
    assert str(ReceiptCode(1234, SALT)) == code


@pytest.mark.parametrize("seq", [0, 7, 10, 999_999, 10**15])
def test_receipt_round_trip(seq):
    salt = new_salt()
    assert parse_receipt_code(format_receipt_code(seq, salt)) == ReceiptCode(seq, salt)


def test_receipt_parse_is_forgiving_about_case_spaces_and_lookalikes():
    code = format_receipt_code(42, SALT)  # D42-AAAQEAYEAUDAOCAJBIFQYDIOB4-?
    assert parse_receipt_code("  " + code.lower() + "\n").seq == 42
    head, salt, check = code.split("-")
    typed = "-".join((head, salt.replace("O", "0").replace("I", "1").replace("B", "8"), check))
    assert parse_receipt_code(typed).salt == SALT


def test_every_single_typo_is_caught():
    code = format_receipt_code(3141, SALT)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    lookalike = {"0": "O", "1": "I", "8": "B"}
    salt_start = code.index("-") + 1
    salt_end = code.rindex("-")
    for i, ch in enumerate(code):
        if ch == "-" or i == 0:
            continue
        for other in alphabet:
            if other == ch or (salt_start <= i < salt_end and lookalike.get(other) == ch):
                continue
            typo = code[:i] + other + code[i + 1 :]
            with pytest.raises(LedgerError) as info:
                parse_receipt_code(typo)
            assert info.value.code in ("receipt_code_checksum", "receipt_code_invalid")


def test_adjacent_swap_is_caught():
    code = format_receipt_code(3141, SALT)
    swapped = code[:1] + code[2] + code[1] + code[3:]  # D1341-...
    with pytest.raises(LedgerError) as info:
        parse_receipt_code(swapped)
    assert info.value.code == "receipt_code_checksum"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "D12",
        "X1234-AAAQEAYEAUDAOCAJBIFQYDIOB4-G",
        "D01234-AAAQEAYEAUDAOCAJBIFQYDIOB4-G",
        "D1234-AAAQEAYEAUDAOCAJBIFQYDIOB-G",
        "D1234-AAAQEAYEAUDAOCAJBIFQYDIOB4",
        "D1234AAAQEAYEAUDAOCAJBIFQYDIOB4G",
        "D1234-AAAQEAYEAUDAOCAJBIFQYDIOB7-G",  # last base32 character has non-zero padding bits
        None,
        1234,
    ],
)
def test_malformed_receipt_codes(bad):
    with pytest.raises(LedgerError) as info:
        parse_receipt_code(bad)
    assert info.value.code == "receipt_code_invalid"


# --- the receipt commitment in the log --------------------------------------------------------


def test_receipt_commitment_is_the_documented_hash():
    assert receipt_commitment(SALT) == hashlib.sha256(b"charity-ledger/receipt/v1\n" + SALT).hexdigest()
    # domain-separated from the donor commitment, even for an anonymous donor
    assert receipt_commitment(SALT) != donor_commitment({}, SALT)
    assert donor_fields({"name": "李四"}, SALT) == {
        "commitment": donor_commitment({"name": "李四"}, SALT),
        "receipt": receipt_commitment(SALT),
    }
    with pytest.raises(ValueError):
        receipt_commitment(b"short")


def test_receipt_matches_only_its_own_salt():
    committed = receipt_commitment(SALT)
    assert receipt_matches(committed, SALT)
    assert not receipt_matches(committed, bytes(16))
    for other in (None, 42, committed.upper(), committed + "\n", "é" * 64):
        assert not receipt_matches(other, SALT)


@pytest.mark.parametrize("value", ["A" * 64, "ab" * 31, "ab" * 33, "０" * 64, "ab" * 31 + "a\u200b", 12, ["ab" * 32]])
def test_receipt_field_grammar(value):
    from tests.domain.helpers import donation_data

    assert validate(
        "donation.received", donation_data("P-1") | {"receipt": receipt_commitment(SALT)}
    ).receipt == receipt_commitment(SALT)
    assert validate("donation.received", donation_data("P-1")).receipt is None  # optional: older entries lack it
    with pytest.raises(LedgerError) as info:
        validate("donation.received", donation_data("P-1") | {"receipt": value})
    assert info.value.code == "data_invalid" and info.value.params["field"] == "receipt"


# --- what donors type ---------------------------------------------------------------------------

CODE = "D1234-AAAQEAYEAUDAOCAJBIFQYDIOB4-G"


@pytest.mark.parametrize(
    "typed",
    [
        "Ｄ１２３４－ＡＡＡＱＥＡＹＥＡＵＤＡＯＣＡＪＢＩＦＱＹＤＩＯＢ４－Ｇ",  # full width (Chinese input methods)
        "ｄ１２３４－ａａａｑｅａｙｅａｕｄａｏｃａｊｂｉｆｑｙｄｉｏｂ４－ｇ",  # full width, lower case
        "D 1234 - AAAQ EAYE AUDA OCAJ BIFQ YDIO B4 - G",
        "\u3000D1234-AAAQEAYEAUDAOCAJBIFQYDIOB4-G\u3000",  # ideographic spaces
        "D1234\u2013AAAQEAYEAUDAOCAJBIFQYDIOB4\u2013G",  # en dash
        "D1234\u2014AAAQEAYEAUDAOCAJBIFQYDIOB4\u2014G",  # em dash
        "D1234\u2014\u2014AAAQEAYEAUDAOCAJBIFQYDIOB4\u2014\u2014G",  # a Chinese IME's ——
        "D1234\u2212AAAQEAYEAUDAOCAJBIFQYDIOB4\u2212G",  # minus sign
        "D1234\uff0dAAAQEAYEAUDAOCAJBIFQYDIOB4\uff0dG",  # full-width hyphen-minus
        "D1234\u2010AAAQEAYEAUDAOCAJBIFQYDIOB4\u2011G",  # hyphen, non-breaking hyphen
        "d1234-aaaqeayeaudaocajbifqydiob4-g",
        "D1234-AAAQEAYEAUDA0CAJ8IFQYD10B4-G",  # 0/1/8 for O/I/B in the salt
    ],
)
def test_what_donors_type_is_read_as_the_code(typed):
    assert normalise_receipt_text(typed) == CODE
    assert parse_receipt_code(typed) == ReceiptCode(1234, SALT)


@pytest.mark.parametrize(
    "typed",
    [
        "D١٢٣٤-AAAQEAYEAUDAOCAJBIFQYDIOB4-G",  # Arabic-Indic digits: not [0-9]
        "D1234-AAAQEAYEAUDAOCAJBIFQYDIOB4-G\u200b",  # zero-width space
        "\u202eD1234-AAAQEAYEAUDAOCAJBIFQYDIOB4-G",  # bidi override
        "D1234-AAAQEAYEAUDAOCAJBIFQYDIOB4-G\x00",
        "D1234-AAAQEAYEAUDAOCAJBIFQYDIOB4-G-",
        "D1234_AAAQEAYEAUDAOCAJBIFQYDIOB4_G",
        "D1234-AAAQEAYEAUDAOCAJBIFQYDIOB4-G" + " " * 200,  # longer than any typed code
    ],
)
def test_lookalikes_outside_the_grammar_are_refused(typed):
    with pytest.raises(LedgerError) as info:
        parse_receipt_code(typed)
    assert info.value.code == "receipt_code_invalid"


def test_a_trailing_newline_is_whitespace_not_part_of_the_code():
    """The grammar is matched in full (no ``$`` that lets a newline through): the newline goes
    as whitespace, a character after it does not."""
    assert parse_receipt_code(CODE + "\n").seq == 1234
    with pytest.raises(LedgerError):
        parse_receipt_code(CODE + "\nX")


def test_redaction_recognises_codes_as_typed():
    for text in (
        CODE,
        CODE.lower(),
        "D1234 - AAAQ EAYE AUDA OCAJ BIFQ YDIO B4",
        "Ｄ１２３４－ＡＡＡＱＥＡＹＥＡＵＤＡＯＣＡＪＢＩＦＱＹＤＩＯＢ４",
        "x" * 1000 + CODE + "y" * 1000,
    ):
        assert looks_like_receipt_code(text)
    for text in ("/api/v1/donations", "P-2026-MEALS", "D12-ABC-G", "0" * 64):
        assert not looks_like_receipt_code(text)
