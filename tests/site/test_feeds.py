"""Feeds and sharing: valid Atom (parsed with a real XML parser) for the log, a project and an
organisation; the sitemap and robots.txt; a description and Open Graph data per page; share
links with QR codes that encode exactly the page's address; the first visit's language from
Accept-Language; status colours; Swagger UI from the app itself."""

from __future__ import annotations

import io
import re
from datetime import datetime
from xml.etree import ElementTree

import segno
from litestar.testing import TestClient

from public_site.feeds import atom_feed
from tests.domain import helpers as H
from tests.site.world import SiteWorld

A = "{http://www.w3.org/2005/Atom}"
BASE = "http://testserver.local"


def rfc3339(text: str | None) -> datetime:
    assert text and text.endswith("Z"), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_feed(client: TestClient, url: str) -> ElementTree.Element:
    r = client.get(url)
    assert r.status_code == 200, url
    assert r.headers["content-type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(r.content)
    assert root.tag == f"{A}feed"
    assert root.findtext(f"{A}id") == BASE + url.split("?")[0]
    links = {(link.get("rel"), link.get("href")) for link in root.findall(f"{A}link")}
    assert ("self", BASE + url.split("?")[0]) in links
    assert root.find(f"{A}author/{A}name") is not None
    updated = rfc3339(root.findtext(f"{A}updated"))
    entries = root.findall(f"{A}entry")
    ids = [e.findtext(f"{A}id") for e in entries]
    assert len(ids) == len(set(ids))
    for e in entries:
        assert e.findtext(f"{A}title") and e.findtext(f"{A}summary")
        assert rfc3339(e.findtext(f"{A}updated")) <= updated
        link = e.find(f"{A}link")
        assert link is not None and link.get("rel") == "alternate" and link.get("href") == e.findtext(f"{A}id")
    if entries:
        assert updated == max(rfc3339(e.findtext(f"{A}updated")) for e in entries)
    return root


def entry_seqs(root: ElementTree.Element) -> list[int]:
    return [int(str(e.findtext(f"{A}id")).rsplit("/", 1)[1]) for e in root.findall(f"{A}entry")]


def test_the_log_feed_lists_the_newest_entries(client: TestClient, site_world: SiteWorld) -> None:
    root = parse_feed(client, "/feed.atom?lang=en")
    seqs = entry_seqs(root)
    size = site_world.ledger.log.head().size
    assert seqs == list(range(size - 1, size - 1 - len(seqs), -1)) and 0 < len(seqs) <= 50
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    for seq in seqs[:3]:  # every entry links a page that exists
        assert client.get(f"/ledger/{seq}").status_code == 200
    chinese = parse_feed(client, "/feed.atom?lang=zh-CN")
    assert "慈善透明账本" in str(chinese.findtext(f"{A}title"))


def test_project_and_organisation_feeds(client: TestClient, site_world: SiteWorld) -> None:
    pub = site_world.world.PUB
    project = parse_feed(client, f"/projects/{pub}/feed.atom?lang=en")
    assert project.findtext(f"{A}title") == "Meals for the elderly"
    seqs = entry_seqs(project)
    assert seqs and seqs == sorted(seqs, reverse=True)
    for seq in seqs[:5]:
        assert f"/projects/{pub}" in client.get(f"/ledger/{seq}").text
    org = parse_feed(client, f"/organisations/{H.FOUNDATION}/feed.atom")
    assert entry_seqs(org)
    assert client.get("/projects/NO-SUCH/feed.atom").status_code == 404
    missing = client.get("/organisations/91440300MA5F99999X/feed.atom")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    # the pages announce their feeds
    assert f'href="/projects/{pub}/feed.atom"' in client.get(f"/projects/{pub}").text
    assert f'href="/organisations/{H.FOUNDATION}/feed.atom"' in client.get(f"/organisations/{H.FOUNDATION}").text


def test_atom_escapes_text_and_drops_what_xml_cannot_hold() -> None:
    body = atom_feed(
        feed_url="https://x.example/feed.atom",
        page_url="https://x.example/",
        title='A&B <script>alert("1")</script>\x01',
        subtitle="s",
        author="慈善",
        lang="zh-CN",
        entries=[
            {
                "id": "https://x.example/ledger/1",
                "title": "</title>",
                "updated": "2026-01-01T00:00:00Z",
                "summary": "]]>",
                "author": "a",
            }
        ],
        fallback_updated="2026-01-01T00:00:00Z",
    )
    root = ElementTree.fromstring(body)
    assert root.findtext(f"{A}title") == 'A&B <script>alert("1")</script>'
    assert root.findtext(f"{A}entry/{A}title") == "</title>"
    assert root.findtext(f"{A}entry/{A}summary") == "]]>"


def test_sitemap_and_robots(client: TestClient, site_world: SiteWorld) -> None:
    robots = client.get("/robots.txt")
    assert robots.status_code == 200 and f"Sitemap: {BASE}/sitemap.xml" in robots.text
    assert "Disallow: /workbench/" in robots.text
    r = client.get("/sitemap.xml")
    root = ElementTree.fromstring(r.content)
    sm = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    locs = [u.findtext(f"{sm}loc") for u in root.findall(f"{sm}url")]
    assert f"{BASE}/" in locs and f"{BASE}/projects/{site_world.world.PUB}" in locs
    assert f"{BASE}/organisations/{H.FOUNDATION}" in locs
    assert len(locs) == len(set(locs))
    for loc in locs[:12]:
        assert client.get(str(loc)).status_code == 200, loc
    alternates = root.findall(f"{sm}url/{{http://www.w3.org/1999/xhtml}}link")
    assert {a.get("hreflang") for a in alternates} == {"zh-CN", "en"}


def meta(page: str, key: str) -> str:
    found = re.search(rf'<meta (?:name|property)="{re.escape(key)}" content="([^"]*)"', page)
    assert found, key
    return found.group(1)


def test_each_page_has_its_own_description_and_open_graph(client: TestClient, site_world: SiteWorld) -> None:
    pub = site_world.world.PUB
    pages = ["/", "/projects", f"/projects/{pub}", "/organisations", f"/organisations/{H.FOUNDATION}", "/ledger"]
    pages += ["/ledger/3", "/checkpoints", "/reports", "/verify", "/how-to-verify"]
    descriptions = {}
    for path in pages:
        page = client.get(path + "?lang=en").text
        descriptions[path] = meta(page, "description")
        assert meta(page, "og:description") == descriptions[path]
        assert meta(page, "og:url") == BASE + path
        assert meta(page, "og:locale") == "en_US" and meta(page, "og:type") == "website"
        assert meta(page, "og:title")
    assert len(set(descriptions.values())) == len(pages), descriptions
    assert "Meals for the elderly" in descriptions[f"/projects/{pub}"]


def qr_of(url: str, title: str) -> bytes:
    """The SVG segno draws for ``url`` with the site's settings."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out, kind="svg", scale=4, border=4, dark="#000", light="#fff", title=title, svgclass="qr", lineclass=None
    )
    return out.getvalue()


def test_share_links_and_qr_codes(client: TestClient, site_world: SiteWorld) -> None:
    pub = site_world.world.PUB
    page = client.get(f"/projects/{pub}").text
    assert f'value="{BASE}/projects/{pub}"' in page and f'src="/projects/{pub}/qr.svg"' in page
    qr = client.get(f"/projects/{pub}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    ElementTree.fromstring(qr.content)
    # the code encodes the project's address, nothing else
    assert qr.content == qr_of(f"{BASE}/projects/{pub}", pub)
    # a verification result shares the donation's entry page, never the receipt code
    result = client.post("/verify", data={"code": site_world.receipt_code}).text
    share = re.search(r'<section aria-labelledby="share-h".*?</section>', result, re.S)
    assert share and f"/ledger/{site_world.receipt_seq}/qr.svg" in share.group(0)
    assert site_world.receipt_code not in share.group(0)
    entry_qr = client.get(f"/ledger/{site_world.receipt_seq}/qr.svg")
    assert entry_qr.content == qr_of(f"{BASE}/ledger/{site_world.receipt_seq}", f"#{site_world.receipt_seq}")
    assert client.get("/ledger/999999/qr.svg").status_code == 404
    assert client.get("/projects/NO-SUCH/qr.svg").status_code == 404


def test_the_first_visit_follows_accept_language(client: TestClient) -> None:
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"})
    assert english.headers["content-language"] == "en" and '<html lang="en">' in english.text
    assert "Accept-Language" in english.headers["vary"] and "set-cookie" not in english.headers
    chinese = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert chinese.headers["content-language"] == "zh-CN"
    other = client.get("/", headers={"Accept-Language": "fr-FR,de;q=0.5"})
    assert other.headers["content-language"] == "zh-CN"  # neither: Chinese, the default
    client.cookies.set("lang", "zh-CN")  # a choice made before wins over the header
    assert client.get("/", headers={"Accept-Language": "en"}).headers["content-language"] == "zh-CN"
    assert client.get("/?lang=en", headers={"Accept-Language": "zh"}).headers["content-language"] == "en"


def test_running_projects_are_not_shown_in_the_bad_colour(client: TestClient, site_world: SiteWorld) -> None:
    page = client.get(f"/projects/{site_world.world.PUB}").text
    assert 'class="tag project-open"' in page and "status-open" not in page
    css = client.get("/static/site.css").text
    rules = {m.group(1).strip(): m.group(2) for m in re.finditer(r"([^{}]+)\{([^}]*)\}", css)}
    open_rule = next(body for sel, body in rules.items() if ".project-open" in sel.split(","))
    assert "--ok" in open_rule and "--bad" not in open_rule
    assert not any(".project-open" in sel or ".status-open" in sel for sel, body in rules.items() if "--bad" in body)
