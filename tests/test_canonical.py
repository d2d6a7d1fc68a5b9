"""Canonical bytes: the fast path equals the RFC 8785 reference; strict parsing; times."""

from __future__ import annotations

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import LedgerError
from ledger.protocol.canonical import canonical_bytes, format_time, parse_canonical, parse_json, parse_time

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_fast_path_equals_reference(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except Exception:  # lone surrogates: both must refuse
        with pytest.raises(LedgerError):
            canonical_bytes(value)
        return
    assert canonical_bytes(value) == expected


def test_keys_sort_by_utf16_code_units() -> None:
    # U+1F600 (surrogates D83D DE00) sorts before U+FF5E in UTF-16, after it in code points
    value = {"\uff5e": 1, "\U0001f600": 2}
    assert canonical_bytes(value) == rfc8785.dumps(value)
    assert canonical_bytes(value).decode().index("\U0001f600") < canonical_bytes(value).decode().index("\uff5e")


def test_escapes_and_numbers_match_jcs() -> None:
    assert canonical_bytes({"b": 'a\u0001\n"\\\u007f€', "a": [1, -0, True, None]}) == (
        '{"a":[1,0,true,null],"b":"a\\u0001\\n\\"\\\\\u007f€"}'.encode()
    )


def test_parse_canonical_rejects_other_encodings() -> None:
    assert parse_canonical(b'{"a":1,"b":"x"}') == {"a": 1, "b": "x"}
    for raw in (b'{"b":"x","a":1}', b'{"a": 1}', b'{"a":1.0}', b'{"a":"\\u0041"}'):
        with pytest.raises(LedgerError) as err:
            parse_canonical(raw)
        assert err.value.code == "body_not_canonical"


@pytest.mark.parametrize("raw", [b'{"a":1,"a":2}', b"{", b'{"a":NaN}', b"\xff", b"[" * 40 + b"]" * 40])
def test_parse_json_rejects_malformed(raw: bytes) -> None:
    with pytest.raises(LedgerError) as err:
        parse_json(raw)
    assert err.value.code in {"malformed_json", "body_invalid"}


def test_times_round_trip_and_are_strict() -> None:
    moment = parse_time("2026-11-27T18:26:49.123Z")
    assert format_time(moment) == "2026-11-27T18:26:49.123Z"
    for bad in ("2026-11-27T18:26:49Z", "2026-11-27T18:26:49.123+00:00", "2026-13-01T00:00:00.000Z", 5):
        with pytest.raises(LedgerError):
            parse_time(bad)  # type: ignore[arg-type]
