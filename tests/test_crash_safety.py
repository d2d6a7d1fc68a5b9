"""Crash safety: batches stream in while the server is killed with SIGKILL and restarted.

Afterwards the log verifies, every batch is in the log whole (its entries contiguous: never
half written), and every retried request (same idem) is there exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from ledger.protocol.verify import read_export, verify_log
from ledger.store.export import export_log
from ledger.store.log_tables import LogLeaf
from tests.support.ledger_factory import ORIGIN, LedgerFactory
from tests.support.serving import free_port, log_served, wait_until

ROOT = Path(__file__).resolve().parents[1]
BATCHES, PER_BATCH, KILLS = 24, 25, 3


class Server:
    def __init__(self, f: LedgerFactory) -> None:
        self.port = free_port()
        self.env = dict(
            os.environ,
            PYTHONPATH=str(ROOT),
            CHARITY_LEDGER_HOME=str(f.home),
            CHARITY_LEDGER_ORIGIN=ORIGIN,
            CHARITY_LEDGER_ACCESS_LOG="0",
            CHARITY_LEDGER_WRITE_RATE="0",
        )
        if f.database_url:
            self.env["CHARITY_LEDGER_DATABASE_URL"] = f.database_url
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ledger.cli", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(lambda: log_served(self.url), "the server", timeout=60)

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)  # the server and its workers, no clean shutdown
        self.proc.wait(timeout=30)


def test_sigkill_during_batch_appends(any_factory: LedgerFactory, tmp_path: Path) -> None:
    f = any_factory
    f.with_genesis()
    f.ledger.engine.dispose()
    batches = [[f.org_entry(b * 1000 + i).to_json() for i in range(PER_BATCH)] for b in range(BATCHES)]
    server = Server(f)
    server.start()
    done = threading.Event()
    kill_points = {BATCHES * (k + 1) // (KILLS + 1): threading.Event() for k in range(KILLS)}
    sent = {"attempts": 0, "retries": 0}

    def load() -> None:
        with httpx.Client(timeout=10) as client:
            for number, batch in enumerate(batches, start=1):
                while True:
                    sent["attempts"] += 1
                    try:
                        r = client.post(server.url + "/api/v1/entries/batch", json=batch)
                        if r.status_code in (200, 201):
                            break
                    except httpx.HTTPError:
                        pass
                    sent["retries"] += 1
                    time.sleep(0.05)
                if number in kill_points:
                    kill_points[number].set()  # the next batches are on their way as the server dies
        done.set()

    loader = threading.Thread(target=load)
    loader.start()
    try:
        for point in sorted(kill_points):
            assert kill_points[point].wait(timeout=120)
            server.kill()
            server.start()
        assert done.wait(timeout=240)
    finally:
        loader.join(timeout=60)
        server.kill()
    assert sent["retries"] > 0  # the kills did interrupt requests
    log = f.ledger.log
    assert log.head().size == 1 + BATCHES * PER_BATCH
    leaf = LogLeaf.__table__
    with f.ledger.engine.connect() as conn:
        seq_of = dict(conn.execute(select(leaf.c.idem, leaf.c.seq)).all())
    for batch in batches:
        seqs = [seq_of[sub["body"]["idem"]] for sub in batch]  # each retried idem exactly once
        assert seqs == list(range(seqs[0], seqs[0] + PER_BATCH))  # the batch was written whole
    export_log(log, tmp_path / "export")
    assert verify_log(*read_export(tmp_path / "export")).size == 1 + BATCHES * PER_BATCH
