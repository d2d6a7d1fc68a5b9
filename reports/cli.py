"""``charity-ledger report`` and ``charity-ledger worker``.

Registered by ``ledger.cli`` (listed in ``ledger.cli.commands.SUBCOMMANDS``)::

    charity-ledger report KIND --out DIR [--org ID] [--project ID] [--year YYYY] [--donation REF]
                          [--from-export DIR] [--tree-size N] [--personal] [--site-url URL] [--no-record]
    charity-ledger worker [--no-beat] [--concurrency N] [--loglevel LEVEL] [--queue NAME ...]

KIND is ``annual`` (``--org --year``), ``project`` (``--project``), ``campaign`` (``--project``),
``overview`` (``[--year]``), ``receipt`` (``--donation`` seq, leaf hash or receipt code) or
``verification``. The files (PDF, CSV per table, XLSX, JSON, SHA256SUMS) go into ``--out``.

From the data folder (``--home``), a report is computed from the live projections and recorded
in the log as ``report.issued`` when ``<home>/keys/system.key`` holds the granted system key
(then it is also kept in ``<home>/reports/<kind>/<stem>/`` for the API); otherwise it is written
and not recorded, and the command says why on standard error.

``--from-export DIR`` needs no data folder: it verifies the export, replays it to the tree size
of the report (``--tree-size``, else the latest ``report.issued`` of the same report in the
export, else the export's size), writes the recomputed files and compares them with every
``report.issued`` of that report at that size. Exit status 1 if a JSON, CSV or XLSX file differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ledger.cli.common import Add, print_json, settings_of
from ledger.store.runtime import open_ledger
from reports.bundle import write_bundle
from reports.common import KINDS, ReportRequest, render_report
from reports.issue import build_from_export, compare_with_issued, issue
from reports.worker import run_worker

EXIT_OK = 0
EXIT_INVALID = 1


def _request(args: argparse.Namespace) -> ReportRequest:
    return ReportRequest(
        kind=args.kind,
        org=args.org,
        project=args.project,
        year=args.year,
        donation=args.donation,
        personal=args.personal,
        site_url=args.site_url,
    ).checked()


def cmd_report(args: argparse.Namespace) -> int:
    request = _request(args)
    out = Path(args.out)
    if args.from_export:
        return _from_export(Path(args.from_export), request, out, args.tree_size)

    ledger = open_ledger(settings_of(args))
    try:
        # --no-record: the files go to --out only; nothing is written into the data folder
        result = issue(
            ledger,
            request,
            out=out,
            record=not args.no_record,
            publish=not args.no_record,
            tree_size=args.tree_size,
        )
    finally:
        ledger.engine.dispose()
    print_json(result.to_json())
    if result.entry is None:
        print(f"not recorded: {result.not_recorded_en}\n未登记：{result.not_recorded_zh}", file=sys.stderr)
    elif result.entry["existing"]:
        print(
            f"already recorded as report.issued seq {result.entry['seq']} / 已登记（序号 {result.entry['seq']}）",
            file=sys.stderr,
        )
    if result.files_match_record is False:
        print(
            "the files written differ from the SHA-256 recorded earlier (PDF bytes depend on WeasyPrint and font versions) / "
            "本次生成的文件与此前登记的 SHA-256 不同",
            file=sys.stderr,
        )
    return EXIT_OK


def _from_export(folder: Path, request: ReportRequest, out: Path, tree_size: int | None) -> int:

    doc, info, snap = build_from_export(folder, request, tree_size=tree_size)
    files = render_report(doc)
    digests = write_bundle(out, files)
    checks = compare_with_issued(snap, doc, files) if snap is not None else []
    print_json(
        {
            "from_export": str(folder),
            "kind": doc.kind,
            "subject": doc.subject,
            "stem": doc.stem,
            "tree_size": doc.at.tree_size,
            "root": doc.at.root,
            "export_size": info.size if info else None,
            "files": [f.to_json() for f in digests],
            "folder": str(out),
            "issued": checks,
        }
    )
    if not checks:
        print(
            f"no report.issued in the export for this report at tree size {doc.at.tree_size}: nothing to compare / "
            f"导出数据中没有树大小 {doc.at.tree_size} 的同一报告的登记，无可比对",
            file=sys.stderr,
        )
        return EXIT_OK
    bad = [c for c in checks if not (c["all_data_files_match"] and c["root_match"])]
    for c in bad:
        names = ", ".join(f["name"] for f in c["files"] if f["deterministic"] and not f["match"]) or "root"
        print(
            f"INVALID: report.issued seq {c['seq']} does not match the figures recomputed from the export ({names}) / "
            f"无效：登记的报告（序号 {c['seq']}）与由导出数据重算的结果不一致（{names}）",
            file=sys.stderr,
        )
    if bad:
        return EXIT_INVALID
    print(
        f"valid: the JSON, CSV and XLSX files match report.issued seq {', '.join(str(c['seq']) for c in checks)} / "
        "有效：JSON、CSV、XLSX 文件与登记一致",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_worker(args: argparse.Namespace) -> int:

    return run_worker(
        settings_of(args),
        beat=not args.no_beat,
        concurrency=args.concurrency,
        loglevel=args.loglevel,
        queues=tuple(args.queue or ()),
    )


def register(add: Add) -> None:
    p = add("report", cmd_report, "write a compliance report (PDF, CSV, XLSX, JSON) and record it in the log")
    p.add_argument("kind", choices=KINDS)
    p.add_argument("--out", required=True, help="folder to write the files into")
    p.add_argument("--org", help="organisation code (annual)")
    p.add_argument("--project", help="project id (project, campaign)")
    p.add_argument("--year", type=int, help="year (annual; overview, default: the last whole year)")
    p.add_argument("--donation", help="seq, leaf hash or receipt code of a donation (receipt)")
    p.add_argument(
        "--from-export", metavar="DIR", help="recompute from an export folder alone and compare with report.issued"
    )
    p.add_argument("--tree-size", type=int, help="compute at this tree size (replays the log or the export)")
    p.add_argument(
        "--personal",
        action="store_true",
        help="receipt with the donor's personal data from the donor store (not recorded in the log)",
    )
    p.add_argument("--site-url", help="base URL of the public site for QR codes (default: https://<origin host>)")
    p.add_argument(
        "--no-record",
        action="store_true",
        help="write the files to --out only: no report.issued, nothing written into the data folder",
    )

    p = add("worker", cmd_worker, "run report and deadline-scan tasks from the broker (with beat unless --no-beat)")
    p.add_argument("--no-beat", action="store_true", help="do not run the periodic scheduler in this worker")
    p.add_argument("--concurrency", type=int, help="worker processes (default: CPUs)")
    p.add_argument("--loglevel", default="INFO")
    p.add_argument("--queue", action="append", help="queue to consume (repeatable; default: charity-ledger)")
