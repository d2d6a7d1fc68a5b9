"""An independent monitor: replays the whole log through the append rules, trusting no server.

The log refuses an entry that breaks a rule; the monitor checks that it really did. It reads
the leaves (from an export folder or from a served log's public endpoints), verifies the
checkpoint with the log's key, and for every leaf, on its own :class:`~ledger.domain.MemoryState`:

- the leaf is canonical, ``seq`` is its position, ``prev`` the previous leaf's hash, log time
  never runs backwards, the body is signed for this log, ``at`` is within the clock skew of
  the log time, and ``(signer, idem)`` is not used twice;
- the signature verifies against the key the replayed projections hold for the signer at that
  seq (:func:`ledger.domain.signer_public_key`);
- the checkpoint is signed by the log key in force at its size: the genesis names it and each
  ``log.key_rotated`` (signed by the key before) moves it on; the trusted key must be that key
  or one it rotated from, as :func:`ledger.protocol.verify.verify_log` checks;
- every append rule (:func:`ledger.domain.apply`): roles, separation of duties, money that never
  goes negative, plan filing, corrections, attestations...

and at the end that the Merkle root of all leaves is the checkpoint's root. Each problem is a
:class:`Violation` (seq, type, code, message); the server's own projections are never read.
A refused entry changes nothing in the replayed state (the rules check first, then write), so
the replay goes on as if the server had refused it; entries that built on it may then be
reported too (a correction of a disbursement that should not exist, for example).

**State and resuming.** Without a state folder every run replays from seq 0. With one
(``--state DIR``), a run that reached the checkpoint's root saves, atomically, what the next run
needs to go on from there: the size and root checked, the hash of the last leaf, the last log
time, the compact range of the tree (O(log n) hashes), the digests of the ``(signer, idem)``
pairs seen, and the replayed projections (``MemoryState.snapshot``). The next run reads only
the new leaves; extending the saved compact range with them and finding the new checkpoint's
root proves the old leaves are unchanged (no consistency proof needed). A run whose root does
not match saves nothing. Violations found are appended to ``violations.jsonl`` in the state
folder and printed once: a resumed run reports only what it newly checked.

**Shards.** A registry's history may span several logs (one per year). The monitor replays
the chain from its first log: it reads each sealed log to its final checkpoint (a sealed log
must end with ``log.sealed`` naming the next origin, and nothing may follow it), then checks
that the next log's genesis names that final checkpoint, and goes on there with the same
replayed projections (keys, organisations and balances carry over; entries are applied at
their position in the chain). A saved state of a log that was sealed since is carried into
the next log the same way. Violations in a sealed log name its origin (``log``).

Memory: the replayed projections are in memory (as in ``rebuild --check``), plus 32 bytes per
entry for the idem digests.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from ledger import domain
from ledger.domain.rules import LOG_KEY_ROTATED, LOG_SEALED
from ledger.errors import InvariantBroken, LedgerError, define
from ledger.protocol import merkle
from ledger.protocol.canonical import parse_time
from ledger.protocol.checkpoint import Checkpoint
from ledger.protocol.entry import GENESIS_PREV, SignedEntry, parse_leaf, signature_valid
from ledger.protocol.keys import key_id, unb64
from ledger.protocol.note import SIG_ED25519, parse_note, parse_verifier_key
from ledger.protocol.verify import SHARDS_FOLDER, KeyRing, check_checkpoint_key, check_signed_in_force, read_export
from ledger.services.remote import LogClient
from ledger.services.witness import fsync_dir, locked, read_json_file, write_atomically

STATE_FILE = "monitor.json"
VIOLATIONS_FILE = "violations.jsonl"
STATE_FORMAT = 1

MONITOR_LEAF_MALFORMED = define(
    "monitor_leaf_malformed",
    "invalid",
    "The leaf at position {seq} is not well formed: {detail}.",
    "位置 {seq} 的叶子格式不正确：{detail}。",
)
MONITOR_SEQ_MISMATCH = define(
    "monitor_seq_mismatch",
    "invalid",
    "The leaf at position {position} says it is seq {seq}.",
    "位置 {position} 的叶子自称序号 {seq}。",
)
MONITOR_CHAIN_BROKEN = define(
    "monitor_chain_broken",
    "invalid",
    "Entry {seq} does not link to the entry before it (prev {actual}, expected {expected}).",
    "条目 {seq} 未链接到前一条目（prev 为 {actual}，应为 {expected}）。",
)
MONITOR_TIME_BACKWARDS = define(
    "monitor_time_backwards",
    "invalid",
    "The log time of entry {seq} ({time}) is before the one of the entry before ({before}).",
    "条目 {seq} 的账本时间（{time}）早于前一条目（{before}）。",
)
MONITOR_IDEM_REPEATED = define(
    "monitor_idem_repeated",
    "invalid",
    "The key {signer} used the request id {idem!r} twice; the log keeps one entry per request id.",
    "密钥 {signer} 两次使用请求编号 {idem!r}；账本每个请求编号只应有一条条目。",
)
MONITOR_ROOT_MISMATCH = define(
    "monitor_root_mismatch",
    "invalid",
    "The Merkle root of the {size} leaves is {actual}, but the log signed {expected}.",
    "{size} 个叶子的默克尔根为 {actual}，而账本签名的根为 {expected}。",
)
MONITOR_LOG_SHORT = define(
    "monitor_log_short",
    "invalid",
    "The log gave {count} leaves for a checkpoint of size {size}.",
    "检查点树大小为 {size}，账本只提供了 {count} 个叶子。",
)
MONITOR_LOG_SHRANK = define(
    "monitor_log_shrank",
    "invalid",
    "The log's checkpoint has size {size}, smaller than the size {checked} this monitor already checked.",
    "账本检查点的树大小为 {size}，小于本监测方已核对的 {checked}。",
)
MONITOR_STATE_INVALID = define(
    "monitor_state_invalid",
    "invalid",
    "The monitor state in {path} cannot be used: {detail}.",
    "监测方状态目录 {path} 无法使用：{detail}。",
)
MONITOR_SOURCE_UNAVAILABLE = define(
    "monitor_source_unavailable",
    "unavailable",
    "The log could not be read from {source}: {detail}.",
    "无法从 {source} 读取账本：{detail}。",
)


MONITOR_AFTER_SEAL = define(
    "monitor_entry_after_seal",
    "invalid",
    "Entry {seq} follows the log.sealed entry {sealed} of {origin}: a sealed log takes nothing more.",
    "条目 {seq} 位于 {origin} 的封存条目 {sealed} 之后：已封存的账本不得再追加条目。",
)
MONITOR_CHAIN_LINK = define(
    "monitor_chain_link_broken",
    "invalid",
    "The log {origin} does not continue {previous} as the chain requires: {detail}.",
    "账本 {origin} 未按要求衔接 {previous}：{detail}。",
)


@dataclass(frozen=True, slots=True)
class Violation:
    """One problem the server let through, tied to an entry when ``seq`` is not None."""

    seq: int | None
    type: str | None
    code: str
    message: str
    message_zh: str
    leaf_hash: str | None = None
    log: str | None = None  # the origin of the log the entry is in (its seq counts in it)
    # a follow-on violation: the entry builds on an earlier refused one (the root cause), named
    # by its seq and log; None for a root cause or a violation of its own
    caused_by: int | None = None
    caused_by_log: str | None = None

    @classmethod
    def of(
        cls, exc: LedgerError, seq: int | None, type_: str | None, leaf_hash: str | None = None, log: str | None = None
    ) -> Violation:
        return cls(seq, type_, exc.code, exc.message_en, exc.message_zh, leaf_hash, log)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        if self.caused_by is not None:  # say it in words: fix the root cause first
            where = f"entry {self.caused_by} of {self.caused_by_log}"
            out["consequence_of"] = f"a consequence of the refused {where}: fix that one first"
            out["consequence_of_zh"] = (
                f"由账本 {self.caused_by_log} 中被拒绝的条目 {self.caused_by} 引起：请先处理该条目"
            )
        return out


@dataclass(slots=True)
class _Cause:
    """A refused entry and what it (and the entries refused because of it) would have made."""

    seq: int
    log: str
    tokens: set[str]


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value (the references an entry's data may hold)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _introduced(entry: SignedEntry, lh_hex: str) -> set[str]:
    """What later entries could build on: the entry's leaf hash, the key id of a key it grants,
    the project or organisation it registers."""
    made = {lh_hex}
    data = entry.data
    if isinstance(data.get("public_key"), str):
        try:
            made.add(key_id(unb64(data["public_key"], length=32)))
        except LedgerError:
            pass
    if entry.type == "project.registered" and isinstance(data.get("project"), str):
        made.add(data["project"])
    if entry.type == "org.registered" and isinstance(data.get("org"), str):
        made.add(data["org"])
    return made


def _idem_digest(signer: str, idem: str) -> bytes:
    return hashlib.sha256(f"{signer}\n{idem}".encode()).digest()[:16]


def _shard_index(shard: dict[str, Any], source: Any) -> int:
    """A shard's index as the log's chain lists it: a JSON integer, never a string or a float
    that ``int()`` would turn into one (Arabic-Indic '1', "1", 1.0 are not indexes)."""
    value = shard.get("index")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**15:
        raise LedgerError(
            MONITOR_SOURCE_UNAVAILABLE,
            source=str(source)[:200],
            detail=f"the chain lists a shard index {str(value)[:40]!r}, not a whole number",
        )
    return value


class Replay:
    """The monitor's own view of a log: replayed projections, chain, tree edge, idems."""

    def __init__(self, origin: str, *, max_clock_skew_s: int = 600) -> None:
        self.origin = origin
        self.max_clock_skew_s = max_clock_skew_s
        self.state = domain.MemoryState()
        self.edge = merkle.CompactRange()
        self.prev = GENESIS_PREV
        self.last_time = ""
        self.idems: set[bytes] = set()
        # the log's checkpoint keys, (first chain position signed, raw key): named by the
        # genesis, then by each log.key_rotated, as ledger.protocol.verify.KeyRing keeps them
        self.log_keys: list[tuple[int, bytes]] = []
        self.base = 0  # chain position of this log's entry 0
        self.sealed_at: int | None = None  # seq of this log's log.sealed, once seen
        self.next_origin: str | None = None
        # the sealed logs before this one: origin, final size, root (hex)
        self.earlier: list[tuple[str, int, str]] = []
        self.causes: list[_Cause] = []  # refused entries seen in this run (root causes)

    @property
    def size(self) -> int:
        return self.edge.size

    def feed(self, raw: bytes) -> list[Violation]:
        """Check one leaf (the next one) and apply it; returns what it breaks, each naming this log."""
        return [v if v.log else replace(v, log=self.origin) for v in self._feed(raw)]

    def _judged(self, violation: Violation, entry: SignedEntry, seq: int) -> Violation:
        """A refused entry: a consequence of an earlier refused one if it builds on what that
        one would have made (its leaf hash, a key, project or organisation it registered),
        else a root cause of its own."""
        introduced = _introduced(entry, violation.leaf_hash or "")
        used = {entry.signer, *_strings(entry.data)}
        for cause in self.causes:
            if used & cause.tokens:
                cause.tokens |= introduced  # what builds on a consequence is one too
                return replace(violation, caused_by=cause.seq, caused_by_log=cause.log)
        self.causes.append(_Cause(seq, self.origin, introduced))
        return violation

    def _feed(self, raw: bytes) -> list[Violation]:
        seq = self.edge.size
        position = self.base + seq
        lh = merkle.leaf_hash(raw)
        lh_hex = lh.hex()
        self.edge.append(lh)
        prev, self.prev = self.prev, lh_hex
        try:
            leaf = parse_leaf(raw)
        except LedgerError as exc:
            return [
                Violation.of(LedgerError(MONITOR_LEAF_MALFORMED, seq=seq, detail=exc.message_en), seq, None, lh_hex)
            ]
        entry = leaf.entry
        out: list[Violation] = []

        def add(code: str, **params: Any) -> None:
            out.append(Violation.of(LedgerError(code, **params), seq, entry.type, lh_hex))

        if leaf.seq != seq:
            add(MONITOR_SEQ_MISMATCH, position=seq, seq=leaf.seq)
        if leaf.prev != prev:
            add(MONITOR_CHAIN_BROKEN, seq=seq, expected=prev, actual=leaf.prev)
        if leaf.time < self.last_time:
            add(MONITOR_TIME_BACKWARDS, seq=seq, time=leaf.time, before=self.last_time)
        self.last_time = max(self.last_time, leaf.time)
        if entry.body["log"] != self.origin:
            add("wrong_log", got=entry.body["log"], expected=self.origin)
            return out
        if self.sealed_at is not None:
            add(MONITOR_AFTER_SEAL, seq=seq, sealed=self.sealed_at, origin=self.origin)
            return out
        if seq == 0 and self.earlier:
            problem = self._continuation_problem(entry.type, entry.data)
            if problem:
                previous = self.earlier[-1][0]
                add(MONITOR_CHAIN_LINK, origin=self.origin, previous=previous, detail=problem)
                return out
        skew = abs((parse_time(entry.body["at"]) - parse_time(leaf.time)).total_seconds())
        if skew > self.max_clock_skew_s:
            add("clock_skew", at=entry.body["at"], now=leaf.time, limit_s=self.max_clock_skew_s)
        digest = _idem_digest(entry.signer, entry.idem)
        if digest in self.idems:
            add(MONITOR_IDEM_REPEATED, signer=entry.signer, idem=entry.idem)
        self.idems.add(digest)
        try:
            public = domain.signer_public_key(self.state, entry, position)
            if public is None:
                raise LedgerError("unknown_signer", signer=entry.signer)
            if not signature_valid(entry, public):
                raise LedgerError("bad_signature", signer=entry.signer)
            domain.apply(
                self.state, domain.AppendContext(position, lh_hex, leaf.time, self.origin, seq, replay=True), entry
            )
        except LedgerError as exc:
            out.append(self._judged(Violation.of(exc, seq, entry.type, lh_hex), entry, seq))
            return out
        if entry.type == "registry.genesis" and entry.data.get("log_key") and "previous" not in entry.data:
            self.log_keys.append((0, unb64(entry.data["log_key"], length=32)))
        elif entry.type == LOG_KEY_ROTATED:
            self.log_keys.append((self.base + entry.data["from_size"], unb64(entry.data["public_key"], length=32)))
        elif entry.type == LOG_SEALED:
            self.sealed_at, self.next_origin = seq, entry.data["next_origin"]
        return out

    def _continuation_problem(self, type_: str, data: dict[str, Any]) -> str | None:
        """What is wrong with entry 0 of a later log, if anything (the rules cannot see roots)."""
        origin, size, root = self.earlier[-1]
        previous = data.get("previous") if type_ == "registry.genesis" else None
        if not isinstance(previous, dict):
            return "its entry 0 is not a genesis naming the sealed log"
        named = (previous.get("origin"), previous.get("size"), previous.get("root_hash"))
        if named != (origin, size, root):
            return f"its genesis names {named[0]} size {named[1]} root {named[2]}, not the final checkpoint {origin} size {size} root {root}"
        return None

    def continue_into(self, final: Checkpoint) -> list[Violation]:
        """Move on from this log, sealed at ``final`` (its checkpoint, all leaves fed), to the
        next log of the chain; returns what prevents it (then nothing moves)."""
        if self.sealed_at is None or self.sealed_at != final.size - 1 or self.next_origin is None:
            err = LedgerError(
                MONITOR_CHAIN_LINK,
                origin=self.next_origin or "the next log",
                previous=self.origin,
                detail=f"the log does not end with log.sealed at seq {final.size - 1}",
            )
            return [Violation.of(err, None, None, None, self.origin)]
        self.earlier.append((self.origin, final.size, final.root.hex()))
        self.base += final.size
        self.origin, self.next_origin, self.sealed_at = self.next_origin, None, None
        self.edge = merkle.CompactRange()
        self.prev = GENESIS_PREV
        return []

    def check_checkpoint(self, note: str, checkpoint: Checkpoint, vkey: str, *, sealed: bool = False) -> None:
        """The checkpoint is signed by the log key in force at its size, reached from the
        trusted ``vkey`` through the rotations replayed so far (``ledger.protocol.verify``'s rule). A
        sealed log's final checkpoint needs only the signature of the key in force then: the
        next log's genesis names it, and the trusted latest checkpoint covers that genesis."""
        ring = KeyRing()
        ring.log_keys = list(self.log_keys)
        ring.base = self.base
        trusted = parse_verifier_key(vkey, sig_types=(SIG_ED25519,))
        if sealed:
            check_signed_in_force(note, checkpoint, ring, trusted)
        else:
            check_checkpoint_key(note, checkpoint, trusted, ring)

    def finish(self, checkpoint: Checkpoint, count: int) -> list[Violation]:
        """Compare the replayed tree with the checkpoint once all its leaves were fed."""
        if count < checkpoint.size:
            return [Violation.of(LedgerError(MONITOR_LOG_SHORT, count=count, size=checkpoint.size), None, None)]
        root = self.edge.root()
        if root != checkpoint.root:
            err = LedgerError(
                MONITOR_ROOT_MISMATCH, size=checkpoint.size, expected=checkpoint.root.hex(), actual=root.hex()
            )
            return [Violation.of(err, None, None)]
        return []

    # -- saving and resuming --------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "size": self.edge.size,
            "edge": [h.hex() for h in self.edge.hashes],
            "prev": self.prev,
            "last_time": self.last_time,
            "idems": sorted(d.hex() for d in self.idems),
            "log_keys": [[size, raw.hex()] for size, raw in self.log_keys],
            "base": self.base,
            "sealed_at": self.sealed_at,
            "next_origin": self.next_origin,
            "earlier": [list(e) for e in self.earlier],
            "projections": self.state.snapshot(),
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any], *, max_clock_skew_s: int = 600) -> Replay:
        replay = cls(obj["origin"], max_clock_skew_s=max_clock_skew_s)
        replay.edge = merkle.CompactRange(obj["size"], [bytes.fromhex(h) for h in obj["edge"]])
        replay.prev = obj["prev"]
        replay.last_time = obj["last_time"]
        replay.idems = {bytes.fromhex(d) for d in obj["idems"]}
        replay.log_keys = [(size, bytes.fromhex(raw)) for size, raw in obj["log_keys"]]
        replay.base = obj.get("base", 0)  # states saved before shards: the first log
        replay.sealed_at = obj.get("sealed_at")
        replay.next_origin = obj.get("next_origin")
        replay.earlier = [(o, n, r) for o, n, r in obj.get("earlier", [])]
        by_table = {t.__table__name__: t for t in domain.ROW_TYPES}  # type: ignore[attr-defined]
        for table, rows in obj["projections"].items():
            row_type = by_table[table]
            for row in rows:
                replay.state.put(row_type(**row))
        return replay


# --- where the leaves come from -------------------------------------------------------------


class Source(Protocol):
    name: str

    def checkpoint(self, shard: int | None = None) -> str: ...

    def vkey(self) -> str: ...

    def leaves(self, start: int, end: int, shard: int | None = None) -> Iterator[bytes]: ...

    def shards(self) -> list[dict[str, Any]]:
        """The logs of the chain, oldest first (``index``, ``origin``, ``sealed``); the last is
        the log being appended to."""
        ...


class HttpSource:
    """A served log's public endpoints (``/api/v1/log/...``, ``/api/v1/log/shards/N/...``)."""

    def __init__(self, client: LogClient) -> None:
        self.client = client
        self.name = client.base

    def _for(self, shard: int | None) -> LogClient:
        return self.client if shard is None else self.client.for_shard(shard)

    def checkpoint(self, shard: int | None = None) -> str:
        return self._for(shard).checkpoint()

    def vkey(self) -> str:
        return self.client.vkey()

    def leaves(self, start: int, end: int, shard: int | None = None) -> Iterator[bytes]:
        return self._for(shard).entries(start, end) if start < end else iter(())

    def shards(self) -> list[dict[str, Any]]:
        return self.client.shards()


class ExportSource:
    """An export folder (``entries.jsonl``, ``checkpoint``, ``log.vkey``, and ``shards/NNNN/``
    for the sealed logs of a chain)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.name = str(self.folder)

    def _folder(self, shard: int | None) -> Path:
        sealed = self._sealed()
        return self.folder if shard is None or shard >= len(sealed) else sealed[shard]

    def _sealed(self) -> list[Path]:
        root = self.folder / SHARDS_FOLDER
        return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []

    def checkpoint(self, shard: int | None = None) -> str:
        return read_export(self._folder(shard))[1]

    def vkey(self) -> str:
        return read_export(self.folder)[2]

    def leaves(self, start: int, end: int, shard: int | None = None) -> Iterator[bytes]:
        return itertools.islice(read_export(self._folder(shard))[0], start, end)

    def shards(self) -> list[dict[str, Any]]:
        folders = [*self._sealed(), self.folder]
        return [
            {"index": i, "origin": read_export(f)[1].split("\n", 1)[0], "sealed": i < len(folders) - 1}
            for i, f in enumerate(folders)
        ]


# --- one pass -------------------------------------------------------------------------------


@dataclass
class MonitorReport:
    source: str
    origin: str | None = None
    size: int = 0
    checked_from: int = 0
    checked: int = 0
    violations: list[Violation] = field(default_factory=list)
    saved: bool = False

    @property
    def clean(self) -> bool:
        return not self.violations

    def summary(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "origin": self.origin,
            "size": self.size,
            "checked_from": self.checked_from,
            "checked": self.checked,
            "violations": len(self.violations),
            "root_causes": self.root_causes(),
            "consequences": sum(v.caused_by is not None for v in self.violations),
            "state_saved": self.saved,
        }

    def root_causes(self) -> list[dict[str, Any]]:
        """Each violation that is no consequence of another, with how many follow from it."""
        follow: dict[tuple[int, str | None], int] = {}
        for v in self.violations:
            if v.caused_by is not None:
                key = (v.caused_by, v.caused_by_log)
                follow[key] = follow.get(key, 0) + 1
        return [
            {"seq": v.seq, "log": v.log, "code": v.code, "consequences": follow.get((v.seq, v.log), 0)}
            for v in self.violations
            if v.caused_by is None and v.seq is not None
        ]


class Monitor:
    def __init__(
        self,
        source: Source,
        state_dir: Path | None = None,
        *,
        log_vkey: str | None = None,
        max_clock_skew_s: int = 600,
    ) -> None:
        if log_vkey is not None:
            parse_verifier_key(log_vkey, sig_types=(SIG_ED25519,))
        self.source = source
        self.state_dir = None if state_dir is None else Path(state_dir)
        self.log_vkey = log_vkey
        self.max_clock_skew_s = max_clock_skew_s

    def run_once(self) -> MonitorReport:
        if self.state_dir is None:
            report = self._pass(None)
        else:
            with locked(self.state_dir):
                report = self._pass(self._load())
        # every violation names its log: one about the checkpoint belongs to the one served
        where = report.origin or self.source.name
        report.violations = [v if v.log else replace(v, log=where) for v in report.violations]
        return report

    def _read(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except LedgerError as exc:
            raise LedgerError(
                MONITOR_SOURCE_UNAVAILABLE, source=self.source.name, detail=f"{what}: {exc.message_en}"
            ) from exc
        except Exception as exc:  # network errors, files
            raise LedgerError(MONITOR_SOURCE_UNAVAILABLE, source=self.source.name, detail=f"{what}: {exc}") from exc

    def _pass(self, saved: tuple[str, Replay, str] | None) -> MonitorReport:
        report = MonitorReport(self.source.name)
        vkey = (
            self.log_vkey
            or (saved[0] if saved else None)
            or self._read("reading the log key", self.source.vkey).strip()
        )
        if saved is not None and saved[0] != vkey:
            raise LedgerError(
                MONITOR_STATE_INVALID,
                path=str(self.state_dir),
                detail=f"the state pins the log key {saved[0]}, not {vkey}",
            )
        note = self._read("reading the checkpoint", self.source.checkpoint)
        try:  # its signature is checked below, with the log key in force at its size
            checkpoint = Checkpoint.parse(parse_note(note).text)
        except LedgerError as exc:
            report.violations.append(Violation.of(exc, None, None))
            return report
        report.origin, report.size = checkpoint.origin, checkpoint.size
        chain = self._read("reading the chain of logs", self.source.shards)
        first = chain[0]["origin"] if chain else checkpoint.origin
        replay = saved[1] if saved else Replay(first, max_clock_skew_s=self.max_clock_skew_s)
        report.checked_from = replay.size
        while replay.origin != checkpoint.origin:  # sealed logs first, each to its final checkpoint
            shard = next((s for s in chain if s["origin"] == replay.origin and s.get("sealed")), None)
            if shard is None:
                raise LedgerError(
                    MONITOR_STATE_INVALID,
                    path=str(self.state_dir),
                    detail=f"the state is of the log {replay.origin!r}, not {checkpoint.origin!r}",
                )
            index = _shard_index(shard, self.source)
            final_note = self._read("reading a sealed log's final checkpoint", partial(self.source.checkpoint, index))
            try:
                final = Checkpoint.parse(parse_note(final_note).text)
            except LedgerError as exc:
                report.violations.append(Violation.of(exc, None, None, None, replay.origin))
                return report
            report.checked += self._feed_to(replay, final, index, report)
            unsigned = self._unsigned(replay, final_note, final, vkey, sealed=True)
            tail = unsigned or replay.finish(final, replay.size) or replay.continue_into(final)
            if tail:  # nothing of this log is settled: report it, save nothing
                report.violations.extend(
                    Violation(v.seq, v.type, v.code, v.message, v.message_zh, v.leaf_hash, v.log or final.origin)
                    for v in tail
                )
                return report
        if checkpoint.size < replay.size:
            unsigned = self._unsigned(replay, note, checkpoint, vkey)
            report.violations = unsigned or [
                Violation.of(LedgerError(MONITOR_LOG_SHRANK, size=checkpoint.size, checked=replay.size), None, None)
            ]
            return report
        start = replay.size
        count = start + self._feed_to(replay, checkpoint, None, report)
        report.checked += count - start
        unsigned = self._unsigned(replay, note, checkpoint, vkey)
        if unsigned:  # nothing read is authenticated: report only that, save nothing
            report.violations = unsigned
            return report
        tail = replay.finish(checkpoint, count)
        report.violations.extend(tail)
        if self.state_dir is not None and not tail:
            self._save(vkey, replay, note, report.violations)
            report.saved = True
        return report

    def _feed_to(self, replay: Replay, checkpoint: Checkpoint, shard: int | None, report: MonitorReport) -> int:
        """Feed the leaves after the replay's size up to the checkpoint's; returns how many."""
        start = count = replay.size
        if start >= checkpoint.size:
            return 0
        leaves = self._read("reading the entries", lambda: self.source.leaves(start, checkpoint.size, shard))
        try:
            for raw in leaves:
                report.violations.extend(replay.feed(raw))
                count += 1
                if count == checkpoint.size:
                    break
        except LedgerError as exc:
            if count < checkpoint.size and exc.code == "verification_failed":  # LogClient: the log answered an error
                raise LedgerError(MONITOR_SOURCE_UNAVAILABLE, source=self.source.name, detail=exc.message_en) from exc
            raise
        return count - start

    @staticmethod
    def _unsigned(
        replay: Replay, note: str, checkpoint: Checkpoint, vkey: str, *, sealed: bool = False
    ) -> list[Violation]:
        try:
            replay.check_checkpoint(note, checkpoint, vkey, sealed=sealed)
        except LedgerError as exc:
            return [Violation.of(exc, None, None)]
        return []

    # -- state ------------------------------------------------------------------------------

    def _load(self) -> tuple[str, Replay, str] | None:
        if self.state_dir is None:
            raise InvariantBroken("self.state_dir is missing")
        path = self.state_dir / STATE_FILE
        obj = read_json_file(path, MONITOR_STATE_INVALID)
        if obj is None:
            return None
        if not isinstance(obj, dict) or obj.get("format") != STATE_FORMAT:
            raise LedgerError(
                MONITOR_STATE_INVALID, path=str(path), detail=f"not a format {STATE_FORMAT} monitor state"
            )
        try:
            return (
                obj["log_vkey"],
                Replay.from_json(obj["replay"], max_clock_skew_s=self.max_clock_skew_s),
                obj["checkpoint"],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise LedgerError(MONITOR_STATE_INVALID, path=str(path), detail=f"incomplete ({exc})") from exc

    def _save(self, vkey: str, replay: Replay, note: str, violations: list[Violation]) -> None:
        if self.state_dir is None:
            raise InvariantBroken("self.state_dir is missing")
        if violations:
            with open(self.state_dir / VIOLATIONS_FILE, "a", encoding="utf-8") as f:
                for v in violations:
                    f.write(json.dumps(v.to_json(), ensure_ascii=False) + "\n")
                f.flush()
                os.fsync(f.fileno())
            fsync_dir(self.state_dir)
        obj = {"format": STATE_FORMAT, "log_vkey": vkey, "checkpoint": note, "replay": replay.to_json()}
        write_atomically(
            self.state_dir / STATE_FILE, json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        )


def follow(
    monitor: Monitor,
    interval: float,
    *,
    report: Callable[[MonitorReport], None],
    warn: Callable[[LedgerError], None],
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Check every ``interval`` seconds, forever; a source that cannot be read is retried."""
    while True:
        try:
            report(monitor.run_once())
        except LedgerError as exc:
            if exc.code != MONITOR_SOURCE_UNAVAILABLE:
                raise
            warn(exc)
        sleep(interval)
