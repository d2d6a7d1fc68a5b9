"""log shards: the chain of logs in one database

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27

Adds the ``log_shard`` table (one row per sealed shard), the active shard's index and base
on ``log_head``, a ``shard`` column in the primary keys of the Merkle nodes, checkpoints and
cosignatures (every existing row belongs to shard 0), and the chain's links on
``p_registry``. Existing logs are shard 0 with base 0: no leaf or projection changes.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_SHARDED = {
    # table: (old primary key, new primary key)
    "merkle_node": (["level", "idx"], ["shard", "level", "idx"]),
    "log_checkpoint": (["size"], ["shard", "size"]),
    "log_cosignature": (["size", "witness"], ["shard", "size", "witness"]),
}


def _primary_key_name(table: str) -> str:
    if op.get_bind().dialect.name == "sqlite":
        return f"{table}_pkey"  # the name _shape gives it (SQLite keeps none)
    return sa.inspect(op.get_bind()).get_pk_constraint(table).get("name") or f"{table}_pkey"


def _shape(table: str, *, sharded: bool) -> sa.Table:
    """The table as it is before (``sharded=False``) or after this migration, for SQLite,
    which cannot change a primary key in place: the rows are copied into the new shape."""
    shard: list[sa.Column[Any]] = (
        [sa.Column("shard", sa.SmallInteger(), server_default="0", autoincrement=False, nullable=False)]
        if sharded
        else []
    )
    shapes: dict[str, list[sa.Column[Any]]] = {
        "merkle_node": [
            sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
            sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
            sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        ],
        "log_checkpoint": [
            sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
            sa.Column("root", sa.String(length=64), nullable=False),
            sa.Column("note", sa.Text(), nullable=False),
            sa.Column("signed_at", sa.String(length=24), nullable=False),
        ],
        "log_cosignature": [
            sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
            sa.Column("witness", sa.String(length=200), nullable=False),
            sa.Column("line", sa.Text(), nullable=False),
            sa.Column("timestamp", sa.BigInteger(), nullable=False),
        ],
    }
    columns = shapes[table]
    key = _SHARDED[table][1 if sharded else 0]
    return sa.Table(table, sa.MetaData(), *shard, *columns, sa.PrimaryKeyConstraint(*key, name=f"{table}_pkey"))


def upgrade() -> None:
    op.create_table(
        "log_shard",
        sa.Column("shard", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("base", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("last_leaf_hash", sa.String(length=64), nullable=False),
        sa.Column("checkpoint", sa.Text(), nullable=False),
        sa.Column("log_key_id", sa.String(length=64), nullable=False),
        sa.Column("next_origin", sa.String(length=200), nullable=False),
        sa.Column("sealed_at", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("shard"),
        sa.UniqueConstraint("origin"),
    )
    with op.batch_alter_table("log_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shard", sa.SmallInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("base", sa.BigInteger(), server_default="0", nullable=False))
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, (_old, new) in _SHARDED.items():
        name = _primary_key_name(table)
        shape: dict[str, Any] = {"copy_from": _shape(table, sharded=False), "recreate": "always"} if sqlite else {}
        with op.batch_alter_table(table, schema=None, **shape) as batch_op:
            batch_op.add_column(
                sa.Column("shard", sa.SmallInteger(), server_default="0", autoincrement=False, nullable=False)
            )
            batch_op.drop_constraint(name, type_="primary")
            batch_op.create_primary_key(f"{table}_pkey", new)
    with op.batch_alter_table("p_registry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_origin", sa.String(length=200), autoincrement=False, nullable=True))
        batch_op.add_column(sa.Column("next_origin", sa.String(length=200), autoincrement=False, nullable=True))
        batch_op.add_column(sa.Column("sealed_size", sa.BigInteger(), autoincrement=False, nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM log_shard")).scalar_one():
        raise RuntimeError("this database holds sealed shards; a downgrade would lose them")
    with op.batch_alter_table("p_registry", schema=None) as batch_op:
        batch_op.drop_column("sealed_size")
        batch_op.drop_column("next_origin")
        batch_op.drop_column("previous_origin")
    sqlite = bind.dialect.name == "sqlite"
    for table, (old, _new) in _SHARDED.items():
        name = _primary_key_name(table)
        shape: dict[str, Any] = {"copy_from": _shape(table, sharded=True), "recreate": "always"} if sqlite else {}
        with op.batch_alter_table(table, schema=None, **shape) as batch_op:
            batch_op.drop_constraint(name, type_="primary")
            batch_op.drop_column("shard")
            batch_op.create_primary_key(f"{table}_pkey", old)
    with op.batch_alter_table("log_head", schema=None) as batch_op:
        batch_op.drop_column("base")
        batch_op.drop_column("shard")
    op.drop_table("log_shard")
