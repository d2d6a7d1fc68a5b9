"""k-of-n witness policy: ``witnessed`` and the ``verify`` helper ``quorum_report``."""

from __future__ import annotations

import pytest

from ledger.errors import LedgerError, VerificationError
from ledger.protocol.checkpoint import Checkpoint, cosign, sign_checkpoint
from ledger.protocol.keys import KeyPair
from ledger.protocol.note import NoteSigner, add_signatures, format_verifier_key
from ledger.services.oversight import WitnessPolicy, quorum_report, witness_policy_from_env, witnessed
from ledger.services.witness import witness_vkey

ORIGIN = "quorum.test/log"
LOG = NoteSigner(ORIGIN, KeyPair.from_seed(b"quorum log"))
LOG_VKEY = format_verifier_key(ORIGIN, LOG.pair.public)
WITNESSES = [(f"w{i}.test", KeyPair.from_seed(f"quorum witness {i}".encode())) for i in range(3)]
KEYS = [witness_vkey(k, n) for n, k in WITNESSES]
CHECKPOINT = Checkpoint(ORIGIN, 42, bytes(range(32)))


def note_cosigned_by(*indexes: int, stranger: bool = False) -> str:
    note = sign_checkpoint(CHECKPOINT, LOG)
    lines = [cosign(CHECKPOINT, WITNESSES[i][1], WITNESSES[i][0], 1_700_000_000 + i) for i in indexes]
    if stranger:
        lines.append(cosign(CHECKPOINT, KeyPair.from_seed(b"stranger"), "stranger.test", 1_700_000_000))
    return add_signatures(note, lines) if lines else note


@pytest.mark.parametrize(
    ("cosigners", "threshold", "met"),
    [((0, 1), 2, True), ((0, 1), 3, False), ((2,), 1, True), ((), 1, False), ((0, 1, 2), 3, True)],
)
def test_k_of_n(cosigners, threshold, met):
    checkpoint, found, ok = witnessed(note_cosigned_by(*cosigners, stranger=True), LOG_VKEY, KEYS, threshold)
    assert checkpoint == CHECKPOINT
    assert sorted(c.name for c in found) == sorted(WITNESSES[i][0] for i in cosigners)  # the stranger is ignored
    assert ok is met


def test_a_forged_cosignature_by_a_trusted_witness_is_an_error_not_a_miss():
    note = note_cosigned_by(0)
    forged = cosign(Checkpoint(ORIGIN, 43, bytes(32)), WITNESSES[1][1], WITNESSES[1][0], 1)  # over another checkpoint
    with pytest.raises(VerificationError):
        witnessed(add_signatures(note, [forged]), LOG_VKEY, KEYS, 1)


def test_the_log_signature_is_checked_first():
    other = NoteSigner(ORIGIN, KeyPair.from_seed(b"not the log"))
    note = add_signatures(sign_checkpoint(CHECKPOINT, other), [cosign(CHECKPOINT, WITNESSES[0][1], WITNESSES[0][0], 1)])
    with pytest.raises(VerificationError):
        witnessed(note, LOG_VKEY, KEYS, 1)


@pytest.mark.parametrize("threshold", [0, 4, True])
def test_threshold_must_be_between_1_and_n(threshold):
    with pytest.raises(LedgerError):
        witnessed(note_cosigned_by(0), LOG_VKEY, KEYS, threshold)


def test_policy_from_environment_defaults_to_a_majority():
    env = {"CHARITY_LEDGER_WITNESS_KEYS": " , ".join(KEYS)}
    assert witness_policy_from_env(env) == WitnessPolicy(tuple(witness_policy_from_env(env).keys), 2)
    assert witness_policy_from_env({**env, "CHARITY_LEDGER_WITNESS_QUORUM": "3"}).threshold == 3
    assert witness_policy_from_env({}) is None
    with pytest.raises(LedgerError):
        witness_policy_from_env({**env, "CHARITY_LEDGER_WITNESS_QUORUM": "two"})


def test_quorum_report_for_verify(tmp_path):
    keys_file = tmp_path / "witnesses.txt"
    keys_file.write_text("# trusted witnesses\n" + "\n".join(KEYS) + "\n")
    report = quorum_report(note_cosigned_by(0, 2), [str(keys_file)], 2, env={})
    assert report is not None and report["met"] and report["quorum"] == 2
    assert [c["name"] for c in report["cosigners"]] == ["w0.test", "w2.test"]
    with pytest.raises(VerificationError) as info:
        quorum_report(note_cosigned_by(0), KEYS, 2, env={})
    assert info.value.code == "cosignature_quorum_not_met"
    # without keys on the command line, the environment's policy applies; with neither, none
    env = {"CHARITY_LEDGER_WITNESS_KEYS": ",".join(KEYS), "CHARITY_LEDGER_WITNESS_QUORUM": "1"}
    assert quorum_report(note_cosigned_by(1), env=env)["quorum"] == 1
    assert quorum_report(note_cosigned_by(), env={}) is None
    with pytest.raises(LedgerError):
        quorum_report(note_cosigned_by(), quorum=1, env={})


def test_verify_then_quorum_on_a_served_log(world, witness_key, tmp_path):
    """What ``verify --url URL --witness-key K --quorum 1`` does: verify_log, then quorum_report."""
    from ledger.protocol.verify import verify_log
    from ledger.services.witness import Witness
    from ledger.store.export import log_vkey
    from tests.oversight.conftest import WITNESS_NAME, served, vkey_of

    wkey = vkey_of(witness_key)
    with served(world, wkey) as log:
        before = log.checkpoint()
        Witness(witness_key, tmp_path / "w", log, name=WITNESS_NAME).run_once()
        note = log.checkpoint()
        size = verify_log(log.entries(0, world.ledger.log.head().size), note, log_vkey(world.ledger.log)).size
    assert quorum_report(note, [wkey], 1, env={})["cosigners"][0]["name"] == WITNESS_NAME
    assert size == world.ledger.log.head().size
    with pytest.raises(VerificationError):
        quorum_report(before, [wkey], 1, env={})
