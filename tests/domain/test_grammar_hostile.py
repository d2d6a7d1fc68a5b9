"""Hostile strings at every field of every entry type: each is refused with a typed error naming
the field, and a refused entry changes nothing (ledger.protocol.grammar, ledger.domain.schemas).

For every entry type a valid ``data`` object is built from its field specs; then one string field
at a time is replaced by a generated hostile string: a trailing newline, digits of other scripts
(Arabic-Indic, full-width), full-width letters, C0/C1 controls, bidi overrides and isolates,
zero-width characters, a BOM, text not in NFC, and huge lengths.
"""

from __future__ import annotations

import base64
import unicodedata
from dataclasses import fields
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.domain import schemas as S
from ledger.domain.json_schema import entry_data_schema
from ledger.domain.uscc import make_uscc
from ledger.errors import LedgerError
from ledger.protocol import grammar
from tests.domain.helpers import World, donation_data, key

TYPED = {"data_invalid", "uscc_invalid", "amount_invalid", "currency_invalid"}
ORG = make_uscc("53440300MJL00001A")


def _sample(spec: S.Spec, i: int = 0) -> Any:
    """A valid value for a field spec (``i`` makes list items distinct)."""
    if isinstance(spec, S.Text):
        return "文本 text"
    if isinstance(spec, S.Pattern):
        return {S.IDENT: f"P-{i}", S.SLUG: f"cn-charity/{i}", S.HEX64: f"{i:064x}", S.FILE_NAME: f"f{i}.pdf"}[spec]
    if isinstance(spec, S.Enum):
        return spec.values[0]
    if isinstance(spec, S.Bool):
        return False
    if isinstance(spec, S.Int):
        return spec.lo + i
    if isinstance(spec, S.Date):
        return "2026-01-01"
    if isinstance(spec, S.Origin):
        return "log.example/charity"
    if isinstance(spec, S.Uscc):
        return make_uscc(f"534403{i:011d}")
    if isinstance(spec, S.PublicKey):  # a real key: all-equal bytes can be a point of small order
        from ledger.protocol.keys import KeyPair

        return base64.b64encode(KeyPair.from_seed(f"grammar sample {i}".encode()).public).decode()
    if isinstance(spec, S.Currency):
        return "CNY"
    if isinstance(spec, S.Amount):
        return "1.00"
    if isinstance(spec, S.ListOf):
        return [_sample(spec.item, n) for n in range(max(spec.min, 1))]
    if isinstance(spec, S.Obj):
        return _required(spec.schema)
    raise AssertionError(spec)


def _required(schema: type) -> dict[str, Any]:
    return {f.name: _sample(f.metadata["spec"]) for f in fields(schema) if not f.metadata["optional"]}


# Cross-field rules the generic sample does not meet on its own.
_FIXES: dict[str, dict[str, Any]] = {
    "org.updated": {"name_zh": "新名称"},
    "project.registered": {"directed": True},
    "project.closed": {"surplus": "0.00"},
    "financials.reported": {"total_spending": "3.00"},
    "project.amended": {"end_date": "2026-03-01"},  # an amendment changes something
    # totals are the sums of their parts; net assets are assets less liabilities
    "work_report.filed": {"total_income": "7.00", "total_spending": "4.00", "net_assets": "0.00"},
}


def _base(type_name: str) -> dict[str, Any]:
    data = _required(S.SCHEMAS[type_name]) | _FIXES.get(type_name, {})
    S.validate(type_name, data)
    return data


def _string_fields(type_name: str) -> list[tuple[tuple[Any, ...], str, S.Spec]]:
    """(path in data, field name as errors name it, spec) of every string-valued field,
    optional ones included, nested objects and list items too."""
    out: list[tuple[tuple[Any, ...], str, S.Spec]] = []

    def walk(schema: type, path: tuple[Any, ...], prefix: str) -> None:
        for f in fields(schema):
            spec = f.metadata["spec"]
            name = prefix + f.name
            if isinstance(spec, S.Obj):
                walk(spec.schema, (*path, f.name), name + ".")
            elif isinstance(spec, S.ListOf):
                if isinstance(spec.item, S.Obj):
                    walk(spec.item.schema, (*path, f.name, 0), f"{name}[0].")
                elif not isinstance(spec.item, (S.Int, S.Bool)):
                    out.append(((*path, f.name, 0), f"{name}[0]", spec.item))
            elif not isinstance(spec, (S.Int, S.Bool)):
                out.append(((*path, f.name), name, spec))

    walk(S.SCHEMAS[type_name], (), "")
    return out


def _with(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    import copy

    out = copy.deepcopy(data)
    node: Any = out
    for step in path[:-1]:
        if isinstance(node, dict) and step not in node:
            raise KeyError(step)
        node = node[step]
    if isinstance(node, list) and path[-1] >= len(node):
        node.append(value)
    else:
        node[path[-1]] = value
    return out


CASES = [(t, p, name, spec) for t in S.ENTRY_TYPES for p, name, spec in _string_fields(t)]

INVISIBLE = ["\u202e", "\u202d", "\u2066", "\u2069", "\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u061c"]
CONTROLS = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b", "\u2028", "\u2029"]
OTHER_DIGITS = str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")
FULL_WIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-"}


@st.composite
def hostile(draw: st.DrawFn, valid: str, spec: S.Spec) -> str:
    """A string that must be refused where ``valid`` is accepted."""
    text_field = isinstance(spec, S.Text)
    kinds = ["invisible", "control", "huge", "nfc"]
    if not text_field:
        kinds += ["newline", "digits", "full_width", "space", "crlf"]
    kind = draw(st.sampled_from(kinds))
    at = draw(st.integers(0, len(valid)))
    if kind == "invisible":
        return valid[:at] + draw(st.sampled_from(INVISIBLE)) + valid[at:]
    if kind == "control":
        return valid[:at] + draw(st.sampled_from(CONTROLS)) + valid[at:]
    if kind == "huge":
        return valid + "9" * draw(st.sampled_from([5_000, 70_000]))
    if kind == "nfc":  # 'e' + combining acute: NFC would be 'é'
        return valid[:at] + "e\u0301" + valid[at:]
    if kind == "newline":
        return valid + draw(st.sampled_from(["\n", "\r\n", "\r"]))
    if kind == "digits":
        translated = valid.translate(OTHER_DIGITS)
        return translated if translated != valid else valid + "\u0661"
    if kind == "full_width":
        return valid.translate(FULL_WIDTH)
    if kind == "space":
        return draw(st.sampled_from([" ", "\t", "\u3000", "\u00a0"])) + valid
    return valid + "\r\n"


@pytest.mark.parametrize(("type_name", "path", "name", "spec"), CASES, ids=[f"{c[0]}:{c[2]}" for c in CASES])
@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_hostile_strings_are_refused_with_a_typed_error(
    type_name: str, path: tuple, name: str, spec: S.Spec, data: Any
) -> None:
    valid_data = _base(type_name)
    if path[0] not in valid_data:  # an optional field: add a valid value first
        top = {f.name: f.metadata["spec"] for f in fields(S.SCHEMAS[type_name])}[path[0]]
        valid_data[path[0]] = _sample(top)
    if type_name == "donation.received" and path == ("in_kind_description",):
        valid_data["kind"] = "in_kind"
    if type_name == "sz.donation_filed" and path == ("accepted_on",):
        valid_data["emergency"] = True
    if type_name == "disclosure.recorded" and path in (("amount",), ("currency",)):
        valid_data |= {"currency": "CNY", "amount": "1.00"}  # given together
    if (
        path in (("published_on",), ("publication_sha256",))
        and "publication_sha256" in entry_data_schema(type_name)["properties"]
    ):  # the two go together
        valid_data |= {"published_on": "2026-03-01", "publication_sha256": "a" * 64}
    if type_name == "entry.corrected" and path == ("project",):
        valid_data |= {"currency": "CNY", "amount": "1.00"}
    if type_name == "entry.corrected" and path == ("amount",):
        valid_data |= {"project": "P-0", "currency": "CNY"}
    if type_name == "entry.corrected" and path == ("currency",):
        valid_data |= {"project": "P-0", "amount": "1.00"}
    S.validate(type_name, valid_data)  # the baseline is accepted
    valid = _value_at(valid_data, path)
    bad = data.draw(hostile(valid, spec))
    with pytest.raises(LedgerError) as info:
        S.validate(type_name, _with(valid_data, path, bad))
    err = info.value
    assert err.code in TYPED, err
    assert err.params.get("field") == name, (err.params, name)
    assert "{" not in err.message_en and "{" not in err.message_zh


def _value_at(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def test_every_entry_type_and_string_field_is_covered() -> None:
    assert {c[0] for c in CASES} == set(S.ENTRY_TYPES)
    assert len(CASES) >= 140  # every string field of the 23 types (148 when written)


@pytest.mark.parametrize(
    "amount",
    [
        "1.00\n",
        "\u0661.\u0660\u0660",
        "\uff11.00",
        "1.0\uff10",
        "+1.00",
        " 1.00",
        "1.00 ",
        "1_0.00",
        "1e2",
        "01.00",
        "1.000",
        "1.0",
        "1",
        "\u0663",
        "1.00\u200b",
        "\ufeff1.00",
        "9" * 5000 + ".00",
    ],
)
def test_amounts_only_in_canonical_ascii_form(amount: str) -> None:
    with pytest.raises(LedgerError) as info:
        S.validate("donation.received", donation_data("P-1", amount))
    assert info.value.code == "amount_invalid" and info.value.params["field"] == "amount"


@pytest.mark.parametrize(
    "value", ["P-1\n", "p-1", "P-1.", "P-1-", "\uff30-1", "P-\u0661", "P\u200b-1", "\u202eP-1", "P 1", "-P"]
)
def test_project_ids_are_canonical(value: str) -> None:
    with pytest.raises(LedgerError) as info:
        S.validate("donation.received", donation_data(value))
    assert (info.value.code, info.value.params["field"]) == ("data_invalid", "project")


def test_free_text_rules() -> None:
    ok = {"text": "长者助餐 — café \u0661\u0662\u0663 \uff11\uff12\uff13", "multi": "第一行\n第二行\t缩进"}
    assert grammar.text_problem(ok["text"]) is None
    assert grammar.text_problem(ok["multi"], multiline=True) is None
    assert grammar.text_problem(ok["multi"]) == "control"
    assert grammar.text_problem("a\u202eb") == "invisible"
    assert grammar.text_problem("a\ufeff") == "invisible"
    assert grammar.text_problem("a\x85") == "control"
    assert grammar.text_problem("a\ue000") == "unassigned"
    assert grammar.text_problem("cafe\u0301") == "not_nfc"
    assert grammar.text_problem(unicodedata.normalize("NFC", "cafe\u0301")) is None


def test_grammar_is_ascii_and_matched_in_full() -> None:
    for name in grammar.PATTERNS:
        assert grammar.pattern(name).flags & __import__("re").ASCII
    assert grammar.matches("hex64", "a" * 64)
    assert not grammar.matches("hex64", "a" * 64 + "\n")
    assert not grammar.matches("uint", "\u0661\u0662")
    assert (
        grammar.parse_uint("12") == 12
        and grammar.parse_uint("\uff11\uff12") is None
        and grammar.parse_uint("012") is None
    )
    assert grammar.parse_uint(str(2**64)) is None


def test_a_refused_hostile_entry_writes_nothing() -> None:
    w = World()
    for bad in ("P-ELDER-2026\n", "P-ELDER-\uff12\uff10\uff12\uff16", "P-ELDER-2026\u200b"):
        w.refuse(w.fundraiser, "donation.received", donation_data(bad), "data_invalid")
    w.refuse(w.fundraiser, "donation.received", donation_data(w.PUB, "\u0661\u0660.\u0660\u0660"), "amount_invalid")
    w.refuse(w.fundraiser, "donation.received", donation_data(w.PUB, note="捐赠\u202e"), "data_invalid")
    w.refuse(key("registrar"), "org.registered", {"org": ORG + "\n"}, "uscc_invalid")


@pytest.mark.parametrize("text", ["\u0661\u0662", "\uff11\uff12", " 12", "12\n", "1_2", "+12", "012", "", "-", "1e3"])
def test_command_line_numbers_are_ascii(text: str) -> None:
    with pytest.raises(ValueError):
        grammar.ascii_int(text)


def test_command_line_numbers() -> None:
    assert (grammar.ascii_int("8000"), grammar.ascii_int("0"), grammar.ascii_int("-3")) == (8000, 0, -3)
