"""Benchmark of yearly shards: what a roll-over costs, and that the next log is as fast.

Prints one JSON object. On a ledger with the small demo and ``--entries`` bulk entries (the
demo's realistic mix, every rule checked) in its first log, measured in the same run:

- ``limits``: raw Ed25519 verifications per second on one core, and raw inserts per second of
  rows shaped like leaves into the same database (what appends and verification are judged
  against);
- ``before`` / ``after``: batched appends (up to 1,000 entries per transaction) of the same mix
  in the first log and, after the roll-over, in the next one (median per batch); the next log
  starts with an empty tree while the projections carry everything over;
- ``roll_over_ms``: sealing the first log and opening the next (two signed entries, the shard
  row, the new head and two checkpoints, one transaction), repeated on fresh copies is not
  needed: it copies nothing, so it does not grow with the log;
- ``verify_chain``: entries per second of a full verification of the whole chain (every leaf,
  signature, both trees and the link), as ``charity-ledger doctor`` and ``restore`` run it.

Target: appends in the next log at least 90% of the first log's rate; roll-over under 1 s.

    .venv/bin/python benchmarks/shard_roll_over.py [--entries 20000]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from ledger.canonical import now  # noqa: E402
from ledger.demo import demo_steps, load_demo  # noqa: E402
from ledger.store.db import make_engine  # noqa: E402
from ledger.store.export import verify_stored_chain  # noqa: E402
from ledger.store.runtime import next_origin  # noqa: E402
from tests.support.ledger_factory import LedgerFactory  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from domain_append import Signer, dependent_chunks  # noqa: E402
from log_core import raw_ed25519_verify_per_s, raw_inserts_per_s  # noqa: E402


def batches(signer: Signer, ledger: Any, steps: list[Any]) -> list[float]:
    """Append ``steps`` in batches of up to 1,000; seconds per entry of each batch."""
    per_entry: list[float] = []
    for chunk in dependent_chunks(steps, signer):
        entries = signer.sign(chunk)
        t = time.perf_counter()
        results = ledger.log.append(entries)
        per_entry.append((time.perf_counter() - t) / len(entries))
        signer.record(chunk, results)
    return per_entry


def run_backend(name: str, url: str | None, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    ledger = LedgerFactory(tmp / name, database_url=url).ledger
    load_demo(ledger, "small")  # names the log key in genesis, so the log can be rolled over
    steps = [s for s in demo_steps(ledger.log.origin, "large", now().date(), bulk_entries=2 * args.entries)
             if s.idem.startswith("demo:BULK-")]
    half = len(steps) // 2
    signer = Signer(ledger)
    before = batches(signer, ledger, steps[:half])
    size = ledger.log.head().size
    t = time.perf_counter()
    ledger.log.roll_over(next_origin(ledger.log.origin, now().year + 1))
    roll_ms = (time.perf_counter() - t) * 1000
    signer.origin = ledger.log.origin  # sign for the next log
    after = batches(signer, ledger, steps[half:])
    total = sum(s.size for s in ledger.log.shards())
    t = time.perf_counter()
    report = verify_stored_chain(ledger.log)
    verify_s = time.perf_counter() - t
    rate = lambda per: round(1 / statistics.median(per))  # noqa: E731
    out = {
        "limits": {"raw_inserts_per_s": round(raw_inserts_per_s(ledger.engine))},
        "first_log_size_at_roll_over": size,
        "before": {"batched_per_s": rate(before), "entries": half, "transactions": len(before),
                   "mix": dict(sorted(Counter(s.type for s in steps[:half]).items()))},
        "roll_over_ms": round(roll_ms, 1),
        "after": {"batched_per_s": rate(after), "entries": len(steps) - half, "transactions": len(after),
                  "mix": dict(sorted(Counter(s.type for s in steps[half:]).items()))},
        "verify_chain": {"entries": total, "logs": len(report.logs), "per_s": round(total / verify_s)},
    }
    out["after_vs_before"] = round(out["after"]["batched_per_s"] / out["before"]["batched_per_s"], 2)
    out["target_met"] = out["after_vs_before"] >= 0.9 and roll_ms < 1000
    ledger.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=20000, help="bulk entries in each log")
    parser.add_argument("--postgres", default=os.environ.get("CHARITY_LEDGER_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    result: dict[str, Any] = {
        "limits": {"raw_ed25519_verify_per_s_one_core": round(raw_ed25519_verify_per_s()), "cpus": os.cpu_count(),
                   "load_average_at_start": [round(x, 2) for x in os.getloadavg()]},
        "target": "after.batched_per_s >= 0.9 * before.batched_per_s and roll_over_ms < 1000",
    }
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        result["sqlite"] = run_backend("sqlite", None, args, tmp)
        if args.postgres:
            admin = make_engine(args.postgres, pool=False)
            schema = "bench_" + uuid.uuid4().hex[:8]
            sep = "&" if "?" in args.postgres else "?"
            try:
                with admin.begin() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
                result["postgres"] = run_backend("postgres", f"{args.postgres}{sep}options=-csearch_path%3D{schema}", args, tmp)
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    result["limits"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
