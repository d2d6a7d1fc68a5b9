"""Bilingual labels of the domain's vocabularies, as reports print them ("银行转账 Bank transfer").

Data files keep the machine value (``bank_transfer``) in one column and the label in another,
so a spreadsheet can be filtered on either.
"""

from __future__ import annotations

import re

from ledger.domain.entry_names import ENTRY_TYPE_NAMES

CODE_RE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)?")

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "channel": {
        "bank_transfer": ("银行转账", "Bank transfer"),
        "online_platform": ("互联网募捐平台", "Online platform"),
        "cash": ("现金", "Cash"),
        "cheque": ("支票", "Cheque"),
        "delivery": ("实物交付", "Delivery in kind"),
        "other": ("其他", "Other"),
    },
    "donor_type": {
        "individual": ("个人", "Individual"),
        "enterprise": ("企业", "Enterprise"),
        "government_purchase": ("政府购买服务", "Government purchase of services"),
        "foundation": ("基金会", "Foundation"),
        "anonymous": ("匿名", "Anonymous"),
    },
    "pot": {
        "restricted": ("定向", "Restricted"),
        "unrestricted": ("非定向", "Unrestricted"),
    },
    "kind": {
        "money": ("资金", "Money"),
        "in_kind": ("物资", "In kind"),
    },
    "category": {
        "program": ("慈善活动支出", "Charitable activities"),
        "admin": ("管理费用", "Management costs"),
        "fundraising_cost": ("募捐成本", "Fundraising costs"),
    },
    "verdict": {
        "approved": ("通过", "Approved"),
        "queried": ("质询", "Queried"),
        "flagged": ("标记问题", "Flagged"),
        "resolved": ("已解决", "Resolved"),
    },
    "opinion": {
        "unqualified": ("无保留意见", "Unqualified"),
        "qualified": ("保留意见", "Qualified"),
        "adverse": ("否定意见", "Adverse"),
        "disclaimer": ("无法表示意见", "Disclaimer"),
    },
    "surplus_handling": {
        "none": ("无结余", "No surplus"),
        "per_plan": ("按方案处理", "As the plan says"),
        "similar_purpose": ("用于同类目的", "Same or similar purpose"),
        "returned_to_donors": ("退还捐赠人", "Returned to donors"),
        "other": ("其他", "Other"),
    },
    "legal_form": {
        "foundation": ("基金会", "Foundation"),
        "social_group": ("社会团体", "Social group"),
        "social_service_org": ("社会服务机构", "Social service organisation"),
        "government": ("机关", "Government body"),
        "enterprise": ("企业", "Enterprise"),
        "other": ("其他", "Other"),
    },
    "status": {
        "on_time": ("按时", "On time"),
        "late": ("逾期完成", "Late"),
        "missing": ("逾期未完成", "Overdue"),
        "due": ("未到期", "Not yet due"),
    },
    "rule": {
        "plan_filing": ("募捐方案备案", "Plan filing"),
        "plan_filing_emergency": ("募捐方案补办备案（紧急）", "Plan filing (emergency)"),
        "campaign_progress_disclosure": ("募捐情况定期公开", "Campaign disclosure"),
        "campaign_final_disclosure": ("募捐情况结束后公开", "Campaign final disclosure"),
        "progress_disclosure": ("项目实施情况定期公开", "Progress disclosure"),
        "final_disclosure": ("项目结束后公开", "Final disclosure"),
        "surplus_disclosure": ("剩余财产处理公开", "Surplus disclosure"),
        "annual_report": ("年度报告", "Annual report"),
        "authority_reply": ("特区捐赠备案答复（10 日）", "SEZ filing reply (10 days)"),
        "authority_reply_latest": ("特区捐赠备案答复（最长 30 日）", "SEZ filing reply (at most 30 days)"),
        "emergency_filing": ("紧急捐赠补办备案（3 个月）", "Emergency donation filing (3 months)"),
        "major_event_disclosure": ("重大事项公开（30 日）", "Major event disclosure (30 days)"),
        "fundraising_results": ("募捐结果公开（结束后 3 个月）", "Fundraising results (3 months after the end)"),
    },
    "disclosure_kind": {
        "major_asset_change": ("重大资产变动", "Major asset change"),
        "investment": ("投资", "Investment"),
        "related_party_transaction": ("关联交易", "Related-party transaction"),
    },
    "entry_type": ENTRY_TYPE_NAMES,  # every entry type (corrections are listed by type; PDFs print these for codes)
    "sz_decision": {
        "approved": ("同意", "Approved"),
        "objection": ("有异议", "Objection"),
    },
    "org_status": {
        "active": ("存续", "Active"),
        "deregistered": ("已注销", "Deregistered"),
    },
    "project_status": {
        "open": ("进行中", "Open"),
        "closed": ("已结项", "Closed"),
    },
    "check_status": {
        "passed": ("符合", "Passed"),
        "failed": ("不符合", "Failed"),
        "not_applicable": ("不适用", "Not applicable"),
        "insufficient": ("数据不足", "Not enough figures"),
        "missing_figures": ("数据不足", "Not enough figures"),
    },
    "ratio_rule": {
        "public_foundation": ("具有公开募捐资格的基金会", "Foundation with public fundraising"),
        "public_social": (
            "具有公开募捐资格的社会团体、社会服务机构",
            "Social group or service org with public fundraising",
        ),
        "non_public_foundation": ("不具有公开募捐资格的基金会", "Foundation without public fundraising"),
        "non_public_social": (
            "不具有公开募捐资格的社会团体、社会服务机构",
            "Social group or service org without public fundraising",
        ),
    },
    "ratio_tier": {
        "all": ("不分档", "one tier"),
        "under_4m": ("净资产低于 400 万元", "net assets under 4m"),
        "4m_to_8m": ("净资产 400 万至 800 万元", "net assets 4m to 8m"),
        "8m_to_60m": ("净资产 800 万至 6000 万元", "net assets 8m to 60m"),
        "ge_60m": ("净资产 6000 万元及以上", "net assets 60m and more"),
        "under_1m": ("净资产低于 100 万元", "net assets under 1m"),
        "1m_to_5m": ("净资产 100 万至 500 万元", "net assets 1m to 5m"),
        "5m_to_10m": ("净资产 500 万至 1000 万元", "net assets 5m to 10m"),
        "ge_10m": ("净资产 1000 万元及以上", "net assets 10m and more"),
    },
    "ratio_base": {
        "prior_year_income": ("上年总收入", "Prior-year income"),
        "prior_3y_avg_income": ("前三年收入平均数", "3-year average income"),
        "prior_year_end_net_assets": ("上年末净资产", "Prior-year-end net assets"),
        "prior_3y_avg_net_assets": ("前三年年末净资产平均数", "3-year average net assets"),
    },
}


# The vocabularies a table column's machine values come from, by column key (PDF pages print
# the Chinese label in place of the code; data files keep the code).
COLUMN_VOCABS: dict[str, tuple[str, ...]] = {
    "status": ("status", "org_status", "project_status", "check_status"),
    "filing_status": ("status",),
    "annual_report": ("status",),
    "ratio_status": ("check_status",),
    "verdict": ("verdict",),
    "latest_verdict": ("verdict",),
    "opinion": ("opinion",),
    "audit_opinion": ("opinion",),
    "type": ("entry_type",),
    "entry_type": ("entry_type",),
    "kind": ("kind", "entry_type"),
    "legal_form": ("legal_form",),
    "channel": ("channel",),
    "donor_type": ("donor_type",),
    "pot": ("pot",),
    "category": ("category",),
    "rule": ("rule",),
    "decision": ("sz_decision",),
    "surplus_handling": ("surplus_handling",),
    "base": ("ratio_base",),
}
# a value found in no column's vocabularies is looked up here (first vocabulary wins)
ANY_VOCAB: dict[str, str] = {}
for _vocab in LABELS.values():
    for _code, (_zh, _en) in _vocab.items():
        ANY_VOCAB.setdefault(_code, _zh)


def column_zh(key: str, value: str) -> str:
    """The Chinese label of a machine value in the column ``key`` (the value itself when it is
    no known code: names, titles and free text pass through)."""
    for vocab in COLUMN_VOCABS.get(key, ()):
        found = LABELS[vocab].get(value)
        if found is not None:
            return found[0]
    return ANY_VOCAB.get(value, value) if CODE_RE.fullmatch(value) else value


def zh(vocab: str, value: str | None) -> str:
    if value is None:
        return "—"
    return LABELS[vocab].get(value, (value, value))[0]


def en(vocab: str, value: str | None) -> str:
    if value is None:
        return "—"
    return LABELS[vocab].get(value, (value, value))[1]


def both(vocab: str, value: str | None) -> str:
    """``银行转账 Bank transfer``."""
    if value is None:
        return "—"
    z, e = LABELS[vocab].get(value, (value, value))
    return z if z == e else f"{z} {e}"
