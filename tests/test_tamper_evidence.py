"""Tampering with the stored log is caught by `verify`, which names the first bad seq."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from ledger.errors import VerificationError
from ledger.protocol.canonical import canonical_bytes
from ledger.protocol.verify import read_export, verify_log
from ledger.store.export import export_log
from ledger.store.log_tables import LogLeaf
from tests.support.ledger_factory import LedgerFactory

LEAF = LogLeaf.__table__
SIZE = 12


@pytest.fixture
def log(factory: LedgerFactory) -> LedgerFactory:
    factory.with_genesis()
    factory.append_orgs(SIZE - 1, batch=4)
    return factory


def _verify(f: LedgerFactory, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    export_log(f.ledger.log, folder)
    leaves, note, vkey = read_export(folder)
    verify_log(leaves, note, vkey)


def _leaf(f: LedgerFactory, seq: int) -> dict:
    return json.loads(f.ledger.log.leaf(seq))


def _store(f: LedgerFactory, seq: int, leaf: dict | bytes) -> None:
    raw = leaf if isinstance(leaf, bytes) else canonical_bytes(leaf)
    with f.ledger.engine.begin() as conn:
        conn.execute(update(LEAF).where(LEAF.c.seq == seq).values(leaf=raw))


def test_untouched_log_verifies(log: LedgerFactory, tmp_path: Path) -> None:
    _verify(log, tmp_path)


def _change(field: str, value: Callable[[dict], object]) -> Callable[[LedgerFactory, int], None]:
    def apply(f: LedgerFactory, seq: int) -> None:
        leaf = _leaf(f, seq)
        leaf[field] = value(leaf)
        _store(f, seq, leaf)

    return apply


def _flip(sig: str) -> str:
    """The same signature with one bit changed: still 64 bytes, no longer valid."""
    raw = bytearray(base64.b64decode(sig))
    raw[10] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def _change_data(f: LedgerFactory, seq: int) -> None:
    leaf = _leaf(f, seq)
    data = leaf["body"]["data"]
    field = "holder" if "holder" in data else "name_zh"  # genesis names a holder, orgs a name
    data[field] += "（改）"
    _store(f, seq, leaf)


CHANGES = {
    "seq": _change("seq", lambda leaf: leaf["seq"] + 100),
    "prev": _change("prev", lambda leaf: "ab" * 32),
    "time": _change("time", lambda leaf: leaf["time"].replace("Z", "Z")[:-5] + "999Z"),
    "sig": _change("sig", lambda leaf: _flip(leaf["sig"])),
    "body.data": _change_data,
    "body.idem": _change("body", lambda leaf: dict(leaf["body"], idem="replayed")),
    "body.type": _change("body", lambda leaf: dict(leaf["body"], type="org.updated")),
    "not canonical": lambda f, seq: _store(f, seq, f.ledger.log.leaf(seq).replace(b'{"body":', b'{ "body":', 1)),
}


@pytest.mark.parametrize("field", sorted(CHANGES))
@pytest.mark.parametrize("seq", [0, 5, SIZE - 1])
def test_changed_field_is_found_at_its_seq(log: LedgerFactory, tmp_path: Path, field: str, seq: int) -> None:
    CHANGES[field](log, seq)
    with pytest.raises(VerificationError) as err:
        _verify(log, tmp_path)
    assert err.value.seq == seq, err.value.message_en


def test_deleted_entry(log: LedgerFactory, tmp_path: Path) -> None:
    with log.ledger.engine.begin() as conn:
        conn.execute(delete(LEAF).where(LEAF.c.seq == 4))
    with pytest.raises(VerificationError) as err:
        _verify(log, tmp_path)
    assert err.value.seq == 4 and err.value.actual == 5


def test_swapped_entries(log: LedgerFactory, tmp_path: Path) -> None:
    a, b = log.ledger.log.leaf(3), log.ledger.log.leaf(7)
    _store(log, 3, b)
    _store(log, 7, a)
    with pytest.raises(VerificationError) as err:
        _verify(log, tmp_path)
    assert err.value.seq == 3 and err.value.expected == 3 and err.value.actual == 7


def test_inserted_entry(log: LedgerFactory, tmp_path: Path) -> None:
    # shift entries 6.. up by one and put a forged entry 6 in between, chain re-linked to it
    with log.ledger.engine.begin() as conn:
        rows = conn.execute(select(LEAF).where(LEAF.c.seq >= 6).order_by(LEAF.c.seq.desc())).mappings().all()
        for row in rows:
            conn.execute(
                update(LEAF)
                .where(LEAF.c.seq == row["seq"])
                .values(seq=row["seq"] + 1, leaf_hash="x" + row["leaf_hash"][1:])
            )
        forged = _leaf(log, 5)
        forged["seq"] = 6
        conn.execute(
            LEAF.insert().values(
                seq=6,
                leaf_hash="f" * 64,
                signer="0" * 64,
                idem="forged",
                body_hash="0" * 64,
                type="org.registered",
                time=forged["time"],
                leaf=canonical_bytes(forged),
            )
        )
    with pytest.raises(VerificationError) as err:
        _verify(log, tmp_path)
    # the forged copy of 5 does not link to entry 5: it is the first bad entry
    assert err.value.seq == 6


def test_truncated_tail(log: LedgerFactory, tmp_path: Path) -> None:
    with log.ledger.engine.begin() as conn:
        conn.execute(delete(LEAF).where(LEAF.c.seq >= 9))
    with pytest.raises(VerificationError) as err:
        _verify(log, tmp_path)
    assert err.value.seq == 9


def test_truncated_export_file(log: LedgerFactory, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    export_log(log.ledger.log, folder)
    lines = (folder / "entries.jsonl").read_bytes().splitlines(keepends=True)
    (folder / "entries.jsonl").write_bytes(b"".join(lines[:-2]))
    with pytest.raises(VerificationError) as err:
        verify_log(*read_export(folder))
    assert err.value.seq == SIZE - 2


def test_checkpoint_signed_by_another_key_is_refused(log: LedgerFactory, tmp_path: Path) -> None:
    from ledger.protocol.checkpoint import Checkpoint, sign_checkpoint
    from ledger.protocol.keys import KeyPair
    from ledger.protocol.note import NoteSigner

    folder = tmp_path / "export"
    export_log(log.ledger.log, folder)
    cp = Checkpoint(log.ledger.settings.origin, SIZE, log.ledger.log.head().root)
    (folder / "checkpoint").write_text(
        sign_checkpoint(cp, NoteSigner(log.ledger.settings.origin, KeyPair.from_seed(b"mallory")))
    )
    with pytest.raises(VerificationError):
        verify_log(*read_export(folder))


def test_first_bad_entry_is_named_when_signatures_are_checked_in_parallel(
    factory: LedgerFactory, tmp_path: Path
) -> None:
    """A bad signature early in a long log is reported before a later broken link, even though
    signatures are verified in chunks by a process pool while the walk goes on."""
    f = factory
    f.with_genesis()
    f.append_orgs(4999, batch=1000)
    folder = tmp_path / "export"
    export_log(f.ledger.log, folder)
    lines = (folder / "entries.jsonl").read_bytes().splitlines()
    bad_sig = json.loads(lines[3000])
    bad_sig["sig"] = _flip(bad_sig["sig"])
    lines[3000] = canonical_bytes(bad_sig)
    broken = json.loads(lines[4500])
    broken["prev"] = "cd" * 32
    lines[4500] = canonical_bytes(broken)
    (folder / "entries.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(VerificationError) as err:
        verify_log(*read_export(folder))
    assert err.value.seq == 3000 and "signature" in err.value.what
