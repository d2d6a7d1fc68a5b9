"""Our log pushes its checkpoints (CHARITY_LEDGER_WITNESSES) to a witness written from the C2SP
tlog-witness text alone (tests/interop/spec_witness.py) and to ours (``witness serve``): the
cosignatures are kept and served on the checkpoint, 409 is followed, refusals are recorded with
their meaning and shown on the checkpoints page, and a burst of appends ends with every new
checkpoint cosigned by both witnesses."""

from __future__ import annotations

import base64
import socket
from dataclasses import replace
from pathlib import Path

from litestar.testing import TestClient
from sqlalchemy import delete

from api.config import ApiSettings
from ledger.cli.app import create_app
from ledger.protocol.checkpoint import Checkpoint, verify_cosignatures
from ledger.protocol.note import parse_note
from ledger.services.witness_push import (
    WITNESS_PUSH_FORBIDDEN,
    WITNESS_PUSH_REFUSED,
    WITNESS_PUSH_UNAVAILABLE,
    WITNESS_PUSH_UNKNOWN_LOG,
    WitnessPusher,
    backoff_s,
    witness_targets,
)
from ledger.store.db import write_transaction
from ledger.store.export import log_vkey
from ledger.store.runtime import Ledger, roll_over
from ledger.store.tables import WITNESS_PUSH
from ledger.store.witness_push import push_status, push_statuses
from reports import celery_app
from reports.tasks import push_to_witness_task, push_to_witnesses_task
from tests.api.world import PROJECT, World, build_world, donation
from tests.interop import spec_tlog as t
from tests.interop.witness_fixtures import Running, our_witness, spec_only_witness
from tests.support.ledger_factory import LedgerFactory


def _world(tmp_path: Path) -> World:
    return build_world(LedgerFactory(tmp_path / "home"))


def _grow(world: World, count: int) -> int:
    log = world.factory.ledger.log
    log.append([world.sign("fundraiser", "donation.received", donation(PROJECT, f"{i + 1}.00")) for i in range(count)])
    return log.head().size


def _pusher(ledger: Ledger, running: Running, clock: list[float] | None = None) -> WitnessPusher:
    [target] = witness_targets([(running.vkey, running.url)])
    if clock is None:
        return WitnessPusher(ledger.log, target)
    return WitnessPusher(ledger.log, target, clock=lambda: clock[0])


def _spec_cosigned(note: str, running: Running) -> list[int]:
    """The times of the spec witness's valid cosignatures on ``note``, checked by the spec-only code."""
    name, alg, public = t.parse_vkey(running.vkey)
    body, sigs = t.split_note(note)
    kid = t.key_id(name, alg, public)
    return [ts for n, k, s in sigs if (n, k) == (name, kid) and (ts := t.verify_cosignature(body, n, public, s))]


def test_the_log_pushes_to_a_spec_witness_and_serves_the_cosignature(
    tmp_path: Path, any_factory: LedgerFactory
) -> None:
    world = build_world(any_factory)  # SQLite, and PostgreSQL when configured
    ledger = world.factory.ledger
    with spec_only_witness(tmp_path / "spec.json", [log_vkey(ledger.log)]) as (running, spec):
        pusher = _pusher(ledger, running)
        size = ledger.log.head().size
        first = pusher.push_once()
        assert (first.status, first.size) == ("cosigned", size)
        grown = _grow(world, 5)
        assert pusher.push_once().size == grown  # old = size, with a consistency proof from there
        assert pusher.push_once().status == "up_to_date"  # nothing sent
        assert [s for s, _ in spec.requests] == [200, 200]
        assert spec.state()[ledger.log.origin]["size"] == grown
    with TestClient(create_app(ledger, api_settings=ApiSettings())) as client:
        served = client.get("/api/v1/log/checkpoint").text
    assert Checkpoint.parse(parse_note(served).text).size == grown
    assert len(_spec_cosigned(served, running)) == 1
    status = push_status(ledger.engine, running.vkey.split("+")[0])
    assert status is not None and (status.size, status.error_code, status.failures) == (grown, None, 0)


def test_a_409_is_followed_by_a_proof_from_the_size_the_witness_names(
    tmp_path: Path, any_factory: LedgerFactory
) -> None:
    world = build_world(any_factory)  # SQLite, and PostgreSQL when configured
    ledger = world.factory.ledger
    with spec_only_witness(tmp_path / "spec.json", [log_vkey(ledger.log)]) as (running, spec):
        pusher = _pusher(ledger, running)
        assert pusher.push_once().status == "cosigned"
        with write_transaction(ledger.engine) as conn:  # the log forgets what the witness cosigned
            conn.execute(delete(WITNESS_PUSH))
        grown = _grow(world, 3)
        assert pusher.push_once().size == grown
        assert [s for s, _ in spec.requests] == [200, 409, 200]


def test_refusals_are_recorded_with_their_meaning_and_backed_off(tmp_path: Path, any_factory: LedgerFactory) -> None:
    world = build_world(any_factory)  # SQLite, and PostgreSQL when configured
    ledger = world.factory.ledger
    clock = [1_800_000_000.0]
    stranger = t.Signer.generate(ledger.log.origin).vkey()  # the right name, another key
    with (
        spec_only_witness(tmp_path / "a.json", [t.Signer.generate("other.log.test").vkey()]) as (unknown, _),
        spec_only_witness(tmp_path / "b.json", [stranger], name="witness.test/b") as (forbidden, _),
    ):
        for running, code, status in (
            (unknown, WITNESS_PUSH_UNKNOWN_LOG, 404),
            (forbidden, WITNESS_PUSH_FORBIDDEN, 403),
        ):
            result = _pusher(ledger, running, clock).push_once()
            assert (result.status, result.code, result.http_status) == ("refused", code, status)
    # a witness nobody answers at: unavailable, and not tried again before its backoff is over
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    down = _pusher(ledger, Running(url, t.Signer.generate("witness.test/down").vkey(t.ALG_COSIGNATURE_V1)), clock)
    assert down.push_once().code == WITNESS_PUSH_UNAVAILABLE
    assert down.push_once().status == "waiting"
    clock[0] += backoff_s(1)
    again = down.push_once()
    assert again.code == WITNESS_PUSH_UNAVAILABLE and again.retry_in == backoff_s(2)
    # the operators' view: each witness, its size, the error and what it means
    with TestClient(create_app(ledger, api_settings=ApiSettings())) as client:
        page = client.get("/checkpoints?lang=en").text
    assert f'data-error="{WITNESS_PUSH_UNKNOWN_LOG}"' in page and "does not witness the log" in page
    assert f'data-error="{WITNESS_PUSH_FORBIDDEN}"' in page and "HTTP 403" in page
    assert f'data-error="{WITNESS_PUSH_UNAVAILABLE}"' in page


def test_a_witness_holding_another_root_answers_422_and_nothing_is_stored(tmp_path: Path) -> None:
    world = _world(tmp_path)
    ledger = world.factory.ledger
    size = ledger.log.head().size
    with spec_only_witness(tmp_path / "spec.json", [log_vkey(ledger.log)]) as (running, spec):
        # someone showed the witness another tree of the same size under this log's name
        other = {"size": size, "root": base64.b64encode(t.leaf_hash(b"fork")).decode()}
        spec._persist({ledger.log.origin: other})
        result = _pusher(ledger, running).push_once()
        assert (result.status, result.code) == ("refused", WITNESS_PUSH_REFUSED)
        assert [s for s, _ in spec.requests] == [409, 422]
    assert ledger.log.cosignatures(size) == []


def test_a_burst_of_appends_is_cosigned_by_both_witnesses(tmp_path: Path) -> None:
    """The app pushes in the background (one thread per witness): after a burst of appends through
    the API, the latest checkpoint carries valid cosignatures by our witness and the spec one."""
    world = _world(tmp_path)
    base = world.factory.ledger
    vkey = log_vkey(base.log)
    with (
        our_witness(tmp_path / "ours", [vkey]) as (ours, _),
        spec_only_witness(tmp_path / "spec.json", [vkey]) as (spec_running, spec),
    ):
        pairs = ((ours.vkey, ours.url), (spec_running.vkey, spec_running.url))
        ledger = replace(base, settings=replace(base.settings, witnesses=pairs))
        with TestClient(create_app(ledger, api_settings=ApiSettings())) as client:
            pool = client.app.state.witness_pool
            for i in range(40):
                entry = world.sign("fundraiser", "donation.received", donation(PROJECT, f"{i + 1}.50"))
                assert client.post("/api/v1/entries", json=entry.to_json()).status_code == 201
            size = ledger.log.head().size
            assert pool.wait_until_cosigned(size, timeout=60), pool.last
            served = client.get("/api/v1/log/checkpoint").text
        assert Checkpoint.parse(parse_note(served).text).size == size
        names = {c.name for c in verify_cosignatures(served, [p[0] for p in pairs])}
        assert names == {"witness.test/ours", "witness.test/spec"}
        assert len(_spec_cosigned(served, spec_running)) == 1
        assert spec.requests and all(status in (200, 409) for status, _ in spec.requests)


def test_in_production_celery_pushes_one_task_per_witness(tmp_path: Path) -> None:
    """The beat task queues one push per witness (run in-process here, as without a broker);
    each brings its witness up to the latest checkpoint."""
    world = _world(tmp_path)
    ledger = world.factory.ledger
    vkey = log_vkey(ledger.log)
    before = celery_app.default_settings()
    with (
        our_witness(tmp_path / "ours", [vkey]) as (ours, _),
        spec_only_witness(tmp_path / "spec.json", [vkey]) as (spec, _),
    ):
        pairs = ((ours.vkey, ours.url), (spec.vkey, spec.url))
        celery_app.configure(replace(ledger.settings, witnesses=pairs, broker_url=None))
        try:
            ref = celery_app.settings_ref(ledger.settings)
            queued = push_to_witnesses_task.delay(ref).get(timeout=60)
            assert queued == {"witnesses": ["witness.test/ours", "witness.test/spec"]}
            size = ledger.log.head().size
            again = push_to_witness_task.delay(ref, spec.vkey).get(timeout=60)
            assert again == {"witness": "witness.test/spec", "status": "up_to_date", "size": size, "code": None}
        finally:
            celery_app.configure(before)
    assert {s.witness: s.size for s in push_statuses(ledger.engine)} == {
        "witness.test/ours": size,
        "witness.test/spec": size,
    }
    assert len(ledger.log.cosignatures(size)) == 2


def test_after_a_roll_over_the_sealed_logs_final_checkpoint_is_pushed_first(tmp_path: Path) -> None:
    """The witness cosigned log 0 at some size; the log grew and rolled over before the next
    push: the sealed log's final checkpoint goes first (a proof from the size the witness holds),
    then the new log from 0. Each cosignature is kept with its own log's checkpoint."""
    world = _world(tmp_path)
    ledger = world.factory.ledger
    first_vkey = log_vkey(ledger.log)
    with spec_only_witness(tmp_path / "spec.json", [first_vkey]) as (running, _):
        assert _pusher(ledger, running).push_once().status == "cosigned"
    _grow(world, 4)
    roll_over(ledger, year=2099)
    sealed = ledger.log.shard(0)
    assert sealed is not None and sealed.sealed
    with spec_only_witness(tmp_path / "spec.json", [first_vkey, log_vkey(ledger.log)]) as (again, spec):
        pusher = _pusher(ledger, again)  # the same state file, a new witness key: the log asks by name
        final = pusher.push_once()
        assert (final.status, final.origin, final.size) == ("cosigned", sealed.origin, sealed.size)
        current = pusher.push_once()
        assert (current.status, current.origin, current.size) == ("cosigned", ledger.log.origin, ledger.log.head().size)
        assert [s for s, _ in spec.requests] == [200, 200]
        state = spec.state()
    assert state[sealed.origin]["size"] == sealed.size and state[ledger.log.origin]["size"] == ledger.log.head().size
    assert len(ledger.log.cosignatures(sealed.size, 0)) == 1
