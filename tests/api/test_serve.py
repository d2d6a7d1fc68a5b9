"""`serve` runs the app under uvicorn with several workers on 127.0.0.1; a client submits an entry
through it and `charity-ledger verify --url` verifies the served log against the served checkpoint."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from ledger import cli
from tests.api.world import build_world
from tests.support.ledger_factory import LedgerFactory

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(factory: LedgerFactory) -> Iterator[str]:
    """``factory``'s ledger served by ``api.serve`` (two workers) on a free local port: its base URL."""
    factory.ledger.engine.dispose()
    port = _free_port()
    env = dict(os.environ) | {
        "CHARITY_LEDGER_HOME": str(factory.home),
        "CHARITY_LEDGER_ORIGIN": factory.settings.origin,
        "CHARITY_LEDGER_ACCESS_LOG": "0",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("CHARITY_LEDGER_DATABASE_URL", None)
    if factory.database_url:
        env["CHARITY_LEDGER_DATABASE_URL"] = factory.database_url
    code = (
        "import sys; from api.serve import serve; from ledger.cli.app import APP_FACTORY; "
        "from ledger.settings import get_settings; "
        f"sys.exit(serve(get_settings(), factory=APP_FACTORY, host='127.0.0.1', port={port}, workers=2))"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError(proc.stderr.read().decode() if proc.stderr else "server exited")
            try:
                if httpx.get(base + "/api/v1/log/checkpoint", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                raise AssertionError("server did not start")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def served(factory: LedgerFactory) -> Iterator[tuple[str, LedgerFactory]]:
    build_world(factory)
    with serving(factory) as base:
        yield base, factory


def test_served_log_takes_entries_and_verifies(
    served: tuple[str, LedgerFactory], capsys: pytest.CaptureFixture[str]
) -> None:
    base, factory = served
    entry = factory.org_entry(77).to_json()
    response = httpx.post(base + "/api/v1/entries", json=entry, timeout=30)
    assert response.status_code == 201, response.text
    seq = response.json()["seq"]
    assert response.headers["x-frame-options"] == "DENY"
    assert "server" not in response.headers  # uvicorn's banner is off

    capsys.readouterr()
    assert cli.main(["verify", "--url", base]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["size"] == seq + 1
    # a tampered checkpoint key is caught: verifying against another key fails
    from ledger.protocol.keys import KeyPair
    from ledger.protocol.note import format_verifier_key

    wrong = format_verifier_key(factory.settings.origin, KeyPair.from_seed(b"someone else").public)
    assert cli.main(["verify", "--url", base, "--vkey", wrong]) != 0
