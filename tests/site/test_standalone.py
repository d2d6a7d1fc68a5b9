"""The standalone verifier: one HTML file with every script and style inline, served at
/verifier.html and written by ``charity-ledger verifier --out FILE``; opened from file:// in
Chromium with every request blocked, it passes a real entry, proof and checkpoint in the formats
the API serves, and fails a tampered one, without attempting a single request."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from ledger.cli import main as cli
from public_site import standalone
from public_site.templating import STATIC
from tests.site.browsing import ARGS, CHROMIUM, shoot
from tests.site.world import WITNESS_NAME, SiteWorld

SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


@pytest.fixture(scope="module")
def api_app(site_world: SiteWorld) -> Litestar:
    from api.config import ApiSettings
    from ledger.cli.app import create_app
    from ledger.protocol.checkpoint import parse_witness_key

    return create_app(
        site_world.ledger, api_settings=ApiSettings(witness_keys=(parse_witness_key(site_world.witness_key),))
    )


@pytest.fixture(scope="module")
def api(api_app: Litestar) -> Iterator[TestClient]:
    with TestClient(api_app) as c:
        yield c


def test_served_and_written_the_same_with_everything_inline(api: TestClient, tmp_path: Path) -> None:
    r = api.get("/verifier.html?lang=en")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    csp = r.headers["content-security-policy"]
    assert (
        csp.startswith("default-src 'none'; script-src 'sha256-") and "'self'" not in csp and "connect-src" not in csp
    )
    # nothing is loaded: no src, no href, no url() but data:
    assert not re.search(r"\b(src|href)=", page)
    assert not re.search(r"url\((?!data:)", page)
    # every script the check uses is inline, verbatim, and allowed by its hash only
    scripts = SCRIPT.findall(page)
    for name in standalone.SCRIPTS:
        if (STATIC / name).exists():
            assert (STATIC / name).read_text(encoding="utf-8") in scripts, name
    assert len(scripts) == sum(1 for n in standalone.SCRIPTS if (STATIC / n).exists())
    assert csp.count("sha256-") == len(scripts) + len(standalone.STYLES)
    # the CLI writes the same file
    out = tmp_path / "verifier.html"
    assert cli(["verifier", "--out", str(out), "--lang", "en"]) == 0
    assert out.read_text(encoding="utf-8") == page
    assert cli(["verifier", "--out", str(tmp_path / "zh.html")]) == 0
    assert "离线验证器" in (tmp_path / "zh.html").read_text(encoding="utf-8")


def test_the_strict_ed25519_precheck_is_inlined_first(tmp_path: Path) -> None:
    scripts, styles = standalone.assets(STATIC)
    assert len(scripts) == 3 and scripts[0] == (STATIC / "ed25519_strict.js").read_text(
        encoding="utf-8"
    )  # before verify.js
    csp = standalone.policy(scripts, styles)
    assert (
        "'sha256-" + __import__("base64").b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode() + "'" in csp
    )


# --- in Chromium, from file:// ---------------------------------------------------------------------


def api_pieces(api: TestClient, world: SiteWorld) -> dict[str, str]:
    """What a user fetches from the API for the receipt's donation (and a few entries around it)."""
    seq, size = world.receipt_seq, world.witnessed_size
    entries = api.get(f"/api/v1/log/entries?start={seq - 2}&end={seq + 2}")
    proof = api.get(f"/api/v1/log/proof/inclusion?index={seq}&size={size}")
    checkpoint = api.get(f"/api/v1/log/checkpoint/{size}")
    vkey = api.get("/api/v1/log/vkey")
    assert all(r.status_code == 200 for r in (entries, proof, checkpoint, vkey))
    assert f"\u2014 {WITNESS_NAME} " in checkpoint.text
    return {"entries": entries.text, "proof": proof.text, "checkpoint": checkpoint.text, "vkey": vkey.text.strip()}


def block(route: Any, allowed: str, attempted: list[str]) -> None:
    """Every request but the page file itself is recorded and refused."""
    if route.request.url == allowed:
        route.continue_()
        return
    attempted.append(route.request.url)
    route.abort()


@pytest.mark.browser
def test_offline_from_file_with_every_request_blocked(api: TestClient, site_world: SiteWorld, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    pieces = api_pieces(api, site_world)
    verifier = tmp_path / "verifier.html"
    assert cli(["verifier", "--out", str(verifier)]) == 0
    (tmp_path / "entries.jsonl").write_text(pieces["entries"], encoding="utf-8")
    (tmp_path / "checkpoint").write_text(pieces["checkpoint"], encoding="utf-8")
    fingerprint = hashlib.sha256(site_world.ledger.log.current_log_key().public).hexdigest()
    url = verifier.as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(locale="zh-CN")
        attempted: list[str] = []
        context.route("**/*", lambda route: block(route, url, attempted))
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(url)
        assert page.evaluate("window.isSecureContext") is True

        def check() -> str:
            page.locator("#check").click()
            page.wait_for_function("document.getElementById('check-result').dataset.state")
            return page.locator("#check-result").get_attribute("data-state")

        # the real thing: the entries file and the checkpoint file loaded, the proof pasted
        page.locator("#vkey").fill(pieces["vkey"])
        page.locator("#fingerprint").fill(fingerprint)
        page.locator("#entry-file").set_input_files(str(tmp_path / "entries.jsonl"))
        page.locator("#checkpoint-file").set_input_files(str(tmp_path / "checkpoint"))
        page.wait_for_function("['checkpoint', 'entry'].every(id => document.getElementById(id).value.length > 0)")
        page.locator("#proof").fill(pieces["proof"])
        page.locator("#witnesses").fill(site_world.witness_key)
        page.locator("#entry-id").fill(site_world.receipt_id)
        assert check() == "pass", page.locator("#check-list").inner_text()
        assert "验证通过" in page.locator("#check-result").inner_text()
        assert page.locator("#key-fingerprint").inner_text() == fingerprint
        assert page.locator("#witness-result").get_attribute("data-state") == "witnessed"
        assert "1 个见证方中有 1 个" in page.locator("#witness-result").inner_text()
        assert (
            "¥1,234.50" in page.locator("#leaf-summary").inner_text()
            and site_world.receipt_id in page.locator("#leaf-summary").inner_text()
        )
        assert page.locator("#check-list li.bad").count() == 0
        assert page.locator("#check-list li[data-check='receipt'].ok").count() == 1
        shoot(page, "verifier-offline")

        # a tampered proof hash fails, visibly, and nothing of the entry is shown
        proof = json.loads(pieces["proof"])
        h = proof["hashes"][0]
        proof["hashes"][0] = ("0" if h[0] != "0" else "1") + h[1:]
        page.locator("#proof").fill(json.dumps(proof))
        assert check() == "fail"
        assert "验证失败" in page.locator("#check-result").inner_text()
        assert page.locator("#check-list li.bad").evaluate_all("els => els.map(e => e.dataset.check)") == ["inclusion"]
        assert page.locator("#leaf-summary").inner_text() == "（未验证）"

        # the right data against a key that is not the log's: the log signature fails
        page.locator("#proof").fill(pieces["proof"])
        from ledger.protocol.keys import KeyPair
        from ledger.protocol.note import format_verifier_key

        # a real key that is not the log's (an all-zero one would be refused before any signature)
        other = format_verifier_key(pieces["vkey"].split("+", 1)[0], KeyPair.from_seed(b"not the log").public)
        page.locator("#vkey").fill(other)
        assert check() == "fail"
        assert "logsig" in page.locator("#check-list li.bad").evaluate_all("els => els.map(e => e.dataset.check)")

        assert requests == [url], requests  # only the file itself was ever loaded
        assert attempted == [], attempted  # and no request was even attempted
        assert errors == [], errors
        context.close()
        browser.close()
