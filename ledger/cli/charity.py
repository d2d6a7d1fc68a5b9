"""Command-line tools for charity staff: sign and submit entries, import statements, load the
demo, erase a donor.

Registered into ``charity-ledger`` by :func:`register` (listed in ``ledger.cli.commands.SUBCOMMANDS``)::

    charity-ledger submit --key FILE TYPE --data JSON [--idem ID] [--url URL]
    charity-ledger import donations FILE.csv --key FILE --project ID [--skip-bad] [--dry-run] [--url URL]
    charity-ledger demo-data [--scale small|large]
    charity-ledger donor erase (--receipt CODE | --seq N) [--vacuum]

Without ``--url`` entries go to the log in the data folder (``--home``); with it, to a served
API. Keys are PKCS#8 PEM files (``charity-ledger keygen``); an encrypted one is opened with
``CHARITY_LEDGER_KEY_PASSPHRASE``. Results print as JSON on standard output; problems print in
English and Chinese on standard error, and the exit status is not 0.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ledger.cli.common import Add, print_json, settings_of
from ledger.errors import LedgerError
from ledger.protocol.canonical import parse_json
from ledger.protocol.grammar import ascii_int
from ledger.protocol.keys import read_key_file
from ledger.services.client import Client, HttpSink, LocalSink
from ledger.services.demo import load_demo
from ledger.services.importer import import_file, write_receipts
from ledger.store.donors import DonorStore, erase_donor, load_privacy_key
from ledger.store.runtime import init_ledger, open_ledger
from reports.jobs import erase_personal_jobs

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


def _key(path: str) -> Any:

    passphrase = os.environ.get("CHARITY_LEDGER_KEY_PASSPHRASE")
    return read_key_file(Path(path), passphrase.encode() if passphrase else None)


def _client(args: argparse.Namespace) -> Any:
    """A client for the key in ``--key``, writing locally or to ``--url``."""

    key = _key(args.key)
    if args.url:
        sink = HttpSink(args.url, token=args.token or os.environ.get("CHARITY_LEDGER_TOKEN"))
        return Client(key, sink.origin(), sink)

    ledger = open_ledger(settings_of(args))
    return Client(key, LocalSink(ledger).origin, LocalSink(ledger))


def _read_data(value: str) -> Any:
    """``--data``: JSON text, ``@file`` or ``-`` (standard input)."""

    if value == "-":
        text = sys.stdin.read()
    elif value.startswith("@"):
        text = Path(value[1:]).read_text(encoding="utf-8")
    else:
        text = value
    try:
        return parse_json(text)
    except LedgerError:
        raise
    except ValueError as exc:
        raise LedgerError("malformed_json", detail=str(exc)) from exc


# --- submit ---------------------------------------------------------------------------------------


def cmd_submit(args: argparse.Namespace) -> int:
    data = _read_data(args.data)
    if not isinstance(data, dict):
        raise LedgerError("body_invalid", detail="--data must be a JSON object")
    if args.type == "donation.received" and not data.get("receipt"):
        print(
            'a donation needs data.receipt, the hash of its receipt code\'s salt (docs/protocol.md, "Donations"), or the\n'
            "donor's code proves nothing against the log; `import donations` draws the salt and writes both fields\n"
            "捐赠须含 data.receipt（收据码盐值的哈希，见 docs/protocol.md）；可用 import donations 自动生成",
            file=sys.stderr,
        )
        return EXIT_USAGE
    client = _client(args)
    try:
        result = client.append(args.type, data, args.idem)
    except LedgerError as exc:
        if exc.code == "idem_conflict" and not args.idem:
            print(
                "an identical entry (same type and data) was submitted before; give --idem to record it again on purpose\n"
                "此前已提交过完全相同的条目（类型和内容相同）；如确需再次记录，请指定 --idem",
                file=sys.stderr,
            )
        raise
    print_json(result.to_json())
    return EXIT_OK


# --- import donations -----------------------------------------------------------------------------


def cmd_import_donations(args: argparse.Namespace) -> int:

    if args.url and not args.receipts and not args.dry_run:
        print(
            "over --url the donor data store is not reachable: give --receipts FILE to keep the receipt codes (salts)\n"
            "通过 --url 导入时无法写入捐赠人信息库：请用 --receipts FILE 保存收据码（含盐值）",
            file=sys.stderr,
        )
        return EXIT_USAGE
    client = _client(args)
    report = import_file(
        client,
        Path(args.file),
        project=args.project,
        skip_bad=args.skip_bad,
        dry_run=args.dry_run,
        currency=args.currency,
        channel=args.channel,
        donor_type=args.donor_type,
        restricted=not args.unrestricted,
        preset=args.preset,
        drop_personal_text=args.drop_personal_text,
        organisation_donor_type=args.organisation_donor_type,
    )
    if args.receipts and report.imported:
        write_receipts(report, Path(args.receipts))
    summary = report.to_json()
    if not args.verbose:
        summary.pop("imported_rows")
    print_json(summary)
    for warning in report.warnings:
        print(f"warning / 提示: {warning}", file=sys.stderr)
    for skipped in report.skipped:
        item = skipped.to_json()
        amount = f" {item['amount']}" if item["amount"] else ""
        print(
            f"line {item['line']}: skipped [{item['class']}]{amount}: {item['reason']}\n"
            f"第 {item['line']} 行：已跳过（{item['reason_zh']}）{amount}",
            file=sys.stderr,
        )
    for dropped in report.dropped:
        item = dropped.to_json()
        print(f"line {item['line']}: {item['reason']}\n第 {item['line']} 行：{item['reason_zh']}", file=sys.stderr)
    for bad in report.bad:
        print(f"line {bad.line}: {bad.reason}\n第 {bad.line} 行：{bad.reason_zh}", file=sys.stderr)
    if report.stopped:
        print(
            f"stopped / 已中止: {report.stopped}\n"
            f"{len(report.imported)} rows were written before; run the same import again to continue.\n"
            f"此前已写入 {len(report.imported)} 行；再次运行同一导入即可继续。",
            file=sys.stderr,
        )
        return EXIT_INVALID
    if report.bad and not args.skip_bad:
        err = LedgerError("import_has_bad_rows", count=len(report.bad), file=report.file)
        print(f"error [{err.code}]: {err.message_en}\n错误 [{err.code}]：{err.message_zh}", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK


# --- demo data ------------------------------------------------------------------------------------


def cmd_demo_data(args: argparse.Namespace) -> int:

    ledger = init_ledger(settings_of(args))
    report = load_demo(ledger, args.scale, progress=lambda text: print(text, file=sys.stderr))
    print_json(report.to_json())
    print(f"demo actors' keys: {report.keys_dir}\n演示角色密钥：{report.keys_dir}", file=sys.stderr)
    if report.receipts:
        print(f"donation receipt codes: {report.receipts_file}\n捐赠收据码：{report.receipts_file}", file=sys.stderr)
    if not report.added:
        print("the demo data was loaded already; nothing added\n演示数据此前已载入，未新增条目", file=sys.stderr)
    return EXIT_OK


# --- donor erase ----------------------------------------------------------------------------------


def cmd_donor_erase(args: argparse.Namespace) -> int:

    ledger = open_ledger(settings_of(args))
    store = DonorStore(ledger.engine, load_privacy_key(ledger.settings, create=False))
    if args.receipt:
        receipt, _donation = store.find_by_receipt(args.receipt)
        seq = receipt.seq
    else:
        seq = args.seq

    def more(s: int) -> list[str]:  # the report jobs' files that hold the donor's data
        return erase_personal_jobs(ledger.settings, s)

    try:
        erasure = erase_donor(store, ledger.settings, seq, more_files=more, vacuum=args.vacuum)
    finally:
        ledger.engine.dispose()
    if erasure.already_erased:
        if erasure.files:
            print(
                f"removed {len(erasure.files)} file(s) left from before / 已删除此前遗留的 {len(erasure.files)} 个文件",
                file=sys.stderr,
            )
        raise LedgerError("donor_data_erased", seq=seq, erased_at=erasure.erased_at)
    out = erasure.to_json()
    out.update(
        note="personal data and salt removed from the donor store, the files written with them and the "
        "database's free pages and journal; the log and its proofs are unchanged (it never held them)",
        note_zh="已从捐赠人信息库、含个人信息的文件以及数据库空闲页和日志中删除个人信息和盐值；账本及其证明不受影响（账本从不含个人信息）",
    )
    if erasure.database.get("wal_truncated") is False:
        print(
            "the SQLite journal (-wal) could not be emptied while another process was reading; run the erase again "
            "when the server is idle / 另一进程正在读取，SQLite 日志（-wal）未能清空；请在服务空闲时再次运行",
            file=sys.stderr,
        )
    print_json(out)
    return EXIT_OK


# --- registration ---------------------------------------------------------------------------------


def register(add: Add) -> None:
    """Add this module's subcommands to the ``charity-ledger`` parser."""
    p = add("submit", cmd_submit, "sign an entry with your key and submit it (locally, or to --url)")
    p.add_argument("--key", required=True, help="your key file (PEM, from charity-ledger keygen)")
    p.add_argument("type", help="entry type, e.g. progress.reported")
    p.add_argument("--data", required=True, help="the entry's data: JSON text, @file.json, or - for standard input")
    p.add_argument("--idem", help="request id, unique for your key (default: derived from type and data)")
    _remote_options(p)

    p = add("import", _usage_placeholder, "import records from a file (see: import donations)")
    sub = p.add_subparsers(dest="what", required=True)
    d = sub.add_parser(
        "donations",
        help="import a bank or payment-platform statement (CSV) as donations",
        description="Import a statement CSV (docs/import-format.md) as signed donation.received entries. "
        "Re-importing the same file adds nothing.",
    )
    d.set_defaults(func=cmd_import_donations)
    d.add_argument("file", help="the statement: CSV in UTF-8 or GB18030, Chinese or English headers")
    d.add_argument("--key", required=True, help="a fundraiser key of the project's fundraising organisation")
    d.add_argument("--project", required=True, help="the project the donations are for")
    d.add_argument("--skip-bad", action="store_true", help="import the good rows even if some rows are bad")
    d.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
    d.add_argument(
        "--channel",
        help="channel of every row when the file has no 渠道/channel column "
        "(bank_transfer, online_platform, cash, cheque, delivery, other)",
    )
    d.add_argument("--currency", default="CNY", help="currency of rows without a 币种/currency column (default CNY)")
    d.add_argument(
        "--donor-type",
        help="donor type of rows without a 捐赠人类型/donor_type value "
        "(default: individual with a name, else anonymous)",
    )
    d.add_argument(
        "--unrestricted",
        action="store_true",
        help="rows without a 定向/restricted value are unrestricted (default: restricted to the project)",
    )
    d.add_argument(
        "--preset",
        choices=("cmb", "icbc", "ccb", "abc", "boc", "bocom", "wechat", "alipay"),
        help="the statement is a bank's or platform's export as downloaded: cmb (招商银行), icbc (工商银行), "
        "ccb (建设银行), abc (农业银行), boc (中国银行), bocom (交通银行), wechat (微信支付账单), "
        "alipay (支付宝账务明细); its columns and channel are known",
    )
    d.add_argument(
        "--drop-personal-text",
        action="store_true",
        help="leave out a remark (备注/附言) that holds personal data instead of refusing its row; "
        "the report lists each one",
    )
    d.add_argument(
        "--organisation-donor-type",
        choices=("enterprise", "foundation", "government_purchase"),
        help="donor type of paying organisations that are neither companies nor foundations "
        "(associations, schools, public bodies); without it such rows need a 捐赠人类型 value",
    )
    d.add_argument("--receipts", help="write the receipt codes (line, reference, seq, code) to this CSV (mode 0600)")
    d.add_argument("--verbose", action="store_true", help="list every imported row in the JSON output")
    _remote_options(d)

    p = add("demo-data", cmd_demo_data, "load the deterministic demo data set (idempotent)")
    p.add_argument(
        "--scale",
        choices=("small", "large"),
        default="small",
        help="small: a few thousand entries; large: 1,000,000 entries for benchmarks",
    )

    p = add("donor", _usage_placeholder, "donor privacy tools (see: donor erase)")
    sub = p.add_subparsers(dest="what", required=True)
    e = sub.add_parser("erase", help="erase a donor's personal data and salt for good (the log still verifies)")
    e.set_defaults(func=cmd_donor_erase)
    which = e.add_mutually_exclusive_group(required=True)
    which.add_argument("--receipt", help="the donor's receipt code, e.g. D1234-…-G")
    which.add_argument("--seq", type=ascii_int, help="the donation entry's seq")
    e.add_argument(
        "--vacuum",
        action="store_true",
        help="SQLite: also rebuild the whole database file (VACUUM), for a database used before "
        "erasure zeroed free space; stop the server first",
    )


def _usage_placeholder(args: argparse.Namespace) -> int:  # replaced by the sub-subcommand's own func
    return EXIT_USAGE


def _remote_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help="base URL of a served log (default: the log in the data folder)")
    p.add_argument("--token", help="bearer token for the API, if it asks for one (or CHARITY_LEDGER_TOKEN)")
