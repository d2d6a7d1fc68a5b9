"""The log pushes its checkpoints to its witnesses (C2SP tlog-witness, the client side).

``CHARITY_LEDGER_WITNESSES`` lists the witnesses: ``<witness vkey> <submission URL>`` pairs.
For each, :meth:`WitnessPusher.push_once` sends ``POST <URL>/add-checkpoint`` with the old size
(the size that witness last cosigned for this log, as the log recorded it; 0 at first), the
consistency proof from there and the latest signed checkpoint, and reads the answer:

- **200**: cosignature lines. The one by the configured witness key must verify over the
  checkpoint (lines by other keys are ignored, as the spec says) and be dated sensibly; it is
  stored with the checkpoint's other cosignatures (``log_cosignature``), which the log serves on
  the checkpoint, and the witness's size moves forward (``log_witness_push``).
- **409** ``text/x.tlog.size``: the witness cosigned another size; the log proves again from
  the size it names (a few times at most). A size above the log's own is recorded as an error:
  the witness has seen a bigger tree of this origin than the log has.
- **403, 404, 422, 400**: recorded as errors with their meaning (see the codes below), for the
  operator (the site's checkpoints page shows them); tried again with backoff.
- time-outs, refused connections, 5xx: recorded, tried again with backoff (1, 2, 4 … 300 s).

Each witness is pushed on its own: a :class:`PushWorker` thread per witness in the embedded
default (:class:`PushPool`, started with the app; an append only sets an event), a Celery task
per witness in production (``ledger.push_to_witness``). One slow or failing witness never delays
an append or another witness. The backoff is kept in the store, so both ways share it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import httpx

from ledger.errors import LedgerError, define
from ledger.protocol.checkpoint import Checkpoint, parse_witness_key, verify_cosignatures
from ledger.protocol.note import NoteVerifier, add_signatures, parse_note
from ledger.protocol.witness_protocol import (
    ADD_CHECKPOINT_PATH,
    SIZE_CONTENT_TYPE,
    build_add_checkpoint_request,
    check_cosignature_time,
    parse_cosignature_response,
    parse_size_response,
)
from ledger.store.log_store import LogStore
from ledger.store.witness_push import PushStatus, push_status, record_failure, store_cosignature

log = logging.getLogger("ledger.witness_push")

MAX_REPROVE = 3  # 409 answers followed in one push
BACKOFF_MAX_S = 300
TIMEOUT = httpx.Timeout(10.0, connect=5.0)

WITNESS_CONFIG_INVALID = define(
    "witness_config_invalid",
    "invalid",
    "CHARITY_LEDGER_WITNESSES: {vkey!r} is not a witness verifier key (type 0x04): {detail}.",
    "CHARITY_LEDGER_WITNESSES：{vkey!r} 不是见证方验证公钥（类型 0x04）：{detail}。",
)
WITNESS_PUSH_FORBIDDEN = define(
    "witness_push_forbidden",
    "forbidden",
    "The witness {witness} answered 403: it holds no key of this log for {origin} that verifies the checkpoint. "
    "Give its operator the log's verifier key.",
    "见证方 {witness} 回复 403：它没有能验证此检查点的账本 {origin} 公钥。请把账本验证公钥交给该见证方的运营者。",
)
WITNESS_PUSH_UNKNOWN_LOG = define(
    "witness_push_unknown_log",
    "not_found",
    "The witness {witness} answered 404: it does not witness the log {origin}. Ask its operator to add the log's verifier key.",
    "见证方 {witness} 回复 404：它不见证账本 {origin}。请其运营者添加本账本的验证公钥。",
)
WITNESS_PUSH_REFUSED = define(
    "witness_push_refused",
    "refused",
    "The witness {witness} answered 422 to size {size} from size {old}: the consistency proof does not verify with "
    "what it cosigned, or it cosigned another root at this size. That is what a forked log looks like: check the log.",
    "见证方 {witness} 对从树大小 {old} 到 {size} 的检查点回复 422：一致性证明与它已副署的内容不符，或它在同一大小"
    "副署过另一个根。这是账本分叉的迹象，请检查账本。",
)
WITNESS_PUSH_MALFORMED = define(
    "witness_push_malformed",
    "invalid",
    "The witness {witness} answered 400 (a malformed request): {detail}.",
    "见证方 {witness} 回复 400（请求格式不正确）：{detail}。",
)
WITNESS_PUSH_AHEAD = define(
    "witness_push_ahead",
    "conflict",
    "The witness {witness} says it cosigned size {latest} of {origin}, but this log has only {size} entries: "
    "someone showed it a bigger tree under this origin, or the witness is wrong.",
    "见证方 {witness} 称已副署 {origin} 的树大小 {latest}，但本账本只有 {size} 个条目：有人以此名义向它出示过更大的树，或见证方有误。",
)
WITNESS_PUSH_BAD_COSIGNATURE = define(
    "witness_push_bad_cosignature",
    "invalid",
    "The witness {witness} answered 200, but with no valid cosignature by its configured key: {detail}.",
    "见证方 {witness} 回复 200，但其中没有由所配置公钥作出的有效副署：{detail}。",
)
WITNESS_PUSH_UNAVAILABLE = define(
    "witness_push_unavailable",
    "unavailable",
    "The witness {witness} could not be used (HTTP {status}): {detail}. It will be tried again.",
    "无法使用见证方 {witness}（HTTP {status}）：{detail}。稍后将重试。",
)
_BY_STATUS = {403: WITNESS_PUSH_FORBIDDEN, 404: WITNESS_PUSH_UNKNOWN_LOG, 422: WITNESS_PUSH_REFUSED}


@dataclass(frozen=True, slots=True)
class WitnessTarget:
    """A witness the log pushes to: its verifier key and submission URL prefix."""

    vkey: str
    url: str
    verifier: NoteVerifier

    @property
    def name(self) -> str:
        return self.verifier.name


def witness_targets(pairs: Iterable[tuple[str, str]]) -> list[WitnessTarget]:
    """The parsed ``CHARITY_LEDGER_WITNESSES`` pairs (``ledger.settings.parse_witnesses``)."""
    targets = []
    for vkey, url in pairs:
        try:
            verifier = parse_witness_key(vkey)
        except LedgerError as exc:
            raise LedgerError(WITNESS_CONFIG_INVALID, vkey=vkey, detail=exc.message_en) from exc
        targets.append(WitnessTarget(vkey, url.rstrip("/"), verifier))
    return targets


@dataclass(frozen=True, slots=True)
class PushResult:
    """One push: ``cosigned``, ``up_to_date``, ``waiting`` (backoff), ``refused`` or ``unavailable``."""

    witness: str
    status: str
    size: int  # the witness's cosigned size of the current log after this push
    code: str | None = None
    http_status: int | None = None
    retry_in: float | None = None  # seconds until the next try is due (failures)
    origin: str | None = None  # the log cosigned (a sealed one's final checkpoint comes first)


def backoff_s(failures: int) -> float:
    """Seconds to wait after ``failures`` failures in a row: 1, 2, 4 … at most 300."""
    return float(min(BACKOFF_MAX_S, 2 ** max(0, failures - 1)))


class _Failed(Exception):
    def __init__(self, code: str, http_status: int | None, **params: object) -> None:
        super().__init__(code)
        self.error = LedgerError(code, **params)
        self.http_status = http_status


class WitnessPusher:
    """Pushes the log's latest checkpoint to one witness."""

    def __init__(
        self,
        log_store: LogStore,
        target: WitnessTarget,
        *,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.log = log_store
        self.target = target
        self.client = client or httpx.Client(timeout=TIMEOUT)
        self.clock = clock

    def status(self) -> PushStatus | None:
        return push_status(self.log.engine, self.target.name)

    def _sealed_behind(self, held: PushStatus | None) -> int | None:
        """The index of the sealed log the witness last cosigned short of its final checkpoint
        (the chain rolled over meanwhile): that final checkpoint is pushed first, once; if the
        witness refuses it, the log being appended to is pushed after all."""
        if held is None or held.error_code is not None:
            return None
        shard = self.log.shard(held.origin, missing_ok=True)
        if shard is None or not shard.sealed or held.size >= shard.size:
            return None
        return shard.index

    def push_once(self, *, force: bool = False) -> PushResult:
        """Push the latest checkpoint unless the witness has it, or a backoff is running."""
        held = self.status()
        shard = self._sealed_behind(held)
        note = self.log.latest_checkpoint(shard)
        checkpoint = Checkpoint.parse(parse_note(note).text)
        same_log = held is not None and held.origin == checkpoint.origin
        cosigned = held.size if held is not None and same_log else 0
        if held is not None and same_log and cosigned >= checkpoint.size and held.error_code is None:
            return PushResult(self.target.name, "up_to_date", cosigned)
        now = self.clock()
        if held is not None and held.failures and not force:
            due = held.attempted_at + backoff_s(held.failures)
            if now < due:
                return PushResult(self.target.name, "waiting", cosigned, held.error_code, held.error_status, due - now)
        try:
            self._exchange(min(cosigned, checkpoint.size), note, checkpoint, shard)
        except _Failed as failed:
            return self._failed(failed, checkpoint, cosigned, held)
        return PushResult(self.target.name, "cosigned", checkpoint.size, origin=checkpoint.origin)

    def _failed(self, failed: _Failed, checkpoint: Checkpoint, cosigned: int, held: PushStatus | None) -> PushResult:
        exc = failed.error
        record_failure(
            self.log.engine,
            self.target.name,
            self.target.url,
            checkpoint.origin,
            exc.code,
            failed.http_status,
            f"{exc.message_zh}\n{exc.message_en}",
            int(self.clock()),
        )
        log.warning("witness %s: %s", self.target.name, exc.message_en)
        status = "unavailable" if exc.code == WITNESS_PUSH_UNAVAILABLE else "refused"
        failures = (held.failures if held is not None else 0) + 1
        return PushResult(self.target.name, status, cosigned, exc.code, failed.http_status, backoff_s(failures))

    def _exchange(self, old: int, note: str, checkpoint: Checkpoint, shard: int | None) -> None:
        """POST add-checkpoint, following 409s; store the cosignature."""
        for _ in range(MAX_REPROVE + 1):
            proof = self.log.consistency_proof(old, checkpoint.size, shard) if 0 < old < checkpoint.size else []
            response = self._post(build_add_checkpoint_request(old, proof, note))
            if response.status_code != 409:
                return self._answer(response, old, note, checkpoint, shard)
            latest = self._size_of(response)
            if latest > checkpoint.size:
                raise _Failed(
                    WITNESS_PUSH_AHEAD,
                    409,
                    witness=self.target.name,
                    latest=latest,
                    origin=checkpoint.origin,
                    size=checkpoint.size,
                )
            old = latest
        raise self._unavailable(409, "the witness kept answering 409 with another size")

    def _post(self, body: bytes) -> httpx.Response:
        url = f"{self.target.url}/{ADD_CHECKPOINT_PATH}"
        try:
            response = self.client.post(url, content=body, headers={"Content-Type": "text/plain; charset=utf-8"})
        except httpx.HTTPError as exc:
            raise self._unavailable(None, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise self._unavailable(response.status_code, response.text[:300].strip())
        return response

    def _size_of(self, response: httpx.Response) -> int:
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != SIZE_CONTENT_TYPE:
            raise self._unavailable(409, f"a 409 without a {SIZE_CONTENT_TYPE} body")
        try:
            return parse_size_response(response.content)
        except LedgerError as exc:
            raise self._unavailable(409, exc.message_en) from exc

    def _answer(self, response: httpx.Response, old: int, note: str, checkpoint: Checkpoint, shard: int | None) -> None:
        name = self.target.name
        if response.status_code in _BY_STATUS:
            code = _BY_STATUS[response.status_code]
            raise _Failed(
                code, response.status_code, witness=name, origin=checkpoint.origin, old=old, size=checkpoint.size
            )
        if response.status_code != 200:
            detail = response.text[:300].strip() or f"HTTP {response.status_code}"
            raise _Failed(WITNESS_PUSH_MALFORMED, response.status_code, witness=name, detail=detail)
        self._keep(response.content, note, checkpoint, shard)

    def _keep(self, body: bytes, note: str, checkpoint: Checkpoint, shard: int | None) -> None:
        """Verify the witness's cosignature on the checkpoint; store it and the witness's new
        size in one transaction."""
        name = self.target.name
        try:
            signatures = parse_cosignature_response(body)
            ours = [s for s in signatures if s.key == self.target.verifier.key]
            cosigners = verify_cosignatures(add_signatures(note, ours), [self.target.verifier])
            if not ours or not cosigners:
                raise _Failed(WITNESS_PUSH_BAD_COSIGNATURE, 200, witness=name, detail="no line by its key")
            timestamp = cosigners[0].timestamp
            check_cosignature_time(name, timestamp, int(self.clock()))
        except LedgerError as exc:  # VerificationError too: a line by its key that does not verify
            raise _Failed(WITNESS_PUSH_BAD_COSIGNATURE, 200, witness=name, detail=exc.message_en) from exc
        line = ours[0].line().rstrip("\n")
        where = (self.target.url, checkpoint.origin, checkpoint.size, shard)
        store_cosignature(self.log, ours[0].name, line, timestamp, where, int(self.clock()))

    def _unavailable(self, status: int | None, detail: str) -> _Failed:
        return _Failed(WITNESS_PUSH_UNAVAILABLE, status, witness=self.target.name, status=status or "-", detail=detail)


class PushWorker:
    """Pushes to one witness from its own thread: woken by :meth:`notify` (a new checkpoint) or
    every ``poll_s`` seconds (appends by other processes); waits out the backoff after a failure."""

    def __init__(
        self,
        pusher: WitnessPusher,
        *,
        poll_s: float = 5.0,
        on_result: Callable[[PushResult], None] | None = None,
    ) -> None:
        self.pusher = pusher
        self.poll_s = poll_s
        self.on_result = on_result
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def notify(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=f"witness-push-{self.pusher.target.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._thread is None or not self._thread.is_alive():
            self.pusher.client.close()

    def run(self) -> None:
        wait = 0.0
        while not self._stop.is_set():
            if wait:
                self._wake.wait(wait)
            self._wake.clear()
            if self._stop.is_set():
                break
            result = self._step()
            if result.status == "cosigned":
                wait = 0.0  # the log may have grown meanwhile: look again at once
            elif result.retry_in is not None:
                self._stop.wait(min(result.retry_in, self.poll_s * 12))  # a failure: back off
                wait = 0.0
            else:
                wait = self.poll_s

    def _step(self) -> PushResult:
        try:
            result = self.pusher.push_once()
        except Exception:  # the database went away, a bug: keep the thread, try later
            log.exception("witness %s: push failed", self.pusher.target.name)
            result = PushResult(self.pusher.target.name, "unavailable", 0, retry_in=self.poll_s)
        if self.on_result is not None:
            self.on_result(result)
        return result


class PushPool:
    """One :class:`PushWorker` per witness (the embedded default; production uses Celery)."""

    def __init__(
        self,
        log_store: LogStore,
        targets: Sequence[WitnessTarget],
        *,
        poll_s: float = 5.0,
        clock: Callable[[], float] = time.time,
        on_result: Callable[[PushResult], None] | None = None,
    ) -> None:
        self.log = log_store
        self._changed = threading.Condition()
        self.last: dict[str, PushResult] = {}
        self.on_result = on_result  # told of every push (benchmarks time the cosignatures)
        self.workers = [
            PushWorker(WitnessPusher(log_store, t, clock=clock), poll_s=poll_s, on_result=self._record) for t in targets
        ]

    def _record(self, result: PushResult) -> None:
        if self.on_result is not None:
            self.on_result(result)
        with self._changed:
            self.last[result.witness] = result
            self._changed.notify_all()

    def start(self) -> None:
        for worker in self.workers:
            worker.start()

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()

    def notify(self) -> None:
        for worker in self.workers:
            worker.notify()

    def wait_until_cosigned(self, size: int, timeout: float) -> bool:
        """Block until every witness cosigned ``size`` or more of the current log (or ``timeout``)."""

        origin = self.log.current_origin()

        def done() -> bool:  # results of a sealed log's final checkpoint do not count
            return all(
                (r := self.last.get(w.pusher.target.name)) is not None and r.size >= size and r.origin in (None, origin)
                for w in self.workers
            )

        with self._changed:
            return self._changed.wait_for(done, timeout)
