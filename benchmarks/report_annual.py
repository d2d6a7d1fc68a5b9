"""Benchmark: the annual report (PDF + CSV + XLSX + JSON) of an organisation with 100,000
donations and 10,000 disbursements in the year, against the targets of issue 6: under 20 s and
under 400 MB on this machine.

Data: the registry of the domain tests (tests/domain/helpers.World, through the real log store)
plus, for the foundation, ``--donations`` donations over 2026 (public and directed projects,
every channel and donor type, some in kind), allocations, ``--disbursements`` payments in the
three categories, progress reports, and its reported figures for 2024-2026. All of it is signed
and appended through ``LogStore.append`` in batches of 1,000 (every append rule checked), into
SQLite in ``--data`` (kept and reused when it exists: building takes a minute or two).

Measured in a fresh child process (so its peak RSS is the report's and not the data build's):
opening the ledger, building the report from the projections in one read transaction,
rendering every file, writing the bundle. Prints one JSON object with each phase's seconds,
``peak_rss_mb`` (``resource.getrusage``: the whole process, Python, WeasyPrint and fonts
included) and the limits; ``--tracemalloc`` adds the peak of Python allocations (slower).

    .venv/bin/python benchmarks/report_annual.py [--donations 100000] [--disbursements 10000] [--data DIR] [--tracemalloc]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LIMIT_S = 20.0
LIMIT_MB = 400.0
BATCH = 1000
READY = "benchmark-data-ready.json"


# --- the data ---------------------------------------------------------------------------------------


def build_data(home: Path, donations: int, disbursements: int) -> dict[str, Any]:
    from ledger.domain.privacy import donor_commitment
    from ledger.protocol.canonical import format_time
    from ledger.protocol.entry import make_body, sign_entry
    from tests.domain import helpers as H
    from tests.support.store_world import StoreWorld

    started = time.perf_counter()
    w = StoreWorld(home)
    rng = random.Random(6)
    log = w.ledger.log
    appended = 0

    def flush(batch: list[tuple[Any, str, dict[str, Any]]]) -> None:
        nonlocal appended
        entries = [
            sign_entry(k, make_body(H.ORIGIN, t, k.id, w.now, f"bench-{appended + i}", d))
            for i, (k, t, d) in enumerate(batch)
        ]
        for i in range(0, len(entries), BATCH):
            log.append(entries[i : i + BATCH])
        appended += len(entries)

    w.set_date("2027-01-05")  # the year 2026 is over: every business date of it is in the past
    for year, income, net in ((2024, "9000000.00", "20000000.00"), (2025, "10000000.00", "22000000.00")):
        w.append(
            w.foundation_admin,
            "financials.reported",
            H.financials_data(H.FOUNDATION, year, total_income=income, net_assets=net),
        )
    channels = ("bank_transfer", "online_platform", "cash", "cheque", "other")
    donor_types = ("individual", "enterprise", "foundation", "anonymous", "government_purchase")
    commitments = [donor_commitment({"name": f"捐赠人{i}"}, bytes([i % 256]) * 16) for i in range(64)]
    start = date(2026, 3, 1)  # the directed project's start: nothing is received before it
    batch: list[tuple[Any, str, dict[str, Any]]] = []
    raised = {w.PUB: 0, w.DIR: 0}
    for i in range(donations):
        project = w.PUB if i % 3 == 0 else w.DIR
        day = (
            date(2026, 3, 20) + timedelta(days=rng.randrange(287))
            if project == w.PUB
            else start + timedelta(days=rng.randrange(306))
        )
        cents = rng.randrange(1_000, 2_000_000)
        extra: dict[str, Any] = {"channel": channels[i % len(channels)]}
        if i % 50 == 0:
            extra = {"kind": "in_kind", "in_kind_description": f"物资 {i}", "channel": "delivery"}
        data = H.donation_data(
            project,
            f"{cents // 100}.{cents % 100:02d}",
            restricted=i % 4 != 0,
            donor_type=donor_types[i % len(donor_types)],
            received_on=day.isoformat(),
            commitment=commitments[i % 64],
            receipt_no=f"R{i:07d}",
            **extra,
        )
        batch.append((w.fundraiser, "donation.received", data))
        raised[project] += cents
        if len(batch) == BATCH * 5:
            flush(batch)
            batch = []
    flush(batch)
    batch = []
    # allocations: enough for every payment (restricted money first, then unrestricted)
    for project, implementer in ((w.PUB, H.SERVICE_ORG), (w.DIR, H.SERVICE_ORG_2)):
        fund = raised[project]
        for pot, share in (("restricted", 60), ("unrestricted", 20)):
            amount = fund * share // 100
            batch.append(
                (
                    w.fundraiser,
                    "funds.allocated",
                    H.allocation_data(
                        project,
                        f"{amount // 100}.{amount % 100:02d}",
                        implementer=implementer,
                        source=pot,
                        allocated_on="2026-06-30",
                    ),
                )
            )
    flush(batch)
    batch = []
    categories = ("program",) * 8 + ("admin", "fundraising_cost")
    for i in range(disbursements):
        project, implementer = (w.PUB, w.implementer) if i % 2 == 0 else (w.DIR, w.implementer2)
        cents = rng.randrange(100, 300_000)
        batch.append(
            (
                implementer,
                "funds.disbursed",
                H.disbursement_data(
                    project,
                    f"{cents // 100}.{cents % 100:02d}",
                    category=categories[i % len(categories)],
                    payee=f"收款单位{i % 997}",
                    purpose=f"第 {i} 笔项目支出",
                    paid_on=(date(2026, 7, 1) + timedelta(days=rng.randrange(180))).isoformat(),
                    evidence=[H.sha(f"invoice-{i}")],
                ),
            )
        )
    for k, month in enumerate(("2026-04-10", "2026-07-10", "2026-10-10")):
        batch.append(
            (
                w.implementer,
                "progress.reported",
                {
                    "project": w.PUB,
                    "period_start": "2026-03-01",
                    "period_end": month,
                    "summary": f"第 {k + 1} 期进展",
                    "beneficiaries": 100 * (k + 1),
                    "evidence": [],
                },
            )
        )
    flush(batch)
    w.set_date("2027-04-10")
    w.append(
        w.foundation_admin,
        "financials.reported",
        H.financials_data(
            H.FOUNDATION,
            2026,
            total_income="12000000.00",
            charitable_spending="8000000.00",
            management_costs="900000.00",
            fundraising_costs="100000.00",
            total_spending="9500000.00",
            net_assets="23000000.00",
        ),
    )
    head = log.head()
    info = {
        "entries": head.size,
        "donations": donations,
        "disbursements": disbursements,
        "org": H.FOUNDATION,
        "year": 2026,
        "origin": H.ORIGIN,
        "build_s": round(time.perf_counter() - started, 1),
        "last_time": head.last_time,
        "appended_via": "LogStore.append, batches of 1000",
        "clock": format_time(w.now),
    }
    w.ledger.engine.dispose()
    (home / READY).write_text(json.dumps(info), encoding="utf-8")
    return info


# --- the measurement (in a child process) -----------------------------------------------------------


def measure(home: Path, trace: bool) -> dict[str, Any]:
    import tracemalloc

    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    from datetime import UTC, datetime

    from ledger.protocol.keys import KeyPair
    from ledger.settings import from_env
    from ledger.store.runtime import open_ledger
    from reports.bundle import write_bundle
    from reports.common import ReportRequest, render_report
    from reports.issue import build_from_ledger
    from reports.render import IssuedRef
    from reports.signing import make_certificate, sign_pdf

    info = json.loads((home / READY).read_text(encoding="utf-8"))
    t_import = time.perf_counter()
    ledger = open_ledger(from_env({"CHARITY_LEDGER_HOME": str(home), "CHARITY_LEDGER_ORIGIN": info["origin"]}))
    doc = build_from_ledger(ledger, ReportRequest("annual", org=info["org"], year=info["year"]))
    t_build = time.perf_counter()
    # as a recorded report is rendered (reports.common.render_report): the CSV (of the short
    # tables) and JSON files, the PDF (PDF/A-3b with them attached, the report.issued position
    # and its QR code), its signature by the report key, then the long tables' CSV and the XLSX
    size = doc.at.tree_size
    issued = IssuedRef(size, size, doc.at.root, f"https://registry.example.org/ledger/{size}")
    key = KeyPair.generate()
    cert = make_certificate(key, name="benchmark", now=datetime.now(UTC))
    signing: list[float] = []

    def sign(pdf: bytes) -> bytes:
        started = time.perf_counter()
        signed = sign_pdf(pdf, key, cert, reason="benchmark")
        signing.append(time.perf_counter() - started)
        return signed

    files = render_report(doc, issued=issued, sign=sign)
    t_files = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        written = write_bundle(Path(out), files)
    t_write = time.perf_counter()
    peak_trace = tracemalloc.get_traced_memory()[1] if trace else None
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sizes = {f.name.replace(doc.stem, "<stem>"): f.size for f in written}
    donations = next(t for t in doc.tables if t.name == "donations")
    payments = next(t for t in doc.tables if t.name == "disbursements")
    return {
        "phases_s": {
            "imports": round(t_import - t0, 2),
            "build_from_projections": round(t_build - t_import, 2),
            "files_csv_json_pdf_xlsx": round(t_files - t_build - sum(signing), 2),
            "sign": round(sum(signing), 2),
            "write": round(t_write - t_files, 2),
        },
        "time_s": round(t_write - t_import, 2),
        "peak_rss_mb": round(rss_kb / 1024, 1),
        "tracemalloc_peak_mb": None if peak_trace is None else round(peak_trace / 2**20, 1),
        "rows": {"donations": len(donations.rows), "disbursements": len(payments.rows)},
        "bytes": {
            k: v
            for k, v in sorted(sizes.items())
            if k in ("<stem>.pdf", "<stem>.xlsx", "<stem>.json", "<stem>-donations.csv")
        },
        "tree_size": doc.at.tree_size,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donations", type=int, default=100_000)
    parser.add_argument("--disbursements", type=int, default=10_000)
    parser.add_argument("--data", type=Path, help="data folder (built when missing, reused otherwise)")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also measure the peak of Python allocations (slower)"
    )
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.tracemalloc)))
        return 0
    home = (
        args.data or Path(tempfile.gettempdir()) / f"charity-ledger-bench-annual-{args.donations}-{args.disbursements}"
    )
    if (home / READY).exists():
        info = json.loads((home / READY).read_text(encoding="utf-8"))
        info["reused"] = True
    else:
        info = build_data(home, args.donations, args.disbursements)
        info["reused"] = False
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARITY_LEDGER_")}
    runs = []
    for trace in [False, True] if args.tracemalloc else [False]:
        cmd = [sys.executable, __file__, "--measure", str(home)] + (["--tracemalloc"] if trace else [])
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, cwd=ROOT).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    result = {
        "benchmark": "annual report (PDF+CSV+XLSX+JSON) from the projections",
        "data": info,
        "measured": runs[0],
        "tracemalloc_run": runs[1] if len(runs) > 1 else None,
        "limits": {"time_s": LIMIT_S, "peak_rss_mb": LIMIT_MB},
        "ok": runs[0]["time_s"] < LIMIT_S and runs[0]["peak_rss_mb"] < LIMIT_MB,
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
