"""Money on a phone, in real headless Chromium at 360 and 390 px: on every page that carries
money, each element marked ``money`` lies inside the viewport, the document does not scroll
sideways, tables of money are cards with the amount first, and the fund-flow diagram turns into
stages top to bottom with its table shown. Screenshots are written and read back (their width
is the phone's)."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import pytest

from tests.domain import helpers as H
from tests.site.browsing import SHOTS, chromium, serving, watched_page

pytestmark = pytest.mark.browser

PUB = H.World.PUB
WIDTHS = (360, 390)
# every money element that has a box: where it is, and the document's width
MEASURE = """() => {
  const w = document.documentElement.clientWidth;
  const boxes = [];
  for (const el of document.querySelectorAll('.money')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;  // not rendered (closed details, desktop-only)
    boxes.push({text: el.textContent.trim().slice(0, 40), left: r.left, right: r.right, id: el.closest('[id]')?.id});
  }
  return {width: w, scroll: document.documentElement.scrollWidth, boxes};
}"""


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


def png_size(path: Any) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def check_phone(page: Any, name: str, min_boxes: int) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 780})
        page.wait_for_timeout(50)
        got = page.evaluate(MEASURE)
        assert got["scroll"] <= width, f"{name} scrolls sideways at {width} px ({got['scroll']})"
        assert len(got["boxes"]) >= min_boxes, (name, width, got["boxes"])
        outside = [b for b in got["boxes"] if b["left"] < 0 or b["right"] > got["width"] + 0.5]
        assert not outside, f"{name} at {width} px: money outside the screen: {outside}"
        SHOTS.mkdir(parents=True, exist_ok=True)
        shot = SHOTS / f"phone-{name}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert png_size(shot)[0] == width  # nothing wider than the phone was drawn
    page.watch.check()


def test_project_page_on_a_phone(page, server):
    page.goto(f"{server}/projects/{PUB}")
    check_phone(page, "project", min_boxes=20)
    # payments are cards: the amount is the first thing in each card
    first = page.evaluate(
        """() => [...document.querySelectorAll('#disbursements tbody tr')].map(tr => {
             const cells = [...tr.children].filter(c => c.getBoundingClientRect().height > 0);
             cells.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
             return cells[0].classList.contains('money');
           })"""
    )
    assert first and all(first)
    assert page.locator("#disbursements thead").bounding_box()["width"] <= 1  # visually hidden
    # the diagram: stages top to bottom instead of the wide SVG, every stage with its amounts
    assert not page.locator(".flow-wrap").is_visible() and page.locator("#flow-stages").is_visible()
    stages = page.locator(".flow-stage")
    assert stages.count() == 5
    tops = [stages.nth(i).bounding_box()["y"] for i in range(5)]
    assert tops == sorted(tops)
    payees = page.locator('.flow-stage[data-column="4"] .flow-bar')
    assert payees.filter(has_text="福田区长者饭堂").locator(".money").inner_text() == "¥24,000.00"
    assert page.locator("#flow-table").is_visible()
    # on a desktop the SVG is back, and its labels are whole
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.locator(".flow-wrap").is_visible() and not page.locator("#flow-stages").is_visible()
    labels = page.evaluate(
        """() => [...document.querySelectorAll('#flow .flow-node')].map(g => ({
             text: [...g.querySelectorAll('.flow-label tspan')].map(t => t.textContent).join(''),
             title: g.querySelector('title').textContent,
             column: +g.dataset.column,
             next: Math.min(...[...document.querySelectorAll(`#flow .flow-node[data-column="${+g.dataset.column + 1}"] rect`)]
                              .map(r => r.x.baseVal.value), Infinity),
             box: (b => ({x: b.x, width: b.width}))(g.querySelector('.flow-label').getBBox())}))"""
    )
    view = page.evaluate("() => document.getElementById('flow').viewBox.baseVal.width")
    for label in labels:
        # the lines joined are the name (the spaces they broke at aside), whole or cut with "…"
        assert label["title"].replace(" ", "").startswith(label["text"].replace("…", "").replace(" ", "")), label
        right = label["box"]["x"] + label["box"]["width"]
        assert label["box"]["x"] >= 0 and right <= view, label
        # nor does a label run into the next column's boxes
        assert label["next"] is None or right <= label["next"], label


def test_ledger_and_organisation_on_a_phone(page, server):
    page.goto(f"{server}/ledger?type=donation.received")
    check_phone(page, "ledger", min_boxes=5)
    page.goto(f"{server}/organisations/{H.FOUNDATION}")
    check_phone(page, "organisation", min_boxes=3)
    page.goto(f"{server}/organisations/{H.SERVICE_ORG_2}")
    page.locator("#monthly + details summary").click()
    check_phone(page, "organisation-monthly", min_boxes=3)


def test_donor_trace_on_a_phone(page, server, site_world):
    page.goto(f"{server}/verify")
    page.get_by_label("收据码").fill(site_world.receipt_code)
    page.get_by_role("button", name="查询").click()
    page.wait_for_selector("#check-result[data-state]", timeout=15_000)
    check_phone(page, "verify-trace", min_boxes=5)
    assert page.locator("#trace-payments .money").count() >= 1
