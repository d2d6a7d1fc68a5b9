"""Cursor pagination: ``?limit=&cursor=`` in, ``{"items", "next_cursor"}`` out.

A cursor is the base64url (no padding) of the JSON list of the last item's sort key, e.g.
``[41]`` for a list in seq order or ``["P-ELDER-2026"]`` for projects. Clients treat it as
opaque; the server checks its shape, so a cursor of another list is a 400
(``cursor_invalid``), never a wrong page. A page shorter than ``limit`` may still be followed
by more items: only ``next_cursor: null`` means the end.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Annotated, Any

from litestar.openapi.spec import Example
from litestar.params import QueryParameter

from api.config import PAGE_DEFAULT, PAGE_MAX
from api.problems import CURSOR_INVALID
from ledger.errors import LedgerError

MAX_CURSOR = 512

Limit = Annotated[
    int,
    QueryParameter(
        ge=1, le=PAGE_MAX, description=f"Items per page (at most {PAGE_MAX}).", examples=[Example(value=50)]
    ),
]
Cursor = Annotated[
    str | None,
    QueryParameter(
        max_length=MAX_CURSOR,
        description="The next_cursor of the previous page; omit for the first page.",
        examples=[Example(value="WzQxXQ")],
    ),
]


def encode_cursor(key: Sequence[Any]) -> str:
    raw = json.dumps(list(key), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str | None, *types: type) -> list[Any] | None:
    """The key in ``cursor`` (None for the first page); its items must have ``types``."""
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
    except (ValueError, UnicodeError, binascii.Error):
        raise LedgerError(CURSOR_INVALID) from None
    if not isinstance(value, list) or len(value) != len(types):
        raise LedgerError(CURSOR_INVALID)
    for item, kind in zip(value, types, strict=True):
        if type(item) is not kind or (kind is int and not 0 <= item < 2**63):
            raise LedgerError(CURSOR_INVALID)
        if kind is str and (len(item) > 200 or any(ch < " " for ch in item)):
            raise LedgerError(CURSOR_INVALID)
    return value


def page(items: list[Any], rows_fetched: int, limit: int, last_key: Sequence[Any] | None) -> dict[str, Any]:
    """A page body: ``next_cursor`` is set when ``limit + 1`` rows were fetched."""
    more = rows_fetched > limit
    return {"items": items, "next_cursor": encode_cursor(last_key) if more and last_key is not None else None}


DEFAULT_LIMIT = PAGE_DEFAULT
