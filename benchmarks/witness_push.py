"""Witness push benchmark: how long after an append both witnesses have cosigned it.

    .venv/bin/python benchmarks/witness_push.py [--rate 200] [--seconds 5] [--db sqlite|postgres]

A fresh ledger (the http_append benchmark's set-up) pushes every new checkpoint, in the
background as the app does (``PushPool``, one thread per witness), to two witnesses, each its
own process on 127.0.0.1: ours (``charity-ledger witness serve``, started as an operator would)
and the one written from the C2SP text alone (``python -m tests.interop.spec_witness``). Appends
run in this process at ``--rate`` per second (one entry per append, so one checkpoint each: the
surge benchmark's append rate is 200/s), each timed from when it was due. For every append: the
time until both witnesses hold a cosignature of a tree that includes it (also from when the
append returned). The witnesses cosign the newest checkpoint, not every one, so at high rates
one cosignature covers many appends.

Printed beside the figures, the limits: this machine's raw Ed25519 sign and verify rates (each
cosignature costs the witness one verify of the log's signature and one sign, and the log one
verify), and the appends per second the log alone reached. One JSON document.
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from http_append import Signer, free_port, make_ledger  # noqa: E402

from ledger.protocol.keys import KeyPair, verify  # noqa: E402
from ledger.services.witness_push import PushPool, PushResult, witness_targets  # noqa: E402
from ledger.store.export import log_vkey  # noqa: E402


def our_witness_cmd(home: Path, log_vkey: str) -> list[str]:
    key = home / "witness.key"
    cli = [sys.executable, "-m", "ledger.cli"]
    subprocess.run(
        [*cli, "witness", "keygen", "--out", str(key), "--name", "witness.bench/ours"], check=True, capture_output=True
    )
    port = str(free_port())
    serve = ["witness", "serve", "--key", str(key), "--name", "witness.bench/ours", "--state", str(home / "ours")]
    return [*cli, *serve, "--port", port, "--log-vkey", log_vkey]


def spec_witness_cmd(home: Path, log_vkey: str) -> list[str]:
    spec = ["--state", str(home / "spec.json"), "--name", "witness.bench/spec", "--port", str(free_port())]
    return [sys.executable, "-m", "tests.interop.spec_witness", *spec, "--log-vkey", log_vkey]


def start(procs: list[subprocess.Popen[str]], cmd: list[str]) -> dict[str, Any]:
    """Start a witness; its first line says its vkey and URL; wait (bounded) until it answers."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    procs.append(proc)
    if proc.stdout is None:
        raise RuntimeError("no stdout")
    info: dict[str, Any] = json.loads(proc.stdout.readline())
    port = info["url"].rsplit(":", 1)[1]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
            info["url"] = f"http://127.0.0.1:{port}"
            return info
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{cmd[3:5]} did not start")


def ed25519_rates(seconds: float = 1.0) -> dict[str, float]:
    key = KeyPair.generate()
    message = b"x" * 100
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        signature = key.sign(message)
        count += 1
    signs = count / (time.perf_counter() - start)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        verify(key.public, signature, message)
        count += 1
    return {"sign_per_s": round(signs), "verify_per_s": round(count / (time.perf_counter() - start))}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 1)


def bench(args: argparse.Namespace, home: Path) -> dict[str, Any]:
    ledger, _, cleanup = make_ledger(args.db, home)
    signer = Signer()
    ledger.log.submit_batch(signer.setup())
    vkey = log_vkey(ledger.log)
    alone = signer.donations(200)  # the limit: appends one by one, no witness, as fast as they go
    began = time.perf_counter()
    for entry in alone:
        ledger.log.submit(entry)
    alone_rate = len(alone) / (time.perf_counter() - began)
    cosigned: dict[str, list[tuple[int, float]]] = {}
    lock = threading.Lock()

    def seen(result: PushResult) -> None:
        if result.status == "cosigned":
            with lock:
                cosigned.setdefault(result.witness, []).append((result.size, time.perf_counter()))

    procs: list[subprocess.Popen[str]] = []
    try:
        ours = start(procs, our_witness_cmd(home, vkey))
        spec = start(procs, spec_witness_cmd(home, vkey))
        targets = witness_targets([(ours["vkey"], ours["url"]), (spec["vkey"], spec["url"])])
        pool = PushPool(ledger.log, targets, poll_s=1.0, on_result=seen)
        pool.start()
        count = int(args.rate * args.seconds)
        entries = signer.donations(count)
        appended: list[tuple[int, float, float]] = []  # size, due, appended
        start_at = time.perf_counter()
        for i, entry in enumerate(entries):
            due = start_at + i / args.rate
            while time.perf_counter() < due:
                time.sleep(max(0.0, due - time.perf_counter()))
            size = ledger.log.submit(entry).seq + 1
            appended.append((size, due, time.perf_counter()))
            pool.notify()
        append_s = time.perf_counter() - start_at
        done = pool.wait_until_cosigned(appended[-1][0], timeout=120)
        pool.stop()
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(30)
        cleanup()
    latencies, after_append = [], []
    for size, due, at in appended:
        both = [min((t for s, t in cosigned.get(w.name, []) if s >= size), default=None) for w in targets]
        if all(t is not None for t in both):
            latencies.append(max(t for t in both if t is not None) - due)
            after_append.append(max(t for t in both if t is not None) - at)
    return {
        "appends": len(appended),
        "append_rate_asked": args.rate,
        "append_rate_reached": round(len(appended) / append_s, 1),
        "append_rate_alone": round(alone_rate, 1),
        "all_cosigned_by_both": done and len(latencies) == len(appended),
        "cosigning_latency_ms": {
            "p50": pct(latencies, 50),
            "p99": pct(latencies, 99),
            "max": round(max(latencies) * 1000, 1),
            "mean": round(statistics.fmean(latencies) * 1000, 1),
            "from": "when the append was due (a backlog of appends counts)",
        },
        "cosigning_latency_after_append_ms": {
            "p50": pct(after_append, 50),
            "p99": pct(after_append, 99),
            "max": round(max(after_append) * 1000, 1),
        },
        "cosignatures_per_witness": {w: len(v) for w, v in cosigned.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="appends per second (default 200, the surge rate)")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    with tempfile.TemporaryDirectory() as tmp:
        result = bench(args, Path(tmp))
    result["limits"] = {
        "ed25519": ed25519_rates(),
        "note": "one cosignature costs the witness an Ed25519 verify and a sign; one covers every append before it",
    }
    result["setting"] = f"{args.db}; appends and pushes in this process, each witness its own process; 127.0.0.1"
    print(json.dumps(result, indent=2))
    return 0 if result["all_cosigned_by_both"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
