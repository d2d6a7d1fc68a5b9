"""The C2SP tlog-witness ``add-checkpoint`` exchange (https://c2sp.org/tlog-witness), pure.

Request body (``POST <submission prefix>/add-checkpoint``), every line ending in ``\\n``::

    old <previous size, decimal, no leading zeros>
    <base64 consistency proof hash>        (zero to 63 lines)
    <base64 consistency proof hash>
                                           (one empty line)
    <the signed checkpoint note: text, blank line, signature lines>

Responses, as the witness gives them (the HTTP layer is elsewhere; the error codes below have
kinds that map to these statuses):

- **200** — body: one or more cosignature lines ``— <witness> <base64>\\n``
  (:func:`cosignature_response_body`). The witness has stored the new checkpoint first.
- **400** — the body is malformed, or the old size is above the checkpoint size
  (``witness_request_invalid``, ``note_malformed``, ``checkpoint_invalid``).
- **403** — no signature by a key the witness trusts for the origin verifies
  (``note_unverified``, ``note_bad_signature``).
- **404** — the witness does not know the origin (``witness_unknown_log``).
- **409** — the old size is not the size of the latest checkpoint the witness cosigned for that
  origin (0 if none): the body is that size in decimal and a newline, with ``Content-Type:
  text/x.tlog.size`` (:func:`size_response_body`; code ``witness_old_size_mismatch``, whose
  ``latest`` parameter is the size).
- **422** — the consistency proof does not verify (``witness_inconsistent_proof``; a proof must
  be empty when the old size is 0, and a checkpoint of size 0 must have the empty tree's root),
  or the old size equals the checkpoint size but the root differs from the stored one
  (``witness_root_mismatch``: a split view).

A client that does not know the witness's state may send ``old 0`` first and read the 409.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ledger.errors import InvariantBroken, LedgerError, VerificationError, define
from ledger.protocol.checkpoint import Checkpoint
from ledger.protocol.keys import b64, unb64
from ledger.protocol.merkle import EMPTY_ROOT, HASH_SIZE, verify_consistency
from ledger.protocol.note import (
    MAX_NOTE_BYTES,
    SIG_ED25519,
    Note,
    NoteSignature,
    NoteVerifier,
    open_note,
    parse_note,
    parse_verifier_key,
)

STATUS_OK = 200
STATUS_BAD_REQUEST = 400
STATUS_FORBIDDEN = 403
STATUS_NOT_FOUND = 404
STATUS_CONFLICT = 409
STATUS_UNPROCESSABLE = 422

SIZE_CONTENT_TYPE = "text/x.tlog.size"
ADD_CHECKPOINT_PATH = "add-checkpoint"
MAX_PROOF_LINES = 63
MAX_REQUEST_BYTES = MAX_NOTE_BYTES + 4096  # "old" line and 63 proof lines of 45 bytes

WITNESS_REQUEST_INVALID = define(
    "witness_request_invalid",
    "invalid",
    "The add-checkpoint request is not well formed: {detail}.",
    "add-checkpoint 请求格式不正确：{detail}。",
)
WITNESS_UNKNOWN_LOG = define(
    "witness_unknown_log",
    "not_found",
    "This witness does not know the log {origin!r}.",
    "本见证方不认识账本 {origin!r}。",
)
WITNESS_OLD_SIZE_MISMATCH = define(
    "witness_old_size_mismatch",
    "conflict",
    "The old size {old} is not the size of the latest checkpoint this witness cosigned ({latest}); "
    "send a consistency proof from {latest}.",
    "请求中的旧树大小 {old} 与本见证方最近副署的检查点大小（{latest}）不一致，请提供从 {latest} 起的一致性证明。",
)
WITNESS_ROOT_MISMATCH = define(
    "witness_root_mismatch",
    "refused",
    "The checkpoint has the size {size} this witness cosigned before, but another root hash.",
    "该检查点的树大小 {size} 与本见证方此前副署的相同，但根哈希不同。",
)
WITNESS_INCONSISTENT_PROOF = define(
    "witness_inconsistent_proof",
    "refused",
    "The consistency proof from size {old} to {size} does not verify: {detail}.",
    "从树大小 {old} 到 {size} 的一致性证明校验失败：{detail}。",
)
# --- ed25519 (issue 12, item 8): cosignature times --------------------------------------------
COSIGNATURE_MAX_AHEAD_S = 600  # a cosignature may be dated at most 10 minutes after the receiver's clock
COSIGNATURE_TIME_INVALID = define(
    "cosignature_time_invalid",
    "invalid",
    "The cosignature by {witness} is dated {timestamp} (seconds since 1970), which is {why}; a cosignature is "
    "dated after 0 and at most {limit_s} seconds ahead of this server's clock ({now}).",
    "见证方 {witness} 的副署时间为 {timestamp}（1970 年起的秒数），{why_zh}；"
    "副署时间须大于 0，且不得晚于本服务器时钟（{now}）{limit_s} 秒以上。",
)
COSIGNATURE_OLDER = define(
    "cosignature_older",
    "conflict",
    "The log already holds a cosignature by {witness} of size {size} dated {held}; the one dated {timestamp} is older "
    "and does not replace it.",
    "本账本已存有见证方 {witness} 对树大小 {size} 的副署（时间 {held}）；时间为 {timestamp} 的副署更旧，不予替换。",
)


def check_cosignature_time(witness: str, timestamp: int, now: int, limit_s: int = COSIGNATURE_MAX_AHEAD_S) -> None:
    """Refuse a cosignature dated 0 or more than ``limit_s`` seconds after ``now`` (both in
    seconds since 1970): neither can be a witness's honest clock reading."""
    if timestamp <= 0:
        why, why_zh = "zero", "为零"
    elif timestamp > now + limit_s:
        why, why_zh = f"{timestamp - now} seconds in the future", f"比当前时间晚 {timestamp - now} 秒"
    else:
        return
    raise LedgerError(
        COSIGNATURE_TIME_INVALID, witness=witness, timestamp=timestamp, why=why, why_zh=why_zh, limit_s=limit_s, now=now
    )


# The status each refusal of this exchange gets (the API also maps kinds to the same statuses).
STATUS_BY_CODE: dict[str, int] = {
    WITNESS_REQUEST_INVALID: STATUS_BAD_REQUEST,
    "note_malformed": STATUS_BAD_REQUEST,
    "checkpoint_invalid": STATUS_BAD_REQUEST,
    "note_unverified": STATUS_FORBIDDEN,
    "note_bad_signature": STATUS_FORBIDDEN,
    WITNESS_UNKNOWN_LOG: STATUS_NOT_FOUND,
    WITNESS_OLD_SIZE_MISMATCH: STATUS_CONFLICT,
    WITNESS_ROOT_MISMATCH: STATUS_UNPROCESSABLE,  # tlog-witness: 422, a split view
    WITNESS_INCONSISTENT_PROOF: STATUS_UNPROCESSABLE,
    COSIGNATURE_TIME_INVALID: STATUS_BAD_REQUEST,
    COSIGNATURE_OLDER: STATUS_CONFLICT,
}


def _invalid(detail: str) -> LedgerError:
    return LedgerError(WITNESS_REQUEST_INVALID, detail=detail)


def _parse_decimal(text: str, what: str) -> int:
    if not text or not text.isascii() or not text.isdigit() or (len(text) > 1 and text[0] == "0"):
        raise _invalid(f"the {what} {text!r} is not a decimal number without leading zeros")
    value = int(text)
    if value > 2**64 - 1:
        raise _invalid(f"the {what} is above 2^64-1")
    return value


@dataclass(frozen=True, slots=True)
class AddCheckpointRequest:
    """An add-checkpoint request: old size, consistency proof, and the signed checkpoint note.

    Construction checks the syntax of everything (the note and its checkpoint text included)
    and that the old size is not above the checkpoint size; it verifies no signature or proof.
    """

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint_note: str

    def __post_init__(self) -> None:
        if not isinstance(self.old_size, int) or isinstance(self.old_size, bool) or not 0 <= self.old_size <= 2**64 - 1:
            raise _invalid(f"the old size must be an integer from 0 to 2^64-1, not {self.old_size!r}")
        if isinstance(self.proof, (bytes, str)):
            raise _invalid("the proof must be a sequence of hashes")
        object.__setattr__(self, "proof", tuple(self.proof))
        if len(self.proof) > MAX_PROOF_LINES:
            raise _invalid(f"{len(self.proof)} proof lines; at most {MAX_PROOF_LINES} are allowed")
        for h in self.proof:
            if not isinstance(h, bytes) or len(h) != HASH_SIZE:
                raise _invalid(f"each proof hash must be {HASH_SIZE} bytes")
        if not isinstance(self.checkpoint_note, str):
            raise _invalid("the checkpoint note must be text")
        checkpoint = self.checkpoint
        if self.old_size > checkpoint.size:
            raise _invalid(f"the old size {self.old_size} is above the checkpoint size {checkpoint.size}")

    @property
    def note(self) -> Note:
        return parse_note(self.checkpoint_note)

    @property
    def checkpoint(self) -> Checkpoint:
        """The checkpoint the note carries (its signatures not verified)."""
        return Checkpoint.parse(self.note.text)

    def to_bytes(self) -> bytes:
        head = f"old {self.old_size}\n" + "".join(b64(h) + "\n" for h in self.proof) + "\n"
        return (head + self.checkpoint_note).encode("utf-8")

    @classmethod
    def parse(cls, body: bytes | str) -> AddCheckpointRequest:
        """Parse a request body strictly."""
        if isinstance(body, str):
            try:
                body = body.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise _invalid("the body is not valid Unicode") from exc
        if not isinstance(body, (bytes, bytearray)):
            raise _invalid("the body must be bytes or text")
        if len(body) > MAX_REQUEST_BYTES:
            raise _invalid(f"the body is {len(body)} bytes; at most {MAX_REQUEST_BYTES} are accepted")
        try:
            text = bytes(body).decode("utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            raise _invalid("the body is not valid UTF-8") from exc
        head, sep, note = text.partition("\n\n")
        if not sep:
            raise _invalid("no empty line separates the old size and proof from the checkpoint")
        lines = head.split("\n")
        first = lines[0]
        if not first.startswith("old "):
            raise _invalid("the first line must be 'old <size>'")
        old_size = _parse_decimal(first[len("old ") :], "old size")
        proof_lines = lines[1:]
        if len(proof_lines) > MAX_PROOF_LINES:
            raise _invalid(f"{len(proof_lines)} proof lines; at most {MAX_PROOF_LINES} are allowed")
        proof: list[bytes] = []
        for i, line in enumerate(proof_lines, start=1):
            try:
                proof.append(unb64(line, length=HASH_SIZE, what="proof hash"))
            except LedgerError as exc:
                raise _invalid(f"proof line {i} is not the canonical base64 of a {HASH_SIZE}-byte hash") from exc
        return cls(old_size, tuple(proof), note)


def build_add_checkpoint_request(old_size: int, proof: Sequence[bytes], checkpoint_note: str) -> bytes:
    """The request body for ``old_size``, its consistency proof and the signed checkpoint."""
    return AddCheckpointRequest(old_size, tuple(proof), checkpoint_note).to_bytes()


def parse_add_checkpoint_request(body: bytes | str) -> AddCheckpointRequest:
    return AddCheckpointRequest.parse(body)


def check_add_checkpoint(
    request: AddCheckpointRequest,
    log_keys: Mapping[str, Iterable[NoteVerifier | str]],
    *,
    latest_size: int = 0,
    latest_root: bytes | None = None,
) -> Checkpoint:
    """The witness's checks, in the spec's order; returns the checkpoint to cosign.

    ``log_keys`` maps each known origin to the log keys (type 0x01) trusted for it;
    ``latest_size`` / ``latest_root`` are the witness's latest cosigned checkpoint for that
    origin (0 / None if it never cosigned one). Storing the new checkpoint atomically with
    this check is the caller's job. Raises the codes listed in the module docstring.
    """
    checkpoint = request.checkpoint
    keys = log_keys.get(checkpoint.origin)
    if keys is None:
        raise LedgerError(WITNESS_UNKNOWN_LOG, origin=checkpoint.origin)
    verifiers = [parse_verifier_key(k, sig_types=(SIG_ED25519,)) if isinstance(k, str) else k for k in keys]
    open_note(request.checkpoint_note, verifiers)  # 403 unless a trusted log key signed
    if request.old_size != latest_size:
        raise LedgerError(WITNESS_OLD_SIZE_MISMATCH, old=request.old_size, latest=latest_size)
    if latest_size > 0 and latest_root is None:
        raise ValueError("latest_root is needed when latest_size > 0")
    old_root = EMPTY_ROOT if latest_size == 0 else latest_root
    if old_root is None:
        raise InvariantBroken("old_root is missing")
    if request.old_size == checkpoint.size and latest_size > 0 and checkpoint.root != old_root:
        raise LedgerError(WITNESS_ROOT_MISMATCH, size=checkpoint.size)
    try:
        verify_consistency(request.old_size, checkpoint.size, old_root, checkpoint.root, list(request.proof))
    except VerificationError as exc:
        raise LedgerError(
            WITNESS_INCONSISTENT_PROOF, old=request.old_size, size=checkpoint.size, detail=exc.what
        ) from exc
    return checkpoint


# --- responses ------------------------------------------------------------------------------


def size_response_body(size: int) -> bytes:
    """The 409 body: the witness's latest cosigned size and a newline (``text/x.tlog.size``)."""
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError(f"a tree size is a non-negative integer, not {size!r}")
    return f"{size}\n".encode("ascii")


def parse_size_response(body: bytes | str) -> int:
    """Parse a ``text/x.tlog.size`` body strictly."""
    if isinstance(body, (bytes, bytearray)):
        try:
            body = bytes(body).decode("ascii")
        except UnicodeDecodeError as exc:
            raise _invalid("the size response is not ASCII") from exc
    if not isinstance(body, str) or not body.endswith("\n"):
        raise _invalid("the size response must be a decimal size and a newline")
    return _parse_decimal(body[:-1], "size")


def cosignature_response_body(lines: Iterable[str | NoteSignature]) -> bytes:
    """The 200 body: one or more signature lines, each ending in a newline."""
    out = [NoteSignature.parse_line(x).line() if isinstance(x, str) else x.line() for x in lines]
    if not out:
        raise ValueError("a 200 response carries at least one cosignature")
    return "".join(out).encode("utf-8")


def parse_cosignature_response(body: bytes | str) -> tuple[NoteSignature, ...]:
    """Parse a 200 body strictly: one or more ``— <name> <base64>\\n`` lines, nothing else.

    The signatures are not verified: add them to the checkpoint (:func:`ledger.protocol.note.add_signatures`)
    and verify with :func:`ledger.protocol.checkpoint.verify_cosignatures`.
    """
    if isinstance(body, (bytes, bytearray)):
        try:
            body = bytes(body).decode("utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            raise _invalid("the response is not valid UTF-8") from exc
    if not isinstance(body, str) or not body or not body.endswith("\n"):
        raise _invalid("the response must be signature lines, each ending in a newline")
    return tuple(NoteSignature.parse_line(line) for line in body[:-1].split("\n"))
