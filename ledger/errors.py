"""Typed errors of the ledger, each with a stable code and a message in Chinese and English.

Every refusal the ledger makes is a :class:`LedgerError` (or a subclass). The ``code`` never
changes once published: clients, the API's problem details and the tests key on it. ``kind``
says which family the error belongs to, and the API maps kinds to HTTP statuses in one place.

Messages are written for a charity clerk, not a programmer: what was refused and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# kind -> meaning. The API maps: invalid -> 400, not_found -> 404, conflict -> 409,
# refused -> 422, forbidden -> 403, unavailable -> 503.
KINDS = ("invalid", "not_found", "conflict", "refused", "forbidden", "unavailable")


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    kind: str
    en: str
    zh: str


# The catalogue. Templates use str.format with the error's params.
CATALOGUE: dict[str, ErrorSpec] = {}


def define(code: str, kind: str, en: str, zh: str) -> str:
    """Register an error code; returns the code so modules can keep it as a constant."""
    if kind not in KINDS:
        raise ValueError(f"unknown error kind {kind!r}")
    existing = CATALOGUE.get(code)
    if existing is not None and existing != ErrorSpec(kind, en, zh):
        raise ValueError(f"error code {code!r} defined twice with different texts")
    CATALOGUE[code] = ErrorSpec(kind, en, zh)
    return code


class InvariantBroken(RuntimeError):
    """A condition the code relies on does not hold: a bug or a damaged store, never a client's
    mistake. Raised where ``assert`` would be stripped by ``python -O``; the API answers 500 and
    logs it."""


class LedgerError(Exception):
    """A refusal with a stable code, bilingual message and structured details."""

    def __init__(self, code: str, /, **params: Any) -> None:
        spec = CATALOGUE.get(code)
        if spec is None:
            raise KeyError(f"undefined error code {code!r}")
        self.code = code
        self.kind = spec.kind
        self.params = params
        self.message_en = _render(spec.en, params)
        self.message_zh = _render(spec.zh, params)
        super().__init__(f"[{code}] {self.message_en} / {self.message_zh}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "kind": self.kind,
            "message": self.message_en,
            "message_zh": self.message_zh,
            "params": {k: _jsonable(v) for k, v in self.params.items()},
        }


class VerificationError(LedgerError):
    """A log, proof or checkpoint failed verification.

    ``seq`` names the first bad entry when the failure is tied to one (None otherwise);
    ``expected`` and ``actual`` say what the verifier computed and what it found.
    """

    def __init__(
        self,
        what: str,
        *,
        seq: int | None = None,
        expected: Any = None,
        actual: Any = None,
        code: str = "verification_failed",
    ) -> None:
        self.seq = seq
        self.what = what
        self.expected = expected
        self.actual = actual
        super().__init__(
            code,
            what=what,
            seq=seq,
            expected=expected,
            actual=actual,
            where="" if seq is None else f" at seq {seq}",
            where_zh="" if seq is None else f"（序号 {seq}）",
        )


def _render(template: str, params: dict[str, Any]) -> str:
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


# --- codes used by the log core ------------------------------------------------------------

define(
    "verification_failed",
    "invalid",
    "Verification failed{where}: {what} (expected {expected}, found {actual}).",
    "校验失败{where_zh}：{what}（应为 {expected}，实际为 {actual}）。",
)
define(
    "malformed_json",
    "invalid",
    "The request is not valid JSON: {detail}.",
    "请求内容不是有效的 JSON：{detail}。",
)
define(
    "body_invalid",
    "invalid",
    "The entry is not well formed: {detail}.",
    "条目格式不正确：{detail}。",
)
define(
    "body_not_canonical",
    "invalid",
    "The entry bytes are not in canonical form (RFC 8785); sign and send the canonical bytes.",
    "条目字节不是规范形式（RFC 8785），请按规范形式签名并提交。",
)
define(
    "body_too_large",
    "invalid",
    "The entry is {size} bytes; at most {limit} bytes are accepted.",
    "条目大小为 {size} 字节，超过上限 {limit} 字节。",
)
define(
    "wrong_log",
    "refused",
    "The entry was signed for the log {got!r}, but this log is {expected!r}.",
    "该条目是为账本 {got!r} 签名的，而本账本为 {expected!r}。",
)
define(
    "unknown_signer",
    "refused",
    "The signing key {signer} is not known to this log; ask for it to be granted first.",
    "签名密钥 {signer} 未在本账本登记，请先申请授权。",
)
define(
    "bad_signature",
    "refused",
    "The signature does not match the entry and the key {signer}.",
    "签名与条目内容及密钥 {signer} 不匹配。",
)
define(
    "clock_skew",
    "refused",
    "The entry's time {at} is too far from the log's clock {now} (at most {limit_s} s apart).",
    "条目时间 {at} 与账本时钟 {now} 相差过大（最多 {limit_s} 秒）。",
)
define(
    "idem_conflict",
    "conflict",
    "The request id {idem!r} was already used by this key for a different entry (seq {seq}).",
    "该密钥已用请求编号 {idem!r} 提交过另一条不同的条目（序号 {seq}）。",
)
define(
    "batch_too_large",
    "invalid",
    "A batch holds at most {limit} entries; this one has {size}.",
    "每批最多 {limit} 条，本批有 {size} 条。",
)
define(
    "batch_empty",
    "invalid",
    "The batch is empty.",
    "批次为空。",
)
define(
    "batch_entry_refused",
    "refused",
    "Entry {position} of the batch was refused: {reason}. Nothing from the batch was written.",
    "批次中第 {position} 条被拒绝：{reason_zh}。整批未写入。",
)
define(
    "not_found",
    "not_found",
    "No {what} matches {ref}.",
    "找不到与 {ref} 对应的{what_zh}。",
)
define(
    "size_out_of_range",
    "invalid",
    "{what} {value} is out of range: the tree has {size} entries.",
    "{what} {value} 超出范围：当前树大小为 {size}。",
)
define(
    "tile_path_invalid",
    "invalid",
    "{path} is not a tile path: {detail}.",
    "{path} 不是有效的瓦片路径：{detail_zh}。",
)
define(
    "checkpoint_invalid",
    "invalid",
    "The checkpoint is not valid: {detail}.",
    "检查点无效：{detail}。",
)
define(
    "log_not_initialised",
    "unavailable",
    "The log in {home} is not initialised; run `charity-ledger init` first.",
    "{home} 中的账本尚未初始化，请先运行 `charity-ledger init`。",
)
define(
    "example_origin",
    "refused",
    "{origin} is the example origin: a registry's log needs its own name, which every checkpoint "
    "carries for ever. Run `charity-ledger init --origin <your domain>/log` (or set "
    "CHARITY_LEDGER_ORIGIN); for a demo or a test, pass --example-origin.",
    "{origin} 是示例名称：账本需要自己的名称（写入每个检查点，永久不变）。请运行 "
    "`charity-ledger init --origin <贵机构域名>/log`（或设置 CHARITY_LEDGER_ORIGIN）；"
    "仅作演示或测试时，请加 --example-origin。",
)
define(
    "key_file_invalid",
    "invalid",
    "The key file {path} cannot be read: {detail}.",
    "无法读取密钥文件 {path}：{detail}。",
)

# --- fuzz ---
define(
    "json_too_deep",
    "invalid",
    "The JSON nests arrays and objects more than {limit} levels deep; nothing was read.",
    "JSON 的数组和对象嵌套超过 {limit} 层，未读取任何内容。",
)
