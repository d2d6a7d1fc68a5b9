import pytest

from ledger.domain.uscc import ALPHABET, check_character, check_uscc, make_uscc
from ledger.errors import LedgerError

# Published codes (printed on business licences and in public company records):
# Huawei Technologies Co., Ltd. and the sample code used in explanations of GB 32100-2015.
PUBLISHED = ["914403001922038216", "91350100M000100Y43"]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code):
    assert check_uscc(code) == code


def test_weights_are_powers_of_three_mod_31():
    from ledger.domain.uscc import WEIGHTS

    assert WEIGHTS == tuple(pow(3, i, 31) for i in range(17))


@pytest.mark.parametrize("prefix", ["53440300MJL00001A", "11440300MB2C01234", "52100000500000000", "Y1440300000000000"])
def test_computed_check_character_round_trips(prefix):
    code = make_uscc(prefix)
    assert len(code) == 18 and code[17] in ALPHABET
    assert check_uscc(code) == code


def test_check_character_by_hand():
    # 9 1 3 5 0 1 0 0 M 0 0 0 1 0 0 Y 4: sum(value * weight) = 834 = 26*31 + 28, 31 - 28 = 3
    values = [ALPHABET.index(c) for c in "91350100M000100Y4"]
    from ledger.domain.uscc import WEIGHTS

    assert sum(v * w for v, w in zip(values, WEIGHTS, strict=True)) % 31 == 28
    assert check_character("91350100M000100Y4") == "3"


@pytest.mark.parametrize(
    "bad",
    [
        "914403001922038217",  # wrong check character
        "91440300192203821",  # 17 characters
        "9144030019220382160",  # 19 characters
        "914403001922O38216",  # letter O is not used
        "914403001922038I16",  # letter I is not used
        "914403001922038s16",  # lower case
        914403001922038216,  # not text
    ],
)
def test_bad_codes_refused(bad):
    with pytest.raises(LedgerError) as info:
        check_uscc(bad)
    assert info.value.code == "uscc_invalid"
    assert info.value.message_zh


def test_every_single_substitution_is_caught():
    code = PUBLISHED[0]
    for i in range(18):
        for ch in ALPHABET:
            if ch == code[i]:
                continue
            with pytest.raises(LedgerError):
                check_uscc(code[:i] + ch + code[i + 1 :])
