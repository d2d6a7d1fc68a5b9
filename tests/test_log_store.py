"""The log on SQL: append, proofs, checkpoints, idempotency, refusals that write nothing."""

from __future__ import annotations

import base64
import itertools
import random

import pytest

from ledger.errors import LedgerError
from ledger.protocol import merkle
from ledger.protocol.checkpoint import verify_checkpoint
from ledger.protocol.entry import MAX_BODY_BYTES, SignedEntry
from ledger.protocol.keys import KeyPair, b64
from ledger.store.export import log_vkey
from tests.support.ledger_factory import ORIGIN, LedgerFactory


def _state(f: LedgerFactory) -> tuple[int, bytes, str]:
    head = f.ledger.log.head()
    return head.size, head.root, f.ledger.log.latest_checkpoint()


def test_append_returns_proof_against_signed_checkpoint(any_factory: LedgerFactory) -> None:
    f = any_factory
    f.with_genesis()
    results = f.append_orgs(5)
    assert [r.seq for r in results] == [1, 2, 3, 4, 5]
    last = results[-1]
    checkpoint = verify_checkpoint(last.checkpoint, log_vkey(f.ledger.log), origin=ORIGIN)
    assert checkpoint.size == 6 == last.tree_size
    for r in results:
        merkle.verify_inclusion(
            bytes.fromhex(r.leaf_hash), r.seq, r.tree_size, [bytes.fromhex(h) for h in r.proof], checkpoint.root
        )
    assert f.ledger.log.head().root == checkpoint.root
    # each leaf hashes to what the next recorded as prev
    leaves = f.ledger.log.leaves(0, 6)
    for raw, nxt in itertools.pairwise(leaves):
        assert f'"prev":"{merkle.leaf_hash(raw).hex()}"'.encode() in nxt


def test_proofs_at_every_size_match_an_independent_tree(factory: LedgerFactory) -> None:
    f = factory
    f.with_genesis()
    f.append_orgs(40, batch=7)
    log = f.ledger.log
    leaves = log.leaves(0, 41)
    tree = merkle.MemoryTree(merkle.leaf_hash(x) for x in leaves)
    rng = random.Random(7)
    for _ in range(60):
        n = rng.randint(1, 41)
        i = rng.randrange(n)
        m = rng.randint(1, n)
        root_n = merkle.root_at(n, tree)
        assert log.root_at(n) == root_n
        merkle.verify_inclusion(merkle.leaf_hash(leaves[i]), i, n, log.inclusion_proof(i, n), root_n)
        merkle.verify_consistency(m, n, merkle.root_at(m, tree), root_n, log.consistency_proof(m, n))
    # every size the log signed keeps its one checkpoint, consistent with the latest
    vkey = log_vkey(log)
    sizes = log.checkpoint_sizes()
    assert sizes[0] == 41 and 0 in sizes
    for size in sizes:
        cp = verify_checkpoint(log.checkpoint_at(size), vkey)
        assert cp.root == merkle.root_at(size, tree) if size else cp.root == merkle.EMPTY_ROOT


def test_idempotent_retry_returns_the_stored_entry(any_factory: LedgerFactory) -> None:
    f = any_factory
    f.with_genesis()
    entry = f.org_entry(1)
    first = f.ledger.log.append([entry])[0]
    again = f.ledger.log.append([entry])[0]
    assert (again.seq, again.leaf_hash, again.existing) == (first.seq, first.leaf_hash, True)
    assert f.ledger.log.head().size == 2
    # the same idem with another body is refused and writes nothing
    before = _state(f)
    other = f.org_entry(2)
    clash = f.sign(f.registrar, "org.registered", other.data, idem=entry.idem)
    with pytest.raises(LedgerError) as err:
        f.ledger.log.append([clash])
    assert err.value.code == "idem_conflict" and err.value.params["seq"] == first.seq
    assert _state(f) == before


def test_a_refused_entry_fails_the_whole_batch(any_factory: LedgerFactory) -> None:
    f = any_factory
    f.with_genesis()
    before = _state(f)
    entries = [f.org_entry(n) for n in range(5)]
    bad = entries[3]
    entries[3] = SignedEntry(bad.body, bad.body_bytes, bytes(64))
    with pytest.raises(LedgerError) as err:
        f.ledger.log.append(entries)
    assert err.value.code == "batch_entry_refused"
    assert err.value.params["position"] == 3 and err.value.params["code"] == "bad_signature"
    assert _state(f) == before
    assert f.ledger.log.leaves(0, 10) == f.ledger.log.leaves(0, 1)


def _bad_inputs(f: LedgerFactory) -> dict[str, tuple[object, str]]:
    good = f.org_entry(50).to_json()
    stranger = KeyPair.from_seed(b"stranger")
    wrong_sig = dict(good, sig=b64(bytes(64)))
    other_log = f.sign(f.registrar, "org.registered", f.org_entry(51).data, log="elsewhere.example/log").to_json()
    huge = dict(good, body=dict(good["body"], data={"x": "字" * (MAX_BODY_BYTES // 3 + 10)}))
    unknown = f.sign(stranger, "org.registered", f.org_entry(52).data).to_json()
    body_float = dict(good, body=dict(good["body"], v=1.5))
    not_base64 = dict(good, sig="%%%")
    short_sig = dict(good, sig=base64.b64encode(b"x" * 10).decode())
    extra = dict(good, extra=1)
    missing = {"body": {k: v for k, v in good["body"].items() if k != "idem"}, "sig": good["sig"]}
    wrong_type = dict(good, body=dict(good["body"], data="not an object"))
    bad_time = dict(good, body=dict(good["body"], at="yesterday"))
    return {
        "not an object": ([1, 2], "body_invalid"),
        "extra field": (extra, "body_invalid"),
        "missing idem": (missing, "body_invalid"),
        "wrong type of data": (wrong_type, "body_invalid"),
        "float version": (body_float, "body_invalid"),
        "bad time": (bad_time, "body_invalid"),
        "sig not base64": (not_base64, "body_invalid"),
        "sig wrong length": (short_sig, "body_invalid"),
        "oversized": (huge, "body_too_large"),
        "other log": (other_log, "wrong_log"),
        "unknown signer": (unknown, "unknown_signer"),
        "bad signature": (wrong_sig, "bad_signature"),
    }


def test_bad_input_is_refused_with_its_code_and_writes_nothing(any_factory: LedgerFactory) -> None:
    f = any_factory
    f.with_genesis()
    f.append_orgs(3)
    before = _state(f)
    for name, (submission, code) in _bad_inputs(f).items():
        with pytest.raises(LedgerError) as err:
            f.ledger.log.submit(submission)
        assert err.value.code == code, name
        assert err.value.message_zh and err.value.message_en, name
        assert _state(f) == before, name


def test_clock_far_off_is_refused(factory: LedgerFactory) -> None:
    from datetime import timedelta

    from ledger.protocol.canonical import now

    f = factory
    f.with_genesis()
    before = _state(f)
    late = f.sign(f.registrar, "org.registered", f.org_entry(3).data, at=now() - timedelta(hours=2))
    with pytest.raises(LedgerError) as err:
        f.ledger.log.append([late])
    assert err.value.code == "clock_skew"
    assert _state(f) == before


def test_batch_limits(factory: LedgerFactory) -> None:
    f = factory
    f.with_genesis()
    with pytest.raises(LedgerError) as err:
        f.ledger.log.submit_batch([])
    assert err.value.code == "batch_empty"
    with pytest.raises(LedgerError) as err:
        f.ledger.log.submit_batch([{}] * 1001)
    assert err.value.code == "batch_too_large"
    with pytest.raises(LedgerError) as err:
        f.ledger.log.submit_batch([f.org_entry(1).to_json(), {"body": 1}])
    assert err.value.code == "batch_entry_refused" and err.value.params["position"] == 1
    assert f.ledger.log.head().size == 1


def test_proof_requests_outside_the_tree_are_refused(factory: LedgerFactory) -> None:
    f = factory
    f.with_genesis()
    f.append_orgs(3)
    log = f.ledger.log
    for call in (
        lambda: log.inclusion_proof(4, 4),
        lambda: log.inclusion_proof(0, 9),
        lambda: log.consistency_proof(3, 2),
        lambda: log.consistency_proof(1, 5),
    ):
        with pytest.raises(LedgerError) as err:
            call()
        assert err.value.code == "size_out_of_range"
    with pytest.raises(LedgerError) as err:
        log.seq_of("00" * 32)
    assert err.value.code == "not_found"


def test_a_large_batch_is_refused_whole_for_one_bad_signature_and_else_proven(any_factory: LedgerFactory) -> None:
    """A batch large enough for the signature pool: its signatures are collected after the
    rows are written, but one bad signature still refuses it whole (the first thing wrong, even
    before a later rule refusal) and nothing is kept; the same batch signed right is appended
    with every proof leading to its checkpoint."""
    from ledger.protocol.sigcheck import PARALLEL_MIN

    f = any_factory
    f.with_genesis()
    before = _state(f)
    entries = [f.org_entry(n) for n in range(PARALLEL_MIN + 20)]
    bad_at = PARALLEL_MIN + 10
    bad = SignedEntry(entries[bad_at].body, entries[bad_at].body_bytes, bytes(64))
    taken = f.sign(f.registrar, "org.registered", dict(f.org_entry(9999).data, org=entries[0].data["org"]))
    for batch in ([*entries[:bad_at], bad, *entries[bad_at + 1 :]], [*entries[:bad_at], bad, taken]):
        with pytest.raises(LedgerError) as err:
            f.ledger.log.append(batch)
        assert err.value.code == "batch_entry_refused"
        assert err.value.params["position"] == bad_at and err.value.params["code"] == "bad_signature"
        assert _state(f) == before
    results = f.ledger.log.append(entries)
    cp = verify_checkpoint(results[-1].checkpoint, log_vkey(f.ledger.log))
    assert cp.size == len(entries) + 1 and [r.seq for r in results] == list(range(1, cp.size))
    for r in results:
        merkle.verify_inclusion(
            bytes.fromhex(r.leaf_hash), r.seq, cp.size, [bytes.fromhex(h) for h in r.proof], cp.root
        )


def test_append_each_keeps_good_entries_and_returns_refusals(any_factory: LedgerFactory) -> None:
    f = any_factory
    f.with_genesis()
    first = f.org_entry(1)
    f.ledger.log.append([first])
    before = f.ledger.log.head()
    good_a, good_b = f.org_entry(2), f.org_entry(3)
    bad_sig = SignedEntry(f.org_entry(4).body, f.org_entry(4).body_bytes, bytes(64))
    same_org = f.sign(f.registrar, "org.registered", dict(f.org_entry(5).data, org=good_a.data["org"]))
    clash = f.sign(f.registrar, "org.registered", f.org_entry(6).data, idem=first.idem)
    results = f.ledger.log.append_each([good_a, bad_sig, same_org, first, good_b, clash])
    assert [getattr(r, "code", None) for r in results] == [
        None,
        "bad_signature",
        "org_exists",
        None,
        None,
        "idem_conflict",
    ]
    assert [r.seq for r in (results[0], results[3], results[4])] == [before.size, 1, before.size + 1]
    assert results[3].existing and not results[0].existing
    head = f.ledger.log.head()
    assert head.size == before.size + 2
    # both accepted entries are proven against the one checkpoint of this append
    cp = verify_checkpoint(results[4].checkpoint, log_vkey(f.ledger.log))
    for r in (results[0], results[4]):
        merkle.verify_inclusion(
            bytes.fromhex(r.leaf_hash), r.seq, cp.size, [bytes.fromhex(h) for h in r.proof], cp.root
        )
    from ledger.store.rebuild import check

    assert check(f.ledger.log).clean


def test_signatures_of_granted_keys_are_checked_before_the_lock(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Keys granted after genesis (a fundraiser's) are known before the write lock is taken, so
    their signatures are verified outside it (in the pool for big batches), not one by one."""
    from ledger.store.log import sequencer
    from tests.domain import helpers
    from tests.support.store_world import StoreWorld

    world = StoreWorld(tmp_path / "home")
    in_lock: list[str] = []
    real = sequencer.signature_valid
    monkeypatch.setattr(
        sequencer, "signature_valid", lambda entry, public: in_lock.append(entry.signer) or real(entry, public)
    )
    entries = [
        world.sign(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "10.00")) for _ in range(5)
    ]
    results = world.ledger.log.append(entries)
    assert len(results) == 5 and in_lock == []
    fresh = world.sign(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "10.00"))
    bad = SignedEntry(fresh.body, fresh.body_bytes, entries[0].sig)  # another entry's signature
    with pytest.raises(LedgerError) as err:  # a wrong signature is still refused
        world.ledger.log.append(
            [world.sign(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "10.00")), bad]
        )
    assert err.value.params["code"] == "bad_signature"
