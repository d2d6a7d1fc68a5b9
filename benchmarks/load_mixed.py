"""Load test: a realistic mix of public page views, proof requests and signed appends against
several API processes on PostgreSQL (or SQLite), bounded in count and time, loopback only.

    CHARITY_LEDGER_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/load_mixed.py [--db postgres|sqlite] [--workers 3]
        [--clients 24] [--requests 6000] [--mix pages=70,proofs=20,appends=10]

It makes a fresh ledger with the small demo data set plus a benchmark project, starts
``charity-ledger serve`` with ``--workers`` processes on 127.0.0.1, sends ``--requests``
requests from ``--clients`` keep-alive connections in the given mix (every answer checked:
pages 200 with HTML, proofs 200 with hashes, appends 201 with their inclusion proof), and
prints JSON: overall throughput and, per kind, throughput and p50/p90/p99 latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_append import PROJECT, Signer, make_ledger, start_server, stop_server

from ledger.services.demo import demo_key, load_demo


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * q))] * 1000, 2)


def plan(args: argparse.Namespace, signer: Signer, size: int, projects: list[str]) -> list[tuple[str, str, str, Any]]:
    """(kind, method, path, payload) in a shuffled, seeded order."""
    mix = dict(part.split("=") for part in args.mix.split(","))
    weights = {k: int(v) for k, v in mix.items()}
    total = sum(weights.values())
    rng = random.Random(7)
    counts = {k: args.requests * w // total for k, w in weights.items()}
    out: list[tuple[str, str, str, Any]] = []
    pages = ["/", "/projects", "/ledger", "/checkpoints", *(f"/projects/{p}" for p in projects)]
    for _ in range(counts.get("pages", 0)):
        path = rng.choice([*pages, f"/ledger/{rng.randrange(size)}"])
        out.append(("pages", "GET", path, None))
    for _ in range(counts.get("proofs", 0)):
        out.append(("proofs", "GET", "/api/v1/log/proof/inclusion", {"index": rng.randrange(size), "size": size}))
    for entry in signer.donations(counts.get("appends", 0)):
        out.append(("appends", "POST", "/api/v1/entries", json.dumps(entry).encode()))
    rng.shuffle(out)
    return out


EXPECT = {"pages": (200, b"<!doctype html>"), "proofs": (200, b'"hashes"'), "appends": (201, b'"inclusion_proof"')}


async def run(
    base: str, requests: list[tuple[str, str, str, Any]], clients: int, limit_s: float
) -> tuple[dict[str, list[float]], float]:
    host, port = base.split("//")[1].split(":")
    queue: asyncio.Queue = asyncio.Queue()
    for r in requests:
        queue.put_nowait(r)
    latencies: dict[str, list[float]] = {}
    deadline = time.perf_counter() + limit_s

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while time.perf_counter() < deadline:
                try:
                    kind, method, path, payload = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                if method == "POST":
                    request = (
                        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                        f"Content-Length: {len(payload)}\r\n\r\n"
                    ).encode() + payload
                else:
                    query = "?" + urlencode(payload) if payload else ""
                    request = f"GET {path}{query} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
                t0 = time.perf_counter()
                writer.write(request)
                header = await reader.readuntil(b"\r\n\r\n")
                status = int(header[9:12])
                length = next(
                    (int(line[15:]) for line in header.split(b"\r\n") if line[:15].lower() == b"content-length:"), 0
                )
                body = await reader.readexactly(length)
                latencies.setdefault(kind, []).append(time.perf_counter() - t0)
                want_status, marker = EXPECT[kind]
                if status != want_status or (marker not in body[:4096] and marker not in body):
                    raise SystemExit(f"{kind} {path}: unexpected answer {status}: {body[:200]!r}")
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--clients", type=int, default=24)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--mix", default="pages=70,proofs=20,appends=10")
    parser.add_argument("--limit-s", type=float, default=120.0, help="stop sending after this many seconds")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="load-mixed-"))
    ledger, env, cleanup = make_ledger(args.db, home / "home")
    try:
        load_demo(ledger, "small")
        signer = Signer()
        signer.registrar = demo_key("registrar")  # the demo's registrar registers the benchmark's organisations
        for entry in signer.setup()[1:]:  # the demo's genesis is the trust root; add the benchmark project
            ledger.log.submit(entry)
        size = ledger.log.head().size
        projects = [PROJECT, "TY-SENIOR-VISITS"]
        proc, base = start_server(env, args.workers)
        try:
            requests = plan(args, signer, size, projects)
            latencies, elapsed = asyncio.run(run(base, requests, args.clients, args.limit_s))
        finally:
            stop_server(proc)
        done = sum(len(v) for v in latencies.values())
        result = {
            "db": args.db,
            "workers": args.workers,
            "clients": args.clients,
            "mix": args.mix,
            "requests": done,
            "seconds": round(elapsed, 2),
            "requests_per_s": round(done / elapsed, 1),
            "kinds": {
                kind: {
                    "count": len(v),
                    "per_s": round(len(v) / elapsed, 1),
                    "p50_ms": percentile(v, 0.5),
                    "p90_ms": percentile(v, 0.9),
                    "p99_ms": percentile(v, 0.99),
                }
                for kind, v in sorted(latencies.items())
            },
            "tree_size_after": ledger.log.head().size,
        }
        print(json.dumps(result, indent=2))
    finally:
        ledger.engine.dispose()
        cleanup()
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
