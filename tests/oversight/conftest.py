"""Fixtures of the oversight tests: registries through the real store, the API app served to a
witness or monitor (in-process through Litestar's TestClient, or by uvicorn on a 127.0.0.1
port), and the oversight CLI mounted on ``charity-ledger``."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from api.config import ApiSettings
from ledger import cli
from ledger.cli.app import create_app
from ledger.protocol.checkpoint import parse_witness_key
from ledger.protocol.keys import KeyPair
from ledger.services.remote import LogClient
from ledger.services.witness import witness_vkey
from tests.support.serving import serving
from tests.support.store_world import StoreWorld

BASE = "http://testserver.local"
WITNESS_NAME = "witness-1.test"


@pytest.fixture
def witness_key() -> KeyPair:
    return KeyPair.from_seed(b"test witness 1")


@pytest.fixture
def world(tmp_path: Path) -> StoreWorld:
    return StoreWorld(tmp_path / "home")


def twin_world(tmp_path: Path, original: StoreWorld, name: str) -> StoreWorld:
    """A second registry with the same log key and origin: appending the same entries at the
    same times gives the very same leaves, so the two logs share a prefix until they differ."""
    home = tmp_path / name
    (home / "keys").mkdir(parents=True, mode=0o700)
    shutil.copy2(original.ledger.settings.log_key_path, home / "keys" / "log.key")
    return StoreWorld(home)


def api_settings(*witness_keys: str) -> ApiSettings:
    return ApiSettings(witness_keys=tuple(parse_witness_key(k) for k in witness_keys), write_rate=0)


@contextmanager
def served(world: StoreWorld, *witness_keys: str) -> Iterator[LogClient]:
    """The API app of ``world`` through Litestar's TestClient, as a LogClient."""
    with TestClient(create_app(world.ledger, api_settings=api_settings(*witness_keys)), base_url=BASE) as client:
        yield LogClient(BASE, client=client)


@contextmanager
def uvicorn_served(world: StoreWorld, *witness_keys: str) -> Iterator[str]:
    """The API app of ``world`` served by uvicorn on a free 127.0.0.1 port in a thread."""
    with serving(create_app(world.ledger, api_settings=api_settings(*witness_keys))) as url:
        yield url


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``charity-ledger ...`` in-process, with the oversight commands mounted."""

    def run(*argv: str) -> int:
        return cli.main(list(argv))

    return run


def vkey_of(key: KeyPair, name: str = WITNESS_NAME) -> str:
    return witness_vkey(key, name)
