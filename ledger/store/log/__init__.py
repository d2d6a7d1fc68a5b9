"""The transparency log on SQL, knowing nothing of the charity domain.

It is split as Tessera splits its appender from its storage: :mod:`.sequencer` appends
(lock, idempotency, signatures, clock, checkpoint signing), :mod:`.reader` answers reads
(head, leaves, proofs, checkpoints, the chain's shards), :mod:`.chain` seals a log and opens
the next one and rotates the checkpoint key, :mod:`.cosignatures` keeps witnesses'
cosignatures. The rules an entry must pass, and the projections they write, come in through
the :class:`~.plugin.LogDomain` interface (:mod:`ledger.store.charity_domain` plugs in the
charity's); :class:`ledger.store.log_store.LogStore` is the facade callers use.

May import: :mod:`ledger.protocol`, :mod:`ledger.errors`, SQLAlchemy and the generic storage
helpers :mod:`ledger.store.db`, :mod:`ledger.store.fastsql` and :mod:`ledger.store.log_tables`.
Never :mod:`ledger.domain`, :mod:`ledger.compliance`, the projections or the facade (an
import-linter contract in ``pyproject.toml`` holds it to that).
"""
