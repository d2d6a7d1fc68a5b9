"""Names for the vocabularies of the log (fields, roles, entry types...), as gettext message ids.

``N_`` only marks a message for extraction; templates translate with ``label(kind, value)``.
Unknown values are shown as they are.
"""

from __future__ import annotations


def N_(message: str) -> str:  # the gettext convention
    return message


LABELS: dict[str, dict[str, str]] = {
    "field": {
        "elderly_care": N_("Elderly care"),
        "community_service": N_("Community service"),
        "social_work": N_("Social work"),
        "disaster_relief": N_("Disaster relief"),
        "education": N_("Education"),
        "health": N_("Health"),
        "poverty_relief": N_("Poverty relief"),
        "children": N_("Children"),
        "disability": N_("Disability"),
        "environment": N_("Environment"),
        "culture": N_("Culture"),
        "other": N_("Other"),
    },
    "legal_form": {
        "foundation": N_("Foundation"),
        "social_group": N_("Social group"),
        "social_service_org": N_("Social service organisation"),
        "government": N_("Government body"),
        "enterprise": N_("Enterprise"),
        "other": N_("Other"),
    },
    "track": {"registered": N_("Registered"), "filed": N_("Filed (community organisation)")},
    "org_status": {"active": N_("Active"), "deregistered": N_("Deregistered")},
    "status": {"open": N_("Open"), "closed": N_("Closed")},
    "donor_type": {
        "individual": N_("Individuals"),
        "enterprise": N_("Enterprises"),
        "government_purchase": N_("Government purchase of services"),
        "foundation": N_("Foundations"),
        "anonymous": N_("Anonymous donors"),
    },
    "channel": {
        "bank_transfer": N_("Bank transfer"),
        "online_platform": N_("Online platform"),
        "cash": N_("Cash"),
        "cheque": N_("Cheque"),
        "delivery": N_("Delivered in kind"),
        "other": N_("Other"),
    },
    "kind": {"money": N_("Money"), "in_kind": N_("In kind")},
    "ratio_status": {
        "passed": N_("Met"),
        "failed": N_("Missed"),
        "not_applicable": N_("Not applicable"),
        "not_computed": N_("Not computed"),
    },
    "pot": {"restricted": N_("Restricted"), "unrestricted": N_("Unrestricted")},
    "category": {
        "program": N_("Programme activities"),
        "admin": N_("Administration"),
        "fundraising_cost": N_("Fundraising costs"),
    },
    "verdict": {
        "approved": N_("Approved"),
        "queried": N_("Queried"),
        "flagged": N_("Flagged"),
        "resolved": N_("Resolved"),
    },
    "opinion": {
        "unqualified": N_("Unqualified opinion"),
        "qualified": N_("Qualified opinion"),
        "adverse": N_("Adverse opinion"),
        "disclaimer": N_("Disclaimer of opinion"),
    },
    "role": {
        "registrar": N_("Registrar"),
        "org_admin": N_("Organisation administrator"),
        "fundraiser": N_("Fundraiser"),
        "implementer": N_("Implementer"),
        "overseer": N_("Overseer"),
        "system": N_("Log operator"),
        "log": N_("The log (its checkpoint key)"),
    },
    "surplus": {
        "none": N_("No surplus"),
        "per_plan": N_("As the plan says"),
        "similar_purpose": N_("Used for a similar purpose"),
        "returned_to_donors": N_("Returned to donors"),
        "other": N_("Other"),
    },
    "disclosure": {
        "plan_filing": N_("Fundraising plan filed (10 days before fundraising starts)"),
        "plan_filing_emergency": N_("Fundraising plan filed (emergency: within 10 days after the start)"),
        "progress_disclosure": N_("Progress disclosure"),
        "final_disclosure": N_("Final disclosure (within 3 months of the end)"),
        "surplus_disclosure": N_("Surplus handling disclosed"),
        "annual_report": N_("Annual work and financial report"),
    },
    "disclosure_status": {
        "on_time": N_("On time"),
        "late": N_("Late"),
        "missing": N_("Overdue"),
        "due": N_("Not yet due"),
    },
    "deadline_status": {"overdue": N_("Overdue"), "due": N_("Due soon")},
    "finding_status": {
        "open": N_("Not resolved"),
        "resolved": N_("Resolved"),
        "target_corrected": N_("Entry corrected since"),
    },
    # a registry.genesis after the first entry of the chain opens the next log (data.previous)
    "continued": {"registry.genesis": N_("Next log opened")},
    "log_state": {"sealed": N_("Sealed"), "open": N_("Open for new entries")},
    "state": {"unallocated": N_("Not yet allocated"), "held": N_("With implementers, not yet paid out")},
    "report_kind": {
        "annual": N_("Annual report"),
        "project": N_("Project report"),
        "campaign": N_("Campaign report"),
        "overview": N_("Regulator overview"),
        "receipt": N_("Donation record certificate"),
        "verification": N_("Verification report"),
    },
    "sz_decision": {"approved": N_("Approved"), "objection": N_("Objection")},
}

# Administrative divisions of Shenzhen (GB/T 2260) the demo uses: (Chinese, English).
REGIONS: dict[str, tuple[str, str]] = {
    "440300": ("深圳市", "Shenzhen"),
    "440303": ("罗湖区", "Luohu District"),
    "440304": ("福田区", "Futian District"),
    "440305": ("南山区", "Nanshan District"),
    "440306": ("宝安区", "Bao'an District"),
    "440307": ("龙岗区", "Longgang District"),
    "440308": ("盐田区", "Yantian District"),
    "440309": ("龙华区", "Longhua District"),
    "440310": ("坪山区", "Pingshan District"),
    "440311": ("光明区", "Guangming District"),
}
