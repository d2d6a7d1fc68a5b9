"""The witness against the real API app: cosigning, crash safety, and catching a log that
equivocates (two registries with one log key and origin but different entries)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ledger.errors import LedgerError
from ledger.protocol.checkpoint import Checkpoint, verify_checkpoint
from ledger.protocol.keys import KeyPair, write_key_file
from ledger.protocol.merkle import verify_consistency
from ledger.protocol.note import parse_note
from ledger.services.oversight import witnessed
from ledger.services.witness import (
    EXIT_COSIGNED,
    EXIT_REFUSED,
    EXIT_UNAVAILABLE,
    STATE_FILE,
    Witness,
    WitnessState,
    load_state,
    save_state,
)
from ledger.store.export import log_vkey
from tests.domain import helpers
from tests.oversight.conftest import WITNESS_NAME, served, twin_world, uvicorn_served, vkey_of


def new_org(world, n: int) -> str:  # type: ignore[no-untyped-def]
    org = helpers.make_uscc(f"53440300{n:09d}")
    world.append(world.registrar, "org.registered", helpers.org_data(org))
    return org


def cosigned_size(note: str, log_key: str, wkey: str) -> tuple[int, bool]:
    checkpoint, _, met = witnessed(note, log_key, [wkey], 1)
    return checkpoint.size, met


def test_cosigns_each_new_checkpoint_and_the_log_serves_it(world, witness_key, tmp_path):
    wkey = vkey_of(witness_key)
    vkey = log_vkey(world.ledger.log)
    state = tmp_path / "witness"
    with served(world, wkey) as log:
        witness = Witness(witness_key, state, log, name=WITNESS_NAME)
        first = witness.run_once()
        assert (first.status, first.exit_code, first.submitted) == ("cosigned", EXIT_COSIGNED, True)
        size1 = world.ledger.log.head().size
        assert first.size == size1
        assert cosigned_size(log.checkpoint(), vkey, wkey) == (size1, True)
        assert load_state(state).size == size1
        assert load_state(state).log_vkey == vkey  # pinned on first use

        new_org(world, 901)
        new_org(world, 902)
        second = witness.run_once()
        assert (second.status, second.exit_code, second.size) == ("cosigned", EXIT_COSIGNED, size1 + 2)
        assert cosigned_size(log.checkpoint(), vkey, wkey) == (size1 + 2, True)
        # the older checkpoint keeps its own cosignature
        older = log.http.get(f"{log.base}/api/v1/log/checkpoint/{size1}").text
        assert cosigned_size(older, vkey, wkey) == (size1, True)

        third = witness.run_once()
        assert (third.status, third.exit_code) == ("already_cosigned", EXIT_COSIGNED)
        assert third.cosignature == second.cosignature


def test_state_is_replaced_atomically_and_never_goes_back(world, witness_key, tmp_path):
    state_dir = tmp_path / "witness"
    with served(world, vkey_of(witness_key)) as log:
        Witness(witness_key, state_dir, log, name=WITNESS_NAME).run_once()
    state = load_state(state_dir)
    assert sorted(p.name for p in state_dir.iterdir()) == ["lock", STATE_FILE]  # no temporary file left
    assert oct((state_dir / STATE_FILE).stat().st_mode & 0o777) == "0o600"
    smaller = WitnessState(state.origin, state.log_vkey, state.name, state.size - 1, "00" * 32, state.checkpoint)
    other_root = WitnessState(state.origin, state.log_vkey, state.name, state.size, "00" * 32, state.checkpoint)
    for bad in (smaller, other_root):
        with pytest.raises(LedgerError) as info:
            save_state(state_dir, bad, state)
        assert info.value.code == "witness_state_rollback"
    assert load_state(state_dir) == state


def test_a_crash_before_submitting_is_repaired_by_the_next_round(world, witness_key, tmp_path, monkeypatch):
    wkey = vkey_of(witness_key)
    with served(world, wkey) as log:
        witness = Witness(witness_key, tmp_path / "w", log, name=WITNESS_NAME)
        assert witness.run_once().exit_code == EXIT_COSIGNED
        new_org(world, 903)

        def crash(*args, **kwargs):  # the process dies after saving, before the log hears of it
            raise ConnectionError("power cut")

        with monkeypatch.context() as m:
            m.setattr(log.http, "post", crash)
            with pytest.raises(ConnectionError):
                witness.run_once()
        size = world.ledger.log.head().size
        assert load_state(tmp_path / "w").size == size  # saved before it was released
        assert not witnessed(log.checkpoint(), log_vkey(world.ledger.log), [wkey], 1)[2]

        again = witness.run_once()
        assert (again.status, again.exit_code, again.submitted) == ("already_cosigned", EXIT_COSIGNED, True)
        assert witnessed(log.checkpoint(), log_vkey(world.ledger.log), [wkey], 1)[2]


def test_a_lost_state_starts_again_and_follows_the_logs_409(world, witness_key, tmp_path):
    """The log answers 409 with the size it holds this witness's cosignature for; the witness
    sends a proof from there."""
    wkey = vkey_of(witness_key)
    with served(world, wkey) as log:
        assert Witness(witness_key, tmp_path / "a", log, name=WITNESS_NAME).run_once().exit_code == EXIT_COSIGNED
        held = world.ledger.log.head().size
        new_org(world, 904)
        answers = []
        post = log.http.post

        def recording(*args, **kwargs):
            response = post(*args, **kwargs)
            answers.append((kwargs["content"].split(b"\n", 1)[0], response.status_code, response.text))
            return response

        log.http.post = recording
        fresh = Witness(witness_key, tmp_path / "b", log, name=WITNESS_NAME)
        outcome = fresh.run_once()
        assert (outcome.status, outcome.exit_code, outcome.submitted) == ("cosigned", EXIT_COSIGNED, True)
        assert answers[0] == (b"old 0", 409, f"{held}\n")
        assert answers[1][:2] == (f"old {held}".encode(), 200)
        assert witnessed(log.checkpoint(), log_vkey(world.ledger.log), [wkey], 1)[2]


def test_split_view_same_size_other_root_is_refused_with_evidence(world, witness_key, tmp_path):
    twin = twin_world(tmp_path, world, "twin")  # same log key, origin and first entries
    vkey = log_vkey(world.ledger.log)
    assert log_vkey(twin.ledger.log) == vkey
    assert world.ledger.log.head() == twin.ledger.log.head()
    new_org(world, 905)
    new_org(twin, 906)  # same size, another entry
    assert world.ledger.log.head().size == twin.ledger.log.head().size
    assert world.ledger.log.head().root != twin.ledger.log.head().root

    state_dir = tmp_path / "w"
    with served(world, vkey_of(witness_key)) as honest:
        assert Witness(witness_key, state_dir, honest, name=WITNESS_NAME).run_once().exit_code == EXIT_COSIGNED
    before = (state_dir / STATE_FILE).read_bytes()
    with served(twin, vkey_of(witness_key)) as liar:
        outcome = Witness(witness_key, state_dir, liar, name=WITNESS_NAME).run_once()
        again = Witness(witness_key, state_dir, liar, name=WITNESS_NAME).run_once()
    assert (outcome.status, outcome.exit_code, outcome.submitted) == ("split_view", EXIT_REFUSED, False)
    assert (state_dir / STATE_FILE).read_bytes() == before  # nothing cosigned, state untouched
    evidence = Path(outcome.evidence)
    assert again.evidence == outcome.evidence  # the same contradiction is kept once
    assert len(list(state_dir.glob("evidence-*"))) == 1

    previous = (evidence / "previous.checkpoint").read_text()
    offered = (evidence / "offered.checkpoint").read_text()
    reason = json.loads((evidence / "reason.json").read_text())
    a, b = verify_checkpoint(previous, vkey), verify_checkpoint(offered, vkey)
    assert a.origin == b.origin and a.size == b.size and a.root != b.root  # signed by one key: proof of equivocation
    assert reason["kind"] == "same_size_different_root"
    assert reason["previous"] == {"size": a.size, "root": a.root.hex()}
    assert reason["offered"] == {"size": b.size, "root": b.root.hex()}


def test_rewritten_history_fails_the_consistency_proof_and_is_kept(world, witness_key, tmp_path):
    twin = twin_world(tmp_path, world, "twin")
    new_org(world, 907)
    for n in (908, 909, 910):
        new_org(twin, n)  # the twin grows from another entry: its tree does not extend the cosigned one
    vkey = log_vkey(world.ledger.log)
    state_dir = tmp_path / "w"
    with served(world, vkey_of(witness_key)) as honest:
        Witness(witness_key, state_dir, honest, name=WITNESS_NAME).run_once()
    with served(twin, vkey_of(witness_key)) as liar:
        outcome = Witness(witness_key, state_dir, liar, name=WITNESS_NAME).run_once()
    assert (outcome.status, outcome.exit_code) == ("split_view", EXIT_REFUSED)
    reason = json.loads((Path(outcome.evidence) / "reason.json").read_text())
    assert reason["kind"] == "inconsistent_proof"
    old = verify_checkpoint((Path(outcome.evidence) / "previous.checkpoint").read_text(), vkey)
    new = verify_checkpoint((Path(outcome.evidence) / "offered.checkpoint").read_text(), vkey)
    assert new.size == old.size + 2
    with pytest.raises(LedgerError):  # anyone can re-check the evidence
        verify_consistency(old.size, new.size, old.root, new.root, [bytes.fromhex(h) for h in reason["proof"]])
    assert load_state(state_dir).size == old.size


def test_a_smaller_tree_is_never_cosigned(world, witness_key, tmp_path):
    behind = twin_world(tmp_path, world, "behind")  # the same log, a replica that is behind
    new_org(world, 911)
    state_dir = tmp_path / "w"
    with served(world, vkey_of(witness_key)) as log:
        Witness(witness_key, state_dir, log, name=WITNESS_NAME).run_once()
    with served(behind, vkey_of(witness_key)) as stale:
        outcome = Witness(witness_key, state_dir, stale, name=WITNESS_NAME).run_once()
    assert (outcome.status, outcome.exit_code, outcome.evidence) == ("stale", EXIT_REFUSED, None)
    assert load_state(state_dir).size == world.ledger.log.head().size
    assert not list(state_dir.glob("evidence-*"))


def test_a_checkpoint_not_signed_by_the_pinned_key_is_refused(world, witness_key, tmp_path):
    impostor_home = tmp_path / "impostor"
    from tests.support.store_world import StoreWorld

    impostor = StoreWorld(impostor_home)  # same origin, another log key
    with served(world, vkey_of(witness_key)) as log:
        Witness(witness_key, tmp_path / "w", log, name=WITNESS_NAME).run_once()
    with served(impostor, vkey_of(witness_key)) as fake:
        outcome = Witness(witness_key, tmp_path / "w", fake, name=WITNESS_NAME).run_once()
    assert (outcome.status, outcome.exit_code) == ("refused", EXIT_REFUSED)
    assert outcome.details["code"] in ("note_unverified", "note_bad_signature")


def test_unreachable_log_is_exit_3_and_changes_nothing(witness_key, tmp_path):
    from ledger.services.remote import LogClient

    outcome = Witness(
        witness_key, tmp_path / "w", LogClient("http://127.0.0.1:9", timeout=2), name=WITNESS_NAME
    ).run_once()
    assert (outcome.status, outcome.exit_code) == ("unavailable", EXIT_UNAVAILABLE)
    assert not (tmp_path / "w" / STATE_FILE).exists()


def test_cli_witness_against_uvicorn(world, tmp_path, run_cli, capsys):
    """keygen, then ``witness --once`` against the app served by uvicorn on 127.0.0.1."""
    key_file = tmp_path / "w.key"
    assert run_cli("witness", "keygen", "--out", str(key_file), "--name", "w.example") == 0
    made = json.loads(capsys.readouterr().out)
    assert made["vkey"].startswith("w.example+") and made["name"] == "w.example"
    assert os.stat(key_file).st_mode & 0o777 == 0o600
    state = tmp_path / "state"
    with uvicorn_served(world, made["vkey"]) as url:
        code = run_cli(
            "witness", "--log", url, "--key", str(key_file), "--state", str(state), "--name", "w.example", "--once"
        )
        out = json.loads(capsys.readouterr().out)
        assert (code, out["status"], out["size"]) == (0, "cosigned", world.ledger.log.head().size)
        import httpx

        note = httpx.get(f"{url}/api/v1/log/checkpoint").text
        assert witnessed(note, log_vkey(world.ledger.log), [made["vkey"]], 1)[2]
        # a state folder belongs to one witness name
        code = run_cli(
            "witness", "--log", url, "--key", str(key_file), "--state", str(state), "--name", "other", "--once"
        )
        assert code == 2


def test_cli_witness_split_view_exit_code(world, tmp_path, run_cli, capsys):
    key = KeyPair.from_seed(b"cli witness")
    write_key_file(key, tmp_path / "w.key")
    wkey = vkey_of(key, "w.example")
    twin = twin_world(tmp_path, world, "twin")
    new_org(world, 912)
    new_org(twin, 913)
    state = tmp_path / "state"
    args = ("--key", str(tmp_path / "w.key"), "--state", str(state), "--name", "w.example", "--once")
    with uvicorn_served(world, wkey) as url:
        assert run_cli("witness", "--log", url, *args) == 0
    capsys.readouterr()
    with uvicorn_served(twin, wkey) as url:
        assert run_cli("witness", "--log", url, *args) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "split_view"
    assert sorted(p.name for p in Path(out["evidence"]).iterdir()) == [
        "offered.checkpoint",
        "previous.checkpoint",
        "reason.json",
    ]
    assert (
        Checkpoint.parse(parse_note((Path(out["evidence"]) / "offered.checkpoint").read_text()).text).size
        == world.ledger.log.head().size
    )


def test_following_stops_only_at_a_split_view(world, witness_key, tmp_path):
    from ledger.services.witness import follow

    twin = twin_world(tmp_path, world, "twin")
    new_org(world, 914)
    new_org(twin, 915)
    seen = []
    with served(world, vkey_of(witness_key)) as honest, served(twin, vkey_of(witness_key)) as liar:
        witness = Witness(witness_key, tmp_path / "w", honest, name=WITNESS_NAME)
        rounds = iter([honest, honest, liar])

        def next_round(_seconds: float) -> None:  # between rounds the log starts lying
            witness.log = next(rounds)

        assert follow(witness, 0, report=seen.append, sleep=next_round) == EXIT_REFUSED
    assert [o.status for o in seen] == ["cosigned", "already_cosigned", "already_cosigned", "split_view"]


def test_one_state_folder_one_process(world, witness_key, tmp_path):
    from ledger.services.witness import locked

    with served(world, vkey_of(witness_key)) as log, locked(tmp_path / "w"):
        with pytest.raises(LedgerError) as info:
            Witness(witness_key, tmp_path / "w", log, name=WITNESS_NAME).run_once()
    assert info.value.code == "witness_state_busy"


def test_the_witness_follows_a_log_key_rotation(factory, witness_key, tmp_path):
    """The log rotates its checkpoint key (announced in the log, signed by the old key): the
    witness follows it from the key it pinned and pins the new one."""
    from litestar.testing import TestClient

    from ledger.cli.app import create_app
    from ledger.services.remote import LogClient
    from ledger.store.runtime import rotate_log_key
    from tests.oversight.conftest import BASE, api_settings

    factory.with_genesis()
    factory.append_orgs(3)
    old_vkey = log_vkey(factory.ledger.log)
    state_dir = tmp_path / "w"
    app = create_app(factory.ledger, api_settings=api_settings(vkey_of(witness_key)))
    with TestClient(app, base_url=BASE) as client:
        log = LogClient(BASE, client=client)
        witness = Witness(witness_key, state_dir, log, name=WITNESS_NAME, log_vkey=old_vkey)
        assert witness.run_once().status == "cosigned"
        rotate_log_key(factory.ledger)
        factory.append_orgs(2, start=40)
        new_vkey = log_vkey(factory.ledger.log)
        assert new_vkey != old_vkey
        outcome = witness.run_once()
        assert (outcome.status, outcome.exit_code, outcome.size) == (
            "cosigned",
            EXIT_COSIGNED,
            factory.ledger.log.head().size,
        )
        state = load_state(state_dir)
        assert (state.log_vkey, state.earlier_log_vkeys) == (new_vkey, (old_vkey,))
        assert witnessed(log.checkpoint(), new_vkey, [vkey_of(witness_key)], 1)[2]
        # the operator may still start it with the key it was first given
        factory.append_orgs(1, start=60)
        assert (
            Witness(witness_key, state_dir, log, name=WITNESS_NAME, log_vkey=old_vkey).run_once().status == "cosigned"
        )
