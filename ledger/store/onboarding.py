"""Onboarding a registry: the trust root (``registry.genesis``), the registrar's key and the
log operator's ``system`` key, created once by ``charity-ledger init``.

The registrar's key signs the genesis entry (which names it and the log's checkpoint key) and
then grants the system key with ``key.granted`` (role ``system``, the registrar's organisation):
every key but the root has a granting entry. Both private keys are written as PEM files in
``<home>/keys/`` (mode 0600), encrypted with the passphrase given (``init`` asks for one, or
takes ``CHARITY_LEDGER_KEY_PASSPHRASE``; it writes unencrypted files only when told to). The
registrar's file is for the first entries only: move it off the server once the registrar
signs in the workbench with a key of their own browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ledger.domain.rows import KeyRow
from ledger.errors import LedgerError
from ledger.protocol.canonical import now
from ledger.protocol.entry import make_body, sign_entry
from ledger.protocol.keys import KeyPair, read_key_file, write_key_file
from ledger.store.db import read_transaction
from ledger.store.projection_tables import table_for
from ledger.store.runtime import Ledger

REGISTRAR_KEY = "registrar.key"
SYSTEM_KEY = "system.key"  # the file reports/issue.py reads


@dataclass(frozen=True, slots=True)
class Registrar:
    """What the genesis entry says of the registrar (the civil-affairs bureau)."""

    jurisdiction: str  # e.g. "CN-GD-Shenzhen"
    org: str  # unified social credit code
    org_name_zh: str
    holder: str  # the person or department holding the registrar key
    org_name_en: str | None = None
    rule_sets: tuple[str, ...] = ("cn-charity/1",)


def key_paths(ledger: Ledger) -> tuple[Path, Path]:
    folder = ledger.settings.home / "keys"
    return folder / REGISTRAR_KEY, folder / SYSTEM_KEY


def _key(path: Path, passphrase: bytes | None) -> KeyPair:
    """The key in ``path``, made (mode 0600) when there is none yet."""
    if path.exists():
        return read_key_file(path, passphrase)
    pair = KeyPair.generate()
    write_key_file(pair, path, passphrase)
    return pair


def create_registry(ledger: Ledger, registrar: Registrar, *, passphrase: bytes | None) -> dict[str, Any]:
    """Append the genesis entry and the system key's grant to an empty log; idempotent (a log
    that has them is left as it is, and what it holds is reported)."""
    registrar_path, system_path = key_paths(ledger)
    if ledger.log.head().size > 0:
        return {"created": False, **registry_summary(ledger)}
    registrar_key = _key(registrar_path, passphrase)
    system_key = _key(system_path, passphrase)
    origin = ledger.log.origin
    genesis: dict[str, Any] = {
        "origin": origin,
        "jurisdiction": registrar.jurisdiction,
        "rule_sets": list(registrar.rule_sets),
        "public_key": registrar_key.public_b64,
        "role": "registrar",
        "org": registrar.org,
        "org_name_zh": registrar.org_name_zh,
        "holder": registrar.holder,
        "log_key": ledger.log_key.public_b64,
    }
    if registrar.org_name_en:
        genesis["org_name_en"] = registrar.org_name_en
    grant = {
        "public_key": system_key.public_b64,
        "role": "system",
        "org": registrar.org,
        "holder": "log operator (charity-ledger system key)",
    }
    at = now()
    entries = [
        sign_entry(registrar_key, make_body(origin, "registry.genesis", registrar_key.id, at, "init:genesis", genesis)),
        sign_entry(registrar_key, make_body(origin, "key.granted", registrar_key.id, at, "init:system-key", grant)),
    ]
    ledger.log.append(entries)  # one batch: both or neither
    return {"created": True, **registry_summary(ledger)}


def registry_summary(ledger: Ledger) -> dict[str, Any]:
    """The trust root and the system key as the log holds them (projections), and the files."""
    keys = table_for(KeyRow)
    with read_transaction(ledger.engine) as conn:
        rows = conn.execute(select(keys).where(keys.c.role.in_(("registrar", "system")))).mappings().all()
    root = next((r for r in rows if r["role"] == "registrar" and r["granted_by"] is None), None)
    system = [r for r in rows if r["role"] == "system" and r["revoked_seq"] is None]
    registrar_path, system_path = key_paths(ledger)
    return {
        "registrar_key_id": root["key_id"] if root else None,
        "registrar_org": root["org"] if root else None,
        "system_key_ids": [r["key_id"] for r in system],
        "registrar_key_file": str(registrar_path) if registrar_path.exists() else None,
        "system_key_file": str(system_path) if system_path.exists() else None,
    }


def check_trust_root(ledger: Ledger) -> str:
    """For ``doctor``: the log has its genesis, and a live system key whose file is here."""
    summary = registry_summary(ledger)
    if summary["registrar_key_id"] is None:
        raise RuntimeError("the log has no registry.genesis: run `charity-ledger init` with the registrar's details")
    if not summary["system_key_ids"]:
        raise RuntimeError(
            "no live system key is granted in the log: run `charity-ledger init` (or grant one with key.granted, role system)"
        )
    _, system_path = key_paths(ledger)
    if not system_path.exists():
        raise RuntimeError(f"{system_path} does not exist: the system key granted in the log is not on this machine")
    try:
        pair = read_key_file(system_path, ledger.settings.key_passphrase)
    except LedgerError as exc:
        raise RuntimeError(f"{system_path}: {exc.message_en}") from exc
    if pair.id not in summary["system_key_ids"]:
        raise RuntimeError(
            f"{system_path} holds key {pair.id[:16]}…, which the log does not grant as a live system key"
        )
    return f"genesis by registrar {summary['registrar_key_id'][:16]}… ({summary['registrar_org']}); system key {pair.id[:16]}… granted"
