"""Checkpoints our log had cosigned by two witnesses (ours, ``witness serve``, and one written from
the C2SP text alone), opened by Go's golang.org/x/mod/sumdb/note (as Debian packages it) with a
cosignature/v1 verifier written in Go from the tlog-cosignature text: every signature verifies,
and one flipped bit in a cosignature makes note.Open refuse the note."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

from litestar.testing import TestClient

from api.config import ApiSettings
from ledger.cli.app import create_app
from ledger.protocol.note import parse_note
from ledger.services.witness_push import WitnessPusher, witness_targets
from ledger.store.export import log_vkey
from tests.api.world import build_world
from tests.interop.test_go_tlog_tiles import GOPATH, _go
from tests.interop.witness_fixtures import our_witness, spec_only_witness
from tests.support.ledger_factory import LedgerFactory

PROGRAM = Path(__file__).with_name("note_cosignature_check.go")


def _open(go: str, note: str, vkeys: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    path = tmp / "checkpoint.note"
    path.write_text(note, encoding="utf-8")
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": str(GOPATH), "GOCACHE": str(tmp / "gocache"), "GOFLAGS": ""}
    return subprocess.run(
        [go, "run", str(PROGRAM), str(path), *vkeys], capture_output=True, text=True, env=env, timeout=300
    )


def test_go_note_opens_our_cosigned_checkpoints(tmp_path: Path) -> None:
    go = _go()
    ledger = build_world(LedgerFactory(tmp_path / "home")).factory.ledger
    vkey = log_vkey(ledger.log)
    with (
        our_witness(tmp_path / "ours", [vkey]) as (ours, _),
        spec_only_witness(tmp_path / "spec.json", [vkey]) as (spec, _),
    ):
        targets = witness_targets([(ours.vkey, ours.url), (spec.vkey, spec.url)])
        for target in targets:
            assert WitnessPusher(ledger.log, target).push_once().status == "cosigned"
    with TestClient(create_app(ledger, api_settings=ApiSettings())) as client:
        note = client.get("/api/v1/log/checkpoint").text
    done = _open(go, note, [vkey, ours.vkey, spec.vkey], tmp_path)
    assert done.returncode == 0, done.stderr
    opened = json.loads(done.stdout)
    assert opened["text"] == parse_note(note).text
    assert sorted(opened["verified"]) == sorted([ledger.log.origin, "witness.test/ours", "witness.test/spec"])
    assert opened["unverified"] == 0

    # one flipped bit in our witness's cosignature: Go refuses the whole note
    lines = note.split("\n")
    i = next(n for n, line in enumerate(lines) if line.startswith("\u2014 witness.test/ours "))
    prefix, b64 = lines[i].rsplit(" ", 1)
    raw = bytearray(base64.b64decode(b64))
    raw[-1] ^= 1
    lines[i] = f"{prefix} {base64.b64encode(bytes(raw)).decode()}"
    refused = _open(go, "\n".join(lines), [vkey, ours.vkey, spec.vkey], tmp_path)
    assert refused.returncode == 1 and "invalid signature for key witness.test/ours" in refused.stderr
