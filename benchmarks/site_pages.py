"""Server time and weight of the public site's pages on a loaded ledger.

    CHARITY_LEDGER_HOME=... CHARITY_LEDGER_DATABASE_URL=... \\
        .venv/bin/python benchmarks/site_pages.py [--requests 60]

Prints JSON: for each page, p50/p95 of the time the app takes to answer (in-process ASGI
client, no network, the answer compressed as a browser asks for it), the page's bytes with its
assets, next to the targets (p95 under 30 ms, under 300 KB with assets), the log size it ran
against and the load average of the machine before and after. ``python_cpu_ms`` is the
CPU time of this process per request (the app's Python, the test client's too; not the
database's): on a shared machine it moves far less than the wall-clock times. The pages: home, projects, the
oldest project, the busiest project (most entries), the organisation raising the most projects,
the ledger, an entry, checkpoints, verify, the feeds (log, busiest project, that organisation),
the reports list; and the site-wide CSV export's first piece (about 64 KB: the time until a
download starts; the rest streams), timed on the generator the route sends.

``--cold``: what the process keeps between requests (:func:`public_site.views.clear_caches`:
an organisation's deadline scan, formatted dates) is forgotten before each request, so every
page is rendered from scratch as after a restart; ``"mode"`` in the JSON says which was run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from litestar.testing import TestClient
from sqlalchemy import func, select

from ledger.cli.app import create_app
from ledger.domain.rows import EntryRow, OrgRow, ProjectRow
from ledger.settings import get_settings
from ledger.store.projection_tables import table_for
from ledger.store.runtime import open_ledger
from public_site.exports import csv_chunks, parse_filters
from public_site.views import clear_caches

ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--cold", action="store_true", help="forget the process's caches before each request")
    args = parser.parse_args()
    ledger = open_ledger(get_settings())
    size = ledger.log.head().size
    P, O, E = table_for(ProjectRow), table_for(OrgRow), table_for(EntryRow)  # noqa: E741 (table aliases)
    with ledger.engine.connect() as conn:
        project = conn.execute(select(P.c.project).order_by(P.c.registered_seq).limit(1)).scalar_one()
        busiest, busiest_entries = conn.execute(
            select(E.c.project, func.count())
            .where(E.c.project.is_not(None))
            .group_by(E.c.project)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        busiest_org = conn.execute(
            select(P.c.fundraiser_org, func.count()).group_by(P.c.fundraiser_org).order_by(func.count().desc()).limit(1)
        ).first()[0]
        org_count = conn.execute(select(func.count()).select_from(O)).scalar_one()
    pages = {
        "home": "/",
        "projects": "/projects",
        "project": f"/projects/{project}",
        "busiest project": f"/projects/{busiest}",
        "organisation": f"/organisations/{busiest_org}",
        "ledger": "/ledger",
        "entry": f"/ledger/{size // 2}",
        "checkpoints": "/checkpoints",
        "verify": "/verify",
        "feed": "/feed.atom",
        "project feed": f"/projects/{busiest}/feed.atom",
        "organisation feed": f"/organisations/{busiest_org}/feed.atom",
        "reports": "/reports",
    }
    out: dict = {
        "log_size": size,
        "organisations": org_count,
        "busiest_project_entries": busiest_entries,
        "mode": "cold" if args.cold else "warm",
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "targets": {"p95_ms": 30, "page_with_assets_kb": 300},
        "pages": {},
    }
    with TestClient(create_app(ledger)) as client:
        for name, path in pages.items():
            first = client.get(path)
            assert first.status_code == 200, (path, first.status_code)
            assets = sorted(set(ASSET.findall(first.text)))
            weight = len(first.content) + sum(len(client.get(a).content) for a in assets)
            times = []
            cpu = time.process_time()
            for _ in range(args.requests):
                if args.cold:
                    clear_caches()
                t = time.perf_counter()
                r = client.get(path)
                times.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200
            cpu_ms = (time.process_time() - cpu) * 1000 / args.requests
            times.sort()
            out["pages"][name] = {
                "path": path,
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
                "kb_with_assets": round(weight / 1024, 1),
                "python_cpu_ms": round(cpu_ms, 1),
            }
        times = []
        for _ in range(args.requests):
            t = time.perf_counter()
            first = next(csv_chunks(ledger.engine, parse_filters({})))
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out["pages"]["export csv, first piece"] = {
            "path": "/exports/ledger.csv",
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
            "first_piece_kb": round(len(first) / 1024, 1),
        }
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
