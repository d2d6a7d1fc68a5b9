"""Receipt look-ups that prove something (issue 12, item 3), tried the way an attacker would.

The seq of every donation is public and so is the check-character formula, so anyone can make a
well-formed code for a real donation. Such a code must get ``receipt_not_found``, the very answer a
seq with no donation gets, from the site and from the API alike, whether the donation has a donor
record, has none, or had one erased; the donor's genuine code must keep working after erasure
(proved against the log's ``receipt`` commitment alone). Codes travel only in request bodies, and
a code put in an address anyway never reaches the access log.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from ledger.domain import privacy
from ledger.domain.money import format_amount
from ledger.domain.privacy import receipt_commitment
from ledger.errors import LedgerError
from ledger.protocol.canonical import parse_json
from ledger.store.donors import find_donation_by_receipt
from tests.site.world import SiteWorld
from tests.support.serving import serving

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
TRACE = "/api/v1/donations/by-receipt/trace"


def luhn36(payload: str) -> str:
    """The public check character (docs/protocol.md), written here from its description."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        value = ALPHABET.index(ch) * (2 if i % 2 == 0 else 1)
        total += value // 36 + value % 36
    return ALPHABET[-total % 36]


def forge(seq: int) -> str:
    """A well-formed code for ``seq`` made without its secret: random salt, correct check."""
    import base64

    salt = base64.b32encode(os.urandom(16)).decode().rstrip("=")
    return f"D{seq}-{salt}-{luhn36(str(seq) + salt)}"


def full_width(code: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in code)


@pytest.fixture(scope="module")
def api_app(site_world: SiteWorld) -> Litestar:
    from api.config import ApiSettings
    from ledger.cli.app import create_app
    from ledger.protocol.checkpoint import parse_witness_key

    return create_app(
        site_world.ledger, api_settings=ApiSettings(witness_keys=(parse_witness_key(site_world.witness_key),))
    )


@pytest.fixture
def api(api_app: Litestar) -> Iterator[TestClient]:
    with TestClient(api_app) as c:
        yield c


def cases(world: SiteWorld) -> dict[str, tuple[str, int, int]]:
    """name -> (genuine code, seq, amount in minor units), the record-kept donation included."""
    return {"record": (world.receipt_code, world.receipt_seq, 123_450), **world.receipts}


def amount_texts(minor: int) -> list[str]:
    plain = format_amount(minor, "CNY")
    whole, cents = plain.split(".")
    return [plain, f"{int(whole):,}.{cents}"]


def no_amount(text: str, minor: int) -> None:
    for shown in amount_texts(minor):
        assert shown not in text, shown
    assert f'data-minor="{minor}"' not in text


def test_the_check_character_is_public(site_world: SiteWorld) -> None:
    """The test's own Luhn mod 36 makes the codes the charity makes: forging needs no secret formula."""
    for code, seq, _ in cases(site_world).values():
        head, salt, check = code.split("-")
        assert luhn36(head[1:] + salt) == check
        assert privacy.parse_receipt_code(forge(seq)).seq == seq  # well formed, check character right


def test_forged_codes_are_not_found_by_the_api(site_world: SiteWorld, api: TestClient) -> None:
    missing_seq = site_world.ids["alloc1"]  # an entry that is not a donation
    not_a_donation = api.post(TRACE, json={"code": forge(site_world.ledger.log.position_of(missing_seq))})
    beyond = api.post(TRACE, json={"code": forge(10**9)})
    assert not_a_donation.status_code == beyond.status_code == 404
    assert not_a_donation.json() == beyond.json() and beyond.json()["code"] == "receipt_not_found"
    for name, (_, seq, minor) in cases(site_world).items():
        r = api.post(TRACE, json={"code": forge(seq)})
        assert r.status_code == 404, name
        assert r.json() == beyond.json(), name  # the same answer as no donation at all: nothing leaks
        no_amount(r.text, minor)


def test_forged_codes_are_not_found_by_the_site(site_world: SiteWorld, client: TestClient) -> None:
    beyond = client.post("/verify", data={"code": forge(10**9), "lang": "en"})
    assert beyond.status_code == 404
    alert = re.search(r'<p id="code-error" class="error" role="alert">(.*?)</p>', beyond.text).group(1)
    for name, (_, seq, minor) in cases(site_world).items():
        r = client.post("/verify", data={"code": forge(seq), "lang": "en"})
        assert r.status_code == 404, name
        assert re.search(r'<p id="code-error" class="error" role="alert">(.*?)</p>', r.text).group(1) == alert
        assert 'id="donation"' not in r.text and 'id="don-amount"' not in r.text and "proof-data" not in r.text
        no_amount(r.text, minor)


def test_genuine_codes_prove_themselves_with_or_without_a_record_and_after_erasure(
    site_world: SiteWorld, api: TestClient, client: TestClient
) -> None:
    for name in ("record", "no_record", "erased", "legacy"):
        code, seq, minor = cases(site_world)[name]
        r = api.post(TRACE, json={"code": code})
        assert r.status_code == 200, (name, r.text)
        assert r.json()["donation"]["seq"] == seq and r.json()["donation"]["amount"] == format_amount(minor, "CNY")
        page = client.post("/verify", data={"code": code})
        assert page.status_code == 200 and f'id="don-amount" data-minor="{minor}"' in page.text, name


def by_hash(seq: int, receipt: str) -> str:
    return f"/api/v1/donations/by-receipt/{seq}/{receipt}/trace"


def test_the_receipt_commitment_looks_a_donation_up_with_a_cacheable_get(
    site_world: SiteWorld, api: TestClient
) -> None:
    """What the donor's browser asks once it has read the code: the seq and the hash of the salt.
    The answer is the POST's, the address holds no secret, and a shared cache may keep it."""
    for name in ("record", "no_record", "erased"):
        code, seq, minor = cases(site_world)[name]
        salt = privacy.parse_receipt_code(code).salt
        other = next(s for n, (_, s, _) in cases(site_world).items() if n != name and s != seq)
        r = api.get(by_hash(seq, receipt_commitment(salt)))
        assert r.status_code == 200, (name, r.text)
        posted = api.post(TRACE, json={"code": code}).json()
        assert r.json()["donation"] == posted["donation"] and r.json()["allocations"] == posted["allocations"]
        assert r.json()["donation"]["amount"] == format_amount(minor, "CNY")
        assert sorted(r.headers["cache-control"].split(", ")) == ["max-age=0", "public", "s-maxage=60"]
        assert salt.hex() not in r.request.url.path and code not in str(r.request.url)
        # the hash of another salt, or this hash at another donation's seq: not found, like no donation
        beyond = api.get(by_hash(10**9, receipt_commitment(salt)))
        assert beyond.status_code == 404 and beyond.json()["code"] == "receipt_not_found"
        for wrong in (
            by_hash(seq, receipt_commitment(bytes(16))),
            by_hash(other, receipt_commitment(salt)),
        ):
            refused = api.get(wrong)
            assert refused.status_code == 404, name
            assert {**refused.json(), "instance": ""} == {**beyond.json(), "instance": ""}, name
            no_amount(refused.text, minor)
    # a donation recorded without the commitment can only be proved with its code
    code, seq, minor = cases(site_world)["legacy"]
    legacy = api.get(by_hash(seq, receipt_commitment(privacy.parse_receipt_code(code).salt)))
    assert legacy.status_code == 404 and legacy.json()["code"] == "receipt_not_found"
    # not a hash: a typed 400, never a 500
    bad = api.get(by_hash(seq, "Z" * 64))
    assert bad.status_code == 400, bad.text


def test_a_legacy_donation_is_not_found_once_its_salt_is_erased(
    site_world: SiteWorld, api: TestClient, client: TestClient
) -> None:
    """Without the log's commitment nothing proves the code once the store forgets the salt
    (docs/protocol.md): not found, rather than shown to whoever knows the seq."""
    code, _, minor = site_world.receipts["legacy_erased"]
    r = api.post(TRACE, json={"code": code})
    assert r.status_code == 404 and r.json()["code"] == "receipt_not_found"
    page = client.post("/verify", data={"code": code})
    assert page.status_code == 404
    no_amount(page.text, minor)


def test_the_genuine_code_is_checked_against_the_log_only(site_world: SiteWorld) -> None:
    """With no donor store at all, the commitment in the leaf decides."""
    code, seq, _ = site_world.receipts["erased"]
    leaf = parse_json(site_world.ledger.log.leaf(seq))
    salt = privacy.parse_receipt_code(code).salt
    assert leaf["body"]["data"]["receipt"] == hashlib.sha256(b"charity-ledger/receipt/v1\n" + salt).hexdigest()
    assert find_donation_by_receipt(site_world.ledger.engine, code)[1]["seq"] == seq
    with pytest.raises(LedgerError) as err:
        find_donation_by_receipt(site_world.ledger.engine, forge(seq))
    assert err.value.code == "receipt_not_found"


def test_the_secret_is_compared_in_constant_time(site_world: SiteWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return original(a, b)

    monkeypatch.setattr(privacy.hmac, "compare_digest", spy)
    _code, seq, _ = site_world.receipts["no_record"]
    committed = parse_json(site_world.ledger.log.leaf(seq))["body"]["data"]["receipt"]
    forged = forge(seq)
    with pytest.raises(LedgerError) as err:
        find_donation_by_receipt(site_world.ledger.engine, forged)
    assert err.value.code == "receipt_not_found"
    expected = receipt_commitment(privacy.parse_receipt_code(forged).salt)
    assert calls == [(expected.encode(), committed.encode())]


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(full_width, id="full-width"),
        pytest.param(lambda c: " ".join(c), id="spaces-everywhere"),
        pytest.param(lambda c: "\u3000" + c + " \n", id="ideographic-space-and-newline-around"),
        pytest.param(lambda c: c.replace("-", "\u2013"), id="en-dash"),
        pytest.param(lambda c: c.replace("-", "\u2014"), id="em-dash"),
        pytest.param(lambda c: c.replace("-", "\u2014\u2014"), id="double-em-dash-of-chinese-ime"),
        pytest.param(lambda c: c.replace("-", "\u2212"), id="minus-sign"),
        pytest.param(lambda c: c.replace("-", "\uff0d"), id="full-width-hyphen"),
        pytest.param(str.lower, id="lower-case"),
        pytest.param(lambda c: full_width(c.lower()).replace("\uff0d", " \u2014 "), id="all-at-once"),
    ],
)
def test_what_donors_type_is_read(site_world: SiteWorld, api: TestClient, client: TestClient, typed: Any) -> None:
    code, seq, minor = site_world.receipts["no_record"]
    assert api.post(TRACE, json={"code": typed(code)}).json()["donation"]["seq"] == seq
    page = client.post("/verify", data={"code": typed(code)})
    assert page.status_code == 200 and f'data-minor="{minor}"' in page.text


def test_lookalikes_outside_the_grammar_are_refused(site_world: SiteWorld, api: TestClient) -> None:
    code, _, _ = site_world.receipts["no_record"]
    arabic_digits = code[0] + "".join(chr(0x0660 + int(d)) for d in code[1 : code.index("-")]) + code[code.index("-") :]
    for bad in (arabic_digits, code.replace("-", "\u200b-"), code + "\u202e", code.replace("-", ""), "x" * 500):
        r = api.post(TRACE, json={"code": bad})
        assert r.status_code == 400 and r.json()["code"] == "receipt_code_invalid", bad


def test_codes_never_travel_in_addresses(site_world: SiteWorld, api: TestClient) -> None:
    code = site_world.receipt_code
    # the old GET route with the code in its path is gone: no donation, no echo of the code
    old = api.get(f"/api/v1/donations/by-receipt/{code}/trace")
    assert old.status_code in (404, 405) and code not in old.text and "1,234.50" not in old.text
    assert api.get(TRACE).status_code == 405
    # a hand-made ?code= on the form page is dropped by a redirect, never read or echoed
    r = api.get(f"/verify?code={code}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/verify" and code not in r.text
    assert code not in api.get(f"/verify?code={code}").text
    # the form posts to an address without the code
    form = api.get("/verify").text
    assert re.search(r'<form method="post" action="/verify"', form)


def test_the_access_log_never_prints_a_code(
    site_world: SiteWorld, api_app: Litestar, capfd: pytest.CaptureFixture[str]
) -> None:
    code = site_world.receipt_code
    with (
        serving(api_app, log_level="info", access_log=True, lifespan="off") as base,
        httpx.Client(base_url=base) as http,
    ):
        http.get(f"/api/v1/donations/by-receipt/{code}/trace")
        http.get(f"/verify?code={code.lower()}")
        http.get(f"/api/v1/donations/by-receipt/{full_width(code)}/trace")
        http.get("/verify", params={"code": " ".join(code)})
        http.post(TRACE, json={"code": code})
        http.post("/verify", data={"code": code})
    out, err = capfd.readouterr()
    logged = out + err
    assert logged.count("[receipt-code]") == 4, logged  # the four addresses that carried one
    assert "POST /api/v1/donations/by-receipt/trace" in logged and "POST /verify" in logged
    salt = code.split("-")[1]
    for text in (salt, salt.lower(), full_width(salt), "".join(f"%{b:02X}" for b in full_width(salt).encode())):
        assert text not in logged
    assert "+".join(salt[:4]) not in logged
