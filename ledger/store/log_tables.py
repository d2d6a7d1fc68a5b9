"""Tables of the log itself: the head, the leaves, the perfect Merkle subtrees, checkpoints,
and the sealed shards.

The registry's history is a chain of logs (shards, one per year or as the operator rolls
them over). One database holds them all: the head row is the shard being appended to;
each sealed shard has a ``log_shard`` row. Leaves are stored by their *position* in the
whole chain (``seq`` column: the shard's base plus the entry's seq in its own log), so the
projections can order entries across shards; Merkle nodes, checkpoints and cosignatures
belong to one shard's tree and carry its index."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, LargeBinary, SmallInteger, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.store.db import table_of


class LogHead(SQLModel, table=True):
    """One row: the current tree. Appends lock it (PostgreSQL) — the single sequencer."""

    __tablename__ = "log_head"
    id: int = Field(default=1, primary_key=True)
    origin: str = Field(sa_column=Column(String(200), nullable=False))
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_leaf_hash: str = Field(sa_column=Column(String(64), nullable=False))
    last_time: str = Field(sa_column=Column(String(24), nullable=False))
    root: str = Field(sa_column=Column(String(64), nullable=False))
    # the compact range of the tree: hashes of the perfect subtrees of [0, size), largest first
    edge: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # id of the key that signs checkpoints now (it changes with log.key_rotated)
    log_key_id: str = Field(sa_column=Column(String(64), nullable=False))
    # the shard being appended to (0 for the first log) and its first position in the chain
    shard: int = Field(default=0, sa_column=Column(SmallInteger, nullable=False, server_default="0"))
    base: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))


class LogShard(SQLModel, table=True):
    """A sealed shard: its last entry is ``log.sealed`` and nothing more is appended to it."""

    __tablename__ = "log_shard"
    shard: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    origin: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    base: int = Field(sa_column=Column(BigInteger, nullable=False))
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    root: str = Field(sa_column=Column(String(64), nullable=False))
    last_leaf_hash: str = Field(sa_column=Column(String(64), nullable=False))
    # the final checkpoint (signed note) and the key that signed it
    checkpoint: str = Field(sa_column=Column(Text, nullable=False))
    log_key_id: str = Field(sa_column=Column(String(64), nullable=False))
    next_origin: str = Field(sa_column=Column(String(200), nullable=False))
    sealed_at: str = Field(sa_column=Column(String(24), nullable=False))


class LogLeaf(SQLModel, table=True):
    """One entry, exactly as hashed (``leaf``), with columns to find it by. ``seq`` is the
    entry's position in the chain of shards (equal to its seq in the first shard)."""

    __tablename__ = "log_leaf"
    __table_args__ = (
        UniqueConstraint("signer", "idem", name="uq_log_leaf_signer_idem"),
        Index("ix_log_leaf_type_seq", "type", "seq"),
        Index("ix_log_leaf_signer_seq", "signer", "seq"),
    )
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    leaf_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    signer: str = Field(sa_column=Column(String(64), nullable=False))
    idem: str = Field(sa_column=Column(String(128), nullable=False))
    body_hash: str = Field(sa_column=Column(String(64), nullable=False))
    type: str = Field(sa_column=Column(String(64), nullable=False))
    time: str = Field(sa_column=Column(String(24), nullable=False))
    leaf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class MerkleNode(SQLModel, table=True):
    """A perfect subtree (level, index): written once when its last leaf arrives."""

    __tablename__ = "merkle_node"
    shard: int = Field(
        default=0, sa_column=Column(SmallInteger, primary_key=True, autoincrement=False, server_default="0")
    )
    level: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


class SignedCheckpoint(SQLModel, table=True):
    """A checkpoint the log signed. One per size: a size is never signed with two roots."""

    __tablename__ = "log_checkpoint"
    shard: int = Field(
        default=0, sa_column=Column(SmallInteger, primary_key=True, autoincrement=False, server_default="0")
    )
    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    root: str = Field(sa_column=Column(String(64), nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    signed_at: str = Field(sa_column=Column(String(24), nullable=False))


class Cosignature(SQLModel, table=True):
    """A witness cosignature line (C2SP tlog-cosignature) on a signed checkpoint."""

    __tablename__ = "log_cosignature"
    shard: int = Field(
        default=0, sa_column=Column(SmallInteger, primary_key=True, autoincrement=False, server_default="0")
    )
    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    witness: str = Field(sa_column=Column(String(200), primary_key=True))
    line: str = Field(sa_column=Column(Text, nullable=False))
    timestamp: int = Field(sa_column=Column(BigInteger, nullable=False))


class WitnessPush(SQLModel, table=True):
    """What the log knows of one witness it pushes checkpoints to (C2SP tlog-witness): the
    largest size of its current log the witness cosigned, and the last error, for operators."""

    __tablename__ = "log_witness_push"
    witness: str = Field(sa_column=Column(String(200), primary_key=True))
    url: str = Field(sa_column=Column(Text, nullable=False))
    origin: str = Field(sa_column=Column(String(200), nullable=False))  # the log the size belongs to
    size: int = Field(sa_column=Column(BigInteger, nullable=False))  # 0: none cosigned yet
    cosigned_at: int = Field(sa_column=Column(BigInteger, nullable=False))  # its cosignature's time, 0 if none
    attempted_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    error_code: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    error_status: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    error_detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    failures: int = Field(sa_column=Column(BigInteger, nullable=False))  # in a row; 0 after a success


# the tables as SQLAlchemy Core handles, by one short name each (re-exported by ledger.store.tables)
LEAF = table_of(LogLeaf)
HEAD = table_of(LogHead)
NODE = table_of(MerkleNode)
CHECKPOINT = table_of(SignedCheckpoint)
COSIG = table_of(Cosignature)
SHARD = table_of(LogShard)
WITNESS_PUSH = table_of(WitnessPush)
