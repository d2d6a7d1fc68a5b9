"""Signatures checked before the write lock, so the lock covers only cheap work.

A key id is the SHA-256 of its public key, so a public key found for a signer — in the
domain's state now, or named by an entry of the batch that grants it — is the only key that
id can ever stand for. Under the lock the sequencer asks the domain again which key (if any)
may sign; when it is the one checked here, the result is reused. Large batches are verified
by a process pool while the rules run under the lock. May import :mod:`ledger.protocol`,
:mod:`ledger.errors` and :mod:`ledger.store.db`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from ledger.errors import LedgerError
from ledger.protocol.entry import SignedEntry
from ledger.protocol.keys import KeyPair, key_id, unb64
from ledger.protocol.sigcheck import Pending
from ledger.protocol.sigcheck import start as start_verify
from ledger.store.db import read_transaction
from ledger.store.log.plugin import LogDomain

# a position later than any key's grant: "which key does this id stand for", asked before the
# lock (the rules ask again under the lock with the entry's real position)
_AFTER_EVERY_GRANT = 2**62


@dataclass(slots=True)
class SignatureChecks:
    """Signatures checked (or being checked) against the key each signer id must stand for."""

    keys: list[bytes | None]  # per position: the key checked against, None when unknown then
    positions: list[int]  # positions with a key, in the order of pending's results
    pending: Pending

    def verdicts(self) -> dict[int, bool]:
        """Position -> signature valid, for the positions checked (waits for the pool)."""
        return dict(zip(self.positions, self.pending.result(), strict=True))

    def first_bad(self, entries: Sequence[SignedEntry], upto: int) -> LedgerError | None:
        """The bad_signature error of the first entry at or before ``upto`` that fails."""
        if not self.positions or self.positions[0] > upto:
            return None
        for position, ok in zip(self.positions, self.pending.result(), strict=True):
            if position > upto:
                break
            if not ok:
                err = LedgerError("bad_signature", signer=entries[position].signer)
                err.params["position"] = position
                return err
        return None


def signed_now(key: KeyPair) -> SignatureChecks:
    """The signature check of an entry the log signed itself, just now."""
    return SignatureChecks([key.public], [0], Pending(done=[True]))


def start_checks(
    engine: Engine, domain: LogDomain, cache: dict[str, bytes], entries: Sequence[SignedEntry]
) -> SignatureChecks:
    """Start verifying ``entries`` against the keys their signer ids stand for. ``cache``
    (key id -> public key) is filled as keys are found; it never goes stale."""
    pubs: dict[str, bytes] = {}
    for e in entries:
        raw = _named_public_key(e)
        if raw is not None:
            pubs.setdefault(key_id(raw), raw)
    for signer in {e.signer for e in entries} - pubs.keys():
        cached = cache.get(signer)
        if cached is not None:
            pubs[signer] = cached
    missing = {e.signer for e in entries} - pubs.keys()
    if missing:
        with read_transaction(engine) as conn:
            state = domain.state(conn)
            for e in entries:
                if e.signer in missing and e.signer not in pubs:
                    raw = domain.signer_public_key(state, e, _AFTER_EVERY_GRANT)
                    if raw is not None and key_id(raw) == e.signer:
                        pubs[e.signer] = cache[e.signer] = raw
    keys = [pubs.get(e.signer) for e in entries]
    positions = [i for i, raw in enumerate(keys) if raw is not None]
    pending = start_verify([(keys[i], entries[i].sig, entries[i].signing_message()) for i in positions])  # type: ignore[misc]
    return SignatureChecks(keys, positions, pending)


def _named_public_key(entry: SignedEntry) -> bytes | None:
    """The raw public key an entry names in ``data.public_key`` (genesis, key grants), if valid."""
    value = entry.data.get("public_key")
    if not isinstance(value, str):
        return None
    try:
        return unb64(value, length=32, what="data.public_key")
    except LedgerError:
        return None
