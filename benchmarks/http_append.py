"""HTTP API benchmark: signed appends, batches and inclusion proofs, over HTTP and in-process.

    .venv/bin/python benchmarks/http_append.py [--db sqlite|postgres|all] [--workers 2]
        [--clients 16] [--singles 3000] [--batches 30] [--batch-size 100] [--proofs 5000]

For each database it makes a fresh ledger (SQLite in a temporary folder; PostgreSQL in a new
schema of CHARITY_LEDGER_TEST_POSTGRES_URL, dropped afterwards), registers a fundraiser and a
project, signs every donation entry up front, then measures, in the same run:

- single appends: ``clients`` concurrent clients each POSTing one signed entry at a time to
  ``charity-ledger serve`` (api.serve.serve: uvicorn with ``workers`` processes on 127.0.0.1)
  -> appends/s, p50/p99 latency; every answer must be a 201 holding its inclusion proof;
  next to the same number of ``LogStore.submit`` calls from ``clients`` threads in-process;
- batch appends: POST /api/v1/entries/batch (``clients`` / 4 concurrent senders) next to
  ``LogStore.submit_batch`` -> entries/s and batches/s;
- inclusion proofs: GET /api/v1/log/proof/inclusion by index against the latest size next to
  ``LogStore.inclusion_proof`` from ``clients`` threads -> proofs/s, p50/p99.

Prints one JSON document with the numbers and the target they are measured against (issue 15:
>= 2,000 single appends/s with p99 under 50 ms on 2 cores with PostgreSQL), next to one core's
raw Ed25519 verification rate and the load average, measured before and after each database's
run (every append verifies one signature: the rate the hardware sets for one core).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from log_core import raw_ed25519_verify_per_s  # noqa: E402

from ledger.domain.uscc import make_uscc  # noqa: E402
from ledger.protocol.canonical import now  # noqa: E402
from ledger.protocol.entry import make_body, sign_entry  # noqa: E402
from ledger.protocol.keys import KeyPair  # noqa: E402
from ledger.settings import from_env  # noqa: E402
from ledger.store.runtime import Ledger, init_ledger  # noqa: E402

ORIGIN = "bench.charity-ledger.example/log"
TARGET = {"single_appends_per_s": 2000, "single_append_p99_ms": 50, "setting": "2 cores, PostgreSQL (issue 15)"}
CHINA = timezone(timedelta(hours=8))
REGISTRAR_ORG = make_uscc("11440300MB2C90001")
FOUNDATION = make_uscc("53440300MJL90001A")
SERVICE = make_uscc("52440300MJL90002B")
OVERSIGHT = make_uscc("12440300MB9000031")
PROJECT = "P-BENCH"


# --- the ledger and its entries ---------------------------------------------------------------


class Signer:
    def __init__(self) -> None:
        self.registrar = KeyPair.from_seed(b"bench registrar")
        self.admin = KeyPair.from_seed(b"bench admin")
        self.fundraiser = KeyPair.from_seed(b"bench fundraiser")
        self.n = 0

    def sign(self, key: KeyPair, type_: str, data: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
        self.n += 1
        body = make_body(ORIGIN, type_, key.id, at or now(), f"bench-{uuid.uuid4().hex}-{self.n}", data)
        return sign_entry(key, body).to_json()

    def setup(self) -> list[dict[str, Any]]:
        today = datetime.now(CHINA).date()
        r = self.registrar
        entries = [
            self.sign(
                r,
                "registry.genesis",
                {
                    "origin": ORIGIN,
                    "jurisdiction": "CN-GD-Shenzhen",
                    "rule_sets": ["cn-charity/1"],
                    "public_key": r.public_b64,
                    "role": "registrar",
                    "org": REGISTRAR_ORG,
                    "org_name_zh": "民政局",
                    "holder": "bench",
                },
            )
        ]
        for code, form in ((FOUNDATION, "foundation"), (SERVICE, "social_service_org"), (OVERSIGHT, "other")):
            entries.append(
                self.sign(
                    r,
                    "org.registered",
                    {
                        "org": code,
                        "name_zh": "机构" + code[-4:],
                        "legal_form": form,
                        "track": "registered",
                        "public_fundraising": False,
                    },
                )
            )
        entries.append(
            self.sign(
                r,
                "key.granted",
                {"public_key": self.admin.public_b64, "role": "org_admin", "org": FOUNDATION, "holder": "admin"},
            )
        )
        entries.append(
            self.sign(
                self.admin,
                "key.granted",
                {"public_key": self.fundraiser.public_b64, "role": "fundraiser", "org": FOUNDATION, "holder": "fr"},
            )
        )
        entries.append(
            self.sign(
                self.fundraiser,
                "project.registered",
                {
                    "project": PROJECT,
                    "title_zh": "基准项目",
                    "field": "elderly_care",
                    "region": "440304",
                    "start_date": (today - timedelta(days=10)).isoformat(),
                    "end_date": (today + timedelta(days=300)).isoformat(),
                    "currency": "CNY",
                    "target": "100000000.00",
                    "implementers": [SERVICE],
                    "overseers": [OVERSIGHT],
                    "directed": True,
                    "emergency": False,
                },
            )
        )
        return entries

    def donations(self, count: int) -> list[dict[str, Any]]:
        """Signed donation entries (about 700 bytes each), all dated now: sign just before use."""
        day = datetime.now(CHINA).date().isoformat()
        at = now()
        return [
            self.sign(
                self.fundraiser,
                "donation.received",
                {
                    "project": PROJECT,
                    "currency": "CNY",
                    "amount": f"{100 + i % 900}.{i % 100:02d}",
                    "kind": "money",
                    "channel": "bank_transfer",
                    "donor_type": "individual",
                    "commitment": f"{i:064x}",
                    "restricted": i % 3 != 0,
                    "received_on": day,
                    "receipt_no": f"R-{i:08d}",
                },
                at=at,
            )
            for i in range(count)
        ]


def make_ledger(db: str, home: Path) -> tuple[Ledger, dict[str, str], Callable[[], None]]:
    env = {"CHARITY_LEDGER_HOME": str(home), "CHARITY_LEDGER_ORIGIN": ORIGIN}

    def cleanup() -> None:
        return None

    if db == "postgres":
        from sqlalchemy import text

        from ledger.store.db import make_engine

        base = os.environ["CHARITY_LEDGER_TEST_POSTGRES_URL"]
        schema = "bench_" + uuid.uuid4().hex[:10]
        admin = make_engine(base, pool=False)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in base else "?"
        # the application name marks the server's connections, whose backends' CPU is counted
        env["CHARITY_LEDGER_DATABASE_URL"] = f"{base}{sep}options=-csearch_path%3D{schema}&application_name={schema}"
        env["BENCH_PG_APPLICATION"] = schema

        def cleanup() -> None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

    ledger = init_ledger(from_env(env))
    return ledger, env, cleanup


# --- measuring ----------------------------------------------------------------------------------


def summary(latencies: Sequence[float], elapsed: float, count: int, unit: str) -> dict[str, Any]:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2) if ordered else 0.0

    return {
        f"{unit}_per_s": round(count / elapsed, 1),
        "count": count,
        "seconds": round(elapsed, 3),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2) if ordered else 0.0,
    }


def _proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone or not readable)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


class CpuMeter:
    """CPU seconds spent during a phase by the server's processes, the PostgreSQL backends of
    its connections (same machine; marked by application_name) and this load generator."""

    def __init__(self, server_pid: int, env: dict[str, str], admin_url: str | None) -> None:
        self.server_pid = server_pid
        self.application = env.get("BENCH_PG_APPLICATION")
        self.admin_url = admin_url

    def _backends(self) -> list[int]:
        if not self.application or not self.admin_url:
            return []
        from sqlalchemy import text

        from ledger.store.db import make_engine

        engine = make_engine(self.admin_url, pool=False)
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE application_name = :a"), {"a": self.application}
                )
                return [r[0] for r in rows]
        finally:
            engine.dispose()

    def snapshot(self) -> dict[str, dict[int, float]]:
        return {
            "server": {p: _proc_cpu_s(p) for p in _descendants(self.server_pid)},
            "postgres": {p: _proc_cpu_s(p) for p in self._backends()},
            "client": {0: time.process_time()},
        }

    @staticmethod
    def per_op_us(
        before: dict[str, dict[int, float]], after: dict[str, dict[int, float]], count: int
    ) -> dict[str, Any]:
        """CPU microseconds per operation of each part (a process new since ``before`` counts from 0)."""
        out: dict[str, Any] = {}
        for part, now_ in after.items():
            spent = sum(t - before[part].get(p, 0.0) for p, t in now_.items())
            out[part] = round(spent / count * 1e6, 1)
        out["server_processes"] = len(after["server"])
        out["postgres_backends"] = len(after["postgres"])
        return out


def pool_capacity(ledger: Ledger) -> int:
    pool = ledger.engine.pool
    size, overflow = getattr(pool, "size", None), getattr(pool, "_max_overflow", 0)
    return size() + max(0, overflow) if callable(size) else 1_000_000


def run_threads(jobs: Sequence[Any], work: Callable[[Any], None], threads: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    lock = threading.Lock()

    def timed(job: Any) -> None:
        t0 = time.perf_counter()
        work(job)
        dt = time.perf_counter() - t0
        with lock:
            latencies.append(dt)

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(timed, jobs))
    return latencies, time.perf_counter() - start


async def run_http(
    base: str, requests: Sequence[tuple[str, str, Any]], clients: int, check: Callable[[int, bytes], None]
) -> tuple[list[float], float]:
    """``clients`` keep-alive connections, each sending one request at a time from a shared queue.

    A minimal HTTP/1.1 client on asyncio streams: the machine's cores are shared by the client
    and the server, and a full-featured client would spend more of them than the server.
    """
    url = httpx.URL(base)
    host, port = url.host, url.port or 80
    queue: asyncio.Queue[tuple[str, str, Any]] = asyncio.Queue()
    for r in requests:
        queue.put_nowait(r)
    latencies: list[float] = []

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while True:
                try:
                    method, path, payload = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                if method == "POST":
                    head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
                    request = head.encode() + payload
                else:
                    query = "?" + urlencode(payload) if payload else ""
                    request = f"GET {path}{query} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
                t0 = time.perf_counter()
                writer.write(request)
                header = await reader.readuntil(b"\r\n\r\n")
                status = int(header[9:12])
                length = 0
                for line in header.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                body = await reader.readexactly(length)
                latencies.append(time.perf_counter() - t0)
                check(status, body)
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, time.perf_counter() - start


def expect(status: int, key: str) -> Callable[[int, bytes], None]:
    marker = f'"{key}"'.encode()

    def check(got: int, body: bytes) -> None:
        if got != status or marker not in body:
            raise SystemExit(f"unexpected answer {got}: {body[:300]!r}")

    return check


# --- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    full_env = (
        dict(os.environ)
        | env
        | {
            "CHARITY_LEDGER_ACCESS_LOG": "0",
            "CHARITY_LEDGER_RATE_LIMIT_EXEMPT": "127.0.0.1",
            "PYTHONPATH": str(ROOT),
        }
    )
    code = (
        "import sys; from api.serve import serve; from ledger.cli.app import APP_FACTORY; "
        "from ledger.settings import get_settings; "
        f"sys.exit(serve(get_settings(), factory=APP_FACTORY, host='127.0.0.1', port={port}, workers={workers}))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        try:
            if httpx.get(base + "/api/v1/log/checkpoint", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


# --- one database ---------------------------------------------------------------------------------


def bench(db: str, args: argparse.Namespace) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix=f"bench-http-{db}-"))
    ledger, env, cleanup = make_ledger(db, home / "home")
    signer = Signer()
    out: dict[str, Any] = {"db": db, "workers": args.workers, "clients": args.clients}
    try:
        for entry in signer.setup():
            ledger.log.submit(entry)
        proc, base = start_server(env, args.workers)
        try:
            # warm-up: connections, caches, the first checkpoint of each worker
            asyncio.run(
                run_http(
                    base,
                    [("POST", "/api/v1/entries", json.dumps(e).encode()) for e in signer.donations(200)],
                    args.clients,
                    expect(201, "inclusion_proof"),
                )
            )

            # single appends over HTTP, then the same in-process
            bodies = [json.dumps(e).encode() for e in signer.donations(args.singles)]
            meter = CpuMeter(
                proc.pid, env, os.environ.get("CHARITY_LEDGER_TEST_POSTGRES_URL") if db == "postgres" else None
            )
            cpu_before = meter.snapshot()
            lat, dt = asyncio.run(
                run_http(
                    base, [("POST", "/api/v1/entries", b) for b in bodies], args.clients, expect(201, "inclusion_proof")
                )
            )
            http_single = summary(lat, dt, len(bodies), "appends")
            http_single["cpu_us_per_append"] = CpuMeter.per_op_us(cpu_before, meter.snapshot(), len(bodies))
            print(json.dumps({"db": db, "single_append_http": http_single}), file=sys.stderr, flush=True)
            if args.http_singles_only:
                out["single_append"] = {"http": http_single}
                return out
            entries = signer.donations(args.singles)
            # no more threads than the pool has connections: a thread left without one can wait
            # past the pool's timeout while the others keep taking them back
            threads = min(args.clients, pool_capacity(ledger))
            lat, dt = run_threads(entries, ledger.log.submit, threads)
            in_process = summary(lat, dt, len(entries), "appends") | {"threads": threads}
            out["single_append"] = {"http": http_single, "in_process": in_process}

            # batches
            senders = max(1, args.clients // 4)
            batches = [json.dumps(signer.donations(args.batch_size)).encode() for _ in range(args.batches)]
            lat, dt = asyncio.run(
                run_http(base, [("POST", "/api/v1/entries/batch", b) for b in batches], senders, expect(201, "items"))
            )
            http_batch = summary(lat, dt, len(batches), "batches")
            http_batch["entries_per_s"] = round(len(batches) * args.batch_size / dt, 1)
            batch_lists = [signer.donations(args.batch_size) for _ in range(args.batches)]
            lat, dt = run_threads(batch_lists, ledger.log.submit_batch, senders)
            local_batch = summary(lat, dt, len(batch_lists), "batches")
            local_batch["entries_per_s"] = round(len(batch_lists) * args.batch_size / dt, 1)
            out["batch_append"] = {
                "batch_size": args.batch_size,
                "senders": senders,
                "http": http_batch,
                "in_process": local_batch,
            }

            # inclusion proofs against the latest tree
            size = ledger.log.head().size
            indexes = [(i * 7919) % size for i in range(args.proofs)]
            lat, dt = asyncio.run(
                run_http(
                    base,
                    [("GET", "/api/v1/log/proof/inclusion", {"index": i, "size": size}) for i in indexes],
                    args.clients,
                    expect(200, "hashes"),
                )
            )
            http_proofs = summary(lat, dt, len(indexes), "proofs")
            lat, dt = run_threads(
                indexes, lambda i: ledger.log.inclusion_proof(i, size), min(args.clients, pool_capacity(ledger))
            )
            out["inclusion_proof"] = {
                "tree_size": size,
                "http": http_proofs,
                "in_process": summary(lat, dt, len(indexes), "proofs"),
            }
        finally:
            stop_server(proc)
        out["final_tree_size"] = ledger.log.head().size
    finally:
        ledger.engine.dispose()
        cleanup()
        shutil.rmtree(home, ignore_errors=True)
    return out


def with_limits(db: str, args: argparse.Namespace) -> dict[str, Any]:
    """One database's run between two measures of the raw Ed25519 rate and the load average."""
    load_before, raw_before = os.getloadavg(), raw_ed25519_verify_per_s()
    out = bench(db, args)
    raw = (raw_before + raw_ed25519_verify_per_s()) / 2
    single = out["single_append"]["http"]
    out["limits"] = {
        "raw_ed25519_verify_per_s_one_core": round(raw),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    out["single_append_http_vs_raw_verify"] = round(single["appends_per_s"] / raw, 2)
    # what the CPU accounting allows: the server's and the database's CPU per append against the
    # cores (the load generator shares them here; on a machine of its own it would not)
    cpu = single["cpu_us_per_append"]
    serving = cpu["server"] + cpu["postgres"]
    cores = os.cpu_count() or 1
    out["single_append_cpu_ceiling"] = {
        "server_plus_postgres_us_per_append": round(serving, 1),
        "one_raw_verify_us": round(1e6 / raw, 1),
        "appends_per_s_if_all_cores_served": round(cores * 1e6 / serving) if serving else None,
        "appends_per_s_with_this_load_generator": round(cores * 1e6 / (serving + cpu["client"])) if serving else None,
    }
    out["single_append_http_vs_target"] = round(single["appends_per_s"] / TARGET["single_appends_per_s"], 2)
    out["target_met"] = (
        single["appends_per_s"] >= TARGET["single_appends_per_s"] and single["p99_ms"] < TARGET["single_append_p99_ms"]
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--singles", type=int, default=3000)
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--proofs", type=int, default=5000)
    parser.add_argument(
        "--http-singles-only", action="store_true", help="measure single appends over HTTP only (a quick A/B)"
    )
    args = parser.parse_args()
    dbs = ["sqlite", "postgres"] if args.db == "all" else [args.db]
    if "postgres" in dbs and not os.environ.get("CHARITY_LEDGER_TEST_POSTGRES_URL"):
        if args.db == "postgres":
            raise SystemExit("set CHARITY_LEDGER_TEST_POSTGRES_URL for --db postgres")
        dbs.remove("postgres")
    report = {
        "benchmark": "http_append",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "target": TARGET,
        "results": [with_limits(db, args) for db in dbs],
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
