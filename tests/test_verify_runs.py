"""The verifier checks leaves in runs on its process pool; it must refuse what the leaf-by-leaf
walk refuses, with the same error naming the same entry, wherever in a run the problem is, and
accept what it accepts with the same report.

Runs are made 8 leaves long here (positions 0-7, 8-15, 16-23, ...), so entries 8, 11, 15 and 16
are the first, a middle and the last leaf of a run and the first of the next one."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ledger.errors import VerificationError
from ledger.protocol import leafcheck, verify
from ledger.protocol.canonical import canonical_bytes, format_time
from ledger.protocol.checkpoint import Checkpoint, sign_checkpoint
from ledger.protocol.entry import GENESIS_PREV, Leaf, make_body, sign_entry
from ledger.protocol.keys import KeyPair
from ledger.protocol.leafcheck import leaf_fields
from ledger.protocol.merkle import CompactRange, leaf_hash
from ledger.protocol.note import NoteSigner
from ledger.protocol.verify import read_export, verify_log
from ledger.store.export import export_log
from tests.support.ledger_factory import LedgerFactory

RUN = 8
SIZE = 40
POSITIONS = [8, 11, 15, 16]  # first, middle and last of a run; first of the next


@pytest.fixture
def runs_on_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every log goes to the process pool, in runs of RUN leaves."""
    monkeypatch.setattr(verify, "PARALLEL_MIN", 0)
    monkeypatch.setattr(verify, "RUN_MIN", RUN)
    monkeypatch.setattr(verify, "RUN_MAX", RUN)


def _leaf_by_leaf(leaves: list[bytes], note: str, vkey: str) -> Any:
    """What the leaf-by-leaf walk alone says (the verifier before runs): the report, or the error."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(verify._Runs, "run", lambda self, stream: verify._walk(self.walk, stream))
        return _outcome(leaves, note, vkey)


def _outcome(leaves: list[bytes], note: str, vkey: str) -> Any:
    try:
        return verify_log(iter(leaves), note, vkey).to_json()
    except VerificationError as exc:
        return ("refused", exc.seq, exc.what, exc.expected, exc.actual)


def _same_as_leaf_by_leaf(leaves: list[bytes], note: str, vkey: str) -> Any:
    outcome = _outcome(leaves, note, vkey)
    assert outcome == _leaf_by_leaf(leaves, note, vkey)
    return outcome


# --- an exported log of the registry ---------------------------------------------------------


@pytest.fixture
def export(factory: LedgerFactory, tmp_path: Path) -> tuple[list[bytes], str, str]:
    factory.with_genesis()
    factory.append_orgs(SIZE - 1, batch=16)
    export_log(factory.ledger.log, tmp_path / "export")
    leaves, note, vkey = read_export(tmp_path / "export")
    return list(leaves), note, vkey


def test_a_good_export_gives_the_same_report(runs_on_the_pool: None, export: tuple[list[bytes], str, str]) -> None:
    report = _same_as_leaf_by_leaf(*export)
    assert report["valid"] and report["size"] == SIZE


def _edit(leaf: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    obj = json.loads(leaf)
    change(obj)
    return canonical_bytes(obj)


def _flip_sig(obj: dict[str, Any]) -> None:
    raw = bytearray(base64.b64decode(obj["sig"]))
    raw[10] ^= 1
    obj["sig"] = base64.b64encode(bytes(raw)).decode()


CHANGES: dict[str, Callable[[bytes], bytes]] = {
    "sig": lambda leaf: _edit(leaf, _flip_sig),
    "body.data": lambda leaf: _edit(leaf, lambda o: o["body"]["data"].update(name_zh="改过的名字")),
    "prev": lambda leaf: _edit(leaf, lambda o: o.update(prev="ab" * 32)),
    "seq": lambda leaf: _edit(leaf, lambda o: o.update(seq=o["seq"] + 100)),
    "time": lambda leaf: _edit(leaf, lambda o: o.update(time="2000-01-01T00:00:00.000Z")),
    # later, so only the next leaf's prev (in the next run, for the last of a run) tells
    "later time": lambda leaf: _edit(leaf, lambda o: o.update(time="2099-01-01T00:00:00.000Z")),
    "log": lambda leaf: _edit(leaf, lambda o: o["body"].update(log="another.example/log")),
    "genesis": lambda leaf: _edit(leaf, lambda o: o["body"].update(type="registry.genesis")),
    "not canonical": lambda leaf: leaf.replace(b'{"body":', b'{ "body":', 1),
    "not json": lambda leaf: leaf[:-1],
}


@pytest.mark.parametrize("change", sorted(CHANGES))
@pytest.mark.parametrize("seq", POSITIONS)
def test_a_changed_entry_is_named_wherever_it_is_in_a_run(
    runs_on_the_pool: None, export: tuple[list[bytes], str, str], change: str, seq: int
) -> None:
    leaves, note, vkey = export
    leaves[seq] = CHANGES[change](leaves[seq])
    outcome = _same_as_leaf_by_leaf(leaves, note, vkey)
    assert outcome[0] == "refused" and outcome[1] == seq, outcome


@pytest.mark.parametrize("seq", POSITIONS)
def test_a_deleted_or_swapped_entry_is_named(
    runs_on_the_pool: None, export: tuple[list[bytes], str, str], seq: int
) -> None:
    leaves, note, vkey = export
    deleted = leaves[:seq] + leaves[seq + 1 :]
    assert _same_as_leaf_by_leaf(deleted, note, vkey)[1] == seq
    swapped = list(leaves)
    swapped[seq], swapped[seq + 1] = swapped[seq + 1], swapped[seq]
    assert _same_as_leaf_by_leaf(swapped, note, vkey)[1] == seq


def test_cut_and_extended_logs(runs_on_the_pool: None, export: tuple[list[bytes], str, str]) -> None:
    leaves, note, vkey = export
    assert _same_as_leaf_by_leaf(leaves[:-1], note, vkey)[2] == "log is shorter than its checkpoint"
    assert _same_as_leaf_by_leaf(leaves[:16], note, vkey)[1] == 16
    extra = [*leaves, leaves[-1]]
    assert _same_as_leaf_by_leaf(extra, note, vkey)[2] == "entry beyond the checkpoint's tree size"


# --- a log whose key ring changes inside runs ------------------------------------------------

ORIGIN = "runs.example/log"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _key_data(pair: KeyPair, **more: Any) -> dict[str, Any]:
    return {"public_key": pair.public_b64, "role": "org_admin", "org": "53440300000000000C", **more}


def _build(plan: list[tuple[KeyPair, str, dict[str, Any]]], log_key: KeyPair) -> tuple[list[bytes], str, str]:
    """A log of the planned entries (signer, type, data), its signed checkpoint and vkey."""
    leaves: list[bytes] = []
    edge = CompactRange()
    prev = GENESIS_PREV
    for seq, (signer, type_, data) in enumerate(plan):
        at = format_time(T0 + timedelta(seconds=seq))
        entry = sign_entry(signer, make_body(ORIGIN, type_, signer.id, at, f"e-{seq}", data))
        raw = Leaf(seq, prev, at, entry).to_bytes()
        leaves.append(raw)
        edge.append(leaf_hash(raw))
        prev = leaf_hash(raw).hex()
    signer = NoteSigner(ORIGIN, log_key)
    note = sign_checkpoint(Checkpoint(ORIGIN, len(leaves), edge.root()), signer)
    return leaves, note, signer.verifier.to_string()


REGISTRAR, LOG_KEY = KeyPair.from_seed(b"registrar"), KeyPair.from_seed(b"log")


def _ring_log(granted_at: int, revoked_at: int, size: int = SIZE) -> tuple[list[bytes], str, str, KeyPair]:
    """The registrar grants K (a new key, which no process has seen) at ``granted_at`` and
    revokes it at ``revoked_at``; K signs every entry in between, the registrar the others."""
    registrar, k, log_key = REGISTRAR, KeyPair.generate(), LOG_KEY
    plan: list[tuple[KeyPair, str, dict[str, Any]]] = [
        (registrar, "registry.genesis", _key_data(registrar, log_key=log_key.public_b64))
    ]
    for seq in range(1, size):
        if seq == granted_at:
            plan.append((registrar, "key.granted", _key_data(k)))
        elif seq == revoked_at:
            plan.append((registrar, "key.revoked", {"key_id": k.id}))
        elif granted_at < seq < revoked_at:
            plan.append((k, "donation.received", {"n": seq}))
        else:
            plan.append((registrar, "org.registered", {"n": seq}))
    return (*_build(plan, log_key), k)


@pytest.mark.parametrize("granted_at", [3, 7, 8, 11])
def test_keys_granted_inside_runs_sign_at_once(runs_on_the_pool: None, granted_at: int) -> None:
    # runs checked before the pool knew the key leave its signatures to the ring's key
    leaves, note, vkey, _ = _ring_log(granted_at, revoked_at=30)
    report = _same_as_leaf_by_leaf(leaves, note, vkey)
    assert report["entries_by_type"]["key.granted"] == 1 and report["keys"] == 2


@pytest.mark.parametrize("seq", [*POSITIONS, 24, 28])
def test_a_bad_signature_by_a_key_granted_in_an_earlier_run(runs_on_the_pool: None, seq: int) -> None:
    leaves, note, vkey, _ = _ring_log(granted_at=5, revoked_at=30)
    leaves[seq] = CHANGES["sig"](leaves[seq])
    outcome = _same_as_leaf_by_leaf(leaves, note, vkey)
    assert outcome[:3] == ("refused", seq, "signature does not verify")


@pytest.mark.parametrize("used_at", [31, 32, 35])
def test_a_revoked_key_is_refused_in_the_next_run(runs_on_the_pool: None, used_at: int) -> None:
    leaves, _, _, k = _ring_log(granted_at=5, revoked_at=30)
    registrar, log_key = REGISTRAR, LOG_KEY
    plan = []
    for seq, raw in enumerate(leaves):
        body = leaf_fields(raw)
        signer = k if seq == used_at else (k if 5 < seq < 30 else registrar)
        data = body[6]
        plan.append((signer, body[3] if seq != used_at else "donation.received", data))
    leaves, note, vkey = _build(plan, log_key)
    outcome = _same_as_leaf_by_leaf(leaves, note, vkey)
    assert outcome[:3] == ("refused", used_at, "signer key not granted (or revoked) at this point of the log")


def test_without_the_pool_the_same_runs_are_checked_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARITY_LEDGER_VERIFY_PROCESSES", "0")
    monkeypatch.setattr(verify, "PARALLEL_MIN", 0)
    monkeypatch.setattr(verify, "RUN_MIN", RUN)
    monkeypatch.setattr(verify, "RUN_MAX", RUN)
    leaves, note, vkey, _ = _ring_log(granted_at=11, revoked_at=30)
    assert _same_as_leaf_by_leaf(leaves, note, vkey)["size"] == SIZE
    leaves[15] = CHANGES["body.data"](leaves[15])
    assert _same_as_leaf_by_leaf(leaves, note, vkey)[1] == 15


@pytest.fixture
def runs_here_keys_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs checked in this process, each before the one before is taken in, and learning no
    key from the leaves: a key granted in one run is unknown to the runs already checked."""
    monkeypatch.setenv("CHARITY_LEDGER_VERIFY_PROCESSES", "0")
    monkeypatch.setattr(verify, "PARALLEL_MIN", 0)
    monkeypatch.setattr(verify, "RUN_MIN", RUN)
    monkeypatch.setattr(verify, "RUN_MAX", RUN)
    monkeypatch.setattr(leafcheck, "_learn_named", lambda data: None)


def test_a_good_log_with_keys_unknown_to_the_runs(runs_here_keys_unknown: None) -> None:
    leaves, note, vkey, _ = _ring_log(granted_at=5, revoked_at=30)
    assert _same_as_leaf_by_leaf(leaves, note, vkey)["keys"] == 2


@pytest.mark.parametrize("seq", [6, 8, 15, 16, 23])
def test_signatures_by_a_key_unknown_to_the_run_are_checked_with_the_rings_key(
    runs_here_keys_unknown: None, seq: int
) -> None:
    leaves, note, vkey, _ = _ring_log(granted_at=5, revoked_at=30)  # K is new to this process
    leaves[seq] = CHANGES["sig"](leaves[seq])
    outcome = _same_as_leaf_by_leaf(leaves, note, vkey)
    assert outcome[:3] == ("refused", seq, "signature does not verify")


def test_the_prev_of_the_last_leaf_at_the_start_of_a_run(runs_on_the_pool: None) -> None:
    leaves, note, vkey, _ = _ring_log(granted_at=5, revoked_at=30, size=17)
    leaves[16] = CHANGES["prev"](leaves[16])
    outcome = _same_as_leaf_by_leaf(leaves, note, vkey)
    assert outcome[:3] == ("refused", 16, "prev does not link to the entry before")
