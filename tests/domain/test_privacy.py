import hashlib

import pytest

from ledger.canonical import canonical_bytes
from ledger.domain.privacy import (
    ReceiptCode, check_personal_data, donor_commitment, format_receipt_code, new_salt, parse_receipt_code,
    verify_commitment,
)
from ledger.errors import LedgerError

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


@pytest.mark.parametrize("personal", [
    {"email": "a@b.c"}, {"name": ""}, {"name": "x" * 101}, {"phone": 138}, {"address": "a\nb"}, ["name"],
])
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
            typo = code[:i] + other + code[i + 1:]
            with pytest.raises(LedgerError) as info:
                parse_receipt_code(typo)
            assert info.value.code in ("receipt_code_checksum", "receipt_code_invalid")


def test_adjacent_swap_is_caught():
    code = format_receipt_code(3141, SALT)
    swapped = code[:1] + code[2] + code[1] + code[3:]  # D1341-...
    with pytest.raises(LedgerError) as info:
        parse_receipt_code(swapped)
    assert info.value.code == "receipt_code_checksum"


@pytest.mark.parametrize("bad", [
    "", "D12", "X1234-AAAQEAYEAUDAOCAJBIFQYDIOB4-G", "D01234-AAAQEAYEAUDAOCAJBIFQYDIOB4-G",
    "D1234-AAAQEAYEAUDAOCAJBIFQYDIOB-G", "D1234-AAAQEAYEAUDAOCAJBIFQYDIOB4", "D1234AAAQEAYEAUDAOCAJBIFQYDIOB4G",
    "D1234-AAAQEAYEAUDAOCAJBIFQYDIOB7-G",  # last base32 character has non-zero padding bits
    None, 1234,
])
def test_malformed_receipt_codes(bad):
    with pytest.raises(LedgerError) as info:
        parse_receipt_code(bad)
    assert info.value.code == "receipt_code_invalid"
