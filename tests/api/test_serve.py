"""`serve` runs the app under uvicorn with several workers on 127.0.0.1; a client submits an entry
through it and `charity-ledger verify --url` verifies the served log against the served checkpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from ledger import cli
from tests.api.world import build_world
from tests.support.ledger_factory import LedgerFactory
from tests.support.serving import free_port, log_served, wait_until

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def serving(factory: LedgerFactory) -> Iterator[str]:
    """``factory``'s ledger served by ``api.serve`` (two workers) on a free local port: its base URL."""
    factory.ledger.engine.dispose()
    port = free_port()
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

        def running() -> bool:
            if proc.poll() is not None:
                raise AssertionError(proc.stderr.read().decode() if proc.stderr else "server exited")
            return True

        wait_until(lambda: log_served(base), "the server", timeout=60, alive=running)
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
