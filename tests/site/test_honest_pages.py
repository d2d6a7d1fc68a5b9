"""Every sentence about what was checked is true for the deployment showing it: no page, template
or translation claims that nothing trusts the server or that checkpoints are witnessed, and the
figures of the verification page are not server text (verify.js writes them from the verified
leaf; the site's own figures are only attributes it compares)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar.testing import TestClient

import public_site
from tests.domain import helpers as H
from tests.site.conftest import make_app
from tests.site.world import SiteWorld

PACKAGE = Path(public_site.__file__).parent
# claims a page served by the log's operator cannot make about itself, in both languages
UNTRUE = (
    "trusts this server's word",
    "do not have to trust",
    "independent witnesses",
    "signed and witnessed log",
    "a witness cosigned it",
    "in a signed, witnessed checkpoint",
    "不信任本服务器",
    "无需信任本站",
    "独立的见证方",
)
PAGES = (
    "/",
    "/projects",
    f"/projects/{H.World.PUB}",
    "/verify",
    "/ledger",
    "/ledger/30",
    "/checkpoints",
    "/how-to-verify",
    "/reports",
    "/organisations",
    "/verifier.html",
)


def sources() -> list[Path]:
    return [
        *sorted((PACKAGE / "templates").glob("*.html")),
        PACKAGE / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po",
        *sorted((PACKAGE / "static").glob("*.js")),
    ]


@pytest.mark.parametrize("path", sources(), ids=lambda p: p.name)
def test_no_template_or_translation_claims_what_is_not_checked(path: Path) -> None:
    text = path.read_text(encoding="utf-8").lower()
    found = [claim for claim in UNTRUE if claim.lower() in text]
    assert not found, f"{path.name}: {found}"


def visible(page: str) -> str:
    """The text of a page as a browser with JavaScript shows it before the script runs."""
    page = re.sub(r"<(script|style|noscript)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", page)


def test_pages_in_both_languages_say_only_what_is_checked(client: TestClient, site_world: SiteWorld) -> None:
    for path in PAGES:
        for lang in ("en", "zh-CN"):
            r = client.get(path, params={"lang": lang})
            assert r.status_code == 200, path
            found = [c for c in UNTRUE if c.lower() in visible(r.text).lower()]
            assert not found, (path, lang, found)
    page = client.post("/verify?lang=en", data={"code": site_world.receipt_code}).text
    assert not [c for c in UNTRUE if c.lower() in visible(page).lower()]


def test_the_verify_page_shows_no_server_figures_beside_the_proof(client: TestClient, site_world: SiteWorld) -> None:
    page = client.post("/verify?lang=en", data={"code": site_world.receipt_code}).text
    donation = page[page.index('id="donation"') : page.index('id="trace"')]
    shown = visible(donation)
    # the amount, the entry id and the dates come from the leaf, written by verify.js
    assert "1,234.50" not in shown and site_world.receipt_id not in shown and "2026-03-21" not in shown
    assert shown.count("checking…") >= 8
    # the site's own figures are there only as attributes the script compares (and for no-JS readers)
    assert 'id="don-amount" data-minor="123450" data-leaf="amount"' in donation
    assert f'data-leaf="entry-id" data-claim="{site_world.receipt_id}"' in donation
    assert "<noscript>" in donation and "not checked: JavaScript is off" in donation
    # what the site adds is labelled as such
    assert "What this site adds (not checked in your browser)" in shown
    assert "your browser checks only that the two parts add up to the signed amount" in visible(page)


def test_without_witness_keys_the_site_suggests_none_and_claims_none(site_world: SiteWorld) -> None:
    from api.config import ApiSettings

    app = make_app(site_world)
    app.state.api_settings = ApiSettings(witness_keys=())
    with TestClient(app) as c:
        page = c.post("/verify?lang=en", data={"code": site_world.receipt_code}).text
    data = re.search(r'id="proof-data">(.*?)</script>', page, flags=re.S)
    assert data and '"witnesses": []' in data.group(1)
    shown = visible(page)
    # no claim of witnessing: that is the browser's finding, over the witnesses the user trusts
    assert "Witnessed:" not in shown and "cosigned by" not in shown.lower()
    assert "This site suggests: (none)" in shown


def test_the_how_to_page_gives_the_fingerprint_receipts_print(client: TestClient, site_world: SiteWorld) -> None:
    import hashlib

    page = client.get("/how-to-verify?lang=en").text
    fingerprint = hashlib.sha256(site_world.ledger.log.current_log_key().public).hexdigest()
    assert f'<code class="wrap-any" id="vkey-fingerprint">{fingerprint}</code>' in page
