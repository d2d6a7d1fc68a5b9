"""Bilingual labels of the domain's vocabularies, as reports print them ("银行转账 Bank transfer").

Data files keep the machine value (``bank_transfer``) in one column and the label in another,
so a spreadsheet can be filtered on either.
"""

from __future__ import annotations

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
    "entry_type": {  # the types a correction may target (issue 13: corrections listed by type)
        "donation.received": ("收到捐赠", "Donation received"),
        "funds.allocated": ("拨付资金", "Funds allocated"),
        "funds.disbursed": ("支付款项", "Payment made"),
        "progress.reported": ("进展报告", "Progress reported"),
        "attestation.recorded": ("监督结论", "Oversight verdict"),
        "audit.opinion": ("审计意见", "Audit opinion"),
        "financials.reported": ("年度财务数据", "Annual financial figures"),
        "sz.donation_filed": ("特区捐赠备案", "SEZ donation filing"),
        "disclosure.recorded": ("重大事项信息公开", "Disclosure of a major event"),
        "fundraising.results": ("公开募捐结果公开", "Fundraising results"),
        "work_report.filed": ("年度工作报告报送", "Annual work report filed"),
    },
    "sz_decision": {
        "approved": ("同意", "Approved"),
        "objection": ("有异议", "Objection"),
    },
    "ratio_base": {
        "prior_year_income": ("上年总收入", "Prior-year income"),
        "prior_3y_avg_income": ("前三年收入平均数", "3-year average income"),
        "prior_year_end_net_assets": ("上年末净资产", "Prior-year-end net assets"),
        "prior_3y_avg_net_assets": ("前三年年末净资产平均数", "3-year average net assets"),
    },
}


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
