"""``charity-ledger witness``, ``monitor``, ``deadlines``, ``overseer`` and ``verdict``: the oversight commands.

Mounted by :mod:`ledger.cli` through ``SUBCOMMANDS`` (``register(add)``). Output is JSON
(one object, or JSON lines for the monitor's violations); exit status 0 means cosigned / clean /
recorded, 1 refused / violations found, 2 a usage error, 3 (witness) the log could not be used.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ledger.cli import witness_serve
from ledger.cli.common import Add, settings_of
from ledger.domain.rules import CHINA
from ledger.domain.schemas import VERDICTS
from ledger.errors import LedgerError
from ledger.protocol.grammar import ascii_int  # light: re and unicodedata only
from ledger.protocol.keys import KeyPair, read_key_file, write_key_file
from ledger.protocol.note import is_valid_name
from ledger.services.client import HttpSink, LocalSink
from ledger.services.monitor import MONITOR_STATE_INVALID, ExportSource, HttpSource, Monitor, MonitorReport
from ledger.services.monitor import follow as follow_monitor
from ledger.services.oversight import overseer_view, parse_threshold, scan_deadlines, sign_verdict
from ledger.services.remote import LogClient
from ledger.services.witness import (
    WITNESS_STATE_BUSY,
    WITNESS_STATE_INVALID,
    Witness,
    follow,
    witness_name_for,
    witness_vkey,
)
from ledger.store.runtime import open_ledger

EXIT_OK = 0
EXIT_FOUND = 1
EXIT_USAGE = 2


def _print(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2), flush=True)


def _line(value: Any, stream: Any = None) -> None:
    print(json.dumps(value, ensure_ascii=False), file=stream or sys.stdout, flush=True)


def _text_or_file(value: str | None) -> str | None:
    if value is None:
        return None
    path = Path(value)
    return path.read_text(encoding="utf-8").strip() if "+" not in value and path.is_file() else value.strip()


def _passphrase() -> bytes | None:
    value = os.environ.get("CHARITY_LEDGER_KEY_PASSPHRASE")
    return value.encode() if value else None


def _usage(message: str) -> int:
    print(f"{message}", file=sys.stderr)
    return EXIT_USAGE


# --- witness ----------------------------------------------------------------------------------


def cmd_witness(args: argparse.Namespace) -> int:

    if not (args.log and args.key and args.state):
        return _usage("witness needs --log URL --key FILE --state DIR / 见证需要 --log、--key 和 --state")
    key = read_key_file(Path(args.key), _passphrase())
    try:
        witness = Witness(
            key, Path(args.state), LogClient(args.log), name=args.name, log_vkey=_text_or_file(args.log_vkey)
        )
        if args.once:
            outcome = witness.run_once()
            _print(outcome.to_json())
            return outcome.exit_code
        return follow(witness, args.interval, report=lambda o: _line(o.to_json()))
    except LedgerError as exc:
        if exc.code in (WITNESS_STATE_INVALID, WITNESS_STATE_BUSY, "note_key_invalid"):
            return _usage(f"error [{exc.code}]: {exc.message_en}\n错误 [{exc.code}]：{exc.message_zh}")
        raise


def cmd_witness_keygen(args: argparse.Namespace) -> int:

    pair = KeyPair.generate()
    name = args.name or witness_name_for(pair)
    if not is_valid_name(name):
        return _usage(f"the witness name {name!r} must have no spaces or '+' / 见证方名称不能含空格或“+”")
    write_key_file(pair, Path(args.out), _passphrase())
    _print({"name": name, "vkey": witness_vkey(pair, name), "key_id": pair.id, "file": str(args.out)})
    return EXIT_OK


def cmd_witness_serve(args: argparse.Namespace) -> int:

    if not args.serve_log_vkeys:
        return _usage("witness serve needs at least one --log-vkey / 见证服务至少需要一个 --log-vkey")
    if args.name is not None and not is_valid_name(args.name):
        return _usage(f"the witness name {args.name!r} must have no spaces or '+' / 见证方名称不能含空格或“+”")
    key = read_key_file(Path(args.key), _passphrase())
    vkeys = [v for value in args.serve_log_vkeys for v in (_text_or_file(value) or "").splitlines() if v.strip()]
    try:
        service = witness_serve.open_service(key, Path(args.state), vkeys, args.name)
    except LedgerError as exc:
        return _usage(f"error [{exc.code}]: {exc.message_en}\n错误 [{exc.code}]：{exc.message_zh}")
    with service:
        print(witness_serve.start_line(service, args), flush=True)
        witness_serve.serve(service, args.host, args.port).run()
    return EXIT_OK


def cmd_witness_vkey(args: argparse.Namespace) -> int:

    pair = read_key_file(Path(args.key), _passphrase())
    name = args.name or witness_name_for(pair)
    print(witness_vkey(pair, name))
    return EXIT_OK


# --- monitor ----------------------------------------------------------------------------------


def cmd_monitor(args: argparse.Namespace) -> int:

    if bool(args.log) == bool(args.export):
        return _usage("give either --log URL or --export DIR / 请提供 --log 或 --export 之一")
    source = HttpSource(LogClient(args.log)) if args.log else ExportSource(Path(args.export))
    state = Path(args.state) if args.state else None
    if not args.once and state is None:
        return _usage("following a log needs --state DIR (or use --once) / 持续监测需要 --state（或使用 --once）")
    try:
        monitor = Monitor(source, state, log_vkey=_text_or_file(args.log_vkey), max_clock_skew_s=args.max_clock_skew)

        def report(r: MonitorReport) -> None:
            for v in r.violations:
                _line(v.to_json())
            _line(r.summary(), sys.stderr)

        if args.once:
            result = monitor.run_once()
            report(result)
            return EXIT_OK if result.clean else EXIT_FOUND
        follow_monitor(
            monitor,
            args.interval,
            report=report,
            warn=lambda e: print(f"warning [{e.code}]: {e.message_en}", file=sys.stderr, flush=True),
        )
        return EXIT_OK
    except LedgerError as exc:
        if exc.code == MONITOR_STATE_INVALID:
            return _usage(f"error [{exc.code}]: {exc.message_en}\n错误 [{exc.code}]：{exc.message_zh}")
        raise


# --- deadlines and the overseer's view -----------------------------------------------------


def _open_engine(args: argparse.Namespace) -> Any:

    return open_ledger(settings_of(args)).engine


def _day(value: str | None) -> date:

    return date.fromisoformat(value) if value else datetime.now(CHINA).date()


def cmd_deadlines(args: argparse.Namespace) -> int:

    items = scan_deadlines(_open_engine(args), _day(args.on), window_days=args.window)
    _print([i.to_json() for i in items])
    return EXIT_FOUND if args.fail_on_overdue and any(i.status == "overdue" for i in items) else EXIT_OK


def cmd_overseer(args: argparse.Namespace) -> int:

    thresholds = dict(parse_threshold(value) for value in args.threshold or ())
    view = overseer_view(
        _open_engine(args),
        args.org,
        _day(args.on),
        thresholds=thresholds,
        band_bp=args.band_bp,
        min_projects=args.min_projects,
        limit=args.limit,
    )
    _print(view.to_json())
    return EXIT_OK


def cmd_verdict(args: argparse.Namespace) -> int:
    """Sign an oversight verdict (``attestation.recorded``) with the overseer's key and submit
    it to the log in the data folder, or to ``--url``."""

    if not re.fullmatch(r"[0-9a-f]{64}", args.target):
        return _usage(
            f"--target must be an entry's leaf hash (64 lowercase hex), not {args.target!r} / --target 须为条目的叶哈希（64 位小写十六进制）"
        )
    findings = (
        Path(args.findings[1:]).read_text(encoding="utf-8").strip() if args.findings.startswith("@") else args.findings
    )
    key = read_key_file(Path(args.key), _passphrase())
    if args.url:
        sink: Any = HttpSink(args.url, token=args.token or os.environ.get("CHARITY_LEDGER_TOKEN"))
        origin = sink.origin()
    else:
        sink = LocalSink(open_ledger(settings_of(args)))
        origin = sink.origin
    entry = sign_verdict(key, origin, args.target, args.verdict, findings, idem=args.idem)
    try:
        result = sink.append([entry])[0]
    except LedgerError as exc:
        if exc.code == "idem_conflict" and not args.idem:
            print(
                "this key recorded the same verdict with the same findings before; give --idem to record it again on purpose\n"
                "此密钥此前已记录过相同的结论和意见；如确需再次记录，请指定 --idem",
                file=sys.stderr,
            )
        raise
    _print({"verdict": args.verdict, "target": args.target, **result.to_json()})
    return EXIT_OK


# --- registration -----------------------------------------------------------------------------


def register(add: Add) -> None:
    p = add("witness", cmd_witness, "follow a log, cosign consistent checkpoints, keep evidence of split views")
    p.add_argument("--log", help="base URL of the log, e.g. http://127.0.0.1:8000")
    p.add_argument("--key", help="the witness's private key file (keygen / witness keygen)")
    p.add_argument("--state", help="state folder (last cosigned checkpoint, evidence)")
    p.add_argument(
        "--name", help="witness name in its verifier key (default: kept in the state, else witness-<key id>)"
    )
    p.add_argument(
        "--once",
        action="store_true",
        help="handle the current checkpoint and exit: 0 cosigned, 1 refused, 3 log unavailable",
    )
    p.add_argument("--interval", type=float, default=60.0, help="seconds between rounds when following (default 60)")
    p.add_argument(
        "--log-vkey",
        help="the log's verifier key (string or file); default: pinned in the state, or fetched on first use",
    )
    actions = p.add_subparsers(dest="witness_action", metavar="{keygen,vkey,serve}")
    k = actions.add_parser("keygen", help="create a witness key and print its C2SP verifier key (type 0x04)")
    k.add_argument("--out", required=True, help="file to write the private key to (mode 0600)")
    k.add_argument("--name", dest="name", help="witness name (default witness-<key id>)")
    k.set_defaults(func=cmd_witness_keygen)
    v = actions.add_parser("vkey", help="print the C2SP verifier key (type 0x04) of a witness key file")
    v.add_argument("--key", dest="key", required=True)
    v.add_argument("--name", dest="name", help="witness name (default witness-<key id>)")
    v.set_defaults(func=cmd_witness_vkey)
    s = actions.add_parser("serve", help="answer C2SP tlog-witness add-checkpoint: logs push their checkpoints here")
    s.add_argument("--key", dest="key", required=True, help="the witness's private key file")
    s.add_argument("--state", dest="state", required=True, help="state folder (latest cosigned checkpoint per log)")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=ascii_int, default=8100, help="port to listen on (default 8100)")
    s.add_argument(
        "--log-vkey",
        dest="serve_log_vkeys",
        action="append",
        default=[],
        help="a log's Ed25519 verifier key (string or file of keys, one a line); its name is the log's origin; repeatable",
    )
    s.add_argument("--name", dest="name", help="witness name (default witness-<key id>)")
    s.set_defaults(func=cmd_witness_serve)

    p = add("monitor", cmd_monitor, "replay a log through every append rule and report what the server let through")
    p.add_argument("--log", help="base URL of a served log")
    p.add_argument("--export", help="an export folder instead of a served log")
    p.add_argument("--state", help="state folder to resume from (without it every run replays from seq 0)")
    p.add_argument("--once", action="store_true", help="check once and exit: 0 clean, 1 violations found")
    p.add_argument("--interval", type=float, default=60.0, help="seconds between checks when following (default 60)")
    p.add_argument("--log-vkey", help="the log's verifier key (string or file); default: what the source says")
    p.add_argument(
        "--max-clock-skew",
        type=ascii_int,
        default=600,
        help="seconds an entry's 'at' may be from its log time (default 600)",
    )

    p = add("deadlines", cmd_deadlines, "list disclosures and filings due or overdue (JSON)")
    p.add_argument("--on", help="the day to compute for (YYYY-MM-DD; default today in China)")
    p.add_argument("--window", type=ascii_int, default=14, help="days ahead that count as due (default 14)")
    p.add_argument("--fail-on-overdue", action="store_true", help="exit 1 when anything is overdue")

    p = add(
        "overseer",
        cmd_overseer,
        "an oversight organisation's view: awaiting verdicts, findings, overdue items, risk signals",
    )
    p.add_argument("--org", required=True, help="the oversight organisation's credit code")
    p.add_argument("--on", help="the day (YYYY-MM-DD; default today in China)")
    p.add_argument(
        "--threshold", action="append", help="approval threshold, e.g. '50000.00 CNY' (repeatable, one per currency)"
    )
    p.add_argument(
        "--band-bp",
        type=ascii_int,
        default=1000,
        help="how far under the threshold is 'just under', in basis points (default 1000 = 10%%)",
    )
    p.add_argument(
        "--min-projects", type=ascii_int, default=3, help="projects paying one payee before it is a signal (default 3)"
    )
    p.add_argument("--limit", type=ascii_int, default=200, help="entries awaiting a verdict to list (default 200)")

    p = add("verdict", cmd_verdict, "sign an oversight verdict on an entry with the overseer's key and submit it")
    p.add_argument(
        "--key",
        required=True,
        help="the overseer's key file (PEM; CHARITY_LEDGER_KEY_PASSPHRASE opens an encrypted one)",
    )
    p.add_argument("--target", required=True, help="the leaf hash of the entry judged")
    p.add_argument("--verdict", required=True, choices=VERDICTS)
    p.add_argument("--findings", required=True, help="what was checked and found (text, or @FILE)")
    p.add_argument(
        "--idem",
        help="request id (default: derived from the verdict, so sending the same verdict twice records it once)",
    )
    p.add_argument("--url", help="base URL of a served log (default: the log in the data folder)")
    p.add_argument("--token", help="bearer token for the API, if it asks for one (or CHARITY_LEDGER_TOKEN)")
