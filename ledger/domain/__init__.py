"""The charity domain on the log: entry schemas, append rules, projections, privacy, tracing.

Pure code: the standard library, ``cryptography`` and ``ledger.*`` only. Storage calls
:func:`apply` inside its append transaction with a :class:`State` of its own.
"""

from ledger.domain.prefetch import prefetch
from ledger.domain.rows import ROW_TYPES
from ledger.domain.rules import AppendContext, apply, continuation_data, signer_public_key
from ledger.domain.schemas import validate
from ledger.domain.state import MemoryState, Overlay, State

__all__ = [
    "ROW_TYPES",
    "AppendContext",
    "MemoryState",
    "Overlay",
    "State",
    "apply",
    "continuation_data",
    "prefetch",
    "signer_public_key",
    "validate",
]
