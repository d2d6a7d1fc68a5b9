"""The workbench's account pages: sign-in and sign-out, accepting an invitation, people (invite,
roles), signing keys (made in the browser, enrolled by the organisation's admin in the admin's
own browser, revoked there), passkeys, machine tokens and the audit log.

Who is signed in comes from :mod:`public_site.workbench.auth` (the session middleware) through
:func:`~public_site.workbench.session.current_account`; pages protect themselves with
:func:`~public_site.workbench.session.require_roles`. A page asked for without a session
redirects to the sign-in page (:func:`public_site.views.error_page`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.params import Body, FromPath, JSONBody, Parameter
from litestar.response import Redirect, Template

from api.security import app_limiter
from api.tokens import create_token, list_tokens, revoke_token
from ledger.domain import codes as C
from ledger.domain.rows import KeyRow
from ledger.errors import LedgerError
from ledger.protocol.canonical import format_time, now
from ledger.store import accounts as A
from ledger.store.reads import chain
from ledger.store.runtime import Ledger
from public_site.templating import render, request_locale
from public_site.views import error_page
from public_site.workbench import passkeys as P
from public_site.workbench.auth import (
    SCOPE_PENDING,
    SCOPE_SESSION,
    client_of,
    session_cookie,
    session_cookie_name,
)
from public_site.workbench.session import ROLES, SCOPE_KEY, Account, current_account, require_roles

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
SIGNING_ROLES = ("org_admin", "fundraiser", "implementer", "overseer")  # roles a key may be granted for
TOKEN_SCOPES = ("regulator", "receipts", "overseer")
SIGN_IN_RATE = 10 / 60  # sign-in attempts per second and client address, in the long run
SIGN_IN_BURST = 10


def _error_text(request: Request, exc: LedgerError) -> str:
    locale, _ = request_locale(request)
    return exc.message_zh if locale == "zh_CN" else exc.message_en


def _sign_in_limit(request: Request) -> None:
    """Sign-in attempts per client address (the API's RateLimiter on its own count)."""
    limiter = app_limiter(
        request.app.state, "workbench_sign_in_limiter", "charity-ledger-sign-in", SIGN_IN_RATE, SIGN_IN_BURST
    )
    limiter.check(client_of(request.scope))


def _safe_next(target: Any) -> str:
    text = target if isinstance(target, str) else ""
    if text == "/workbench":
        return "/workbench/"
    if text.startswith("/workbench/") and not text.startswith("//") and "\\" not in text and len(text) < 500:
        return text
    return "/workbench/"


def _signed_in(
    request: Request, ledger: Ledger, account: A.AccountRecord, factors: set[str], target: str
) -> Response[Any]:
    token, _ = A.start_session(ledger.engine, account, factors, client=client_of(request.scope))
    response: Response[Any] = Redirect(path=target, status_code=303)
    response.set_cookie(session_cookie(request.scope, token, max_age=int(A.SESSION_FOR.total_seconds())))
    return response


def _me(request: Request) -> Account:
    account = current_account(request)
    if account is None:
        raise NotAuthorizedException("Sign in to the workbench first. 请先登录工作台。")
    return account


def _record(ledger: Ledger, account: Account) -> A.AccountRecord:
    record = A.get_account(ledger.engine, account.id)
    if record is None:
        raise NotAuthorizedException("Sign in to the workbench first. 请先登录工作台。")
    return record


def _log_keys(ledger: Ledger, key_ids: list[str]) -> dict[str, KeyRow]:
    """What the log says of these keys (granted, for which role, revoked)."""
    if not key_ids:
        return {}
    with ledger.engine.connect() as conn:
        return chain.keys_by_id(conn, key_ids)


def _may_manage(me: Account, target: A.AccountRecord) -> bool:
    return me.has("registrar") or (me.has("org_admin") and target.organisation == me.organisation)


class WorkbenchPages(Controller):
    path = "/workbench"
    include_in_schema = False
    signature_namespace = {"Ledger": Ledger}  # noqa: RUF012 (Litestar reads this class attribute)

    exception_handlers = {LedgerError: error_page, HTTPException: error_page, Exception: error_page}  # noqa: RUF012

    # --- home, sign-in, sign-out --------------------------------------------------------------

    @get(["/", ""], name="workbench:home", guards=[require_roles()], sync_to_thread=True)
    def home(self, request: Request, ledger: NamedDependency[Ledger]) -> Template:
        me = _me(request)
        keys = A.browser_keys(ledger.engine, account_id=me.id)
        status = _log_keys(ledger, [k.key_id for k in keys])
        return render(
            request,
            "workbench/home.html",
            title="工作台 Workbench",
            me=me,
            keys=keys,
            key_states=status,
            cache="no-store",
        )

    @get("/sign-in", name="workbench:sign-in", sync_to_thread=False)
    def sign_in_page(self, request: Request) -> Template:
        pending = request.scope.get(SCOPE_PENDING)  # type: ignore[misc]
        return render(
            request,
            "workbench/sign_in.html",
            title="登录 Sign in",
            next=_safe_next(request.query_params.get("next")),
            error=None,
            pending=pending is not None,
            cache="no-store",
        )

    @post("/sign-in", name="workbench:sign-in-post", sync_to_thread=True)
    def sign_in(self, request: Request, ledger: NamedDependency[Ledger], data: Form) -> Response[Any]:
        _sign_in_limit(request)
        target = _safe_next(data.get("next"))
        try:
            account = A.check_password_sign_in(
                ledger.engine,
                str(data.get("login", "")),
                str(data.get("password", "")),
                client=client_of(request.scope),
            )
        except LedgerError as exc:
            if exc.code not in (C.SIGN_IN_FAILED, C.ACCOUNT_LOCKED):
                raise
            status = 429 if exc.code == C.ACCOUNT_LOCKED else 401
            return render(
                request,
                "workbench/sign_in.html",
                status=status,
                title="登录 Sign in",
                next=target,
                error=_error_text(request, exc),
                pending=False,
                cache="no-store",
            )
        factors = {"password"}
        if A.passkeys(ledger.engine, account.id):  # a passkey is the second factor: asked next
            factors.add("pending")
            target = "/workbench/sign-in?next=" + quote(target, safe="/")
        return _signed_in(request, ledger, account, factors, target)

    @post("/sign-out", name="workbench:sign-out", sync_to_thread=True)
    def sign_out(self, request: Request, ledger: NamedDependency[Ledger]) -> Response[Any]:
        name = session_cookie_name(request.scope)
        A.end_session(ledger.engine, request.cookies.get(name), client=client_of(request.scope))
        response: Response[Any] = Redirect(path="/workbench/sign-in", status_code=303)
        response.delete_cookie(name, path="/")
        return response

    # --- invitations --------------------------------------------------------------------------

    @get("/invitation", name="workbench:invitation", sync_to_thread=False)
    def invitation_page(self, request: Request) -> Template:
        return render(
            request, "workbench/invitation.html", title="接受邀请 Accept an invitation", error=None, cache="no-store"
        )

    @post("/invitation", name="workbench:invitation-post", sync_to_thread=True)
    def accept(self, request: Request, ledger: NamedDependency[Ledger], data: Form) -> Response[Any]:
        _sign_in_limit(request)
        password = str(data.get("password", ""))
        try:
            if password != str(data.get("password2", "")):
                raise LedgerError(
                    C.ACCOUNT_INVALID, detail="the two passwords differ", detail_zh="两次输入的密码不一致"
                )
            account = A.accept_invitation(
                ledger.engine, str(data.get("code", "")).strip(), password, client=client_of(request.scope)
            )
        except LedgerError as exc:
            if exc.kind not in ("invalid", "not_found", "conflict"):
                raise
            return render(
                request,
                "workbench/invitation.html",
                status=422 if exc.kind == "invalid" else 404 if exc.kind == "not_found" else 409,
                title="接受邀请 Accept an invitation",
                error=_error_text(request, exc),
                cache="no-store",
            )
        return _signed_in(request, ledger, account, {"password"}, "/workbench/keys")

    # --- people -------------------------------------------------------------------------------

    @get("/people", name="workbench:people", guards=[require_roles("registrar", "org_admin")], sync_to_thread=True)
    def people(self, request: Request, ledger: NamedDependency[Ledger]) -> Template:
        return self._people(request, ledger)

    def _people(
        self, request: Request, ledger: Ledger, *, link: str | None = None, error: str | None = None, status: int = 200
    ) -> Template:
        me = _me(request)
        org = None if me.has("registrar") else me.organisation
        people = A.list_accounts(ledger.engine, org)
        keys = A.browser_keys(ledger.engine, organisation=org)
        by_account: dict[int, list[A.BrowserKey]] = {}
        for k in keys:
            by_account.setdefault(k.account_id, []).append(k)
        return render(
            request,
            "workbench/people.html",
            status=status,
            title="人员与密钥 People and keys",
            me=me,
            people=people,
            keys=by_account,
            status_of=_log_keys(ledger, [k.key_id for k in keys]),
            roles=sorted(ROLES) if me.has("registrar") else sorted(A.ORG_ROLES),
            link=link,
            error=error,
            cache="no-store",
        )

    @post("/people/invite", guards=[require_roles("registrar", "org_admin")], sync_to_thread=True)
    def invite(self, request: Request, ledger: NamedDependency[Ledger], data: Form) -> Template:
        me = _record(ledger, _me(request))
        roles = data.get("roles", [])
        roles = [roles] if isinstance(roles, str) else list(roles)
        org = str(data.get("organisation") or "").strip() or (None if me.has("registrar") else me.organisation)
        try:
            token = A.invite(
                ledger.engine,
                login=str(data.get("login", "")),
                display_name=str(data.get("display_name", "")),
                organisation=org,
                roles=roles,
                actor=me,
                client=client_of(request.scope),
            )
        except LedgerError as exc:
            if exc.kind == "unavailable":
                raise
            return self._people(request, ledger, error=_error_text(request, exc), status=422)
        base = str(request.base_url).rstrip("/")
        return self._people(request, ledger, link=f"{base}/workbench/invitation#code={token}")

    @post("/people/{account_id:int}/roles", guards=[require_roles("registrar", "org_admin")], sync_to_thread=True)
    def set_roles(
        self,
        request: Request,
        ledger: NamedDependency[Ledger],
        account_id: Annotated[int, Parameter(ge=1, le=2**62)],
        data: Form,
    ) -> Response[Any]:
        me = _record(ledger, _me(request))
        roles = data.get("roles", [])
        roles = [roles] if isinstance(roles, str) else list(roles)
        try:
            A.set_roles(ledger.engine, account_id, roles, actor=me, client=client_of(request.scope))
        except LedgerError as exc:
            if exc.kind == "unavailable":
                raise
            return self._people(request, ledger, error=_error_text(request, exc), status=422)
        return Redirect(path="/workbench/people", status_code=303)

    # --- signing keys -------------------------------------------------------------------------

    @get("/keys", name="workbench:keys", guards=[require_roles()], sync_to_thread=True)
    def keys(self, request: Request, ledger: NamedDependency[Ledger]) -> Template:
        me = _me(request)
        keys = A.browser_keys(ledger.engine, account_id=me.id)
        return render(
            request,
            "workbench/keys.html",
            title="我的签名密钥 My signing keys",
            me=me,
            keys=keys,
            key_states=_log_keys(ledger, [k.key_id for k in keys]),
            cache="no-store",
        )

    @post("/keys", guards=[require_roles()], sync_to_thread=True)
    def add_key(
        self, request: Request, ledger: NamedDependency[Ledger], data: JSONBody[dict[str, Any]]
    ) -> Response[Any]:
        me = _record(ledger, _me(request))
        key = A.add_browser_key(
            ledger.engine,
            me,
            data.get("public_key"),
            data.get("label", ""),
            client=client_of(request.scope),  # type: ignore[arg-type]
        )
        return Response({"key_id": key.key_id, "public_key": key.public_key, "label": key.label}, status_code=201)

    @get(
        "/keys/{key_id:str}/enrol",
        name="workbench:enrol",
        guards=[require_roles("registrar", "org_admin")],
        sync_to_thread=True,
    )
    def enrol(self, request: Request, ledger: NamedDependency[Ledger], key_id: FromPath[str]) -> Template:
        me = _me(request)
        key, owner = self._key_and_owner(ledger, me, key_id)
        log = _log_keys(ledger, [key.key_id]).get(key.key_id)
        roles = [r for r in SIGNING_ROLES if r in owner.roles] or ["fundraiser"]
        data = {"public_key": key.public_key, "org": owner.organisation or "", "holder": owner.display_name}
        return render(
            request,
            "workbench/enrol.html",
            title="授权密钥 Enrol a key",
            me=me,
            key=key,
            owner=owner,
            log=log,
            roles=roles,
            grant=data,
            origin=ledger.settings.origin,
            cache="no-store",
        )

    def _key_and_owner(self, ledger: Ledger, me: Account, key_id: str) -> tuple[A.BrowserKey, A.AccountRecord]:
        key = next((k for k in A.browser_keys(ledger.engine) if k.key_id == key_id), None)
        owner = A.get_account(ledger.engine, key.account_id) if key else None
        if key is None or owner is None or not _may_manage(me, owner):
            raise LedgerError(C.ACCOUNT_UNKNOWN, account=f"key {key_id[:64]}")
        return key, owner

    @post("/keys/{key_id:str}/enrolled", guards=[require_roles("registrar", "org_admin")], sync_to_thread=True)
    def enrolled(self, request: Request, ledger: NamedDependency[Ledger], key_id: FromPath[str]) -> Response[Any]:
        """The admin's browser says it appended key.granted (or key.revoked): the audit log
        records it, with what the log itself says now."""
        me = _me(request)
        key, owner = self._key_and_owner(ledger, me, key_id)
        log = _log_keys(ledger, [key.key_id]).get(key.key_id)
        state = "not in the log" if log is None else ("revoked" if log.revoked_seq is not None else "granted")
        A.record_audit(
            ledger.engine,
            "key_" + ("revoked" if state == "revoked" else "granted" if state == "granted" else "enrol_failed"),
            f"{key.key_id} of {owner.login}: {state}" + (f" as {log.role} at seq {log.granted_seq}" if log else ""),
            account_id=owner.id,
            actor_id=me.id,
            client=client_of(request.scope),
        )
        return Response({"key_id": key.key_id, "state": state}, status_code=200)

    # --- passkeys -----------------------------------------------------------------------------

    @post("/passkeys/register/options", guards=[require_roles()], sync_to_thread=True)
    def passkey_register_options(self, request: Request, ledger: NamedDependency[Ledger]) -> Response[Any]:
        me = _record(ledger, _me(request))
        return Response(P.registration_options(request, ledger, me), media_type="application/json")

    @post("/passkeys/register", guards=[require_roles()], sync_to_thread=True)
    def passkey_register(
        self, request: Request, ledger: NamedDependency[Ledger], data: JSONBody[dict[str, Any]]
    ) -> Response[Any]:
        me = _record(ledger, _me(request))
        P.register(request, ledger, me, data)
        return Response({"ok": True}, status_code=201)

    @post("/passkeys/sign-in/options", sync_to_thread=True)
    def passkey_sign_in_options(self, request: Request, ledger: NamedDependency[Ledger]) -> Response[Any]:
        _sign_in_limit(request)
        pending = request.scope.get(SCOPE_PENDING)  # type: ignore[misc]
        return Response(
            P.authentication_options(request, ledger, pending.account if pending else None),
            media_type="application/json",
        )

    @post("/passkeys/sign-in", sync_to_thread=True)
    def passkey_sign_in(
        self, request: Request, ledger: NamedDependency[Ledger], data: JSONBody[dict[str, Any]]
    ) -> Response[Any]:
        _sign_in_limit(request)
        account = P.authenticate(request, ledger, data)
        pending = request.scope.get(SCOPE_PENDING)  # type: ignore[misc]
        target = _safe_next(data.get("next"))
        if pending is not None and pending.account.id == account.id:
            A.add_factor(
                ledger.engine,
                request.cookies.get(session_cookie_name(request.scope)) or "",
                "passkey",
                client=client_of(request.scope),
            )
            return Response({"next": target})
        response = _signed_in(request, ledger, account, {"passkey"}, target)
        return Response({"next": target}, cookies=response.cookies)

    # --- machine tokens -----------------------------------------------------------------------

    @get("/tokens", name="workbench:tokens", guards=[require_roles("registrar")], sync_to_thread=True)
    def tokens(self, request: Request, ledger: NamedDependency[Ledger]) -> Template:
        return self._tokens(request, ledger)

    def _tokens(
        self, request: Request, ledger: Ledger, *, made: str | None = None, error: str | None = None, status: int = 200
    ) -> Template:
        return render(
            request,
            "workbench/tokens.html",
            status=status,
            title="机器令牌 Machine tokens",
            me=_me(request),
            tokens=list_tokens(ledger.engine),
            scopes=TOKEN_SCOPES,
            made=made,
            error=error,
            now=format_time(now()),
            cache="no-store",
        )

    @post("/tokens", guards=[require_roles("registrar")], sync_to_thread=True)
    def create_token(self, request: Request, ledger: NamedDependency[Ledger], data: Form) -> Template:
        me = _me(request)
        scopes = data.get("scopes", [])
        scopes = [scopes] if isinstance(scopes, str) else list(scopes)
        days = str(data.get("days", "")).strip()
        try:
            if not days.isascii() or not days.isdigit() or not 1 <= int(days) <= 731:
                raise LedgerError(
                    C.ACCOUNT_INVALID, detail="a token lives 1 to 731 days", detail_zh="令牌有效期须为 1 至 731 天"
                )
            if not set(scopes) <= set(TOKEN_SCOPES):
                raise LedgerError(C.ACCOUNT_INVALID, detail="unknown scope", detail_zh="未知的权限范围")
            token = create_token(ledger.engine, str(data.get("name", "")), scopes, expires_in=timedelta(days=int(days)))
        except LedgerError as exc:
            if exc.kind == "unavailable":
                raise
            return self._tokens(request, ledger, error=_error_text(request, exc), status=422)
        A.record_audit(
            ledger.engine,
            "token_created",
            f"{token.split('_')[1]} {data.get('name')!s:.60} scopes {' '.join(scopes)} for {days} days",
            account_id=None,
            actor_id=me.id,
            client=client_of(request.scope),
        )
        return self._tokens(request, ledger, made=token)

    @post("/tokens/{token_id:str}/revoke", guards=[require_roles("registrar")], sync_to_thread=True)
    def revoke_token(self, request: Request, ledger: NamedDependency[Ledger], token_id: FromPath[str]) -> Response[Any]:
        info = revoke_token(ledger.engine, token_id[:20])
        A.record_audit(
            ledger.engine,
            "token_revoked",
            info.id,
            account_id=None,
            actor_id=_me(request).id,
            client=client_of(request.scope),
        )
        return Redirect(path="/workbench/tokens", status_code=303)

    # --- audit --------------------------------------------------------------------------------

    @get("/audit", name="workbench:audit", guards=[require_roles("registrar", "org_admin")], sync_to_thread=True)
    def audit(self, request: Request, ledger: NamedDependency[Ledger]) -> Template:
        me = _me(request)
        org = None if me.has("registrar") else me.organisation
        return render(
            request,
            "workbench/audit.html",
            title="审计记录 Audit log",
            me=me,
            records=A.audit_log(ledger.engine, organisation=org),
            cache="no-store",
        )


__all__ = ["SCOPE_KEY", "SCOPE_SESSION", "WorkbenchPages"]
