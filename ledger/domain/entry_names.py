"""The name of every entry type, in Chinese and English, defined once: the public site, the
reports and the workbench's forms all read them from here (``tests/domain/test_schemas.py``
checks every type the log accepts has one)."""

from __future__ import annotations

# type -> (Chinese, English), in the order DESIGN section 4 introduces them
ENTRY_TYPE_NAMES: dict[str, tuple[str, str]] = {
    "registry.genesis": ("登记系统创立", "Registry founded"),
    "org.registered": ("组织登记", "Organisation registered"),
    "org.updated": ("组织信息变更", "Organisation updated"),
    "org.deregistered": ("组织注销", "Organisation deregistered"),
    "key.granted": ("授予密钥", "Key granted"),
    "key.revoked": ("吊销密钥", "Key revoked"),
    "project.registered": ("项目登记", "Project registered"),
    "plan.filed": ("募捐方案备案", "Fundraising plan filed"),
    "plan.acknowledged": ("备案回执", "Plan filing acknowledged"),
    "donation.received": ("收到捐赠", "Donation received"),
    "funds.allocated": ("资金拨付", "Funds allocated"),
    "funds.disbursed": ("资金支出", "Payment made"),
    "progress.reported": ("进展报告", "Progress reported"),
    "project.closed": ("项目结项", "Project closed"),
    "attestation.recorded": ("监督意见", "Oversight verdict"),
    "query.answered": ("质询答复", "Answer to a query"),
    "audit.opinion": ("审计意见", "Audit opinion"),
    "entry.corrected": ("条目更正", "Entry corrected"),
    "report.issued": ("发布报告", "Report issued"),
    "financials.reported": ("报送年度财务数据", "Annual financial figures reported"),
    "log.key_rotated": ("账本密钥轮换", "Log key rotated"),
    "log.sealed": ("账本封存", "Log sealed"),
    "sz.donation_filed": ("特区捐赠备案", "SEZ donation filing"),
    "sz.filing_replied": ("特区捐赠备案答复", "SEZ filing answered"),
    "project.amended": ("项目变更", "Project amended"),
    "interest.received": ("利息收入", "Interest received"),
    "fee.charged": ("手续费支出", "Fee charged"),
    "disclosure.recorded": ("重大事项信息公开", "Disclosure of a major event"),
    "fundraising.results": ("公开募捐结果公开", "Fundraising results published"),
    "work_report.filed": ("年度工作报告报送", "Annual work report filed"),
}


def entry_type_name(type_name: str, *, zh: bool) -> str:
    """The type's name in Chinese (``zh``) or English; the type itself if it has none."""
    names = ENTRY_TYPE_NAMES.get(type_name)
    return type_name if names is None else names[0 if zh else 1]
