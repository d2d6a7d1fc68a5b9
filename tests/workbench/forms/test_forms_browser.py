"""In Chromium: fill the donation form, see every wrong field marked at once, preview the exact
bytes, sign them in the browser with a WebCrypto Ed25519 key, and see the entry's inclusion
proof checked against the checkpoint. ``window.WorkbenchKeys`` is a test double here (the real
one, keys.js, creates and keeps the person's key in the browser): it signs with the test
fundraiser's key imported into WebCrypto, so the log knows the key."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from api.config import ApiSettings
from ledger.cli.app import create_app
from ledger.protocol import merkle
from ledger.protocol.canonical import canonical_bytes
from ledger.protocol.keys import KeyPair
from tests.api.world import PROJECT, World, build_world, today
from tests.site.browsing import chromium, serving, shoot, watched_page
from tests.support.ledger_factory import LedgerFactory
from tests.workbench.forms.conftest import Signer, with_test_sign_in

# The interface of public_site/static/workbench/keys.js: keys by id, sign(keyId, bytes).
KEYS_DOUBLE = """
window.WorkbenchKeys = (function () {
  const pkcs8 = Uint8Array.from(atob("%(pkcs8)s"), c => c.charCodeAt(0));
  const pub = "%(public)s";
  let key = null;
  async function privateKey() {
    if (!key) key = await crypto.subtle.importKey("pkcs8", pkcs8, {name: "Ed25519"}, false, ["sign"]);
    return key;
  }
  return {
    create: async function () { return pub; },
    list: async function () { return [{keyId: "k1", publicKey: pub}]; },
    publicKey: async function (keyId) { if (keyId !== "k1") throw new Error("no key " + keyId); return pub; },
    sign: async function (keyId, bytes) {
      if (keyId !== "k1") throw new Error("no key " + keyId);
      window.__signed = (window.__signed || 0) + 1;
      return new Uint8Array(await crypto.subtle.sign({name: "Ed25519"}, await privateKey(), bytes));
    },
  };
})();
"""


def keys_double(pair: KeyPair) -> str:
    pkcs8 = pair.private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return KEYS_DOUBLE % {"pkcs8": base64.b64encode(pkcs8).decode(), "public": pair.public_b64}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(LedgerFactory(tmp_path_factory.mktemp("wb") / "home"))


@contextmanager
def fundraiser_page(world: World, allow_status: tuple[int, ...] = ()) -> Iterator[Any]:
    """Chromium on the app, signed in as the fundraiser, with the keys double."""
    app = with_test_sign_in(create_app(world.factory.ledger, api_settings=ApiSettings()), Signer("fundraiser"))
    with serving(app) as server, chromium(server) as browser, watched_page(browser, server) as pg:
        pg.add_init_script(keys_double(world.keys["fundraiser"]))
        # the real keys.js (when present) would replace the double: serve an empty script instead
        pg.route(
            "**/static/workbench/keys.js",
            lambda route: route.fulfill(status=200, body="", content_type="text/javascript"),
        )
        pg.server = server  # type: ignore[attr-defined]
        yield pg
        pg.watch.check(allow_status=allow_status)


@pytest.fixture(scope="module")
def page(world: World) -> Iterator[Any]:
    with fundraiser_page(world, allow_status=(400,)) as pg:
        yield pg


def fill(pg: Any, data: dict[str, str]) -> None:
    for path, value in data.items():
        control = pg.locator(f'[data-scope="main"] [data-path="{path}"]')
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)


@pytest.mark.browser
def test_fill_preview_sign_and_see_the_proof(page: Any, world: World) -> None:
    pg = page
    pg.goto(f"{pg.server}/workbench/entries/new/donation.received")
    pg.wait_for_function("document.documentElement.dataset.workbenchReady === 'true'")
    assert pg.locator("h1").inner_text().index("收到捐赠") < pg.locator("h1").inner_text().index("Donation received")

    # wrong amount, no channel and no donor type: all three marked at once, nothing signed
    fill(
        pg,
        {
            "project": PROJECT,
            "currency": "CNY",
            "amount": "66.5",
            "kind": "money",
            "commitment": "ab" * 32,
            "restricted": "true",
            "received_on": today(),
        },
    )
    pg.click("#wb-preview")
    summary = pg.locator("#wb-summary")
    summary.wait_for(state="visible")
    invalid = pg.locator('[aria-invalid="true"]')
    assert sorted(invalid.evaluate_all("els => els.map(e => e.dataset.path)")) == ["amount", "channel", "donor_type"]
    assert pg.evaluate("document.activeElement.id") == "wb-summary"
    assert "必填" in pg.locator("#main-f-channel-error").inner_text()
    assert pg.evaluate("window.__signed || 0") == 0
    shoot(pg, "workbench-form-errors")

    fill(pg, {"amount": "66.50", "channel": "bank_transfer", "donor_type": "enterprise"})
    pg.click("#wb-preview")
    pg.locator("#wb-review").wait_for(state="visible")
    assert pg.locator("#wb-summary").is_hidden()
    previewed = pg.locator("pre.wb-canonical").inner_text()
    body = json.loads(previewed)
    assert canonical_bytes(body) == previewed.encode()  # the preview is the canonical bytes
    assert body["data"]["amount"] == "66.50" and body["signer"] == world.keys["fundraiser"].id
    size_before = world.factory.ledger.log.head().size

    pg.click("#wb-sign")
    proof_line = pg.locator("[data-proof]")
    proof_line.wait_for(state="visible")
    assert proof_line.get_attribute("data-proof") == "ok"
    assert pg.evaluate("window.__signed") == 1
    answer = pg.locator("#wb-answer-body").inner_text()
    assert world.factory.ledger.log.head().size == size_before + 1
    leaf = world.factory.ledger.log.leaf(size_before)
    assert canonical_bytes(json.loads(leaf)["body"]) == previewed.encode()  # what was signed is what is stored
    assert merkle.leaf_hash(leaf).hex() in answer
    shoot(pg, "workbench-form-signed")
