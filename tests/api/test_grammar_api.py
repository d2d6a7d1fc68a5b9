"""Hostile strings at the API: in the signed entry's data, in the body around it, in paths and in
query parameters. Each is a typed 4xx problem (never a 5xx, never a 2xx with another reading of
the value) and nothing is written (ledger.protocol.grammar)."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from tests.api.conftest import log_state
from tests.api.world import PROJECT, World, donation

INVISIBLE = ["\u202e", "\u2066", "\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad"]
CONTROLS = ["\x00", "\x1b", "\x7f", "\x85", "\u2028"]
OTHER_DIGITS = [
    str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"),
    str.maketrans("0123456789", "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19"),
]
HOSTILE_SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


@st.composite
def hostile(draw: st.DrawFn, valid: str, *, text: bool = False) -> str:
    """A variant of ``valid`` that must be refused (``text``: a free-text field, where other
    scripts' digits and spaces are fine)."""
    kinds = ["invisible", "control", "huge", "nfc"] + ([] if text else ["newline", "digits", "space"])
    kind = draw(st.sampled_from(kinds))
    at = draw(st.integers(0, len(valid)))
    if kind == "invisible":
        return valid[:at] + draw(st.sampled_from(INVISIBLE)) + valid[at:]
    if kind == "control":
        return valid[:at] + draw(st.sampled_from(CONTROLS)) + valid[at:]
    if kind == "huge":
        return valid + "9" * 3000
    if kind == "nfc":
        return valid[:at] + "e\u0301" + valid[at:]
    if kind == "newline":
        return valid + draw(st.sampled_from(["\n", "\r\n"]))
    if kind == "digits":
        translated = valid.translate(draw(st.sampled_from(OTHER_DIGITS)))
        return translated if translated != valid else valid + "\u0661"
    return draw(st.sampled_from([" ", "\u3000", "\u00a0"])) + valid


def _refused(response: Any, before: tuple[int, bytes], world: World, *codes: str) -> None:
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] in codes, problem
    assert problem["detail"] and problem["message_zh"]
    assert log_state(world.factory.ledger) == before, "a refused write changed the log"


DATA_FIELDS = {  # field -> (valid value, free text?)
    "project": (PROJECT, False),
    "amount": ("12.50", False),
    "currency": ("CNY", False),
    "received_on": (None, False),
    "commitment": (None, False),
    "channel": ("bank_transfer", False),
    "receipt_no": ("R-0001", True),
    "note": ("银行转账 \u0661\u0662\u0663", True),
}


@HOSTILE_SETTINGS
@given(field=st.sampled_from(sorted(DATA_FIELDS)), data=st.data())
def test_hostile_data_fields_are_refused(shared_world: World, shared_client: TestClient, field: str, data: Any) -> None:
    good = donation(PROJECT, "12.50", receipt_no="R-0001", note="银行转账 \u0661\u0662\u0663")
    valid, text = DATA_FIELDS[field]
    bad = data.draw(hostile(good[field] if valid is None else valid, text=text))
    entry = shared_world.sign("fundraiser", "donation.received", good | {field: bad})
    before = log_state(shared_world.factory.ledger)
    response = shared_client.post("/api/v1/entries", json=entry.to_json())
    _refused(response, before, shared_world, "data_invalid", "amount_invalid", "currency_invalid", "body_too_large")


BODY_FIELDS = ["type", "signer", "at", "idem", "log"]


@HOSTILE_SETTINGS
@given(field=st.sampled_from(BODY_FIELDS), data=st.data())
def test_hostile_body_fields_are_refused(shared_world: World, shared_client: TestClient, field: str, data: Any) -> None:
    submission = shared_world.sign("fundraiser", "donation.received", donation(PROJECT, "1.00")).to_json()
    hostile_submission = copy.deepcopy(submission)
    hostile_submission["body"][field] = data.draw(hostile(submission["body"][field]))
    before = log_state(shared_world.factory.ledger)
    response = shared_client.post("/api/v1/entries", json=hostile_submission)
    _refused(response, before, shared_world, "body_invalid", "wrong_log", "body_too_large")


@HOSTILE_SETTINGS
@given(data=st.data())
def test_hostile_signatures_are_refused(shared_world: World, shared_client: TestClient, data: Any) -> None:
    submission = shared_world.sign("fundraiser", "donation.received", donation(PROJECT, "1.00")).to_json()
    submission["sig"] = data.draw(hostile(submission["sig"]))
    before = log_state(shared_world.factory.ledger)
    _refused(shared_client.post("/api/v1/entries", json=submission), before, shared_world, "body_invalid")


@HOSTILE_SETTINGS
@given(data=st.data())
def test_hostile_path_and_query_values_are_refused(shared_world: World, shared_client: TestClient, data: Any) -> None:
    seq = str(shared_world.seqs["d1"])
    leaf = shared_world.ids["d1"]
    signer = shared_world.keys["fundraiser"].id
    url = data.draw(
        st.sampled_from(
            [
                "/api/v1/entries/{}",
                "/api/v1/entries/by-hash/{}",
                "/api/v1/projects/{}",
                "/api/v1/entries?project={}",
                "/api/v1/entries?signer={}",
                "/api/v1/log/checkpoint/{}",
            ]
        )
    )
    valid = {
        "/api/v1/entries/{}": seq,
        "/api/v1/entries/by-hash/{}": leaf,
        "/api/v1/projects/{}": PROJECT,
        "/api/v1/entries?project={}": PROJECT,
        "/api/v1/entries?signer={}": signer,
        "/api/v1/log/checkpoint/{}": "1",
    }[url]
    bad = data.draw(hostile(valid))
    response = shared_client.get(url.format(quote(bad, safe="")))
    assert 400 <= response.status_code < 500, (url, bad, response.text)
    assert response.json()["code"] in ("parameter_invalid", "route_not_found", "not_found"), response.text


def test_numbers_in_paths_are_canonical_ascii(shared_world: World, shared_client: TestClient) -> None:
    seq = shared_world.seqs["d2"]
    assert shared_client.get(f"/api/v1/entries/{seq}").status_code == 200
    for other in (
        str(seq).translate(OTHER_DIGITS[0]),
        str(seq).translate(OTHER_DIGITS[1]),
        f"+{seq}",
        f"0{seq}",
        f" {seq}",
        f"{seq}_",
    ):
        response = shared_client.get(f"/api/v1/entries/{other}")
        assert response.status_code == 404 and response.json()["code"] == "route_not_found", other
    response = shared_client.get("/api/v1/entries/99999999999999999999999")  # beyond 64 bits
    assert response.status_code == 400 and response.json()["code"] == "parameter_invalid"


def test_openapi_states_the_grammar(shared_client: TestClient) -> None:
    document = shared_client.get("/schema/openapi.json").json()
    text = shared_client.get("/schema/openapi.json").text
    assert "e+18" not in text and ".0," not in text.replace(" ", "")
    seq = next(p for p in document["paths"]["/api/v1/entries/{seq}"]["get"]["parameters"] if p["name"] == "seq")
    assert seq["schema"]["maximum"] == 2**62 and isinstance(seq["schema"]["minimum"], int)
    batch = document["paths"]["/api/v1/entries/batch"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert (batch["minItems"], batch["maxItems"]) == (1, 1000)
    body = document["components"]["schemas"]["EntryBody"]["properties"]
    for name in ("type", "signer", "at", "idem", "log"):
        assert body[name]["pattern"].startswith("^(?:") and body[name]["pattern"].endswith("$(?!\\n)"), name
    sig = document["components"]["schemas"]["Submission"]["properties"]["sig"]
    assert (sig["minLength"], sig["maxLength"]) == (88, 88)


def test_time_filters_are_not_stripped(shared_client: TestClient) -> None:
    assert shared_client.get("/api/v1/entries", params={"since": "2026-01-01"}).status_code == 200
    for bad in ("2026-01-01\n", " 2026-01-01", "\u0662\u0660\u0662\u0666-01-01"):
        response = shared_client.get("/api/v1/entries", params={"since": bad})
        assert response.status_code == 400 and response.json()["code"] == "parameter_invalid", bad
