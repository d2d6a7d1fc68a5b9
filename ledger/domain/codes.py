"""Every refusal code of the charity domain, registered with bilingual messages.

One place, so that the list of codes can be documented and each one tested. The codes are
stable: clients and the API key on them. Messages are for a charity clerk: what was refused
and, where it helps, what to do instead. ``kind`` decides the HTTP status (see ledger.errors).
"""

from __future__ import annotations

from ledger.errors import define

# --- data and identifiers -------------------------------------------------------------------

UNKNOWN_TYPE = define(
    "unknown_type",
    "invalid",
    "The entry type {type!r} does not exist; see the list of entry types.",
    "不存在条目类型 {type!r}，请查看条目类型列表。",
)
DATA_INVALID = define(
    "data_invalid",
    "invalid",
    "The {type} entry has a wrong value in {field}: {detail}.",
    "{type} 条目中的 {field} 填写有误：{detail_zh}。",
)
USCC_INVALID = define(
    "uscc_invalid",
    "invalid",
    "{code!r} is not a valid unified social credit code: {detail}.",
    "{code!r} 不是有效的统一社会信用代码：{detail_zh}。",
)

# --- the trust root ---------------------------------------------------------------------------

GENESIS_REQUIRED = define(
    "genesis_required",
    "refused",
    "The first entry of a log must be registry.genesis, not {type}.",
    "账本的第一条条目必须是 registry.genesis（登记根），而不是 {type}。",
)
GENESIS_REPEATED = define(
    "genesis_repeated",
    "refused",
    "This log already has its registry.genesis entry; there is only one.",
    "本账本已有 registry.genesis（登记根）条目，只能有一条。",
)
GENESIS_KEY_MISMATCH = define(
    "genesis_key_mismatch",
    "invalid",
    "The genesis entry must be signed by the key it names (key id {expected}), not by {signer}.",
    "登记根条目必须由其中写明的密钥（{expected}）签名，而不是 {signer}。",
)
LOG_KEY_UNKNOWN = define(
    "log_key_unknown",
    "refused",
    "Only the log's current checkpoint key may rotate it; the genesis names {expected}, this entry is signed by {signer}.",
    "只有账本当前的检查点密钥才能轮换密钥；登记根写明的是 {expected}，本条目由 {signer} 签名。",
)
LOG_KEY_ROTATION_INVALID = define(
    "log_key_rotation_invalid",
    "invalid",
    "The key rotation is not valid: {detail}.",
    "密钥轮换无效：{detail}。",
)
SHARD_CONTINUATION_INVALID = define(
    "shard_continuation_invalid",
    "refused",
    "This genesis does not continue the sealed log it names: {detail}.",
    "该登记根条目未能衔接其所指的已封存账本：{detail}。",
)
LOG_SEAL_INVALID = define(
    "log_seal_invalid",
    "refused",
    "This log cannot be sealed this way: {detail}.",
    "无法以此方式封存本账本：{detail}。",
)
GENESIS_ORIGIN_MISMATCH = define(
    "genesis_origin_mismatch",
    "refused",
    "The genesis entry names the log {got!r}, but this log is {expected!r}.",
    "登记根条目写明的账本为 {got!r}，而本账本为 {expected!r}。",
)

# --- keys and roles -------------------------------------------------------------------------

KEY_REVOKED = define(
    "key_revoked",
    "forbidden",
    "The key {key} was revoked (entry {revoked_seq}) and can no longer sign; ask your administrator for a new key.",
    "密钥 {key} 已被吊销（条目 {revoked_seq}），不能再签名；请向管理员申请新密钥。",
)
ROLE_NOT_ALLOWED = define(
    "role_not_allowed",
    "forbidden",
    "A {role} key cannot record {type} entries (allowed: {allowed}).",
    "{role} 角色的密钥不能记录 {type} 条目（可记录的角色：{allowed}）。",
)
KEY_EXISTS = define(
    "key_exists",
    "conflict",
    "The key {key} was already granted (entry {seq}); generate a new key pair.",
    "密钥 {key} 已经授权过（条目 {seq}），请生成新的密钥对。",
)
KEY_UNKNOWN = define(
    "key_unknown",
    "not_found",
    "No key {key} was ever granted in this log.",
    "本账本中从未授权过密钥 {key}。",
)
KEY_ALREADY_REVOKED = define(
    "key_already_revoked",
    "conflict",
    "The key {key} is already revoked (entry {revoked_seq}).",
    "密钥 {key} 已被吊销（条目 {revoked_seq}）。",
)
KEY_REVOKE_SELF = define(
    "key_revoke_self",
    "refused",
    "A key cannot revoke itself; grant a new key first and revoke the old one with it, or ask the administrator.",
    "密钥不能吊销自己；请先授权新密钥再用新密钥吊销旧密钥，或请管理员吊销。",
)
GRANT_NOT_ALLOWED = define(
    "grant_not_allowed",
    "forbidden",
    "A {signer_role} key of {signer_org} cannot grant a {role} key in {org}: {detail}.",
    "{signer_org} 的 {signer_role} 密钥不能在 {org} 授权 {role} 密钥：{detail_zh}。",
)
REVOKE_NOT_ALLOWED = define(
    "revoke_not_allowed",
    "forbidden",
    "A {signer_role} key of {signer_org} cannot revoke the {role} key {key} of {org}.",
    "{signer_org} 的 {signer_role} 密钥不能吊销 {org} 的 {role} 密钥 {key}。",
)

# --- organisations --------------------------------------------------------------------------

ORG_UNKNOWN = define(
    "org_unknown",
    "not_found",
    "The organisation {org} is not registered in this log; the registrar registers it first.",
    "组织 {org} 未在本账本登记，需先由登记管理机关登记。",
)
ORG_EXISTS = define(
    "org_exists",
    "conflict",
    "The organisation {org} is already registered (entry {seq}); use org.updated to change it.",
    "组织 {org} 已登记（条目 {seq}），如需变更请使用 org.updated。",
)
ORG_INACTIVE = define(
    "org_inactive",
    "refused",
    "The organisation {org} was deregistered (entry {seq}) and can take no part in new entries.",
    "组织 {org} 已注销（条目 {seq}），不能参与新的条目。",
)
REGISTRAR_ORG_PROTECTED = define(
    "registrar_org_protected",
    "refused",
    "The registrar's own organisation {org} cannot be deregistered or changed into another kind of organisation.",
    "登记管理机关本身（{org}）不能被注销，也不能变更为其他组织类型。",
)
ORG_NOT_CHARITY = define(
    "org_not_charity",
    "refused",
    "Only a charity (foundation, social group or social service organisation) can raise funds; {org} is a {legal_form}.",
    "只有慈善组织（基金会、社会团体、社会服务机构）可以募集资金；{org} 的组织形式为 {legal_form}。",
)
QUALIFICATION_INVALID = define(
    "qualification_invalid",
    "refused",
    "The public-fundraising qualification can only be held by a registered (not filed) charity; {org} is a {legal_form} on the {track} track.",
    "只有已登记（非备案）的慈善组织才能具有公开募捐资格；{org} 的组织形式为 {legal_form}，类别为 {track}。",
)
QUALIFICATION_REQUIRED = define(
    "qualification_required",
    "refused",
    "{org} does not hold the public-fundraising qualification, so it cannot raise funds publicly for {project}; register a directed (定向) project instead.",
    "{org} 不具备公开募捐资格，不能为 {project} 公开募捐；可改为登记定向募捐项目。",
)

# --- projects and plans ---------------------------------------------------------------------

PROJECT_EXISTS = define(
    "project_exists",
    "conflict",
    "A project with the id {project} already exists (entry {seq}); choose another id.",
    "项目编号 {project} 已存在（条目 {seq}），请换一个编号。",
)
PROJECT_UNKNOWN = define(
    "project_unknown",
    "not_found",
    "There is no project {project} in this log.",
    "本账本中没有项目 {project}。",
)
PROJECT_CLOSED = define(
    "project_closed",
    "refused",
    "The project {project} was closed (entry {seq}); it takes no new {what}.",
    "项目 {project} 已结项（条目 {seq}），不再接受新的{what_zh}。",
)
NOT_PROJECT_FUNDRAISER = define(
    "not_project_fundraiser",
    "forbidden",
    "Only the fundraising organisation of {project} ({fundraiser}) can do this; the key belongs to {org}.",
    "只有项目 {project} 的募集方（{fundraiser}）可以办理；该密钥属于 {org}。",
)
NOT_PROJECT_IMPLEMENTER = define(
    "not_project_implementer",
    "forbidden",
    "{org} is not an implementing organisation of {project} (implementers: {implementers}).",
    "{org} 不是项目 {project} 的执行方（执行方：{implementers}）。",
)
NOT_PROJECT_OVERSEER = define(
    "not_project_overseer",
    "forbidden",
    "{org} is not an oversight organisation of {project} (overseers: {overseers}).",
    "{org} 不是项目 {project} 的监督方（监督方：{overseers}）。",
)
SEPARATION_VIOLATION = define(
    "separation_violation",
    "refused",
    "Separation of duties: {org} cannot oversee {project} because it is also its {other_role}.",
    "职责分离：{org} 是项目 {project} 的{other_role_zh}，不能同时担任监督方。",
)
PLAN_REQUIRED = define(
    "plan_required",
    "refused",
    "A public fundraising project needs its fundraising plan (Charity Law art. 24) in the registration.",
    "公开募捐项目登记时必须附募捐方案（《慈善法》第二十四条）。",
)
PLAN_NOT_PUBLIC = define(
    "plan_not_public",
    "refused",
    "The project {project} is a directed (定向) project; only public fundraising plans are filed.",
    "项目 {project} 为定向募捐项目，只有公开募捐方案需要备案。",
)
PLAN_ALREADY_FILED = define(
    "plan_already_filed",
    "conflict",
    "The fundraising plan of {project} was already filed (entry {seq}).",
    "项目 {project} 的募捐方案已备案（条目 {seq}）。",
)
PLAN_FILED_LATE = define(
    "plan_filed_late",
    "refused",
    "The plan of {project} must be filed by {deadline} (fundraising starts {start}); today is {today}.",
    "项目 {project} 的募捐方案须在 {deadline} 前备案（募捐开始日期 {start}），今天是 {today}。",
)
PLAN_NOT_FILED = define(
    "plan_not_filed",
    "refused",
    "The fundraising plan of {project} has not been filed, so public fundraising cannot take place yet.",
    "项目 {project} 的募捐方案尚未备案，暂不能开展公开募捐。",
)
PLAN_ALREADY_ACKNOWLEDGED = define(
    "plan_already_acknowledged",
    "conflict",
    "The filing of {project} was already acknowledged (entry {seq}).",
    "项目 {project} 的备案已确认（条目 {seq}）。",
)
OUTSIDE_FUNDRAISING_PERIOD = define(
    "outside_fundraising_period",
    "refused",
    "The donation date {date} is outside the public fundraising period of {project} ({start} to {end}).",
    "捐赠日期 {date} 不在项目 {project} 的公开募捐期间（{start} 至 {end}）内。",
)
DATE_IN_FUTURE = define(
    "date_in_future",
    "refused",
    "The date {field} = {date} is after today ({today}); record things once they have happened.",
    "{field} 的日期 {date} 晚于今天（{today}），请在事项发生后再记录。",
)
CLOSE_SURPLUS_MISMATCH = define(
    "close_surplus_mismatch",
    "refused",
    "The closing surplus of {project} is {computed}, not {stated}: received minus spent; correct the figure and close again.",
    "项目 {project} 的结余应为 {computed}（收入减支出），而不是 {stated}；请更正后再结项。",
)

# --- money ----------------------------------------------------------------------------------

CURRENCY_MISMATCH = define(
    "currency_mismatch",
    "refused",
    "The project {project} keeps its accounts in {expected}; this entry is in {got}.",
    "项目 {project} 以 {expected} 记账，本条目的币种为 {got}。",
)
INSUFFICIENT_FUNDS = define(
    "insufficient_funds",
    "refused",
    "Cannot allocate {amount} from the {pot} funds of {project}: only {available} is available.",
    "不能从项目 {project} 的{pot_zh}资金中拨付 {amount}：可用余额只有 {available}。",
)
INSUFFICIENT_ALLOCATION = define(
    "insufficient_allocation",
    "refused",
    "Cannot pay {amount} for {project}: {implementer} has only {available} of allocated funds left.",
    "项目 {project} 不能支出 {amount}：{implementer} 的已拨付余额只有 {available}。",
)

# --- corrections ----------------------------------------------------------------------------

TARGET_UNKNOWN = define(
    "target_unknown",
    "not_found",
    "There is no entry {target} in this log.",
    "本账本中没有条目 {target}。",
)
CORRECTION_NOT_ALLOWED = define(
    "correction_not_allowed",
    "refused",
    "A {target_type} entry cannot be corrected; {instead}.",
    "{target_type} 条目不能更正；{instead_zh}。",
)
CORRECTION_WRONG_SIGNER = define(
    "correction_wrong_signer",
    "forbidden",
    "Only a {role} key of {org} can correct this entry (it was recorded by them).",
    "只有 {org} 的 {role} 密钥才能更正该条目（原条目由其记录）。",
)
ALREADY_CORRECTED = define(
    "already_corrected",
    "conflict",
    "The entry {target} was already corrected by {by}; an entry is corrected only once.",
    "条目 {target} 已被 {by} 更正，每条条目只能更正一次。",
)
CORRECTION_MISMATCH = define(
    "correction_mismatch",
    "invalid",
    "The correction must repeat the target's {field}: expected {expected}, got {got}.",
    "更正条目须与原条目的 {field} 一致：应为 {expected}，实际为 {got}。",
)
CORRECTION_OVERDRAW = define(
    "correction_overdraw",
    "refused",
    "Reversing {target} would take {amount} out of {what}, which has only {available} left; reverse the later entries that used the money first.",
    "冲销 {target} 将从{what_zh}中扣除 {amount}，但余额只有 {available}；请先冲销使用了这笔资金的后续条目。",
)

# --- oversight ------------------------------------------------------------------------------

ATTEST_OWN_ENTRY = define(
    "attest_own_entry",
    "refused",
    "Nobody attests their own entry: {target} was recorded by {org}.",
    "不能对本方记录的条目出具监督意见：条目 {target} 由 {org} 记录。",
)
NOTHING_TO_RESOLVE = define(
    "nothing_to_resolve",
    "refused",
    "The entry {target} has no open query or flag to resolve (its latest verdict is {verdict}).",
    "条目 {target} 没有待解决的质询或标记（最新意见为 {verdict}）。",
)
AUDIT_OWN_ORG = define(
    "audit_own_org",
    "refused",
    "{org} cannot give an audit opinion on itself.",
    "{org} 不能对自身出具审计意见。",
)
FINANCIALS_EXIST = define(
    "financials_exist",
    "conflict",
    "The figures of {org} for {year} were already reported (entry {seq}); withdraw them with entry.corrected, then report them again.",
    "{org} {year} 年度的财务数据已报送（条目 {seq}）；如需更正，请先用 entry.corrected 撤回后重新报送。",
)
FINANCIALS_WRONG_ORG = define(
    "financials_wrong_org",
    "forbidden",
    "An organisation administrator of {signer_org} reports only its own organisation's figures, not those of {org}.",
    "{signer_org} 的组织管理员只能报送本组织的财务数据，不能报送 {org} 的数据。",
)
ACCOUNT_WRONG_ORG = define(
    "account_movement_wrong_org",
    "forbidden",
    "A key of {signer_org} records interest and fees only on its own organisation's accounts and projects, not on {other}.",
    "{signer_org} 的密钥只能记录本机构账户和项目的利息与手续费，不能记录 {other} 的。",
)
REPORT_TREE_SIZE = define(
    "report_tree_size",
    "refused",
    "The report says it was computed at tree size {tree_size}, but the log has only {size} entries.",
    "报告声明的计算树大小为 {tree_size}，而账本只有 {size} 条条目。",
)

# --- SEZ donation filings (Shenzhen SEZ Regulations on Donations for Public Welfare) ----------

SZ_FILING_EXISTS = define(
    "sz_filing_exists",
    "conflict",
    "{org} already filed under the reference {ref!r} (entry {seq}); give each filing its own reference.",
    "{org} 已使用备案编号 {ref!r}（条目 {seq}），每次备案须使用不同的编号。",
)
SZ_AUTHORITY_INVALID = define(
    "sz_authority_invalid",
    "refused",
    "Donations are filed with the registrar {expected}, not with {got}.",
    "捐赠应向登记管理机关 {expected} 备案，而不是 {got}。",
)
SZ_DONATION_INVALID = define(
    "sz_donation_invalid",
    "refused",
    "The entry {donation} cannot be filed by {org}: {detail}.",
    "{org} 不能备案条目 {donation}：{detail_zh}。",
)
SZ_FILING_UNKNOWN = define(
    "sz_filing_unknown",
    "not_found",
    "The entry {target} is not an SEZ donation filing (sz.donation_filed).",
    "条目 {target} 不是特区捐赠备案（sz.donation_filed）。",
)
SZ_FILING_REPLIED = define(
    "sz_filing_replied",
    "conflict",
    "The filing {target} was already answered (entry {seq}); the authority replies once.",
    "备案 {target} 已答复（条目 {seq}），主管部门只答复一次。",
)
SZ_REPLY_BEFORE_FILING = define(
    "sz_reply_before_filing",
    "invalid",
    "The reply date {replied_on} is before the filing date {filed_on}.",
    "答复日期 {replied_on} 早于备案日期 {filed_on}。",
)

# --- donor privacy --------------------------------------------------------------------------

PERSONAL_DATA_INVALID = define(
    "personal_data_invalid",
    "invalid",
    "The donor's personal data is not valid: {detail}.",
    "捐赠人个人信息有误：{detail_zh}。",
)
RECEIPT_CODE_INVALID = define(
    "receipt_code_invalid",
    "invalid",
    "{code!r} is not a receipt code; it looks like D1234-AAAQEAYEAUDAOCAJBIFQYDIOB4-G.",
    "{code!r} 不是有效的捐赠查询码，格式应如 D1234-AAAQEAYEAUDAOCAJBIFQYDIOB4-G。",
)
RECEIPT_CODE_CHECKSUM = define(
    "receipt_code_checksum",
    "invalid",
    "The receipt code {code!r} has a typing error (its check character does not match); copy it again from the receipt.",
    "捐赠查询码 {code!r} 有输入错误（校验位不符），请对照收据重新输入。",
)

# --- import ---

PERSONAL_DATA_IN_TEXT = define(
    "personal_data_in_text",
    "invalid",
    "The {type} entry's {field} contains what looks like {kind_en}. The log is public and permanent: "
    "remove it from {field} (a donor's personal data belongs in the donor store only).",
    "{type} 条目的 {field} 中含有疑似{kind_zh}的内容。账本公开且不可删除：请从 {field} 中删去"
    "（捐赠人个人信息只能存入捐赠人信息库）。",
)

# --- ed25519 ---------------------------------------------------------------------------------

LOG_HOLDS_WEAK_KEY = define(
    "log_holds_weak_key",
    "conflict",
    "Nothing more is appended to this log: entry {seq} put the key {key_id} into it, and that key is not usable "
    "({problem}), so entries could be signed with it without any private key. The operator must decide how to "
    "recover (see the operations guide); strict verifiers report the log as invalid at entry {seq}.",
    "本账本不再追加条目：第 {seq} 号条目写入了密钥 {key_id}，该密钥不可用（小阶点、编码不规范或不在曲线上），"
    "无需私钥即可冒签条目。须由运营方决定如何恢复（见运维指南）；严格的验证程序会报告本账本自第 {seq} 号条目起无效。",
)

# --- evidence ---------------------------------------------------------------------------------

EVIDENCE_HASH_INVALID = define(
    "evidence_hash_invalid",
    "invalid",
    "{value!r} is not an evidence hash; it is 64 lowercase hex digits (SHA-256).",
    "{value!r} 不是凭证哈希值；应为 64 位小写十六进制数字（SHA-256）。",
)
EVIDENCE_NOT_FOUND = define(
    "evidence_not_found",
    "not_found",
    "No file with SHA-256 {sha256} is held here (it may never have been uploaded).",
    "此处没有 SHA-256 为 {sha256} 的文件（可能从未上传）。",
)
EVIDENCE_RESTRICTED = define(
    "evidence_restricted",
    "forbidden",
    "The file {sha256} is held for overseers and regulators only; sign in with a token with the {scope} scope.",
    "文件 {sha256} 仅供监督方和主管部门查阅，请使用具有 {scope} 权限的令牌访问。",
)
EVIDENCE_TYPE_REFUSED = define(
    "evidence_type_refused",
    "refused",
    "This file is not accepted as evidence: {detail}. Send a PDF, JPEG, PNG or WebP image, or UTF-8 text/CSV.",
    "不接受此文件作为凭证：{detail_zh}。请上传 PDF、JPEG、PNG 或 WebP 图片，或 UTF-8 文本/CSV。",
)
EVIDENCE_TOO_LARGE = define(
    "evidence_too_large",
    "invalid",
    "The file is larger than the {limit} bytes accepted for evidence; nothing was stored.",
    "文件超过凭证允许的 {limit} 字节上限，未保存任何内容。",
)
EVIDENCE_UPLOAD_INVALID = define(
    "evidence_upload_invalid",
    "invalid",
    "The upload is not valid: {detail}.",
    "上传请求无效：{detail_zh}。",
)
EVIDENCE_VISIBILITY_INVALID = define(
    "evidence_visibility_invalid",
    "invalid",
    "visibility is public or restricted, not {value!r}.",
    "visibility 只能是 public 或 restricted，而不是 {value!r}。",
)
EVIDENCE_VISIBILITY_CONFLICT = define(
    "evidence_visibility_conflict",
    "conflict",
    "The file {sha256} is public already; a published file cannot be made restricted again.",
    "文件 {sha256} 已公开，已公开的文件不能再改为限制查阅。",
)
EVIDENCE_SIGNATURE_MISSING = define(
    "evidence_signature_missing",
    "forbidden",
    "An evidence upload needs an X-Evidence-Signature header (key id:base64 signature); nothing was stored.",
    "上传凭证须附 X-Evidence-Signature 请求头（密钥编号:base64 签名），未保存任何内容。",
)
EVIDENCE_SIGNATURE_INVALID = define(
    "evidence_signature_invalid",
    "forbidden",
    "The upload signature does not check: {detail}; nothing was stored.",
    "上传签名校验未通过：{detail_zh}，未保存任何内容。",
)
EVIDENCE_SIGNER_UNKNOWN = define(
    "evidence_signer_unknown",
    "forbidden",
    "The key {key} is not granted in this log; nothing was stored.",
    "密钥 {key} 未在本账本中授权，未保存任何内容。",
)
EVIDENCE_SIGNER_REVOKED = define(
    "evidence_signer_revoked",
    "forbidden",
    "The key {key} may no longer sign: {detail}; nothing was stored.",
    "密钥 {key} 已不能签名：{detail_zh}，未保存任何内容。",
)
EVIDENCE_STORE_UNAVAILABLE = define(
    "evidence_store_unavailable",
    "unavailable",
    "The evidence store cannot be reached or holds a damaged copy of {sha256}; try again later.",
    "凭证存储暂时无法访问或 {sha256} 的副本已损坏，请稍后重试。",
)

# --- grammar ---

DATE_TOO_EARLY = define(
    "date_too_early",
    "refused",
    "The date {field} = {date} is before {what} ({earliest}); nothing can be recorded for a time before it existed.",
    "{field} 的日期 {date} 早于{what_zh}（{earliest}），不能记录其存在之前的事项。",
)
DATE_TOO_LATE = define(
    "date_too_late",
    "refused",
    "The date {field} = {date} is after {latest} (today, allowing a day for clocks and time zones); "
    "record things once they have happened.",
    "{field} 的日期 {date} 晚于 {latest}（今天，已留出一天的时钟与时区误差），请在事项发生后再记录。",
)

# --- oversight threads ---

NOT_A_QUERY = define(
    "not_a_query",
    "refused",
    "The entry {attestation} is not an open query or flag (its verdict is {verdict}); there is nothing to answer.",
    "条目 {attestation} 不是待答复的质询或标记（意见为 {verdict}），无需答复。",
)
NOT_YOUR_QUERY = define(
    "not_your_query",
    "forbidden",
    "The query {attestation} is about an entry of {org}; only that organisation answers it.",
    "质询 {attestation} 针对 {org} 的条目，只能由该组织答复。",
)
# --- forms ---

PROJECT_AMENDMENT_REFUSED = define(
    "project_amendment_refused",
    "refused",
    "The amendment of project {project} is refused: {detail}; nothing was stored.",
    "项目 {project} 的变更被拒绝：{detail_zh}，未保存任何内容。",
)
DRAFT_REFUSED = define(
    "draft_refused",
    "refused",
    "Draft {draft} cannot be {action}: {detail}.",
    "草稿 {draft} 无法{action_zh}：{detail_zh}。",
)
DRAFT_UNKNOWN = define(
    "draft_unknown",
    "not_found",
    "There is no draft {draft} in your organisation.",
    "您的机构中没有草稿 {draft}。",
)
# --- auth ---

ACCOUNT_INVALID = define(
    "account_invalid",
    "invalid",
    "The account details are not valid: {detail}; nothing was saved.",
    "账户信息无效：{detail_zh}，未保存任何内容。",
)
ACCOUNT_EXISTS = define(
    "account_exists",
    "conflict",
    "There is already an account or open invitation for {login}.",
    "{login} 已有账户或未接受的邀请。",
)
ACCOUNT_UNKNOWN = define(
    "account_unknown",
    "not_found",
    "There is no workbench account {account}.",
    "不存在工作台账户 {account}。",
)
ACCOUNT_FORBIDDEN = define(
    "account_forbidden",
    "forbidden",
    "Your account may not do this: {detail}; nothing was changed.",
    "您的账户无权执行此操作：{detail_zh}，未做任何更改。",
)
INVITATION_INVALID = define(
    "invitation_invalid",
    "not_found",
    "This invitation is unknown, already used or expired; ask for a new one.",
    "该邀请不存在、已被使用或已过期，请重新申请邀请。",
)
SIGN_IN_FAILED = define(
    "sign_in_failed",
    "forbidden",
    "The account name or password is wrong.",
    "账户名或密码错误。",
)
ACCOUNT_LOCKED = define(
    "account_locked",
    "refused",
    "Too many failed sign-ins: the account is locked until {until}.",
    "登录失败次数过多，账户已锁定至 {until}。",
)
CSRF_FAILED = define(
    "csrf_failed",
    "forbidden",
    "The form is out of date or did not come from this site; reload the page and try again. Nothing was changed.",
    "表单已过期或并非来自本站，请刷新页面后重试，未做任何更改。",
)
INIT_INCOMPLETE = define(
    "init_incomplete",
    "invalid",
    "`init` needs more to create the trust root: {detail}; no genesis entry was written.",
    "init 缺少创建信任根所需的信息：{detail_zh}，未写入创世条目。",
)
PASSKEY_FAILED = define(
    "passkey_failed",
    "forbidden",
    "The passkey could not be checked: {detail}.",
    "通行密钥校验未通过：{detail_zh}。",
)

# --- disclosures (issue 13): events, campaign results, the annual work report -----------------

DISCLOSURE_EXISTS = define(
    "disclosure_exists",
    "conflict",
    "{org} already recorded a disclosure under the reference {ref!r} (entry {seq}); give each disclosure its own reference.",
    "{org} 已使用公开编号 {ref!r}（条目 {seq}），每项信息公开须使用不同的编号。",
)
RESULTS_NOT_CAMPAIGN = define(
    "results_not_campaign",
    "refused",
    "The project {project} is not a public fundraising campaign (it is directed or has no fundraising plan): it has no fundraising results to publish.",
    "项目 {project} 不是公开募捐活动（为定向募捐或没有募捐方案），无需公开募捐结果。",
)
RESULTS_EXIST = define(
    "results_exist",
    "conflict",
    "The results of {project} were already published (entry {seq}); withdraw them with entry.corrected, then publish them again.",
    "项目 {project} 的募捐结果已公开（条目 {seq}）；如需更正，请先用 entry.corrected 撤回后重新公开。",
)
FUNDRAISING_COST_OVER_CAP = define(
    "fundraising_cost_over_cap",
    "refused",
    "The fundraising costs {costs} are over the cap of {cap} the plan set; record them with an explanation of the excess.",
    "募捐成本 {costs} 超过募捐方案载明的上限 {cap}，须在 explanation 中说明超出原因后再记录。",
)
WORK_REPORT_EXISTS = define(
    "work_report_exists",
    "conflict",
    "The work report of {org} for {year} was already filed (entry {seq}); withdraw it with entry.corrected, then file it again.",
    "{org} {year} 年度工作报告已报送（条目 {seq}）；如需更正，请先用 entry.corrected 撤回后重新报送。",
)
WORK_REPORT_WRONG_ORG = define(
    "work_report_wrong_org",
    "forbidden",
    "An organisation administrator of {signer_org} files only its own organisation's work report, not that of {org}.",
    "{signer_org} 的组织管理员只能报送本组织的年度工作报告，不能报送 {org} 的报告。",
)

ALL_CODES: tuple[str, ...] = tuple(
    value for name, value in sorted(globals().items()) if name.isupper() and isinstance(value, str)
)
