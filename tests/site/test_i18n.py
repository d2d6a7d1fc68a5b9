"""Message catalogs and locale formatting."""

from __future__ import annotations

import io
import shutil
from datetime import date
from pathlib import Path

import pytest
from babel.dates import format_datetime
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

import public_site
from public_site import i18n
from public_site.i18n import Formatter, compile_catalog, parse_lang

PACKAGE = Path(public_site.__file__).parent
PO = PACKAGE / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"


def extracted() -> set[str]:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(PACKAGE), method_map, options, keywords):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def test_every_message_has_a_chinese_translation() -> None:
    with open(PO, "rb") as f:
        catalog = read_po(f, locale="zh_CN")
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    messages = extracted()
    assert len(messages) > 300
    missing = sorted(messages - translated)
    assert not missing, f"add these to {PO.relative_to(PACKAGE.parent)}: {missing}"
    # placeholders survive translation
    for m in catalog:
        if m.id and isinstance(m.id, str) and "%(" in m.id:
            import re

            assert set(re.findall(r"%\((\w+)\)s", m.id)) == set(re.findall(r"%\((\w+)\)s", m.string)), m.id


def test_the_catalog_compiles_from_the_po_file_when_the_mo_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "locale" / "zh_CN" / "LC_MESSAGES"
    copy.mkdir(parents=True)
    shutil.copy(PO, copy / "messages.po")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    i18n.translations.cache_clear()
    try:
        t = i18n.translations("zh_CN")
        assert t.gettext("Verify my donation") == "查验我的捐赠"
        assert (copy / "messages.mo").exists()
        # and the .mo written is what compiling gives
        assert Translations(io.BytesIO((copy / "messages.mo").read_bytes())).gettext("Ledger") == "账本"
        assert compile_catalog(copy / "messages.po") == (copy / "messages.mo").read_bytes()
    finally:
        i18n.translations.cache_clear()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("zh-CN", "zh_CN"),
        ("zh", "zh_CN"),
        ("zh_cn", "zh_CN"),
        ("en", "en"),
        ("en-GB", "en"),
        ("fr", None),
        ("", None),
        (None, None),
    ],
)
def test_lang_values(value: str | None, expected: str | None) -> None:
    assert parse_lang(value) == expected


def test_amounts_from_integer_fen_and_dates_per_locale() -> None:
    zh, en = Formatter("zh_CN"), Formatter("en")
    assert zh.money(123450, "CNY") == en.money(123450, "CNY") == "¥1,234.50"
    assert zh.money(-5, "CNY") == "-¥0.05"
    assert zh.money(10**13, "CNY") == "¥100,000,000,000.00"  # the largest amount, exactly
    assert en.money(1234, "JPY").endswith("1,234")
    assert en.money(99, "HKD") == "HK$0.99"
    assert zh.date("2026-03-21") == "2026年3月21日" and en.date("2026-03-21") == "Mar 21, 2026"
    assert zh.date(date(2026, 12, 1)) == "2026年12月1日"
    # log times are shown in China Standard Time
    assert zh.datetime("2026-03-20T16:30:00.000Z") == "2026年3月21日 00:30:00 北京时间"
    assert en.datetime("2026-03-20T16:30:00.000Z").startswith("Mar 21, 2026")
    assert zh.percent(1, 3) == "33.3%" and zh.percent(2, 3) == "66.7%" and zh.percent(1, 0) == "—"


@pytest.mark.parametrize("log_time", ["2026-03-20T16:30:00.000Z", "2026-12-03T04:05:09Z", "2025-06-30T15:59:59Z"])
@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_log_time_reads_as_babel_writes_a_medium_date_and_time(locale: str, log_time: str) -> None:
    """The page puts a log time together from its day and its time of day (formatted once
    each); it reads exactly as Babel's medium date and time in China Standard Time."""
    moment = i18n.parse_log_time(log_time).astimezone(i18n.CHINA)
    babel = format_datetime(moment, "medium", locale=locale)
    zone = "北京时间" if locale == "zh_CN" else "CST"
    assert Formatter(locale).datetime(log_time) == f"{babel} {zone}"
    i18n.clear_caches()  # and again, with nothing kept
    assert Formatter(locale).datetime(log_time) == f"{babel} {zone}"


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_counts_read_as_babel_groups_them(locale: str) -> None:
    for n in (0, 7, -7, 999, 1000, -1234, 1234567, 10**13):
        assert Formatter(locale).number(n) == format_decimal(n, format="#,##0", locale=locale)


def test_the_site_environment_is_the_shared_autoescaping_one() -> None:
    from jinja2 import StrictUndefined, UndefinedError

    from public_site.templating import environment

    env = environment()
    assert env.from_string("{{ x }}").render(x="<b>&") == "&lt;b&gt;&amp;"
    assert env.undefined is StrictUndefined
    with pytest.raises(UndefinedError):
        env.from_string("{{ nope }}").render()
    assert "money" in env.filters  # the filters reports share
    assert env.get_template("base.html") is not None
