"""The charity domain on the log: entry schemas, append rules, projections, privacy, tracing.

Pure code: the standard library, ``cryptography`` and ``ledger.*`` only. Storage calls
:func:`apply` inside its append transaction with a :class:`State` of its own.
"""

from .rows import ROW_TYPES
from .rules import AppendContext, apply, continuation_data, signer_public_key
from .schemas import validate
from .state import MemoryState, Overlay, State

__all__ = [
    "ROW_TYPES",
    "AppendContext",
    "MemoryState",
    "Overlay",
    "State",
    "apply",
    "continuation_data",
    "signer_public_key",
    "validate",
]
