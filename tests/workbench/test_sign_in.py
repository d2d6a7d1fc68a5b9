"""Accounts by invitation, Argon2 passwords, sessions, lock-out, rate limit, CSRF and the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from ledger.errors import LedgerError
from ledger.protocol.canonical import now
from ledger.store import accounts as A
from tests.workbench.conftest import CHARITY, PASSWORD, Registry, accept, csrf_of, sign_in


def _audit(registry: Registry) -> list[tuple[str, str]]:
    return [(r.action, r.detail) for r in reversed(A.audit_log(registry.ledger.engine))]


def test_an_invitation_opens_an_account_with_an_argon2_password(registry: Registry, client: TestClient) -> None:
    code = registry.invite("zhang.san", ["fundraiser"])
    answer = accept(client, code)
    assert answer.status_code == 303 and answer.headers["location"] == "/workbench/keys"
    cookie = answer.headers["set-cookie"]
    assert "wb_session=" in cookie and "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    home = client.get("/workbench/")
    assert home.status_code == 200 and "fundraiser" in home.text and "张三" in home.text

    with registry.ledger.engine.connect() as conn:
        stored = conn.execute(select(A.ACCOUNTS.c.password_hash)).scalar_one()
        sessions = conn.execute(select(A.SESSIONS.c.token_hash)).scalars().all()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    session_cookie = cookie.split("wb_session=")[1].split(";")[0]
    assert session_cookie not in sessions and len(sessions) == 1  # only its hash is kept

    # the invitation is used up
    again = accept(TestClient(client.app, base_url="http://127.0.0.1:8000"), code)
    assert again.status_code == 404 and "已被使用或已过期" in again.text
    assert [a for a, _ in _audit(registry)] == ["invited", "account_created", "sign_in"]


def test_a_short_password_or_expired_invitation_opens_nothing(registry: Registry, client: TestClient) -> None:
    code = registry.invite("li.si", ["staff"])
    short = accept(client, code, password="short")
    assert short.status_code == 422 and "12" in short.text
    assert A.account_by_login(registry.ledger.engine, "li.si") is None
    old = A.invite(
        registry.ledger.engine,
        login="wang.wu",
        display_name="王五",
        organisation=CHARITY,
        roles=["staff"],
        actor=None,
        at=now() - timedelta(days=8),
    )
    assert accept(client, old).status_code == 404
    assert A.account_count(registry.ledger.engine) == 0


def test_an_org_admin_invites_only_into_their_own_organisation(registry: Registry) -> None:
    engine = registry.ledger.engine
    admin = A.accept_invitation(engine, registry.invite("admin", ["org_admin"]), PASSWORD)
    token = A.invite(
        engine, login="staff1", display_name="员工", organisation=CHARITY, roles=["fundraiser"], actor=admin
    )
    assert A.invitation(engine, token) is not None
    other = "11440300MB2C92051K"
    for org, roles in ((other, ["fundraiser"]), (CHARITY, ["registrar"]), (CHARITY, ["regulator"])):
        with pytest.raises(LedgerError) as info:
            A.invite(engine, login="x" + org[:4], display_name="X", organisation=org, roles=roles, actor=admin)
        assert info.value.code == "account_forbidden"
    with pytest.raises(LedgerError) as info:
        A.invite(engine, login="staff1", display_name="又一个", organisation=CHARITY, roles=["staff"], actor=admin)
    assert info.value.code == "account_exists"


def test_workbench_pages_redirect_to_sign_in_and_the_api_still_answers_json(client: TestClient) -> None:
    page = client.get("/workbench/people", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/workbench/sign-in?next=/workbench/people"
    signin = client.get("/workbench/sign-in")
    assert signin.status_code == 200 and "登录工作台" in signin.text
    api = client.get("/api/v1/organisations")
    assert api.status_code == 200 and api.headers["content-type"].startswith("application/json")


def test_wrong_passwords_lock_the_account_and_every_attempt_is_audited(registry: Registry, client: TestClient) -> None:
    A.accept_invitation(registry.ledger.engine, registry.invite("zhao.liu", ["staff"]), PASSWORD)
    page = client.get("/workbench/sign-in")
    for n in range(A.MAX_FAILED):
        answer = client.post(
            "/workbench/sign-in",
            data={"login": "zhao.liu", "password": f"wrong password {n}", "_csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert answer.status_code == 401 and "账户名或密码错误" in answer.text
    # the right password is refused now: locked
    locked = client.post(
        "/workbench/sign-in",
        data={"login": "zhao.liu", "password": PASSWORD, "_csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert (
        locked.status_code == 429 and "锁定" in locked.text and "wb_session" not in locked.headers.get("set-cookie", "")
    )
    actions = [a for a, _ in _audit(registry)]
    assert actions.count("sign_in_failed") == A.MAX_FAILED and "locked" in actions and actions[-1] == "sign_in_locked"
    # after the lock-out time it works again, and the count starts afresh
    later = now() + A.LOCK_FOR + timedelta(seconds=1)
    account = A.check_password_sign_in(registry.ledger.engine, "zhao.liu", PASSWORD, at=later)
    assert account.login == "zhao.liu"


def test_unknown_logins_answer_like_wrong_passwords(registry: Registry) -> None:
    for login in ("nobody", "zhao.liu"):
        with pytest.raises(LedgerError) as info:
            A.check_password_sign_in(registry.ledger.engine, login, "whatever password")
        assert info.value.code == "sign_in_failed"


def test_sign_in_attempts_are_rate_limited_per_address(registry: Registry, client: TestClient) -> None:
    page = client.get("/workbench/sign-in")
    codes = [
        client.post(
            "/workbench/sign-in",
            data={"login": f"nobody{n}", "password": "x" * 12, "_csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        ).status_code
        for n in range(12)
    ]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]


def test_forms_without_the_csrf_token_change_nothing(registry: Registry, client: TestClient) -> None:
    engine = registry.ledger.engine
    A.accept_invitation(engine, registry.invite("admin", ["org_admin"]), PASSWORD)
    sign_in(client, "admin")
    before = A.list_accounts(engine)
    form = {"login": "evil", "display_name": "E", "roles": "fundraiser"}
    no_token = client.post("/workbench/people/invite", data=form, follow_redirects=False)
    wrong = client.post("/workbench/people/invite", data={**form, "_csrf_token": "x" * 43}, follow_redirects=False)
    page = client.get("/workbench/people")
    foreign = client.post(
        "/workbench/people/invite",
        data={**form, "_csrf_token": csrf_of(page.text)},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert no_token.status_code == wrong.status_code == foreign.status_code == 403
    assert "csrf_failed" in no_token.text
    assert A.invitation(engine, "x") is None and A.list_accounts(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(A.INVITATIONS)).scalar_one() == 1  # the admin's own
    ok = client.post("/workbench/people/invite", data={**form, "_csrf_token": csrf_of(page.text)})
    assert ok.status_code == 200 and "/workbench/invitation#code=" in ok.text


def test_role_changes_are_audited_and_bounded(registry: Registry, client: TestClient) -> None:
    engine = registry.ledger.engine
    admin = A.accept_invitation(engine, registry.invite("admin", ["org_admin"]), PASSWORD)
    staff = A.accept_invitation(engine, registry.invite("staff1", ["staff"]), PASSWORD)
    sign_in(client, "admin")
    page = client.get("/workbench/people")
    answer = client.post(
        f"/workbench/people/{staff.id}/roles",
        data={"roles": ["staff", "fundraiser"], "_csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert A.get_account(engine, staff.id).roles == {"staff", "fundraiser"}  # type: ignore[union-attr]
    refused = client.post(
        f"/workbench/people/{staff.id}/roles",
        data={"roles": ["regulator"], "_csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 422
    assert A.get_account(engine, staff.id).roles == {"staff", "fundraiser"}  # type: ignore[union-attr]
    changes = [(r.action, r.detail, r.actor_id) for r in A.audit_log(engine) if r.action == "roles_changed"]
    assert changes == [("roles_changed", "staff1: staff -> fundraiser staff", admin.id)]


def test_sign_out_ends_the_session(registry: Registry, client: TestClient) -> None:
    A.accept_invitation(registry.ledger.engine, registry.invite("staff1", ["staff"]), PASSWORD)
    sign_in(client, "staff1")
    page = client.get("/workbench/")
    assert page.status_code == 200
    out = client.post("/workbench/sign-out", data={"_csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/workbench/", follow_redirects=False).status_code == 303
    with registry.ledger.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(A.SESSIONS)).scalar_one() == 0


def test_an_account_put_in_the_scope_reaches_the_guards(registry: Registry) -> None:
    """How other workbench pages are tested: an Account in scope[SCOPE_KEY] before the app runs
    is who is signed in (no session cookie, so no CSRF token is asked of it)."""
    from litestar import Litestar, post
    from litestar.testing import TestClient as Client

    from public_site.workbench.session import SCOPE_KEY, Account, current_account, require_roles
    from tests.workbench.conftest import make_app

    app: Litestar = make_app(registry.ledger)

    @post("/workbench/echo", guards=[require_roles("fundraiser")], sync_to_thread=False)
    def echo(request: Any) -> dict[str, Any]:
        me = current_account(request)
        return {"login": me.login if me else None}

    app.register(echo)
    account = Account(1, "f", "F", CHARITY, frozenset({"fundraiser"}))

    def with_account(inner: Any) -> Any:
        async def asgi(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                scope[SCOPE_KEY] = account
            await inner(scope, receive, send)

        return asgi

    app.asgi_handler = with_account(app.asgi_handler)
    with Client(app, base_url="http://127.0.0.1:8000") as c:
        assert c.post("/workbench/echo").json() == {"login": "f"}


def test_the_store_names_a_short_password_and_an_unknown_account(registry: Registry) -> None:
    engine = registry.ledger.engine
    code = registry.invite("zhao.liu", ["staff"])
    with pytest.raises(LedgerError) as short:
        A.accept_invitation(engine, code, "short")
    assert short.value.code == "account_invalid" and A.account_by_login(engine, "zhao.liu") is None
    with pytest.raises(LedgerError) as unknown:
        A.set_roles(engine, 987654, ["staff"], actor=None)
    assert unknown.value.code == "account_unknown" and A.account_count(engine) == 0
