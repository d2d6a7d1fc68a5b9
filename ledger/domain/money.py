"""Money: integer minor units inside, decimal strings with the currency's exact digits outside.

:class:`Money` is the one money value of the codebase (API, site, reports, oversight): an integer
of minor units and a currency, with one way to write it for each audience: ``plain()`` for the
protocol and data files (``1234.50``), ``with_code()`` for messages (``1234.50 CNY``),
``grouped()`` for tables (``1,234.50``) and ``for_people(locale)`` for pages (``¥1,234.50``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ledger.errors import LedgerError, define
from ledger.protocol.grammar import matches

# ISO 4217 minor digits of the currencies the registry accepts.
CURRENCY_DIGITS: dict[str, int] = {"CNY": 2, "HKD": 2, "MOP": 2, "USD": 2, "EUR": 2, "GBP": 2, "JPY": 0}

# Upper bound of one amount: 10^13 minor units (100 billion yuan), well inside int64.
MAX_MINOR = 10**13

AMOUNT_INVALID = define(
    "amount_invalid",
    "invalid",
    "The amount {amount!r} is not valid for {currency}: {detail}.",
    "金额 {amount!r}（{currency}）无效：{detail}。",
)
CURRENCY_INVALID = define(
    "currency_invalid",
    "invalid",
    "The currency {currency!r} is not accepted (accepted: {accepted}).",
    "不接受币种 {currency!r}（可用：{accepted}）。",
)


def check_currency(currency: object) -> str:
    if not isinstance(currency, str) or currency not in CURRENCY_DIGITS:
        shown = currency[:16] if isinstance(currency, str) else currency if isinstance(currency, int | None) else "?"
        raise LedgerError(CURRENCY_INVALID, currency=shown, accepted=", ".join(sorted(CURRENCY_DIGITS)))
    return currency


def parse_amount(text: object, currency: object, *, allow_zero: bool = False) -> int:
    """``"1234.50"`` CNY -> 123450. Exactly the currency's minor digits, positive, bounded."""
    cur = check_currency(currency)
    digits = CURRENCY_DIGITS[cur]
    if not isinstance(text, str):
        raise LedgerError(AMOUNT_INVALID, amount=text, currency=cur, detail="write it as a decimal string")
    decimals = text.partition(".")[2]
    if not matches("amount", text) or ("." in text) != bool(digits) or len(decimals) != digits:
        example = "1234." + "5" * digits if digits else "1234"
        raise LedgerError(
            AMOUNT_INVALID,
            amount=text if len(text) <= 40 else text[:40] + "...",
            currency=cur,
            detail=f"write it with exactly {digits} decimals, like {example!r}",
        )
    minor = int(text.replace(".", ""))
    if minor == 0 and not allow_zero:
        raise LedgerError(AMOUNT_INVALID, amount=text, currency=cur, detail="it must be greater than zero")
    if minor > MAX_MINOR:
        raise LedgerError(AMOUNT_INVALID, amount=text, currency=cur, detail="it is larger than the accepted maximum")
    return minor


def format_amount(minor: int, currency: str) -> str:
    """123450, CNY -> ``"1234.50"``; negative amounts keep their sign."""
    digits = CURRENCY_DIGITS[check_currency(currency)]
    sign = "-" if minor < 0 else ""
    minor = abs(minor)
    if digits == 0:
        return f"{sign}{minor}"
    whole, frac = divmod(minor, 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}"


def plain_or_none(minor: int | None, currency: str | None) -> str | None:
    """The decimal string of an amount that may be absent (an entry that names none): None then."""
    return None if minor is None or not currency else format_amount(minor, currency)


# The currency symbol shown to people, per site locale (the same as the CLDR symbols, except that
# the registry's home currency is written ¥ in English too, without a "CN" prefix).
SYMBOLS: dict[str, dict[str, str]] = {
    "zh_CN": {"CNY": "¥", "HKD": "HK$", "MOP": "MOP", "USD": "US$", "EUR": "€", "GBP": "£", "JPY": "JP¥"},
    "en": {"CNY": "¥", "HKD": "HK$", "MOP": "MOP", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"},
}


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount in integer minor units (fen for CNY) of one accepted currency."""

    minor: int
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError(f"Money needs integer minor units, not {type(self.minor).__name__}")
        check_currency(self.currency)

    @classmethod
    def parse(cls, text: object, currency: object, *, allow_zero: bool = False) -> Money:
        """``Money.parse("1234.50", "CNY")`` -> ``Money(123450, "CNY")``; refuses what the grammar refuses."""
        return cls(parse_amount(text, currency, allow_zero=allow_zero), check_currency(currency))

    @property
    def digits(self) -> int:
        return CURRENCY_DIGITS[self.currency]

    def __str__(self) -> str:
        return self.plain()

    def plain(self) -> str:
        """``1234.50``: the protocol's decimal string, for entries, JSON and CSV."""
        return format_amount(self.minor, self.currency)

    def with_code(self) -> str:
        """``1234.50 CNY``: for messages and logs."""
        return f"{self.plain()} {self.currency}"

    def decimal(self) -> Decimal:
        """The exact decimal value (``Decimal('1234.50')``), for spreadsheet cells."""
        return Decimal(self.minor).scaleb(-self.digits)

    def grouped(self) -> str:
        """``1,234,567.50``: for people (PDF tables, pages), never for data files."""
        text = format_amount(abs(self.minor), self.currency)
        whole, _, frac = text.partition(".")
        grouped = f"{int(whole):,}"
        return ("-" if self.minor < 0 else "") + (f"{grouped}.{frac}" if frac else grouped)

    def for_people(self, locale: str) -> str:
        """``-¥1,234.50``: with the locale's currency symbol (``locale`` is ``zh_CN`` or ``en``)."""
        symbol = SYMBOLS.get(locale, SYMBOLS["en"])[self.currency]
        grouped = self.grouped()
        return f"-{symbol}{grouped[1:]}" if grouped.startswith("-") else f"{symbol}{grouped}"
