"""The sign-in layer: fills ``scope[SCOPE_KEY]`` from a server-side session, and guards the
workbench's forms against cross-site requests.

- The session cookie (``wb_session``; ``__Host-wb_session`` over https) holds 32 random bytes;
  the database keeps their SHA-256 (:mod:`ledger.store.accounts`). HttpOnly, SameSite=Strict,
  Secure unless the site is plain http on the machine itself (tests, a first local run).
- CSRF: every POST (PUT, PATCH, DELETE) under ``/workbench/`` must carry the session's form
  token, as the form field ``_csrf_token`` (templates write it with ``{{ csrf_input|safe }}``,
  Litestar's own name for it) or the header ``X-CSRF-Token``; before sign-in
  (the sign-in and invitation forms) the token is the ``wb_csrf`` cookie's (double submit).
  A request whose ``Origin`` names another site is refused whatever it carries. The public
  JSON API is not concerned: its writes are signed entries, not cookies. An account already in
  the scope when this middleware runs (tests put one there) carries no cookie, so no token is
  asked of it.
- Rate limit: sign-in attempts and invitation acceptances count per client address with the
  API's :class:`~api.security.RateLimiter` (the ``limits`` library, shared through the
  rate-limit store), besides the per-account lock-out.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

import anyio
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import PermissionDeniedException
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from ledger.domain import codes as C
from ledger.errors import LedgerError
from ledger.store import accounts as A
from public_site.workbench.session import SCOPE_KEY, Account

SESSION_COOKIE = "wb_session"
SECURE_SESSION_COOKIE = "__Host-wb_session"
PRE_CSRF_COOKIE = "wb_csrf"
CSRF_FIELD = "_csrf_token"
CSRF_HEADER = "x-csrf-token"
SCOPE_SESSION = "workbench_session"  # the SessionInfo (its csrf token, factors)
SCOPE_CSRF = "workbench_csrf"  # the form token pages put in their forms
SCOPE_PENDING = "workbench_pending"  # signed in with a password, the passkey still to come
PREFIX = "/workbench"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def account_of(record: A.AccountRecord, key_ids: tuple[str, ...] = ()) -> Account:
    return Account(
        id=record.id,
        login=record.login,
        display_name=record.display_name,
        organisation=record.organisation,
        roles=record.roles,
        key_ids=key_ids,
    )


def insecure_ok(scope: Scope) -> bool:
    """Plain http is accepted only for the machine itself (where browsers allow WebCrypto too)."""
    host = (dict(scope.get("headers") or []).get(b"host", b"") or b"").decode("latin-1")
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    return scope.get("scheme") == "http" and name in _LOOPBACK


def session_cookie_name(scope: Scope) -> str:
    return SESSION_COOKIE if insecure_ok(scope) else SECURE_SESSION_COOKIE


def session_cookie(scope: Scope, value: str, *, max_age: int | None = None) -> Cookie:
    secure = not insecure_ok(scope)
    return Cookie(
        key=SECURE_SESSION_COOKIE if secure else SESSION_COOKIE,
        value=value,
        path="/",
        secure=secure,
        httponly=True,
        samesite="strict",
        max_age=max_age,
    )


def _cookies(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in scope.get("headers") or []:
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                if key and key not in out:
                    out[key] = val
    return out


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _foreign_origin(scope: Scope) -> bool:
    """The browser says the request comes from another site: Fetch Metadata first (sent by
    every current browser), else an ``Origin`` naming another host. (Under this site's
    ``Referrer-Policy: no-referrer`` a browser may send ``Origin: null`` for its own forms; the
    token decides then.)"""
    fetch_site = _header(scope, b"sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = _header(scope, b"origin")
    if origin is None or origin == "null":
        return False
    host = _header(scope, b"host") or ""
    return urlsplit(origin).netloc.lower() != host.lower()


def client_of(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class WorkbenchAuthMiddleware:
    """ASGI middleware (the app's, so it runs before every route's guards)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # An account put in the scope before this middleware (by a test harness, or a future
        # non-cookie sign-in) is not an ambient credential: no cross-site request can carry it.
        injected = isinstance(scope.get(SCOPE_KEY), Account)  # type: ignore[misc]
        cookies = _cookies(scope)
        token = cookies.get(SECURE_SESSION_COOKIE) or cookies.get(SESSION_COOKIE)
        info = None
        ledger = getattr(scope["app"].state, "ledger", None) if "app" in scope else None
        if token and ledger is not None:
            info = await anyio.to_thread.run_sync(A.session, ledger.engine, token)
        if info is not None:
            if "pending" in info.factors:
                scope[SCOPE_PENDING] = info  # type: ignore[literal-required]
            else:
                scope[SCOPE_KEY] = account_of(info.account, info.key_ids)  # type: ignore[literal-required]
            scope[SCOPE_SESSION] = info  # type: ignore[literal-required]
        path = scope.get("path", "")
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        new_pre = None
        if info is not None:
            expected = info.csrf
        else:
            expected = cookies.get(PRE_CSRF_COOKIE) or ""
            if len(expected) < 32:
                expected = new_pre = secrets.token_urlsafe(32)
        scope[SCOPE_CSRF] = expected  # type: ignore[literal-required]
        # Litestar's templates render it as {{ csrf_input|safe }} (a hidden _csrf_token field)
        ScopeState.from_scope(scope).csrf_token = expected
        if scope.get("method") in UNSAFE and not (injected and info is None):
            if _foreign_origin(scope):
                raise PermissionDeniedException("This form came from another site. 该表单来自其他网站。")
            sent = _header(scope, CSRF_HEADER.encode())
            if sent is None:
                sent = await _form_token(scope, receive)
            if new_pre is not None or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
                raise LedgerError(C.CSRF_FAILED)
        if new_pre is None:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = Cookie(
                    key=PRE_CSRF_COOKIE,
                    value=new_pre,
                    path=PREFIX,
                    secure=not insecure_ok(scope),
                    httponly=True,
                    samesite="strict",
                )
                MutableScopeHeaders.from_message(message).add("set-cookie", cookie.to_header(header=""))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


async def _form_token(scope: Scope, receive: Receive) -> str | None:
    """The ``_csrf_token`` field of a form body (read through the app's request class, which
    keeps the body and form for the handler)."""
    request: Any = scope["litestar_app"].request_class(scope=scope, receive=receive)  # type: ignore[typeddict-item]
    media = request.content_type[0]
    if media not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return None
    form = await request.form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None
