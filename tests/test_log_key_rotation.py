"""Log key rotation: announced in the log by the old key; verifiers holding either key accept
checkpoints by the announced sizes; other processes follow; a crash mid-rotation recovers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.cli import main
from ledger.errors import LedgerError, VerificationError
from ledger.protocol import merkle
from ledger.protocol.checkpoint import verify_checkpoint
from ledger.protocol.keys import KeyPair, read_key_file, write_key_file
from ledger.protocol.note import format_verifier_key
from ledger.protocol.verify import read_export, verify_log
from ledger.store.export import export_log, log_vkey
from ledger.store.runtime import open_ledger, rotate_log_key
from tests.support.ledger_factory import ORIGIN, LedgerFactory


def _vkey(pair: KeyPair) -> str:
    return format_verifier_key(ORIGIN, pair.public)


@pytest.fixture
def rotated(any_factory: LedgerFactory) -> tuple[LedgerFactory, KeyPair, KeyPair, str]:
    f = any_factory
    f.with_genesis()
    f.append_orgs(5)
    old = f.ledger.log_key
    published = f.ledger.log.latest_checkpoint()
    info = rotate_log_key(f.ledger)
    new = f.ledger.log.log_key
    assert info == {"previous_key_id": old.id, "key_id": new.id, "announced_at_seq": 6, "from_size": 7}
    f.append_orgs(4, start=50)
    return f, old, new, published


def test_verifiers_with_either_key_accept_by_the_announced_sizes(rotated, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f, old, new, published = rotated
    log = f.ledger.log
    export_log(log, tmp_path / "e")
    assert (tmp_path / "e" / "log.vkey").read_text().strip() == _vkey(new)
    leaves, note, _ = read_export(tmp_path / "e")
    assert verify_log(leaves, note, _vkey(new)).size == 11
    assert verify_log(read_export(tmp_path / "e")[0], note, _vkey(old)).size == 11  # follows the rotation
    with pytest.raises(VerificationError):
        verify_log(read_export(tmp_path / "e")[0], note, _vkey(KeyPair.from_seed(b"stranger")))
    # checkpoints before the rotation stay signed by the old key, after it by the new one
    assert verify_checkpoint(log.checkpoint_at(6), _vkey(old)).size == 6
    assert verify_checkpoint(log.checkpoint_at(7), _vkey(new)).size == 7
    with pytest.raises(VerificationError):
        verify_checkpoint(log.checkpoint_at(7), _vkey(old))
    # and the tree is one tree across the rotation
    first, latest = verify_checkpoint(published, _vkey(old)), verify_checkpoint(log.latest_checkpoint(), _vkey(new))
    merkle.verify_consistency(
        first.size, latest.size, first.root, latest.root, log.consistency_proof(first.size, latest.size)
    )


def test_a_checkpoint_signed_by_the_old_key_after_the_rotation_is_refused(rotated, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ledger.protocol.checkpoint import Checkpoint, sign_checkpoint
    from ledger.protocol.note import NoteSigner

    f, old, _new, _ = rotated
    export_log(f.ledger.log, tmp_path / "e")
    head = f.ledger.log.head()
    stale = sign_checkpoint(Checkpoint(ORIGIN, head.size, head.root), NoteSigner(ORIGIN, old))
    with pytest.raises(VerificationError):
        verify_log(read_export(tmp_path / "e")[0], stale, _vkey(old))


def test_other_processes_follow_the_rotation(any_factory: LedgerFactory) -> None:
    f = any_factory
    f.with_genesis()
    other = open_ledger(f.settings)  # opened with the old key file
    rotate_log_key(f.ledger)
    result = other.log.append([f.org_entry(1)])[0]
    assert verify_checkpoint(result.checkpoint, _vkey(f.ledger.log.log_key)).size == 3
    assert log_vkey(other.log) == _vkey(f.ledger.log.log_key)


def test_rotation_cannot_be_submitted_as_an_entry(any_factory: LedgerFactory) -> None:
    f = any_factory
    f.with_genesis()
    new = KeyPair.generate()
    entry = f.sign(f.ledger.log_key, "log.key_rotated", {"public_key": new.public_b64, "from_size": 2})
    before = f.ledger.log.head()
    with pytest.raises(LedgerError) as err:
        f.ledger.log.append([entry])
    assert err.value.code == "log_key_rotation_by_command" and f.ledger.log.head() == before


def test_crash_between_commit_and_key_files_recovers(
    factory: LedgerFactory, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    f = factory
    f.with_genesis()
    monkeypatch.setenv("CHARITY_LEDGER_ORIGIN", ORIGIN)
    keys = f.settings.log_key_path.parent
    new = KeyPair.generate()
    write_key_file(new, keys / "log.key.next")
    f.ledger.log.rotate_log_key(new)  # committed; the process "dies" before moving the files
    reopened = open_ledger(f.settings)  # still loads the old log.key file, finds the new one
    assert reopened.log.current_log_key().id == new.id
    assert main(["--home", str(f.home), "rotate-log-key"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["key_id"] == new.id and info["announced_at_seq"] is None  # nothing announced twice
    assert read_key_file(f.settings.log_key_path).id == new.id and not (keys / "log.key.next").exists()
    assert len(list(keys.glob("log.key.*.retired"))) == 1
    assert f.ledger.log.head().size == 2


@pytest.mark.parametrize("crash_before_rename", [1, 2])
def test_a_crash_while_the_key_files_move_leaves_a_ledger_that_opens(
    factory: LedgerFactory,
    crash_before_rename: int,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found by the simulation (tests/simulation): a crash between retiring the old key file and
    renaming the new one left no log.key, and every restart, the rotate command included, said
    the log was not initialised."""

    class Crash(Exception):
        pass

    f = factory
    f.with_genesis()
    monkeypatch.setenv("CHARITY_LEDGER_ORIGIN", ORIGIN)
    keys = f.settings.log_key_path.parent
    real, renames = Path.replace, []

    def dying_replace(self: Path, target: Path) -> Path:
        renames.append(self.name)
        if len(renames) == crash_before_rename:
            raise Crash
        return real(self, target)

    monkeypatch.setattr(Path, "replace", dying_replace)
    with pytest.raises(Crash):
        rotate_log_key(f.ledger)  # committed in the log; the process dies while moving files
    monkeypatch.setattr(Path, "replace", real)
    new = read_key_file(keys / "log.key.next")
    reopened = open_ledger(f.settings)  # a restart opens the ledger and follows the rotation
    assert reopened.log.current_log_key().id == new.id
    assert reopened.log.append([f.org_entry(1)])[0].seq == 2
    reopened.engine.dispose()
    assert main(["--home", str(f.home), "rotate-log-key"]) == 0  # the command finishes the rotation
    info = json.loads(capsys.readouterr().out)
    assert info["key_id"] == new.id and info["announced_at_seq"] is None
    assert read_key_file(f.settings.log_key_path).id == new.id and not (keys / "log.key.next").exists()
    assert len(list(keys.glob("log.key.*.retired"))) == 1 and not list(keys.glob("*.tmp"))
    assert oct(f.settings.log_key_path.stat().st_mode & 0o777) == "0o600"


def test_a_process_looking_up_the_key_while_another_renames_it_finds_it(
    factory: LedgerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process finishes a rotation (log.key.next renamed onto log.key) at the moment this
    one looks the new key up: it must find it in one place or the other, never in neither."""
    from ledger.store import runtime

    f = factory
    f.with_genesis()
    keys = f.settings.log_key_path.parent
    new = KeyPair.from_seed(b"next log key")
    write_key_file(new, keys / "log.key.next")
    real, reads = runtime.read_key_file, []

    def read_then_rename(path: Path, passphrase: bytes | None = None) -> KeyPair:
        pair = real(path, passphrase)
        reads.append(path.name)
        if len(reads) == 1:  # the other process renames right after this process's first read
            (keys / "log.key.next").replace(f.settings.log_key_path)
        return pair

    monkeypatch.setattr(runtime, "read_key_file", read_then_rename)
    found = runtime.find_log_key(f.settings, new.id)
    assert found is not None and found.id == new.id
