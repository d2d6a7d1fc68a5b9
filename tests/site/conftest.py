"""Fixtures of the site tests: one realistic registry per module and the site served from it.

The app is the site mounted the way ``ledger.cli.app.create_app`` mounts it (``routes()`` and
``on_app_init``), with the same ``ledger`` and ``api_settings`` dependencies; test_mount.py
checks the real ``create_app`` too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.testing import TestClient

import public_site
from ledger.protocol.checkpoint import parse_witness_key
from tests.site.world import SiteWorld, build_world


@pytest.fixture(scope="module")
def site_world(tmp_path_factory: pytest.TempPathFactory) -> SiteWorld:
    return build_world(Path(tmp_path_factory.mktemp("site")) / "home")


def make_app(world: SiteWorld) -> Litestar:
    from api.config import ApiSettings

    api_settings = ApiSettings(witness_keys=(parse_witness_key(world.witness_key),))
    ledger = world.ledger

    def constant(value: Any) -> Any:
        def provide() -> Any:
            return value

        return provide

    from api.controllers.tiles import TilesController

    return Litestar(
        # the site as mounted in the API, with the log's tiles its entry pages read proofs from
        route_handlers=[*public_site.routes(), TilesController],
        dependencies={
            "ledger": Provide(constant(ledger), sync_to_thread=False),
            "api_settings": Provide(constant(api_settings), sync_to_thread=False),
        },
        state=State({"ledger": ledger, "api_settings": api_settings}),
        on_app_init=[public_site.on_app_init],
    )


@pytest.fixture(scope="module")
def site_app(site_world: SiteWorld) -> Litestar:
    return make_app(site_world)


@pytest.fixture
def client(site_app: Litestar) -> Iterator[TestClient]:
    with TestClient(site_app) as c:
        yield c
