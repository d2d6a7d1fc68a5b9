"""Tables of the log itself: the head, the leaves, the perfect Merkle subtrees, checkpoints."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, LargeBinary, SmallInteger, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


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


class LogLeaf(SQLModel, table=True):
    """One entry, exactly as hashed (``leaf``), with columns to find it by."""

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
    level: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


class SignedCheckpoint(SQLModel, table=True):
    """A checkpoint the log signed. One per size: a size is never signed with two roots."""

    __tablename__ = "log_checkpoint"
    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    root: str = Field(sa_column=Column(String(64), nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    signed_at: str = Field(sa_column=Column(String(24), nullable=False))


class Cosignature(SQLModel, table=True):
    """A witness cosignature line (C2SP tlog-cosignature) on a signed checkpoint."""

    __tablename__ = "log_cosignature"
    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    witness: str = Field(sa_column=Column(String(200), primary_key=True))
    line: str = Field(sa_column=Column(Text, nullable=False))
    timestamp: int = Field(sa_column=Column(BigInteger, nullable=False))
