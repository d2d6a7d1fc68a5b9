"""Feeds and sharing: Atom feeds of the log (``/feed.atom``), of a project
(``/projects/{id}/feed.atom``) and of an organisation (``/organisations/{org}/feed.atom``, the
site's address of an organisation with ``/feed.atom``), ``/sitemap.xml``, ``/robots.txt``, and
QR codes (SVG, drawn by segno on the server) of a project's address and of an entry's address,
which is where anyone can check a donation in the browser.

Feeds are built with ElementTree (every text and attribute escaped by the serializer; characters
XML 1.0 cannot carry are dropped). An Atom entry is a log entry: its ``id`` and ``link`` are the
entry's page, ``updated`` its log time; the feed's ``updated`` is its newest entry's.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from xml.etree import ElementTree as ET

import segno
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath

from ledger.domain.rows import EntryRow
from ledger.errors import LedgerError
from ledger.protocol.grammar import pattern as grammar_pattern
from ledger.store import reads
from ledger.store.db import read_transaction
from ledger.store.reads import listing, timeline
from ledger.store.reads.listing import OrgName, ProjectTitle
from ledger.store.runtime import Ledger
from public_site.i18n import LANG_TAGS, Formatter, translations
from public_site.templating import PAGE_CACHE, VARY, Helpers, request_locale
from public_site.views import SeqPath, error_page

ATOM = "http://www.w3.org/2005/Atom"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML = "http://www.w3.org/1999/xhtml"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
FEED_SIZE = 50
_ORG = grammar_pattern("uscc")
_PROJECT = grammar_pattern("project")
# what XML 1.0 cannot hold (C0 controls but tab, newline, return; surrogates; U+FFFE/U+FFFF)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# pages of the site a search engine may list, besides each project and organisation
PAGES = ("/", "/projects", "/organisations", "/ledger", "/checkpoints", "/reports", "/verify", "/how-to-verify")


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _xml(root: ET.Element) -> bytes:
    """The document's bytes; elements are named without namespaces and the root declares them
    (``xmlns`` attributes), so the output has the usual unprefixed form."""
    text = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + text).encode()


def _text(value: Any) -> str:
    return _NOT_XML.sub("", str(value))


def _add(parent: ET.Element, tag: str, text: Any = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: _text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _text(text)
    return el


def atom_feed(
    *,
    feed_url: str,
    page_url: str,
    title: str,
    subtitle: str,
    author: str,
    lang: str,
    entries: Iterable[dict[str, Any]],
    fallback_updated: str,
) -> bytes:
    """An Atom document (RFC 4287). ``entries``: dicts with ``id`` (an absolute URL), ``title``,
    ``updated`` (RFC 3339), ``summary``, ``author``."""
    feed = ET.Element("feed", {"xmlns": ATOM, "xml:lang": lang})
    items = list(entries)
    _add(feed, "id", feed_url)
    _add(feed, "title", title)
    _add(feed, "subtitle", subtitle)
    _add(feed, "updated", items[0]["updated"] if items else fallback_updated)
    _add(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    _add(feed, "link", rel="alternate", type="text/html", href=page_url)
    _add(_add(feed, "author"), "name", author)
    _add(feed, "generator", "charity-ledger")
    for item in items:
        entry = _add(feed, "entry")
        _add(entry, "id", item["id"])
        _add(entry, "title", item["title"])
        _add(entry, "updated", item["updated"])
        _add(entry, "link", rel="alternate", type="text/html", href=item["id"])
        _add(_add(entry, "author"), "name", item["author"])
        _add(entry, "summary", item["summary"])
    return _xml(feed)


def _feed_items(
    request: Request, rows: list[EntryRow], orgs: dict[str, OrgName], titles: dict[str, ProjectTitle]
) -> list[dict[str, Any]]:
    locale, _ = request_locale(request)
    h, fmt = Helpers(request, locale), Formatter(locale)
    base = base_url(request)
    out = []
    for r in rows:
        parts = [h.entry_type(r.type, r.seq)]
        if r.project:
            parts.append(h.title(titles.get(r.project), r.project))
        if r.amount_minor is not None and r.currency:
            parts.append(fmt.money(r.amount_minor, r.currency))
        signer = h.org(r.signer_org, orgs)
        summary = h.t.gettext("Entry #%(seq)s, signed by %(org)s on %(time)s.") % {
            "seq": r.seq,
            "org": signer,
            "time": fmt.datetime(r.time),
        }
        if r.corrected:
            summary += " " + h.t.gettext("Corrected by a later entry.")
        out.append(
            {
                "id": f"{base}/ledger/{r.seq}",
                "title": " · ".join(parts),
                "updated": r.time,
                "summary": summary,
                "author": signer,
            }
        )
    return out


def _atom_response(request: Request, body: bytes) -> Response[bytes]:
    locale, _ = request_locale(request)
    return Response(
        body,
        media_type=ATOM_TYPE,
        headers={"Cache-Control": PAGE_CACHE, "Vary": VARY, "Content-Language": LANG_TAGS[locale]},
    )


@lru_cache(maxsize=1024)
def qr_svg_file(url: str, title: str) -> bytes:
    """An SVG file of a QR code of ``url`` (error correction at least M, a quiet zone of four
    modules, dark on white so phones read it whatever the page's colours); kept, as an
    address's code never changes."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out, kind="svg", scale=4, border=4, dark="#000", light="#fff", title=title, svgclass="qr", lineclass=None
    )
    return out.getvalue()


def _qr_response(url: str, title: str) -> Response[bytes]:
    return Response(
        qr_svg_file(url, title),
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400", "Content-Security-Policy": "default-src 'none'"},
    )


class SiteFeeds(Controller):
    """Feeds, the sitemap, robots.txt and QR codes (errors are the site's pages, as in SitePages)."""

    path = "/"
    include_in_schema = False
    exception_handlers = {LedgerError: error_page, HTTPException: error_page, Exception: error_page}  # noqa: RUF012 (Litestar reads these class attributes)
    signature_namespace = {"Ledger": Ledger}  # noqa: RUF012 (as above)

    @get("/feed.atom", name="site:feed", sync_to_thread=True)
    def feed(self, request: Request, ledger: NamedDependency[Ledger]) -> Response[bytes]:
        t = translations(request_locale(request)[0])
        return self._feed(
            request,
            ledger,
            page="/",
            title=t.gettext("Charity Transparency Ledger: latest entries"),
            subtitle=t.gettext("The newest entries of the public log: donations, payments, disclosures, verdicts."),
        )

    @get("/projects/{project:str}/feed.atom", name="site:project-feed", sync_to_thread=True)
    def project_feed(
        self, request: Request, ledger: NamedDependency[Ledger], project: FromPath[str]
    ) -> Response[bytes]:
        if not _PROJECT.fullmatch(project):
            raise NotFoundException()
        locale, _ = request_locale(request)
        with read_transaction(ledger.engine) as conn:
            titles = listing.project_titles(conn, [project])
        if not titles:
            raise LedgerError("not_found", what="project", what_zh="项目", ref=project)
        name = Helpers(request, locale).title(titles[project], project)
        t = translations(locale)
        return self._feed(
            request,
            ledger,
            page=f"/projects/{project}",
            title=name,
            subtitle=t.gettext("The newest entries of this project in the public log."),
            project=project,
        )

    @get("/organisations/{org:str}/feed.atom", name="site:org-feed", sync_to_thread=True)
    def org_feed(self, request: Request, ledger: NamedDependency[Ledger], org: FromPath[str]) -> Response[bytes]:
        if not _ORG.fullmatch(org):
            raise NotFoundException()
        locale, _ = request_locale(request)
        with read_transaction(ledger.engine) as conn:
            names = listing.org_names(conn, [org])
        if org not in names:
            raise LedgerError("not_found", what="organisation", what_zh="组织", ref=org)
        t = translations(locale)
        return self._feed(
            request,
            ledger,
            page=f"/organisations/{org}",
            title=Helpers(request, locale).org(org, names),
            subtitle=t.gettext("The newest entries this organisation signed or that concern its projects."),
            org=org,
        )

    @staticmethod
    def _feed(
        request: Request,
        ledger: Ledger,
        *,
        page: str,
        title: str,
        subtitle: str,
        project: str | None = None,
        org: str | None = None,
    ) -> Response[bytes]:
        locale, _ = request_locale(request)
        with read_transaction(ledger.engine) as conn:
            rows = timeline.feed_entries(conn, project=project, org=org, limit=FEED_SIZE)
            orgs = listing.org_names(conn, [r.signer_org for r in rows])
            titles = listing.project_titles(conn, [r.project for r in rows])
            first = timeline.latest_entries(conn, 1) if not rows else rows
        base = base_url(request)
        body = atom_feed(
            feed_url=base + str(request.url.path),
            page_url=base + page,
            title=title,
            subtitle=subtitle,
            author=translations(locale).gettext("Charity Transparency Ledger"),
            lang=LANG_TAGS[locale],
            entries=_feed_items(request, rows, orgs, titles),
            fallback_updated=first[0].time if first else "1970-01-01T00:00:00Z",
        )
        return _atom_response(request, body)

    @get("/sitemap.xml", name="site:sitemap", sync_to_thread=True)
    def sitemap(self, request: Request, ledger: NamedDependency[Ledger]) -> Response[bytes]:
        """Every page worth listing, each with its two languages as alternates (``?lang=``)."""
        with read_transaction(ledger.engine) as conn:
            ids = listing.sitemap_ids(conn)
        base = base_url(request)
        urlset = ET.Element("urlset", {"xmlns": SITEMAP, "xmlns:xhtml": XHTML})
        for path in [*PAGES, *(f"/projects/{p}" for p in ids.projects), *(f"/organisations/{o}" for o in ids.orgs)]:
            url = ET.SubElement(urlset, "url")
            ET.SubElement(url, "loc").text = base + path
            for tag in LANG_TAGS.values():
                ET.SubElement(
                    url,
                    "xhtml:link",
                    {"rel": "alternate", "hreflang": tag, "href": f"{base}{path}?lang={tag}"},
                )
        body = _xml(urlset)
        return Response(body, media_type="application/xml; charset=utf-8", headers={"Cache-Control": PAGE_CACHE})

    @get("/robots.txt", name="site:robots", sync_to_thread=False)
    def robots(self, request: Request) -> Response[str]:
        """Everything public may be crawled but the staff's workbench; the sitemap lists the pages."""
        text = f"User-agent: *\nDisallow: /workbench/\nAllow: /\n\nSitemap: {base_url(request)}/sitemap.xml\n"
        return Response(text, media_type="text/plain", headers={"Cache-Control": "public, max-age=3600"})

    @get("/projects/{project:str}/qr.svg", name="site:project-qr", sync_to_thread=True)
    def project_qr(self, request: Request, ledger: NamedDependency[Ledger], project: FromPath[str]) -> Response[bytes]:
        """A QR code of the project's address (to print on a poster or share from a phone)."""
        if not _PROJECT.fullmatch(project):
            raise NotFoundException()
        with read_transaction(ledger.engine) as conn:
            if not listing.project_titles(conn, [project]):
                raise LedgerError("not_found", what="project", what_zh="项目", ref=project)
        return _qr_response(f"{base_url(request)}/projects/{project}", project)

    @get("/ledger/{seq:int}/qr.svg", name="site:entry-qr", sync_to_thread=True)
    def entry_qr(self, request: Request, ledger: NamedDependency[Ledger], seq: SeqPath) -> Response[bytes]:
        """A QR code of an entry's page, where anyone can check the entry (a donation: the
        verification result of its receipt) in the browser, without the receipt code."""
        with read_transaction(ledger.engine) as conn:
            if reads.entry_at(conn, seq=seq) is None:
                raise LedgerError("not_found", what="entry", what_zh="条目", ref=f"seq {seq}")
        return _qr_response(f"{base_url(request)}/ledger/{seq}", f"#{seq}")
