"""PostgreSQL arrays of a batch's column values, encoded once in the binary wire format.

A batch's rows go to PostgreSQL as one array per column, unnested into rows
(:mod:`ledger.store.fastsql`). psycopg dumps a list to a binary array in Python, one call per
element (about a microsecond each, tens per appended entry); :func:`encode` writes the same
bytes (``array_recv``'s format: dimensions, the element type, then each element's length and
binary value, -1 for NULL) in a tight loop. Anything unusual — a value not exactly of the
column's Python type, a number out of the column's range, text with NUL or that UTF-8 cannot
encode — returns None, and the caller hands psycopg the plain list as before, so the server
answers such a value exactly as it did (the same error, or the same conversion).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import Format

_HEAD = struct.Struct(">iiIii")  # ndim 1, has-null flag, element type, length, lower bound 1
_LENGTH = struct.Struct(">i").pack
_NULL = _LENGTH(-1)


class Encoded:
    """A column already in binary array form; the subclass names the array type."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data


class _EncodedDumper(Dumper):
    format = Format.BINARY

    def dump(self, obj: Any) -> bytes:
        data: bytes = obj.data
        return data


_NONE = type(None)


def _types(values: Sequence[Any], wanted: type) -> bool:
    """Whether some value is None; ValueError when one is neither None nor exactly ``wanted``."""
    types = set(map(type, values))
    if not types <= {wanted, _NONE}:
        raise ValueError
    return _NONE in types


def _text(values: Sequence[Any], parts: list[bytes]) -> bool:
    has_null = _types(values, str)
    if "\x00" in "".join(filter(None, values)):
        raise ValueError
    # str.encode raises UnicodeEncodeError (a ValueError) on an unpaired surrogate
    parts.extend([_NULL if v is None else _LENGTH(len(e := v.encode())) + e for v in values])
    return has_null


def _bytes(values: Sequence[Any], parts: list[bytes]) -> bool:
    has_null = _types(values, bytes)
    parts.extend([_NULL if v is None else _LENGTH(len(v)) + v for v in values])
    return has_null


def _fixed(code: str, wanted: type) -> Callable[[Sequence[Any], list[bytes]], bool]:
    one = struct.Struct(">i" + code)
    width = one.size - 4
    pack = one.pack

    def encode_all(values: Sequence[Any], parts: list[bytes]) -> bool:
        has_null = _types(values, wanted)
        parts.extend([_NULL if v is None else pack(width, v) for v in values])  # struct.error: out of range
        return has_null

    return encode_all


def _kind(name: str, element_oid: int, array_oid: int, elements: Any) -> tuple[type[Encoded], int, Any]:
    wrapper = type(f"Encoded{name}", (Encoded,), {"__slots__": ()})
    psycopg.adapters.register_dumper(wrapper, type(f"Encoded{name}Dumper", (_EncodedDumper,), {"oid": array_oid}))
    return wrapper, element_oid, elements


# the array types of the columns the append path writes (fastsql.array_type), by name
_KINDS = {
    "VARCHAR[]": _kind("Varchar", 1043, 1015, _text),
    "TEXT[]": _kind("Text", 25, 1009, _text),
    "BYTEA[]": _kind("Bytea", 17, 1001, _bytes),
    "BIGINT[]": _kind("Bigint", 20, 1016, _fixed("q", int)),
    "INTEGER[]": _kind("Integer", 23, 1007, _fixed("i", int)),
    "SMALLINT[]": _kind("Smallint", 21, 1005, _fixed("h", int)),
    "BOOLEAN[]": _kind("Boolean", 16, 1000, _fixed("?", bool)),
}


def encode(array_type: str, values: Sequence[Any]) -> Encoded | None:
    """``values`` as a binary PostgreSQL array of ``array_type`` (``VARCHAR[]``, ``BIGINT[]``…),
    or None when this module does not encode that type or one of the values (see above)."""
    kind = _KINDS.get(array_type)
    if kind is None or not values:
        return None
    wrapper, element_oid, elements = kind
    parts = [b""]
    try:
        has_null = elements(values, parts)
    except (ValueError, struct.error):
        return None
    parts[0] = _HEAD.pack(1, 1 if has_null else 0, element_oid, len(values), 1)
    return wrapper(b"".join(parts))
