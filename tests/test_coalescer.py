"""Concurrent single submissions share transactions; each gets its own answer."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ledger import merkle
from ledger.checkpoint import verify_checkpoint
from ledger.entry import SignedEntry
from ledger.errors import LedgerError
from ledger.store.coalescer import AppendCoalescer
from ledger.store.export import export_log, log_vkey
from ledger.verify import read_export, verify_log
from tests.support.ledger_factory import LedgerFactory


def test_concurrent_submissions_each_get_their_result(any_factory: LedgerFactory, tmp_path: Path) -> None:
    f = any_factory
    f.with_genesis()
    coalescer = AppendCoalescer(f.ledger.log)
    entries = [f.org_entry(n) for n in range(120)]
    bad = [SignedEntry(e.body, e.body_bytes, bytes(64)) for e in (f.org_entry(n) for n in range(500, 510))]
    try:
        with ThreadPoolExecutor(16) as pool:
            good_results = list(pool.map(coalescer.append, entries))
            failures = list(pool.map(lambda e: _error_code(coalescer, e), bad))
    finally:
        coalescer.close()
    assert failures == ["bad_signature"] * 10
    assert sorted(r.seq for r in good_results) == list(range(1, 121))
    vkey = log_vkey(f.ledger.log)
    for r in good_results:
        cp = verify_checkpoint(r.checkpoint, vkey)
        assert cp.size == r.tree_size
        merkle.verify_inclusion(bytes.fromhex(r.leaf_hash), r.seq, cp.size, [bytes.fromhex(h) for h in r.proof], cp.root)
    export_log(f.ledger.log, tmp_path / "e")
    assert verify_log(*read_export(tmp_path / "e")).size == 121


def _error_code(coalescer: AppendCoalescer, entry: SignedEntry) -> str:
    with pytest.raises(LedgerError) as err:
        coalescer.append(entry)
    return err.value.code
