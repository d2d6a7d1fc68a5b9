"""Protections around the handlers: security headers, strict media types and body limits on
writes, a rate limit per client address on writes, and bearer tokens for regulator reads.

The write protections are guards: Litestar runs them before it reads the request body."""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.handlers import BaseRouteHandler
from litestar.routes import HTTPRoute
from litestar.types import Message, Scope

from api.config import ApiSettings
from api.problems import NOT_AUTHENTICATED, RATE_LIMITED, REQUEST_TOO_LARGE, TOKEN_SCOPE_MISSING, UNSUPPORTED_MEDIA_TYPE
from api.tokens import check_token
from ledger.errors import LedgerError

log = logging.getLogger(__name__)

# --- security headers -----------------------------------------------------------------------

CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
# The rendered OpenAPI page (Swagger UI): its script and styles come from the app itself
# (/schema/assets, api.openapi); the page starts Swagger UI with an inline script and style.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'"
)
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


_SECURITY_HEADERS_RAW = tuple(
    (name.encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS.items()
)
_CSP_RAW, _DOCS_CSP_RAW = CSP.encode("latin-1"), DOCS_CSP.encode("latin-1")


async def add_security_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: on every response (errors and unknown paths included), set the
    security headers a handler did not set itself (the public site may set a stricter CSP).
    Works on the raw header list: it runs for every response."""
    if message["type"] != "http.response.start":
        return
    headers = message.get("headers")
    if not isinstance(headers, list):
        headers = message["headers"] = list(headers or ())  # type: ignore[typeddict-unknown-key]
    present = {bytes(name).lower() for name, _ in headers}
    for name, value in _SECURITY_HEADERS_RAW:
        if name not in present:
            headers.append((name, value))
    if b"content-security-policy" not in present:
        path = scope.get("path", "")
        headers.append(
            (
                b"content-security-policy",
                _DOCS_CSP_RAW if path == "/schema" or path.startswith("/schema/") else _CSP_RAW,
            )
        )


class OptionsAllowFix:
    """``before_send`` hook: the automatic OPTIONS answer lists every method of the path.

    Litestar 2 answers OPTIONS with the methods of the first handler registered for a path only
    (litestar-org/litestar#4169, fixed in 3.0); this sets the Allow header from the app's routes.
    """

    def __init__(self) -> None:
        self.allow: dict[str, str] = {}

    def learn(self, app: Any) -> None:
        self.allow = {r.path: ", ".join(sorted(r.methods)) for r in app.routes if isinstance(r, HTTPRoute)}

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
            return
        handler = scope.get("route_handler")
        for path in getattr(handler, "paths", ()):
            if path in self.allow:
                MutableScopeHeaders.from_message(message)["allow"] = self.allow[path]
                return


# --- media types ----------------------------------------------------------------------------


def media_type_check(*accepted: str) -> Callable[[ASGIConnection, BaseRouteHandler], None]:
    """A check: the request body must be one of ``accepted`` (parameters such as charset=utf-8
    are allowed; another charset is not); anything else is a 415 problem."""

    def check(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        raw = connection.headers.get("content-type")
        got = (raw or "").split(";")[0].strip().lower()
        charset_ok = True
        if raw and ";" in raw:
            for param in raw.split(";")[1:]:
                key, _, value = param.strip().partition("=")
                if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
                    charset_ok = False
        if got not in accepted or not charset_ok:
            raise LedgerError(UNSUPPORTED_MEDIA_TYPE, expected=" or ".join(accepted), got=raw or "no Content-Type")

    return check


def require_media_type(*accepted: str) -> Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]:
    """A guard made of :func:`media_type_check`. Guards are coroutines: Litestar runs a plain
    function guard in a worker thread, a thread round trip per guard and request."""
    check = media_type_check(*accepted)

    async def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        check(connection, handler)

    return guard


# --- rate limit -----------------------------------------------------------------------------


class RateLimiter:
    """Writes per client address, counted where every API process sees the same count.

    At most ``burst`` writes in any moving window of ``burst / rate`` seconds (so ``rate`` per
    second in the long run), counted by the ``limits`` library in the store the settings name:
    ``memory://`` (this process only: one worker) or ``redis://…`` (shared by every worker and
    machine, so N processes do not allow N times the rate). A refused write answers 429 with
    Retry-After; addresses in the settings' exempt networks are never limited. When the shared
    store cannot be reached the write goes through and the failure is logged: the limit protects
    the service, it must not take writes down with it.
    """

    def __init__(self, settings: ApiSettings, namespace: str = "charity-ledger-writes") -> None:
        self.settings = settings
        self.namespace = namespace  # one count per address and namespace (writes, report requests)
        self.enabled = settings.write_rate > 0
        burst = max(1, settings.write_burst)
        window = max(1, math.ceil(burst / settings.write_rate)) if self.enabled else 1
        self.item = RateLimitItemPerSecond(burst, window)
        self.limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_store))
        self._exempt = functools.lru_cache(maxsize=4096)(settings.is_exempt)  # an address parsed once

    def counts_without_io(self, host: str) -> bool:
        """Whether :meth:`check` of ``host`` returns without touching a shared store."""
        return not self.enabled or self._exempt(host) or self.settings.rate_limit_store.startswith("memory")

    def check(self, host: str) -> None:
        if not self.enabled or self._exempt(host):
            return
        try:
            allowed = self.limiter.hit(self.item, self.namespace, host)
            if allowed:
                return
            reset = self.limiter.get_window_stats(self.item, self.namespace, host).reset_time
        except Exception:  # the shared store is down: log it, let the write through
            log.warning(
                "rate limit store %s unreachable; write from %s not counted",
                self.settings.rate_limit_store,
                host,
                exc_info=True,
            )
            return
        retry = max(1, math.ceil(reset - time.time()))
        err = LedgerError(RATE_LIMITED, client=host, retry_after=retry)
        err.headers = {"Retry-After": str(retry)}  # type: ignore[attr-defined]
        raise err


def app_limiter(state: Any, name: str, namespace: str, rate: float, burst: int) -> RateLimiter:
    """A limiter with a count of its own (``namespace``: sign-ins, certificates) on the store
    the app's settings name, at ``rate`` a second after ``burst``; made once per app and kept
    in ``state[name]``."""
    limiter = state.get(name)
    if limiter is None:
        base = state.get("api_settings") or ApiSettings()
        settings = dataclasses.replace(base, write_rate=rate, write_burst=burst)
        limiter = state[name] = RateLimiter(settings, namespace=namespace)
    return limiter


async def rate_limit(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A guard for write handlers: one token of the client address's bucket per request,
    taken before the body is read. Counted on the event loop when that cannot block (no
    limit, an exempt address, the in-process store), else in a worker thread."""
    client = connection.client
    host = client.host if client else "unknown"
    limiter: RateLimiter = connection.app.state.rate_limiter
    if limiter.counts_without_io(host):
        limiter.check(host)
    else:
        await anyio.to_thread.run_sync(limiter.check, host)


def write_checks(media_type: str, setting: str) -> Callable[[ASGIConnection], Awaitable[None]]:
    """:func:`rate_limit`, :func:`require_media_type` and :func:`body_limit` in that order, as a
    route's ``before_request`` hook: it runs, like a guard, before the body is read, and its
    errors are answered alike. (Litestar copies the whole route handler for every guard it
    runs, which cost more than the checks themselves on the busiest write route.)"""
    media = media_type_check(media_type)
    size = body_limit(setting)

    async def before_request(connection: ASGIConnection) -> None:
        handler = connection.route_handler
        await rate_limit(connection, handler)
        media(connection, handler)
        await size(connection, handler)

    return before_request


def body_limit(setting: str) -> Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]:
    """A guard: a declared Content-Length above the ``setting`` of ApiSettings is a 413 before
    anything is read. (Bodies without Content-Length are cut at the app-wide limit, the
    largest of these, and entries are also bounded by the log's own limit.)"""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        limit = getattr(connection.app.state.api_settings, setting)
        declared = connection.headers.get("content-length")
        text = declared.strip() if declared is not None else ""
        # ASCII digits only ('²' or '١٢' are not sizes); more than 19 digits is beyond any limit
        if text.isascii() and text.isdigit() and (len(text) > 19 or int(text) > limit):
            raise LedgerError(REQUEST_TOO_LARGE, limit=limit)

    return guard


# --- bearer tokens --------------------------------------------------------------------------


def require_scope(scope: str) -> Callable[[ASGIConnection, BaseRouteHandler], Any]:
    """A guard: a live bearer token with ``scope`` (401 without one, 403 with the wrong scope)."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        header = connection.headers.get("authorization", "")
        kind, _, token = header.partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            raise _unauthenticated(scope, "no bearer token was sent", "请求未携带访问令牌")
        ledger = connection.app.state.ledger
        info = await anyio.to_thread.run_sync(check_token, ledger.engine, token.strip())
        if info is None:
            raise _unauthenticated(scope, "the token is unknown or revoked", "令牌无效或已被吊销")
        if not info.has(scope):
            raise LedgerError(TOKEN_SCOPE_MISSING, name=info.name, scope=scope)
        connection.state.token = info

    return guard


def _unauthenticated(scope: str, detail: str, detail_zh: str) -> LedgerError:
    err = LedgerError(NOT_AUTHENTICATED, scope=scope, detail=detail, detail_zh=detail_zh)
    err.headers = {"WWW-Authenticate": f'Bearer realm="charity-ledger", scope="{scope}"'}  # type: ignore[attr-defined]
    return err
