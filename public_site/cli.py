"""``charity-ledger verifier --out FILE``: write the standalone verifier (one HTML file, no
network) for people to keep and open offline. Registered through ``ledger.cli.commands.SUBCOMMANDS``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from public_site.i18n import parse_lang
from public_site.standalone import build_verifier


def cmd_verifier(args: argparse.Namespace) -> int:

    page, _ = build_verifier(parse_lang(args.lang) or "zh_CN")
    out = Path(args.out)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    print(f"wrote {out} ({len(page.encode('utf-8'))} bytes)")
    return 0


def register(add: Callable[..., Any]) -> None:
    p = add("verifier", cmd_verifier, "write the standalone verifier: one HTML file that checks entries offline")
    p.add_argument("--out", required=True, help="the HTML file to write")
    p.add_argument("--lang", default="zh-CN", choices=("zh-CN", "en"), help="page language (default zh-CN)")
