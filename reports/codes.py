"""Error codes of the reports package (stable: clients and tests key on them).

Each is registered in the ledger's error catalogue with :func:`ledger.errors.define`, so the
API maps them to HTTP like every other :class:`~ledger.errors.LedgerError`.
"""

from __future__ import annotations

from ledger.errors import define

RENDER_URL_REFUSED = define(
    "render_url_refused",
    "invalid",
    "The report template refers to {url!r}; only data: URLs and packaged assets may be loaded.",
    "报告模板引用了 {url!r}；只允许加载 data: 地址和随程序打包的资源。",
)
BUNDLE_INVALID = define(
    "bundle_invalid",
    "invalid",
    "The report bundle cannot be written: {detail}.",
    "无法写出报告文件包：{detail}。",
)
WORKER_NEEDS_BROKER = define(
    "worker_needs_broker",
    "unavailable",
    "A worker needs a message broker: set CHARITY_LEDGER_BROKER_URL (redis://... or amqp://...). "
    "Without it, tasks run inside the calling process and no worker is needed.",
    "启动工作进程需要消息代理：请设置 CHARITY_LEDGER_BROKER_URL（redis://... 或 amqp://...）。"
    "未设置时任务在调用进程内执行，无需工作进程。",
)
TILES_DIR_MISSING = define(
    "tiles_dir_missing",
    "invalid",
    "No folder to write the tiles to: give one, or set CHARITY_LEDGER_TILES_DIR.",
    "未指定写入瓦片的目录：请给出目录，或设置 CHARITY_LEDGER_TILES_DIR。",
)
TASK_REF_INVALID = define(
    "task_ref_invalid",
    "invalid",
    'The task was given {ref!r}; give a data folder path or {{"home": ..., "origin": ...}}.',
    '任务参数 {ref!r} 无效；请给出数据目录路径或 {{"home": ..., "origin": ...}}。',
)
REPORT_KIND_UNKNOWN = define(
    "report_kind_unknown",
    "invalid",
    "There is no report kind {kind!r} (kinds: {kinds}).",
    "没有 {kind!r} 这种报告（可用：{kinds}）。",
)
REPORT_PARAM_MISSING = define(
    "report_param_missing",
    "invalid",
    "A {kind} report needs {param}.",
    "{kind} 报告需要提供 {param}。",
)
REPORT_PARAM_INVALID = define(
    "report_param_invalid",
    "invalid",
    "The report request is not valid: {detail}.",
    "报告请求无效：{detail}。",
)
REPORT_NOT_APPLICABLE = define(
    "report_not_applicable",
    "refused",
    "A {kind} report cannot be made for {subject}: {detail}.",
    "无法为 {subject} 生成 {kind} 报告：{detail_zh}。",
)
REPORT_SIZE_OUT_OF_RANGE = define(
    "report_size_out_of_range",
    "invalid",
    "A report can be computed at tree sizes 1 to {available} of this log, not {size}.",
    "报告只能按本账本树大小 1 至 {available} 计算，不能按 {size} 计算。",
)
REPORT_FILE_MISMATCH = define(
    "report_file_mismatch",
    "unavailable",
    "The file {name} of report {report} is missing or differs from the SHA-256 recorded in the log.",
    "报告 {report} 的文件 {name} 缺失，或与账本中记录的 SHA-256 不一致。",
)

# --- erasure ---

REPORT_JOB_EXPIRED = define(
    "report_job_expired",
    "not_found",
    "The report job {job} finished at {finished} and expired at {expired}; its files are deleted. Ask for the report again.",
    "报告任务 {job} 已于 {finished} 完成，并于 {expired} 过期，其文件已删除。请重新申请该报告。",
)
REPORT_RATE_LIMITED = define(
    "report_rate_limited",
    "unavailable",
    "Too many report requests from {client} (at most {burst} at once, then {per_minute} a minute); try again in {retry_after} s.",
    "来自 {client} 的报告申请过多（一次最多 {burst} 个，之后每分钟 {per_minute} 个），请 {retry_after} 秒后重试。",
)

# --- issuing and printing ---

REPORT_POSITION_MOVED = define(
    "report_position_moved",
    "conflict",
    "The report's PDF names position {expected} for its report.issued entry, but the log is now at {actual}; "
    "entries were appended meanwhile. Nothing was recorded: ask for the report again.",
    "报告 PDF 上印的登记位置为 {expected}，但账本已到 {actual}（期间有其他条目写入）。未作登记，请重新生成报告。",
)
REPORT_NO_CHECKPOINT = define(
    "report_no_checkpoint",
    "invalid",
    "The log has no signed checkpoint at tree size {size}; a verification certificate is made at a checkpoint "
    "(the nearest ones: {nearby}).",
    "账本在树大小 {size} 处没有签名检查点；校验证明只能按检查点生成（最近的检查点：{nearby}）。",
)
REPORT_SIGNING_FAILED = define(
    "report_signing_failed",
    "unavailable",
    "The report PDF could not be signed with the report key: {detail}.",
    "无法用报告密钥签署报告 PDF：{detail}。",
)
