"""Error codes of the compliance rules: rule sets, ratio checks, deadlines."""

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
RULESET_PARAM_MISSING = define(
    "ruleset_param_missing",
    "refused",
    "The rule set {ruleset} has no parameter {param}.",
    "规则集 {ruleset} 中没有参数 {param}。",
)
