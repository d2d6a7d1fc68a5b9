"""A witness: follows one log, cosigns each checkpoint consistent with the last it cosigned.

This is the split-view protection of Certificate Transparency and sigsum. A log could show one
history to some readers and another to others, or rewrite its past; a witness that cosigns only
checkpoints it has seen grow append-only from the last one it cosigned makes that detectable:
two cosigned checkpoints that contradict each other cannot both come from the same witness.

One :meth:`Witness.run_once`:

1. fetches the log's latest checkpoint and checks the log's signature with the pinned log key
   (``--log-vkey``, else the one pinned in the state, else — first run only — the key the log
   serves at ``/api/v1/log/vkey``, trusted on first use and pinned from then on). When the log
   rotated its key, the checkpoint is signed by a newer key: the witness reads the entries after
   its cosigned size for ``log.key_rotated`` entries, each signed by the key before it, checks
   each is in the new tree (inclusion proof), and pins the key in force at the new size;
2. compares it with the last checkpoint this witness cosigned (its *state*):

   - same size, same root: already cosigned; the stored cosignature is submitted again (a
     crash between saving and submitting is repaired this way);
   - same size, another root: **split view** — refused, evidence written;
   - larger: the log's consistency proof from the old size must verify
     (:func:`ledger.protocol.merkle.verify_consistency`), otherwise **rewritten history** — refused,
     evidence written;
   - smaller: never cosigned. If the log gives a consistency proof from the smaller size to
     the cosigned one and it fails, that is evidence too; otherwise the checkpoint is just
     stale (a cache, a replica behind) and is refused without evidence;

3. cosigns it (C2SP tlog-cosignature v1, :func:`ledger.protocol.checkpoint.cosign`), saves the new
   state **before** the cosignature leaves the process, and
4. submits it to the log: ``POST /api/v1/log/add-checkpoint`` with the C2SP tlog-witness body
   (``old <size>``, the consistency proof in base64 lines, an empty line, the checkpoint with
   the cosignature added). A 409 answer names the size the log holds this witness's latest
   cosignature for; the witness fetches a proof from there and sends once more.

Across the chain of yearly logs (shards): when the served checkpoint names another origin than
the state's, the log was rolled over (``ledger.store.runtime.roll_over``). The witness looks its
log up in ``GET /api/v1/log/shards`` and walks the chain from there to the served origin, each
log sealed and naming the next (``next_origin``). For every log on the way it reads the
per-shard endpoints (``/api/v1/log/shards/N/...``) and checks, before changing anything:

- the log's checkpoint (a sealed log's final one; the served one for the last) is signed by the
  pinned log key, or by a key reached from it through ``log.key_rotated`` entries of that log;
- the state's log: its final checkpoint is consistent with the one the witness cosigned (as in
  2. above; a contradiction, or a final size below the cosigned one, is evidence);
- a sealed log: its last entry (inclusion proof in the final checkpoint) is ``log.sealed``
  signed by the log key in force, naming the next origin and the final size;
- a later log: its entry 0 (inclusion proof in its checkpoint) is a ``registry.genesis`` signed
  by the log key in force at the end of the log before, naming it as ``log_key``, whose
  ``data.previous`` names exactly that log's final checkpoint (origin, size, root). A signed
  and included genesis naming another checkpoint is evidence (``genesis_names_another_checkpoint``).

Then it cosigns each sealed log's final checkpoint (a record per log in ``earlier_logs``), moves
the state to the served origin (size 0, the same key under the new origin's name) and cosigns
the served checkpoint as that log's first; all in one atomic save, before anything is submitted.
The final checkpoints' cosignatures are submitted with add-checkpoint (the log accepts those of
a sealed log's final checkpoint); one not yet taken is sent again in later rounds.

State (one folder per witness and log): ``state.json`` holds the log's origin and pinned key,
the witness name, and the last cosigned size, root, signed checkpoint and cosignature line. It
is replaced atomically (temporary file, fsync, rename, fsync of the folder), only ever moves
forward (a save that would lower the size or change the root of the same size is refused), and
a ``lock`` file (``flock``) keeps two processes from using one state folder at once.

Evidence: ``evidence-<UTC time>/previous.checkpoint`` (the cosigned one), ``offered.checkpoint``
(the contradicting one, exactly as served) and ``reason.json`` (what failed: the kind, both
sizes and roots, the proof, the log URL, the time). The same contradiction seen again is not
written twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import httpx

from ledger.domain.rules import GENESIS, LOG_KEY_ROTATED, LOG_SEALED
from ledger.errors import LedgerError, VerificationError, define
from ledger.protocol.checkpoint import Checkpoint, cosign, format_witness_key, verify_checkpoint
from ledger.protocol.entry import parse_leaf, signature_valid
from ledger.protocol.keys import KeyPair, b64, check_public_key, key_id, unb64
from ledger.protocol.merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger.protocol.note import (
    SIG_ED25519,
    add_signatures,
    format_verifier_key,
    is_valid_name,
    parse_note,
    parse_verifier_key,
)
from ledger.protocol.witness_protocol import (
    ADD_CHECKPOINT_PATH,
    SIZE_CONTENT_TYPE,
    build_add_checkpoint_request,
    parse_cosignature_response,
    parse_size_response,
)
from ledger.services.remote import LogClient

STATE_FILE = "state.json"
LOCK_FILE = "lock"
STATE_FORMAT = 1
SUBMIT_PATH = "/api/v1/log/" + ADD_CHECKPOINT_PATH

# Exit statuses of ``charity-ledger witness --once`` (and of a loop that stops).
EXIT_COSIGNED = 0  # cosigned (or already had) and the log took the cosignature
EXIT_REFUSED = 1  # refused: bad signature, stale checkpoint, or a split view (evidence written)
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3  # the log could not be reached, or refused the submission: try again

WITNESS_STATE_INVALID = define(
    "witness_state_invalid",
    "invalid",
    "The witness state in {path} cannot be used: {detail}.",
    "见证方状态目录 {path} 无法使用：{detail}。",
)
WITNESS_STATE_BUSY = define(
    "witness_state_busy",
    "conflict",
    "Another witness process is using the state folder {path}.",
    "另一个见证进程正在使用状态目录 {path}。",
)
WITNESS_STATE_ROLLBACK = define(
    "witness_state_rollback",
    "refused",
    "The witness state would go back from size {old_size} to {new_size} (or change the root of a cosigned size); refused.",
    "见证方状态将从树大小 {old_size} 回退到 {new_size}（或改变已副署大小的根哈希），已拒绝。",
)
WITNESS_LOG_UNAVAILABLE = define(
    "witness_log_unavailable",
    "unavailable",
    "The log at {url} could not be used: {detail}. Nothing was cosigned; try again later.",
    "无法使用账本 {url}：{detail}。未副署任何内容，请稍后重试。",
)
WITNESS_SUBMIT_FAILED = define(
    "witness_submit_failed",
    "unavailable",
    "The log at {url} did not take the cosignature of size {size} (HTTP {status}): {detail}. It is saved and will be sent again.",
    "账本 {url} 未接收树大小 {size} 的副署（HTTP {status}）：{detail}。副署已保存，下次将重新提交。",
)
WITNESS_SPLIT_VIEW = define(
    "witness_split_view",
    "refused",
    "The log showed two checkpoints that cannot both be true ({kind}): size {old_size} root {old_root} "
    "and size {new_size} root {new_root}. Not cosigned; evidence in {evidence}.",
    "账本出示了两个不可能同时成立的检查点（{kind}）：树大小 {old_size} 根 {old_root} 与树大小 {new_size} 根 {new_root}。"
    "未副署；证据保存在 {evidence}。",
)
WITNESS_STALE = define(
    "witness_stale_checkpoint",
    "refused",
    "The log offers size {new_size}, smaller than the size {old_size} this witness cosigned; a witness never cosigns a smaller tree.",
    "账本出示的树大小 {new_size} 小于本见证方已副署的 {old_size}；见证方从不副署更小的树。",
)
WITNESS_STATE_ORIGIN_ROLLBACK = define(
    "witness_state_origin_rollback",
    "refused",
    "The witness state would move from the log {old_origin} to {new_origin}, which it has not followed the chain to; refused.",
    "见证方状态将从账本 {old_origin} 转到 {new_origin}，但并未沿账本链核实到后者，已拒绝。",
)
WITNESS_EARLIER_LOG = define(
    "witness_earlier_log",
    "refused",
    "The log offers a checkpoint of {served}, an earlier log of the chain than {origin}, the one this witness follows now; "
    "a witness never goes back to a sealed log.",
    "账本出示的是 {served} 的检查点，早于本见证方当前跟随的 {origin}；见证方从不回到已封存的账本。",
)
WITNESS_CHAIN_BROKEN = define(
    "witness_chain_broken",
    "refused",
    "The log offers a checkpoint of {served}, but the chain of logs it lists does not lead there from {origin}, "
    "the log this witness cosigned: {detail}. Not cosigned.",
    "账本出示的是 {served} 的检查点，但其列出的账本链无法从本见证方已副署的 {origin} 走到该账本：{detail_zh}。未副署。",
)
WITNESS_SEAL_INVALID = define(
    "witness_seal_invalid",
    "refused",
    "The log {origin} is listed as sealed, but its final checkpoint does not show it: {detail}. Not cosigned.",
    "账本 {origin} 被列为已封存，但其最终检查点无法证明这一点：{detail_zh}。未副署。",
)
WITNESS_CONTINUATION_INVALID = define(
    "witness_continuation_invalid",
    "refused",
    "The log {origin} does not open with a genesis continuing {previous}, signed by the pinned log key: {detail}. Not cosigned.",
    "账本 {origin} 的第一个条目不是由固定的账本密钥签名、接续 {previous} 的创世条目：{detail_zh}。未副署。",
)


# --- files ----------------------------------------------------------------------------------


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file.

    Write a temporary file next to it, fsync it, rename it over ``path``, fsync the folder.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def read_json_file(path: Path, invalid: str) -> Any:
    """The JSON value in ``path``; None when there is no such file; the error code ``invalid``
    (with ``path`` and ``detail``) when it is not JSON."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise LedgerError(invalid, path=str(path), detail=f"not JSON ({exc})") from exc


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``folder/lock`` (refuse at once if another process has it)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LedgerError(WITNESS_STATE_BUSY, path=str(folder)) from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


# --- state ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EarlierLog:
    """A sealed log of the chain the witness followed past: its final checkpoint, cosigned."""

    origin: str
    shard: int  # its index in the chain (/api/v1/log/shards/N)
    size: int  # final size
    root: str  # final root, hex
    checkpoint: str  # the final signed note as the log served it
    cosignature: str  # this witness's cosignature line for it
    cosigned_at: int
    log_vkey: str  # the key that signed the final checkpoint (named by its origin)
    from_size: int = 0  # the size of this log the witness had cosigned before (0: none)
    submitted: bool = False  # the log took the cosignature


@dataclass(frozen=True, slots=True)
class WitnessState:
    """What a witness remembers about one log: its key, and the last checkpoint it cosigned."""

    origin: str
    log_vkey: str
    name: str  # the witness's key name (part of its verifier key)
    size: int = 0  # last cosigned tree size (0: none yet)
    root: str = ""  # its root, hex ("" when size is 0)
    checkpoint: str = ""  # the signed note as the log served it
    cosignature: str = ""  # this witness's cosignature line for it
    cosigned_at: int = 0  # POSIX seconds in the cosignature
    earlier_log_vkeys: tuple[str, ...] = ()  # keys the log rotated away from, oldest first
    earlier_logs: tuple[EarlierLog, ...] = ()  # sealed logs of the chain followed past, oldest first

    def to_json(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            **asdict(self),
            "earlier_log_vkeys": list(self.earlier_log_vkeys),
            "earlier_logs": [asdict(e) for e in self.earlier_logs],
        }

    @classmethod
    def from_json(cls, obj: Any, path: Path) -> WitnessState:
        if not isinstance(obj, dict) or obj.get("format") != STATE_FORMAT:
            raise LedgerError(
                WITNESS_STATE_INVALID, path=str(path), detail=f"not a format {STATE_FORMAT} witness state"
            )
        try:
            fields_ = {k: v for k, v in obj.items() if k != "format"}
            fields_["earlier_log_vkeys"] = tuple(fields_.get("earlier_log_vkeys", ()))
            earlier = fields_.get("earlier_logs", ())
            if not isinstance(earlier, list | tuple) or not all(isinstance(e, dict) for e in earlier):
                raise TypeError("earlier_logs must be a list of objects")
            fields_["earlier_logs"] = tuple(EarlierLog(**e) for e in earlier)
            state = cls(**fields_)
        except TypeError as exc:
            raise LedgerError(WITNESS_STATE_INVALID, path=str(path), detail=str(exc)) from exc
        if state.size and Checkpoint.parse(parse_note(state.checkpoint).text).root.hex() != state.root:
            raise LedgerError(
                WITNESS_STATE_INVALID, path=str(path), detail="the stored checkpoint does not match the stored root"
            )
        return state


def load_state(folder: Path) -> WitnessState | None:
    path = Path(folder) / STATE_FILE
    obj = read_json_file(path, WITNESS_STATE_INVALID)
    return None if obj is None else WitnessState.from_json(obj, path)


def save_state(folder: Path, new: WitnessState, old: WitnessState | None) -> None:
    """Write ``new`` atomically; refuse anything that would move the cosigned tree back.

    Moving to another log of the chain is only forward: ``new`` must keep the logs ``old`` had
    followed past, and record ``old``'s log among them with a final size no smaller than the
    one cosigned there.
    """
    if old is not None and new.origin != old.origin:
        passed = {e.origin: e for e in new.earlier_logs}
        kept = [e.origin for e in new.earlier_logs[: len(old.earlier_logs)]] == [e.origin for e in old.earlier_logs]
        sealed = passed.get(old.origin)
        if not kept or sealed is None or sealed.size < old.size or new.origin in passed:
            raise LedgerError(WITNESS_STATE_ORIGIN_ROLLBACK, old_origin=old.origin, new_origin=new.origin)
    elif old is not None and old.size and (new.size < old.size or (new.size == old.size and new.root != old.root)):
        raise LedgerError(WITNESS_STATE_ROLLBACK, old_size=old.size, new_size=new.size)
    data = json.dumps(new.to_json(), ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    write_atomically(Path(folder) / STATE_FILE, data)


# --- evidence -------------------------------------------------------------------------------


def write_evidence(folder: Path, previous: str, offered: str, reason: dict[str, Any], *, now: float) -> Path:
    """Keep two contradicting signed checkpoints and why; returns the evidence folder.

    The same pair seen again returns the folder written the first time.
    """
    digest = hashlib.sha256(previous.encode() + b"\x00" + offered.encode()).hexdigest()
    for existing in sorted(Path(folder).glob("evidence-*")):
        try:
            if json.loads((existing / "reason.json").read_text("utf-8")).get("pair_sha256") == digest:
                return existing
        except (OSError, ValueError):
            continue
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    final = Path(folder) / f"evidence-{stamp}"
    tmp = Path(folder) / f".evidence-{stamp}.tmp"
    tmp.mkdir(mode=0o700)
    body = {**reason, "pair_sha256": digest}
    for name, data in (
        ("previous.checkpoint", previous.encode("utf-8")),
        ("offered.checkpoint", offered.encode("utf-8")),
        ("reason.json", json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"),
    ):
        write_atomically(tmp / name, data, mode=0o644)
    os.replace(tmp, final)
    fsync_dir(Path(folder))
    return final


# --- the witness ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one run did: ``status`` is cosigned, already_cosigned, split_view, stale, refused or unavailable."""

    status: str
    exit_code: int
    size: int | None = None
    root: str | None = None
    message: str = ""
    message_zh: str = ""
    evidence: str | None = None
    cosignature: str | None = None
    submitted: bool = False
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if v not in (None, {}, "")}
        out["exit_code"] = self.exit_code
        out["submitted"] = self.submitted
        return out


class _Contradiction(Exception):
    def __init__(self, kind: str, detail: str, proof: list[bytes]) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.proof = proof


def witness_name_for(key: KeyPair) -> str:
    """The default witness name of a key: ``witness-<first 8 hex of its key id>``."""
    return f"witness-{key.id[:8]}"


def witness_vkey(key: KeyPair, name: str) -> str:
    """The C2SP verifier key (type 0x04) that logs and verifiers configure for this witness."""
    return format_witness_key(name, key.public)


class Witness:
    """One witness key following one log (see the module docstring)."""

    def __init__(
        self,
        key: KeyPair,
        state_dir: Path,
        log: LogClient,
        *,
        name: str | None = None,
        log_vkey: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if name is not None and not is_valid_name(name):
            raise LedgerError(
                WITNESS_STATE_INVALID, path=str(state_dir), detail=f"the witness name {name!r} has spaces or '+'"
            )
        if log_vkey is not None:
            parse_verifier_key(log_vkey, sig_types=(SIG_ED25519,))
        self.key = key
        self.state_dir = Path(state_dir)
        self.log = log
        self.name = name
        self.log_vkey = log_vkey
        self.clock = clock

    # -- one round ------------------------------------------------------------------------

    def run_once(self) -> Outcome:
        with locked(self.state_dir):
            state = load_state(self.state_dir)
            try:
                return self._round(state)
            except _Unavailable as exc:
                return _outcome_of(exc.error, "unavailable", EXIT_UNAVAILABLE)
            except _Done as done:
                return done.outcome

    def _round(self, loaded: WitnessState | None) -> Outcome:
        vkey, name = self._identity(loaded)
        note = self._call("fetching the checkpoint", self.log.checkpoint)
        state = loaded
        earlier: tuple[str, ...] = state.earlier_log_vkeys if state is not None else ()
        client = self.log  # where the served checkpoint's proofs come from
        crossed: tuple[EarlierLog, ...] = ()
        served_origin = _origin_of(note)
        if state is not None and served_origin is not None and served_origin != state.origin:
            # the log was rolled over: follow the chain (nothing is saved unless all of it checks out)
            state, checkpoint, client, crossed = self._cross(state, note)
            vkey, earlier = state.log_vkey, state.earlier_log_vkeys
        else:
            try:
                checkpoint = verify_checkpoint(note, vkey)
            except LedgerError as exc:
                followed = self._follow_rotations(self.log, state.size if state else 0, vkey, note)
                if followed is None:
                    return _outcome_of(exc, "refused", EXIT_REFUSED)
                checkpoint, keys = followed
                earlier, vkey = (*earlier, vkey, *keys[:-1]), keys[-1]
            if state is not None and checkpoint.origin != state.origin:
                wrong = VerificationError("checkpoint origin", expected=state.origin, actual=checkpoint.origin)
                return _outcome_of(wrong, "refused", EXIT_REFUSED)
            if state is None:
                state = WitnessState(origin=checkpoint.origin, log_vkey=vkey, name=name)
        try:
            proof = self._check_against(state, checkpoint, client)
        except _Contradiction as c:
            return self._split_view(state, note, checkpoint, c, vkey)
        except _Stale:
            err = LedgerError(WITNESS_STALE, old_size=state.size, new_size=checkpoint.size)
            return _outcome_of(err, "stale", EXIT_REFUSED, size=checkpoint.size, root=checkpoint.root.hex())

        if state.size and state.size == checkpoint.size:
            line, status, current = state.cosignature, "already_cosigned", state
        else:
            stamp = int(self.clock())
            line = cosign(checkpoint, self.key, name, stamp)
            current = replace(
                state,
                size=checkpoint.size,
                root=checkpoint.root.hex(),
                checkpoint=note,
                cosignature=line.rstrip("\n"),
                cosigned_at=stamp,
                log_vkey=vkey,
                earlier_log_vkeys=earlier,
            )
            save_state(self.state_dir, current, loaded)  # stored before it is released
            status = "cosigned"
        cosigned_note = add_signatures(note, [line])
        result: dict[str, Any] = {
            "size": checkpoint.size,
            "root": checkpoint.root.hex(),
            "cosignature": line.rstrip("\n"),
        }
        if crossed:
            result["details"] = {
                "earlier_logs": [{"origin": e.origin, "size": e.size, "root": e.root} for e in crossed]
            }
        pending: LedgerError | None = None
        try:
            self._submit_pending(current)  # cosignatures of sealed logs' final checkpoints not yet taken
        except _Unavailable as exc:
            pending = exc.error
        try:
            self._submit(client, state.size, proof, cosigned_note, checkpoint.size)
        except _Unavailable as exc:
            return _outcome_of(exc.error, status, EXIT_UNAVAILABLE, **result)
        if pending is not None:
            return _outcome_of(pending, status, EXIT_UNAVAILABLE, submitted=True, **result)
        message = f"cosigned {checkpoint.origin} at size {checkpoint.size}"
        message_zh = f"已副署 {checkpoint.origin} 树大小 {checkpoint.size}"
        if crossed:
            message += "; before it, the final checkpoint" + "".join(
                f" of {e.origin} at size {e.size}" for e in crossed
            )
            message_zh += "；此前已副署最终检查点：" + "、".join(f"{e.origin} 树大小 {e.size}" for e in crossed)
        return Outcome(status, EXIT_COSIGNED, message=message, message_zh=message_zh, submitted=True, **result)

    def _identity(self, state: WitnessState | None) -> tuple[str, str]:
        """The log key to trust and the witness name, reconciling options with the state."""
        where = str(self.state_dir)
        if state is not None:
            known = (state.log_vkey, *state.earlier_log_vkeys, *(e.log_vkey for e in state.earlier_logs))
            if self.log_vkey is not None and self.log_vkey not in known:
                raise LedgerError(
                    WITNESS_STATE_INVALID,
                    path=where,
                    detail=f"the state pins the log key {state.log_vkey}, not {self.log_vkey}",
                )
            if self.name is not None and self.name != state.name:
                raise LedgerError(
                    WITNESS_STATE_INVALID,
                    path=where,
                    detail=f"the state belongs to the witness {state.name!r}, not {self.name!r}",
                )
            return state.log_vkey, state.name
        vkey = self.log_vkey or self._call("fetching the log key", self.log.vkey)
        try:
            parse_verifier_key(vkey, sig_types=(SIG_ED25519,))
        except LedgerError as exc:
            raise _Unavailable(self._unavailable(f"the log serves an invalid key ({exc.message_en})")) from exc
        return vkey, self.name or witness_name_for(self.key)

    def _follow_rotations(
        self, client: LogClient, cosigned: int, vkey: str, note: str
    ) -> tuple[Checkpoint, list[str]] | None:
        """The checkpoint and the log keys it was reached through, when the pinned key rotated.

        Reads the leaves of ``client``'s log after the cosigned size for ``log.key_rotated``
        entries, each signed by the key before it (the first by the pinned key); the checkpoint
        must verify with the key in force at its size, and each rotation leaf must be in its
        tree (inclusion proof). None when no such chain leads to a key that signed the checkpoint.
        """
        try:
            claimed = Checkpoint.parse(parse_note(note).text)
        except LedgerError:
            return None
        if claimed.size <= cosigned:
            return None
        current = parse_verifier_key(vkey, sig_types=(SIG_ED25519,)).public
        chain: list[tuple[int, bytes, bytes]] = []  # (seq, leaf hash, new key)
        leaves = self._call(
            "reading the entries for key rotations", lambda: list(client.entries(cosigned, claimed.size))
        )
        for seq, raw in enumerate(leaves, start=cosigned):
            new = rotation_in(raw, seq, claimed.origin, current)
            if new is not None:
                chain.append((seq, leaf_hash(raw), new))
                current = new
        if not chain:
            return None
        keys = [format_verifier_key(claimed.origin, new) for _, _, new in chain]
        try:
            checkpoint = verify_checkpoint(note, keys[-1])
            for seq, lh, _ in chain:
                proof = [
                    bytes.fromhex(h)
                    for h in self._call("fetching an inclusion proof", client.inclusion, seq, claimed.size)
                ]
                verify_inclusion(lh, seq, claimed.size, proof, checkpoint.root)
        except (LedgerError, ValueError):
            return None
        return checkpoint, keys

    def _check_against(
        self, state: WitnessState, checkpoint: Checkpoint, client: LogClient | None = None
    ) -> list[bytes]:
        """The consistency proof from the cosigned size, verified; raises on a contradiction."""
        old_root = bytes.fromhex(state.root) if state.size else b""
        if state.size == 0:
            return []
        if checkpoint.size == state.size:
            if checkpoint.root != old_root:
                raise _Contradiction("same_size_different_root", "the log signed two roots for one tree size", [])
            return []
        if checkpoint.size > state.size:
            proof = self._proof(state.size, checkpoint.size, client)
            try:
                verify_consistency(state.size, checkpoint.size, old_root, checkpoint.root, proof)
            except VerificationError as exc:
                raise _Contradiction(
                    "inconsistent_proof", f"the consistency proof does not verify: {exc.what}", proof
                ) from exc
            return proof
        # smaller: never cosigned; evidence only if the log proves its own contradiction
        try:
            proof = self._proof(checkpoint.size, state.size, client)
        except _Unavailable:
            raise _Stale() from None
        try:
            verify_consistency(checkpoint.size, state.size, checkpoint.root, old_root, proof)
        except VerificationError as exc:
            raise _Contradiction(
                "inconsistent_proof", f"the older checkpoint is not a prefix of the cosigned one: {exc.what}", proof
            ) from exc
        raise _Stale()

    def _split_view(
        self, state: WitnessState, note: str, checkpoint: Checkpoint, c: _Contradiction, offered_vkey: str
    ) -> Outcome:
        now = self.clock()
        reason = {
            "kind": c.kind,
            "detail": c.detail,
            "origin": state.origin,
            "log": self.log.base,
            "log_vkey": state.log_vkey,
            "offered_log_vkey": offered_vkey,
            "witness": state.name,
            "previous": {"size": state.size, "root": state.root},
            "offered": {"size": checkpoint.size, "root": checkpoint.root.hex()},
            "proof": [p.hex() for p in c.proof],
            "detected_at": _utc(now),
        }
        folder = write_evidence(self.state_dir, state.checkpoint, note, reason, now=now)
        err = LedgerError(
            WITNESS_SPLIT_VIEW,
            kind=c.kind,
            old_size=state.size,
            old_root=state.root,
            new_size=checkpoint.size,
            new_root=checkpoint.root.hex(),
            evidence=str(folder),
        )
        return _outcome_of(
            err,
            "split_view",
            EXIT_REFUSED,
            size=checkpoint.size,
            root=checkpoint.root.hex(),
            evidence=str(folder),
            details=reason,
        )

    # -- across the chain of logs ---------------------------------------------------------

    def _cross(
        self, state: WitnessState, note: str
    ) -> tuple[WitnessState, Checkpoint, LogClient, tuple[EarlierLog, ...]]:
        """Follow the chain from the state's log to the served checkpoint's (module docstring).

        Returns the state moved to the served log (not saved: size 0, the key in force, the
        sealed logs passed recorded with their final checkpoints cosigned), the served
        checkpoint verified, the client for its log and the records added. Raises ``_Done``
        with the outcome when anything does not check out (evidence written for a contradiction).
        """
        served = Checkpoint.parse(parse_note(note).text)
        if served.origin in {e.origin for e in state.earlier_logs}:
            self._refuse(LedgerError(WITNESS_EARLIER_LOG, served=served.origin, origin=state.origin), "stale")
        path = self._chain_path(state, served.origin)
        key = parse_verifier_key(state.log_vkey, sig_types=(SIG_ED25519,)).public
        earlier = state.earlier_log_vkeys
        crossed: list[EarlierLog] = []
        before: tuple[Checkpoint, str, str] | None = None  # the log before: final checkpoint, its note, its vkey
        client, checkpoint, vkey = self.log, served, state.log_vkey
        for pos, shard in enumerate(path):
            origin, last = shard["origin"], pos == len(path) - 1
            client = self.log if last and not shard["sealed"] else self.log.for_shard(shard["index"])
            this_note = note if last else self._call(f"fetching the final checkpoint of {origin}", client.checkpoint)
            cosigned = state.size if pos == 0 else 0
            start_key = key  # the log key in force where this log starts
            vkey = format_verifier_key(origin, key)
            try:
                checkpoint = verify_checkpoint(this_note, vkey, origin=origin)
            except LedgerError as exc:
                followed = self._follow_rotations(client, cosigned, vkey, this_note)
                if followed is None or followed[0].origin != origin:
                    self._refuse(exc)
                checkpoint, keys = followed
                earlier, vkey = (*earlier, vkey, *keys[:-1]), keys[-1]
                key = parse_verifier_key(vkey, sig_types=(SIG_ED25519,)).public
            if before is not None:
                self._check_genesis(client, state, this_note, checkpoint, vkey, start_key, before)
            if last:
                break
            self._check_sealed(client, checkpoint, key, path[pos + 1]["origin"])
            if pos == 0:
                try:
                    self._check_against(state, checkpoint, client)
                except _Contradiction as c:
                    raise _Done(self._split_view(state, this_note, checkpoint, c, vkey)) from None
                except _Stale:
                    below = _Contradiction(
                        "sealed_below_cosigned",
                        f"the log sealed {origin} at size {checkpoint.size}, below the size {state.size} this witness cosigned",
                        [],
                    )
                    raise _Done(self._split_view(state, this_note, checkpoint, below, vkey)) from None
            if pos == 0 and state.size == checkpoint.size:  # its final checkpoint was cosigned already
                line, stamp = state.cosignature, state.cosigned_at
            else:
                stamp = int(self.clock())
                line = cosign(checkpoint, self.key, state.name, stamp).rstrip("\n")
            crossed.append(
                EarlierLog(
                    origin=origin,
                    shard=shard["index"],
                    size=checkpoint.size,
                    root=checkpoint.root.hex(),
                    checkpoint=this_note,
                    cosignature=line,
                    cosigned_at=stamp,
                    log_vkey=vkey,
                    from_size=min(cosigned, checkpoint.size),
                )
            )
            before = (checkpoint, this_note, vkey)
        moved = replace(
            state,
            origin=served.origin,
            log_vkey=vkey,
            size=0,
            root="",
            checkpoint="",
            cosignature="",
            cosigned_at=0,
            earlier_log_vkeys=earlier,
            earlier_logs=state.earlier_logs + tuple(crossed),
        )
        return moved, checkpoint, client, tuple(crossed)

    def _chain_path(self, state: WitnessState, served: str) -> list[dict[str, Any]]:
        """The logs of the chain from the state's to ``served``, as the log lists them."""
        listed = self._call("listing the logs of the chain", self.log.shards)
        try:
            shards = [_shard_listed(s) for s in listed]
        except (TypeError, ValueError, KeyError) as exc:
            raise _Unavailable(
                self._unavailable(f"the list of logs at /api/v1/log/shards is not valid ({exc})")
            ) from exc
        origins = [s["origin"] for s in shards]

        def broken(detail: str, detail_zh: str) -> NoReturn:
            self._refuse(
                LedgerError(
                    WITNESS_CHAIN_BROKEN, served=served, origin=state.origin, detail=detail, detail_zh=detail_zh
                )
            )

        for origin in (state.origin, served):
            if origin not in origins:
                broken(f"it does not list {origin}", f"账本链中没有 {origin}")
        start, end = origins.index(state.origin), origins.index(served)
        if end < start:
            self._refuse(LedgerError(WITNESS_EARLIER_LOG, served=served, origin=state.origin), "stale")
        for here, after in zip(
            shards[start:end], shards[start + 1 : end + 1], strict=False
        ):  # after: one shorter at the end
            if not here["sealed"] or here["next_origin"] != after["origin"]:
                broken(
                    f"{here['origin']} is not sealed into {after['origin']}",
                    f"{here['origin']} 并未封存并接续到 {after['origin']}",
                )
        return shards[start : end + 1]

    def _check_sealed(self, client: LogClient, checkpoint: Checkpoint, key: bytes, next_origin: str) -> None:
        """The last entry of a sealed log's final checkpoint is its ``log.sealed``, signed by the
        log key in force (``key``), naming ``next_origin`` and the final size."""
        origin, size = checkpoint.origin, checkpoint.size

        def bad(detail: str, detail_zh: str) -> NoReturn:
            self._refuse(LedgerError(WITNESS_SEAL_INVALID, origin=origin, detail=detail, detail_zh=detail_zh))

        if size == 0:
            bad("its final checkpoint is of an empty tree", "其最终检查点对应空树")
        seq = size - 1
        raw = self._leaf(client, seq, origin)
        if self._included(client, raw, seq, checkpoint) is None:
            bad(
                f"the inclusion proof of its last entry (seq {seq}) does not verify",
                f"其最后一个条目（序号 {seq}）的包含证明无法验证",
            )
        try:
            leaf = parse_leaf(raw)
            entry = leaf.entry
            signed = (
                leaf.seq == seq
                and entry.type == LOG_SEALED
                and entry.body["log"] == origin
                and entry.signer == key_id(key)
                and signature_valid(entry, key)
            )
        except LedgerError:
            signed = False
        if not signed:
            bad(
                f"its last entry (seq {seq}) is not a log.sealed of {origin} signed by the log key {key_id(key)}",
                f"其最后一个条目（序号 {seq}）不是由账本密钥 {key_id(key)} 签名的 {origin} 的 log.sealed",
            )
        named = (entry.data.get("next_origin"), entry.data.get("size"))
        if named != (next_origin, size):
            bad(
                f"its log.sealed names {named[0]} at size {named[1]}, not {next_origin} at size {size}",
                f"其 log.sealed 指明的是 {named[0]}（树大小 {named[1]}），而非 {next_origin}（树大小 {size}）",
            )

    def _check_genesis(
        self,
        client: LogClient,
        state: WitnessState,
        note: str,
        checkpoint: Checkpoint,
        vkey: str,
        key: bytes,
        before: tuple[Checkpoint, str, str],
    ) -> None:
        """Entry 0 of a later log is a genesis signed by ``key`` (the log key in force when the
        log before was sealed) naming that log's final checkpoint; it is in ``checkpoint``."""
        final, final_note, final_vkey = before
        origin, previous = checkpoint.origin, final.origin

        def bad(detail: str, detail_zh: str) -> NoReturn:
            self._refuse(
                LedgerError(
                    WITNESS_CONTINUATION_INVALID,
                    origin=origin,
                    previous=previous,
                    detail=detail,
                    detail_zh=detail_zh,
                )
            )

        if checkpoint.size == 0:
            bad("its checkpoint is of an empty tree", "其检查点对应空树")
        raw = self._leaf(client, 0, origin)
        proof = self._included(client, raw, 0, checkpoint)
        if proof is None:
            bad("the inclusion proof of its entry 0 does not verify", "其条目 0 的包含证明无法验证")
        try:
            leaf = parse_leaf(raw)
            entry = leaf.entry
            signed = (
                leaf.seq == 0
                and entry.body["log"] == origin
                and entry.signer == key_id(key)
                and signature_valid(entry, key)
            )
        except LedgerError:
            bad("its entry 0 is not a valid leaf", "其条目 0 不是有效的叶子")
        if entry.type != GENESIS:
            bad(f"its entry 0 is a {entry.type}", f"其条目 0 的类型是 {entry.type}")
        if not signed:
            bad(
                f"its entry 0 is not signed by the log key {key_id(key)}, in force when {previous} was sealed",
                f"其条目 0 不是由 {previous} 封存时有效的账本密钥 {key_id(key)} 签名",
            )
        data = entry.data
        if data.get("log_key") != b64(key) or data.get("origin") != origin:
            bad(
                "the genesis does not name that log key as log_key, or names another origin",
                "创世条目未将该账本密钥列为 log_key，或列出了其他 origin",
            )
        named = data.get("previous")
        if not isinstance(named, dict):
            bad("the genesis names no log it continues (data.previous)", "创世条目未指明所接续的账本（data.previous）")
        expected = {"origin": previous, "size": final.size, "root_hash": final.root.hex()}
        got = {k: named.get(k) for k in expected}
        inner = _named_checkpoint(named.get("checkpoint"))
        if got == expected and inner == tuple(expected.values()):
            return
        if got == expected and inner is None:
            bad("data.previous.checkpoint is not a signed checkpoint", "data.previous.checkpoint 不是已签名的检查点")
        # signed by the log key and in its signed tree: the log contradicts its own final checkpoint
        if got == expected:
            got = dict(zip(expected, inner, strict=False))  # type: ignore[arg-type]
        now = self.clock()
        reason = {
            "kind": "genesis_names_another_checkpoint",
            "detail": (
                f"the genesis of {origin} (entry 0, in the offered checkpoint) names {got['origin']} size {got['size']} "
                f"root {got['root_hash']} as the log it continues, not the final checkpoint of {previous}"
            ),
            "origin": previous,
            "next_origin": origin,
            "log": self.log.base,
            "log_vkey": final_vkey,
            "offered_log_vkey": vkey,
            "witness": state.name,
            "previous": {"size": final.size, "root": final.root.hex()},
            "offered": {"size": checkpoint.size, "root": checkpoint.root.hex()},
            "named": got,
            "genesis": raw.decode("utf-8"),
            "proof": [p.hex() for p in proof],
            "detected_at": _utc(now),
        }
        folder = write_evidence(self.state_dir, final_note, note, reason, now=now)
        err = LedgerError(
            WITNESS_SPLIT_VIEW,
            kind=reason["kind"],
            old_size=final.size,
            old_root=final.root.hex(),
            new_size=got["size"],
            new_root=got["root_hash"],
            evidence=str(folder),
        )
        raise _Done(
            _outcome_of(
                err,
                "split_view",
                EXIT_REFUSED,
                size=checkpoint.size,
                root=checkpoint.root.hex(),
                evidence=str(folder),
                details=reason,
            )
        )

    def _leaf(self, client: LogClient, seq: int, origin: str) -> bytes:
        leaves: list[bytes] = self._call(f"reading entry {seq} of {origin}", lambda: list(client.entries(seq, seq + 1)))
        return leaves[0]

    def _included(self, client: LogClient, raw: bytes, index: int, checkpoint: Checkpoint) -> list[bytes] | None:
        """The inclusion proof of leaf ``raw`` at ``index`` in ``checkpoint``, verified; None if it fails."""
        hashes = self._call(f"fetching the inclusion proof of entry {index}", client.inclusion, index, checkpoint.size)
        try:
            proof = [bytes.fromhex(h) for h in hashes]
            verify_inclusion(leaf_hash(raw), index, checkpoint.size, proof, checkpoint.root)
        except (LedgerError, TypeError, ValueError):
            return None
        return proof

    def _refuse(self, error: LedgerError, status: str = "refused") -> NoReturn:
        raise _Done(_outcome_of(error, status, EXIT_REFUSED))

    def _submit_pending(self, state: WitnessState) -> WitnessState:
        """Send the cosignatures of sealed logs' final checkpoints the log has not taken yet,
        oldest first, recording each one taken."""
        current = state
        for i, record in enumerate(state.earlier_logs):
            if record.submitted:
                continue
            client = self.log.for_shard(record.shard)
            old = record.from_size
            proof = self._proof(old, record.size, client) if 0 < old < record.size else []
            self._submit(client, old, proof, add_signatures(record.checkpoint, [record.cosignature]), record.size)
            records = list(current.earlier_logs)
            records[i] = replace(record, submitted=True)
            done = replace(current, earlier_logs=tuple(records))
            save_state(self.state_dir, done, current)
            current = done
        return current

    # -- talking to the log ---------------------------------------------------------------

    def _unavailable(self, detail: str) -> LedgerError:
        return LedgerError(WITNESS_LOG_UNAVAILABLE, url=self.log.base, detail=detail)

    def _call(self, what: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except (LedgerError, httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            detail = exc.message_en if isinstance(exc, LedgerError) else str(exc)
            raise _Unavailable(self._unavailable(f"{what}: {detail.rstrip('.')}")) from exc

    def _proof(self, first: int, second: int, client: LogClient | None = None) -> list[bytes]:
        """A consistency proof of ``client``'s log (the log being appended to by default)."""
        client = client or self.log
        hashes = self._call(f"fetching the consistency proof {first}..{second}", client.consistency, first, second)
        try:
            if not isinstance(hashes, list):
                raise ValueError("not a list")
            return [bytes.fromhex(h) for h in hashes]
        except (TypeError, ValueError) as exc:
            raise _Unavailable(
                self._unavailable(f"the consistency proof {first}..{second} is not a list of hex hashes")
            ) from exc

    def _submit(self, client: LogClient, old: int, proof: list[bytes], cosigned_note: str, size: int) -> None:
        """POST the add-checkpoint request; on a 409 resend once from the size the log names.

        ``client``: the log of the chain the checkpoint is of (for the proof from that size);
        the request always goes to the one add-checkpoint endpoint, which tells logs apart by
        the checkpoint's origin.
        """
        for attempt in range(2):
            body = build_add_checkpoint_request(old, proof, cosigned_note)
            try:
                response = self.log.http.post(
                    self.log.base + SUBMIT_PATH,
                    content=body,
                    headers={"Content-Type": "text/plain; charset=utf-8"},
                )
            except httpx.HTTPError as exc:
                raise _Unavailable(
                    LedgerError(WITNESS_SUBMIT_FAILED, url=self.log.base, size=size, status="-", detail=str(exc))
                ) from exc
            if response.status_code == 200:
                try:
                    parse_cosignature_response(response.content)
                except LedgerError as exc:
                    raise _Unavailable(
                        LedgerError(
                            WITNESS_SUBMIT_FAILED, url=self.log.base, size=size, status=200, detail=exc.message_en
                        )
                    ) from exc
                return
            if (
                response.status_code == 409
                and response.headers.get("content-type", "").startswith(SIZE_CONTENT_TYPE)
                and attempt == 0
            ):
                try:
                    held = parse_size_response(response.content)
                except LedgerError:
                    held = -1
                if 0 <= held <= size and held != old:
                    old = held
                    proof = self._proof(held, size, client) if held else []
                    continue
            raise _Unavailable(
                LedgerError(
                    WITNESS_SUBMIT_FAILED,
                    url=self.log.base,
                    size=size,
                    status=response.status_code,
                    detail=response.text[:300].strip(),
                )
            )


def rotation_in(raw: bytes, seq: int, origin: str, current: bytes) -> bytes | None:
    """The new log key if leaf ``raw`` (at ``seq``) is a ``log.key_rotated`` of ``origin`` signed
    by the log key ``current`` and taking effect right after it; else None."""
    try:
        leaf = parse_leaf(raw)
        entry = leaf.entry
        if (
            entry.type != LOG_KEY_ROTATED
            or leaf.seq != seq
            or entry.body["log"] != origin
            or entry.signer != key_id(current)
            or entry.data.get("from_size") != seq + 1
            or not signature_valid(entry, current)
        ):
            return None
        return check_public_key(unb64(entry.data.get("public_key"), length=32, what="data.public_key"))
    except LedgerError:
        return None


class _Unavailable(Exception):
    def __init__(self, error: LedgerError) -> None:
        super().__init__(error.message_en)
        self.error = error


class _Stale(Exception):
    pass


class _Done(Exception):
    """The round ends with this outcome (a refusal found deep in the checks)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


def _utc(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _origin_of(note: str) -> str | None:
    """The origin a signed checkpoint claims (its signature not checked); None if it is not one."""
    try:
        return Checkpoint.parse(parse_note(note).text).origin
    except (LedgerError, ValueError):
        return None


def _named_checkpoint(note: Any) -> tuple[str, int, str] | None:
    """(origin, size, root hex) of the signed checkpoint a genesis names; None if it is not one."""
    if not isinstance(note, str):
        return None
    try:
        checkpoint = Checkpoint.parse(parse_note(note).text)
    except (LedgerError, ValueError):
        return None
    return checkpoint.origin, checkpoint.size, checkpoint.root.hex()


def _shard_listed(obj: Any) -> dict[str, Any]:
    """One log of ``GET /api/v1/log/shards``, with the fields the witness reads checked."""
    if not isinstance(obj, dict):
        raise TypeError("a log of the chain is not an object")
    index, origin, sealed, next_origin = obj["index"], obj["origin"], obj["sealed"], obj.get("next_origin")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise ValueError(f"index {index!r}")
    if not isinstance(origin, str) or not isinstance(sealed, bool) or not isinstance(next_origin, str | None):
        raise ValueError(f"log {index}: origin, sealed or next_origin of the wrong type")
    return {"index": index, "origin": origin, "sealed": sealed, "next_origin": next_origin}


def _outcome_of(exc: LedgerError, status: str, exit_code: int, **kw: Any) -> Outcome:
    details = kw.pop("details", {}) or {"code": exc.code}
    return Outcome(status, exit_code, message=exc.message_en, message_zh=exc.message_zh, details=details, **kw)


def follow(
    witness: Witness, interval: float, *, report: Callable[[Outcome], None], sleep: Callable[[float], None] = time.sleep
) -> int:
    """Run rounds every ``interval`` seconds until the log shows a split view; returns 1 then.

    Everything else is reported and tried again next round: a log that cannot be reached, a
    stale checkpoint (a replica behind), a checkpoint the pinned key did not sign. Evidence of
    a split view stops the loop, because an operator must look at it.
    """
    while True:
        outcome = witness.run_once()
        report(outcome)
        if outcome.status == "split_view":
            return outcome.exit_code
        sleep(interval)
