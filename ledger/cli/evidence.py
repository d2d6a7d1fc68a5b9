"""``charity-ledger evidence``: put an evidence file into the store, locally or through the API.

Registered into ``charity-ledger`` by :func:`register` (listed in ``ledger.cli.commands.SUBCOMMANDS``)::

    charity-ledger evidence add FILE [--restricted]                 # into the data folder's store
    charity-ledger evidence add FILE [--restricted] --url URL --key KEYFILE   # a signed upload

It prints the store's answer as JSON, ``{"sha256", "size", "media_type", "visibility"}``:
``sha256`` is the hash to name in an entry's ``evidence`` list (for an image, the hash of the
copy cleaned of its metadata, which is what the public can fetch). The same checks apply as for
an upload to the API; a refused file prints its reason in English and Chinese and exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx

from ledger.cli.common import Add, settings_of
from ledger.errors import LedgerError
from ledger.protocol.keys import read_key_file
from ledger.store.evidence import SIGNATURE_HEADER, max_bytes_from_env, open_evidence, sign_upload
from ledger.store.runtime import open_ledger

EXIT_OK = 0
EXIT_INVALID = 1


def _read(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; a file larger than the limit is refused before it is read."""
    if path.stat().st_size > max_bytes:
        raise LedgerError("evidence_too_large", limit=max_bytes)
    return path.read_bytes()


def cmd_evidence_add(args: argparse.Namespace) -> int:

    path = Path(args.file)
    visibility = "restricted" if args.restricted else "public"
    data = _read(path, max_bytes_from_env())
    if args.url:
        answer = _upload(args.url, args.key, data, visibility, path.name)
        if answer is None:
            return EXIT_INVALID
    else:
        ledger = open_ledger(settings_of(args))
        try:
            stored, _created = open_evidence(ledger).add(data, visibility, filename=path.name)
        finally:
            ledger.engine.dispose()
        answer = stored.answer()
    print(json.dumps(answer, ensure_ascii=False, indent=2))
    return EXIT_OK


def _upload(url: str, key_path: str | None, data: bytes, visibility: str, name: str) -> dict[str, Any] | None:

    if not key_path:
        raise LedgerError("evidence_signature_missing")
    passphrase = os.environ.get("CHARITY_LEDGER_KEY_PASSPHRASE")
    pair = read_key_file(Path(key_path), passphrase.encode() if passphrase else None)
    answer = httpx.post(
        url.rstrip("/") + "/api/v1/evidence",
        files={"file": (name, data)},
        data={"visibility": visibility},
        headers={SIGNATURE_HEADER: sign_upload(pair, data, visibility)},
        timeout=60,
    )
    try:
        body = answer.json()
    except ValueError:
        body = {}
    if answer.status_code >= 400:
        code = body.get("code", f"http_{answer.status_code}")
        print(
            f"error [{code}]: {body.get('detail', answer.reason_phrase)}\n错误 [{code}]：{body.get('message_zh', '')}",
            file=sys.stderr,
        )
        return None
    answer_body: dict[str, Any] = body
    return answer_body


def register(add: Add) -> None:
    p = add("evidence", lambda _args: 2, "evidence files (invoices, contracts, photos) by SHA-256")
    actions = p.add_subparsers(dest="evidence_action", required=True)
    a = actions.add_parser("add", help="check a file and put it into the evidence store; prints its sha256")
    a.add_argument("file", help="a PDF, JPEG, PNG or WebP image, or UTF-8 text/CSV")
    a.add_argument("--restricted", action="store_true", help="held for overseers and regulators only (default: public)")
    a.add_argument("--url", help="upload to the API served at this address instead of the local store")
    a.add_argument("--key", help="with --url: the PEM key file that signs the upload (a key granted in the log)")
    a.set_defaults(func=cmd_evidence_add)
