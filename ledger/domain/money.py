"""Money: integer minor units inside, decimal strings with the currency's exact digits outside."""

from __future__ import annotations

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
