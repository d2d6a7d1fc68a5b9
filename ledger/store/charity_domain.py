"""The charity's rules plugged into the log: :class:`CharityDomain` is the log's
:class:`~ledger.store.log.plugin.LogDomain`.

The domain-agnostic log (:mod:`ledger.store.log`) asks through it which key may sign an
entry, runs the rules of :mod:`ledger.domain` on the projections (:class:`SqlState` inside
the append's transaction, an :class:`~ledger.domain.state.Overlay` for entries that stand
alone), and refuses to grow a log that holds an unusable key. May import :mod:`ledger.domain`,
:mod:`ledger.protocol`, :mod:`ledger.errors` and the projections' storage
(:mod:`ledger.store.sql_state`, :mod:`ledger.store.projection_tables`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from ledger.domain.codes import LOG_HOLDS_WEAK_KEY
from ledger.domain.rows import KeyRow, RegistryRow
from ledger.domain.state import Overlay
from ledger.errors import LedgerError
from ledger.protocol import ed25519_strict
from ledger.protocol.entry import SignedEntry
from ledger.protocol.keys import unb64
from ledger.store.projection_tables import table_for
from ledger.store.sql_state import SqlState


class CharityDomain:
    """The registry's rules (a module or object like :mod:`ledger.domain`: ``signer_public_key``,
    ``apply``, ``AppendContext``, ``continuation_data``) as the log's domain."""

    def __init__(self, rules: Any) -> None:
        self.rules = rules
        self._keys_checked = False  # no weak key in the log (see refuse_unsound_log)

    def state(self, conn: Connection) -> SqlState:
        return SqlState(conn)

    def standalone(self, state: Any) -> Overlay:
        return Overlay(state)

    def prefetch(self, state: Any, entries: Sequence[SignedEntry], origin: str) -> None:
        read_ahead = getattr(self.rules, "prefetch", None)  # rules without it (a test's, a benchmark's) read as they go
        if read_ahead is not None:
            read_ahead(state, entries, origin)

    def signer_public_key(self, state: Any, entry: SignedEntry, position: int) -> bytes | None:
        key: bytes | None = self.rules.signer_public_key(state, entry, position)
        return key

    def apply(
        self, state: Any, entry: SignedEntry, *, position: int, leaf_hash: str, log_time: str, origin: str, seq: int
    ) -> None:
        self.rules.apply(state, self.rules.AppendContext(position, leaf_hash, log_time, origin, seq), entry)

    def continuation_data(self, state: Any, previous: dict[str, Any], origin: str) -> dict[str, Any]:
        data: dict[str, Any] = self.rules.continuation_data(state, previous, origin)
        return data

    def refuse_unsound_log(self, conn: Connection) -> None:
        """Refuse to append to a log that already holds a key of small order, non-canonical or
        off the curve (put there before the strict rule, ledger.protocol.ed25519_strict): strict
        verifiers call such a log invalid from that entry on, so it must not grow as if it
        were sound (docs/protocol.md). No such key can enter any more, so a clean scan of the
        keys is remembered for the life of the process."""
        if self._keys_checked:
            return
        found = _weak_keys(conn)
        if found:
            seq, bad_id, problem = min(found)
            raise LedgerError(LOG_HOLDS_WEAK_KEY, seq=seq, key_id=bad_id, problem=problem)
        self._keys_checked = True


def _weak_keys(conn: Connection) -> list[tuple[int, str, str]]:
    """(seq that put it there, key id, problem) of every unusable key in the projections."""
    keys, registry = table_for(KeyRow), table_for(RegistryRow)
    found: list[tuple[int, str, str]] = []
    for key_id_, public, granted_seq in conn.execute(select(keys.c.key_id, keys.c.public_key, keys.c.granted_seq)):
        problem = _key_problem(public)
        if problem is not None:
            found.append((granted_seq, key_id_, problem))
    for log_key, log_key_id, from_size in conn.execute(
        select(registry.c.log_key, registry.c.log_key_id, registry.c.log_key_from_size)
    ):
        problem = _key_problem(log_key) if log_key is not None else None
        if problem is not None:
            found.append((max((from_size or 1) - 1, 0), log_key_id or "?", problem))
    return found


def _key_problem(public: str) -> str | None:
    """Why a stored base64 public key is not usable (ledger.protocol.ed25519_strict), or None."""
    try:
        return ed25519_strict.public_key_problem(unb64(public, length=32, what="public_key"))
    except LedgerError as exc:
        return exc.message_en
