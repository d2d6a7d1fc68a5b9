"""Canonical bytes (RFC 8785 JSON Canonicalization Scheme) and RFC 3339 times.

Everything the log signs or hashes goes through :func:`canonical_bytes`; nothing else in the
code base serialises protocol objects. Parsing is strict: :func:`parse_canonical` accepts
bytes only if re-encoding them gives the same bytes, so one value has exactly one encoding.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import rfc8785

from .errors import LedgerError
from .grammar import pattern

MAX_DEPTH = 16


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
        return -MAX_SAFE_INT <= value <= MAX_SAFE_INT
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


def _loads(raw: bytes | str) -> Any:
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise LedgerError("malformed_json", detail=str(exc)) from exc


def parse_json(raw: bytes | str) -> Any:
    """Parse JSON strictly: no duplicate keys, no NaN/Infinity, UTF-8 only, bounded nesting."""
    value = _loads(raw)
    _inspect(value, 0)
    return value


def parse_canonical(raw: bytes) -> Any:
    """Parse bytes that must already be in RFC 8785 canonical form."""
    value = _loads(raw)
    if _encode(value, _inspect(value, 0)) != raw:
        raise LedgerError("body_not_canonical")
    return value


# --- times ----------------------------------------------------------------------------------

_TIME_RE = pattern("time")


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with ``Z`` and millisecond precision: ``2026-11-27T18:26:49.123Z``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give a timezone")
    moment = moment.astimezone(timezone.utc)
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
    moment = datetime.now(timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
