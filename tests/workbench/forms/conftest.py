"""Fixtures of the workbench form tests: the API's registry (tests.api.world), the real app, and
a small test stand-in for the sign-in layer that puts an Account into the scope
(``public_site.workbench.session.SCOPE_KEY``): the login named by the ``X-Test-Login`` header, or
``Signer.login`` for the browser."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.config import ApiSettings
from ledger.cli.app import create_app
from public_site.workbench.session import SCOPE_KEY, Account
from tests.api.world import FOUNDATION, World, build_world
from tests.support.ledger_factory import LedgerFactory

ACCOUNTS = {
    "clerk": Account(1, "clerk", "王文员", FOUNDATION, frozenset({"staff"})),
    "fundraiser": Account(2, "fundraiser", "李募集", FOUNDATION, frozenset({"fundraiser"})),
    "fundraiser2": Account(3, "fundraiser2", "赵募集", FOUNDATION, frozenset({"fundraiser"})),
    "admin": Account(4, "admin", "陈管理", FOUNDATION, frozenset({"org_admin"})),
}


@dataclass
class Signer:
    """Who the browser is signed in as (the header wins for test clients)."""

    login: str | None = "fundraiser"


def with_test_sign_in(app: Litestar, signer: Signer) -> Litestar:
    inner = app.asgi_handler

    async def handler(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            header = dict(scope.get("headers", [])).get(b"x-test-login")
            login = header.decode() if header else signer.login
            if login in ACCOUNTS:
                scope[SCOPE_KEY] = ACCOUNTS[login]
        await inner(scope, receive, send)

    app.asgi_handler = handler
    return app


@pytest.fixture
def world(factory: LedgerFactory) -> World:
    return build_world(factory)


@pytest.fixture
def signer() -> Signer:
    return Signer()


@pytest.fixture
def client(world: World, signer: Signer) -> Iterator[TestClient]:
    app = with_test_sign_in(create_app(world.factory.ledger, api_settings=ApiSettings()), signer)
    with TestClient(app) as c:
        yield c


def as_(login: str) -> dict[str, str]:
    return {"X-Test-Login": login}
