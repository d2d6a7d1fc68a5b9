"""Our witness (``charity-ledger witness serve``) driven over HTTP by a log written from the C2SP
tlog-witness text alone (tests/interop/spec_log.py), for a log that is not ours: status codes,
content types, bodies, the cosignature checked by the spec-only code, and the state never moved
by a refusal. The split view is refused by ours and by the spec-only witness alike."""

from __future__ import annotations

import base64
import hashlib
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.cli.commands import main
from tests.interop import spec_tlog as t
from tests.interop.spec_log import SpecLog, post
from tests.interop.witness_fixtures import Running, our_witness, spec_only_witness


@pytest.fixture
def log() -> SpecLog:
    return SpecLog(t.Signer.generate("log.elsewhere.test/2026"))


@pytest.fixture
def ours(tmp_path: Path, log: SpecLog) -> Iterator[tuple[Running, Path]]:
    with our_witness(tmp_path / "w", [log.signer.vkey()]) as (running, _):
        yield running, tmp_path / "w" / "logs" / (hashlib.sha256(log.origin.encode()).hexdigest() + ".json")


def _cosigned_by(running: Running, note_body: str, response: bytes) -> int:
    name, alg, public = t.parse_vkey(running.vkey)
    assert alg == t.ALG_COSIGNATURE_V1
    text = response.decode()
    assert text.endswith("\n") and text.startswith(t.DASH)
    _, sigs = t.split_note(note_body + "\n" + text)
    [(sig_name, kid, sig)] = sigs
    assert (sig_name, kid) == (name, t.key_id(name, alg, public))
    timestamp = t.verify_cosignature(note_body, name, public, sig)
    assert timestamp is not None and timestamp > 0
    return timestamp


def test_our_witness_cosigns_a_log_that_is_not_ours(ours: tuple[Running, Path], log: SpecLog) -> None:
    running, state = ours
    log.grow(5)
    first = post(running.url, log.body(0, 5))
    assert first.status == 200, first.body
    _cosigned_by(running, t.checkpoint_body(log.origin, 5, log.root(5)), first.body)
    assert state.is_file()  # written before the answer

    log.grow(7)
    second = post(running.url, log.body(5, 12))
    assert second.status == 200, second.body
    _cosigned_by(running, t.checkpoint_body(log.origin, 12, log.root(12)), second.body)

    # a client that does not know the witness's state sends old 0 and reads the 409
    stale = post(running.url, log.body(0, 12))
    assert (stale.status, stale.content_type, stale.body) == (409, "text/x.tlog.size", b"12\n")
    # the same checkpoint again from the right size: cosigned again (idempotent)
    assert post(running.url, log.body(12, 12)).status == 200

    # the latest cosigned checkpoint, for monitors: GET <origin hash>/checkpoint
    with urllib.request.urlopen(f"{running.url}/{hashlib.sha256(log.origin.encode()).hexdigest()}/checkpoint") as r:
        served = r.read().decode()
    assert served.startswith(t.checkpoint_body(log.origin, 12, log.root(12)))
    assert served.count(t.DASH) == 2  # the log's signature and the witness's cosignature


def test_refusals_have_the_spec_statuses_and_write_nothing(ours: tuple[Running, Path], log: SpecLog) -> None:
    running, state = ours
    log.grow(9)
    assert post(running.url, log.body(0, 6)).status == 200
    before = state.read_bytes()

    other_log = SpecLog(t.Signer.generate("log.unknown.test"), list(log.leaves))
    impostor = SpecLog(t.Signer.generate(log.origin), list(log.leaves))  # right name, unknown key
    note = log.checkpoint(9)
    body, sigs = t.split_note(note)
    name, kid, _sig = sigs[0]
    forged = body + "\n" + f"{t.DASH}{name} {base64.b64encode(kid + bytes(64)).decode()}\n"
    cases = {
        "unknown origin": (other_log.body(6, 9), 404),
        "no trusted signature": (impostor.body(6, 9), 403),
        "trusted key, bad signature": (log.body(6, 9, note=forged), 403),
        "old above size": (log.body(9, 6, proof=[]), 400),
        "no empty line": (b"old 6\n" + note.encode().replace(b"\n\n", b"\n"), 400),
        "leading zero": (log.body(6, 9).replace(b"old 6", b"old 06"), 400),
        "not base64": (log.body(6, 9).replace(b"\n", b"\n!!!!\n", 1), 400),
        "bad proof": (log.body(6, 9, proof=[hashlib.sha256(b"x").digest()] * 3), 422),
        "stale size": (log.body(5, 9), 409),
    }
    for what, (request, status) in cases.items():
        answer = post(running.url, request)
        assert answer.status == status, (what, answer.body)
        assert state.read_bytes() == before, what
    assert post(running.url, log.body(5, 9)).body == b"6\n"


def test_split_view_is_refused_by_both_witnesses(tmp_path: Path, log: SpecLog) -> None:
    """Two different roots for one size: a witness that cosigned one refuses the other (422),
    and a fork from the cosigned size does not prove consistent (422); nothing is written."""
    log.grow(12)
    fork = SpecLog(log.signer, log.leaves[:8] + t.random_leaves(4))  # the same key signs another history
    with (
        our_witness(tmp_path / "ours", [log.signer.vkey()]) as (a, _),
        spec_only_witness(tmp_path / "spec.json", [log.signer.vkey()]) as (b, spec),
    ):
        for running in (a, b):
            assert post(running.url, log.body(0, 12)).status == 200
        ours_state = next((tmp_path / "ours" / "logs").iterdir()).read_bytes()
        spec_state = (tmp_path / "spec.json").read_bytes()
        for running in (a, b):
            same_size = post(running.url, fork.body(12, 12))
            assert same_size.status == 422, same_size.body
            fork.grow(3)
            grown = post(running.url, fork.body(12, len(fork.leaves)))
            assert grown.status == 422, grown.body
        assert next((tmp_path / "ours" / "logs").iterdir()).read_bytes() == ours_state
        assert (tmp_path / "spec.json").read_bytes() == spec_state
        assert [s for s, _ in spec.requests] == [200, 422, 422]
    # our witness kept the refused bodies as evidence
    assert len(list((tmp_path / "ours" / "refused").glob("*.json"))) == 2


def test_witness_serve_needs_a_log_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "w.key"
    assert main(["witness", "keygen", "--out", str(key)]) == 0
    assert main(["witness", "serve", "--key", str(key), "--state", str(tmp_path / "s")]) == 2
    assert "--log-vkey" in capsys.readouterr().err
    log_key = t.Signer.generate("log.test").vkey()
    serve = ["witness", "serve", "--key", str(key), "--state", str(tmp_path / "s"), "--log-vkey"]
    assert main([*serve, log_key, "--name", "a b"]) == 2
    assert main([*serve, "not-a-key+zz+AAAA"]) == 2
    assert "note_key_invalid" in capsys.readouterr().err
