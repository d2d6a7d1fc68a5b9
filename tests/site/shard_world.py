"""A registry whose history spans two logs (shards), for the site's pages across a roll-over.

- log 0, ``ledger.test.example/charity`` (2026): the usual cast (tests.domain.helpers.World),
  two donations to PUB (one with a receipt code), an allocation and a payment; a witness
  cosigns a checkpoint in the middle of it; then ``roll_over(year=2027)`` seals it (its last
  entry is ``log.sealed``) and the witness cosigns its final checkpoint;
- log 1, ``ledger.test.example/charity/2027``: its genesis names log 0's final checkpoint;
  two donations to DIR (one with a receipt code), a witness cosignature, then a log key rotation
  (so the witnessed checkpoint carries the old key's signature) and one more donation.

Chain positions (the site's ``/ledger/{seq}``) run through both logs; each log's seqs, trees
and checkpoints are its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ledger.domain.privacy import donor_commitment, format_receipt_code
from ledger.protocol.checkpoint import cosign, format_witness_key
from ledger.protocol.keys import KeyPair
from ledger.protocol.note import parse_note
from ledger.store.donors import DonorStore, load_privacy_key
from ledger.store.runtime import roll_over, rotate_log_key
from tests.domain import helpers as H
from tests.support.store_world import StoreWorld

WITNESS_NAME = "witness.example/w1"
NEXT_ORIGIN = H.ORIGIN + "/2027"


@dataclass
class ShardedWorld:
    world: StoreWorld
    witness_key: str
    sealed_size: int  # log 0's final size (= position of log 1's genesis)
    receipts: dict[str, str] = field(default_factory=dict)  # "old" / "new" -> receipt code
    ids: dict[str, str] = field(default_factory=dict)  # name -> leaf hash
    witnessed: dict[int, int] = field(default_factory=dict)  # shard -> latest size a witness cosigned

    @property
    def ledger(self):  # type: ignore[no-untyped-def]
        return self.world.ledger

    def position(self, name: str) -> int:
        return self.ledger.log.position_of(self.ids[name])


def build_sharded_world(home: Path, database_url: str | None = None) -> ShardedWorld:
    w = StoreWorld(home, database_url, name_log_key=True)
    store = w.ledger.log
    pub = w.PUB
    ids: dict[str, str] = {}
    receipts: dict[str, str] = {}
    witnessed: dict[int, int] = {}
    witness = KeyPair.from_seed(b"site-shard-witness")
    donors = DonorStore(w.ledger.engine, load_privacy_key(w.ledger.settings))

    def donate(name: str, amount: str, received_on: str, *, receipt: bool = False, project: str = pub) -> None:
        over: dict[str, object] = {"received_on": received_on}
        salt = os.urandom(16)
        personal = {"name": f"捐赠人{name}", "phone": "13800000000"}
        if receipt:
            over["commitment"] = donor_commitment(personal, salt)
        ids[name] = w.append(w.fundraiser, "donation.received", H.donation_data(project, amount, **over))
        if receipt:
            position = store.position_of(ids[name])
            donors.store(position, personal, salt)
            receipts[name] = format_receipt_code(position, salt)

    def witness_now(shard: int) -> None:
        size = store.head().size
        text = parse_note(store.checkpoint_at(size, shard)).text
        line = cosign(text, witness, WITNESS_NAME, 1_790_000_000 + size)
        store.add_cosignature(size, WITNESS_NAME, line.rstrip("\n"), 1_790_000_000 + size, shard=shard)
        witnessed[shard] = size

    # --- log 0 (2026) ---
    w.set_date("2026-03-21")
    donate("old", "1234.50", "2026-03-21", receipt=True)
    donate("old2", "500.00", "2026-03-21")
    w.set_date("2026-04-02")
    ids["alloc"] = w.append(
        w.fundraiser, "funds.allocated", H.allocation_data(pub, "1000.00", allocated_on="2026-04-02")
    )
    w.set_date("2026-04-20")
    ids["pay"] = w.append(w.implementer, "funds.disbursed", H.disbursement_data(pub, "600.00", paid_on="2026-04-20"))
    witness_now(0)  # a checkpoint in the middle of log 0 (the proofs use its final one)
    w.set_date("2026-12-31")
    ids["old3"] = w.append(w.fundraiser, "donation.received", H.donation_data(pub, "66.00", received_on="2026-12-31"))

    # --- the roll-over: log 0 sealed, log 1 opened ---
    w.set_date("2027-01-01")
    result = roll_over(w.ledger, year=2027)
    assert result["origin"] == NEXT_ORIGIN
    sealed = store.shard(0)
    assert sealed is not None and sealed.sealed
    ids["sealed"] = _leaf_hash(store, sealed.base + sealed.size - 1)  # log.sealed, the last entry of log 0
    ids["genesis1"] = str(result["genesis"])
    # the witness cosigns log 0's final checkpoint
    text = parse_note(sealed.checkpoint or "").text
    line = cosign(text, witness, WITNESS_NAME, 1_790_100_000)
    store.add_cosignature(sealed.size, WITNESS_NAME, line.rstrip("\n"), 1_790_100_000, shard=0)
    witnessed[0] = sealed.size

    # --- log 1 (2027) ---
    w.set_date("2027-01-05")
    donate("new", "2027.00", "2027-01-05", receipt=True, project=w.DIR)  # PUB's fundraising ended in 2026
    donate("new2", "300.00", "2027-01-05", project=w.DIR)
    witness_now(1)
    # the log key changes: checkpoints from here on carry the new key's signature, the
    # witnessed one above the old key's
    rotate_log_key(w.ledger)
    w.set_date("2027-01-06")
    donate("late", "88.00", "2027-01-06", project=w.DIR)

    return ShardedWorld(
        world=w,
        witness_key=format_witness_key(WITNESS_NAME, witness.public),
        sealed_size=sealed.size,
        receipts=receipts,
        ids=ids,
        witnessed=witnessed,
    )


def _leaf_hash(store, position: int) -> str:  # type: ignore[no-untyped-def]
    from ledger.protocol import merkle

    return merkle.leaf_hash(store.leaf(position)).hex()
