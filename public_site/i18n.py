"""Languages of the site: Chinese (zh-CN, the default) and English, with gettext catalogs.

Message ids are English; ``locale/zh_CN/LC_MESSAGES/messages.po`` translates them. The ``.po``
file is the source: the compiled ``.mo`` is made from it on first use when it is missing or
older (and kept in memory when the package folder is read-only), so a fresh clone works
without a build step. ``docs/site.md`` tells how to extract new messages.

A request's language comes from ``?lang=`` (which also sets the ``lang`` cookie), else the
``lang`` cookie, else the browser's ``Accept-Language`` (a first visit), else zh-CN. Amounts and dates are formatted per locale with Babel, from
integer minor units and ISO dates, never through floats.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from datetime import time as dt_time
from decimal import Decimal
from functools import cache, lru_cache
from gettext import NullTranslations
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from markupsafe import Markup, escape

from ledger.domain.money import Money

log = logging.getLogger("public_site")

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")
# BCP 47 tags for <html lang>, hreflang and the ?lang= values we link to
LANG_TAGS = {"zh_CN": "zh-CN", "en": "en"}
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

try:
    from zoneinfo import ZoneInfo

    CHINA = ZoneInfo("Asia/Shanghai")
except Exception:  # no tz database: China has had no DST since 1991
    CHINA = timezone(timedelta(hours=8), "CST")  # type: ignore[assignment]


def parse_lang(value: str | None) -> str | None:
    """A locale id for a ``lang`` value such as ``zh-CN``, ``zh``, ``en-GB``; None if unknown."""
    if not value:
        return None
    tag = value.strip().replace("_", "-").lower()
    if tag in ("zh", "zh-cn", "zh-hans", "zh-hans-cn", "cn"):
        return "zh_CN"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return None


def accepted_lang(header: str | None) -> str | None:
    """The first language of an ``Accept-Language`` header the site has, in the order the header
    lists them (browsers list by preference), skipping those refused with ``q=0``; None if none.
    Pages say ``Vary: Cookie, Accept-Language``, so a shared cache keeps one copy per header."""
    if not header:
        return None
    for item in header[:500].split(","):
        tag, _, params = item.partition(";")
        if params.strip().replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            continue
        found = parse_lang(tag) or parse_lang(tag.strip().split("-")[0])
        if found is not None:
            return found
    return None


def compile_catalog(po_path: Path) -> bytes:
    """The .mo bytes of a .po file (fuzzy entries left out, as msgfmt does)."""
    with open(po_path, "rb") as f:
        catalog = read_po(f, locale=po_path.parent.parent.name)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _mo_bytes(locale: str) -> bytes | None:
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if not po.exists():
        return mo.read_bytes() if mo.exists() else None
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return mo.read_bytes()
    data = compile_catalog(po)
    try:
        tmp = mo.with_suffix(".mo.tmp")
        tmp.write_bytes(data)
        tmp.replace(mo)
    except OSError as exc:  # a read-only install: keep it in memory
        log.info("could not write %s (%s); using the catalog compiled in memory", mo, exc)
    return data


@cache
def translations(locale: str) -> NullTranslations:
    """The gettext catalog of ``locale`` (English is the message ids themselves)."""
    if locale == "en":
        return NullTranslations()
    data = _mo_bytes(locale)
    if data is None:
        log.warning("no message catalog for %s; showing English", locale)
        return NullTranslations()
    return Translations(fp=io.BytesIO(data), domain=DOMAIN)


# --- formatting -----------------------------------------------------------------------------


def _as_date(value: date | str | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(CHINA).date()
    if isinstance(value, date):
        return value
    text = str(value)
    if len(text) == 10:
        return date.fromisoformat(text)
    return parse_log_time(text).astimezone(CHINA).date()


def parse_log_time(text: str) -> datetime:
    """A log time (RFC 3339 UTC with Z) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def china_date(log_time: str) -> date:
    """The calendar day in China of a log time (deadlines count in China Standard Time)."""
    return parse_log_time(log_time).astimezone(CHINA).date()


@cache
def _babel(locale: str) -> Locale:
    """The Babel locale of an id, parsed once (Babel parses a string on every call it is given)."""
    return Locale.parse(locale)


@cache
def _plain_grouping(locale: str) -> bool:
    """Whether the locale groups digits by three with "," and writes "-" for minus, as Python's
    ``f"{n:,}"`` does (zh_CN and en do)."""
    symbols = _babel(locale).number_symbols
    symbols = symbols.get("latn", symbols)  # Babel >= 2.14 keys the symbols by numbering system
    return bool(symbols.get("group") == "," and symbols.get("minusSign") == "-") and all(
        format_decimal(n, format="#,##0", locale=_babel(locale)) == f"{n:,}" for n in (0, -7, 1234, -1234567)
    )


@lru_cache(maxsize=4096)
def _date_text(locale: str, day: date, style: str) -> str:
    """Babel's ``format_date``: a page shows many cells of the same few days."""
    return format_date(day, style, locale=_babel(locale))


@lru_cache(maxsize=4096)
def _time_text(locale: str, hour: int, minute: int, second: int) -> str:
    """Babel's medium ``format_time`` of a time of day (its pattern names no zone)."""
    return format_time(dt_time(hour, minute, second), "medium", locale=_babel(locale))


@cache
def _datetime_pattern(locale: str) -> str:
    return str(get_datetime_format("medium", locale=_babel(locale))).replace("'", "")


def clear_caches() -> None:
    """Forget the dates and times of day formatted so far."""
    _date_text.cache_clear()
    _time_text.cache_clear()


def datetime_text(locale: str, moment: datetime) -> str:
    """``babel.dates.format_datetime(moment, "medium")``, put together as Babel does (the
    locale's medium date-time pattern filled with the medium date and time) from parts a
    page repeats: formatting it whole costs tens of microseconds a cell."""
    return (
        _datetime_pattern(locale)
        .replace("{0}", _time_text(locale, moment.hour, moment.minute, moment.second))
        .replace("{1}", _date_text(locale, moment.date(), "medium"))
    )


@dataclass(frozen=True, slots=True)
class Formatter:
    """Locale-aware formatting for one request: ``fmt.money(123450, "CNY")`` -> ``¥1,234.50``."""

    locale: str

    @property
    def babel_locale(self) -> Locale:
        return _babel(self.locale)

    def money(self, minor: int | None, currency: str | None) -> str:
        """Integer minor units as a locale amount with the currency symbol (no float anywhere)."""
        if minor is None or currency is None:
            return "—"
        return Money(int(minor), currency).for_people(self.locale)

    def money_tag(self, minor: int | None, currency: str | None) -> Markup:
        """:meth:`money` in a ``<span class="num">`` (what the ``money`` macro writes)."""
        return Markup(f'<span class="num">{escape(self.money(minor, currency))}</span>')

    def amounts(self, pairs: Iterable[tuple[int, int]], currency: str) -> dict[int, str]:
        """:meth:`money` of every amount in ``pairs`` (a chart's months in and out), each once."""
        return {v: self.money(v, currency) for pair in pairs for v in pair}

    def number(self, value: int | None) -> str:
        if value is None:
            return "—"
        if _plain_grouping(self.locale):  # what Babel writes, without its pattern machinery
            return f"{int(value):,}"
        return format_decimal(int(value), format="#,##0", locale=_babel(self.locale))

    def percent(self, part: int | None, whole: int | None) -> str:
        """``part / whole`` as a percentage with one decimal, exact integer rounding (half up)."""
        if part is None or not whole:
            return "—"
        tenths = (int(part) * 1000 * 2 + int(whole)) // (2 * int(whole))  # round half up
        value = Decimal(tenths).scaleb(-1)
        return format_decimal(value, format="#,##0.0", locale=_babel(self.locale)) + "%"

    def percent_bp(self, bp: int | None) -> str:
        """Basis points as a percentage with two decimals, exactly as the reports print it (7000 -> 70.00%)."""
        if bp is None:
            return "—"
        return format_decimal(Decimal(int(bp)).scaleb(-2), format="#,##0.00", locale=_babel(self.locale)) + "%"

    def ratio_bp(self, part: int, whole: int) -> int:
        """``part / whole`` in basis points, rounded down (for bar widths)."""
        if whole <= 0:
            return 0
        return max(0, min(10_000, part * 10_000 // whole))

    def date(self, value: date | str | None, style: str = "medium") -> str:
        day = _as_date(value)
        if day is None:
            return "—"
        return _date_text(self.locale, day, style)

    def datetime(self, value: str | None) -> str:
        """A log time shown in China Standard Time, with the zone named."""
        if not value:
            return "—"
        moment = parse_log_time(value).astimezone(CHINA)
        text = datetime_text(self.locale, moment)
        return f"{text} {'北京时间' if self.locale == 'zh_CN' else 'CST'}"

    def iso_date(self, value: date | str | None) -> str:
        day = _as_date(value)
        return day.isoformat() if day else ""
