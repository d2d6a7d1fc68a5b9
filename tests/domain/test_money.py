"""The one Money type: each way of writing an amount, and the site's symbols against CLDR (Babel)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_currency
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.money import CURRENCY_DIGITS, MAX_MINOR, SYMBOLS, Money
from ledger.errors import LedgerError


def test_each_audience_gets_its_own_spelling() -> None:
    m = Money(123456750, "CNY")
    assert (m.plain(), m.with_code(), m.grouped()) == ("1234567.50", "1234567.50 CNY", "1,234,567.50")
    assert m.decimal() == Decimal("1234567.50") and str(m) == "1234567.50"
    assert (m.for_people("zh_CN"), m.for_people("en")) == ("¥1,234,567.50", "¥1,234,567.50")
    assert Money(-5, "CNY").for_people("en") == "-¥0.05" and Money(-5, "CNY").grouped() == "-0.05"
    assert Money(1234567, "JPY").for_people("en") == "¥1,234,567" and Money(100, "USD").for_people("en") == "$1.00"


def test_money_refuses_what_is_not_money() -> None:
    with pytest.raises(TypeError):
        Money(1.5, "CNY")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True, "CNY")
    with pytest.raises(LedgerError) as info:
        Money(1, "XXX")
    assert info.value.code == "currency_invalid"
    with pytest.raises(LedgerError) as info:
        Money.parse("12.5", "CNY")
    assert info.value.code == "amount_invalid"


@pytest.mark.parametrize("locale", sorted(SYMBOLS))
@pytest.mark.parametrize("currency", sorted(CURRENCY_DIGITS))
def test_symbols_are_cldrs_except_the_home_currency(locale: str, currency: str) -> None:
    """What people read on a page is what Babel (CLDR) writes, but ¥ for yuan in English too."""
    m = Money(123456789, currency)
    cldr = format_currency(m.decimal(), currency, format="¤#,##0.00" if m.digits else "¤#,##0", locale=locale)
    expected = cldr.replace("CN¥", "¥")
    assert m.for_people(locale) == expected


@given(st.integers(min_value=-MAX_MINOR, max_value=MAX_MINOR), st.sampled_from(sorted(CURRENCY_DIGITS)))
def test_plain_round_trips_through_parse(minor: int, currency: str) -> None:
    m = Money(minor, currency)
    assert Decimal(m.plain()) == m.decimal() and Decimal(m.grouped().replace(",", "")) == m.decimal()
    if minor > 0:
        assert Money.parse(m.plain(), currency) == m
