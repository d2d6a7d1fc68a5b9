"""Accessibility of the site and the workbench, checked by axe-core in Chromium: no serious or
critical finding on the main pages, in Chinese and in English, at desktop and phone widths."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.domain import helpers as H
from tests.site.accessibility import serious_findings
from tests.site.browsing import PHONE, chromium, serving, watched_page
from tests.site.world import SiteWorld

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(site_app: Any) -> Iterator[str]:
    with serving(site_app) as url:
        yield url


def _pages(world: SiteWorld) -> list[str]:
    pay = world.ledger.log.seq_of(world.ids["pay1"])
    return [
        "/",
        "/projects",
        "/projects/P-ELDER-2026",
        "/organisations",
        f"/organisations/{H.FOUNDATION}",
        "/ledger",
        f"/ledger/{pay}",
        "/verify",
        "/checkpoints",
        "/how-to-verify",
        "/reports",
        "/workbench/sign-in",
        "/workbench/invitation",
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_serious_accessibility_finding(server: str, site_world: SiteWorld, lang: str) -> None:
    found: dict[str, list[str]] = {}
    with chromium(server) as browser:
        for size in (None, PHONE):
            # bypass_csp: to inject axe (the pages' own CSP is tested elsewhere)
            with watched_page(browser, server, bypass_csp=True) as page:
                if size:
                    page.set_viewport_size(size)
                for path in _pages(site_world):
                    page.goto(f"{server}{path}{'&' if '?' in path else '?'}lang={lang}")
                    page.wait_for_load_state("load")
                    findings = serious_findings(page)
                    if findings:
                        found[f"{path} {size or 'desktop'}"] = findings
    assert not found, found


def test_a_receipt_lookup_result_is_accessible(server: str, site_world: SiteWorld) -> None:
    with chromium(server) as browser, watched_page(browser, server, bypass_csp=True) as page:
        page.goto(f"{server}/verify")
        page.get_by_label("收据码").fill(site_world.receipt_code)
        page.get_by_role("button", name="查询").click()
        page.wait_for_selector("#check-result[data-state]", timeout=15_000)
        assert serious_findings(page) == []


def test_a_refused_receipt_code_is_accessible(server: str, site_world: SiteWorld) -> None:
    """The refusal on the form (message in both languages, its code) passes axe too."""
    with chromium(server) as browser, watched_page(browser, server, bypass_csp=True) as page:
        page.goto(f"{server}/verify")
        page.get_by_label("收据码").fill("D1-NOT-A-CODE")
        page.get_by_role("button", name="查询").click()
        error = page.wait_for_selector("#code-error", timeout=15_000)
        text = error.inner_text()
        assert "不是有效的捐赠查询码" in text and "is not a receipt code" in text and "receipt_code_invalid" in text
        assert serious_findings(page) == []
