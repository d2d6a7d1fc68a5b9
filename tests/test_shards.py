"""Yearly log shards: a log is sealed by ``log.sealed`` and continued by a new log whose
genesis names the sealed log's final checkpoint. Keys, organisations and balances carry
over; the sealed log takes nothing more; verifiers walk the chain from the first log and
notice a broken link; a roll-over is one transaction."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ledger import domain
from ledger.cli import main
from ledger.errors import LedgerError, VerificationError
from ledger.protocol import merkle
from ledger.protocol.checkpoint import Checkpoint, verify_checkpoint
from ledger.protocol.entry import parse_leaf, parse_leaf_json
from ledger.protocol.note import parse_note
from ledger.protocol.verify import KeyRing, SealedLog, read_chain_export, verify_chain, verify_leaves
from ledger.store.db import read_transaction
from ledger.store.export import export_log, log_vkey, shard_vkey, verify_stored_chain
from ledger.store.rebuild import check as rebuild_check
from ledger.store.runtime import init_ledger, next_origin, open_ledger, roll_over
from ledger.store.tables import LEAF, REGISTRY
from tests.domain import helpers
from tests.support.store_world import StoreWorld
from tests.support.world import ledger_settings

NEXT = helpers.ORIGIN + "/2027"


@pytest.fixture(params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> StoreWorld:
    url = request.getfixturevalue("pg_schema_url") if request.param == "postgres" else None
    w = StoreWorld(tmp_path / "home", url, name_log_key=True)
    w.append(w.fundraiser, "donation.received", helpers.donation_data(w.PUB, "1000.00"))
    w.append(w.fundraiser, "funds.allocated", helpers.allocation_data(w.PUB, "600.00"))
    return w


def _leaf(w: StoreWorld, position: int) -> dict:
    return parse_leaf_json(w.ledger.log.leaf(position))


def test_roll_over_seals_the_log_and_opens_the_next(world: StoreWorld) -> None:
    log = world.ledger.log
    before = log.head()
    info = roll_over(world.ledger, year=2027)
    assert info["rolled"] and info["sealed"] == helpers.ORIGIN and info["origin"] == NEXT
    final = before.size + 1
    sealed, current = log.shards()
    assert (sealed.index, sealed.origin, sealed.base, sealed.size, sealed.sealed, sealed.next_origin) == (
        0,
        helpers.ORIGIN,
        0,
        final,
        True,
        NEXT,
    )
    assert (current.index, current.origin, current.base, current.size, current.sealed) == (1, NEXT, final, 1, False)
    # the sealed log ends with log.sealed, signed by the log key, naming the next log and its own size
    last = _leaf(world, final - 1)
    assert last["seq"] == final - 1 and last["body"]["type"] == "log.sealed"
    assert last["body"]["signer"] == world.ledger.log_key.id
    assert last["body"]["data"] == {"next_origin": NEXT, "size": final}
    # its final checkpoint is signed by the log key and covers exactly that
    checkpoint = verify_checkpoint(sealed.checkpoint, shard_vkey(log, sealed))
    assert (checkpoint.origin, checkpoint.size, checkpoint.root.hex()) == (helpers.ORIGIN, final, sealed.root)
    assert log.latest_checkpoint(0) == sealed.checkpoint == info["final_checkpoint"]
    # the next log starts at seq 0 with a zero prev; its genesis names that checkpoint
    genesis = _leaf(world, final)
    assert genesis["seq"] == 0 and genesis["prev"] == "0" * 64
    assert genesis["body"]["log"] == NEXT and genesis["body"]["signer"] == world.ledger.log_key.id
    data = genesis["body"]["data"]
    assert data["previous"] == {
        "origin": helpers.ORIGIN,
        "size": final,
        "root_hash": sealed.root,
        "checkpoint": sealed.checkpoint,
    }
    assert (
        data["public_key"] == world.registrar.public_b64 and data["org"] == helpers.REGISTRAR_ORG
    )  # the trust root, restated
    assert data["log_key"] == world.ledger.log_key.public_b64
    assert verify_checkpoint(log.latest_checkpoint(), log_vkey(log)).origin == NEXT
    with read_transaction(world.ledger.engine) as conn:
        rows = {r.origin: r for r in conn.execute(select(REGISTRY))}
    assert (rows[helpers.ORIGIN].next_origin, rows[helpers.ORIGIN].sealed_size) == (NEXT, final)
    assert (rows[NEXT].previous_origin, rows[NEXT].genesis_id) == (helpers.ORIGIN, info["genesis"])


def test_keys_organisations_and_balances_carry_over(world: StoreWorld) -> None:
    roll_over(world.ledger, year=2027)
    base = world.ledger.log.head().base
    # keys granted in the sealed log sign in the new one; the allocation made there is spent here
    donation = world.append(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "50.00"))
    world.append(world.implementer, "funds.disbursed", helpers.disbursement_data(world.PUB, "500.00"))
    world.refuse(
        world.implementer, "funds.disbursed", helpers.disbursement_data(world.PUB, "100.01"), "insufficient_allocation"
    )
    world.append(world.implementer, "funds.disbursed", helpers.disbursement_data(world.PUB, "100.00"))
    # projections keep positions across the chain: the donation is at base + its seq
    assert world.ledger.log.position_of(donation) == base + 1
    assert world.ledger.log.seq_of(donation) == 1
    # a key granted before the roll-over and revoked after it is refused from then on
    world.append(world.foundation_admin, "key.revoked", {"key_id": world.fundraiser2.id, "reason": "离职"})
    world.refuse(world.fundraiser2, "donation.received", helpers.donation_data(world.PUB), "key_revoked")
    assert rebuild_check(world.ledger.log).clean  # a replay of the whole chain gives the same projections


def test_the_sealed_log_takes_nothing_more(world: StoreWorld) -> None:
    stale = world.sign(
        world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "5.00")
    )  # signed for the old log
    roll_over(world.ledger, year=2027)
    log = world.ledger.log
    shards, head = log.shards(), log.head()
    with pytest.raises(LedgerError) as info:
        log.append([stale])
    assert info.value.code == "log_sealed" and NEXT in info.value.message_en and "已封存" in info.value.message_zh
    assert (log.shards(), log.head()) == (shards, head)
    with pytest.raises(LedgerError) as info:
        log.append([world.sign(world.ledger.log_key, "log.sealed", {"next_origin": NEXT + "x", "size": 2})])
    assert info.value.code == "log_seal_by_command"
    # a batch mixing both is refused whole, naming the stale entry
    with pytest.raises(LedgerError) as info:
        log.append([world.sign(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "1.00")), stale])
    assert info.value.code == "batch_entry_refused" and info.value.params["position"] == 1
    assert log.head() == head


def test_a_retry_of_an_entry_stored_before_the_roll_over_is_answered_from_the_sealed_log(world: StoreWorld) -> None:
    entry = world.sign(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "7.00"))
    first = world.ledger.log.append([entry])[0]
    roll_over(world.ledger, year=2027)
    count = _leaf_count(world)
    again = world.ledger.log.append([entry])[0]
    assert again.existing and (again.seq, again.leaf_hash, again.position) == (
        first.seq,
        first.leaf_hash,
        first.position,
    )
    sealed = world.ledger.log.shards()[0]
    assert again.tree_size == sealed.size and again.checkpoint == sealed.checkpoint
    merkle.verify_inclusion(
        bytes.fromhex(again.leaf_hash),
        again.seq,
        again.tree_size,
        [bytes.fromhex(h) for h in again.proof],
        bytes.fromhex(sealed.root),
    )
    assert _leaf_count(world) == count  # nothing written
    # the same idem with a body for the new log is the same operation recorded twice: refused
    with pytest.raises(LedgerError) as info:
        world.ledger.log.append(
            [
                world.sign(
                    world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "7.00"), idem=entry.idem
                )
            ]
        )
    assert info.value.code == "idem_conflict"


def _leaf_count(w: StoreWorld) -> int:
    with read_transaction(w.ledger.engine) as conn:
        return conn.execute(select(func.count()).select_from(LEAF)).scalar_one()


def test_proofs_of_a_sealed_log_verify_against_its_final_checkpoint(world: StoreWorld) -> None:
    roll_over(world.ledger, year=2027)
    world.append(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "3.00"))
    log = world.ledger.log
    sealed = log.shards()[0]
    final = Checkpoint.parse(parse_note(sealed.checkpoint).text)
    leaves = list(log.iter_leaves(shard=0))
    assert len(leaves) == sealed.size and [parse_leaf(raw).seq for raw in leaves] == list(range(sealed.size))
    for index in (0, 5, sealed.size - 1):
        proof = log.inclusion_proof(index, sealed.size, shard=0)
        merkle.verify_inclusion(merkle.leaf_hash(leaves[index]), index, sealed.size, proof, final.root)
    earlier = Checkpoint.parse(parse_note(log.checkpoint_at(10, shard=0)).text)
    merkle.verify_consistency(
        10, sealed.size, earlier.root, final.root, log.consistency_proof(10, sealed.size, shard=0)
    )
    # the active log's proofs are of its own tree, from seq 0
    current = Checkpoint.parse(parse_note(log.latest_checkpoint()).text)
    assert current.size == 2 and log.inclusion_proof(1, 2) == [merkle.leaf_hash(log.leaves(0, 1)[0])]
    with pytest.raises(LedgerError) as info:
        log.inclusion_proof(0, sealed.size + 1, shard=0)
    assert info.value.code == "size_out_of_range"
    with pytest.raises(LedgerError) as info:
        log.shard(7)
    assert info.value.code == "not_found"


def test_origins_a_roll_over_refuses(world: StoreWorld, tmp_path: Path) -> None:
    log = world.ledger.log
    for bad, reason in ((helpers.ORIGIN, "already"), ("with space/2027", "without spaces"), ("", "without spaces")):
        with pytest.raises(LedgerError) as info:
            log.roll_over(bad)
        assert info.value.code == "shard_origin_invalid" and reason in info.value.message_en, bad
    assert len(log.shards()) == 1
    bare = StoreWorld(tmp_path / "bare")  # its genesis names no checkpoint key
    with pytest.raises(LedgerError) as info:
        roll_over(bare.ledger, year=2027)
    assert (
        info.value.code == "shard_no_log_key"
        and len(bare.ledger.log.shards()) == 1
        and bare.ledger.log.head().size == bare.seq
    )
    fresh = init_ledger(ledger_settings(tmp_path / "fresh"))
    with pytest.raises(LedgerError) as info:
        fresh.log.roll_over(NEXT)
    assert info.value.code == "shard_empty"


def test_next_origin_names_the_year() -> None:
    assert next_origin("registry.example/log", 2027) == "registry.example/log/2027"
    assert next_origin("registry.example/log/2026", 2027) == "registry.example/log/2027"


def test_a_failed_roll_over_changes_nothing(world: StoreWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    log = world.ledger.log
    head, shards, count = log.head(), log.shards(), _leaf_count(world)

    def broken(*args: object, **kwargs: object) -> dict:
        raise RuntimeError("crash between sealing and opening")

    monkeypatch.setattr(domain, "continuation_data", broken)
    with pytest.raises(RuntimeError):
        log.roll_over(NEXT)
    assert (log.head(), log.shards(), _leaf_count(world), log.origin) == (head, shards, count, helpers.ORIGIN)
    with read_transaction(world.ledger.engine) as conn:
        assert conn.execute(select(REGISTRY.c.next_origin)).scalars().all() == [None]
    monkeypatch.undo()
    world.append(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "2.00"))  # the log goes on


def test_the_yearly_roll_over_happens_once(world: StoreWorld) -> None:
    assert roll_over(world.ledger, year=2026, if_due=True)["rolled"] is False  # opened this year
    world.now = datetime(2026, 12, 31, 16, 5, tzinfo=UTC)  # 00:05 on 1 January 2027 in Shenzhen
    assert roll_over(world.ledger, if_due=True, year=2027)["rolled"] is True
    assert roll_over(world.ledger, if_due=True, year=2027)["rolled"] is False  # the 2027 log was opened in 2027
    assert [s.origin for s in world.ledger.log.shards()] == [helpers.ORIGIN, NEXT]
    # a second process deciding at the same moment does nothing once the first has rolled over
    assert world.ledger.log.roll_over(helpers.ORIGIN + "/2028", only_from=helpers.ORIGIN) is None


def test_another_process_follows_the_roll_over(world: StoreWorld) -> None:
    other = open_ledger(world.ledger.settings)  # another process: its own engine and log store
    other.clock = lambda: world.now
    assert other.log.origin == helpers.ORIGIN
    stale = world.sign(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "4.00"))
    roll_over(world.ledger, year=2027)
    fresh = world.sign(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "4.00"))
    result = other.log.append([fresh])[0]  # the other process notices the new head
    assert other.log.origin == NEXT and result.seq == 1
    with pytest.raises(LedgerError) as info:
        other.log.append([stale])
    assert info.value.code == "log_sealed"
    assert open_ledger(world.ledger.settings).settings.origin == NEXT  # a restart opens the log being appended to
    other.engine.dispose()


def test_the_chain_exports_and_verifies(world: StoreWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roll_over(world.ledger, year=2027)
    world.append(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "9.00"))
    export = tmp_path / "export"
    export_log(world.ledger.log, export)
    assert sorted(p.name for p in (export / "shards").iterdir()) == ["0000"]
    assert (export / "shards" / "0000" / "checkpoint").read_text().startswith(helpers.ORIGIN + "\n")
    assert (export / "checkpoint").read_text().startswith(NEXT + "\n")
    report = verify_stored_chain(world.ledger.log).to_json()
    assert report["chain"]["entries"] == sum(s.size for s in world.ledger.log.shards())
    capsys.readouterr()
    assert main(["verify", str(export)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (
        out["origin"] == NEXT
        and out["size"] == 2
        and [log["origin"] for log in out["chain"]["logs"]] == [helpers.ORIGIN, NEXT]
    )
    assert (
        out["chain"]["entries_by_type"]["registry.genesis"] == 2 and out["chain"]["entries_by_type"]["log.sealed"] == 1
    )


def test_the_shard_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = StoreWorld(tmp_path / "home", name_log_key=True)
    home = str(w.ledger.settings.home)
    capsys.readouterr()
    assert main(["--home", home, "shard", "roll", "--if-due", "--year", "2026"]) == 0
    assert json.loads(capsys.readouterr().out)["rolled"] is False
    assert main(["--home", home, "shard", "roll", "--origin", "ledger.test.example/charity-2027"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rolled"] and out["origin"] == "ledger.test.example/charity-2027" and out["final_size"] == w.seq + 1
    assert main(["--home", home, "shard", "list"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(s["origin"], s["sealed"]) for s in listed] == [
        (helpers.ORIGIN, True),
        ("ledger.test.example/charity-2027", False),
    ]
    assert listed[0]["checkpoint"].startswith(helpers.ORIGIN + "\n") and listed[1]["checkpoint"] is None
    assert main(["--home", home, "shard", "roll", "--origin", helpers.ORIGIN]) == 1
    assert "shard_origin_invalid" in capsys.readouterr().err
    assert main(["--home", home, "doctor"]) in (0, 1)  # fonts may be missing; the log check is what matters here
    assert "sealed earlier logs verify" in capsys.readouterr().out


def _tampered(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_verifiers_notice_a_broken_chain(world: StoreWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roll_over(world.ledger, year=2027)
    world.append(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "9.00"))
    export = tmp_path / "export"
    export_log(world.ledger.log, export)
    sealed_size = world.ledger.log.shards()[0].size

    # without the sealed logs, the current log cannot stand alone: its genesis continues another
    alone = _tampered(export, tmp_path / "alone")
    shutil.rmtree(alone / "shards")
    logs, vkey = read_chain_export(alone)
    with pytest.raises(VerificationError) as info:
        verify_chain(logs, vkey)
    assert info.value.seq == 0 and "continues another" in info.value.what

    # an altered entry in the sealed log is named, with the log it is in
    altered = _tampered(export, tmp_path / "altered")
    path = altered / "shards" / "0000" / "entries.jsonl"
    lines = path.read_bytes().split(b"\n")
    (at,) = [i for i, line in enumerate(lines) if b'"1000.00"' in line]
    lines[at] = lines[at].replace(b'"1000.00"', b'"9000.00"')
    path.write_bytes(b"\n".join(lines))
    capsys.readouterr()
    assert main(["verify", str(altered)]) == 1
    err = capsys.readouterr().err
    assert helpers.ORIGIN in err and f"INVALID at seq {at}" in err and "无效" in err

    # a sealed log cut short (its log.sealed dropped) no longer matches its final checkpoint
    cut = _tampered(export, tmp_path / "cut")
    path = cut / "shards" / "0000" / "entries.jsonl"
    path.write_bytes(b"\n".join(path.read_bytes().rstrip(b"\n").split(b"\n")[:-1]) + b"\n")
    logs, vkey = read_chain_export(cut)
    with pytest.raises(VerificationError) as info:
        verify_chain(logs, vkey)
    assert info.value.seq == sealed_size - 1 and "shorter" in info.value.what

    # the sealed logs in the wrong order (here: the current log put first)
    logs, vkey = read_chain_export(export)
    with pytest.raises(VerificationError):
        verify_chain(list(reversed(logs)), vkey)


def test_a_genesis_naming_another_checkpoint_is_caught(
    world: StoreWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log operator itself opens the next log with a genesis naming a wrong root (the
    log key signs it, the rules cannot see roots): the chain verifier refuses it."""
    real = domain.continuation_data

    def lying(state: object, previous: dict, origin: str) -> dict:
        data = real(state, previous, origin)  # type: ignore[arg-type]
        data["previous"] = {**data["previous"], "root_hash": "ab" * 32}
        return data

    monkeypatch.setattr(domain, "continuation_data", lying)
    roll_over(world.ledger, year=2027)
    export_log(world.ledger.log, tmp_path / "e")
    logs, vkey = read_chain_export(tmp_path / "e")
    with pytest.raises(VerificationError) as info:
        verify_chain(logs, vkey)
    assert info.value.seq == 0 and "another final checkpoint" in info.value.what and "ab" * 32 in str(info.value.actual)


def test_entries_after_log_sealed_are_refused_by_the_verifier(world: StoreWorld) -> None:
    roll_over(world.ledger, year=2027)
    log = world.ledger.log
    sealed = log.shards()[0]
    leaves = list(log.iter_leaves(shard=0))
    extra = [*leaves, log.leaves(0, 1)[0]]  # any leaf after log.sealed
    claimed = Checkpoint(sealed.origin, len(extra), merkle.EMPTY_ROOT)
    with pytest.raises(VerificationError) as info:
        verify_leaves(extra, claimed, KeyRing())
    assert info.value.seq == sealed.size and "after log.sealed" in info.value.what
    # and a genesis must follow the sealed log it names: another origin than announced is refused
    ring = KeyRing()
    verify_leaves(leaves, Checkpoint.parse(parse_note(sealed.checkpoint).text), ring)
    ring.base = sealed.size
    wrong = SealedLog(sealed.origin, sealed.size, sealed.root, "somewhere.else/2027")
    current = Checkpoint.parse(parse_note(log.latest_checkpoint()).text)
    with pytest.raises(VerificationError) as info:
        verify_leaves(log.iter_leaves(), current, ring, after=wrong)
    assert info.value.seq == 0 and "another next log" in info.value.what


def test_receipts_and_donor_data_after_a_roll_over_name_the_chain_position(world: StoreWorld) -> None:
    from ledger.domain.privacy import donor_commitment, parse_receipt_code
    from ledger.services.client import Client, LocalSink

    roll_over(world.ledger, year=2027)
    sink = LocalSink(world.ledger)
    client = Client(world.fundraiser, sink.origin, sink, clock=lambda: world.now)
    receipt = client.record_donation(world.PUB, "88.00", personal={"name": "张三"}, received_on="2026-03-21")
    position = world.ledger.log.position_of(receipt.leaf_hash)
    assert position == world.ledger.log.head().base + 1 and receipt.seq == position
    assert parse_receipt_code(receipt.code).seq == position  # the site's /ledger/{n} and the receipt agree
    record = sink.donors.get(position)
    assert record.personal == {"name": "张三"}
    assert donor_commitment(record.personal, record.salt) == _leaf(world, position)["body"]["data"]["commitment"]
