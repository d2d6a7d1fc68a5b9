"""Backup and restore of a ledger, checked against the checkpoint published before the backup.

``charity-ledger backup DIR`` writes:

- ``manifest.json``: the origin, the log's verifier key, and the latest signed checkpoint, taken
  *before* the database snapshot (so the snapshot holds at least that tree);
- the database: ``ledger.sqlite3`` (SQLite's online backup API: a consistent copy while the log
  keeps serving) or ``ledger.pgdump`` (``pg_dump --format=custom``);
- ``keys/``: the log key (and the next one, ``log.key.next``, while a key rotation is half
  done), the system key (``system.key``, when there is one) and the donor data key (mode 0600; the folder is 0700). Keep backups as secret as the
  data folder.
- ``evidence/ab/cdef…``: every evidence file the database names, read from the evidence store
  (a folder or an object store) after the database copy and checked against its name; restore
  puts them into the store the settings name.

``charity-ledger restore DIR`` puts them back into an empty data folder / empty database, then
verifies the restored log and checks that its checkpoint is consistent with the manifest's.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url

from ledger.errors import LedgerError, define
from ledger.protocol import merkle
from ledger.protocol.canonical import format_time, now
from ledger.protocol.checkpoint import verify_checkpoint
from ledger.settings import Settings
from ledger.store.db import make_engine
from ledger.store.evidence import TABLE, DiskBackend, backend_from_env, open_evidence
from ledger.store.export import log_vkey, verify_stored_chain
from ledger.store.runtime import NEXT_KEY, open_ledger

BACKUP_INVALID = define(
    "backup_invalid",
    "invalid",
    "The backup cannot be used: {detail}.",
    "备份不可用：{detail}。",
)
RESTORE_REFUSED = define(
    "restore_refused",
    "conflict",
    "Restore refused: {detail}.",
    "拒绝恢复：{detail}。",
)


def _pg_args(url: str) -> tuple[str, list[str]]:
    """A libpq connection string for pg_dump/pg_restore, and the schema to limit them to."""
    u = make_url(url)
    options = u.query.get("options", "")
    schema = []
    if isinstance(options, str) and "search_path=" in options:
        schema = ["--schema", options.split("search_path=")[1].split(",")[0].split()[0]]
    conninfo = u.set(drivername="postgresql").render_as_string(hide_password=False)
    return conninfo, schema


def backup(settings: Settings, folder: Path) -> dict[str, Any]:
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise LedgerError(BACKUP_INVALID, detail=f"{folder} is not empty")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    ledger = open_ledger(settings)
    note = ledger.log.latest_checkpoint()
    cp = verify_checkpoint(note, log_vkey(ledger.log))
    manifest = {
        "origin": settings.origin,  # as configured (the chain's first log, unless set otherwise)
        "log_origin": ledger.log.origin,  # the log being appended to, whose checkpoint this is
        "created_at": format_time(now()),
        "log_vkey": log_vkey(ledger.log),
        "checkpoint": note,
        "size": cp.size,
        "database": "sqlite" if settings.is_sqlite else "postgresql",
    }
    if settings.is_sqlite:
        source = sqlite3.connect(make_url(settings.database_url).database or ":memory:")
        target = sqlite3.connect(folder / "ledger.sqlite3")
        with target:
            source.backup(target)
        source.close()
        target.close()
    else:
        conninfo, schema = _pg_args(settings.database_url)
        subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                *schema,
                "--file",
                str(folder / "ledger.pgdump"),
                "--dbname",
                conninfo,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    keys = folder / "keys"
    keys.mkdir(mode=0o700)
    # log.key.next too: after a crash in the middle of a key rotation the log signs with it
    # system.key: the log operator's granted system key (it signs report.issued; `init` makes it)
    system = settings.log_key_path.parent / "system.key"
    for path in (settings.log_key_path, settings.log_key_path.parent / NEXT_KEY, settings.privacy_key_path, system):
        if path.exists():
            shutil.copy2(path, keys / path.name)
            os.chmod(keys / path.name, 0o600)
    manifest["evidence_files"] = _backup_evidence(ledger, folder / "evidence")
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    ledger.engine.dispose()
    return manifest


def _backup_evidence(ledger: Any, target: Path) -> int:
    """Copy every evidence file the (already copied) database names into ``target/ab/cdef…``,
    from whichever backend holds them. The database is copied first and a file is stored before
    its row, so every row in the backup has its file."""
    store = open_evidence(ledger)
    with ledger.engine.connect() as conn:
        names = list(conn.execute(select(TABLE.c.sha256).order_by(TABLE.c.sha256)).scalars())
    copy = DiskBackend(target)
    for sha in names:
        _info, data = store.read(sha)  # refuses a copy that does not hash to its name
        copy.put(sha, data, "")
    return len(names)


def _restore_evidence(settings: Settings, source: Path) -> int:
    """Put the backup's evidence files into the store the settings name, each checked against
    its name first."""
    files = _evidence_in_backup(source)
    if not files:
        return 0
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            media_types: dict[str, str] = {
                row.sha256: row.media_type for row in conn.execute(select(TABLE.c.sha256, TABLE.c.media_type))
            }
    finally:
        engine.dispose()
    backend = backend_from_env(settings.home)
    for sha, path in files:
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha:  # changed since it was checked
            raise LedgerError(RESTORE_REFUSED, detail=f"the evidence file {sha} does not hash to its name")
        backend.put(sha, data, media_types.get(sha, "application/octet-stream"))
    return len(files)


def _evidence_in_backup(source: Path) -> list[tuple[str, Path]]:
    """The backup's evidence files, each checked against its name (before anything is restored)."""
    if not source.is_dir():
        return []
    files = []
    for path in sorted(source.glob("??/*")):
        sha = path.parent.name + path.name
        if hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            raise LedgerError(RESTORE_REFUSED, detail=f"the evidence file {sha} does not hash to its name")
        files.append((sha, path))
    return files


def restore(settings: Settings, folder: Path) -> dict[str, Any]:
    """Restore into an empty data folder or database; returns what was checked."""

    folder = Path(folder)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LedgerError(BACKUP_INVALID, detail=f"no readable manifest.json in {folder}") from exc
    if manifest.get("origin") != settings.origin:
        raise LedgerError(
            RESTORE_REFUSED, detail=f"the backup is of log {manifest.get('origin')!r}, settings say {settings.origin!r}"
        )
    _evidence_in_backup(folder / "evidence")  # a damaged evidence file refuses the restore before it starts
    for path in (settings.log_key_path, settings.log_key_path.parent / NEXT_KEY, settings.privacy_key_path):
        if path.exists():
            raise LedgerError(RESTORE_REFUSED, detail=f"{path} exists: restore into an empty data folder")
    settings.home.mkdir(parents=True, exist_ok=True)
    if settings.is_sqlite:
        target = Path(make_url(settings.database_url).database or "")
        if target.exists():
            raise LedgerError(RESTORE_REFUSED, detail=f"{target} exists: restore into an empty data folder")
        if not (folder / "ledger.sqlite3").exists():
            raise LedgerError(
                BACKUP_INVALID, detail="it holds no ledger.sqlite3 (a PostgreSQL backup needs a PostgreSQL URL)"
            )
        shutil.copy2(folder / "ledger.sqlite3", target)
    else:
        if not (folder / "ledger.pgdump").exists():
            raise LedgerError(
                BACKUP_INVALID, detail="it holds no ledger.pgdump (a SQLite backup needs a SQLite data folder)"
            )
        conninfo, _schema = _pg_args(settings.database_url)
        done = subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--dbname",
                conninfo,
                str(folder / "ledger.pgdump"),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise LedgerError(RESTORE_REFUSED, detail=f"pg_restore failed: {done.stderr.strip()[:300]}")
    keys = settings.log_key_path.parent
    keys.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name in ("log.key", NEXT_KEY, "privacy.key", "system.key"):
        if (folder / "keys" / name).exists():
            shutil.copy2(folder / "keys" / name, keys / name)
            os.chmod(keys / name, 0o600)
    _restore_evidence(settings, folder / "evidence")
    return check_restored(settings, manifest)


def check_restored(settings: Settings, manifest: dict[str, Any]) -> dict[str, Any]:
    """The restored log verifies, and its checkpoint extends the one published before the backup."""
    ledger = open_ledger(settings)
    vkey = manifest["log_vkey"]
    if log_vkey(ledger.log) != vkey:
        raise LedgerError(BACKUP_INVALID, detail="the restored log key is not the one in the manifest")
    published = verify_checkpoint(manifest["checkpoint"], vkey)
    note = ledger.log.latest_checkpoint()
    report = verify_stored_chain(ledger.log).logs[-1]  # every log of the chain, and their links
    current = verify_checkpoint(note, vkey)
    proof = ledger.log.consistency_proof(published.size, current.size)
    merkle.verify_consistency(published.size, current.size, published.root, current.root, proof)
    ledger.engine.dispose()
    return {"restored_size": report.size, "published_size": published.size, "consistent": True, "root": report.root}
