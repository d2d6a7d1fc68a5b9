"""The one ASCII grammar of every identifier, amount, hash, idem, date and code (DESIGN section 3).

Every pattern here is compiled with :data:`re.ASCII` and matched with ``fullmatch``: ``$`` lets a
trailing newline through and ``\\d`` (without ``re.ASCII``) matches the digits of every script,
which ``int()`` then converts, so neither appears in a pattern that checks outside input. The
same texts, anchored with ``^...$``, are what the OpenAPI document states (:func:`schema_pattern`):
ECMA-262 regular expressions (what JSON Schema uses) have no multi-line ``$`` by default and
their ``[0-9]`` is ASCII, so a schema-driven client and this module accept the same strings.

Free text (names, purposes, notes) is not ASCII, but it is checked by :func:`text_problem`:
it must be in Unicode normalisation form NFC and may hold no C0 or C1 control character (a
line feed and a tab only where a field allows several lines), no bidirectional override or
isolate, no zero-width character, no byte order mark, no line or paragraph separator, and no
unassigned or private-use code point (see docs/protocol.md, "Grammar").

Pure: the standard library only.
"""

from __future__ import annotations

import re
import unicodedata

_DATE = (
    r"(?:19|20|21)[0-9]{2}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
    r"|(?:(?:19|20|21)(?:0[48]|[2468][048]|[13579][26])|2000)-02-29"
)

# name -> the pattern's text (no anchors; matched in full)
PATTERNS: dict[str, str] = {
    # SHA-256 hashes, key ids, leaf hashes, evidence hashes: 64 lowercase hex digits
    "hex64": r"[0-9a-f]{64}",
    # unified social credit code: 18 characters of the GB 32100 alphabet (the check character
    # is verified by ledger.domain.uscc)
    "uscc": r"[0-9A-HJ-NPQRTUWXY]{18}",
    # project ids: uppercase ASCII letters and digits, '.', '_' or '-' inside, 1 to 64 characters,
    # starting and ending with a letter or digit (so ids cannot differ by case or trailing
    # punctuation only)
    "project": r"[A-Z0-9](?:[A-Z0-9._-]{0,62}[A-Z0-9])?",
    # rule sets, report kinds: lowercase
    "slug": r"[a-z0-9][a-z0-9._/-]{0,63}",
    "file_name": r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}",
    "entry_type": r"[a-z][a-z_]{0,30}\.[a-z][a-z_]{0,30}",
    # the signer's request id: printable ASCII without space
    "idem": r"[\x21-\x7e]{1,128}",
    # a day of the Gregorian calendar from 1900-01-01 to 2199-12-31, exactly (leap years: every
    # fourth year but 1900 and 2100), so that the OpenAPI pattern is the whole rule
    "date": _DATE,
    "date_shape": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    # RFC 3339 UTC with milliseconds, on such a day
    "time": rf"(?:{_DATE})T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{{3}}Z",
    # a time filter of a query: a date, or an RFC 3339 time with Z or an offset
    "time_filter": r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:Z|[+-][0-9]{2}:[0-9]{2}))?",
    "currency": r"[A-Z]{3}",
    # an amount outside: a decimal string without sign, leading zeros, exponent or grouping;
    # the exact number of decimals is the currency's (ledger.domain.money)
    "amount": r"(?:0|[1-9][0-9]{0,15})(?:\.[0-9]{1,4})?",
    "signed_amount": r"-?(?:0|[1-9][0-9]{0,15})(?:\.[0-9]{1,4})?",
    # a non-negative decimal integer without leading zeros (seq, sizes), at most 19 digits
    "uint": r"0|[1-9][0-9]{0,18}",
    # error codes
    "code": r"[a-z][a-z0-9_]{0,63}",
    # standard base64 (with padding) of a 32-byte key and of a 64-byte signature
    "b64_key": r"[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=",
    "b64_sig": r"[A-Za-z0-9+/]{85}[AQgw]==",
    # the donor-commitment salt: standard base64 of 16 bytes
    "salt": r"[A-Za-z0-9+/]{21}[AQgw]==",
    "year": r"[0-9]{4}",
    # a vocabulary word (legal form, field of work, category)
    "word": r"[a-z_]{1,32}",
    # a log's origin: printable ASCII without spaces (what the registry's own origins are)
    "origin": r"[\x21-\x7e]{1,200}",
}

_COMPILED: dict[str, re.Pattern[str]] = {name: re.compile(text, re.ASCII) for name, text in PATTERNS.items()}


def pattern(name: str) -> re.Pattern[str]:
    """The compiled pattern ``name`` (to be used with ``fullmatch`` only)."""
    return _COMPILED[name]


def matches(name: str, value: object) -> bool:
    """True if ``value`` is a ``str`` that the pattern ``name`` matches in full."""
    return isinstance(value, str) and _COMPILED[name].fullmatch(value) is not None


def schema_pattern(name: str) -> str:
    """The pattern anchored for JSON Schema / OpenAPI and for msgspec: ``^(?:...)$(?!\\n)``.

    In ECMA-262 (JSON Schema) ``$`` is the end of the text and the lookahead is always true; in
    Python (msgspec searches with :mod:`re`) ``$`` also matches before a final newline, which the
    lookahead refuses. Both read the pattern as "the whole text matches"."""
    return f"^(?:{PATTERNS[name]})$(?!\\n)"


def parse_uint(text: object, *, limit: int = 2**63 - 1) -> int | None:
    """A decimal ASCII integer in ``0..limit``, or None (no sign, spaces, leading zeros,
    underscores or digits of other scripts, all of which ``int()`` would accept)."""
    if not isinstance(text, str) or not matches("uint", text):
        return None
    value = int(text)
    return value if value <= limit else None


def ascii_int(text: str) -> int:
    """An argparse ``type`` for whole numbers given on a command line: ASCII digits with an
    optional leading '-', no spaces, underscores or other scripts' digits (ValueError)."""
    negative = text.startswith("-")
    value = parse_uint(text[1:] if negative else text)
    if value is None:
        raise ValueError(f"{text!r} is not a whole number in ASCII digits")
    return -value if negative else value


# --- free text ------------------------------------------------------------------------------

# Characters refused in every text even though Unicode calls some of them "format" rather than
# "control": bidi embeddings, overrides and isolates, zero-width characters, the BOM, the line
# and paragraph separators, soft hyphen, and the invisible operators.
_INVISIBLE = frozenset(
    "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """What is wrong with a free text, or None: ``"control"``, ``"invisible"``, ``"unassigned"``
    or ``"not_nfc"`` (see the module's docstring)."""
    # the common case at C speed: a printable text has no character of the categories below
    # (nor a line break, tab or separator), and every character refused by name is of them
    if value.isprintable() and _INVISIBLE.isdisjoint(value) and unicodedata.is_normalized("NFC", value):
        return None
    for ch in value:
        if ch in _INVISIBLE:
            return "invisible"
        category = unicodedata.category(ch)
        if category == "Cc":
            if multiline and ch in "\n\t":
                continue
            return "control"
        if category in ("Cf", "Cs", "Co", "Cn"):
            return "invisible" if category == "Cf" else "unassigned"
    if not unicodedata.is_normalized("NFC", value):
        return "not_nfc"
    return None


TEXT_PROBLEMS: dict[str, tuple[str, str]] = {
    "control": ("it contains control characters", "含有控制字符"),
    "control_line": ("it contains control characters or line breaks", "含有控制字符或换行"),
    "invisible": (
        "it contains invisible formatting characters (bidi controls, zero-width characters or a BOM)",
        "含有不可见的格式字符（双向控制符、零宽字符或 BOM）",
    ),
    "unassigned": ("it contains unassigned, private-use or surrogate code points", "含有未分配、私用或代理码位"),
    "not_nfc": ("it is not in Unicode normalisation form NFC", "不是 Unicode NFC 规范化形式"),
}


def is_clean_text(value: object, *, multiline: bool = False) -> bool:
    return isinstance(value, str) and text_problem(value, multiline=multiline) is None


__all__ = [
    "PATTERNS",
    "TEXT_PROBLEMS",
    "ascii_int",
    "is_clean_text",
    "matches",
    "parse_uint",
    "pattern",
    "schema_pattern",
    "text_problem",
]
