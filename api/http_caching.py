"""Conditional requests, HEAD and compression for every GET of the app (API, site, tiles).

An ASGI middleware around the whole app:

- **ETag** on every ``200`` answer to GET or HEAD that does not set one itself: a strong tag of
  the SHA-256 of the body as the handler made it (RFC 9110 section 8.8.3), with ``-gzip`` added
  for the compressed variant (a strong tag names one representation). A request whose
  ``If-None-Match`` names it gets ``304 Not Modified`` with no body. Answers marked
  ``no-store`` are left alone.
- **HEAD** on every GET route: the GET's status and headers, no body.
- **gzip** for text, JSON, NDJSON, JavaScript, SVG and XML bodies of 512 bytes or more when the
  client accepts it, with ``Vary: Accept-Encoding``. The compressed bytes are deterministic
  (no timestamp in the gzip header), so one body always has one tag.

A body is held in memory to hash it, up to :data:`MAX_BUFFERED` bytes; a longer (streamed)
answer passes through as it is. Tiles and report files set their own caching and are bytes
anyway; this never changes what a body says, only whether it is sent again.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BUFFERED = 4 * 1024 * 1024
MIN_COMPRESS = 512
COMPRESSIBLE = (
    "text/",
    "application/json",
    "application/problem+json",
    "application/x-ndjson",
    "application/javascript",
    "application/xml",
    "application/atom+xml",
    "image/svg+xml",
)


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _without(headers: list[tuple[bytes, bytes]], *names: bytes) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in headers if k.lower() not in names]


def _accepts_gzip(request_headers: list[tuple[bytes, bytes]]) -> bool:
    value = (_header(request_headers, b"accept-encoding") or b"").decode("latin-1").lower()
    for part in value.split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            q = params.strip()
            return not (q.startswith("q=") and q[2:].strip() in ("0", "0.0", "0.00", "0.000"))
    return False


def _matches(if_none_match: bytes | None, etag: str) -> bool:
    """RFC 9110 13.1.2: weak comparison of each listed tag, or ``*``."""
    if if_none_match is None:
        return False
    text = if_none_match.decode("latin-1").strip()
    if text == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in text.split(","))


def _compressible(headers: list[tuple[bytes, bytes]], body: bytes) -> bool:
    if len(body) < MIN_COMPRESS or _header(headers, b"content-encoding") is not None:
        return False
    media = (_header(headers, b"content-type") or b"").decode("latin-1").lower()
    return media.startswith(COMPRESSIBLE)


def _vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    current = _header(headers, b"vary")
    if current is not None and b"accept-encoding" in current.lower():
        return headers
    value = b"Accept-Encoding" if current is None else current + b", Accept-Encoding"
    return [*_without(headers, b"vary"), (b"vary", value)]


class HttpCaching:
    """The middleware (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        await self.app(scope, receive, _Responder(scope, send, head).send)


class _Responder:
    """Collects one answer, then sends it tagged, compressed, as a 304 or without a body."""

    def __init__(self, scope: Scope, send: Send, head: bool) -> None:
        self.request_headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or [])
        self.downstream = send
        self.head = head
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.passing = False  # too long, or not ours to touch: forwarded as it comes

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            headers = list(message.get("headers") or [])
            cache = (_header(headers, b"cache-control") or b"").lower()
            if message["status"] != 200 or b"no-store" in cache:
                self.passing = True
                await self.downstream(message)
            return
        if message["type"] != "http.response.body" or self.passing:
            await self._forward_body(message)
            return
        body = message.get("body", b"")
        self.chunks.append(body)
        self.size += len(body)
        if message.get("more_body", False):
            if self.size > MAX_BUFFERED:
                await self._give_up()
            return
        await self._finish(b"".join(self.chunks))

    async def _forward_body(self, message: Message) -> None:
        if self.head and message["type"] == "http.response.body":
            if not message.get("more_body", False):
                await self.downstream({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await self.downstream(message)

    async def _give_up(self) -> None:
        """A long streamed answer: send it on untouched."""
        self.passing = True
        await self.downstream(self._started())
        buffered = b"".join(self.chunks)
        self.chunks = []
        await self._forward_body({"type": "http.response.body", "body": buffered, "more_body": True})

    async def _finish(self, body: bytes) -> None:
        start = self._started()
        headers = list(start.get("headers") or [])
        etag = (_header(headers, b"etag") or b"").decode("latin-1")
        compress = _compressible(headers, body)
        if compress:
            headers = _vary(headers)
        if not etag:
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + ('-gzip"' if compress and self._gzip_ok() else '"')
            headers = [*headers, (b"etag", etag.encode("latin-1"))]
        if _matches(_header(self.request_headers, b"if-none-match"), etag):
            kept = _without(headers, b"content-length", b"content-type", b"content-encoding")
            await self.downstream({"type": "http.response.start", "status": 304, "headers": kept})
            await self.downstream({"type": "http.response.body", "body": b"", "more_body": False})
            return
        if compress and self._gzip_ok():
            body = gzip.compress(body, compresslevel=6, mtime=0)
            headers = [*_without(headers, b"content-length"), (b"content-encoding", b"gzip")]
        headers = [*_without(headers, b"content-length"), (b"content-length", str(len(body)).encode())]
        await self.downstream({**start, "headers": headers})
        await self.downstream({"type": "http.response.body", "body": b"" if self.head else body, "more_body": False})

    def _started(self) -> Message:
        if self.start is None:  # ASGI sends the start before any body
            raise RuntimeError("a response body came before its start")
        return self.start

    def _gzip_ok(self) -> bool:
        return _accepts_gzip(self.request_headers)


def http_caching(app: ASGIApp) -> ASGIApp:
    """Wrap an ASGI app (``create_app`` wraps the Litestar app's router with it)."""
    return HttpCaching(app)
