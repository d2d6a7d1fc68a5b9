"""The site in real headless Chromium (Debian's, driven by Playwright's Python package), served
by uvicorn on a free 127.0.0.1 port: in-browser verification passes for a real receipt code
and fails visibly for a tampered proof, says so plainly where WebCrypto is missing, language
switch, filters, no failed requests; screenshots at desktop and phone widths."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.site.browsing import DESKTOP, INSECURE_HOST, PHONE, chromium, serving, shoot, watched_page

pytestmark = pytest.mark.browser


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


def lookup(page: Any, server: str, code: str) -> None:
    page.goto(f"{server}/verify")
    page.get_by_label("收据码").fill(code)
    page.get_by_role("button", name="查询").click()
    page.wait_for_selector("#check-result[data-state]", timeout=15_000)


def test_verify_passes_for_a_real_receipt_code(page, server, site_world):
    lookup(page, server, site_world.receipt_code)
    result = page.locator("#check-result")
    assert result.get_attribute("data-state") == "pass", page.locator("#check-list").inner_text()
    assert "验证通过" in result.inner_text()
    items = page.locator("#check-list li")
    # leaf hash, key id, entry signature, inclusion proof, checkpoint, log signature, witness,
    # the site's figures against the signed entry
    assert items.count() == 8
    assert page.locator("#check-list li.ok").count() == 8
    witnessed = page.locator("#witness-result")
    assert witnessed.get_attribute("data-state") == "witnessed" and "1 个见证方中有 1 个" in witnessed.inner_text()
    assert page.locator("#check-list li").filter(has_text="witness.example/w1").count() == 1
    assert page.locator("#check-list li.bad").count() == 0
    assert page.locator("#don-amount").inner_text().strip() == "¥1,234.50"
    page.watch.check()
    shoot(page, "verify-pass")


def test_verify_fails_visibly_for_a_tampered_proof(page, server, site_world):
    def tamper(route: Any) -> None:
        response = route.fetch()
        body = response.text()
        proof = re.search(r'"proof": \["([0-9a-f]{64})"', body)
        assert proof, "no proof in the page"
        h = proof.group(1)
        bad = ("0" if h[0] != "0" else "1") + h[1:]
        route.fulfill(response=response, body=body.replace(h, bad))

    page.route(f"{server}/verify", lambda route: tamper(route) if route.request.method == "POST" else route.continue_())
    lookup(page, server, site_world.receipt_code)
    result = page.locator("#check-result")
    assert result.get_attribute("data-state") == "fail"
    assert "验证失败" in result.inner_text()
    bad = page.locator("#check-list li.bad")
    assert bad.count() == 1 and "包含证明" in bad.inner_text()
    assert page.locator("#check-result.fail").is_visible()
    page.watch.check()
    shoot(page, "verify-tampered")


def test_verify_says_plainly_when_webcrypto_is_missing(browser, site_world):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")  # Accept-Language picks the page language
    pg = context.new_page()
    insecure = f"http://{INSECURE_HOST}:{browser.site_port}"
    pg.goto(f"{insecure}/verify")
    assert pg.evaluate("window.isSecureContext") is False
    pg.get_by_label("收据码").fill(site_world.receipt_code)
    pg.get_by_role("button", name="查询").click()
    pg.wait_for_selector("#check-result[data-state]")
    result = pg.locator("#check-result")
    assert result.get_attribute("data-state") == "unavailable"
    assert "https" in result.inner_text() and "WebCrypto" in result.inner_text()
    context.close()


def test_entry_page_checks_in_the_browser(page, server, site_world):
    seq = site_world.ledger.log.seq_of(site_world.ids["pay1"])
    page.goto(f"{server}/ledger/{seq}")
    page.wait_for_selector("#check-result[data-state]")
    assert page.locator("#check-result").get_attribute("data-state") == "pass"
    page.watch.check()
    shoot(page, "entry")


def test_language_switch_on_every_page(page, server):
    page.goto(server + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("heading", level=1).inner_text() == "善款从哪里来，到哪里去"
    shoot(page, "home-zh")
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Where charity money comes from, and where it goes"
    shoot(page, "home-en")
    # the choice sticks (cookie) as one moves on, and can be switched back anywhere
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects").click()
    page.wait_for_load_state()
    assert (
        page.locator("html").get_attribute("lang") == "en"
        and "projects found" in page.locator("#result-count").inner_text()
    )
    page.get_by_role("link", name="中文").click()
    page.wait_for_load_state()
    assert (
        page.locator("html").get_attribute("lang") == "zh-CN" and "找到" in page.locator("#result-count").inner_text()
    )
    page.watch.check()


def test_project_filters(page, server):
    page.goto(server + "/projects")
    rows = page.locator("#projects-table tbody tr[data-project]")
    assert rows.count() == 20
    page.get_by_label("领域").select_option("education")
    page.get_by_role("button", name="显示").click()
    page.wait_for_load_state()
    assert "field=education" in page.url
    assert rows.count() == 4
    assert all(t == "教育" for t in rows.locator("td:nth-child(3)").all_inner_texts())
    page.get_by_label("募捐方式").select_option("no")
    page.get_by_label("领域").select_option("")
    page.get_by_role("button", name="显示").click()
    page.wait_for_load_state()
    assert rows.count() == 1 and rows.first.get_attribute("data-project") == "P-ELDER-2026"
    page.get_by_label("搜索").fill("定向项目07")
    page.get_by_label("募捐方式").select_option("")
    page.get_by_role("button", name="显示").click()
    page.wait_for_load_state()
    assert [rows.nth(i).get_attribute("data-project") for i in range(rows.count())] == ["P-D-07"]
    page.goto(server + "/projects")
    page.get_by_role("link", name=re.compile("下一页")).click()
    page.wait_for_load_state()
    assert rows.count() == 2
    page.watch.check()
    page.goto(server + "/projects")
    shoot(page, "projects")


def test_project_page_and_fund_flow(page, server):
    page.goto(server + "/projects/P-ELDER-2026")
    assert page.locator("#fig-raised").inner_text().strip() == "¥79,734.17"
    flow = page.locator("svg#flow")
    assert flow.locator(".flow-link").count() > 10
    # keyboard: nodes are focusable and highlight their flows
    page.locator('.flow-node[data-node="project"]').focus()
    assert "focused" in (flow.get_attribute("class") or "")
    assert page.locator(".flow-link.on").count() == flow.locator(".flow-link").count()
    page.keyboard.press("Enter")
    page.locator('.flow-node[data-node="cat:admin"]').click()
    on = page.locator(".flow-link.on").count()
    assert 0 < on < flow.locator(".flow-link").count()
    page.keyboard.press("Escape")
    page.watch.check()
    shoot(page, "project")


def test_other_pages_render_without_failed_requests(page, server, site_world):
    from tests.domain import helpers as H

    for path, name in (
        (f"/organisations/{H.FOUNDATION}", "organisation"),
        (f"/overseers/{H.OVERSIGHT}", "overseer"),
        ("/ledger", "ledger"),
        ("/checkpoints", "checkpoints"),
        ("/how-to-verify", "how-to-verify"),
        ("/reports", "reports"),
    ):
        page.goto(server + path)
        assert page.locator("h1").count() == 1
        shoot(page, name)
    page.goto(server + "/projects/NOPE")
    assert page.locator("h1").inner_text() == "未找到"
    page.watch.check(allow_status=(404,))


def test_pages_read_without_javascript(browser, server):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    pg = context.new_page()
    pg.goto(server + "/projects/P-ELDER-2026")
    assert pg.locator("#fig-raised").inner_text().strip() == "¥79,734.17"
    assert pg.locator("svg#flow .flow-link").count() > 10
    pg.goto(server + "/verify")
    assert pg.locator("form#verify-form").is_visible()
    context.close()
