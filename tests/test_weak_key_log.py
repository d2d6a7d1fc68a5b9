"""A log that already holds a weak key (granted before the strict Ed25519 rule, as the
reviewer of issue 12 found): `verify` and the monitor report it at the granting entry's seq,
and the server appends nothing more to it (docs/protocol.md, "Ed25519 strictness")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import ledger.domain.rules
import ledger.domain.schemas
from ledger.errors import LedgerError, VerificationError
from ledger.protocol import ed25519_strict
from ledger.protocol.entry import make_body, parse_submission
from ledger.protocol.keys import b64, key_id
from ledger.protocol.verify import read_export, verify_log
from ledger.services.monitor import ExportSource, Monitor
from ledger.store.export import export_log
from tests.support.ledger_factory import ORIGIN, REGISTRAR_ORG, LedgerFactory

IDENTITY = ed25519_strict.SMALL_ORDER_ENCODINGS[1]
FORGED = IDENTITY + bytes(32)  # R = identity, S = 0: no private key involved


def _lenient(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server as it was before the rule: any 32 bytes were a key, plain RFC 8032 verify."""
    for module in (ed25519_strict, ledger.domain.schemas, ledger.domain.rules):
        monkeypatch.setattr(module, "public_key_problem", lambda public: None)
    monkeypatch.setattr(ed25519_strict, "precheck", lambda public, signature: None)


def _verify(f: LedgerFactory, folder: Path) -> None:
    export_log(f.ledger.log, folder)
    leaves, note, vkey = read_export(folder)
    verify_log(leaves, note, vkey)


@pytest.fixture
def poisoned(any_factory: LedgerFactory, tmp_path: Path) -> Iterator[LedgerFactory]:
    """seq 1 grants the identity point as a registrar key; seq 2 is "signed" by it (SQLite and
    PostgreSQL)."""
    factory = any_factory
    factory.with_genesis()
    with pytest.MonkeyPatch.context() as mp:
        _lenient(mp)
        grant = factory.sign(
            factory.registrar,
            "key.granted",
            {
                "public_key": b64(IDENTITY),
                "role": "registrar",
                "org": REGISTRAR_ORG,
                "holder": "nobody",
            },
        )
        factory.ledger.log.append([grant])
        org = factory.org_entry(1)
        body = make_body(ORIGIN, "org.registered", key_id(IDENTITY), org.body["at"], "forged-1", org.data)
        factory.ledger.log.append([parse_submission({"body": body, "sig": b64(FORGED)})])
        _verify(factory, tmp_path / "before")  # the old verifier called this log valid
    factory.ledger.engine.dispose()
    factory._ledger = None  # the upgraded server: a new process
    yield factory


def test_verify_reports_the_weak_key_at_the_granting_seq(poisoned: LedgerFactory, tmp_path: Path) -> None:
    with pytest.raises(VerificationError) as info:
        _verify(poisoned, tmp_path / "after")
    assert info.value.seq == 1
    assert "small order" in str(info.value)


def test_the_monitor_reports_it_at_the_same_seq(poisoned: LedgerFactory, tmp_path: Path) -> None:
    export_log(poisoned.ledger.log, tmp_path / "export")
    report = Monitor(ExportSource(tmp_path / "export")).run_once()
    assert [(v.seq, v.type) for v in report.violations][:1] == [(1, "key.granted")]
    assert "small order" in report.violations[0].message


def test_the_server_appends_nothing_more(poisoned: LedgerFactory) -> None:
    log = poisoned.ledger.log
    size = log.head().size
    assert size == 3
    with pytest.raises(LedgerError) as info:
        log.append([poisoned.org_entry(2)])
    assert info.value.code == "log_holds_weak_key"
    assert info.value.params["seq"] == 1 and info.value.params["key_id"] == key_id(IDENTITY)
    assert log.head().size == size


def test_a_sound_log_still_appends(factory: LedgerFactory) -> None:
    factory.with_genesis()
    assert factory.append_orgs(2)[-1].seq == 2
