"""The group commit of single submissions (api.coalescer): requests that arrive while a group
waits for the log's lock join it, each is still judged alone, and a pooled connection the
server dropped is replaced without failing the requests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from api.coalescer import AppendCoalescer
from ledger.errors import LedgerError
from ledger.protocol import merkle
from ledger.protocol.checkpoint import verify_checkpoint
from ledger.protocol.entry import SignedEntry
from ledger.store import db
from ledger.store.db import make_engine, write_transaction
from ledger.store.export import log_vkey
from ledger.store.log import sequencer
from ledger.store.log_store import AppendResult
from tests.support.ledger_factory import LedgerFactory


def _hold_the_lock(f: LedgerFactory, held: threading.Event, release: threading.Event) -> threading.Thread:
    """Another writer holding the log's write lock until ``release`` is set."""

    def hold() -> None:
        with write_transaction(f.ledger.engine) as conn:
            f.ledger.log.sequencer.lock_head(conn)
            held.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    return thread


def test_submissions_arriving_during_the_lock_wait_join_the_group(
    any_factory: LedgerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = any_factory
    f.with_genesis()
    log = f.ledger.log
    before = log.head().size
    checkpoints = len(log.checkpoint_sizes(limit=10_000))
    first, *late = [f.org_entry(n) for n in range(10, 16)]
    forged = SignedEntry(f.org_entry(20).body, f.org_entry(20).body_bytes, bytes(64))
    held, release, started = threading.Event(), threading.Event(), threading.Event()

    @contextmanager
    def write_transaction_spy(engine: Any) -> Iterator[Any]:
        started.set()  # the first group opens its transaction: it takes the lock next
        with write_transaction(engine) as conn:
            yield conn

    async def run() -> list[AppendResult | BaseException]:
        coalescer = AppendCoalescer(log)
        holder = _hold_the_lock(f, held, release)
        try:
            await asyncio.to_thread(held.wait, 30)
            monkeypatch.setattr(sequencer, "write_transaction", write_transaction_spy)
            tasks = [asyncio.create_task(coalescer.submit(first))]
            await asyncio.to_thread(started.wait, 30)
            tasks += [asyncio.create_task(coalescer.submit(e)) for e in (*late[:2], forged, *late[2:])]
            await asyncio.sleep(0)  # each submission is queued before the lock is free
            release.set()
            return await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            release.set()
            await asyncio.to_thread(holder.join)

    results = asyncio.run(run())
    refused = results.pop(3)
    assert isinstance(refused, LedgerError) and refused.code == "bad_signature"
    appended = [r for r in results if isinstance(r, AppendResult)]
    assert len(appended) == 6 and not any(r.existing for r in appended)
    assert [r.seq for r in appended] == list(range(before, before + 6))  # in arrival order
    assert log.head().size == before + 6
    # one transaction: one new checkpoint, which proves every entry
    assert len(log.checkpoint_sizes(limit=10_000)) == checkpoints + 1
    cp = verify_checkpoint(appended[0].checkpoint, log_vkey(log))
    for r in appended:
        assert r.checkpoint == appended[0].checkpoint
        merkle.verify_inclusion(
            bytes.fromhex(r.leaf_hash), r.seq, cp.size, [bytes.fromhex(h) for h in r.proof], cp.root
        )


def _drop_connections(f: LedgerFactory, postgres_url: str) -> None:
    """The database server ends every session of the ledger's pool (as a restart would)."""
    with f.ledger.engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    admin = make_engine(postgres_url, pool=False)
    try:
        with admin.begin() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    finally:
        admin.dispose()


@pytest.mark.parametrize("ping_after_idle_s", [0.0, 3600.0], ids=["pinged", "retried"])
def test_a_dropped_connection_does_not_fail_a_submission(
    pg_schema_url: str, postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ping_after_idle_s: float
) -> None:
    """Pinged when it sat idle; in steady use not pinged, so the group finds it dead on its first
    statement and goes again on a fresh connection. Either way the entry is appended once."""
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", ping_after_idle_s)
    f = LedgerFactory(tmp_path / "home", database_url=pg_schema_url)
    f.with_genesis()
    coalescer_log = f.ledger.log
    entries = [f.org_entry(n) for n in (30, 31)]

    async def submit(entry: SignedEntry) -> AppendResult:
        return await AppendCoalescer(coalescer_log).submit(entry)

    asyncio.run(submit(entries[0]))
    _drop_connections(f, postgres_url)
    result = asyncio.run(submit(entries[1]))
    assert not result.existing and coalescer_log.head().size == result.seq + 1
    assert merkle.leaf_hash(coalescer_log.leaf(result.seq)).hex() == result.leaf_hash
