"""The one reader of request bodies: every failure to read or decode one is a typed 4xx.

``create_app`` makes :class:`LedgerRequest` the app's request class, so Litestar's own body
parsing (``data:`` parameters, forms of the site) and the handlers that read ``request.body()``
all go through it:

- a ``Content-Encoding`` other than ``identity``: 415 ``content_encoding_unsupported`` (bodies
  are read as they are sent; a gzip-claimed body is not unpacked, nor taken for JSON);
- a ``Content-Length`` that is not a number, or a client gone before its body arrived: 400
  ``request_unreadable``;
- JSON nested deeper than :data:`ledger.canonical.MAX_JSON_DEPTH`: 400 ``json_too_deep``,
  found on the raw bytes before any decoder recurses into them;
- JSON that does not decode strictly (:func:`ledger.canonical.loads_strict`: invalid UTF-8,
  UTF-16, a byte order mark, duplicate keys, ``NaN``, ``1e400``, truncated text): 400
  ``malformed_json``. The same reading for every body, so no handler sees a value that a
  stricter one would refuse.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import ClientException, InternalServerException
from litestar.types import Empty

from ledger.canonical import loads_strict
from ledger.errors import LedgerError

from .problems import CONTENT_ENCODING_UNSUPPORTED, REQUEST_UNREADABLE

IDENTITY = ("", "identity")


class LedgerRequest(Request[Any, Any, Any]):
    """Litestar's request with a body reader that fails only with typed errors."""

    async def body(self) -> bytes:
        encoding = self.headers.get("content-encoding", "").strip().lower()
        if encoding not in IDENTITY:
            raise LedgerError(CONTENT_ENCODING_UNSUPPORTED, encoding=encoding[:40])
        try:
            return await super().body()
        except ClientException as exc:
            if exc.status_code != 400:  # 413 and its kin keep their own problems
                raise
            raise LedgerError(
                REQUEST_UNREADABLE,
                detail="the Content-Length header is not a number",
                detail_zh="Content-Length 头不是数字",
            ) from exc
        except InternalServerException as exc:  # Litestar's word for a client that left mid-body
            raise LedgerError(
                REQUEST_UNREADABLE, detail="the body ended before it was complete", detail_zh="请求内容不完整"
            ) from exc

    async def json(self) -> Any:
        if self._json is Empty and self._connection_state.json is Empty:
            body = await self.body()
            value = loads_strict(body) if body else None  # no body: Litestar's "missing data"
            self._json = self._connection_state.json = value
        return await super().json()
