"""Error codes of the reports package (stable: clients and tests key on them).

Each is registered in the ledger's error catalogue with :func:`ledger.errors.define`, so the
API maps them to HTTP like every other :class:`~ledger.errors.LedgerError`.
"""

from __future__ import annotations

from ledger.errors import define

RULESET_UNKNOWN = define(
    "ruleset_unknown",
    "not_found",
    "There is no rule set named {name!r} (known: {known}).",
    "没有名为 {name!r} 的规则集（现有：{known}）。",
)
RULESET_VERSION_UNKNOWN = define(
    "ruleset_version_unknown",
    "not_found",
    "The rule set {name} has no version {version} (versions: {versions}).",
    "规则集 {name} 没有第 {version} 版（现有版本：{versions}）。",
)
RULESET_NOT_IN_FORCE = define(
    "ruleset_not_in_force",
    "not_found",
    "No version of the rule set {name} is in force on {on} (versions: {versions}).",
    "{on} 没有生效的 {name} 规则集版本（现有版本：{versions}）。",
)
RULESET_INVALID = define(
    "ruleset_invalid",
    "unavailable",
    "The rule set file {path} is not valid: {detail}.",
    "规则集文件 {path} 无效：{detail}。",
)
RATIO_RULE_MISSING = define(
    "ratio_rule_missing",
    "refused",
    "The rule set {ruleset} has no spending-ratio rule for a {legal_form} ({fundraising}).",
    "规则集 {ruleset} 中没有适用于{fundraising_zh}的 {legal_form} 的年度支出比例规则。",
)
RATIO_INPUT_INVALID = define(
    "ratio_input_invalid",
    "invalid",
    "The figures for the ratio check are not consistent: {detail}.",
    "用于支出比例检查的数据不一致：{detail}。",
)
DEADLINE_INPUT_INVALID = define(
    "deadline_input_invalid",
    "invalid",
    "The dates for the deadline calculation are not consistent: {detail}.",
    "用于计算期限的日期不一致：{detail}。",
)
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
TASK_REF_INVALID = define(
    "task_ref_invalid",
    "invalid",
    "The task was given {ref!r}; give a data folder path or {{\"home\": ..., \"origin\": ...}}.",
    "任务参数 {ref!r} 无效；请给出数据目录路径或 {{\"home\": ..., \"origin\": ...}}。",
)
RULESET_PARAM_MISSING = define(
    "ruleset_param_missing",
    "refused",
    "The rule set {ruleset} has no parameter {param}.",
    "规则集 {ruleset} 中没有参数 {param}。",
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
