"""The seam between the log and a domain: what the sequencer asks of the rules it runs.

The log knows entries, leaves, trees and checkpoints; a domain knows which key may sign an
entry and what an entry changes. :class:`LogDomain` is all the sequencer and the chain call:
a state over the append's transaction (and a read-ahead of the rows a batch will need), an
overlay for entries that stand alone, the signer's key, the rules, the data of the next log's first entry, and a check that the stored log is
sound enough to grow. :mod:`ledger.store.charity_domain` implements it for the registry.

May import :mod:`ledger.protocol` (the entry type) and SQLAlchemy (the connection type) only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import Connection

from ledger.protocol.entry import SignedEntry


class DomainState(Protocol):
    """The domain's rows as seen by one append; its writes go out with the log's."""

    def pending_writes(self) -> list[Any]:
        """The changed rows as (SQL, parameters) writes, and forget them."""
        ...


class StandaloneState(Protocol):
    """Changes of one entry kept aside over the append's state (dropped if it is refused)."""

    def flush(self) -> Any:
        """Put the changes into the state below."""
        ...


class LogDomain(Protocol):
    """What the log needs from the domain plugged into it: keys, rules and their state."""

    def state(self, conn: Connection) -> DomainState:
        """The domain's state inside the transaction ``conn``."""
        ...

    def standalone(self, state: Any) -> StandaloneState:
        """An overlay over ``state`` for one entry that stands alone."""
        ...

    def prefetch(self, state: Any, entries: Sequence[SignedEntry], origin: str) -> None:
        """Read ahead, in a few queries, the rows the rules will ask for (a hint: a row not
        read ahead is read when asked for, and nothing is decided here)."""
        ...

    def signer_public_key(self, state: Any, entry: SignedEntry, position: int) -> bytes | None:
        """The public key that may sign ``entry`` at ``position`` in the chain, or None."""
        ...

    def apply(
        self, state: Any, entry: SignedEntry, *, position: int, leaf_hash: str, log_time: str, origin: str, seq: int
    ) -> None:
        """Run the rules on ``entry`` (raising :class:`~ledger.errors.LedgerError` to refuse it)."""
        ...

    def continuation_data(self, state: Any, previous: dict[str, Any], origin: str) -> dict[str, Any]:
        """The data of the first entry of the next log, which names the sealed ``previous``."""
        ...

    def refuse_unsound_log(self, conn: Connection) -> None:
        """Raise if the stored log holds something that makes it unfit to grow."""
        ...
