"""Every link of every page, in Chinese and in English, from the home page of the demo registry
(``ledger.services.demo``, small) served by the product's app (``ledger.cli.app.create_app``):
no page answers 5xx, no internal link (pages, assets, feeds, exports, evidence, API and tile
addresses) is broken, and every error a visitor can reach outside ``/api/`` is the site's HTML page.

Entry pages (``/ledger/{seq}``) are one template per entry type; there are thousands. Each linked
one is checked to be in the log (the page's own 404 rule: a seq below the chain's size), and
the pages of the first, the last and one entry of every type are fetched and followed like any
other page, so the crawl covers every shape of page in a few seconds.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit
from xml.etree import ElementTree

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import func, select

from ledger.cli.app import create_app
from ledger.domain.rows import EntryRow
from ledger.services.demo import REGISTRAR, load_demo
from ledger.store.db import read_transaction
from ledger.store.projection_tables import table_for
from tests.support.ledger_factory import LedgerFactory

ORIGIN = "http://testserver.local"
ENTRY = re.compile(r"^/ledger/(\d+)$")
HTML = "text/html"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Litestar, LedgerFactory]]:
    factory = LedgerFactory(Path(tmp_path_factory.mktemp("crawl")) / "home")
    load_demo(factory.ledger, "small")
    yield create_app(factory.ledger, settings=factory.settings), factory


CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# text that is code or data as signed (JSON, leaf bytes), a drawing (phones' fund-flow SVG), or
# a control whose content cannot carry markup
NOT_PROSE = {"pre", "code", "script", "svg", "option"}
# English labels that name the Chinese legal term on purpose, e.g. "Raises the money (募集)"
GLOSSED = re.compile(r"^[\x00-\x7f]*\((募集|使用|监督|定向)\)[\x00-\x7f]*$")


class Links(HTMLParser):
    """The addresses a page names, and its Chinese text not marked ``lang="zh-CN"``."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.stack: list[tuple[str, str | None]] = []
        self.unmarked: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        posts = tag == "form" and (dict(attrs).get("method") or "get").lower() == "post"
        for name, value in attrs:  # a form that posts is not a link (the POST tests cover it)
            if name in ("href", "src", "action") and value and not (posts and name == "action"):
                self.found.append(value)
        if tag not in VOID:
            self.stack.append((tag, dict(attrs).get("lang")))

    def handle_endtag(self, tag: str) -> None:
        while tag not in VOID and self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not CJK.search(data) or GLOSSED.match(data) or any(tag in NOT_PROSE for tag, _ in self.stack):
            return
        langs = [lang for _, lang in self.stack if lang]
        if not langs or not langs[-1].startswith("zh"):
            self.unmarked.append(data.strip()[:60])


def links_of(content_type: str, text: str, unmarked: list[str] | None = None) -> list[str]:
    """The addresses a page, feed or sitemap names; an English page's Chinese text outside a
    ``lang="zh-CN"`` element goes to ``unmarked``."""
    if content_type.startswith(HTML):
        parser = Links()
        parser.feed(text)
        if unmarked is not None and 'lang="en"' in text[:200]:
            unmarked.extend(parser.unmarked)
        return parser.found
    if content_type.split(";")[0].strip().endswith(("/xml", "+xml")):  # feeds, sitemap, SVG (not an XLSX)
        root = ElementTree.fromstring(text.encode())
        return [
            *(e.get("href") or "" for e in root.iter() if e.tag.endswith("}link")),
            *(e.text or "" for e in root.iter() if e.tag.endswith("}loc")),
        ]
    if content_type.startswith("text/plain") and "Sitemap:" in text:  # robots.txt
        return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Sitemap:")]
    return []


def local(base: str, href: str) -> str | None:
    """The site address ``href`` names from ``base`` (``lang`` dropped: one crawl per language),
    None for another host, a fragment or a ``mailto:``."""
    if href.startswith(("#", "mailto:", "javascript:", "data:")):
        return None
    parts = urlsplit(urljoin(ORIGIN + base, href))
    if parts.netloc not in ("testserver.local", "testserver"):
        return None
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"])
    return parts.path + ("?" + query if query else "")


def crawl(app: Litestar, lang: str, size: int, entry_types: dict[int, str]) -> dict[str, Any]:
    """Follow every link from the home page in ``lang``; returns what was seen."""
    fetched: dict[str, int] = {}
    broken: list[str] = []
    entries_linked: set[int] = set()
    follow = {0, size - 1, *entry_types}
    shapes: Counter[str] = Counter()
    unmarked: list[str] = []
    todo: list[tuple[str, str]] = [("/", "(start)")]
    with TestClient(app, base_url=ORIGIN) as client:
        client.get("/?lang=" + lang)  # the language cookie
        while todo:
            url, source = todo.pop()
            if url in fetched:
                continue
            m = ENTRY.match(url)
            if m and int(m.group(1)) not in follow:
                entries_linked.add(int(m.group(1)))
                if int(m.group(1)) >= size:
                    broken.append(f"{url} (linked from {source}): no such entry")
                continue
            response = client.get(url)
            fetched[url] = response.status_code
            content_type = response.headers.get("content-type", "")
            shapes[re.sub(r"\d+|[0-9a-f]{64}", "N", url.split("?")[0])] += 1
            if response.status_code >= 400:
                broken.append(f"{url} (linked from {source}): {response.status_code}")
            if response.status_code >= 400 and not url.startswith("/api/"):
                assert content_type.startswith(HTML), (url, content_type)
            if response.status_code < 300 and url not in ("/schema",):
                page_unmarked: list[str] = []
                text = response.text if "octet" not in content_type else ""
                for href in links_of(content_type, text, page_unmarked):
                    target = local(url, href)
                    if target is not None and target not in fetched:
                        todo.append((target, url))
                unmarked.extend(f"{url}: {t}" for t in page_unmarked)
    return {"fetched": fetched, "broken": broken, "entries": entries_linked, "shapes": shapes, "unmarked": unmarked}


def _size_and_types(factory: LedgerFactory) -> tuple[int, dict[int, str]]:
    entry = table_for(EntryRow)
    with read_transaction(factory.ledger.engine) as conn:
        firsts = conn.execute(select(func.min(entry.c.seq), entry.c.type).group_by(entry.c.type)).all()
    return factory.ledger.log.head().size, {int(seq): type_ for seq, type_ in firsts}


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_link_of_every_page_answers(demo: tuple[Litestar, LedgerFactory], lang: str) -> None:
    app, factory = demo
    size, types = _size_and_types(factory)
    seen = crawl(app, lang, size, types)
    assert seen["broken"] == []
    # names and text entered in Chinese are marked as Chinese on English pages
    assert seen["unmarked"] == []
    assert not [u for u, status in seen["fetched"].items() if status >= 500]
    fetched = seen["fetched"]
    # the crawl reached every kind of page, the assets, the exports and the registrar's own page
    for wanted in (
        "/projects",
        "/organisations",
        f"/organisations/{REGISTRAR}",
        "/ledger",
        "/checkpoints",
        "/reports",
        "/verify",
        "/how-to-verify",
        "/verifier.html",
    ):
        assert fetched.get(wanted) == 200, wanted
    shapes = seen["shapes"]
    for shape in ("/projects/", "/static/", "/evidence/", "/overseers/", "/entries.csv", "/entries.json"):
        assert any(shape in s for s in shapes), shape
    assert all(fetched[f"/ledger/{seq}"] == 200 for seq in types)
    assert len(seen["entries"]) > size // 2  # the lists and pages link most entries


def test_the_registrar_page_shows_its_filings_to_reply_to(demo: tuple[Litestar, LedgerFactory]) -> None:
    """The registrar answers SEZ donation filings: their references (no "/" in them) are rows
    of its deadlines, not a 500."""
    app, _ = demo
    with TestClient(app, base_url=ORIGIN) as client:
        page = client.get(f"/organisations/{REGISTRAR}?lang=en")
    assert page.status_code == 200
    rows = re.findall(r'<tr data-rule="([a-z_]+)"[^>]*data-subject="([^"]+)"', page.text)
    filings = [subject for rule, subject in rows if "/" not in subject]
    assert filings, rows
    for subject in filings:
        assert f"<td>{subject}</td>" in page.text


def test_errors_off_the_api_are_the_site_page(demo: tuple[Litestar, LedgerFactory]) -> None:
    app, _ = demo
    with TestClient(app, base_url=ORIGIN) as client:
        for method, url, status in (
            ("GET", "/no/such/page", 404),
            ("GET", "/static/no-such.js", 404),
            ("GET", "/projects/NO-SUCH-PROJECT", 404),
            ("DELETE", "/projects", 405),
            ("POST", "/reports", 405),
            ("GET", "/ledger/99999999999999999999", 400),
            ("GET", "/ledger/999999", 404),
        ):
            r = client.request(method, url + "?lang=en")
            assert r.status_code == status, (method, url)
            assert r.headers["content-type"].startswith(HTML), (method, url)
            assert "<!doctype html>" in r.text and f"{status}" in r.text
        api = client.get("/api/v1/no-such")
        assert api.status_code == 404 and api.headers["content-type"].startswith("application/problem+json")


def test_a_bug_is_a_500_page_without_its_details(
    demo: tuple[Litestar, LedgerFactory], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.store.reads import timeline
    from public_site import queries

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("secret detail /srv/data/ledger.db")

    monkeypatch.setattr(queries, "reports", broken)
    monkeypatch.setattr(timeline, "feed_entries", broken)
    app, _ = demo
    with TestClient(app, base_url=ORIGIN, raise_server_exceptions=False) as client:
        for url in ("/reports?lang=en", "/feed.atom"):
            r = client.get(url)
            assert r.status_code == 500 and r.headers["content-type"].startswith(HTML), url
            assert "secret detail" not in r.text and "/srv/data" not in r.text and "Traceback" not in r.text
            assert "Something went wrong" in r.text or "出错" in r.text
