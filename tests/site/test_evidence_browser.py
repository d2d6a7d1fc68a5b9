"""The "check this file" tool in a real browser (headless Chromium): the file chosen is hashed
with WebCrypto and compared with the entry's hash; nothing is sent to the server."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.config import ApiSettings
from ledger.cli.app import create_app
from tests.evidence_files import pdf_bytes
from tests.site.browsing import chromium, serving
from tests.site.test_evidence_links import evidence_site  # noqa: F401 (the fixture)


@pytest.fixture(scope="module")
def server(evidence_site) -> Iterator[str]:  # type: ignore[no-untyped-def]  # noqa: F811
    _client, _shas, w = evidence_site
    with serving(create_app(w.ledger, api_settings=ApiSettings())) as url:
        yield url


def test_the_check_tool_says_match_and_mismatch(server: str, evidence_site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _client, shas, _w = evidence_site
    right = tmp_path / "invoice.pdf"
    right.write_bytes(pdf_bytes("invoice 42"))
    wrong = tmp_path / "other.pdf"
    wrong.write_bytes(pdf_bytes("invoice 43"))
    with chromium(server) as browser:
        page = browser.new_page()
        posts: list[str] = []
        page.on("request", lambda r: posts.append(r.url) if r.method != "GET" else None)
        page.goto(f"{server}/ledger/{shas['pay_seq']}?lang=en")
        item = page.locator(f'.evidence[data-evidence="{shas["public"]}"]')
        item.locator("input[type=file]").set_input_files(str(right))
        result = item.locator(".evidence-result")
        result.filter(has_text="Match").wait_for(timeout=10_000)
        assert result.text_content() == "Match: this file is the one the ledger names."
        item.locator("input[type=file]").set_input_files(str(wrong))
        result.filter(has_text="No match").wait_for(timeout=10_000)
        text = result.text_content() or ""
        assert "No match" in text and hashlib.sha256(wrong.read_bytes()).hexdigest() in text
        assert posts == []  # nothing uploaded
        # the link answers the file (whether Chromium's PDF viewer renders it under the CSP is not checked here)
        response = page.goto(f"{server}/evidence/{shas['public']}")
        assert response is not None and response.status == 200
        assert response.headers["content-type"] == "application/pdf"


def test_files_are_checked_in_the_browser_shown_as_thumbnails_and_open_in_a_viewer(server: str, evidence_site) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _client, shas, w = evidence_site
    with chromium(server) as browser:
        page = browser.new_page(locale="en-GB")
        page.goto(f"{server}/projects/{w.PUB}?lang=en")
        # the invoice (PDF) and the progress report's photo: fetched, hashed, compared
        for sha in (shas["public"], shas["photo"]):
            auto = page.locator(f'output[data-auto-check="{sha}"]')
            page.locator(f'.evidence[data-evidence="{sha}"]').first.scroll_into_view_if_needed()
            auto.filter(has_text="checked in your browser").wait_for(timeout=10_000)
            assert "evidence-match" in (auto.get_attribute("class") or "")
            assert auto.text_content() == "✓ checked in your browser: the file hashes to the SHA-256 the entry names"
        # restricted: held for overseers, with its hash, never fetched
        restricted = page.locator(f'.evidence[data-evidence="{shas["restricted"]}"]').first
        assert "restricted: held for overseers" in restricted.inner_text()
        assert restricted.locator("code.hash").get_attribute("title") == shas["restricted"]
        assert restricted.locator("output[data-auto-check]").count() == 0
        # the photo is a thumbnail that loads, and opens large in the viewer
        thumb = page.locator(f'.evidence[data-evidence="{shas["photo"]}"] a.evidence-thumb img')
        thumb.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
        # a PDF: its first page as a picture, linking to the file itself (not the photo viewer)
        pdf_thumb = page.locator(f'.evidence[data-evidence="{shas["public"]}"] a.evidence-pdf img')
        assert pdf_thumb.get_attribute("src") == f"/evidence/{shas['public']}/thumbnail.png"
        pdf_thumb.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=pdf_thumb.element_handle())
        assert page.locator(f'.evidence[data-evidence="{shas["public"]}"] a[data-viewer]').count() == 0
        thumb.click()
        viewer = page.locator("#evidence-viewer")
        assert viewer.is_visible()
        assert page.locator("#evidence-viewer-hash").text_content() == shas["photo"]
        assert page.locator("#evidence-viewer-img").get_attribute("src") == f"/evidence/{shas['photo']}"
        page.keyboard.press("Escape")
        assert not viewer.is_visible()
        # on the entry page the hash is also found in the signed entry's own bytes
        page.goto(f"{server}/ledger/{shas['pay_seq']}?lang=en")
        auto = page.locator(f'output[data-auto-check="{shas["public"]}"]')
        page.locator(f'.evidence[data-evidence="{shas["public"]}"]').scroll_into_view_if_needed()
        auto.filter(has_text="checked in your browser").wait_for(timeout=10_000)
        assert auto.text_content() == "✓ checked in your browser: the file hashes to a SHA-256 the signed entry names"


def test_a_file_that_does_not_hash_to_its_name_is_shown_as_such(server: str, evidence_site) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _client, shas, w = evidence_site
    with chromium(server) as browser:
        page = browser.new_page(locale="en-GB")
        page.route(
            f"{server}/evidence/{shas['public']}",
            lambda route: route.fulfill(status=200, body=pdf_bytes("a forged invoice"), content_type="application/pdf"),
        )
        page.goto(f"{server}/projects/{w.PUB}?lang=en")
        auto = page.locator(f'output[data-auto-check="{shas["public"]}"]')
        page.locator(f'.evidence[data-evidence="{shas["public"]}"]').first.scroll_into_view_if_needed()
        auto.filter(has_text="NOT").wait_for(timeout=10_000)
        assert "evidence-mismatch" in (auto.get_attribute("class") or "")
        photo = page.locator(f'output[data-auto-check="{shas["photo"]}"]')
        page.locator(f'.evidence[data-evidence="{shas["photo"]}"]').first.scroll_into_view_if_needed()
        photo.filter(has_text="checked in your browser").wait_for(timeout=10_000)
