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
