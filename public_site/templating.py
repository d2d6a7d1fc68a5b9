"""The site's Jinja environment (autoescaping, gettext) and what every page's context holds.

One environment serves the whole site: autoescape on for every template, the ``i18n``
extension with gettext callables that read the request's catalog from the context, so one
environment serves both languages at once. The report worker can share it:
``make_environment()`` with its own loader added.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, pass_context
from litestar import Request
from litestar.datastructures import Cookie
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig
from markupsafe import Markup, escape

from ledger.domain.entry_names import entry_type_name
from ledger.errors import InvariantBroken
from ledger.protocol.note import parse_verifier_key
from public_site.evidence import list_markup
from public_site.i18n import (
    COOKIE,
    COOKIE_MAX_AGE,
    DEFAULT_LOCALE,
    LANG_TAGS,
    LOCALES,
    Formatter,
    accepted_lang,
    parse_lang,
    translations,
)
from public_site.labels import LABELS, N_, REGIONS
from reports.render import make_environment as shared_environment

PACKAGE = Path(__file__).parent
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"

# Everything the site loads comes from itself: no inline script, no inline style.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)

NAV = (
    ("home", "/", N_("Home")),
    ("projects", "/projects", N_("Projects")),
    ("organisations", "/organisations", N_("Organisations")),
    ("verify", "/verify", N_("Verify my donation")),
    ("ledger", "/ledger", N_("Ledger")),
    ("checkpoints", "/checkpoints", N_("Checkpoints")),
    ("reports", "/reports", N_("Reports")),
)


@pass_context
def _gettext(ctx: Any, message: str) -> str:
    return ctx["_translations"].gettext(message)


@pass_context
def _ngettext(ctx: Any, singular: str, plural: str, n: int) -> str:
    return ctx["_translations"].ngettext(singular, plural, n)


@pass_context
def _gettext_markup(ctx: Any, message: str, **variables: Any) -> str:
    """``_(...)`` in a template: what the i18n extension's new-style ``_`` does (the translation,
    as markup when autoescaping, ``%`` the variables), in one call instead of three (``_``
    goes through ``gettext`` then the catalog function, each by ``Context.call``): a page
    calls it hundreds of times."""
    text = ctx["_translations"].gettext(message)
    return (Markup(text) if ctx.eval_ctx.autoescape else text) % variables


def make_environment(*extra_dirs: Path) -> Environment:
    """The project's shared environment (:func:`reports.render.make_environment`: autoescape
    everywhere, StrictUndefined, the shared filters) with the site's templates first, the
    ``i18n`` extension and the site's globals."""
    env = shared_environment(FileSystemLoader([TEMPLATES, *extra_dirs]))
    if env.autoescape is not True:
        raise InvariantBroken("broken: env.autoescape is True")
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["_"] = _gettext_markup
    env.globals["asset"] = asset_url
    env.globals["verify_scripts"] = verify_scripts
    env.globals["NAV"] = NAV
    return env


@lru_cache(maxsize=1)
def environment() -> Environment:
    return make_environment()


def template_config() -> TemplateConfig:
    """The app's template configuration: Litestar's Jinja engine on the site's environment."""
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment()))


@cache
def asset_url(name: str) -> str:
    """``/static/<name>?v=<content hash>``: assets can be cached for long and still change."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
    return f"/static/{name}?v={digest}"


def verify_scripts() -> Markup:
    """The scripts of a page that checks in the browser: ``ed25519_strict.js`` first (verify.js's
    one Ed25519 function calls its precheck, and refuses every signature without it), then
    ``verify.js``."""
    names = ("ed25519_strict.js", "verify.js")
    return Markup("").join(Markup('<script src="{}" defer></script>').format(asset_url(n)) for n in names)


# --- request context ------------------------------------------------------------------------


def request_locale(request: Request) -> tuple[str, bool]:
    """The page language and whether to (re)set the cookie (when ?lang= chose it): ``?lang=``,
    else the cookie, else the browser's ``Accept-Language`` (a first visit), else Chinese."""
    chosen = parse_lang(request.query_params.get("lang"))
    if chosen is not None:
        return chosen, request.cookies.get(COOKIE) != LANG_TAGS[chosen]
    from_cookie = parse_lang(request.cookies.get(COOKIE))
    if from_cookie is not None:
        return from_cookie, False
    return accepted_lang(request.headers.get("accept-language")) or DEFAULT_LOCALE, False


def url_with(request: Request, **changes: Any) -> str:
    """The current URL with query parameters changed (None removes one); ``lang`` is dropped."""
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    query = urlencode(params)
    return request.url.path + ("?" + query if query else "")


# Han characters (CJK unified ideographs, extension A, compatibility) and CJK punctuation
_CJK = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


class Helpers:
    """Functions templates call, bound to one request's language."""

    def __init__(self, request: Request, locale: str) -> None:
        self.request = request
        self.locale = locale
        self.t = translations(locale)
        self.zh = locale == "zh_CN"

    def label(self, kind: str, value: Any) -> str:
        if value is None:
            return "—"
        if kind == "type":  # entry types: named once for the site, the reports and the workbench
            return entry_type_name(str(value), zh=self.zh)
        message = LABELS.get(kind, {}).get(str(value))
        return self.t.gettext(message) if message else str(value)

    def fingerprint(self, vkey: str) -> str:
        """A log key's fingerprint, as receipts print it: hex SHA-256 of the raw public key."""
        return hashlib.sha256(parse_verifier_key(vkey).public).hexdigest()

    def leaf_labels(self) -> dict[str, dict[str, str]]:
        """Names of the vocabulary values verify.js shows from a verified leaf (translations,
        not claims: the values themselves come from the leaf)."""
        return {
            kind: {value: self.t.gettext(message) for value, message in LABELS[kind].items()}
            for kind in ("channel", "kind")
        }

    def entry_type(self, type_: str | None, seq: int | None = None) -> str:
        """An entry type's name; a ``registry.genesis`` past position 0 of the chain is the
        first entry of a continuing log (it names the sealed log before it), not a new registry."""
        if type_ == "registry.genesis" and seq:
            return self.label("continued", type_)
        return self.label("type", type_)

    def log_state(self, log: Any) -> str:
        return self.label("log_state", "sealed" if log.sealed else "open")

    def region(self, code: str | None) -> str:
        if not code:
            return "—"
        names = REGIONS.get(code)
        return (names[0] if self.zh else names[1]) if names else code

    def _in_language(self, row: Any, zh: str, en: str) -> str | None:
        """The row's ``en`` field on an English page when it has one, else its ``zh`` field (a
        row of the read model, or a mapping of the same names)."""
        get = row.get if isinstance(row, Mapping) else lambda name: getattr(row, name, None)
        return (None if self.zh else get(en)) or get(zh)

    def title(self, row: Any, fallback: str = "") -> str:
        """A project's title in the page language (the Chinese one when there is no English)."""
        if not row:
            return fallback
        return self._in_language(row, "title_zh", "title_en") or fallback

    def org(self, code: str | None, names: Mapping[str, Any]) -> str:
        if not code:
            return "—"
        row = names.get(code)
        if row is None:
            return code
        return self._in_language(row, "name_zh", "name_en") or code

    def subject_part(self, item: Any) -> str:
        """What a disclosure is about, as a row shows it: the year of an annual report's
        ``<org>/<year>``, anything else (a filing's reference) as it is."""
        prefix = f"{item.org}/"
        return item.subject[len(prefix) :] if item.subject.startswith(prefix) else item.subject

    def data(self, value: Any) -> Markup:
        """Text entered by an organisation (a name, a payee, a purpose), escaped; on an English
        page, text in Chinese is marked ``lang="zh-CN"`` so screen readers and fonts treat it
        as Chinese."""
        text = "—" if value is None else str(value)
        if not self.zh and self.is_chinese(text):
            return Markup(f'<span lang="zh-CN">{escape(text)}</span>')
        return escape(text)

    def gettext(self, message: str, **variables: Any) -> Markup:
        """``_(message, **variables)`` as a template writes it (the i18n extension's new style:
        the translation as markup, then ``%`` with the variables, escaped), for markup built here."""
        return Markup(self.t.gettext(message)) % variables

    def evidence(self, hashes: Any, held: Any) -> Markup:
        """Evidence hashes with what the store holds of them (:func:`public_site.evidence.list_markup`)."""
        return list_markup(hashes, held, self.gettext)

    def deadline_status(self, d: Any) -> Markup:
        """A disclosure overdue or due soon: its status and how many days late or left (the
        ``deadline_status`` macro)."""
        if d.status == "overdue":
            days = Markup(self.t.ngettext("%(num)s day late", "%(num)s days late", d.days)) % {"num": d.days}
        elif d.days == 0:
            days = self.gettext("due today")
        else:
            days = Markup(self.t.ngettext("in %(num)s day", "in %(num)s days", d.days)) % {"num": d.days}
        kind = "overdue" if d.status == "overdue" else "soon"
        label = escape(self.label("deadline_status", d.status))
        return Markup(f'<span class="status status-{kind}">{label}</span> <span class="small">{days}</span>')

    def verdict(self, value: str | None) -> Markup:
        """An oversight verdict as a badge, nothing when there is none (the ``verdict`` macro)."""
        if not value:
            return Markup("")
        return Markup(f'<span class="verdict verdict-{escape(value)}">{escape(self.label("verdict", value))}</span>')

    @staticmethod
    def entry_link(seq: Any) -> Markup:
        """A link to an entry's page (what the ``entry_link`` macro writes)."""
        return Markup(f'<a href="/ledger/{escape(seq)}">#{escape(seq)}</a>')

    @staticmethod
    def is_chinese(text: str | None) -> bool:
        """Whether ``text`` holds Chinese characters (for ``lang="zh-CN"`` on English pages)."""
        return bool(text) and _CJK.search(str(text)) is not None

    def org_tag(self, code: str | None, names: Mapping[str, Any]) -> Markup:
        """:meth:`org` for a page's content, marked as Chinese when it is (:meth:`data`)."""
        return self.data(self.org(code, names))

    def title_tag(self, row: Any, fallback: str = "") -> Markup:
        """:meth:`title` for a page's content, marked as Chinese when it is (:meth:`data`)."""
        return self.data(self.title(row, fallback))

    def url(self, **changes: Any) -> str:
        return url_with(self.request, **changes)

    def lang_url(self, tag: str) -> str:
        base = url_with(self.request)
        return base + ("&" if "?" in base else "?") + "lang=" + tag

    def short(self, h: str | None, n: int = 12) -> str:
        return (h[:n] + "…") if h and len(h) > n else (h or "")

    def json_list(self, text: str | None) -> list[Any]:
        return json.loads(text) if text else []

    def paragraphs(self, text: str | None) -> Markup:
        """Multi-line text as paragraphs, escaped (marked Chinese on an English page when it is)."""
        if not text:
            return Markup("")
        parts = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
        tag = Markup('<p lang="zh-CN">') if not self.zh and self.is_chinese(text) else Markup("<p>")
        return Markup("").join(tag + Markup("{}</p>").format(Markup("<br>").join(p.split("\n"))) for p in parts)


# A page is true until the next append. Browsers ask again each time (answered 304 by ETag or
# Last-Modified when unchanged); a shared cache (the front, deploy/nginx.conf) may hold it five
# seconds, so the site's pages are rendered once per few seconds whatever the load, and a cached
# page is an older state of the log, never another one.
# what a page's language depends on (a shared cache keeps one copy per language)
VARY = "Cookie, Accept-Language"
PAGE_CACHE = "public, max-age=0, s-maxage=5"
# An entry's page: the entry is fixed, and its proof is read from the tiles by the browser; what
# can change is which later entries refer to it (a correction, a verdict), so a shared cache may
# hold it ten minutes: a held page can miss a newer reference, never show a wrong one.
ENTRY_CACHE = "public, max-age=0, s-maxage=600"


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    title: str = "",
    nav: str = "",
    cache: str = PAGE_CACHE,
    **context: Any,
) -> Template:
    locale, set_cookie = request_locale(request)
    helpers = Helpers(request, locale)
    ctx = {
        "_translations": helpers.t,
        "fmt": Formatter(locale),
        "h": helpers,
        "lang": LANG_TAGS[locale],
        "locale": locale,
        "locales": [(LANG_TAGS[loc], loc) for loc in LOCALES],
        "page_title": title,
        "site_url": str(request.base_url).rstrip("/"),
        "page_url": str(request.base_url).rstrip("/") + request.url.path,
        "nav": nav,
        **context,
    }
    cookies = []
    if set_cookie:
        cookies.append(
            Cookie(
                key=COOKIE, value=LANG_TAGS[locale], max_age=COOKIE_MAX_AGE, path="/", samesite="lax", httponly=False
            )
        )
    headers = {
        "Content-Security-Policy": CSP,
        "Content-Language": LANG_TAGS[locale],
        "Vary": VARY,
        "Cache-Control": cache,
    }
    return Template(template_name=template, context=ctx, status_code=status, cookies=cookies, headers=headers)
