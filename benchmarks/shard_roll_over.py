"""Benchmark of yearly shards: what a roll-over costs, and that the next log is as fast.

Prints one JSON object. Two ledgers get the small demo and the same ``2 * --entries`` bulk
entries (the demo's realistic mix, every rule checked), batch by batch in lockstep (the order
alternating, so that load from elsewhere hits both alike): the *rolled* ledger seals its first
log half-way and goes on in the next one; the *control* ledger stays in one log. Measured in
the same run:

- ``limits``: raw Ed25519 verifications per second on one core, and raw inserts per second of
  rows shaped like leaves into the same database;
- ``before`` / ``after``: batched appends (up to 1,000 entries per transaction; median per
  batch) of both ledgers before and after the half-way point; ``after_rolled_vs_control`` is
  what a roll-over changes for the appends that follow (the next log starts with an empty tree
  while the projections carry everything over);
- ``roll_over_ms``: sealing the first log and opening the next (two signed entries, the shard
  row, the new head and two checkpoints, one transaction; nothing is copied);
- ``verify_chain``: entries per second of a full verification of the rolled ledger's chain
  (every leaf, signature, both trees and the link), as ``doctor`` and ``restore`` run it.

Target: appends after the roll-over at least 90% of the control's; roll-over under 1 s.

    .venv/bin/python benchmarks/shard_roll_over.py [--entries 10000]
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
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from ledger.protocol.canonical import now
from ledger.services.demo import demo_steps, load_demo
from ledger.store.export import verify_stored_chain
from ledger.store.runtime import next_origin
from tests.support.ledger_factory import LedgerFactory

sys.path.insert(0, str(Path(__file__).resolve().parent))
from domain_append import Signer, dependent_chunks
from log_core import raw_ed25519_verify_per_s, raw_inserts_per_s, scratch_schemas


def lockstep(
    pairs: list[tuple[Any, Signer]], steps: list[Any], per_entry: dict[str, list[float]], names: list[str]
) -> None:
    """Append ``steps`` to every ledger of ``pairs``, batch by batch, alternating which goes
    first; seconds per entry of each batch go to ``per_entry[name]``."""
    lead = pairs[0][1]
    for i, chunk in enumerate(dependent_chunks(steps, lead)):
        order = list(zip(names, pairs, strict=True))
        for name, (ledger, signer) in order if i % 2 == 0 else reversed(order):
            entries = signer.sign(chunk)
            t = time.perf_counter()
            results = ledger.log.append(entries)
            per_entry[name].append((time.perf_counter() - t) / len(entries))
            signer.record(chunk, results)


def run_backend(name: str, urls: tuple[str | None, str | None], args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    rolled = LedgerFactory(tmp / f"{name}-rolled", database_url=urls[0]).ledger
    control = LedgerFactory(tmp / f"{name}-control", database_url=urls[1]).ledger
    for ledger in (rolled, control):
        load_demo(ledger, "small")  # names the log key in genesis, so the log can be rolled over
    steps = [
        s
        for s in demo_steps(rolled.log.origin, "large", bulk_entries=2 * args.entries)
        if s.idem.startswith("demo:BULK-")
    ]
    half = len(steps) // 2
    pairs = [(rolled, Signer(rolled)), (control, Signer(control))]
    before: dict[str, list[float]] = {"rolled": [], "control": []}
    after: dict[str, list[float]] = {"rolled": [], "control": []}
    lockstep(pairs, steps[:half], before, ["rolled", "control"])
    size = rolled.log.head().size
    t = time.perf_counter()
    rolled.log.roll_over(next_origin(rolled.log.origin, now().year + 1))
    roll_ms = (time.perf_counter() - t) * 1000
    pairs[0][1].origin = rolled.log.origin  # sign for the next log
    lockstep(pairs, steps[half:], after, ["rolled", "control"])
    total = sum(s.size for s in rolled.log.shards())
    t = time.perf_counter()
    report = verify_stored_chain(rolled.log)
    verify_s = time.perf_counter() - t
    rate = lambda per: round(1 / statistics.median(per))  # noqa: E731
    out = {
        "limits": {"raw_inserts_per_s": round(raw_inserts_per_s(rolled.engine))},
        "first_log_size_at_roll_over": size,
        "entries_each_half": {"before": half, "after": len(steps) - half},
        "before": {k: {"batched_per_s": rate(v), "transactions": len(v)} for k, v in before.items()},
        "roll_over_ms": round(roll_ms, 1),
        "after": {k: {"batched_per_s": rate(v), "transactions": len(v)} for k, v in after.items()},
        "verify_chain": {"entries": total, "logs": len(report.logs), "per_s": round(total / verify_s)},
    }
    out["before_rolled_vs_control"] = round(
        out["before"]["rolled"]["batched_per_s"] / out["before"]["control"]["batched_per_s"], 2
    )
    out["after_rolled_vs_control"] = round(
        out["after"]["rolled"]["batched_per_s"] / out["after"]["control"]["batched_per_s"], 2
    )
    out["target_met"] = out["after_rolled_vs_control"] >= 0.9 and roll_ms < 1000
    for ledger in (rolled, control):
        ledger.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10000, help="bulk entries before and after the roll-over")
    parser.add_argument("--postgres", default=os.environ.get("CHARITY_LEDGER_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    result: dict[str, Any] = {
        "limits": {
            "raw_ed25519_verify_per_s_one_core": round(raw_ed25519_verify_per_s()),
            "cpus": os.cpu_count(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "target": "after.rolled.batched_per_s >= 0.9 * after.control.batched_per_s and roll_over_ms < 1000",
    }
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        result["sqlite"] = run_backend("sqlite", (None, None), args, tmp)
        if args.postgres:
            with scratch_schemas(args.postgres, 2) as urls:
                result["postgres"] = run_backend("postgres", (urls[0], urls[1]), args, tmp)
    result["limits"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
