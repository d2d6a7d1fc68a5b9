"""Backup and restore on SQLite and PostgreSQL: the restored log verifies and extends the
checkpoint published before the backup; a damaged backup is refused."""

from __future__ import annotations

import base64
import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from ledger.errors import LedgerError, VerificationError
from ledger.store.backup import backup, restore
from ledger.store.db import make_engine
from tests.support.ledger_factory import LedgerFactory


@pytest.fixture
def restore_target(
    request: pytest.FixtureRequest, tmp_path: Path, any_factory: LedgerFactory
) -> Iterator[LedgerFactory]:
    """An empty place to restore into, of the same kind as ``any_factory``."""
    if any_factory.database_url is None:
        yield LedgerFactory(tmp_path / "restored")
        return
    source = make_url(any_factory.database_url)
    name = "restore_" + uuid.uuid4().hex[:10]
    admin = make_engine(request.getfixturevalue("postgres_url"), pool=False).execution_options(
        isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    target = source.set(database=name).render_as_string(hide_password=False)
    yield LedgerFactory(tmp_path / "restored", database_url=target)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


def test_restore_verifies_and_extends_the_published_checkpoint(
    any_factory: LedgerFactory, restore_target: LedgerFactory, tmp_path: Path
) -> None:
    f = any_factory
    f.with_genesis()
    f.append_orgs(25, batch=10)
    from ledger.store.donors import load_privacy_key

    load_privacy_key(f.settings)
    manifest = backup(f.settings, tmp_path / "backup")
    assert manifest["size"] == 26
    assert oct((tmp_path / "backup" / "keys" / "log.key").stat().st_mode & 0o777) == "0o600"
    f.append_orgs(5, start=100)  # the live log goes on; the backup is what it was
    result = restore(restore_target.settings, tmp_path / "backup")
    published_root = base64.b64decode(manifest["checkpoint"].split("\n")[2]).hex()
    assert result == {"restored_size": 26, "published_size": 26, "consistent": True, "root": published_root}
    restored = restore_target.ledger
    assert restored.log.head().size == 26
    # the restored log takes new entries with the same key and chain
    restored.log.append([f.org_entry(200)])
    assert restored.log.head().size == 27
    # restoring over an existing log is refused
    with pytest.raises(LedgerError) as err:
        restore(restore_target.settings, tmp_path / "backup")
    assert err.value.code == "restore_refused"


def test_a_chain_of_logs_is_backed_up_and_restored(
    any_factory: LedgerFactory, restore_target: LedgerFactory, tmp_path: Path
) -> None:
    from ledger.store.donors import load_privacy_key
    from ledger.store.export import verify_stored_chain
    from ledger.store.runtime import roll_over

    f = any_factory
    f.with_genesis()
    f.append_orgs(10)
    roll_over(f.ledger, year=2027)
    f.append_orgs(3, start=50)
    load_privacy_key(f.settings)
    manifest = backup(f.settings, tmp_path / "backup")
    assert manifest["log_origin"] == f.ledger.log.origin != manifest["origin"] and manifest["size"] == 4
    result = restore(restore_target.settings, tmp_path / "backup")
    assert (result["restored_size"], result["published_size"], result["consistent"]) == (4, 4, True)
    restored = restore_target.ledger
    assert restored.log.shards() == f.ledger.log.shards()  # every log, sealed ones with their final checkpoints
    assert [r.size for r in verify_stored_chain(restored.log).logs] == [12, 4]
    restored.log.append([f.org_entry(300)])  # the restored chain goes on in its current log
    assert restored.log.head().size == 5


def test_damaged_sqlite_backup_is_refused(factory: LedgerFactory, tmp_path: Path) -> None:
    f = factory
    f.with_genesis()
    f.append_orgs(6)
    backup(f.settings, tmp_path / "backup")
    db = sqlite3.connect(tmp_path / "backup" / "ledger.sqlite3")
    leaf = db.execute("SELECT leaf FROM log_leaf WHERE seq = 3").fetchone()[0]
    db.execute(
        "UPDATE log_leaf SET leaf = ? WHERE seq = 3",
        (leaf.replace(b"\\u6d4b", b"\\u6d4c") if b"\\u" in leaf else leaf.replace("测".encode(), "侧".encode()),),
    )
    db.commit()
    db.close()
    with pytest.raises(VerificationError) as err:
        restore(LedgerFactory(tmp_path / "restored").settings, tmp_path / "backup")
    assert err.value.seq == 3


def test_manifest_from_another_log_is_refused(factory: LedgerFactory, tmp_path: Path) -> None:
    factory.with_genesis()
    backup(factory.settings, tmp_path / "backup")
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    manifest["origin"] = "other.example/log"
    (tmp_path / "backup" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(LedgerError) as err:
        restore(LedgerFactory(tmp_path / "restored").settings, tmp_path / "backup")
    assert err.value.code == "restore_refused"


def test_evidence_files_are_backed_up_and_restored(
    any_factory: LedgerFactory, restore_target: LedgerFactory, tmp_path: Path
) -> None:
    import hashlib

    from ledger.store.evidence import open_evidence
    from tests.evidence_files import pdf_bytes

    f = any_factory
    f.with_genesis()
    store = open_evidence(f.ledger)
    public, _ = store.add(pdf_bytes("invoice kept"), "public")
    restricted, _ = store.add(pdf_bytes("contract kept"), "restricted")
    manifest = backup(f.settings, tmp_path / "backup")
    assert manifest["evidence_files"] == 2
    copied = sorted(p for p in (tmp_path / "backup" / "evidence").rglob("*") if p.is_file())
    assert [p.parent.name + p.name for p in copied] == sorted([public.sha256, restricted.sha256])
    restore(restore_target.settings, tmp_path / "backup")
    again = open_evidence(restore_target.ledger)
    for kept in (public, restricted):
        info, data = again.read(kept.sha256)
        assert hashlib.sha256(data).hexdigest() == kept.sha256 and info.visibility == kept.visibility


def test_a_damaged_evidence_file_in_a_backup_is_refused(factory: LedgerFactory, tmp_path: Path) -> None:
    from ledger.store.evidence import open_evidence
    from tests.evidence_files import pdf_bytes

    factory.with_genesis()
    stored, _ = open_evidence(factory.ledger).add(pdf_bytes("to be damaged"), "public")
    backup(factory.settings, tmp_path / "backup")
    path = tmp_path / "backup" / "evidence" / stored.sha256[:2] / stored.sha256[2:]
    path.write_bytes(path.read_bytes() + b"\n")
    target = LedgerFactory(tmp_path / "restored").settings
    with pytest.raises(LedgerError) as err:
        restore(target, tmp_path / "backup")
    assert err.value.code == "restore_refused" and stored.sha256 in err.value.message_en
    assert not target.log_key_path.exists() and not (target.home / "ledger.sqlite3").exists()  # nothing restored


def test_a_backup_taken_in_the_middle_of_a_key_rotation_restores_with_the_new_key(
    any_factory: LedgerFactory, restore_target: LedgerFactory, tmp_path: Path
) -> None:
    """A rotation committed in the log whose key files were not swapped yet (a crash): the log
    signs with keys/log.key.next. Found by the simulation: the backup left that key out, so
    the restore failed (log_key_missing) and the announced key existed nowhere else."""
    from ledger.protocol.keys import KeyPair, write_key_file
    from ledger.store.donors import load_privacy_key
    from ledger.store.runtime import rotate_log_key

    f = any_factory
    f.with_genesis()
    f.append_orgs(3)
    load_privacy_key(f.settings)
    new = KeyPair.from_seed(b"rotated log key")
    write_key_file(new, f.settings.log_key_path.parent / "log.key.next")
    f.ledger.log.rotate_log_key(new)  # committed; the process dies before moving the key files
    manifest = backup(f.settings, tmp_path / "backup")
    assert (tmp_path / "backup" / "keys" / "log.key.next").exists()
    result = restore(restore_target.settings, tmp_path / "backup")
    assert (result["restored_size"], result["published_size"], result["consistent"]) == (5, 5, True)
    restored = restore_target.ledger
    assert restored.log.current_log_key().id == new.id and manifest["log_vkey"].endswith(
        base64.b64encode(b"\x01" + new.public).decode()
    )
    rotate_log_key(restored)  # the operator finishes the rotation on the restored copy
    assert restored.log.append([f.org_entry(100)])[0].seq == 5
