"""Every refusal code of the domain is defined with both messages and exercised by a test."""

import pathlib
import re

from ledger.domain.codes import ALL_CODES
from ledger.errors import CATALOGUE

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_codes_are_defined_with_both_languages():
    assert len(ALL_CODES) == len(set(ALL_CODES)) > 40
    for code in ALL_CODES:
        spec = CATALOGUE[code]
        assert re.fullmatch(r"[a-z][a-z_]+", code)
        # English (Chinese terms only as glosses in brackets, like "directed (定向)")
        assert re.search(r"[A-Za-z]{3}", spec.en) and not CJK.search(re.sub(r"\([^)]*\)", "", spec.en)), code
        assert CJK.search(spec.zh), code


def test_every_code_is_exercised_by_a_test():
    tests = pathlib.Path(__file__).parents[1]  # any test of the suite may be the one that exercises a code
    text = "".join(p.read_text(encoding="utf-8") for p in tests.rglob("test_*.py") if p.name != "test_codes.py")
    missing = [code for code in ALL_CODES if f'"{code}"' not in text]
    assert missing == []
