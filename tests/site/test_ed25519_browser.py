"""The site's in-browser Ed25519 check is as strict as libsodium: every vendored edge-case
vector (tests/vectors/ed25519/) goes through ed25519_strict.js and WebCrypto in Debian's
Chromium, as verify.js's ed25519() does, and gets PyNaCl's verdict."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ed25519_vectors import all_vectors
from tests.site.browsing import chromium, serving, watched_page
from tests.test_ed25519_strict import libsodium_accepts

STATIC = Path(__file__).resolve().parents[2] / "public_site" / "static"
TEMPLATES = STATIC.parent / "templates"

# what verify.js's ed25519() does: the pre-check, then WebCrypto (a key WebCrypto cannot
# import, or any other throw, counts as a refusal here)
CHECK_ALL = """async (vectors) => {
  const unhex = (h) => new Uint8Array(h.match(/../g)?.map((b) => parseInt(b, 16)) ?? []);
  const out = [];
  for (const [name, pk, sig, msg] of vectors) {
    const reason = ed25519StrictPrecheck(unhex(pk), unhex(sig));
    let ok = false;
    if (reason === null) {
      try {
        const key = await crypto.subtle.importKey("raw", unhex(pk), { name: "Ed25519" }, false, ["verify"]);
        ok = await crypto.subtle.verify({ name: "Ed25519" }, key, unhex(sig), unhex(msg));
      } catch (e) {
        ok = false;
      }
    }
    out.push([name, ok, reason]);
  }
  return out;
}"""


@pytest.fixture(scope="module")
def page(site_app: Any) -> Iterator[Any]:
    with serving(site_app) as server, chromium(server) as browser, watched_page(browser, server) as pg:
        pg.goto(f"{server}/verify")
        pg.wait_for_function("typeof ed25519StrictPrecheck === 'function'")
        yield pg
        pg.watch.check()


@pytest.mark.browser
def test_browser_and_libsodium_agree_on_every_vector(page: Any) -> None:
    vectors = all_vectors()
    verdicts = page.evaluate(CHECK_ALL, [[n, pk.hex(), sig.hex(), msg.hex()] for n, pk, sig, msg in vectors])
    assert len(verdicts) == len(vectors) == 1077
    expected = {n: libsodium_accepts(pk, sig, msg) for n, pk, sig, msg in vectors}
    disagree = [(name, ok, reason) for name, ok, reason in verdicts if ok != expected[name]]
    assert disagree == []
    reasons = {name: reason for name, _, reason in verdicts}
    assert reasons["speccheck-0"] is not None and reasons["speccheck-3"] is None
    assert sum(ok for _, ok, _ in verdicts) == sum(expected.values()) > 100


@pytest.mark.browser
def test_the_precheck_names_its_reasons(page: Any) -> None:
    identity = "01" + "00" * 31
    good_key = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"  # RFC 8032 test 1
    cases = page.evaluate(
        """([identity, good]) => {
          const unhex = (h) => new Uint8Array(h.match(/../g).map((b) => parseInt(b, 16)));
          const sOverL = "00".repeat(31) + "ff";
          const rOk = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155";
          return [
            ed25519StrictPrecheck(unhex(identity), unhex(identity + "00".repeat(32))),
            ed25519StrictPrecheck(unhex(good), unhex(rOk + sOverL)),
            ed25519StrictPrecheck(unhex(identity), unhex(rOk + "00".repeat(32))),
            ed25519StrictPrecheck(unhex("f0" + "ff".repeat(30) + "7f"), unhex(rOk + "00".repeat(32))),
            ed25519StrictPrecheck(unhex(good), unhex(rOk + "00".repeat(32))),
            ed25519StrictPrecheck(unhex(good).buffer, unhex(rOk + "00".repeat(32)).buffer),
            ed25519StrictPrecheck(unhex(good).slice(1), unhex(rOk + "00".repeat(32))),
          ];
        }""",
        [identity, good_key],
    )
    assert cases == [
        "R is a point of small order",
        "S is not canonical (S >= L)",
        "the public key is a point of small order",
        "the public key is not canonically encoded (y >= p)",
        None,
        None,
        "an Ed25519 public key is 32 bytes",
    ]


def test_verify_js_calls_the_precheck_first_and_pages_load_it_before():
    source = (STATIC / "verify.js").read_text(encoding="utf-8")
    start = source.index("function ed25519(publicKey, signature, message) {")
    body = source[start : source.index("crypto.subtle.importKey", start)]
    # before WebCrypto sees a key: refused when the precheck finds a reason, or is missing
    assert 'typeof root.ed25519StrictPrecheck !== "function"' in body
    assert "root.ed25519StrictPrecheck(publicKey, signature) !== null" in body and "return false;" in body
    assert source.count("crypto.subtle.importKey") == 1  # the one place a signature is checked
    from public_site.templating import verify_scripts

    scripts = str(verify_scripts())
    assert 0 <= scripts.find("ed25519_strict.js") < scripts.find("verify.js")
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "asset('verify.js')" not in text, f"{template.name} loads verify.js without the precheck"
