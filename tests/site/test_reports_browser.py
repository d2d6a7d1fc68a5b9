"""/reports in real Chromium on the demo registry: a report's file downloads from the API and
the browser checks its SHA-256 against the one in the report.issued entry's own leaf bytes;
a file changed on disk (the API refuses it) and entry bytes that are not the entry's are shown
as failures, never as a match."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.cli.app import create_app
from ledger.services.demo import load_demo
from tests.site.browsing import chromium, serving, shoot, watched_page
from tests.support.ledger_factory import LedgerFactory

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> LedgerFactory:
    factory = LedgerFactory(Path(tmp_path_factory.mktemp("reports-browser")) / "home")
    load_demo(factory.ledger, "small")
    return factory


@pytest.fixture(scope="module")
def server(demo: LedgerFactory) -> Iterator[str]:
    with serving(create_app(demo.ledger, settings=demo.settings)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    with chromium(server) as b:
        yield b


def check_first_file(page: Any) -> Any:
    page.locator("#reports button.report-check").first.click()
    result = page.locator("#reports .report-result").first
    page.wait_for_function(
        "() => ['match', 'mismatch', 'unavailable'].includes(document.querySelector('#reports .report-result').dataset.state)",
        timeout=15_000,
    )
    return result


def test_a_report_file_is_checked_in_the_browser(browser: Any, server: str, demo: LedgerFactory) -> None:
    with watched_page(browser, server) as page:
        page.goto(f"{server}/reports?lang=en")
        link = page.locator("#reports a[data-name='demo-summary.json']")
        assert link.get_attribute("href").startswith("/api/v1/reports/")
        result = check_first_file(page)
        assert result.get_attribute("data-state") == "match", result.inner_text()
        assert "Match" in result.inner_text()
        save = page.locator("#reports a.report-save")
        assert save.get_attribute("download") == "demo-summary.json"
        page.watch.check()
        shoot(page, "reports-checked")

    # the entry bytes on the page are not the entry's: nothing is checked
    with watched_page(browser, server) as page:
        page.goto(f"{server}/reports?lang=en")
        page.evaluate(
            "() => { const tr = document.querySelector('#reports tr[data-leaf]');"
            " tr.dataset.leaf = btoa(atob(tr.dataset.leaf).replace('demo-summary', 'demo-summarx')); }"
        )
        result = check_first_file(page)
        assert result.get_attribute("data-state") == "mismatch"
        assert "do not hash to the entry id" in result.inner_text()

    # the file changed on disk: the API refuses it and the page says the download failed
    path = demo.settings.published_report_dir("demo-summary", "demo-summary") / "demo-summary.json"
    original = path.read_bytes()
    path.write_bytes(original.replace(b"{", b"{ ", 1))
    try:
        with watched_page(browser, server) as page:
            page.goto(f"{server}/reports?lang=en")
            result = check_first_file(page)
            assert result.get_attribute("data-state") == "mismatch"
            assert "could not be downloaded (503)" in result.inner_text()
            page.watch.check(allow_status=(503,))
    finally:
        path.write_bytes(original)
