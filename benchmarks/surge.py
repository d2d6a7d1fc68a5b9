"""Surge benchmark: the day a relief campaign makes the news, through a real front (nginx).

    CHARITY_LEDGER_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/surge.py [--db postgres|sqlite] [--workers 2]
        [--seconds 30] [--connections 64] [--read-rate 1850] [--append-rate 200]
        [--append-connections 64]

It makes a fresh ledger with the small demo data set plus a benchmark project, writes the
chain's C2SP tiles to a folder (``charity-ledger tiles write``), starts the API with
``--workers`` processes and Debian's nginx in front of it (tiles and a probe file from disk,
checkpoints, pages and API reads through nginx's cache, writes proxied: deploy/nginx.conf, the
file docs/operations.md shows), asks for every address of the read mix once with a browser's
headers (the front has been up a while: ``warm_up_s`` says how long that took), then:

1. **the surge**, for ``--seconds``, both at once:
   - reads (wrk, ``--connections`` keep-alive connections, browser headers): home and project
     pages, entry pages, receipt look-ups (the cacheable GET a browser makes from the code:
     seq and receipt commitment), checkpoints and tiles of every level, in fixed proportions,
     paced to ``--read-rate`` per second (each request takes the next slot of a schedule);
   - signed appends (an asyncio client in this process, ``--append-connections`` keep-alive
     connections) at ``--append-rate`` per second, each timed from the moment it was due, so a
     slow server cannot hide its queue (no coordinated omission); every answer must be a 201
     holding its inclusion proof.
   The defaults offer 2,050 requests/s, 90% reads and 10% appends (issue 15's mix); the rate
   printed is what was answered. ``front_log`` counts, per kind of request, how nginx's cache
   answered (HIT, UPDATING/STALE: the held copy while one request refreshes it, MISS, "-": not
   cached, e.g. files from disk) and the seconds the API spent on them; ``cpu_seconds`` the CPU
   each part used (API, nginx, wrk, the append client) beside the whole machine's busy seconds
   (``rest_of_machine``: PostgreSQL and whatever else runs here), and how long the threads of
   each part waited for a free core (``*_waited_for_a_core``).
2. the read mix alone, unpaced, for half as long: the most reads of this mix the front answers;
3. one static file from disk, unpaced, for half as long: the most this machine answers through
   this front, the limit every figure is printed beside.

Prints one JSON document. The target (issue 15, on 2 cores, load generator included):
>= 2,000 requests/s, reads p99 < 100 ms, appends p99 < 250 ms, no error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from http_append import PROJECT, Signer, free_port, make_ledger, start_server, stop_server  # noqa: E402

from ledger.domain.privacy import parse_receipt_code, receipt_commitment  # noqa: E402
from ledger.protocol import tiles  # noqa: E402
from ledger.services.demo import demo_key, load_demo  # noqa: E402
from ledger.store.tile_writer import write_tiles  # noqa: E402

TARGET = {
    "requests_per_s": 2000,
    "read_p99_ms": 100,
    "append_p99_ms": 250,
    "errors": 0,
    "setting": "2 cores, load generator included (issue 15)",
}
# the read mix: (share, kind)
MIX = (
    (10, "home"),
    (20, "project"),
    (20, "entry"),
    (10, "receipt"),
    (10, "checkpoint"),
    (30, "tile"),
)

WRK_SCRIPT = r"""
-- args: the file of request lines, then the requests per second this thread sends (0: as
-- fast as its connections are answered)
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } surge_timespec;
int clock_gettime(int clock, surge_timespec *ts);
]]
local ts = ffi.new("surge_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end
local reqs = {}
-- what a browser sends (the front keeps one copy of a page per coding and language)
BROWSER = {["Accept-Encoding"] = "gzip, deflate, br", ["Accept-Language"] = "zh-CN,zh;q=0.9,en;q=0.8"}
init = function(args)
  for line in io.lines(args[1]) do
    local method, path, body = line:match("^(%u+) (%S+) ?(.*)$")
    if method == "POST" then
      reqs[#reqs + 1] = wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
    else
      reqs[#reqs + 1] = wrk.format("GET", path, BROWSER)
    end
  end
  counter = math.random(#reqs)
  local rate = tonumber(args[2] or "0")
  interval = rate > 0 and 1000 / rate or 0
  due = now_ms()
end
-- paced: each request takes the next slot of this thread's schedule and waits for it
delay = function()
  if interval == 0 then
    return 0
  end
  due = due + interval
  local wait = due - now_ms()
  return wait > 0 and wait or 0
end
request = function()
  counter = counter + 1
  return reqs[(counter % #reqs) + 1]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, '
    .. '"write": %d, "status": %d, "timeout": %d}, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""

# the headers wrk sends with every GET (BROWSER in WRK_SCRIPT), and the warm-up too
BROWSER = {"Accept-Encoding": "gzip, deflate, br", "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}

NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf"


def nginx_conf(**tokens: object) -> str:
    """deploy/nginx.conf with its ``@NAME@`` tokens replaced (the file the docs show)."""
    text = NGINX_TEMPLATE.read_text(encoding="utf-8")
    for name, value in tokens.items():
        text = text.replace(f"@{name.upper()}@", str(value))
    left = re.findall(r"@[A-Z]+@", "".join(line.split("#", 1)[0] for line in text.splitlines()))
    if left:
        raise SystemExit(f"deploy/nginx.conf has tokens this benchmark does not fill: {left}")
    # the benchmark runs as root with its files in a private folder: workers run as root too;
    # it logs each request's cache status and time in the API, to say where the time went
    text = text.replace(
        "access_log off;",
        "log_format surge '$upstream_cache_status $request_method $uri $status $upstream_response_time';\n"
        f"  access_log {tokens['run']}/access.log surge buffer=256k flush=1s;",
    )
    return ("user root;\n" if os.geteuid() == 0 else "") + text


TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()  # fields from the state on (the name may hold spaces)


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents.setdefault(int(_stat(int(entry.name))[1]), []).append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    out, todo = [], [pid]
    while todo:
        out.append(todo.pop())
        todo.extend(parents.get(out[-1], []))
    return out


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds the processes have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = _stat(pid)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def run_queue_seconds(pids: list[int]) -> float:
    """Seconds the processes' threads have spent ready to run but waiting for a core (the
    second field of /proc/PID/task/TID/schedstat)."""
    total = 0
    for pid in pids:
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                total += int((task / "schedstat").read_text().split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return total / 1e9


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (/proc/stat: all but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / TICK


class CpuMeter:
    """CPU seconds of each part of the benchmark over an interval, beside the whole machine's
    (the rest is PostgreSQL, shared with whoever else uses this machine, and everything else)."""

    def __init__(self, parts: dict[str, list[int]]) -> None:
        self.parts = parts
        self.start = {name: cpu_seconds(pids) for name, pids in parts.items()}
        self.waited = {name: run_queue_seconds(pids) for name, pids in parts.items()}
        self.machine = machine_busy_seconds()

    def stop(self) -> dict[str, float]:
        used = {name: round(cpu_seconds(pids) - self.start[name], 1) for name, pids in self.parts.items()}
        used["machine_busy"] = round(machine_busy_seconds() - self.machine, 1)
        used["rest_of_machine"] = round(
            used["machine_busy"] - sum(v for k, v in used.items() if k != "machine_busy"), 1
        )
        # how long their threads were ready to run but found no free core (threads that ended
        # during the interval are not counted)
        for name, pids in self.parts.items():
            used[f"{name}_waited_for_a_core"] = round(run_queue_seconds(pids) - self.waited[name], 1)
        return used


def kind_of(method: str, path: str) -> str:
    if path == "/":
        return "home"
    if path == "/api/v1/entries":
        return "append"
    for prefix, kind in (
        ("/projects/", "project"),
        ("/ledger/", "entry"),
        ("/api/v1/donations/by-receipt", "receipt"),
        ("/tlog/checkpoint", "checkpoint"),
        ("/tlog/", "tile"),
    ):
        if path.startswith(prefix):
            return kind
    return "other"


def where_time_went(log: str) -> dict[str, Any]:
    """Per kind of request, from the front's log: how many, how the cache answered, and the
    seconds the API spent on them (nginx's upstream time; "-" when the API was not asked)."""
    out: dict[str, Any] = {}
    for line in log.splitlines():
        parts = line.split(" ")
        if len(parts) != 5:
            continue
        status, method, path, _, upstream = parts
        entry = out.setdefault(kind_of(method, path), {"requests": 0, "cache": {}, "api_s": 0.0})
        entry["requests"] += 1
        entry["cache"][status] = entry["cache"].get(status, 0) + 1
        entry["api_s"] += sum(float(t) for t in upstream.split(", ") if t.replace(".", "", 1).isdigit())
    for entry in out.values():
        entry["api_s"] = round(entry["api_s"], 2)
        entry["api_ms_per_request"] = round(entry["api_s"] * 1000 / entry["requests"], 2)
    return out


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * q))] * 1000, 2) if values else 0.0


def read_requests(ledger: Any, receipts_file: str, size: int, count: int = 20000) -> list[str]:
    """Lines ``METHOD PATH [BODY]`` in the read mix, shuffled with a fixed seed."""
    rng = random.Random(15)
    codes = (
        [
            line.split("\t")[0].strip()
            for line in Path(receipts_file).read_text(encoding="utf-8").splitlines()
            if line.strip() and line[:1] == "D"
        ]
        if receipts_file
        else []
    )
    projects = [PROJECT, "TY-SENIOR-VISITS", "SZ-TYPHOON-RELIEF"]
    tile_paths = [t.path for t in tiles.tiles_for_size(size)]
    total = sum(share for share, _ in MIX)
    out: list[str] = []
    for share, kind in MIX:
        for _ in range(count * share // total):
            if kind == "home":
                out.append("GET /")
            elif kind == "project":
                out.append(f"GET /projects/{rng.choice(projects)}")
            elif kind == "entry":
                out.append(f"GET /ledger/{rng.randrange(size)}")
            elif kind == "receipt" and codes:
                # what the donor's browser asks once it has read the code: the seq and the
                # receipt commitment (the salt stays in the browser), a GET the front can cache
                code = parse_receipt_code(rng.choice(codes))
                out.append(f"GET /api/v1/donations/by-receipt/{code.seq}/{receipt_commitment(code.salt)}/trace")
            elif kind == "checkpoint":
                out.append("GET /tlog/checkpoint")
            elif kind == "tile":
                out.append(f"GET /tlog/{rng.choice(tile_paths)}")
    rng.shuffle(out)
    return out


WRK_THREADS = 2


def start_wrk(url: str, script: Path, lines: Path, seconds: float, connections: int, rate: float = 0) -> Any:
    """wrk sending the request ``lines`` for ``seconds``: ``rate`` per second in all, or as fast
    as it is answered (0)."""
    per_thread = rate / WRK_THREADS
    cmd = [
        *("wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "5s"),
        *("-s", str(script), url, "--", str(lines), str(per_thread)),
    ]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)


def wrk_result(proc: Any) -> dict[str, Any]:
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"wrk failed: {out[-2000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    seconds_run = result["duration_us"] / 1e6
    return {
        "requests": result["requests"],
        "per_s": round(result["requests"] / seconds_run, 1),
        "errors": sum(result["errors"].values()),
        "error_kinds": result["errors"],
        "p50_ms": round(result["p50_us"] / 1000, 2),
        "p90_ms": round(result["p90_us"] / 1000, 2),
        "p99_ms": round(result["p99_us"] / 1000, 2),
        "max_ms": round(result["max_us"] / 1000, 2),
    }


def wrk(url: str, script: Path, lines: Path, seconds: float, connections: int, rate: float = 0) -> dict[str, Any]:
    return wrk_result(start_wrk(url, script, lines, seconds, connections, rate))


async def appends(base: str, bodies: list[bytes], rate: float, seconds: float, connections: int) -> dict[str, Any]:
    """Send ``bodies`` at ``rate`` per second over ``connections`` keep-alive connections (as
    many charity clients as that, each sending its next entry as soon as it is due and its
    previous one answered); latency from the moment each was due."""
    host, port = base.split("//")[1].split(":")
    start = time.perf_counter() + 0.2
    due = [start + i / rate for i in range(min(len(bodies), int(rate * seconds)))]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(due)):
        queue.put_nowait(i)
    latencies: list[float] = []
    failures: list[str] = []

    async def sender() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                wait = due[i] - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                body = bodies[i]
                writer.write(
                    (
                        f"POST /api/v1/entries HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n"
                    ).encode()
                    + body
                )
                header = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (int(line[15:]) for line in header.split(b"\r\n") if line[:15].lower() == b"content-length:"), 0
                )
                answer = await reader.readexactly(length)
                latencies.append(time.perf_counter() - due[i])
                if header[9:12] != b"201" or b'"inclusion_proof"' not in answer:
                    failures.append(f"{header[9:12].decode()} {answer[:120]!r}")
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(connections)))
    elapsed = time.perf_counter() - t0
    return {
        "offered_per_s": rate,
        "count": len(latencies),
        "per_s": round(len(latencies) / elapsed, 1),
        "errors": len(failures),
        "first_error": failures[0] if failures else None,
        "p50_ms": percentile(latencies, 0.5),
        "p90_ms": percentile(latencies, 0.9),
        "p99_ms": percentile(latencies, 0.99),
    }


async def warm_up(base: str, lines: list[str]) -> float:
    """GET every distinct path of the read mix once through the front (8 at a time); seconds."""
    import httpx

    paths = sorted({line.split(" ")[1] for line in lines if line.startswith("GET ")})
    queue: asyncio.Queue[str] = asyncio.Queue()
    for path in paths:
        queue.put_nowait(path)
    t0 = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=60, headers=BROWSER) as client:

        async def worker() -> None:
            while not queue.empty():
                path = queue.get_nowait()
                answer = await client.get(path)
                if answer.status_code != 200:
                    raise SystemExit(f"warm-up: {path} answered {answer.status_code}")

        await asyncio.gather(*(worker() for _ in range(8)))
    return round(time.perf_counter() - t0, 1)


def start_nginx(tmp: Path, www: Path, api_base: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "cache"):
        (tmp / sub).mkdir(parents=True, exist_ok=True)
    conf = tmp / "nginx.conf"
    conf.write_text(
        nginx_conf(
            workers=workers,
            run=tmp,
            listen=f"127.0.0.1:{port}",
            api=api_base.split("//", 1)[1],
            tiles=www,
            static=ROOT / "public_site" / "static",
        )
    )
    proc = subprocess.Popen(
        [shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(conf), "-p", str(tmp)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit("nginx did not start: " + (proc.stderr.read().decode() if proc.stderr else ""))
        try:
            if httpx.get(base + "/tlog/checkpoint", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("nginx did not answer")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--workers", type=int, default=2, help="API processes (nginx gets as many)")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--read-rate", type=float, default=1850.0, help="reads offered per second (0: unpaced)")
    parser.add_argument("--append-rate", type=float, default=200.0)
    parser.add_argument("--append-connections", type=int, default=64, help="connections the appends are sent on")
    args = parser.parse_args()
    for tool in ("nginx", "wrk"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            raise SystemExit(f"{tool} is missing: apt-get install nginx wrk")
    tmp = Path(tempfile.mkdtemp(prefix="surge-"))
    ledger, env, cleanup = make_ledger(args.db, tmp / "home")
    api = nginx = None
    try:
        report = load_demo(ledger, "small")
        signer = Signer()
        signer.registrar = demo_key("registrar")
        for entry in signer.setup()[1:]:
            ledger.log.submit(entry)
        size = ledger.log.head().size
        www = tmp / "www"
        write_tiles(ledger.log, www / "tlog")
        (www / "tlog" / "probe.bin").write_bytes(os.urandom(4096))  # a file from disk, like the tiles
        os.chmod(tmp, 0o755)
        lines = tmp / "reads.txt"
        read_lines = read_requests(ledger, report.receipts_file, size)
        lines.write_text("\n".join(read_lines) + "\n", encoding="utf-8")
        script = tmp / "mix.lua"
        script.write_text(WRK_SCRIPT)
        bodies = [json.dumps(e).encode() for e in signer.donations(int(args.append_rate * args.seconds) + 100)]
        api, api_base = start_server(env, args.workers)
        nginx, front = start_nginx(tmp, www, api_base, args.workers)
        # the front has been up for a while: every page in the mix was asked for once
        warm_s = asyncio.run(warm_up(front, read_lines))
        wrk(front, script, lines, 3, args.connections)  # and the connection pools

        # the surge: reads and appends at the rates asked for, at once
        loop = asyncio.new_event_loop()
        time.sleep(1.5)
        log_file = tmp / "access.log"
        mark = log_file.stat().st_size if log_file.exists() else 0
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        reader = start_wrk(front, script, lines, args.seconds, args.connections, args.read_rate)
        meter = CpuMeter(
            {"api": process_tree(api.pid), "nginx": process_tree(nginx.pid), "append_client": [os.getpid()]}
        )
        written = loop.run_until_complete(
            appends(front, bodies, args.append_rate, args.seconds, args.append_connections)
        )
        reads = wrk_result(reader)
        cpu = meter.stop()
        # wrk has ended and been waited for: its CPU time is now among this process's children's
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu["wrk_reads"] = round(after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime, 1)
        cpu["rest_of_machine"] = round(cpu["rest_of_machine"] - cpu["wrk_reads"], 1)
        time.sleep(1.5)  # nginx writes its log every second
        front_log = log_file.read_bytes()[mark:].decode("latin-1") if log_file.exists() else ""
        # the most reads of this mix the front answers, reads alone, as fast as it can
        reads_max = wrk(front, script, lines, args.seconds / 2, args.connections)
        # and one static file: the most this machine answers through this front
        probe_lines = tmp / "probe.txt"
        probe_lines.write_text("GET /tlog/probe.bin\n")
        static = wrk(front, script, probe_lines, args.seconds / 2, args.connections)
        total = reads["per_s"] + written["per_s"]
        result = {
            "db": args.db,
            "api_workers": args.workers,
            "connections": args.connections,
            "seconds": args.seconds,
            "tree_size_before": size,
            "tree_size_after": ledger.log.head().size,
            "read_mix_percent": {kind: share for share, kind in MIX},
            "warm_up_s": warm_s,
            "offered_per_s": {"reads": args.read_rate, "appends": args.append_rate},
            "reads": reads,
            "appends": written,
            "front_log": where_time_went(front_log),
            "cpu_seconds": cpu,
            "all_requests_per_s": round(total, 1),
            "reads_alone_as_fast_as_answered": reads_max,
            "limit_static_file_same_front": static,
            "share_of_static_limit": round(total / static["per_s"], 3) if static["per_s"] else None,
            "target": TARGET,
            "met": {
                "requests_per_s": total >= TARGET["requests_per_s"],
                "read_p99_ms": reads["p99_ms"] < TARGET["read_p99_ms"],
                "append_p99_ms": written["p99_ms"] < TARGET["append_p99_ms"],
                "errors": reads["errors"] + written["errors"] == 0,
            },
        }
        print(json.dumps(result, indent=2))
    finally:
        if nginx is not None:
            nginx.send_signal(signal.SIGQUIT)
            nginx.wait(timeout=20)
        if api is not None:
            stop_server(api)
        ledger.engine.dispose()
        cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
