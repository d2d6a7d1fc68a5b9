"""The log runs any domain plugged in behind ``LogDomain``: here one that knows a single signer
and keeps no rows. The sequencer appends, signs checkpoints, answers retries and refuses a
batch whole with no charity rule in sight (tessera's appender/driver split)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection

from ledger.errors import LedgerError
from ledger.protocol import merkle
from ledger.protocol.canonical import now
from ledger.protocol.checkpoint import verify_checkpoint
from ledger.protocol.entry import SignedEntry, make_body, sign_entry
from ledger.protocol.keys import KeyPair
from ledger.protocol.note import NoteSigner
from ledger.store.log.reader import LogReader
from ledger.store.log.sequencer import Sequencer
from tests.support.ledger_factory import LedgerFactory

WRITER = KeyPair.from_seed(b"the one writer")


class _NoRows:
    def pending_writes(self) -> list[Any]:
        return []

    def flush(self) -> list[Any]:
        return []


class OneWriter:
    """A domain of one signer: it refuses entries whose data says so, and remembers positions."""

    def __init__(self) -> None:
        self.applied: list[int] = []

    def state(self, conn: Connection) -> _NoRows:
        return _NoRows()

    def standalone(self, state: Any) -> _NoRows:
        return _NoRows()

    def prefetch(self, state: Any, entries: Any, origin: str) -> None:
        return None

    def signer_public_key(self, state: Any, entry: SignedEntry, position: int) -> bytes | None:
        return WRITER.public if entry.signer == WRITER.id else None

    def apply(
        self, state: Any, entry: SignedEntry, *, position: int, leaf_hash: str, log_time: str, origin: str, seq: int
    ) -> None:
        if entry.data.get("refuse"):
            raise LedgerError("body_invalid", detail="refused by the one-writer domain")
        self.applied.append(position)

    def continuation_data(self, state: Any, previous: dict[str, Any], origin: str) -> dict[str, Any]:
        return {"previous": previous}

    def refuse_unsound_log(self, conn: Connection) -> None:
        return None


@pytest.fixture
def plugged(tmp_path: Path) -> tuple[Sequencer, LogReader, OneWriter, KeyPair]:
    factory = LedgerFactory(tmp_path / "home")
    ledger = factory.ledger  # a migrated, empty log
    reader = LogReader(ledger.engine)
    domain = OneWriter()
    sequencer = Sequencer(ledger.engine, reader, origin=ledger.log.origin, log_key=ledger.log_key, domain=domain)
    return sequencer, reader, domain, ledger.log_key


def entry(origin: str, n: int, **data: Any) -> SignedEntry:
    return sign_entry(WRITER, make_body(origin, "note.written", WRITER.id, now(), f"n-{n}", {"n": n, **data}))


def test_a_domain_of_one_writer_appends_with_proofs_and_signed_checkpoints(plugged) -> None:  # type: ignore[no-untyped-def]
    sequencer, reader, domain, log_key = plugged
    entries = [entry(sequencer.origin, n) for n in range(3)]
    results = sequencer.append(entries)
    assert [r.seq for r in results] == [0, 1, 2] and domain.applied == [0, 1, 2]
    checkpoint = verify_checkpoint(results[-1].checkpoint, NoteSigner(sequencer.origin, log_key).verifier)
    assert checkpoint.size == 3 and checkpoint.root == reader.root_at(3)
    for r in results:
        merkle.verify_inclusion(
            merkle.leaf_hash(reader.leaf(r.seq)), r.seq, 3, [bytes.fromhex(h) for h in r.proof], checkpoint.root
        )
    again = sequencer.append([entries[1]])[0]  # a retry: the stored entry, nothing new
    assert again.existing and again.leaf_hash == results[1].leaf_hash and reader.head().size == 3


def test_a_refusal_by_the_domain_writes_nothing_of_the_batch(plugged) -> None:  # type: ignore[no-untyped-def]
    sequencer, reader, _domain, _key = plugged
    sequencer.append([entry(sequencer.origin, 0)])
    before = reader.head()
    with pytest.raises(LedgerError) as err:
        sequencer.append([entry(sequencer.origin, 1), entry(sequencer.origin, 2, refuse=True)])
    assert err.value.code == "batch_entry_refused" and err.value.params["position"] == 1
    assert reader.head() == before and reader.checkpoint_sizes() == [1, 0]
    stranger = KeyPair.from_seed(b"a stranger")
    alien = sign_entry(stranger, make_body(sequencer.origin, "note.written", stranger.id, now(), "s-1", {}))
    with pytest.raises(LedgerError) as err:
        sequencer.append([alien])
    assert err.value.code == "unknown_signer" and reader.head() == before
