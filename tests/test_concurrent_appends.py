"""Many processes appending at once never fork the chain, skip or repeat a seq."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ledger.protocol.verify import read_export, verify_log
from ledger.store.export import export_log
from tests.support.ledger_factory import LedgerFactory

ROOT = Path(__file__).resolve().parents[1]
WRITERS = 4
EACH = 30


def test_concurrent_writers_share_one_chain(any_factory: LedgerFactory, tmp_path: Path) -> None:
    f = any_factory
    f.with_genesis()
    f.ledger.engine.dispose()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.concurrent_writer",
                str(f.home),
                f.database_url or "",
                str(1000 * w),
                str(EACH),
                str(1 + w % 3),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(WRITERS)
    ]
    seqs: list[int] = []
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
        seqs += [int(s) for s in out.strip().split(",")]
    assert sorted(seqs) == list(range(1, 1 + WRITERS * EACH))
    assert f.ledger.log.head().size == 1 + WRITERS * EACH
    export_log(f.ledger.log, tmp_path / "export")
    report = verify_log(*read_export(tmp_path / "export"))
    assert report.size == 1 + WRITERS * EACH
    assert report.entries_by_type["org.registered"] == WRITERS * EACH
