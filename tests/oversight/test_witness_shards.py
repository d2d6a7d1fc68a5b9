"""The witness across the chain of yearly logs: after a roll-over it checks the sealed log's
final checkpoint against what it cosigned, the ``log.sealed`` that ends it and the next log's
genesis naming it, cosigns the final checkpoint and the new log's, and moves its state; a
continuation naming another checkpoint is refused with evidence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ledger import domain
from ledger.errors import LedgerError
from ledger.protocol.checkpoint import Checkpoint, verify_checkpoint
from ledger.protocol.entry import parse_leaf
from ledger.protocol.merkle import leaf_hash, verify_inclusion
from ledger.protocol.note import parse_note
from ledger.services.oversight import witnessed
from ledger.services.witness import (
    EXIT_COSIGNED,
    EXIT_REFUSED,
    STATE_FILE,
    Witness,
    WitnessState,
    load_state,
    save_state,
)
from ledger.store.export import log_vkey, shard_vkey
from ledger.store.runtime import roll_over, rotate_log_key
from tests.domain import helpers
from tests.oversight.conftest import WITNESS_NAME, served, vkey_of
from tests.support.store_world import StoreWorld

NEXT = helpers.ORIGIN + "/2027"
AFTER = helpers.ORIGIN + "/2028"


@pytest.fixture(params=["sqlite", "postgres"])
def chain(request: pytest.FixtureRequest, tmp_path: Path) -> StoreWorld:
    """A registry whose genesis names its log key (so it can roll over), on both databases."""
    url = request.getfixturevalue("pg_schema_url") if request.param == "postgres" else None
    return StoreWorld(tmp_path / "home", url, name_log_key=True)


@pytest.fixture
def world(tmp_path: Path) -> StoreWorld:
    return StoreWorld(tmp_path / "home", name_log_key=True)


def donate(w: StoreWorld, amount: str = "10.00") -> None:
    w.append(w.fundraiser, "donation.received", helpers.donation_data(w.PUB, amount))


def cosigned_by(note: str, vkey: str, wkey: str) -> bool:
    return witnessed(note, vkey, [wkey], 1)[2]


def sealed_note(log, index: int) -> str:  # type: ignore[no-untyped-def]
    return log.http.get(f"{log.base}/api/v1/log/shards/{index}/checkpoint").text


def test_the_witness_follows_a_roll_over(chain, witness_key, tmp_path):
    wkey = vkey_of(witness_key)
    first_vkey = log_vkey(chain.ledger.log)
    state_dir = tmp_path / "w"
    with served(chain, wkey) as log:
        witness = Witness(witness_key, state_dir, log, name=WITNESS_NAME)
        assert witness.run_once().status == "cosigned"
        cosigned = load_state(state_dir).size
        roll_over(chain.ledger, year=2027)
        donate(chain)

        outcome = witness.run_once()
        store = chain.ledger.log
        sealed, current = store.shards()
        assert (outcome.status, outcome.exit_code, outcome.submitted) == ("cosigned", EXIT_COSIGNED, True)
        assert (outcome.size, outcome.root) == (current.size, current.root)
        assert outcome.details["earlier_logs"] == [{"origin": helpers.ORIGIN, "size": sealed.size, "root": sealed.root}]
        assert helpers.ORIGIN in outcome.message and NEXT in outcome.message and "最终检查点" in outcome.message_zh

        state = load_state(state_dir)
        assert (state.origin, state.size, state.root, state.name) == (NEXT, current.size, current.root, WITNESS_NAME)
        assert state.log_vkey == log_vkey(store) and state.log_vkey.startswith(
            NEXT + "+"
        )  # the same key, named by the new log
        (record,) = state.earlier_logs
        assert (record.origin, record.shard, record.size, record.root) == (helpers.ORIGIN, 0, sealed.size, sealed.root)
        assert (record.from_size, record.submitted, record.log_vkey) == (cosigned, True, first_vkey)

        # the log serves both cosignatures: the sealed log's final checkpoint and the new log's
        final = sealed_note(log, 0)
        assert verify_checkpoint(final, shard_vkey(store, sealed)).size == sealed.size
        assert cosigned_by(final, shard_vkey(store, sealed), wkey)
        assert cosigned_by(log.checkpoint(), log_vkey(store), wkey)
        assert cosigned_by(log.for_shard(1).checkpoint(), log_vkey(store), wkey)

        again = witness.run_once()
        assert (again.status, again.exit_code, again.submitted) == ("already_cosigned", EXIT_COSIGNED, True)
        donate(chain, "11.00")
        assert witness.run_once().status == "cosigned"  # and it goes on in the new log
        # the operator may keep starting it with the key it was first given
        donate(chain, "12.00")
        assert (
            Witness(witness_key, state_dir, log, name=WITNESS_NAME, log_vkey=first_vkey).run_once().status == "cosigned"
        )


def test_rolled_twice_while_the_witness_was_offline(world, witness_key, tmp_path):
    wkey = vkey_of(witness_key)
    state_dir = tmp_path / "w"
    with served(world, wkey) as log:
        witness = Witness(witness_key, state_dir, log, name=WITNESS_NAME)
        assert witness.run_once().status == "cosigned"
        cosigned = load_state(state_dir).size
        donate(world)
        roll_over(world.ledger, year=2027)
        donate(world, "20.00")
        roll_over(world.ledger, year=2028)
        donate(world, "30.00")

        outcome = witness.run_once()
        store = world.ledger.log
        first, second, current = store.shards()
        assert (first.origin, second.origin, current.origin) == (helpers.ORIGIN, NEXT, AFTER)
        assert (outcome.status, outcome.exit_code, outcome.size) == ("cosigned", EXIT_COSIGNED, current.size)
        state = load_state(state_dir)
        assert (state.origin, state.size) == (AFTER, current.size)
        assert [(e.origin, e.size, e.root, e.from_size, e.submitted) for e in state.earlier_logs] == [
            (helpers.ORIGIN, first.size, first.root, cosigned, True),
            (NEXT, second.size, second.root, 0, True),  # never seen before: cosigned from 0
        ]
        for shard in (first, second):
            assert cosigned_by(sealed_note(log, shard.index), shard_vkey(store, shard), wkey)
        assert cosigned_by(log.checkpoint(), log_vkey(store), wkey)


def test_a_forged_continuation_is_refused_with_evidence(world, witness_key, tmp_path, monkeypatch):
    """The operator opens the next log with a genesis naming another root (signed by the log
    key): the witness keeps both signed notes, the genesis and its proof, and moves nowhere."""
    wkey = vkey_of(witness_key)
    state_dir = tmp_path / "w"
    real = domain.continuation_data

    def lying(state, previous, origin):  # type: ignore[no-untyped-def]
        data = real(state, previous, origin)
        data["previous"] = {**data["previous"], "root_hash": "ab" * 32}
        return data

    with served(world, wkey) as log:
        witness = Witness(witness_key, state_dir, log, name=WITNESS_NAME)
        assert witness.run_once().status == "cosigned"
        before = (state_dir / STATE_FILE).read_bytes()
        monkeypatch.setattr(domain, "continuation_data", lying)
        roll_over(world.ledger, year=2027)
        monkeypatch.undo()
        donate(world)

        outcome = witness.run_once()
        again = witness.run_once()
        store = world.ledger.log
        sealed = store.shards()[0]
        assert (outcome.status, outcome.exit_code, outcome.submitted) == ("split_view", EXIT_REFUSED, False)
        assert "genesis_names_another_checkpoint" in outcome.message and "证据" in outcome.message_zh
        assert (state_dir / STATE_FILE).read_bytes() == before  # nothing cosigned, the state unchanged
        assert again.evidence == outcome.evidence and len(list(state_dir.glob("evidence-*"))) == 1
        assert not cosigned_by(sealed_note(log, 0), shard_vkey(store, sealed), wkey)
        assert not cosigned_by(log.checkpoint(), log_vkey(store), wkey)

    evidence = Path(outcome.evidence)
    reason = json.loads((evidence / "reason.json").read_text())
    assert reason["kind"] == "genesis_names_another_checkpoint"
    assert (reason["origin"], reason["next_origin"]) == (helpers.ORIGIN, NEXT)
    assert reason["named"] == {"origin": helpers.ORIGIN, "size": sealed.size, "root_hash": "ab" * 32}
    assert reason["previous"] == {"size": sealed.size, "root": sealed.root}
    # anyone can re-check: both notes are signed by the log key, the genesis is in the offered tree
    final = verify_checkpoint((evidence / "previous.checkpoint").read_text(), reason["log_vkey"])
    offered = verify_checkpoint((evidence / "offered.checkpoint").read_text(), reason["offered_log_vkey"])
    assert (final.origin, final.size, final.root.hex()) == (helpers.ORIGIN, sealed.size, sealed.root)
    assert offered.origin == NEXT
    genesis = reason["genesis"].encode()
    verify_inclusion(leaf_hash(genesis), 0, offered.size, [bytes.fromhex(h) for h in reason["proof"]], offered.root)
    assert parse_leaf(genesis).entry.data["previous"]["root_hash"] == "ab" * 32


def twin(tmp_path: Path, original: StoreWorld, name: str) -> StoreWorld:
    """The same registry (log key, origin, first entries) kept by another database."""
    home = tmp_path / name
    (home / "keys").mkdir(parents=True, mode=0o700)
    shutil.copy2(original.ledger.settings.log_key_path, home / "keys" / "log.key")
    return StoreWorld(home, name_log_key=True)


def new_org(w: StoreWorld, n: int) -> None:
    w.append(w.registrar, "org.registered", helpers.org_data(helpers.make_uscc(f"53440300{n:09d}")))


def test_a_final_checkpoint_inconsistent_with_the_cosigned_one_is_evidence(world, witness_key, tmp_path):
    other = twin(tmp_path, world, "twin")
    assert world.ledger.log.head() == other.ledger.log.head()
    new_org(world, 701)
    new_org(other, 702)  # same size, another history
    wkey = vkey_of(witness_key)
    state_dir = tmp_path / "w"
    with served(other, wkey) as liar:
        assert Witness(witness_key, state_dir, liar, name=WITNESS_NAME).run_once().status == "cosigned"
    before = (state_dir / STATE_FILE).read_bytes()
    roll_over(world.ledger, year=2027)
    with served(world, wkey) as log:
        outcome = Witness(witness_key, state_dir, log, name=WITNESS_NAME).run_once()
    assert (outcome.status, outcome.exit_code) == ("split_view", EXIT_REFUSED)
    reason = json.loads((Path(outcome.evidence) / "reason.json").read_text())
    assert reason["kind"] == "inconsistent_proof" and reason["origin"] == helpers.ORIGIN
    sealed = world.ledger.log.shards()[0]
    offered = verify_checkpoint(
        (Path(outcome.evidence) / "offered.checkpoint").read_text(), shard_vkey(world.ledger.log, sealed)
    )
    assert (offered.origin, offered.size) == (helpers.ORIGIN, sealed.size)  # the sealed log's final checkpoint
    assert (state_dir / STATE_FILE).read_bytes() == before


def test_a_replica_still_serving_the_sealed_log_is_stale(world, witness_key, tmp_path, monkeypatch):
    state_dir = tmp_path / "w"
    with served(world, vkey_of(witness_key)) as log:
        witness = Witness(witness_key, state_dir, log, name=WITNESS_NAME)
        witness.run_once()
        old_note = log.checkpoint()  # the log before the roll-over, as a lagging cache keeps it
        roll_over(world.ledger, year=2027)
        assert witness.run_once().status == "cosigned"
        moved = (state_dir / STATE_FILE).read_bytes()
        monkeypatch.setattr(log, "checkpoint", lambda: old_note)
        outcome = witness.run_once()
    assert (outcome.status, outcome.exit_code, outcome.evidence) == ("stale", EXIT_REFUSED, None)
    assert outcome.details["code"] == "witness_earlier_log" and "从不回到" in outcome.message_zh
    assert (state_dir / STATE_FILE).read_bytes() == moved


def test_a_chain_that_does_not_lead_to_the_served_log_is_refused(world, witness_key, tmp_path, monkeypatch):
    state_dir = tmp_path / "w"
    with served(world, vkey_of(witness_key)) as log:
        witness = Witness(witness_key, state_dir, log, name=WITNESS_NAME)
        witness.run_once()
        before = (state_dir / STATE_FILE).read_bytes()
        roll_over(world.ledger, year=2027)
        real = log.shards()
        for listed in (
            real[1:],  # the witness's log is not listed
            [{**real[0], "sealed": False}, real[1]],  # not sealed
            [{**real[0], "next_origin": AFTER}, real[1]],  # sealed into another log
        ):
            monkeypatch.setattr(log, "shards", lambda listed=listed: listed)
            outcome = witness.run_once()
            assert (outcome.status, outcome.exit_code, outcome.details["code"]) == (
                "refused",
                EXIT_REFUSED,
                "witness_chain_broken",
            )
            assert "未副署" in outcome.message_zh
        assert (state_dir / STATE_FILE).read_bytes() == before
        assert not list(state_dir.glob("evidence-*"))


def test_a_lost_final_cosignature_is_sent_again(world, witness_key, tmp_path, monkeypatch):
    """The witness saves the move and dies before the log hears of it: the next round sends
    the sealed log's final cosignature (and the new log's) again."""
    wkey = vkey_of(witness_key)
    state_dir = tmp_path / "w"
    with served(world, wkey) as log:
        witness = Witness(witness_key, state_dir, log, name=WITNESS_NAME)
        witness.run_once()
        roll_over(world.ledger, year=2027)

        def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise ConnectionError("power cut")

        with monkeypatch.context() as m:
            m.setattr(log.http, "post", crash)
            with pytest.raises(ConnectionError):
                witness.run_once()
        state = load_state(state_dir)
        assert state.origin == NEXT and [e.submitted for e in state.earlier_logs] == [False]
        store = world.ledger.log
        sealed = store.shards()[0]
        assert not cosigned_by(sealed_note(log, 0), shard_vkey(store, sealed), wkey)

        again = witness.run_once()
        assert (again.status, again.exit_code, again.submitted) == ("already_cosigned", EXIT_COSIGNED, True)
        assert [e.submitted for e in load_state(state_dir).earlier_logs] == [True]
        assert cosigned_by(sealed_note(log, 0), shard_vkey(store, sealed), wkey)
        assert cosigned_by(log.checkpoint(), log_vkey(store), wkey)


def test_a_key_rotation_in_the_sealed_log_is_followed(world, witness_key, tmp_path):
    wkey = vkey_of(witness_key)
    state_dir = tmp_path / "w"
    first_vkey = log_vkey(world.ledger.log)
    with served(world, wkey) as log:
        witness = Witness(witness_key, state_dir, log, name=WITNESS_NAME)
        witness.run_once()
        rotate_log_key(world.ledger)
        donate(world)
        roll_over(world.ledger, year=2027)
        donate(world, "2.00")
        outcome = witness.run_once()
        store = world.ledger.log
        sealed = store.shards()[0]
        assert (outcome.status, outcome.exit_code) == ("cosigned", EXIT_COSIGNED)
        state = load_state(state_dir)
        assert state.origin == NEXT and state.log_vkey == log_vkey(store)
        assert state.earlier_log_vkeys == (first_vkey,)
        assert state.earlier_logs[0].log_vkey == shard_vkey(store, sealed) != first_vkey
        assert cosigned_by(sealed_note(log, 0), shard_vkey(store, sealed), wkey)
        assert cosigned_by(log.checkpoint(), log_vkey(store), wkey)


def test_state_files_of_before_the_chain_load_and_move_on(world, witness_key, tmp_path):
    state_dir = tmp_path / "w"
    with served(world, vkey_of(witness_key)) as log:
        Witness(witness_key, state_dir, log, name=WITNESS_NAME).run_once()
        raw = json.loads((state_dir / STATE_FILE).read_text())
        old = {k: v for k, v in raw.items() if k != "earlier_logs"}  # as written before there were shards
        (state_dir / STATE_FILE).write_text(json.dumps(old))
        state = load_state(state_dir)
        assert state.earlier_logs == () and state.size == raw["size"]
        roll_over(world.ledger, year=2027)
        assert Witness(witness_key, state_dir, log, name=WITNESS_NAME).run_once().status == "cosigned"
    assert load_state(state_dir).origin == NEXT


def test_the_state_only_moves_forward_along_the_chain(world, witness_key, tmp_path):
    state_dir = tmp_path / "w"
    with served(world, vkey_of(witness_key)) as log:
        Witness(witness_key, state_dir, log, name=WITNESS_NAME).run_once()
        state = load_state(state_dir)
        jumped = WitnessState(NEXT, state.log_vkey, state.name)  # another log, without having followed the chain
        with pytest.raises(LedgerError) as info:
            save_state(state_dir, jumped, state)
        assert info.value.code == "witness_state_origin_rollback" and "已拒绝" in info.value.message_zh
        roll_over(world.ledger, year=2027)
        Witness(witness_key, state_dir, log, name=WITNESS_NAME).run_once()
        moved = load_state(state_dir)
        back = WitnessState(helpers.ORIGIN, state.log_vkey, state.name, state.size, state.root, state.checkpoint)
        with pytest.raises(LedgerError) as info:
            save_state(state_dir, back, moved)  # back to the sealed log
        assert info.value.code == "witness_state_origin_rollback"
    assert load_state(state_dir) == moved
    assert Checkpoint.parse(parse_note(moved.checkpoint).text).origin == NEXT


def test_proofs_that_do_not_check_out_are_refused(world, witness_key, tmp_path, monkeypatch):
    """A sealed log whose last entry is not proved in its final checkpoint, or a next log whose
    entry 0 is not, is refused (a typed code, no evidence: nothing the log signed contradicts)."""
    from ledger.services.remote import LogClient

    state_dir = tmp_path / "w"
    real = LogClient.inclusion
    with served(world, vkey_of(witness_key)) as log:
        witness = Witness(witness_key, state_dir, log, name=WITNESS_NAME)
        witness.run_once()
        before = (state_dir / STATE_FILE).read_bytes()
        roll_over(world.ledger, year=2027)
        for broken_prefix, code in (
            ("/api/v1/log/shards/0", "witness_seal_invalid"),
            ("/api/v1/log", "witness_continuation_invalid"),
        ):

            def wrong(self, index, size, broken_prefix=broken_prefix):  # type: ignore[no-untyped-def]
                hashes = real(self, index, size)
                if self.prefix != broken_prefix:
                    return hashes
                return ["00" * 32] * max(1, len(hashes))  # a proof of another tree

            monkeypatch.setattr(LogClient, "inclusion", wrong)
            outcome = witness.run_once()
            assert (outcome.status, outcome.exit_code, outcome.details["code"]) == ("refused", EXIT_REFUSED, code)
            assert "未副署" in outcome.message_zh and "Not cosigned" in outcome.message
        monkeypatch.setattr(LogClient, "inclusion", real)
        assert (state_dir / STATE_FILE).read_bytes() == before
        assert not list(state_dir.glob("evidence-*"))
        assert witness.run_once().status == "cosigned"  # once the proofs verify, it moves on
