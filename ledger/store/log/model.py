"""What the log's parts say to their callers: heads, shards, append results, errors.

Plain values and the bilingual error definitions the sequencer, the reader and the chain
raise. May import :mod:`ledger.errors` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.errors import LedgerError, define

MAX_BATCH = 1000
LOG_KEY_ROTATED = "log.key_rotated"
LOG_SEALED = "log.sealed"
GENESIS = "registry.genesis"

SEAL_BY_COMMAND = define(
    "log_seal_by_command",
    "refused",
    "A log is sealed, and the next one opened, with `charity-ledger shard roll` by its operator, not by submitting an entry.",
    "账本须由运营方用 `charity-ledger shard roll` 封存并开启下一分片，不能通过提交条目完成。",
)
LOG_SEALED_ERROR = define(
    "log_sealed",
    "conflict",
    "The log {origin!r} is sealed (its final size is {size}); sign the entry for the log {current!r} and submit it again.",
    "账本 {origin!r} 已封存（最终大小 {size}）；请为账本 {current!r} 重新签署该条目后提交。",
)
SHARD_ORIGIN_INVALID = define(
    "shard_origin_invalid",
    "invalid",
    "The next log's origin {origin!r} cannot be used: {reason}.",
    "下一分片的账本名称 {origin!r} 不可用：{reason_zh}。",
)
SHARD_NO_LOG_KEY = define(
    "shard_no_log_key",
    "conflict",
    "The log {origin!r} cannot be continued: its genesis names no checkpoint key (data.log_key), so a verifier could not tell who sealed it.",
    "账本 {origin!r} 无法延续：其登记根未写明检查点密钥（data.log_key），验证者无法确认封存者。",
)
SHARD_EMPTY = define(
    "shard_empty",
    "conflict",
    "The log {origin!r} has no entries yet; there is nothing to seal.",
    "账本 {origin!r} 尚无条目，无需封存。",
)
ROTATION_BY_COMMAND = define(
    "log_key_rotation_by_command",
    "refused",
    "The log's checkpoint key is rotated with `charity-ledger rotate-log-key` by its operator, not by submitting an entry.",
    "账本检查点密钥须由运营方用 `charity-ledger rotate-log-key` 轮换，不能通过提交条目完成。",
)
LOG_HOLDS_ENTRIES = define(
    "log_holds_entries",
    "conflict",
    "The log {origin!r} holds {size} entries; only an empty log's clock can be set to start at another time.",
    "账本 {origin!r} 已有 {size} 条条目；只有空账本的时钟可以改为从另一时间开始。",
)
LOG_KEY_MISSING = define(
    "log_key_missing",
    "unavailable",
    "The log now signs with key {key_id}, which this process cannot find in the key folder.",
    "账本现用密钥 {key_id} 签署检查点，但本进程在密钥目录中找不到该密钥。",
)


@dataclass(frozen=True, slots=True)
class Head:
    size: int
    root: bytes
    last_leaf_hash: str
    last_time: str
    origin: str = ""
    shard: int = 0  # the shard being appended to
    base: int = 0  # its first entry's position in the chain of shards


@dataclass(frozen=True, slots=True)
class Shard:
    """One log of the chain: sealed (with its final checkpoint) or the one being appended to."""

    index: int
    origin: str
    base: int
    size: int
    root: str
    sealed: bool
    next_origin: str | None = None
    checkpoint: str | None = None  # the final checkpoint of a sealed shard
    sealed_at: str | None = None

    def contains(self, position: int) -> bool:
        return self.base <= position < self.base + self.size

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "origin": self.origin,
            "base": self.base,
            "size": self.size,
            "root_hash": self.root,
            "sealed": self.sealed,
            "next_origin": self.next_origin,
            "sealed_at": self.sealed_at,
        }


@dataclass(frozen=True, slots=True)
class AppendResult:
    seq: int  # in its own log (shard)
    leaf_hash: str
    time: str
    existing: bool  # True when an identical earlier submission was returned (idempotent retry)
    tree_size: int
    proof: list[str]
    checkpoint: str
    position: int = -1  # in the chain of shards (the seq of the projections); -1: same as seq

    @property
    def pos(self) -> int:
        return self.seq if self.position < 0 else self.position

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "leaf_hash": self.leaf_hash,
            "time": self.time,
            "existing": self.existing,
            "inclusion_proof": {"index": self.seq, "size": self.tree_size, "hashes": self.proof},
            "checkpoint": self.checkpoint,
        }


def sealed_shard(row: Any) -> Shard:
    """A ``log_shard`` row as a :class:`Shard`."""
    return Shard(
        row["shard"],
        row["origin"],
        row["base"],
        row["size"],
        row["root"],
        True,
        row["next_origin"],
        row["checkpoint"],
        row["sealed_at"],
    )


def check_batch_size(size: int) -> None:
    if size == 0:
        raise LedgerError("batch_empty")
    if size > MAX_BATCH:
        raise LedgerError("batch_too_large", size=size, limit=MAX_BATCH)


def batch_error(position: int, exc: LedgerError) -> LedgerError:
    """The refusal of a whole batch because of its entry at ``position``."""
    err = LedgerError(
        "batch_entry_refused", position=position, reason=exc.message_en, reason_zh=exc.message_zh, code=exc.code
    )
    err.inner = exc  # type: ignore[attr-defined]
    return err


def check_origin(origin: Any) -> None:
    """A checkpoint origin line: printable, no spaces or line breaks (C2SP tlog-checkpoint)."""
    if (
        not isinstance(origin, str)
        or not origin
        or len(origin) > 200
        or any(ch.isspace() or not ch.isprintable() for ch in origin)
    ):
        raise LedgerError(
            SHARD_ORIGIN_INVALID,
            origin=origin,
            reason="an origin is 1 to 200 printable characters without spaces",
            reason_zh="账本名称须为 1 到 200 个可打印字符，不含空格",
        )
