"""The witness server's own guarantees (ledger.services.witness_server), without HTTP: two
requests racing from the same old size never both get a cosignature, the state survives a
restart, one process holds the folder, and a broken state is the witness's problem (500)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ledger.errors import LedgerError
from ledger.protocol.checkpoint import format_witness_key
from ledger.protocol.keys import KeyPair
from ledger.protocol.note import format_verifier_key
from ledger.services.witness import WITNESS_STATE_BUSY
from ledger.services.witness_push import WITNESS_CONFIG_INVALID, witness_targets
from ledger.services.witness_server import WitnessService
from ledger.settings import from_env
from tests.interop import spec_tlog as t
from tests.interop.spec_log import SpecLog


def _service(state: Path, log: SpecLog, key: KeyPair) -> WitnessService:
    return WitnessService(key, "witness.test/unit", state, [log.signer.vkey()]).open()


def test_racing_requests_from_one_old_size_get_one_cosignature(tmp_path: Path) -> None:
    log = SpecLog(t.Signer.generate("race.test/log"))
    log.grow(10)
    key = KeyPair.generate()
    for round_ in range(10):
        with _service(tmp_path / str(round_), log, key) as service:
            barrier = threading.Barrier(2)
            statuses: dict[int, int] = {}

            def send(size: int, service: WitnessService, barrier: threading.Barrier, out: dict[int, int]) -> None:
                body = log.body(0, size)
                barrier.wait()
                out[size] = service.add_checkpoint(body).status

            threads = [threading.Thread(target=send, args=(n, service, barrier, statuses)) for n in (5, 10)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(statuses.values()) == [200, 409], statuses
            record = service.record(log.origin)
            assert record is not None and statuses[record.size] == 200  # the state is the one cosigned


def test_the_state_survives_a_restart_and_one_process_holds_it(tmp_path: Path) -> None:
    log = SpecLog(t.Signer.generate("restart.test/log"))
    log.grow(7)
    key = KeyPair.generate()
    with _service(tmp_path / "w", log, key) as service:
        assert service.add_checkpoint(log.body(0, 7)).status == 200
        with pytest.raises(LedgerError) as busy:
            _service(tmp_path / "w", log, key)
        assert busy.value.code == WITNESS_STATE_BUSY
    with _service(tmp_path / "w", log, key) as again:
        answer = again.add_checkpoint(log.body(0, 7))
        assert (answer.status, answer.content_type, answer.body) == (409, "text/x.tlog.size", b"7\n")


def test_a_broken_state_file_is_a_server_error_not_the_clients(tmp_path: Path) -> None:
    log = SpecLog(t.Signer.generate("broken.test/log"))
    log.grow(3)
    with _service(tmp_path / "w", log, KeyPair.generate()) as service:
        assert service.add_checkpoint(log.body(0, 3)).status == 200
        next((tmp_path / "w" / "logs").iterdir()).write_text("{not json")
        answer = service.add_checkpoint(log.body(3, 3))
        assert answer.status == 500 and b"witness_log_state_invalid" in answer.body


def test_the_witness_list_setting() -> None:
    w1 = format_witness_key("w1.test", KeyPair.generate().public)
    w2 = format_witness_key("w2.test", KeyPair.generate().public)
    env = {"CHARITY_LEDGER_WITNESSES": f" {w1} https://w1.test/sub/ ,{w2}  http://127.0.0.1:8100,"}
    pairs = from_env(env).witnesses
    assert pairs == ((w1, "https://w1.test/sub"), (w2, "http://127.0.0.1:8100"))
    assert [t.name for t in witness_targets(pairs)] == ["w1.test", "w2.test"]
    for bad in (w1, f"{w1} ftp://w1.test", f"{w1} https://a https://b"):
        with pytest.raises(ValueError, match="CHARITY_LEDGER_WITNESSES"):
            from_env({"CHARITY_LEDGER_WITNESSES": bad})
    log_key = format_verifier_key("log.test", KeyPair.generate().public)  # type 0x01: not a witness key
    with pytest.raises(LedgerError) as err:
        witness_targets([(log_key, "https://w.test")])
    assert err.value.code == WITNESS_CONFIG_INVALID


def test_size_zero_extra_signatures_and_proofs_from_zero(tmp_path: Path) -> None:
    """tlog-witness: a size-0 checkpoint must have the empty tree's root (else 422); a proof
    from 0 must be empty (else 422); signatures by keys the witness does not know are ignored."""
    log = SpecLog(t.Signer.generate("zero.test/log"))
    with _service(tmp_path / "w", log, KeyPair.generate()) as service:
        wrong = log.checkpoint(0, root=t.leaf_hash(b"not empty"))
        assert service.add_checkpoint(log.body(0, 0, note=wrong)).status == 422
        log.grow(4)
        assert service.add_checkpoint(log.body(0, 4, proof=[t.leaf_hash(b"x")])).status == 422
        assert service.record(log.origin) is None  # nothing written by either refusal
        assert service.add_checkpoint(log.body(0, 0)).status == 200
        other = t.Signer.generate("witness.elsewhere.test")
        body, _ = t.split_note(log.checkpoint(4))
        with_cosignature = log.checkpoint(4) + other.cosign_line(body, 1_800_000_000)
        answer = service.add_checkpoint(log.body(0, 4, note=with_cosignature))
        assert answer.status == 200 and answer.body.decode().startswith("\u2014 witness.test/unit ")
