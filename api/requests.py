"""The one reader of request bodies: every failure to read or decode one is a typed 4xx.

``create_app`` makes :class:`LedgerRequest` the app's request class, so Litestar's own body
parsing (``data:`` parameters, forms of the site) and the handlers that read ``request.body()``
all go through it:

- a ``Content-Encoding`` other than ``identity``: 415 ``content_encoding_unsupported`` (bodies
  are read as they are sent; a gzip-claimed body is not unpacked, nor taken for JSON);
- a ``Content-Length`` that is not a number, or a client gone before its body arrived: 400
  ``request_unreadable``;
- a body read as JSON whose ``Content-Type`` is not ``application/json`` (UTF-8): 415
  ``unsupported_media_type`` (the write routes check this in a guard before reading; this
  covers every other route with a JSON body);
- JSON nested deeper than :data:`ledger.protocol.canonical.MAX_JSON_DEPTH`: 400 ``json_too_deep``,
  found on the raw bytes before any decoder recurses into them;
- JSON that does not decode strictly (:func:`ledger.protocol.canonical.loads_strict`: invalid UTF-8,
  UTF-16, a byte order mark, duplicate keys, ``NaN``, ``1e400``, truncated text): 400
  ``malformed_json``. The same reading for every body, so no handler sees a value that a
  stricter one would refuse.

:func:`host_guard` wraps the whole app: a ``Host`` header that is no host (a port beyond 65535,
bytes outside the URL grammar) is answered 400 ``request_unreadable`` before anything parses
the request's URL from it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from html import escape
from typing import Any

from litestar import Request
from litestar.exceptions import ClientException, InternalServerException
from litestar.types import Empty

from api.problems import CONTENT_ENCODING_UNSUPPORTED, PROBLEM_MEDIA_TYPE, REQUEST_UNREADABLE, is_api_path, problem_body
from api.security import media_type_check
from ledger.errors import LedgerError
from ledger.protocol.canonical import loads_strict

IDENTITY = ("", "identity")
_JSON_ONLY = media_type_check("application/json")


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
            _JSON_ONLY(self, self.route_handler)  # a body read as JSON must say it is JSON
            body = await self.body()
            value = loads_strict(body) if body else None  # no body: Litestar's "missing data"
            self._json = self._connection_state.json = value
        return await super().json()


# --- the Host header --------------------------------------------------------------------------

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

# RFC 3986 host (reg-name, IPv4 or a bracketed IPv6 literal) and an optional port
_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]*)(?::(?P<port>[0-9]{0,5}))?")


def host_is_valid(value: bytes) -> bool:
    match = _HOST.fullmatch(value.decode("latin-1"))
    if match is None:
        return False
    port = match.group("port")
    return not port or int(port) <= 65535


def host_guard(app: ASGIApp) -> ASGIApp:
    """Wrap an ASGI app: requests whose ``Host`` header is no host get a 400 (problem JSON on
    the API's paths, a small page in both languages elsewhere); the rest pass untouched."""

    async def guarded(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            hosts = [v for k, v in scope.get("headers") or () if k.lower() == b"host"]
            if len(hosts) > 1 or (hosts and not host_is_valid(hosts[0])):
                await _refuse_host(scope, send)
                return
        await app(scope, receive, send)

    return guarded


async def _refuse_host(scope: Scope, send: Any) -> None:
    err = LedgerError(
        REQUEST_UNREADABLE, detail="the Host header is not a host name", detail_zh="Host 头不是有效的主机名"
    )
    path = scope.get("path", "")
    if is_api_path(path):
        body = json.dumps(problem_body(err, status=400, instance=""), ensure_ascii=False).encode("utf-8")
        media = PROBLEM_MEDIA_TYPE
    else:
        body = (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>400</title></head><body>'
            f'<h1>400</h1><p>{escape(err.message_zh)}</p><p lang="en">{escape(err.message_en)}</p>'
            f"<p><code>{err.code}</code></p></body></html>"
        ).encode()
        media = "text/html; charset=utf-8"
    headers = [
        (b"content-type", media.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"content-security-policy", b"default-src 'none'"),
        (b"x-content-type-options", b"nosniff"),
        (b"cache-control", b"no-store"),
    ]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else body})
