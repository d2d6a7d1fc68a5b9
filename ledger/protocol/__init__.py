"""The public protocol: what an outside verifier reimplements (DESIGN section 3, docs/protocol.md).

Canonical bytes (RFC 8785), the ASCII grammar, entries and leaves, the RFC 9162 Merkle tree and
its proofs, C2SP signed notes, checkpoints, cosignatures, tlog-tiles and the tlog-witness request
format, Ed25519 as strict as libsodium, and the offline verifier. Pure: it imports only the
standard library, ``cryptography`` and ``ledger.errors``; never the domain, storage, web or tasks.
"""
