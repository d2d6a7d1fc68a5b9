"""The verification page against a lying server, in Debian's Chromium (Playwright).

A page served by the log's operator can only show what the operator serves, so the lies here
are told by rewriting the site's answer in flight (``page.route``: a proxy between the browser
and the server): figures changed beside the proof, the leaf's amount changed, the checkpoint
re-signed with another log key, cosignatures dropped or forged. Each one is caught or flagged,
and the visible text says so (not only a data attribute). Also: the log key pinned on first use
and the warning when it changes, the receipt's ``#logkey=`` fingerprint, and witnessing counted
k of n over the list of witnesses the user keeps in the browser."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ledger.protocol import merkle
from ledger.protocol.checkpoint import format_witness_key
from ledger.protocol.keys import KeyPair
from ledger.protocol.note import NoteSigner, format_verifier_key, sign_note
from tests.site.browsing import chromium, serving, shoot, watched_page

pytestmark = pytest.mark.browser

PROOF = re.compile(r'(<script type="application/json" id="proof-data">)(.*?)(</script>)', re.S)
LIAR = KeyPair.from_seed(b"a log operator who forges a log")


@pytest.fixture(scope="module")
def server(site_app: Any) -> Iterator[str]:
    with serving(site_app) as url:
        yield url


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    with chromium(server) as b:
        yield b


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    with watched_page(browser, server) as pg:
        yield pg


def real_fingerprint(site_world: Any) -> str:
    return hashlib.sha256(site_world.ledger.log.current_log_key().public).hexdigest()


def liar_fingerprint() -> str:
    return hashlib.sha256(LIAR.public).hexdigest()


def embed(data: dict[str, Any]) -> str:
    """JSON as Jinja's tojson writes it into a page (safe inside <script>)."""
    text = json.dumps(data, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027")


def lying(page: Any, server: str, lie: Callable[[str, dict[str, Any]], tuple[str, dict[str, Any]]]) -> None:
    """Answer POST /verify with the site's page, rewritten by ``lie(page html, proof data)``."""

    def handle(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        response = route.fetch()
        body = response.text()
        match = PROOF.search(body)
        assert match, "no proof data in the page"
        data = json.loads(html.unescape(match.group(2)) if "&#" in match.group(2) else match.group(2))
        body, data = lie(body, data)
        body = PROOF.sub(lambda m: m.group(1) + embed(data) + m.group(3), body, count=1)
        route.fulfill(response=response, body=body)

    page.route(f"{server}/verify*", handle)


def lookup(page: Any, server: str, code: str, fragment: str = "") -> None:
    page.goto(f"{server}/verify{fragment}")
    if not page.get_by_label("收据码").input_value():
        page.get_by_label("收据码").fill(code)
    page.get_by_role("button", name="查询").click()
    page.wait_for_selector("#check-result[data-state]", timeout=15_000)


def state(page: Any, selector: str) -> str:
    return page.locator(selector).get_attribute("data-state")


def bad_checks(page: Any) -> list[str]:
    return page.locator("#check-list li.bad").evaluate_all("els => els.map(e => e.dataset.check)")


def on_screen(page: Any, selector: str) -> bool:
    """Visible and inside the page horizontally (not moved off-screen by a stray class)."""
    box = page.locator(selector).bounding_box()
    return page.locator(selector).is_visible() and box is not None and box["x"] >= 0 and box["width"] > 100


def forge_checkpoint(data: dict[str, Any]) -> dict[str, Any]:
    """The same checkpoint text, signed by another key, the witness's cosignature kept."""
    note = data["note"]
    text, sigs = note[: note.index("\n\n") + 1], note[note.index("\n\n") + 2 :]
    origin = text.split("\n", 1)[0]
    cosigs = [line for line in sigs.split("\n") if line and not line.startswith(f"\u2014 {origin} ")]
    forged = sign_note(text, NoteSigner(origin, LIAR))
    data["note"] = forged + "".join(line + "\n" for line in cosigs)
    data["vkey"] = format_verifier_key(origin, LIAR.public)
    return data


# --- the honest page ----------------------------------------------------------------------------


def test_figures_are_rendered_from_the_verified_leaf(page, server, site_world):
    lookup(page, server, site_world.receipt_code)
    assert state(page, "#check-result") == "pass", page.locator("#check-list").inner_text()
    assert "验证通过" in page.locator("#check-result").inner_text()
    # the figures come from the leaf bytes (and equal the site's own figures, which are checked)
    assert page.locator("#don-amount").inner_text().strip() == "¥1,234.50"
    assert page.locator("#don-amount").get_attribute("data-verified") == "yes"
    assert page.locator("#don-id").inner_text().strip() == site_world.receipt_id
    assert page.locator("#don-seq").inner_text().strip() == str(site_world.receipt_seq)
    assert page.locator("[data-leaf='received-on']").inner_text() == "2026-03-21"
    assert page.locator("[data-leaf='channel']").inner_text() == "银行转账"
    assert page.locator("#check-list li[data-check='figures'].ok").count() == 1
    # witnessed by the one witness the user trusts (the site's list, taken on first use)
    assert state(page, "#witness-result") == "witnessed" and on_screen(page, "#witness-result")
    assert page.locator("#witness-result").inner_text() == "已见证：您信任的 1 个见证方中有 1 个副署了该检查点。"
    # the log key pinned on first use, its fingerprint shown
    assert (
        state(page, "#key-pin") == "first-use" and real_fingerprint(site_world) in page.locator("#key-pin").inner_text()
    )
    assert page.locator("#key-accept").is_hidden()
    page.watch.check()


# --- lies -----------------------------------------------------------------------------------------


def test_a_changed_figure_beside_the_proof_is_caught(page, server, site_world):
    def lie(body: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        assert 'data-minor="123450"' in body
        return body.replace('data-minor="123450"', 'data-minor="1234500"'), data

    lying(page, server, lie)
    lookup(page, server, site_world.receipt_code)
    assert state(page, "#check-result") == "fail" and "验证失败" in page.locator("#check-result").inner_text()
    assert bad_checks(page) == ["figures"]
    assert "本站的数字与签名条目一致 — 未通过" in page.locator("#check-list").inner_text()
    # what is shown is the signed amount, not the site's
    assert page.locator("#don-amount").inner_text().strip() == "¥1,234.50"
    assert "12,345.00" not in page.locator("#donation").inner_text()


def test_a_trace_that_does_not_add_up_to_the_signed_amount_is_caught(page, server, site_world):
    def lie(body: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        found = re.search(r'id="tr-unallocated" data-minor="(\d+)"', body)
        assert found
        return body.replace(found.group(0), f'id="tr-unallocated" data-minor="{int(found.group(1)) + 100}"'), data

    lying(page, server, lie)
    lookup(page, server, site_world.receipt_code)
    assert state(page, "#check-result") == "fail" and bad_checks(page) == ["figures"]
    assert "trace" in page.locator("#check-list li[data-check='figures']").inner_text()


def test_a_changed_amount_in_the_leaf_is_caught_and_not_shown(page, server, site_world):
    def lie(body: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        leaf = base64.b64decode(data["leaf_b64"])
        assert b'"amount":"1234.50"' in leaf
        forged = leaf.replace(b'"amount":"1234.50"', b'"amount":"9234.50"')
        data["leaf_b64"] = base64.b64encode(forged).decode()
        # a careful liar also changes the entry id the page claims
        new_id = merkle.leaf_hash(forged).hex()
        body = body.replace(data["leaf_hash"], new_id).replace('data-minor="123450"', 'data-minor="923450"')
        data["leaf_hash"] = new_id
        return body, data

    lying(page, server, lie)
    lookup(page, server, site_world.receipt_code)
    assert state(page, "#check-result") == "fail"
    assert set(bad_checks(page)) == {"sig", "inclusion"}
    assert "9,234.50" not in page.locator("main").inner_text()
    assert page.locator("#don-amount").inner_text() == "（未验证）"
    assert page.locator("#don-amount").get_attribute("data-verified") == "no"
    assert state(page, "#witness-result") == "not-witnessed"


def test_a_proof_against_another_log_key_warns_with_both_fingerprints(browser, server, site_world):
    with watched_page(browser, server) as pg:
        lookup(pg, server, site_world.receipt_code)  # first use: the real key is pinned
        assert state(pg, "#key-pin") == "first-use"
        lying(
            pg,
            server,
            lambda body, data: (
                body.replace(data["vkey"], forge_checkpoint(dict(data))["vkey"]),
                forge_checkpoint(data),
            ),
        )
        lookup(pg, server, site_world.receipt_code)  # the same browser, a forged log
        # every signature checks out with the forged key: only the pin catches it
        assert bad_checks(pg) == []
        assert state(pg, "#check-result") == "keychange"
        assert "验证通过" not in pg.locator("#check-result").inner_text()
        assert "未能用您信任的公钥验证" in pg.locator("#check-result").inner_text()
        warning = pg.locator("#key-pin")
        assert state(pg, "#key-pin") == "changed" and on_screen(pg, "#key-pin")
        text = warning.inner_text()
        assert "警告：账本公钥已变更" in text and real_fingerprint(site_world) in text and liar_fingerprint() in text
        shoot(pg, "verify-key-changed")
        # the user can accept a new key only by pressing the button (after asking the registrar)
        assert pg.locator("#key-accept").is_visible()
        pg.locator("#key-accept").click()
        pg.wait_for_function("document.getElementById('key-pin').dataset.state === 'match'")
        assert state(pg, "#check-result") == "pass"


def test_the_receipt_fingerprint_catches_a_forged_key_even_on_first_use(browser, server, site_world):
    with watched_page(browser, server) as pg:
        lying(pg, server, lambda body, data: (body, forge_checkpoint(data)))
        lookup(
            pg,
            server,
            site_world.receipt_code,
            fragment=f"#code={site_world.receipt_code}&logkey={real_fingerprint(site_world)}",
        )
        assert pg.url.endswith(f"/verify#logkey={real_fingerprint(site_world)}")  # the code stayed behind
        assert state(pg, "#check-result") == "fail" and bad_checks(pg) == ["receipt"]
        assert state(pg, "#key-pin") == "receipt-mismatch"
        text = pg.locator("#key-pin").inner_text()
        assert (
            "警告：账本公钥与您收据上的不一致" in text
            and real_fingerprint(site_world) in text
            and liar_fingerprint() in text
        )
        # nothing was pinned from a page that failed the receipt's fingerprint
        assert pg.evaluate("localStorage.getItem('charity-ledger.logkeys')") is None


def test_the_receipt_fingerprint_passes_for_the_real_key(page, server, site_world):
    lookup(
        page,
        server,
        site_world.receipt_code,
        fragment=f"#code={site_world.receipt_code}&logkey={real_fingerprint(site_world)}",
    )
    assert state(page, "#check-result") == "pass"
    assert state(page, "#key-pin") == "receipt-match"
    assert page.locator("#check-list li[data-check='receipt'].ok").count() == 1
    # the receipt code itself never reached an address the server saw
    assert site_world.receipt_code not in page.url


def test_dropped_cosignatures_show_not_witnessed_on_screen(page, server, site_world):
    def lie(body: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        origin = data["note"].split("\n", 1)[0]
        lines = data["note"].split("\n")
        data["note"] = "\n".join(
            line for line in lines if not (line.startswith("\u2014 ") and not line.startswith(f"\u2014 {origin} "))
        )
        assert "witness.example" not in data["note"]
        return body, data

    lying(page, server, lie)
    lookup(page, server, site_world.receipt_code)
    # the entry is in the log the key signs: verified, and plainly NOT witnessed
    assert state(page, "#check-result") == "pass"
    assert state(page, "#witness-result") == "not-witnessed"
    assert page.locator("#witness-result").inner_text() == "未见证：您信任的 1 个见证方中有 0 个副署了该检查点。"
    assert on_screen(page, "#witness-result")
    same = page.evaluate("""() => {
        const a = getComputedStyle(document.getElementById('check-result'));
        const b = getComputedStyle(document.getElementById('witness-result'));
        return a.fontWeight === b.fontWeight && a.fontSize === b.fontSize;
    }""")
    assert same, "'not witnessed' must be as plain as 'verified'"
    item = page.locator("#check-list li[data-check='witness']")
    assert (
        item.get_attribute("class") == "skipped"
        and "无副署" in item.inner_text()
        and on_screen(page, "#check-list li[data-check='witness']")
    )
    shoot(page, "verify-not-witnessed")


def test_a_forged_cosignature_fails(page, server, site_world):
    def lie(body: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        lines = data["note"].split("\n")
        for i, line in enumerate(lines):
            if line.startswith("\u2014 witness.example/w1 "):
                raw = bytearray(base64.b64decode(line.split(" ")[2]))
                raw[-1] ^= 1  # the right witness name and key hash, a wrong signature
                lines[i] = "\u2014 witness.example/w1 " + base64.b64encode(bytes(raw)).decode()
        data["note"] = "\n".join(lines)
        return body, data

    lying(page, server, lie)
    lookup(page, server, site_world.receipt_code)
    assert state(page, "#check-result") == "fail" and bad_checks(page) == ["witness"]
    assert state(page, "#witness-result") == "not-witnessed"


# --- the user's witnesses -------------------------------------------------------------------------


def test_witnesses_are_counted_k_of_n_over_the_users_list(page, server, site_world):
    other = format_witness_key("witness.example/w2", KeyPair.from_seed(b"another witness").public)
    lookup(page, server, site_world.receipt_code)
    assert page.locator("#witness-result").get_attribute("data-n") == "1"
    page.locator("#witness-settings summary").click()
    assert page.locator("#trusted-witnesses").input_value() == site_world.witness_key  # the site's list, shown
    page.locator("#trusted-witnesses").fill(f"{site_world.witness_key}\n{other}")
    page.locator("#witnesses-save").click()
    page.wait_for_function("document.getElementById('witness-result').dataset.n === '2'")
    assert state(page, "#witness-result") == "witnessed"
    assert page.locator("#witness-result").inner_text() == "已见证：您信任的 2 个见证方中有 1 个副署了该检查点。"
    # only a witness that did not cosign: not witnessed, and the choice is kept in this browser
    page.locator("#trusted-witnesses").fill(other)
    page.locator("#witnesses-save").click()
    page.wait_for_function("document.getElementById('witness-result').dataset.n === '1'")
    lookup(page, server, site_world.receipt_code)
    assert (
        state(page, "#witness-result") == "not-witnessed"
        and page.locator("#witness-result").get_attribute("data-k") == "0"
    )
    assert "1 个见证方中有 0 个" in page.locator("#witness-result").inner_text()
    assert "witness.example/w1" not in page.locator("#check-list").inner_text()
    # an empty list: nobody is trusted, and the page says so
    page.locator("#witness-settings summary").click()
    page.locator("#trusted-witnesses").fill("")
    page.locator("#witnesses-save").click()
    page.wait_for_function("document.getElementById('witness-result').dataset.n === '0'")
    assert "您没有信任任何见证方" in page.locator("#witness-result").inner_text()
    # and back to the site's list
    page.locator("#witnesses-reset").click()
    page.wait_for_function("document.getElementById('witness-result').dataset.state === 'witnessed'")
    page.watch.check()


def test_the_entry_page_pins_and_compares_too(browser, server, site_world):
    seq = site_world.ledger.log.seq_of(site_world.ids["pay1"])
    with watched_page(browser, server) as pg:
        pg.goto(f"{server}/ledger/{seq}#logkey={liar_fingerprint()}")
        pg.wait_for_selector("#check-result[data-state]")
        assert state(pg, "#check-result") == "fail" and state(pg, "#key-pin") == "receipt-mismatch"
        pg.goto(f"{server}/ledger/{seq}#logkey={real_fingerprint(site_world)}")
        pg.reload()
        pg.wait_for_selector("#check-result[data-state]")
        assert state(pg, "#check-result") == "pass" and state(pg, "#key-pin") == "receipt-match"
        assert pg.locator("#entry-amount").inner_text().strip() == "¥15,000.00"
        assert pg.locator("#entry-id").get_attribute("data-verified") == "yes"
        leaf = json.loads(site_world.ledger.log.leaf(seq))
        assert json.loads(pg.locator("#entry-data").inner_text()) == leaf["body"]["data"]
        assert pg.locator("#signature").inner_text() == leaf["sig"]
        # a lie about the type beside the proof is caught
        pg.route(
            f"{server}/ledger/{seq}",
            lambda route: route.fulfill(
                response=(r := route.fetch()),
                body=r.text().replace('data-claim="funds.disbursed"', 'data-claim="funds.allocated"'),
            ),
        )
        pg.reload()
        pg.wait_for_selector("#check-result[data-state]")
        assert state(pg, "#check-result") == "fail" and bad_checks(pg) == ["figures"]


def test_the_strict_ed25519_precheck_is_called_for_every_signature(browser, server, site_world):
    """verify.js has one Ed25519 function; a reason from the precheck of ed25519_strict.js
    refuses the signature (here the file is replaced by a stand-in that refuses every one)."""
    with watched_page(browser, server) as pg:
        pg.route(
            "**/static/ed25519_strict.js*",
            lambda route: route.fulfill(
                content_type="application/javascript",
                body="window.ed25519StrictPrecheck = function (key, sig) { return 'refused by the precheck'; };",
            ),
        )
        lookup(pg, server, site_world.receipt_code)
        assert state(pg, "#check-result") == "fail"
        assert set(bad_checks(pg)) == {"sig", "logsig", "witness"}


def test_a_browser_that_keeps_nothing_is_told_the_key_is_not_pinned(browser, server, site_world):
    with watched_page(browser, server) as pg:
        pg.add_init_script(
            "Storage.prototype.setItem = function () { throw new DOMException('blocked', 'SecurityError'); };"
        )
        lookup(pg, server, site_world.receipt_code)
        assert state(pg, "#check-result") == "pass"
        assert state(pg, "#key-pin") == "no-storage"
        assert "账本公钥未被固定" in pg.locator("#key-pin").inner_text()
        assert real_fingerprint(site_world) in pg.locator("#key-pin").inner_text()
