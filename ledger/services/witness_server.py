"""A witness that answers C2SP tlog-witness ``add-checkpoint`` (https://c2sp.org/tlog-witness).

The push mode of witnessing: logs reach out to the witness. :class:`WitnessService` holds the
witness key, the log keys it is given (any log: the origin is the name of each log verifier
key) and, per origin, the latest checkpoint it cosigned. :meth:`WitnessService.add_checkpoint`
takes a request body and gives the answer as the spec says (status, content type, body); the
HTTP server around it is ``charity-ledger witness serve`` (:mod:`ledger.cli.witness_serve`).

The spec's checks, in order: a body that does not parse, or an old size above the checkpoint
size, is 400; an origin no log key names is 404; no valid signature by a trusted key for the
origin (or a bad one by such a key) is 403; an old size other than the latest cosigned size
(0 when none) is 409 with that size as ``text/x.tlog.size``; a consistency proof that does not
verify, a non-empty proof from 0, a size-0 checkpoint without the empty root, or the same size
with another root, is 422. Only then is the checkpoint cosigned (C2SP tlog-cosignature v1,
timestamped) and the state written: temporary file, fsync, rename, fsync of the folder, all
before the answer leaves. Checking the old size and writing the new state happen under one lock,
so two requests can never roll the state back (the race the spec describes); a ``flock`` on the
state folder keeps a second process out. A witness therefore never cosigns two roots for one
size, nor a tree smaller than one it cosigned.

State: ``<state>/logs/<sha256 of the origin, hex>.json`` holds the origin, size, root and the
cosigned checkpoint (the log's signature lines and this witness's cosignature), which
``GET /<sha256 of the origin>/checkpoint`` serves (the spec's monitoring retrieval).
Refusals of a checkpoint signed by a trusted key (409 aside) are kept as evidence, one file per
refused body, in ``<state>/refused/``.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.errors import LedgerError, define
from ledger.protocol.checkpoint import Checkpoint, cosign
from ledger.protocol.keys import KeyPair
from ledger.protocol.note import SIG_ED25519, NoteVerifier, add_signatures, parse_note, parse_verifier_key
from ledger.protocol.witness_protocol import (
    SIZE_CONTENT_TYPE,
    STATUS_BAD_REQUEST,
    STATUS_BY_CODE,
    STATUS_CONFLICT,
    STATUS_FORBIDDEN,
    STATUS_NOT_FOUND,
    STATUS_OK,
    WITNESS_OLD_SIZE_MISMATCH,
    check_add_checkpoint,
    parse_add_checkpoint_request,
    size_response_body,
)
from ledger.services.witness import locked, read_json_file, write_atomically

TEXT = "text/plain; charset=utf-8"
STATUS_SERVER_ERROR = 500
CHECKPOINT_CONTENT_TYPE = "text/plain; charset=utf-8"
LOG_STATE_FORMAT = 1

WITNESS_LOG_STATE_INVALID = define(
    "witness_log_state_invalid",
    "invalid",
    "The witness state file {path} cannot be used: {detail}.",
    "见证方状态文件 {path} 无法使用：{detail}。",
)


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer: status, content type and body bytes."""

    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class LogRecord:
    """The latest checkpoint this witness cosigned for one origin."""

    origin: str
    size: int
    root: str  # hex
    checkpoint: str  # the signed note with this witness's cosignature added


def origin_hash(origin: str) -> str:
    """The monitoring path segment of an origin: SHA-256 of it, lowercase hex."""
    return hashlib.sha256(origin.encode("utf-8")).hexdigest()


def log_keys_by_origin(vkeys: Iterable[str]) -> dict[str, list[NoteVerifier]]:
    """The Ed25519 log verifier keys given, grouped by their name (the log's origin)."""
    keys: dict[str, list[NoteVerifier]] = {}
    for text in vkeys:
        verifier = parse_verifier_key(text.strip(), sig_types=(SIG_ED25519,))
        keys.setdefault(verifier.name, []).append(verifier)
    return keys


def _error_answer(exc: LedgerError) -> Answer:
    status = STATUS_BY_CODE.get(exc.code, STATUS_BAD_REQUEST)
    if exc.code == WITNESS_OLD_SIZE_MISMATCH:
        # exactly text/x.tlog.size: the size and a newline, nothing else
        return Answer(STATUS_CONFLICT, SIZE_CONTENT_TYPE, size_response_body(int(exc.params["latest"])))
    body = f"{exc.code}: {exc.message_zh}\n{exc.code}: {exc.message_en}\n"
    return Answer(status, TEXT, body.encode("utf-8"))


class WitnessService:
    """One witness key, the logs it witnesses, and its state folder."""

    def __init__(
        self,
        key: KeyPair,
        name: str,
        state_dir: Path,
        log_vkeys: Iterable[str],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.key = key
        self.name = name
        self.state_dir = Path(state_dir)
        self.log_keys = log_keys_by_origin(log_vkeys)
        self.clock = clock
        self._lock = threading.Lock()
        self._exit = ExitStack()
        self._open = False

    # -- the process holds the state folder while it serves --------------------------------

    def open(self) -> WitnessService:
        """Take the state folder (its ``flock``); opening an open service does nothing."""
        if not self._open:
            self._exit.enter_context(locked(self.state_dir))
            (self.state_dir / "logs").mkdir(mode=0o700, exist_ok=True)
            (self.state_dir / "refused").mkdir(mode=0o700, exist_ok=True)
            self._open = True
        return self

    def close(self) -> None:
        self._exit.close()
        self._open = False

    def __enter__(self) -> WitnessService:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- state -------------------------------------------------------------------------------

    def _path(self, origin: str) -> Path:
        return self.state_dir / "logs" / f"{origin_hash(origin)}.json"

    def record(self, origin: str) -> LogRecord | None:
        """The latest checkpoint cosigned for ``origin``, or None."""
        path = self._path(origin)
        obj = read_json_file(path, WITNESS_LOG_STATE_INVALID)
        if obj is None:
            return None
        if not isinstance(obj, dict) or obj.get("format") != LOG_STATE_FORMAT or obj.get("origin") != origin:
            raise LedgerError(WITNESS_LOG_STATE_INVALID, path=str(path), detail="not this origin's witness state")
        record = LogRecord(obj["origin"], int(obj["size"]), str(obj["root"]), str(obj["checkpoint"]))
        if Checkpoint.parse(parse_note(record.checkpoint).text).root.hex() != record.root:
            raise LedgerError(
                WITNESS_LOG_STATE_INVALID, path=str(path), detail="the checkpoint does not match the root"
            )
        return record

    def _save(self, record: LogRecord) -> None:
        data = {"format": LOG_STATE_FORMAT, "origin": record.origin, "size": record.size, "root": record.root}
        data["checkpoint"] = record.checkpoint
        write_atomically(self._path(record.origin), json.dumps(data, indent=2).encode("utf-8") + b"\n")

    def _keep_refused(self, body: bytes, exc: LedgerError) -> None:
        """Evidence: a body signed by a trusted log key and refused on consistency (the spec's MAY)."""
        digest = hashlib.sha256(body).hexdigest()
        path = self.state_dir / "refused" / f"{digest}.json"
        if not path.exists():
            text = body.decode("utf-8", errors="replace")
            data = {"code": exc.code, "message": exc.message_en, "at": int(self.clock()), "request": text}
            write_atomically(path, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8") + b"\n")

    # -- the exchange ------------------------------------------------------------------------

    def add_checkpoint(self, body: bytes) -> Answer:
        """Answer one ``POST <prefix>/add-checkpoint`` body (never raises for a client's mistake)."""
        try:
            request = parse_add_checkpoint_request(body)
        except LedgerError as exc:
            return _error_answer(exc)
        with self._lock:
            try:
                record = self.record(request.checkpoint.origin)
            except LedgerError as exc:  # the witness's own state is broken: not the client's mistake
                return Answer(STATUS_SERVER_ERROR, TEXT, f"{exc.code}: {exc.message_en}\n".encode())
            latest, root = (record.size, bytes.fromhex(record.root)) if record else (0, None)
            try:
                checkpoint = check_add_checkpoint(request, self.log_keys, latest_size=latest, latest_root=root)
            except LedgerError as exc:
                if STATUS_BY_CODE.get(exc.code) not in (
                    STATUS_BAD_REQUEST,
                    STATUS_NOT_FOUND,
                    STATUS_CONFLICT,
                    STATUS_FORBIDDEN,
                ):
                    self._keep_refused(bytes(body), exc)
                return _error_answer(exc)
            line = cosign(checkpoint, self.key, self.name, max(1, int(self.clock())))
            cosigned = add_signatures(request.checkpoint_note, [line])
            self._save(LogRecord(checkpoint.origin, checkpoint.size, checkpoint.root.hex(), cosigned))
        return Answer(STATUS_OK, TEXT, line.encode("utf-8"))

    def checkpoint(self, hashed_origin: str) -> Answer:
        """``GET <prefix>/<origin hash>/checkpoint``: the latest cosigned checkpoint, or 404."""
        for origin in self.log_keys:
            if origin_hash(origin) == hashed_origin:
                record = self.record(origin)
                if record is not None:
                    return Answer(STATUS_OK, CHECKPOINT_CONTENT_TYPE, record.checkpoint.encode("utf-8"))
        return Answer(STATUS_NOT_FOUND, TEXT, b"no checkpoint cosigned for this origin\n")

    def status(self) -> Iterator[dict[str, Any]]:
        """What the witness holds, per log it knows (for the command's start-up line)."""
        for origin in sorted(self.log_keys):
            record = self.record(origin)
            yield {"origin": origin, "size": record.size if record else 0, "root": record.root if record else ""}
