"""Fixtures of the workbench tests: a registry with the registrar's genesis and one charity,
the real app (``api.app.create_app``) over it, and helpers to sign in through the pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.config import ApiSettings
from ledger.domain.uscc import make_uscc
from ledger.protocol.keys import KeyPair
from ledger.store import accounts as A
from ledger.store.runtime import Ledger
from tests.support.ledger_factory import LedgerFactory
from tests.support.world import grant_data, org_data

CHARITY = make_uscc("53440300MJL00101A")
PASSWORD = "correct horse battery staple"


@dataclass
class Registry:
    factory: LedgerFactory
    ledger: Ledger
    admin_key: KeyPair

    def invite(self, login: str, roles: list[str], organisation: str | None = CHARITY, name: str = "张三") -> str:
        return A.invite(
            self.ledger.engine, login=login, display_name=name, organisation=organisation, roles=roles, actor=None
        )


def build_registry(home: Path) -> Registry:
    factory = LedgerFactory(home)
    ledger = factory.with_genesis()
    admin_key = KeyPair.from_seed(b"workbench org admin")
    org = org_data(CHARITY, public=True, name_zh="深圳市助学基金会", name_en=None)
    grant = grant_data(admin_key, "org_admin", CHARITY, holder="机构管理员")
    factory.registry.append(factory.registrar, "org.registered", org)
    factory.registry.append(factory.registrar, "key.granted", grant)
    return Registry(factory, ledger, admin_key)


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    return build_registry(tmp_path / "home")


def make_app(ledger: Ledger) -> Litestar:
    from ledger.cli.app import create_app

    return create_app(ledger, api_settings=ApiSettings())


@pytest.fixture
def client(registry: Registry) -> Iterator[TestClient]:
    with TestClient(make_app(registry.ledger), base_url="http://127.0.0.1:8000") as c:
        yield c


def csrf_of(html: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    if found is None:
        raise AssertionError("no CSRF field on the page")
    return found.group(1)


def sign_in(client: TestClient, login: str, password: str = PASSWORD) -> None:
    page = client.get("/workbench/sign-in")
    answer = client.post(
        "/workbench/sign-in",
        data={"login": login, "password": password, "_csrf_token": csrf_of(page.text), "next": "/workbench/"},
        follow_redirects=False,
    )
    if answer.status_code != 303:
        raise AssertionError(f"sign-in refused: {answer.status_code} {answer.text[:300]}")


def accept(client: TestClient, code: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    page = client.get("/workbench/invitation")
    return client.post(
        "/workbench/invitation",
        data={"code": code, "password": password, "password2": password, "_csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
