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
  or one it rotated from, as :func:`ledger.verify.verify_log` checks;
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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from . import domain, merkle
from .canonical import parse_time
from .checkpoint import Checkpoint
from .domain.rules import LOG_KEY_ROTATED
from .entry import GENESIS_PREV, parse_leaf, signature_valid
from .errors import LedgerError, define
from .keys import unb64
from .note import SIG_ED25519, parse_note, parse_verifier_key
from .remote import LogClient
from .verify import KeyRing, check_checkpoint_key, read_export
from .witness import fsync_dir, locked, write_atomically

STATE_FILE = "monitor.json"
VIOLATIONS_FILE = "violations.jsonl"
STATE_FORMAT = 1

MONITOR_LEAF_MALFORMED = define(
    "monitor_leaf_malformed", "invalid",
    "The leaf at position {seq} is not well formed: {detail}.",
    "位置 {seq} 的叶子格式不正确：{detail}。",
)
MONITOR_SEQ_MISMATCH = define(
    "monitor_seq_mismatch", "invalid",
    "The leaf at position {position} says it is seq {seq}.",
    "位置 {position} 的叶子自称序号 {seq}。",
)
MONITOR_CHAIN_BROKEN = define(
    "monitor_chain_broken", "invalid",
    "Entry {seq} does not link to the entry before it (prev {actual}, expected {expected}).",
    "条目 {seq} 未链接到前一条目（prev 为 {actual}，应为 {expected}）。",
)
MONITOR_TIME_BACKWARDS = define(
    "monitor_time_backwards", "invalid",
    "The log time of entry {seq} ({time}) is before the one of the entry before ({before}).",
    "条目 {seq} 的账本时间（{time}）早于前一条目（{before}）。",
)
MONITOR_IDEM_REPEATED = define(
    "monitor_idem_repeated", "invalid",
    "The key {signer} used the request id {idem!r} twice; the log keeps one entry per request id.",
    "密钥 {signer} 两次使用请求编号 {idem!r}；账本每个请求编号只应有一条条目。",
)
MONITOR_ROOT_MISMATCH = define(
    "monitor_root_mismatch", "invalid",
    "The Merkle root of the {size} leaves is {actual}, but the log signed {expected}.",
    "{size} 个叶子的默克尔根为 {actual}，而账本签名的根为 {expected}。",
)
MONITOR_LOG_SHORT = define(
    "monitor_log_short", "invalid",
    "The log gave {count} leaves for a checkpoint of size {size}.",
    "检查点树大小为 {size}，账本只提供了 {count} 个叶子。",
)
MONITOR_LOG_SHRANK = define(
    "monitor_log_shrank", "invalid",
    "The log's checkpoint has size {size}, smaller than the size {checked} this monitor already checked.",
    "账本检查点的树大小为 {size}，小于本监测方已核对的 {checked}。",
)
MONITOR_STATE_INVALID = define(
    "monitor_state_invalid", "invalid",
    "The monitor state in {path} cannot be used: {detail}.",
    "监测方状态目录 {path} 无法使用：{detail}。",
)
MONITOR_SOURCE_UNAVAILABLE = define(
    "monitor_source_unavailable", "unavailable",
    "The log could not be read from {source}: {detail}.",
    "无法从 {source} 读取账本：{detail}。",
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

    @classmethod
    def of(cls, exc: LedgerError, seq: int | None, type_: str | None, leaf_hash: str | None = None) -> Violation:
        return cls(seq, type_, exc.code, exc.message_en, exc.message_zh, leaf_hash)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _idem_digest(signer: str, idem: str) -> bytes:
    return hashlib.sha256(f"{signer}\n{idem}".encode()).digest()[:16]


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
        # the log's checkpoint keys, (first tree size signed, raw key): named by the genesis,
        # then by each log.key_rotated, as ledger.verify.KeyRing keeps them
        self.log_keys: list[tuple[int, bytes]] = []

    @property
    def size(self) -> int:
        return self.edge.size

    def feed(self, raw: bytes) -> list[Violation]:
        """Check one leaf (the next one) and apply it; returns what it breaks."""
        seq = self.edge.size
        lh = merkle.leaf_hash(raw)
        lh_hex = lh.hex()
        self.edge.append(lh)
        prev, self.prev = self.prev, lh_hex
        try:
            leaf = parse_leaf(raw)
        except LedgerError as exc:
            return [Violation.of(LedgerError(MONITOR_LEAF_MALFORMED, seq=seq, detail=exc.message_en), seq, None, lh_hex)]
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
        skew = abs((parse_time(entry.body["at"]) - parse_time(leaf.time)).total_seconds())
        if skew > self.max_clock_skew_s:
            add("clock_skew", at=entry.body["at"], now=leaf.time, limit_s=self.max_clock_skew_s)
        digest = _idem_digest(entry.signer, entry.idem)
        if digest in self.idems:
            add(MONITOR_IDEM_REPEATED, signer=entry.signer, idem=entry.idem)
        self.idems.add(digest)
        try:
            public = domain.signer_public_key(self.state, entry, seq)
            if public is None:
                raise LedgerError("unknown_signer", signer=entry.signer)
            if not signature_valid(entry, public):
                raise LedgerError("bad_signature", signer=entry.signer)
            domain.apply(self.state, domain.AppendContext(seq, lh_hex, leaf.time, self.origin), entry)
        except LedgerError as exc:
            out.append(Violation.of(exc, seq, entry.type, lh_hex))
            return out
        if entry.type == "registry.genesis" and entry.data.get("log_key"):
            self.log_keys.append((0, unb64(entry.data["log_key"], length=32)))
        elif entry.type == LOG_KEY_ROTATED:
            self.log_keys.append((entry.data["from_size"], unb64(entry.data["public_key"], length=32)))
        return out

    def check_checkpoint(self, note: str, checkpoint: Checkpoint, vkey: str) -> None:
        """The checkpoint is signed by the log key in force at its size, reached from the
        trusted ``vkey`` through the rotations replayed so far (``ledger.verify``'s rule)."""
        ring = KeyRing()
        ring.log_keys = list(self.log_keys)
        check_checkpoint_key(note, checkpoint, parse_verifier_key(vkey, sig_types=(SIG_ED25519,)), ring)

    def finish(self, checkpoint: Checkpoint, count: int) -> list[Violation]:
        """Compare the replayed tree with the checkpoint once all its leaves were fed."""
        if count < checkpoint.size:
            return [Violation.of(LedgerError(MONITOR_LOG_SHORT, count=count, size=checkpoint.size), None, None)]
        root = self.edge.root()
        if root != checkpoint.root:
            err = LedgerError(MONITOR_ROOT_MISMATCH, size=checkpoint.size, expected=checkpoint.root.hex(), actual=root.hex())
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
        by_table = {t.__table__name__: t for t in domain.ROW_TYPES}  # type: ignore[attr-defined]
        for table, rows in obj["projections"].items():
            row_type = by_table[table]
            for row in rows:
                replay.state.put(row_type(**row))
        return replay


# --- where the leaves come from -------------------------------------------------------------


class Source(Protocol):
    name: str

    def checkpoint(self) -> str: ...

    def vkey(self) -> str: ...

    def leaves(self, start: int, end: int) -> Iterator[bytes]: ...


class HttpSource:
    """A served log's public endpoints (``/api/v1/log/...``)."""

    def __init__(self, client: LogClient) -> None:
        self.client = client
        self.name = client.base

    def checkpoint(self) -> str:
        return self.client.checkpoint()

    def vkey(self) -> str:
        return self.client.vkey()

    def leaves(self, start: int, end: int) -> Iterator[bytes]:
        return self.client.entries(start, end) if start < end else iter(())


class ExportSource:
    """An export folder (``entries.jsonl``, ``checkpoint``, ``log.vkey``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.name = str(self.folder)

    def checkpoint(self) -> str:
        return read_export(self.folder)[1]

    def vkey(self) -> str:
        return read_export(self.folder)[2]

    def leaves(self, start: int, end: int) -> Iterator[bytes]:
        return itertools.islice(read_export(self.folder)[0], start, end)


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
            "source": self.source, "origin": self.origin, "size": self.size, "checked_from": self.checked_from,
            "checked": self.checked, "violations": len(self.violations), "state_saved": self.saved,
        }


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
            return self._pass(None)
        with locked(self.state_dir):
            return self._pass(self._load())

    def _read(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except LedgerError as exc:
            raise LedgerError(MONITOR_SOURCE_UNAVAILABLE, source=self.source.name, detail=f"{what}: {exc.message_en}") from exc
        except Exception as exc:  # network errors, files
            raise LedgerError(MONITOR_SOURCE_UNAVAILABLE, source=self.source.name, detail=f"{what}: {exc}") from exc

    def _pass(self, saved: tuple[str, Replay, str] | None) -> MonitorReport:
        report = MonitorReport(self.source.name)
        vkey = self.log_vkey or (saved[0] if saved else None) or self._read("reading the log key", self.source.vkey).strip()
        if saved is not None and saved[0] != vkey:
            raise LedgerError(MONITOR_STATE_INVALID, path=str(self.state_dir), detail=f"the state pins the log key {saved[0]}, not {vkey}")
        note = self._read("reading the checkpoint", self.source.checkpoint)
        try:  # its signature is checked below, with the log key in force at its size
            checkpoint = Checkpoint.parse(parse_note(note).text)
        except LedgerError as exc:
            report.violations.append(Violation.of(exc, None, None))
            return report
        report.origin, report.size = checkpoint.origin, checkpoint.size
        replay = saved[1] if saved else Replay(checkpoint.origin, max_clock_skew_s=self.max_clock_skew_s)
        if replay.origin != checkpoint.origin:
            raise LedgerError(MONITOR_STATE_INVALID, path=str(self.state_dir), detail=f"the state is of the log {replay.origin!r}, not {checkpoint.origin!r}")
        if checkpoint.size < replay.size:
            unsigned = self._unsigned(replay, note, checkpoint, vkey)
            report.violations = unsigned or [Violation.of(LedgerError(MONITOR_LOG_SHRANK, size=checkpoint.size, checked=replay.size), None, None)]
            return report
        report.checked_from = start = replay.size
        count = start
        leaves = self._read("reading the entries", lambda: self.source.leaves(start, checkpoint.size))
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
        report.checked = count - start
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

    @staticmethod
    def _unsigned(replay: Replay, note: str, checkpoint: Checkpoint, vkey: str) -> list[Violation]:
        try:
            replay.check_checkpoint(note, checkpoint, vkey)
        except LedgerError as exc:
            return [Violation.of(exc, None, None)]
        return []

    # -- state ------------------------------------------------------------------------------

    def _load(self) -> tuple[str, Replay, str] | None:
        assert self.state_dir is not None
        path = self.state_dir / STATE_FILE
        try:
            obj = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except ValueError as exc:
            raise LedgerError(MONITOR_STATE_INVALID, path=str(path), detail=f"not JSON ({exc})") from exc
        if not isinstance(obj, dict) or obj.get("format") != STATE_FORMAT:
            raise LedgerError(MONITOR_STATE_INVALID, path=str(path), detail=f"not a format {STATE_FORMAT} monitor state")
        try:
            return obj["log_vkey"], Replay.from_json(obj["replay"], max_clock_skew_s=self.max_clock_skew_s), obj["checkpoint"]
        except (KeyError, TypeError, ValueError) as exc:
            raise LedgerError(MONITOR_STATE_INVALID, path=str(path), detail=f"incomplete ({exc})") from exc

    def _save(self, vkey: str, replay: Replay, note: str, violations: list[Violation]) -> None:
        assert self.state_dir is not None
        if violations:
            with open(self.state_dir / VIOLATIONS_FILE, "a", encoding="utf-8") as f:
                for v in violations:
                    f.write(json.dumps(v.to_json(), ensure_ascii=False) + "\n")
                f.flush()
                os.fsync(f.fileno())
            fsync_dir(self.state_dir)
        obj = {"format": STATE_FORMAT, "log_vkey": vkey, "checkpoint": note, "replay": replay.to_json()}
        write_atomically(self.state_dir / STATE_FILE, json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


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
