"""Fixtures of the API tests: a ledger (SQLite in a temporary folder), the registry of
:mod:`tests.api.world`, and Litestar test clients of the app serving them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from api.config import ApiSettings
from ledger.cli.app import create_app
from ledger.store.runtime import Ledger
from tests.api.world import World, build_world
from tests.support.ledger_factory import LedgerFactory

MakeClient = Callable[..., TestClient]


@pytest.fixture
def world(factory: LedgerFactory) -> World:
    return build_world(factory)


@pytest.fixture
def make_client(factory: LedgerFactory) -> Iterator[MakeClient]:
    """Clients of apps over ``factory``'s ledger, with ApiSettings overrides."""
    clients: list[TestClient] = []

    def make(ledger: Ledger | None = None, **settings: Any) -> TestClient:
        app = create_app(ledger or factory.ledger, api_settings=ApiSettings(**settings))
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """One registry for a module of read-only tests."""
    return build_world(LedgerFactory(Path(tmp_path_factory.mktemp("api")) / "home"))


@pytest.fixture(scope="module")
def shared_client(shared_world: World) -> Iterator[TestClient]:
    with TestClient(create_app(shared_world.factory.ledger, api_settings=ApiSettings())) as client:
        yield client


def log_state(ledger: Ledger) -> tuple[int, bytes]:
    head = ledger.log.head()
    return head.size, head.root
