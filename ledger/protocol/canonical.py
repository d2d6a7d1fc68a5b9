"""Canonical bytes (RFC 8785 JSON Canonicalization Scheme) and RFC 3339 times.

Everything the log signs or hashes goes through :func:`canonical_bytes`; nothing else in the
code base serialises protocol objects. Parsing is strict: :func:`parse_canonical` accepts
bytes only if re-encoding them gives the same bytes, so one value has exactly one encoding.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import rfc8785

from ledger.errors import LedgerError
from ledger.protocol.grammar import pattern

MAX_DEPTH = 16
# How deep any JSON text may nest before it is decoded at all: decoders recurse, so a text of
# a million "[" would exhaust the stack. Far above MAX_DEPTH (a protocol value plus the
# envelopes of a request); :func:`check_depth` enforces it on the raw bytes.
MAX_JSON_DEPTH = 64

MAX_SAFE_INT = 2**53 - 1


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 canonical UTF-8 bytes of a JSON value (dict, list, str, int, bool, None).

    For values without floats, with integers inside the IEEE-754 safe range and with keys
    that sort the same by UTF-16 code units as by code points (no key characters above
    U+FFFF), RFC 8785 output is exactly ``json.dumps(sort_keys=True, ensure_ascii=False)`` with
    compact separators, which runs in C; anything else goes to the reference implementation.
    A property test checks the two agree.
    """
    return _encode(value, _inspect(value, 0))


def _encode(value: Any, plain: bool) -> bytes:
    if plain:
        try:
            return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
        except UnicodeEncodeError as exc:  # lone surrogates are not JSON text
            raise LedgerError("body_invalid", detail="text holds an unpaired surrogate") from exc
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise LedgerError("body_invalid", detail=f"cannot canonicalise: {exc}") from exc


def _inspect(value: Any, level: int) -> bool:
    """One walk over a JSON value: refuses nesting deeper than MAX_DEPTH, and tells whether
    the fast encoder gives RFC 8785 bytes for it."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(-MAX_SAFE_INT <= value <= MAX_SAFE_INT)
    if kind is dict or kind is list:
        if level >= MAX_DEPTH:
            raise LedgerError("body_invalid", detail=f"nested deeper than {MAX_DEPTH} levels")
        plain = True
        if kind is dict:
            for key, item in value.items():
                if type(key) is not str or (not key.isascii() and any(ord(c) > 0xFFFF for c in key)):
                    plain = False
                if not _inspect(item, level + 1):
                    plain = False
        else:
            for item in value:
                if not _inspect(item, level + 1):
                    plain = False
        return plain
    return False


def encodes_plainly(value: Any, level: int = 0) -> bool:
    """Whether :func:`canonical_bytes` gives the standard library encoder's bytes for
    ``value`` found at nesting ``level`` of a larger value (see :func:`_inspect`); LedgerError
    when the value nests deeper than MAX_DEPTH there."""
    if type(value) is not dict or level >= MAX_DEPTH:
        return _inspect(value, level)
    # an object of strings, booleans, nulls and integers (no deeper value to walk): one loop
    for key, item in value.items():
        kind = type(item)
        if not (kind is str or kind is bool or item is None or (kind is int and -MAX_SAFE_INT <= item <= MAX_SAFE_INT)):
            return _inspect(value, level)
        if type(key) is not str or (not key.isascii() and any(ord(c) > 0xFFFF for c in key)):
            return _inspect(value, level)
    return True


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for json.loads: a JSON object with a repeated key is refused."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
# every byte but brackets goes; "{" and "}" count as "[" and "]" (which closes which is the
# decoder's business, not the depth's)
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_RUN = re.compile(rb"\[+|\]+")
_CHEAP_PASSES = 10  # passes (in C) cost less than walking the runs (in Python) up to about here


def json_depth_exceeds(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text ``raw`` nests arrays and objects deeper than ``limit``, found
    without decoding it (so without recursion) in time linear in its length.

    Escapes and then strings are cut out (brackets inside strings do not nest) and everything
    but brackets is dropped. A pass removes the innermost empty pairs, one level of nesting
    (flat lists vanish in the first); after the first ten, passes go on only while they
    shrink the text by a quarter, then one walk over the runs of brackets adds the depth that remains."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", _ESCAPE.sub(b"", data)).translate(_BRACKETS, _NOT_BRACKET)
    passes = 0
    while brackets and passes <= limit:
        reduced = brackets.replace(b"[]", b"")
        if len(reduced) == len(brackets) or (passes >= _CHEAP_PASSES and len(reduced) > len(brackets) * 3 // 4):
            break
        brackets, passes = reduced, passes + 1
    depth = deepest = passes
    for run in _RUN.finditer(brackets):
        width = run.end() - run.start()
        depth += width if brackets[run.start()] == 0x5B else -width
        deepest = max(deepest, depth)
        if deepest > limit:
            return True
    return deepest > limit


def check_depth(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse (``json_too_deep``) a JSON text nested deeper than ``limit``, before decoding it."""
    if json_depth_exceeds(raw, limit):
        raise LedgerError("json_too_deep", limit=limit)


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


_SURROGATE_ESCAPE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"  # a pair
    rb"|(\\u[dD][89a-fA-F][0-9a-fA-F]{2})"  # half of one
)


def _lone_surrogate(data: bytes) -> bytes | None:
    """The first ``\\uD800``-``\\uDFFF`` escape of ``data`` that is not half of a pair (such a
    string is not Unicode text: it cannot be stored, hashed or shown), or None."""
    if b"\\ud" not in data and b"\\uD" not in data:
        return None
    for match in _SURROGATE_ESCAPE.finditer(data.replace(b"\\\\", b"")):
        if match.group(1):
            return match.group(1)
    return None


def loads_strict(raw: bytes | str) -> Any:
    """Decode any JSON text strictly (what every request body goes through): nesting checked
    on the text first, then no duplicate keys, no NaN/Infinity nor numbers beyond them, UTF-8
    only, no unpaired surrogate escapes. Unlike :func:`parse_json` it sets no limit of the
    protocol on the value."""
    check_depth(raw)
    lone = _lone_surrogate(raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass"))
    if lone is not None:
        raise LedgerError("malformed_json", detail=f"{lone.decode('ascii')} is half of a surrogate pair")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=_reject_constant, parse_float=_finite)
    except RecursionError as exc:  # check_depth keeps this from happening; a decoder's limit is still ours
        raise LedgerError("json_too_deep", limit=MAX_JSON_DEPTH) from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise LedgerError("malformed_json", detail=str(exc)[:200]) from exc


def parse_json(raw: bytes | str) -> Any:
    """Parse JSON strictly: no duplicate keys, no NaN/Infinity (nor numbers beyond them, like
    1e400), UTF-8 only, bounded nesting (checked before decoding)."""
    value = loads_strict(raw)
    _inspect(value, 0)
    return value


def json_value(value: Any) -> Any:
    """A value :func:`loads_strict` decoded, held to the limits :func:`parse_json` sets."""
    _inspect(value, 0)
    return value


def parse_canonical(raw: bytes) -> Any:
    """Parse bytes that must already be in RFC 8785 canonical form.

    Bytes that are canonical are accepted on a fast path: decoded by the C decoder alone and
    encoded again to the same bytes. That equality already proves every strict check: a
    repeated key, NaN, a float, a number beyond the safe range, nesting beyond MAX_DEPTH or an
    unpaired surrogate each makes the encoding fail or differ. Anything else takes the strict
    path, which names what is wrong."""
    if not json_depth_exceeds(raw):
        try:
            value = json.loads(raw)
            if _inspect(value, 0) and _encode(value, True) == raw:
                return value
        except (LedgerError, RecursionError, UnicodeDecodeError, ValueError):
            pass
    value = loads_strict(raw)
    if _encode(value, _inspect(value, 0)) != raw:
        raise LedgerError("body_not_canonical")
    return value


# --- times ----------------------------------------------------------------------------------

_TIME_RE = pattern("time")


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with ``Z`` and millisecond precision: ``2026-11-27T18:26:49.123Z``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give a timezone")
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(text: str) -> datetime:
    """Parse a protocol time; only the exact form :func:`format_time` writes is accepted."""
    if not isinstance(text, str) or not _TIME_RE.fullmatch(text):
        shown = str(text)[:40]
        raise LedgerError("body_invalid", detail=f"time {shown!r} is not RFC 3339 UTC like 2026-01-31T08:00:00.000Z")
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise LedgerError("body_invalid", detail=f"time {text!r}: {exc}") from exc


def now() -> datetime:
    """The current time truncated to milliseconds (what the protocol can represent)."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
