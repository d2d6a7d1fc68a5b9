"""The ``charity-ledger`` command line.

Exit status 0 means success (or "valid" for ``verify``); any other status comes with a message
on standard error saying what went wrong and where. Errors print in English and Chinese.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from api.serve import serve
from api.tokens import create_token, list_tokens, revoke_token
from ledger.cli import charity, evidence, oversight
from ledger.cli.app import APP_FACTORY
from ledger.cli.common import print_json, settings_of
from ledger.errors import LedgerError, VerificationError
from ledger.protocol.grammar import ascii_int
from ledger.protocol.keys import KeyPair, b64, write_key_file
from ledger.protocol.verify import read_chain_export, verify_chain
from ledger.services import demo
from ledger.services.oversight import quorum_report
from ledger.services.remote import fetch_chain_for_verify
from ledger.store import accounts
from ledger.store.backup import backup, restore
from ledger.store.doctor import run_checks
from ledger.store.export import export_log, log_vkey
from ledger.store.onboarding import Registrar, create_registry, registry_summary
from ledger.store.rebuild import check, rebuild
from ledger.store.runtime import Ledger, init_ledger, open_ledger, roll_over, rotate_log_key, stored_origin
from ledger.store.tile_writer import write_tiles
from public_site import cli as public_site_cli
from reports import cli as reports_cli

EXIT_OK = 0
EXIT_INVALID = 1  # verification failed / refused
EXIT_USAGE = 2


# --- commands ---------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    """Create the data folder, the schema and the log key; then (given the registrar's details,
    as options or answers to questions) the genesis entry, the registrar's and the system's keys;
    and print what to do next."""

    settings = settings_of(args)
    interactive = sys.stdin.isatty() and not args.no_input
    if args.origin:
        settings = replace(settings, origin=args.origin, origin_explicit=True)
    elif interactive and stored_origin(settings) is None and not settings.origin_explicit:
        answer = _ask("the log's name (origin), e.g. registry.example-charity.org.cn/log / 账本名称", "")
        if answer:
            settings = replace(settings, origin=answer, origin_explicit=True)
    ledger = init_ledger(settings, allow_example_origin=args.example_origin)
    head = ledger.log.head()
    out: dict[str, Any] = {
        "home": str(ledger.settings.home),
        "database": ledger.engine.url.render_as_string(hide_password=True),
        "origin": ledger.settings.origin,
        "log_vkey": log_vkey(ledger.log),
        "size": head.size,
    }
    registrar = _registrar_of(args, interactive) if head.size == 0 else None
    if registrar is not None:
        passphrase = _key_passphrase(args, interactive)
        out["registry"] = create_registry(ledger, registrar, passphrase=passphrase)
        out["size"] = ledger.log.head().size
    if args.registrar_login and ledger.log.head().size > 0:
        out["invitation"] = _first_invitation(ledger, args)
    print_json(out)
    _print_next_steps(out)
    return EXIT_OK


def _ask(question: str, default: str) -> str:
    shown = f" [{default}]" if default else ""
    try:
        answer = input(f"{question}{shown}: ").strip()
    except EOFError:
        answer = ""
    return answer or default


def _registrar_of(args: argparse.Namespace, interactive: bool) -> Any:

    fields = {
        "org": args.registrar_org,
        "org_name_zh": args.registrar_name_zh,
        "jurisdiction": args.jurisdiction,
        "holder": args.registrar_holder,
    }
    if not any(fields.values()) and not interactive:
        return None  # schema and log key only; `init` again with the registrar's details makes the genesis
    questions = {
        "org": "registrar's unified social credit code / 登记管理机关统一社会信用代码",
        "org_name_zh": "registrar's name in Chinese / 登记管理机关中文名称",
        "jurisdiction": "jurisdiction, e.g. CN-GD-Shenzhen / 管辖区域",
        "holder": "who holds the registrar key (department) / 登记密钥持有部门",
    }
    for name, question in questions.items():
        if not fields[name] and interactive:
            fields[name] = _ask(question, "")
    flags = {"org": "--registrar-org", "org_name_zh": "--registrar-name-zh", "jurisdiction": "--jurisdiction"}
    flags["holder"] = "--registrar-holder"
    missing = ", ".join(flags[n] for n, v in fields.items() if not v)
    if missing:
        raise LedgerError("init_incomplete", detail=f"give {missing}", detail_zh=f"请提供 {missing}")
    return Registrar(
        jurisdiction=fields["jurisdiction"],
        org=fields["org"],
        org_name_zh=fields["org_name_zh"],
        holder=fields["holder"],
        org_name_en=args.registrar_name_en,
        rule_sets=tuple(args.rule_set or ["cn-charity/1"]),
    )


def _key_passphrase(args: argparse.Namespace, interactive: bool) -> bytes | None:
    """Key files are encrypted by default: the passphrase from the environment, or asked for;
    unencrypted only with --unencrypted-keys (init) or --unencrypted (keygen)."""
    if getattr(args, "unencrypted_keys", False):
        return None
    passphrase = os.environ.get("CHARITY_LEDGER_KEY_PASSPHRASE")
    if passphrase:
        return passphrase.encode()
    if interactive:
        first = getpass.getpass("passphrase for the key files / 密钥文件口令: ")
        if first and first == getpass.getpass("again / 再次输入: "):
            return first.encode()
    raise LedgerError(
        "init_incomplete",
        detail="key files are encrypted: set CHARITY_LEDGER_KEY_PASSPHRASE "
        "(or pass --unencrypted-keys / --unencrypted for a test registry)",
        detail_zh="密钥文件默认加密：请设置 CHARITY_LEDGER_KEY_PASSPHRASE（测试用可用 --unencrypted-keys 或 --unencrypted）",
    )


def _first_invitation(ledger: Any, args: argparse.Namespace) -> dict[str, str]:

    org = registry_summary(ledger)["registrar_org"]
    token = accounts.invite(
        ledger.engine,
        login=args.registrar_login,
        display_name=args.registrar_holder or args.registrar_login,
        organisation=org,
        roles=["registrar"],
        actor=None,
    )
    return {"login": args.registrar_login, "link": f"/workbench/invitation#code={token}"}


def _print_next_steps(out: dict[str, Any]) -> None:
    """What to do next, on standard error (standard output stays JSON)."""
    steps: list[str] = []
    if out["size"] == 0:
        steps.append(
            "create the trust root: charity-ledger init --registrar-org CODE --registrar-name-zh NAME "
            "--jurisdiction CN-XX-City --registrar-holder DEPT / 创建信任根（创世条目）"
        )
    else:
        steps.append("check the deployment: charity-ledger doctor / 检查部署")
        if "invitation" not in out:
            steps.append(
                "invite the registrar to the workbench: charity-ledger init --registrar-login NAME / 邀请登记管理机关登录工作台"
            )
        else:
            steps.append(f"open the invitation link on the site: {out['invitation']['link']} / 打开邀请链接设置密码")
        steps.append(
            "register the first organisation: in the workbench, or charity-ledger submit --key keys/registrar.key "
            "org.registered --data '{…}' / 登记第一家机构"
        )
        steps.append(
            "grant its admin's key (people page, or key.granted) and invite its admin / 授权机构管理员密钥并邀请其登录"
        )
        steps.append("serve: charity-ledger serve; see docs/operations.md / 启动服务，详见 docs/operations.md")
    print("next steps / 下一步:", file=sys.stderr)
    for n, step in enumerate(steps, 1):
        print(f"  {n}. {step}", file=sys.stderr)


def cmd_export(args: argparse.Namespace) -> int:

    ledger = open_ledger(settings_of(args))
    size = export_log(ledger.log, Path(args.dir))
    print(f"exported {size} entries to {args.dir}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:

    if bool(args.dir) == bool(args.url):
        print("give either an export folder or --url / 请提供导出目录或 --url 之一", file=sys.stderr)
        return EXIT_USAGE
    if args.dir:
        logs, vkey = read_chain_export(Path(args.dir))
        if args.vkey:
            vkey = _read_vkey(args.vkey)
    else:
        vkey_text = _read_vkey(args.vkey) if args.vkey else None
        logs, vkey = fetch_chain_for_verify(args.url, vkey_text, use_tiles=args.entries_from == "tiles")

    report = verify_chain(logs, vkey)  # every log of the chain, oldest first
    note = logs[-1][1]
    out = report.to_json()
    witnesses = quorum_report(note, args.witness_key, args.quorum)  # refuses a checkpoint short of the quorum
    if witnesses is not None:
        out["witnesses"] = witnesses
    print_json(out)
    return EXIT_OK


def cmd_shard(args: argparse.Namespace) -> int:

    ledger = open_ledger(settings_of(args))
    if args.shard_action == "list":
        print_json([s.to_json() | {"checkpoint": s.checkpoint} for s in ledger.log.shards()])
        return EXIT_OK
    print_json(roll_over(ledger, args.origin, year=args.year, if_due=args.if_due))
    return EXIT_OK


def cmd_tiles(args: argparse.Namespace) -> int:

    print_json(write_tiles(open_ledger(settings_of(args)).log, Path(args.dir)).to_json())
    return EXIT_OK


def _read_vkey(value: str) -> str:
    path = Path(value)
    return path.read_text(encoding="utf-8").strip() if path.exists() else value.strip()


def cmd_keygen(args: argparse.Namespace) -> int:

    # key files are encrypted by default: the passphrase from the environment, or asked for
    passphrase = None if args.unencrypted else _key_passphrase(args, sys.stdin.isatty())
    pair = KeyPair.generate()
    write_key_file(pair, Path(args.out), passphrase)
    print_json(
        {"key_id": pair.id, "public_key": b64(pair.public), "file": str(args.out), "encrypted": passphrase is not None}
    )
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:

    manifest = backup(settings_of(args), Path(args.dir))
    print_json({k: v for k, v in manifest.items() if k != "checkpoint"})
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:

    print_json(restore(settings_of(args), Path(args.dir)))
    return EXIT_OK


def cmd_rotate_log_key(args: argparse.Namespace) -> int:

    print_json(rotate_log_key(open_ledger(settings_of(args))))
    return EXIT_OK


def cmd_token(args: argparse.Namespace) -> int:

    engine = open_ledger(settings_of(args)).engine
    if args.token_action == "create":
        expires = timedelta(days=args.days) if args.days else None
        print(create_token(engine, args.name, args.scope, expires_in=expires))
    elif args.token_action == "list":
        print_json(
            [
                {
                    "id": t.id,
                    "name": t.name,
                    "scopes": list(t.scopes),
                    "created_at": t.created_at,
                    "revoked_at": t.revoked_at,
                    "expires_at": t.expires_at,
                }
                for t in list_tokens(engine)
            ]
        )
    else:
        info = revoke_token(engine, args.token)
        print_json({"id": info.id, "revoked_at": info.revoked_at})
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:

    checks = run_checks(settings_of(args), deep=args.deep)
    print_json([c.to_json() for c in checks])
    failed = [c for c in checks if not c.ok]
    for c in checks:
        if c.warning:
            print(f"WARNING {c.name}: {c.detail}", file=sys.stderr)
    for c in failed:
        print(f"FAILED {c.name}: {c.detail}", file=sys.stderr)
    return EXIT_INVALID if failed else EXIT_OK


def cmd_rebuild(args: argparse.Namespace) -> int:

    ledger = open_ledger(settings_of(args))
    report = check(ledger.log) if args.check else rebuild(ledger.log)
    print_json(report.to_json())
    if args.check and not report.clean:
        print("projections differ from the log / 投影数据与账本不一致", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:

    prepare = _load_demo if args.demo else None
    return serve(
        settings_of(args), factory=APP_FACTORY, host=args.host, port=args.port, workers=args.workers, prepare=prepare
    )


def _load_demo(ledger: Ledger) -> None:
    """Load the small demo data set into an empty log (a log that holds entries is left alone)."""

    if ledger.log.head().size == 0:
        demo.load(ledger, scale="small")


# --- parser -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="charity-ledger", description="Charity donation registry and transparency ledger"
    )
    parser.add_argument("--home", help="data folder (default: $CHARITY_LEDGER_HOME or ./data)")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_)
        p.set_defaults(func=func)
        return p

    p = add("init", cmd_init, "create the data folder, schema and log key (idempotent)")
    p.add_argument(
        "--origin", help="the log's name, e.g. registry.example-charity.org.cn/log (or CHARITY_LEDGER_ORIGIN)"
    )
    p.add_argument(
        "--example-origin",
        action="store_true",
        help="allow the example origin charity-ledger.example/log (demos and tests only)",
    )
    p.add_argument("--registrar-org", help="the registrar's unified social credit code (genesis)")
    p.add_argument("--registrar-name-zh", help="the registrar's name in Chinese (genesis)")
    p.add_argument("--registrar-name-en", help="the registrar's name in English (optional)")
    p.add_argument("--registrar-holder", help="the person or department holding the registrar key")
    p.add_argument("--jurisdiction", help="e.g. CN-GD-Shenzhen (genesis)")
    p.add_argument("--rule-set", action="append", help="a rule set in force, e.g. cn-charity/1 (repeatable)")
    p.add_argument("--registrar-login", help="also invite this workbench account as the registrar")
    p.add_argument("--unencrypted-keys", action="store_true", help="write the key files without a passphrase (tests)")
    p.add_argument("--no-input", action="store_true", help="never ask questions (scripts)")

    p = add("export", cmd_export, "write entries.jsonl, checkpoint and log.vkey into DIR")
    p.add_argument("dir")

    p = add("verify", cmd_verify, "verify an export folder, or a served log with --url")
    p.add_argument("dir", nargs="?")
    p.add_argument("--url", help="base URL of a served log, e.g. http://127.0.0.1:8000")
    p.add_argument(
        "--vkey", help="the log's verifier key (a string or a file); with --url, defaults to what the server says"
    )
    p.add_argument(
        "--witness-key",
        action="append",
        default=[],
        help="trusted witness verifier key (type 0x04), comma-separated keys, or a file of keys; repeatable "
        "(default: $CHARITY_LEDGER_WITNESS_KEYS)",
    )
    p.add_argument(
        "--quorum",
        type=ascii_int,
        help="how many of the witness keys must have cosigned (default: $CHARITY_LEDGER_WITNESS_QUORUM, else a majority)",
    )
    p.add_argument(
        "--entries-from",
        choices=("tiles", "api"),
        default="tiles",
        help="with --url, read the leaves from the logs' entry bundles (static tiles, the default, when the "
        "server lists them) or from the paged entries endpoint",
    )

    p = add("keygen", cmd_keygen, "create an actor key pair in a file (mode 0600)")
    p.add_argument("--out", required=True, help="file to write the private key to")
    p.add_argument(
        "--unencrypted",
        action="store_true",
        help="no passphrase (by default the file is encrypted with CHARITY_LEDGER_KEY_PASSPHRASE, or one asked for)",
    )

    p = add("serve", cmd_serve, "run the site and API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=ascii_int, default=8000)
    p.add_argument("--workers", type=ascii_int, default=1)
    p.add_argument("--demo", action="store_true", help="load the small demo data set first if the log is empty")

    p = add("backup", cmd_backup, "back up the database and keys into an empty DIR, with the latest checkpoint")
    p.add_argument("dir")
    p = add("restore", cmd_restore, "restore a backup into an empty data folder or database, then verify it")
    p.add_argument("dir")

    p = add("shard", cmd_shard, "the chain of logs (one per year): list them, or seal this one and open the next")
    actions = p.add_subparsers(dest="shard_action", required=True)
    actions.add_parser("list", help="every log of the chain, oldest first, with sizes and final checkpoints")
    r = actions.add_parser(
        "roll",
        help="seal the log being appended to (log.sealed) and open the next (its genesis names the final checkpoint)",
    )
    r.add_argument("--origin", help="the next log's origin (default: this origin with the year replaced or added)")
    r.add_argument(
        "--year", type=ascii_int, help="the year the next log is for (default: this year, China Standard Time)"
    )
    r.add_argument(
        "--if-due",
        action="store_true",
        help="only if the log was opened in an earlier year (what the yearly task runs)",
    )

    p = add(
        "tiles",
        cmd_tiles,
        "write the chain of logs as C2SP tlog-tiles files into DIR, for a static server (new tiles only)",
    )
    actions = p.add_subparsers(dest="tiles_action", required=True)
    t = actions.add_parser(
        "write",
        help="bring DIR up to the latest checkpoint of every log (DIR/shards/<I>/…, DIR/tile and DIR/checkpoint for the active log)",
    )
    t.add_argument("dir")

    add(
        "rotate-log-key",
        cmd_rotate_log_key,
        "rotate the log's checkpoint key (announced in the log, signed by the old key)",
    )

    p = add("token", cmd_token, "API bearer tokens for regulator reads: create, list, revoke")
    actions = p.add_subparsers(dest="token_action", required=True)
    t = actions.add_parser("create", help="make a token; it is printed once and stored hashed")
    t.add_argument("--name", required=True, help="who holds it (a bureau, an auditor)")
    t.add_argument("--scope", action="append", required=True, help="a scope, e.g. regulator (repeatable)")
    t.add_argument("--days", type=ascii_int, default=0, help="the token expires after this many days (default: never)")
    actions.add_parser("list", help="tokens with their ids, holders, scopes and state (never the secret)")
    t = actions.add_parser("revoke", help="revoke a token by its id or the token itself")
    t.add_argument("token")

    p = add("doctor", cmd_doctor, "check a deployment: database, migrations, keys, log, broker, fonts")
    p.add_argument("--deep", action="store_true", help="also replay the log and compare every projection")

    p = add("rebuild", cmd_rebuild, "rebuild the projections from the log (--check: only compare)")
    p.add_argument("--check", action="store_true", help="rebuild into a scratch schema and report differences")

    for module in SUBCOMMANDS:
        module.register(add)
    return parser


# Other packages add their own subcommands: each module has register(add), where
# add(name, func, help) returns the subparser to give arguments to.
SUBCOMMANDS = (charity, oversight, evidence, reports_cli, public_site_cli)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except VerificationError as exc:
        where = "" if exc.seq is None else f" at seq {exc.seq}"
        print(
            f"INVALID{where}: {exc.message_en}\n无效{where and f'（序号 {exc.seq}）'}：{exc.message_zh}",
            file=sys.stderr,
        )
        return EXIT_INVALID
    except LedgerError as exc:
        print(f"error [{exc.code}]: {exc.message_en}\n错误 [{exc.code}]：{exc.message_zh}", file=sys.stderr)
        return EXIT_INVALID
    except OSError as exc:
        print(f"error: {exc}\n错误：{exc}", file=sys.stderr)
        return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
