"""Every entry type accepted once, and every refusal with its code and an unchanged state."""

import json
from datetime import timedelta

import pytest

from ledger.domain import AppendContext, MemoryState, Overlay, apply, signer_public_key
from ledger.domain.rows import (
    AllocationBalanceRow,
    AllocationRow,
    AnswerRow,
    AttestationRow,
    AuditOpinionRow,
    CorrectionRow,
    DisbursementRow,
    DonationRow,
    EntryRow,
    FinancialsRow,
    FundRow,
    KeyRow,
    OrgRow,
    ProgressRow,
    ProjectRow,
    RegistryRow,
    ReportRow,
    SzFilingRow,
)
from ledger.domain.rules import CHINA
from ledger.domain.uscc import make_uscc
from ledger.errors import LedgerError
from tests.domain.helpers import (
    AUDITOR,
    FOUNDATION,
    ORIGIN,
    OVERSIGHT,
    REGISTRAR_ORG,
    SERVICE_ORG,
    SERVICE_ORG_2,
    SMALL_GROUP,
    Harness,
    World,
    allocation_data,
    disbursement_data,
    donation_data,
    financials_data,
    genesis_data,
    grant_data,
    key,
    org_data,
    plan_data,
    project_data,
    sha,
    sz_filing_data,
)

NEW_ORG = make_uscc("52440300MJL00009X")


@pytest.fixture
def w() -> World:
    return World()


def fund(w: World, project: str = World.PUB) -> FundRow:
    return w.state.get(FundRow, project)


def closing(project: str, surplus: str = "0.00", handling: str = "none") -> dict:
    return {
        "project": project,
        "closed_on": "2026-03-21",
        "summary": "项目完成",
        "currency": "CNY",
        "surplus": surplus,
        "surplus_handling": handling,
    }


def attest(target: str, verdict: str = "approved") -> dict:
    return {"target": target, "verdict": verdict, "findings": "核对发票无误"}


def correct(target: str, **money) -> dict:
    return {"target": target, "reason": "录入错误"} | money


# --- genesis and the trust root ---------------------------------------------------------------


def test_genesis_creates_the_trust_root():
    h = Harness()
    registrar = key("registrar")
    gid = h.append(registrar, "registry.genesis", genesis_data(registrar))
    reg = h.state.get(RegistryRow, ORIGIN)
    assert reg.registrar_key == registrar.id and reg.registrar_org == REGISTRAR_ORG and reg.genesis_id == gid
    assert json.loads(reg.rule_sets_json) == ["cn-charity/1", "sz-donation/1"]
    org = h.state.get(OrgRow, REGISTRAR_ORG)
    assert org.is_registrar and org.legal_form == "government" and not org.public_fundraising
    k = h.state.get(KeyRow, registrar.id)
    assert (k.role, k.org, k.granted_seq, k.granted_by) == ("registrar", REGISTRAR_ORG, 0, None)
    e = h.state.get(EntryRow, gid)
    assert (e.seq, e.type, e.signer_role, e.signer_org) == (0, "registry.genesis", "registrar", REGISTRAR_ORG)


def test_first_entry_must_be_genesis():
    h = Harness()
    registrar = key("registrar")
    h.refuse(registrar, "org.registered", org_data(FOUNDATION), "genesis_required")


def test_first_entry_apply_directly_refuses_other_types():
    entry = Harness().sign(key("registrar"), "org.registered", org_data(FOUNDATION))
    with pytest.raises(LedgerError) as info:
        apply(MemoryState(), AppendContext(0, sha("x"), "2026-03-02T01:00:00.000Z", ORIGIN), entry)
    assert info.value.code == "genesis_required"


def test_genesis_only_once(w):
    w.refuse(w.registrar, "registry.genesis", genesis_data(w.registrar), "genesis_repeated")


def test_genesis_signed_by_another_key():
    h = Harness()
    registrar, other = key("registrar"), key("other")
    h.refuse(other, "registry.genesis", genesis_data(registrar), "genesis_key_mismatch")
    # and apply checks it too, when called without signer_public_key
    entry = h.sign(other, "registry.genesis", genesis_data(registrar))
    with pytest.raises(LedgerError) as info:
        apply(h.state, AppendContext(0, sha("x"), "2026-03-02T01:00:00.000Z", ORIGIN), entry)
    assert info.value.code == "genesis_key_mismatch"


def test_genesis_names_this_log():
    h = Harness()
    registrar = key("registrar")
    h.refuse(
        registrar,
        "registry.genesis",
        genesis_data(registrar, origin="elsewhere.example/log"),
        "genesis_origin_mismatch",
    )


def test_genesis_data_is_validated():
    h = Harness()
    registrar = key("registrar")
    h.refuse(registrar, "registry.genesis", genesis_data(registrar, org=REGISTRAR_ORG[:-1] + "0"), "uscc_invalid")
    h.refuse(registrar, "registry.genesis", genesis_data(registrar, jurisdiction=""), "data_invalid")


def test_signer_public_key(w):
    entry = w.sign(w.fundraiser, "donation.received", donation_data(w.PUB))
    assert signer_public_key(w.state, entry, w.seq) == w.fundraiser.public
    stranger = w.sign(key("stranger"), "donation.received", donation_data(w.PUB))
    assert signer_public_key(w.state, stranger, w.seq) is None
    # a key is usable only from the entry after its grant
    granted_at = w.state.get(KeyRow, w.fundraiser.id).granted_seq
    assert signer_public_key(w.state, entry, granted_at) is None
    assert signer_public_key(w.state, entry, granted_at + 1) == w.fundraiser.public


# --- organisations ----------------------------------------------------------------------------


def test_org_registered_updated_deregistered(w):
    w.append(w.registrar, "org.registered", org_data(NEW_ORG, "social_service_org", registered_on="2020-05-01"))
    org = w.state.get(OrgRow, NEW_ORG)
    assert (org.status, org.legal_form, org.registered_on, org.is_registrar) == (
        "active",
        "social_service_org",
        "2020-05-01",
        False,
    )
    w.append(w.registrar, "org.updated", {"org": NEW_ORG, "name_zh": "新名称", "public_fundraising": True})
    org = w.state.get(OrgRow, NEW_ORG)
    assert org.name_zh == "新名称" and org.public_fundraising and org.legal_form == "social_service_org"
    w.append(w.registrar, "org.deregistered", {"org": NEW_ORG, "reason": "自行解散"})
    org = w.state.get(OrgRow, NEW_ORG)
    assert org.status == "deregistered" and org.deregistered_seq == w.seq - 1


def test_org_registered_twice(w):
    w.refuse(w.registrar, "org.registered", org_data(FOUNDATION), "org_exists")


def test_org_update_unknown(w):
    w.refuse(w.registrar, "org.updated", {"org": NEW_ORG, "name_zh": "x"}, "org_unknown")


def test_qualification_only_for_registered_charities(w):
    w.refuse(w.registrar, "org.registered", org_data(NEW_ORG, "enterprise", public=True), "qualification_invalid")
    w.refuse(
        w.registrar, "org.registered", org_data(NEW_ORG, "social_group", "filed", public=True), "qualification_invalid"
    )
    w.refuse(w.registrar, "org.updated", {"org": SMALL_GROUP, "public_fundraising": True}, "qualification_invalid")
    w.refuse(w.registrar, "org.updated", {"org": FOUNDATION, "legal_form": "enterprise"}, "qualification_invalid")


def test_registrar_org_is_protected(w):
    w.refuse(w.registrar, "org.deregistered", {"org": REGISTRAR_ORG, "reason": "x"}, "registrar_org_protected")
    w.refuse(w.registrar, "org.updated", {"org": REGISTRAR_ORG, "legal_form": "foundation"}, "registrar_org_protected")
    w.append(w.registrar, "org.updated", {"org": REGISTRAR_ORG, "name_en": "Shenzhen Municipal Civil Affairs Bureau"})


def test_deregistered_org_keys_and_roles_refused(w):
    w.append(w.registrar, "org.deregistered", {"org": SERVICE_ORG_2, "reason": "注销"})
    w.refuse(w.implementer2, "progress.reported", _progress(w.PUB), "org_inactive")
    w.refuse(w.registrar, "org.deregistered", {"org": SERVICE_ORG_2, "reason": "again"}, "org_inactive")
    w.refuse(w.registrar, "key.granted", grant_data(key("n"), "org_admin", SERVICE_ORG_2), "org_inactive")
    w.refuse(w.fundraiser, "project.registered", project_data("P-NEW", implementers=[SERVICE_ORG_2]), "org_inactive")
    w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "10.00"))
    w.refuse(w.fundraiser, "funds.allocated", allocation_data(w.PUB, "1.00", SERVICE_ORG_2), "org_inactive")


def test_only_registrar_manages_orgs(w):
    w.refuse(w.foundation_admin, "org.registered", org_data(NEW_ORG), "role_not_allowed")


# --- keys -------------------------------------------------------------------------------------


def test_key_grants(w):
    k = w.state.get(KeyRow, w.fundraiser.id)
    assert (k.role, k.org, k.granted_by, k.revoked_seq) == ("fundraiser", FOUNDATION, w.foundation_admin.id, None)
    assert w.state.get(KeyRow, w.overseer.id).granted_by == w.registrar.id
    # the registrar may grant a second registrar key in its own organisation (rotation)
    new_registrar = key("registrar-2026")
    w.append(w.registrar, "key.granted", grant_data(new_registrar, "registrar", REGISTRAR_ORG))
    w.append(new_registrar, "key.revoked", {"key_id": w.registrar.id, "reason": "rotation"})
    w.refuse(w.registrar, "org.registered", org_data(NEW_ORG), "key_revoked")
    w.append(new_registrar, "org.registered", org_data(NEW_ORG))


def test_key_granted_twice(w):
    w.refuse(w.foundation_admin, "key.granted", grant_data(w.fundraiser, "fundraiser", FOUNDATION), "key_exists")


@pytest.mark.parametrize(
    "signer,role,org",
    [
        ("registrar", "fundraiser", FOUNDATION),  # org_admin grants fundraisers
        ("registrar", "implementer", SERVICE_ORG),
        ("registrar", "registrar", FOUNDATION),  # registrar keys stay in the registrar org
        ("foundation_admin", "overseer", FOUNDATION),  # only the registrar grants overseers
        ("foundation_admin", "org_admin", FOUNDATION),
        ("foundation_admin", "fundraiser", SERVICE_ORG),  # not in another organisation
    ],
)
def test_grant_not_allowed(w, signer, role, org):
    signer_key = w.registrar if signer == "registrar" else w.k[signer]
    w.refuse(signer_key, "key.granted", grant_data(key("new"), role, org), "grant_not_allowed")


def test_grant_to_unknown_org(w):
    w.refuse(w.registrar, "key.granted", grant_data(key("new"), "org_admin", NEW_ORG), "org_unknown")


def test_fundraisers_cannot_grant(w):
    w.refuse(w.fundraiser, "key.granted", grant_data(key("new"), "fundraiser", FOUNDATION), "role_not_allowed")


def test_revocation(w):
    rid = w.append(w.foundation_admin, "key.revoked", {"key_id": w.fundraiser2.id, "reason": "离职"})
    k = w.state.get(KeyRow, w.fundraiser2.id)
    assert k.revoked_seq == w.state.get(EntryRow, rid).seq and k.revoked_by == w.foundation_admin.id
    err = w.refuse(w.fundraiser2, "donation.received", donation_data(w.PUB), "key_revoked")
    assert err.params["revoked_seq"] == k.revoked_seq
    w.refuse(w.registrar, "key.revoked", {"key_id": w.fundraiser2.id, "reason": "again"}, "key_already_revoked")


def test_revoke_unknown_key(w):
    w.refuse(w.registrar, "key.revoked", {"key_id": key("nobody").id, "reason": "x"}, "key_unknown")


def test_no_key_revokes_itself(w):
    w.refuse(w.registrar, "key.revoked", {"key_id": w.registrar.id, "reason": "x"}, "key_revoke_self")
    w.refuse(w.foundation_admin, "key.revoked", {"key_id": w.foundation_admin.id, "reason": "x"}, "key_revoke_self")


def test_revoke_not_allowed(w):
    w.refuse(w.foundation_admin, "key.revoked", {"key_id": w.implementer.id, "reason": "x"}, "revoke_not_allowed")
    w.refuse(w.foundation_admin, "key.revoked", {"key_id": w.overseer.id, "reason": "x"}, "revoke_not_allowed")
    w.refuse(w.foundation_admin, "key.revoked", {"key_id": w.service_admin.id, "reason": "x"}, "revoke_not_allowed")
    # the registrar may revoke any key but its own
    w.append(w.registrar, "key.revoked", {"key_id": w.implementer.id, "reason": "compromised"})


def test_unknown_signer(w):
    w.refuse(key("stranger"), "donation.received", donation_data(w.PUB), "unknown_signer")
    # apply checks it too when called directly
    entry = w.sign(key("stranger"), "donation.received", donation_data(w.PUB))
    with pytest.raises(LedgerError) as info:
        apply(w.state, AppendContext(w.seq, sha("x"), "2026-03-21T02:00:00.000Z", ORIGIN), entry)
    assert info.value.code == "unknown_signer"


@pytest.mark.parametrize(
    "signer,type_,data_fn",
    [
        ("fundraiser", "funds.disbursed", lambda w: disbursement_data(w.PUB, "1.00")),
        ("implementer", "donation.received", lambda w: donation_data(w.PUB)),
        ("implementer", "funds.allocated", lambda w: allocation_data(w.PUB, "1.00")),
        ("overseer", "funds.allocated", lambda w: allocation_data(w.PUB, "1.00")),
        ("overseer", "donation.received", lambda w: donation_data(w.PUB)),
        ("overseer", "funds.disbursed", lambda w: disbursement_data(w.PUB, "1.00")),
        ("foundation_admin", "project.registered", lambda w: project_data("P-X")),
        ("fundraiser", "attestation.recorded", lambda w: attest(w.genesis)),
        ("system", "donation.received", lambda w: donation_data(w.PUB)),
        ("overseer", "report.issued", lambda w: _report(1)),
        ("fundraiser", "plan.acknowledged", lambda w: {"project": w.PUB, "record_number": "x"}),
    ],
)
def test_role_not_allowed(w, signer, type_, data_fn):
    w.refuse(w.k[signer], type_, data_fn(w), "role_not_allowed")


def test_unknown_type_and_bad_data_through_apply(w):
    w.refuse(w.fundraiser, "donation.refunded", {"project": w.PUB}, "unknown_type")
    w.refuse(w.fundraiser, "donation.received", donation_data(w.PUB) | {"amount": 100.0}, "data_invalid")
    w.refuse(w.fundraiser, "donation.received", donation_data(w.PUB, "1.5"), "amount_invalid")
    w.refuse(w.fundraiser, "donation.received", donation_data(w.PUB, currency="XBT"), "currency_invalid")


# --- projects and plans -----------------------------------------------------------------------


def test_project_registered_and_plan_filed(w):
    p = w.state.get(ProjectRow, w.PUB)
    assert p.fundraiser_org == FOUNDATION and p.status == "open" and not p.closed
    assert json.loads(p.implementers_json) == [SERVICE_ORG, SERVICE_ORG_2]
    assert json.loads(p.overseers_json) == [OVERSIGHT]
    assert p.target_minor == 50_000_000 and p.plan_area == "广东省深圳市" and p.plan_fundraising_start == "2026-03-20"
    assert p.plan_filed_id == w.plan and p.plan_filing_number == "SZ-2026-001"
    d = w.state.get(ProjectRow, w.DIR)
    assert d.directed and d.plan_purpose is None
    f = fund(w)
    assert (f.raised_minor, f.balance_minor, f.fundraiser_org) == (0, 0, FOUNDATION)
    assert w.state.get(EntryRow, w.project_pub).project == w.PUB


def test_plan_acknowledged(w):
    w.append(w.registrar, "plan.acknowledged", {"project": w.PUB, "record_number": "5344030020260001"})
    p = w.state.get(ProjectRow, w.PUB)
    assert p.plan_record_number == "5344030020260001" and p.plan_ack_seq == w.seq - 1
    w.refuse(w.registrar, "plan.acknowledged", {"project": w.PUB, "record_number": "x"}, "plan_already_acknowledged")


def test_plan_ack_before_filing_and_unknown_project(w):
    w.append(w.fundraiser, "project.registered", project_data("P-NEW", plan=plan_data(start="2026-04-10")))
    w.refuse(w.registrar, "plan.acknowledged", {"project": "P-NEW", "record_number": "x"}, "plan_not_filed")
    w.refuse(w.registrar, "plan.acknowledged", {"project": "P-NONE", "record_number": "x"}, "project_unknown")


def test_project_exists(w):
    w.refuse(w.fundraiser, "project.registered", project_data(w.PUB), "project_exists")


def test_project_needs_known_orgs(w):
    w.refuse(w.fundraiser, "project.registered", project_data("P-X", implementers=[NEW_ORG]), "org_unknown")
    w.refuse(w.fundraiser, "project.registered", project_data("P-X", overseers=[NEW_ORG]), "org_unknown")


def test_separation_overseer_is_not_fundraiser_or_implementer(w):
    err = w.refuse(
        w.fundraiser, "project.registered", project_data("P-X", overseers=[SERVICE_ORG]), "separation_violation"
    )
    assert err.params["other_role"] == "implementer"
    err = w.refuse(
        w.fundraiser, "project.registered", project_data("P-X", overseers=[FOUNDATION]), "separation_violation"
    )
    assert err.params["other_role"] == "fundraiser"


def test_public_project_needs_plan_and_qualification(w):
    w.refuse(w.fundraiser, "project.registered", project_data("P-X") | {"plan": None}, "plan_required")
    w.refuse(w.group_fundraiser, "project.registered", project_data("P-X"), "qualification_required")
    # a filed group may still run directed fundraising
    w.append(w.group_fundraiser, "project.registered", project_data("P-GROUP", directed=True))


def test_only_charities_raise_funds(w):
    admin, fundraiser = key("auditor-admin"), key("auditor-fundraiser")
    w.append(w.registrar, "key.granted", grant_data(admin, "org_admin", AUDITOR))
    w.append(admin, "key.granted", grant_data(fundraiser, "fundraiser", AUDITOR))
    w.refuse(fundraiser, "project.registered", project_data("P-X", directed=True), "org_not_charity")


def test_plan_filing_rules(w):
    w.refuse(w.fundraiser, "plan.filed", {"project": w.PUB}, "plan_already_filed")
    w.refuse(w.fundraiser, "plan.filed", {"project": w.DIR}, "plan_not_public")
    w.refuse(w.fundraiser, "plan.filed", {"project": "P-NONE"}, "project_unknown")
    w.refuse(w.group_fundraiser, "plan.filed", {"project": w.PUB}, "not_project_fundraiser")


def test_plan_filed_at_least_ten_days_before(w):
    # today is 2026-03-21: a start on 2026-03-31 is exactly ten days away
    w.append(w.fundraiser, "project.registered", project_data("P-A", plan=plan_data(start="2026-03-31")))
    w.append(w.fundraiser, "plan.filed", {"project": "P-A"})
    w.append(w.fundraiser, "project.registered", project_data("P-B", plan=plan_data(start="2026-03-30")))
    err = w.refuse(w.fundraiser, "plan.filed", {"project": "P-B"}, "plan_filed_late")
    assert err.params["deadline"] == "2026-03-20"


def test_deadline_uses_china_time(w):
    w.append(w.fundraiser, "project.registered", project_data("P-A", plan=plan_data(start="2026-03-31")))
    w.now = w.now.replace(day=21, hour=16, minute=30)  # 2026-03-22 00:30 in Shenzhen
    w.refuse(w.fundraiser, "plan.filed", {"project": "P-A"}, "plan_filed_late")
    w.now = w.now.replace(day=21, hour=15, minute=30)  # 2026-03-21 23:30 in Shenzhen
    w.append(w.fundraiser, "plan.filed", {"project": "P-A"})


def test_emergency_plan_within_ten_days_after_start(w):
    w.append(
        w.fundraiser,
        "project.registered",
        project_data("P-FLOOD", emergency=True, field="disaster_relief", plan=plan_data(start="2026-03-15")),
    )
    # donations may come in before the filing, within the ten days
    w.append(w.fundraiser, "donation.received", donation_data("P-FLOOD", received_on="2026-03-16"))
    w.set_date("2026-03-25")
    w.append(w.fundraiser, "plan.filed", {"project": "P-FLOOD"})
    w.append(
        w.fundraiser, "project.registered", project_data("P-STORM", emergency=True, plan=plan_data(start="2026-03-14"))
    )
    w.refuse(w.fundraiser, "donation.received", donation_data("P-STORM", received_on="2026-03-20"), "plan_not_filed")
    w.refuse(w.fundraiser, "plan.filed", {"project": "P-STORM"}, "plan_filed_late")


def test_public_donation_needs_filed_plan_and_period(w):
    w.append(w.fundraiser, "project.registered", project_data("P-A", plan=plan_data(start="2026-04-10")))
    w.refuse(w.fundraiser, "donation.received", donation_data("P-A"), "plan_not_filed")
    w.append(w.fundraiser, "plan.filed", {"project": "P-A"})
    w.refuse(w.fundraiser, "donation.received", donation_data("P-A"), "outside_fundraising_period")
    w.refuse(
        w.fundraiser, "donation.received", donation_data(w.PUB, received_on="2026-03-19"), "outside_fundraising_period"
    )


def test_public_donation_needs_qualification_still_held(w):
    w.append(w.registrar, "org.updated", {"org": FOUNDATION, "public_fundraising": False, "reason": "资格被撤销"})
    w.refuse(w.fundraiser, "donation.received", donation_data(w.PUB), "qualification_required")
    w.append(w.fundraiser, "donation.received", donation_data(w.DIR))  # directed fundraising goes on


# --- money ------------------------------------------------------------------------------------


def test_donation_allocation_disbursement(w):
    did = w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "1000.00", receipt_no="NO.0001"))
    w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "300.00", restricted=False))
    w.append(
        w.fundraiser,
        "donation.received",
        donation_data(
            w.PUB, "200.00", kind="in_kind", channel="delivery", in_kind_description="大米 20 袋，按市价估值"
        ),
    )
    aid = w.append(w.fundraiser, "funds.allocated", allocation_data(w.PUB, "1100.00"))
    w.append(w.fundraiser, "funds.allocated", allocation_data(w.PUB, "100.00", SERVICE_ORG_2, source="unrestricted"))
    xid = w.append(w.implementer, "funds.disbursed", disbursement_data(w.PUB, "700.00"))
    w.append(w.implementer, "funds.disbursed", disbursement_data(w.PUB, "50.00", category="admin"))
    w.append(w.implementer2, "funds.disbursed", disbursement_data(w.PUB, "30.00", category="fundraising_cost"))
    f = fund(w)
    assert (f.raised_restricted_minor, f.raised_unrestricted_minor, f.raised_in_kind_minor) == (120000, 30000, 20000)
    assert (f.allocated_restricted_minor, f.allocated_unrestricted_minor) == (110000, 10000)
    assert (f.available_restricted_minor, f.available_unrestricted_minor) == (10000, 20000)
    assert (f.disbursed_program_minor, f.disbursed_admin_minor, f.disbursed_fundraising_cost_minor) == (
        70000,
        5000,
        3000,
    )
    assert (f.raised_minor, f.allocated_minor, f.disbursed_minor, f.balance_minor) == (150000, 120000, 78000, 72000)
    assert f.donations_count == 3
    b1 = w.state.get(AllocationBalanceRow, w.PUB, SERVICE_ORG)
    b2 = w.state.get(AllocationBalanceRow, w.PUB, SERVICE_ORG_2)
    assert (b1.allocated_minor, b1.disbursed_minor, b1.balance_minor) == (110000, 75000, 35000)
    assert (b2.allocated_minor, b2.disbursed_minor, b2.balance_minor) == (10000, 3000, 7000)
    d = w.state.get(DonationRow, did)
    assert (d.amount_minor, d.receipt_no, d.restricted, d.fundraiser_org) == (100000, "NO.0001", True, FOUNDATION)
    assert w.state.get(AllocationRow, aid).implementer == SERVICE_ORG
    x = w.state.get(DisbursementRow, xid)
    assert x.implementer == SERVICE_ORG and json.loads(x.evidence_json) == [sha("invoice-1")]
    e = w.state.get(EntryRow, xid)
    assert (e.project, e.amount_minor, e.currency, e.signer_org, e.corrected) == (
        w.PUB,
        70000,
        "CNY",
        SERVICE_ORG,
        False,
    )


def test_allocations_never_exceed_the_pot(w):
    w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "100.00", restricted=True))
    w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "50.00", restricted=False))
    err = w.refuse(w.fundraiser, "funds.allocated", allocation_data(w.PUB, "100.01"), "insufficient_funds")
    assert err.params["available"] == "100.00 CNY"
    w.refuse(
        w.fundraiser, "funds.allocated", allocation_data(w.PUB, "50.01", source="unrestricted"), "insufficient_funds"
    )
    w.append(w.fundraiser, "funds.allocated", allocation_data(w.PUB, "100.00"))
    w.refuse(w.fundraiser, "funds.allocated", allocation_data(w.PUB, "0.01"), "insufficient_funds")


def test_restricted_money_stays_in_its_project(w):
    w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "100.00"))
    w.refuse(w.fundraiser, "funds.allocated", allocation_data(w.DIR, "1.00"), "insufficient_funds")


def test_disbursements_never_exceed_the_allocation(w):
    w.refuse(w.implementer, "funds.disbursed", disbursement_data(w.PUB, "0.01"), "insufficient_allocation")
    w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "100.00"))
    w.append(w.fundraiser, "funds.allocated", allocation_data(w.PUB, "60.00"))
    w.refuse(w.implementer, "funds.disbursed", disbursement_data(w.PUB, "60.01"), "insufficient_allocation")
    # another implementer cannot spend what was allocated to the first
    w.refuse(w.implementer2, "funds.disbursed", disbursement_data(w.PUB, "1.00"), "insufficient_allocation")
    w.append(w.implementer, "funds.disbursed", disbursement_data(w.PUB, "60.00"))
    assert w.state.get(AllocationBalanceRow, w.PUB, SERVICE_ORG).balance_minor == 0


def test_money_needs_the_right_organisation(w):
    w.refuse(w.group_fundraiser, "donation.received", donation_data(w.PUB), "not_project_fundraiser")
    w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "100.00"))
    w.refuse(w.group_fundraiser, "funds.allocated", allocation_data(w.PUB, "1.00"), "not_project_fundraiser")
    w.refuse(w.fundraiser, "funds.allocated", allocation_data(w.PUB, "1.00", SMALL_GROUP), "not_project_implementer")
    w.append(w.fundraiser, "project.registered", project_data("P-OTHER", directed=True, implementers=[SERVICE_ORG_2]))
    w.refuse(w.implementer, "funds.disbursed", disbursement_data("P-OTHER", "1.00"), "not_project_implementer")
    w.refuse(w.implementer, "progress.reported", _progress("P-OTHER"), "not_project_implementer")


def test_money_on_unknown_project(w):
    w.refuse(w.fundraiser, "donation.received", donation_data("P-NONE"), "project_unknown")


def test_currency_mismatch(w):
    w.refuse(w.fundraiser, "donation.received", donation_data(w.PUB, currency="HKD"), "currency_mismatch")
    w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "10.00"))
    w.refuse(w.fundraiser, "funds.allocated", allocation_data(w.PUB, "1.00", currency="USD"), "currency_mismatch")


def test_business_dates_not_in_future(w):
    w.refuse(w.fundraiser, "donation.received", donation_data(w.PUB, received_on="2026-03-22"), "date_in_future")
    w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "10.00"))
    w.refuse(
        w.fundraiser, "funds.allocated", allocation_data(w.PUB, "1.00", allocated_on="2027-01-01"), "date_in_future"
    )
    w.refuse(w.auditor, "audit.opinion", _audit(FOUNDATION, 2027), "date_in_future")


def test_business_dates_plausible(w):
    # not in the future beyond a day of clock skew: the world's day is 2026-03-21 in China
    err = w.refuse(w.registrar, "org.registered", org_data(NEW_ORG, registered_on="2026-03-23"), "date_too_late")
    assert (err.params["field"], err.params["latest"]) == ("registered_on", "2026-03-22")
    w.append(w.registrar, "org.registered", org_data(NEW_ORG, "foundation", public=True, registered_on="2026-03-10"))
    # not before the project existed (its start_date)
    err = w.refuse(w.fundraiser, "donation.received", donation_data(w.DIR, received_on="2026-02-28"), "date_too_early")
    assert (err.params["field"], err.params["earliest"]) == ("received_on", "2026-03-01")
    w.append(w.fundraiser, "donation.received", donation_data(w.DIR, "50.00", received_on="2026-03-01"))
    err = w.refuse(
        w.fundraiser, "funds.allocated", allocation_data(w.DIR, "1.00", allocated_on="2026-02-01"), "date_too_early"
    )
    assert err.params["field"] == "allocated_on"
    # not before the organisation existed (its registered_on)
    admin, fundraiser = key("new_admin"), key("new_fundraiser")
    w.append(w.registrar, "key.granted", grant_data(admin, "org_admin", NEW_ORG))
    w.append(admin, "key.granted", grant_data(fundraiser, "fundraiser", NEW_ORG))
    err = w.refuse(fundraiser, "project.registered", project_data("P-NEW", directed=True), "date_too_early")
    assert (err.params["field"], err.params["earliest"]) == ("start_date", "2026-03-10")
    w.append(fundraiser, "project.registered", project_data("P-NEW", directed=True, start_date="2026-03-10"))
    err = w.refuse(
        w.registrar,
        "org.deregistered",
        {"org": NEW_ORG, "reason": "注销", "effective_on": "2026-03-09"},
        "date_too_early",
    )
    assert err.params["field"] == "effective_on"
    w.append(w.registrar, "org.deregistered", {"org": NEW_ORG, "reason": "注销", "effective_on": "2026-03-21"})


def test_project_ids_are_canonical_uppercase(w):
    # ids that differ only by case or trailing punctuation cannot both exist: only one spelling is accepted
    for bad in ("p-elder-2026", "P-Elder-2026", "P-ELDER-2026-", "P-ELDER-2026.", "P-ELDER-2026\n", "P-\uff25LDER"):
        err = w.refuse(w.fundraiser, "project.registered", project_data(bad, directed=True), "data_invalid")
        assert err.params["field"] == "project"
    w.refuse(w.fundraiser, "project.registered", project_data(w.PUB, directed=True), "project_exists")


# --- progress, closing ------------------------------------------------------------------------


def _progress(project: str) -> dict:
    return {
        "project": project,
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "summary": "本月助餐 1200 人次",
        "beneficiaries": 85,
        "evidence": [sha("photo")],
    }


def test_progress_reported(w):
    pid = w.append(w.implementer, "progress.reported", _progress(w.PUB))
    row = w.state.get(ProgressRow, pid)
    assert (row.implementer, row.beneficiaries, row.corrected) == (SERVICE_ORG, 85, False)


def test_project_closed_with_surplus(w):
    w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "100.00"))
    w.append(w.fundraiser, "funds.allocated", allocation_data(w.PUB, "80.00"))
    w.append(w.implementer, "funds.disbursed", disbursement_data(w.PUB, "70.00"))
    err = w.refuse(w.fundraiser, "project.closed", closing(w.PUB, "20.00", "similar_purpose"), "close_surplus_mismatch")
    assert err.params["computed"] == "30.00 CNY"
    w.refuse(
        w.fundraiser,
        "project.closed",
        closing(w.PUB, "30.00", "similar_purpose") | {"currency": "HKD"},
        "currency_mismatch",
    )
    w.refuse(w.group_fundraiser, "project.closed", closing(w.PUB, "30.00", "similar_purpose"), "not_project_fundraiser")
    cid = w.append(w.fundraiser, "project.closed", closing(w.PUB, "30.00", "similar_purpose"))
    p = w.state.get(ProjectRow, w.PUB)
    assert (p.status, p.closed, p.surplus_minor, p.surplus_handling, p.closed_id) == (
        "closed",
        True,
        3000,
        "similar_purpose",
        cid,
    )
    # closed: no new money, no second closing, no plan; progress disclosure goes on
    w.refuse(w.fundraiser, "donation.received", donation_data(w.PUB), "project_closed")
    w.refuse(w.fundraiser, "funds.allocated", allocation_data(w.PUB, "1.00"), "project_closed")
    w.refuse(w.implementer, "funds.disbursed", disbursement_data(w.PUB, "1.00"), "project_closed")
    w.refuse(w.fundraiser, "project.closed", closing(w.PUB, "30.00", "similar_purpose"), "project_closed")
    w.append(w.implementer, "progress.reported", _progress(w.PUB))


def test_plan_filing_on_closed_project(w):
    w.append(w.fundraiser, "project.registered", project_data("P-A", plan=plan_data(start="2026-04-10")))
    w.append(w.fundraiser, "project.closed", closing("P-A"))
    w.refuse(w.fundraiser, "plan.filed", {"project": "P-A"}, "project_closed")


# --- oversight --------------------------------------------------------------------------------


def test_attestations_and_resolution(w):
    did = w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "10.00"))
    w.refuse(w.overseer, "attestation.recorded", attest(did, "resolved"), "nothing_to_resolve")
    a1 = w.append(w.overseer, "attestation.recorded", attest(did, "flagged"))
    assert w.state.get(EntryRow, did).last_verdict == "flagged"
    a2 = w.append(w.overseer, "attestation.recorded", attest(did, "resolved"))
    row = w.state.get(AttestationRow, a2)
    assert (row.overseer_org, row.target_type, row.project, row.previous_verdict, row.previous_verdict_by) == (
        OVERSIGHT,
        "donation.received",
        w.PUB,
        "flagged",
        a1,
    )
    assert w.state.get(EntryRow, did).last_verdict_by == a2
    w.refuse(w.overseer, "attestation.recorded", attest(did, "resolved"), "nothing_to_resolve")


def test_the_bureau_gives_verdicts_on_any_project_of_the_registry(w):
    """The registrar, and an overseer key of its own bureau it names, need not be named by the project."""
    did = w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "10.00"))
    w.append(w.registrar, "attestation.recorded", attest(did, "queried"))
    bureau_desk = key("bureau-oversight-desk")
    w.append(w.registrar, "key.granted", grant_data(bureau_desk, "overseer", REGISTRAR_ORG, "监督科"))
    aid = w.append(bureau_desk, "attestation.recorded", attest(did, "resolved"))
    # still never on its own organisation's entry, and other overseers still need to be named
    w.refuse(w.registrar, "attestation.recorded", attest(aid), "attest_own_entry")
    w.refuse(w.auditor, "attestation.recorded", attest(did), "not_project_overseer")


def test_attestation_rules(w):
    did = w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "10.00"))
    w.refuse(w.overseer, "attestation.recorded", attest(sha("nothing")), "target_unknown")
    w.refuse(w.auditor, "attestation.recorded", attest(did), "not_project_overseer")
    aid = w.append(w.overseer, "attestation.recorded", attest(did))
    w.refuse(w.overseer, "attestation.recorded", attest(aid), "attest_own_entry")
    # another key of the same organisation is still the same party
    colleague = key("overseer-colleague")
    w.append(w.registrar, "key.granted", grant_data(colleague, "overseer", OVERSIGHT))
    w.refuse(colleague, "attestation.recorded", attest(aid), "attest_own_entry")
    # entries outside projects can be attested by any overseer but their own organisation's
    w.append(w.auditor, "attestation.recorded", attest(w.genesis))
    oid = w.append(w.auditor, "audit.opinion", _audit(FOUNDATION, 2025))
    w.refuse(w.auditor, "attestation.recorded", attest(oid), "attest_own_entry")
    w.append(w.overseer, "attestation.recorded", attest(oid, "queried"))


def _audit(org: str, year: int) -> dict:
    return {"org": org, "year": year, "opinion": "unqualified", "report_sha256": sha(f"audit-{org}-{year}")}


def test_audit_opinion(w):
    oid = w.append(w.auditor, "audit.opinion", _audit(FOUNDATION, 2025))
    row = w.state.get(AuditOpinionRow, oid)
    assert (row.org, row.auditor_org, row.year, row.opinion) == (FOUNDATION, AUDITOR, 2025, "unqualified")
    w.refuse(w.auditor, "audit.opinion", _audit(AUDITOR, 2025), "audit_own_org")
    w.refuse(w.auditor, "audit.opinion", _audit(NEW_ORG, 2025), "org_unknown")


def test_financials_reported_by_the_org_admin_or_the_registrar(w):
    fid = w.append(w.foundation_admin, "financials.reported", financials_data(FOUNDATION, 2025))
    row = w.state.get(FinancialsRow, FOUNDATION, 2025)
    assert (
        row.id,
        row.signer_org,
        row.total_income_minor,
        row.charitable_spending_minor,
        row.management_costs_minor,
        row.fundraising_costs_minor,
        row.total_spending_minor,
        row.net_assets_minor,
        row.corrected,
    ) == (fid, FOUNDATION, 100_000_000, 65_000_000, 12_000_000, 3_000_000, 82_000_000, 250_000_000, False)
    e = w.state.get(EntryRow, fid)
    assert (e.type, e.signer_role, e.signer_org, e.project, e.amount_minor) == (
        "financials.reported",
        "org_admin",
        FOUNDATION,
        None,
        None,
    )
    # the registrar may report them too (from the filed annual report), with negative net assets
    rid = w.append(w.registrar, "financials.reported", financials_data(SERVICE_ORG, 2024, net_assets="-5000.00"))
    row = w.state.get(FinancialsRow, SERVICE_ORG, 2024)
    assert (row.id, row.signer_org, row.net_assets_minor) == (rid, REGISTRAR_ORG, -500000)


def test_financials_rules(w):
    w.refuse(w.service_admin, "financials.reported", financials_data(FOUNDATION, 2025), "financials_wrong_org")
    w.refuse(w.fundraiser, "financials.reported", financials_data(FOUNDATION, 2025), "role_not_allowed")
    w.refuse(w.overseer, "financials.reported", financials_data(FOUNDATION, 2025), "role_not_allowed")
    w.refuse(w.registrar, "financials.reported", financials_data(NEW_ORG, 2025), "org_unknown")
    err = w.refuse(w.foundation_admin, "financials.reported", financials_data(FOUNDATION, 2026), "date_in_future")
    assert err.params["field"] == "year"  # the world's log date is in 2026: the year has not ended
    fid = w.append(w.foundation_admin, "financials.reported", financials_data(FOUNDATION, 2025))
    err = w.refuse(w.registrar, "financials.reported", financials_data(FOUNDATION, 2025), "financials_exist")
    assert err.params["seq"] == w.state.get(EntryRow, fid).seq
    w.append(w.foundation_admin, "financials.reported", financials_data(FOUNDATION, 2024))  # another year


def test_withdrawing_financials_lets_them_be_reported_again(w):
    fid = w.append(w.foundation_admin, "financials.reported", financials_data(FOUNDATION, 2025))
    w.refuse(w.registrar, "entry.corrected", correct(fid), "correction_wrong_signer")
    cid = w.append(w.foundation_admin, "entry.corrected", correct(fid))
    row = w.state.get(FinancialsRow, FOUNDATION, 2025)
    assert (row.id, row.corrected, row.corrected_by) == (fid, True, cid)
    assert w.state.get(EntryRow, fid).corrected and w.state.get(CorrectionRow, cid).target_type == "financials.reported"
    w.refuse(w.foundation_admin, "entry.corrected", correct(fid), "already_corrected")
    again = w.append(
        w.foundation_admin, "financials.reported", financials_data(FOUNDATION, 2025, total_income="1100000.00")
    )
    row = w.state.get(FinancialsRow, FOUNDATION, 2025)
    assert (row.id, row.corrected, row.total_income_minor) == (again, False, 110_000_000)
    w.refuse(w.foundation_admin, "entry.corrected", correct(fid), "already_corrected")


# --- SEZ donation filings -------------------------------------------------------------------


def _reply(target: str, decision: str = "approved", replied_on: str = "2026-03-21") -> dict:
    return {"target": target, "decision": decision, "replied_on": replied_on}


def test_sz_filing_and_the_authoritys_reply(w):
    d1 = w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "100.00"))
    d2 = w.append(w.fundraiser2, "donation.received", donation_data(w.DIR, "50.00"))
    fid = w.append(w.foundation_admin, "sz.donation_filed", sz_filing_data("SZ-1", [d1, d2]))
    row = w.state.get(SzFilingRow, fid)
    assert (
        row.org,
        row.ref,
        row.authority,
        row.filed_on,
        row.emergency,
        json.loads(row.donations_json),
        row.replied_on,
    ) == (FOUNDATION, "SZ-1", REGISTRAR_ORG, "2026-03-21", False, [d1, d2], None)
    e = w.state.get(EntryRow, fid)
    assert (e.type, e.signer_role, e.signer_org, e.project, e.amount_minor) == (
        "sz.donation_filed",
        "org_admin",
        FOUNDATION,
        None,
        None,
    )
    rid = w.append(w.registrar, "sz.filing_replied", _reply(fid) | {"note": "准予备案"})
    row = w.state.get(SzFilingRow, fid)
    assert (row.replied_on, row.decision, row.reply_id, row.reply_seq, row.reply_note) == (
        "2026-03-21",
        "approved",
        rid,
        w.state.get(EntryRow, rid).seq,
        "准予备案",
    )
    w.refuse(w.registrar, "sz.filing_replied", _reply(fid, "objection"), "sz_filing_replied")
    # an emergency donation accepted first and filed afterwards, by a fundraiser key
    eid = w.append(
        w.fundraiser, "sz.donation_filed", sz_filing_data("SZ-2", [d1], emergency=True, accepted_on="2026-01-10")
    )
    assert w.state.get(SzFilingRow, eid).accepted_on == "2026-01-10"


def test_sz_filing_rules(w):
    d1 = w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "100.00"))
    w.refuse(w.implementer, "sz.donation_filed", sz_filing_data("SZ-1", [d1]), "role_not_allowed")
    w.refuse(w.registrar, "sz.donation_filed", sz_filing_data("SZ-1", [d1]), "role_not_allowed")
    w.refuse(
        w.fundraiser, "sz.donation_filed", sz_filing_data("SZ-1", [d1], authority=SERVICE_ORG), "sz_authority_invalid"
    )
    err = w.refuse(w.fundraiser, "sz.donation_filed", sz_filing_data("SZ-1", [d1, w.plan]), "sz_donation_invalid")
    assert err.params["donation"] == w.plan
    w.refuse(w.fundraiser, "sz.donation_filed", sz_filing_data("SZ-1", [sha("nothing")]), "sz_donation_invalid")
    w.refuse(
        w.service_admin, "sz.donation_filed", sz_filing_data("SZ-1", [d1]), "sz_donation_invalid"
    )  # not its donation
    err = w.refuse(
        w.fundraiser, "sz.donation_filed", sz_filing_data("SZ-1", [d1], filed_on="2026-03-22"), "date_in_future"
    )
    assert err.params["field"] == "filed_on"
    fid = w.append(w.fundraiser, "sz.donation_filed", sz_filing_data("SZ-1", [d1]))
    err = w.refuse(w.foundation_admin, "sz.donation_filed", sz_filing_data("SZ-1", [d1]), "sz_filing_exists")
    assert err.params["seq"] == w.state.get(EntryRow, fid).seq
    # replies
    w.refuse(w.foundation_admin, "sz.filing_replied", _reply(fid), "role_not_allowed")
    w.refuse(w.registrar, "sz.filing_replied", _reply(d1), "sz_filing_unknown")
    w.refuse(w.registrar, "sz.filing_replied", _reply(fid, replied_on="2026-03-20"), "sz_reply_before_filing")
    err = w.refuse(w.registrar, "sz.filing_replied", _reply(fid, replied_on="2026-03-22"), "date_in_future")
    assert err.params["field"] == "replied_on"
    # a reversed donation cannot be filed
    d2 = w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "7.00"))
    w.append(w.fundraiser, "entry.corrected", correct(d2, **_money(w, d2)))
    w.refuse(w.fundraiser, "sz.donation_filed", sz_filing_data("SZ-2", [d2]), "sz_donation_invalid")


def test_withdrawn_sz_filing_frees_its_reference_and_gets_no_reply(w):
    d1 = w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "100.00"))
    fid = w.append(w.fundraiser, "sz.donation_filed", sz_filing_data("SZ-1", [d1]))
    cid = w.append(w.fundraiser, "entry.corrected", correct(fid))
    row = w.state.get(SzFilingRow, fid)
    assert (row.corrected, row.corrected_by) == (True, cid)
    w.refuse(w.registrar, "sz.filing_replied", _reply(fid), "already_corrected")
    again = w.append(w.fundraiser, "sz.donation_filed", sz_filing_data("SZ-1", [d1]))
    rid = w.append(w.registrar, "sz.filing_replied", _reply(again))
    w.refuse(w.registrar, "entry.corrected", correct(rid), "correction_not_allowed")


def _report(tree_size: int) -> dict:
    return {
        "kind": "annual-work-report",
        "subject": FOUNDATION,
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "rule_set": "cn-charity/1",
        "tree_size": tree_size,
        "root": sha("root"),
        "files": [
            {"name": "report.pdf", "sha256": sha("pdf"), "size": 1000},
            {"name": "report.csv", "sha256": sha("csv"), "size": 200},
        ],
    }


def test_report_issued(w):
    rid = w.append(w.system, "report.issued", _report(w.seq))
    row = w.state.get(ReportRow, rid)
    assert row.tree_size == w.seq - 1 and [f["name"] for f in json.loads(row.files_json)] == [
        "report.pdf",
        "report.csv",
    ]
    w.refuse(w.system, "report.issued", _report(w.seq + 1), "report_tree_size")


# --- corrections ------------------------------------------------------------------------------


def _money(w: World, target: str) -> dict:
    e = w.state.get(EntryRow, target)
    from ledger.domain.money import format_amount

    return {"project": e.project, "amount": format_amount(e.amount_minor, e.currency), "currency": e.currency}


def test_correct_donation_restores_balances(w):
    before = fund(w)
    did = w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "100.00"))
    cid = w.append(w.fundraiser2, "entry.corrected", correct(did, **_money(w, did)))  # same org, another key
    after = fund(w)
    assert after == before
    assert w.state.get(DonationRow, did).corrected_by == cid
    assert w.state.get(EntryRow, did).corrected and w.state.get(EntryRow, did).corrected_by == cid
    c = w.state.get(CorrectionRow, cid)
    assert (c.target, c.target_type, c.amount_minor, c.project) == (did, "donation.received", 10000, w.PUB)
    e = w.state.get(EntryRow, cid)
    assert (e.type, e.amount_minor, e.project) == ("entry.corrected", 10000, w.PUB)
    w.refuse(w.fundraiser, "entry.corrected", correct(did, **_money(w, did)), "already_corrected")


def test_correct_allocation_and_disbursement(w):
    w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "100.00"))
    aid = w.append(w.fundraiser, "funds.allocated", allocation_data(w.PUB, "80.00"))
    start = fund(w)
    xid = w.append(w.implementer, "funds.disbursed", disbursement_data(w.PUB, "30.00", category="admin"))
    w.refuse(w.fundraiser, "entry.corrected", correct(aid, **_money(w, aid)), "correction_overdraw")
    w.append(w.implementer, "entry.corrected", correct(xid, **_money(w, xid)))
    assert fund(w) == start
    assert w.state.get(DisbursementRow, xid).corrected
    w.append(w.fundraiser, "entry.corrected", correct(aid, **_money(w, aid)))
    f = fund(w)
    assert (f.allocated_minor, f.available_restricted_minor, f.balance_minor) == (0, 10000, 10000)
    b = w.state.get(AllocationBalanceRow, w.PUB, SERVICE_ORG)
    assert (b.allocated_minor, b.disbursed_minor, b.balance_minor) == (0, 0, 0)


def test_reversing_an_allocated_donation_is_refused(w):
    did = w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "100.00"))
    w.append(w.fundraiser, "funds.allocated", allocation_data(w.PUB, "50.00"))
    err = w.refuse(w.fundraiser, "entry.corrected", correct(did, **_money(w, did)), "correction_overdraw")
    assert err.params["available"] == "50.00 CNY"


def test_correction_rules(w):
    did = w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "100.00"))
    w.refuse(w.fundraiser, "entry.corrected", correct(sha("nothing")), "target_unknown")
    w.refuse(w.fundraiser, "entry.corrected", correct(w.project_pub), "correction_not_allowed")
    w.refuse(w.registrar, "entry.corrected", correct(w.genesis), "correction_not_allowed")
    w.refuse(w.implementer, "entry.corrected", correct(did, **_money(w, did)), "correction_wrong_signer")
    w.refuse(w.group_fundraiser, "entry.corrected", correct(did, **_money(w, did)), "correction_wrong_signer")
    w.refuse(w.fundraiser, "entry.corrected", correct(did), "correction_mismatch")
    wrong = _money(w, did) | {"amount": "10.00"}
    err = w.refuse(w.fundraiser, "entry.corrected", correct(did, **wrong), "correction_mismatch")
    assert (err.params["field"], err.params["expected"], err.params["got"]) == ("amount", "100.00", "10.00")
    w.refuse(
        w.fundraiser, "entry.corrected", correct(did, **(_money(w, did) | {"project": w.DIR})), "correction_mismatch"
    )
    w.refuse(
        w.fundraiser,
        "entry.corrected",
        correct(did, **(_money(w, did) | {"currency": "HKD", "amount": "100.00"})),
        "correction_mismatch",
    )


def test_corrections_on_a_closed_project_refused(w):
    did = w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "100.00"))
    w.append(w.fundraiser, "project.closed", closing(w.PUB, "100.00", "per_plan"))
    w.refuse(w.fundraiser, "entry.corrected", correct(did, **_money(w, did)), "project_closed")


def test_withdraw_progress_report_and_audit_opinion(w):
    pid = w.append(w.implementer, "progress.reported", _progress(w.PUB))
    w.refuse(
        w.implementer,
        "entry.corrected",
        correct(pid, **{"project": w.PUB, "amount": "1.00", "currency": "CNY"}),
        "correction_mismatch",
    )
    w.append(w.implementer, "entry.corrected", correct(pid))
    assert w.state.get(ProgressRow, pid).corrected
    oid = w.append(w.auditor, "audit.opinion", _audit(FOUNDATION, 2025))
    w.append(w.auditor, "entry.corrected", correct(oid))
    assert w.state.get(AuditOpinionRow, oid).corrected and w.state.get(EntryRow, oid).corrected


def test_withdrawing_an_attestation_restores_the_earlier_verdict(w):
    did = w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "10.00"))
    a1 = w.append(w.overseer, "attestation.recorded", attest(did, "queried"))
    a2 = w.append(w.overseer, "attestation.recorded", attest(did, "resolved"))
    w.append(w.overseer, "entry.corrected", correct(a2))
    assert (w.state.get(EntryRow, did).last_verdict, w.state.get(EntryRow, did).last_verdict_by) == ("queried", a1)
    assert w.state.get(AttestationRow, a2).corrected
    w.append(w.overseer, "entry.corrected", correct(a1))
    assert (w.state.get(EntryRow, did).last_verdict, w.state.get(EntryRow, did).last_verdict_by) == (None, None)


def test_withdrawing_an_older_attestation_keeps_the_latest_verdict(w):
    did = w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "10.00"))
    a1 = w.append(w.overseer, "attestation.recorded", attest(did, "flagged"))
    a2 = w.append(w.overseer, "attestation.recorded", attest(did, "resolved"))
    w.append(w.overseer, "entry.corrected", correct(a1))
    assert w.state.get(EntryRow, did).last_verdict_by == a2
    # withdrawing the latest then skips the already withdrawn one
    w.append(w.overseer, "entry.corrected", correct(a2))
    assert w.state.get(EntryRow, did).last_verdict is None


# --- atomic batches ---------------------------------------------------------------------------


def test_batch_on_an_overlay_is_all_or_nothing(w):
    base_before = w.state.snapshot()
    base = w.state
    overlay = Overlay(base)
    w.state = overlay  # type: ignore[assignment]
    w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "100.00"))
    w.append(w.fundraiser, "funds.allocated", allocation_data(w.PUB, "60.00"))
    with pytest.raises(LedgerError) as info:
        w.append(w.implementer, "funds.disbursed", disbursement_data(w.PUB, "60.01"))
    assert info.value.code == "insufficient_allocation"
    assert base.snapshot() == base_before
    assert {type(r).__name__ for r in overlay.changes()} >= {"DonationRow", "FundRow", "AllocationRow", "EntryRow"}
    overlay.discard()
    assert base.snapshot() == base_before
    w.seq -= 2  # the batch was dropped: the log core would reuse those seqs
    w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "100.00"))
    overlay.flush()
    w.state = base
    assert fund(w).raised_minor == 10000


# --- rows fit their columns -------------------------------------------------------------------


def test_rows_fit_their_columns_with_maximal_values():
    import dataclasses

    from ledger.domain import ROW_TYPES
    from ledger.domain.rows import max_length

    w = World()
    long = "长" * 2000
    plan = {
        k: (
            v
            if k.startswith("fundraising_")
            else long[
                : {
                    "purpose": 1000,
                    "area": 200,
                    "responsible_person": 100,
                    "office_address": 200,
                    "receiving_methods": 500,
                    "bank_account": 200,
                    "beneficiaries": 500,
                    "use_of_funds": 1000,
                    "fundraising_cost": 500,
                    "surplus_handling": 500,
                }[k]
            ]
        )
        for k, v in plan_data().items()
    }
    pid = "P" * 64
    orgs = [make_uscc(f"52440300MJL1000{i}A") for i in range(1, 9)]
    other_foundation = make_uscc("53440300MJL10009A")
    for org in [*orgs, other_foundation]:
        w.append(
            w.registrar, "org.registered", org_data(org, "social_service_org", name_zh=long[:200], name_en="N" * 200)
        )
    w.append(
        w.fundraiser,
        "project.registered",
        project_data(
            pid,
            title_zh=long[:200],
            title_en="T" * 200,
            region=long[:100],
            description=long,
            implementers=[SERVICE_ORG, SERVICE_ORG_2, *orgs],
            plan=plan | {"fundraising_start": "2026-03-01"},
            overseers=[OVERSIGHT, AUDITOR, SMALL_GROUP, REGISTRAR_ORG, other_foundation],
            directed=True,
        ),
    )
    w.append(
        w.fundraiser,
        "donation.received",
        donation_data(
            pid, "99999999999.99", kind="in_kind", in_kind_description=long[:500], receipt_no="R" * 64, note=long[:500]
        ),
    )
    w.append(w.fundraiser, "funds.allocated", allocation_data(pid, "1.00", note=long[:500]))
    x = w.append(
        w.implementer,
        "funds.disbursed",
        disbursement_data(pid, "1.00", payee=long[:200], purpose=long[:500], evidence=[sha(str(i)) for i in range(20)]),
    )
    w.append(
        w.implementer,
        "progress.reported",
        _progress(pid) | {"summary": long, "evidence": [sha(str(i)) for i in range(20)]},
    )
    w.append(w.overseer, "attestation.recorded", {"target": x, "verdict": "flagged", "findings": long})
    w.append(w.implementer, "entry.corrected", correct(x, **_money(w, x)) | {"reason": long[:1000]})
    w.append(w.auditor, "audit.opinion", _audit(FOUNDATION, 2025) | {"summary": long})
    w.append(
        w.foundation_admin,
        "financials.reported",
        financials_data(
            FOUNDATION, 2025, note=long[:1000], total_income="99999999999.99", net_assets="-99999999999.99"
        ),
    )
    w.append(w.foundation_admin, "key.revoked", {"key_id": w.fundraiser2.id, "reason": long[:500]})
    w.append(
        w.fundraiser,
        "project.closed",
        closing(pid, "99999999999.99", "other") | {"summary": long, "surplus_note": long[:1000]},
    )
    files = [{"name": f"{i:02d}" + "f" * 126, "sha256": sha(str(i)), "size": 2**40} for i in range(50)]
    w.append(
        w.system,
        "report.issued",
        _report(w.seq) | {"kind": "k" * 64, "rule_set": "r" * 64, "subject": long[:200], "files": files},
    )
    checked = 0
    for row_type in ROW_TYPES:
        for row in w.state.rows(row_type):
            for f in dataclasses.fields(row):
                value = getattr(row, f.name)
                if isinstance(value, str):
                    assert len(value) <= max_length(row_type, f.name), (row_type.__name__, f.name, len(value))
                    checked += 1
    assert checked > 500


def test_a_queried_organisation_answers_in_the_log(w):
    did = w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "10.00"))
    approved = w.append(w.overseer, "attestation.recorded", attest(did))
    answer = {"attestation": approved, "answer": "收据已补充。", "evidence": [sha("receipt scan")]}
    w.refuse(w.fundraiser, "query.answered", answer, "not_a_query")  # an approval asks nothing
    query = w.append(w.overseer, "attestation.recorded", attest(did, "queried"))
    w.refuse(w.fundraiser, "query.answered", dict(answer, attestation=sha("none")), "target_unknown")
    w.refuse(w.implementer, "query.answered", dict(answer, attestation=query), "not_your_query")
    w.refuse(w.overseer, "query.answered", dict(answer, attestation=query), "role_not_allowed")
    aid = w.append(w.fundraiser, "query.answered", dict(answer, attestation=query))
    row = w.state.get(AnswerRow, aid)
    assert (row.attestation, row.target, row.org, row.answer) == (query, did, FOUNDATION, "收据已补充。")
    assert json.loads(row.evidence_json) == [sha("receipt scan")]
    w.append(w.overseer, "attestation.recorded", attest(did, "resolved"))


def test_key_roles_carry_the_days_they_take_effect(w):
    """A grant says since when its holder has held the role, a revocation since when the key is
    not to be trusted (a device lost before it was reported); both default to the log's day in
    China and may not be later than it, nor a revocation earlier than its grant."""
    today = w.now.astimezone(CHINA).date()
    w.append(w.foundation_admin, "key.granted", grant_data(key("clerk-a"), "fundraiser", FOUNDATION))
    assert w.state.get(KeyRow, key("clerk-a").id).effective_on == today.isoformat()
    held_since = (today - timedelta(days=40)).isoformat()
    data = grant_data(key("clerk-b"), "fundraiser", FOUNDATION) | {"effective_on": held_since}
    w.append(w.foundation_admin, "key.granted", data)
    assert w.state.get(KeyRow, key("clerk-b").id).effective_on == held_since

    late = grant_data(key("clerk-c"), "fundraiser", FOUNDATION) | {
        "effective_on": (today + timedelta(days=2)).isoformat()
    }
    w.refuse(w.foundation_admin, "key.granted", late, "date_too_late")
    assert w.state.get(KeyRow, key("clerk-c").id) is None

    before_grant = (today - timedelta(days=41)).isoformat()
    err = w.refuse(
        w.foundation_admin,
        "key.revoked",
        {"key_id": key("clerk-b").id, "reason": "x", "effective_on": before_grant},
        "date_too_early",
    )
    assert err.params["earliest"] == held_since and w.state.get(KeyRow, key("clerk-b").id).revoked_seq is None
    lost_on = (today - timedelta(days=3)).isoformat()
    w.append(
        w.foundation_admin, "key.revoked", {"key_id": key("clerk-b").id, "reason": "设备丢失", "effective_on": lost_on}
    )
    revoked = w.state.get(KeyRow, key("clerk-b").id)
    assert revoked.revoked_effective_on == lost_on and revoked.revoked_seq is not None
    w.append(w.foundation_admin, "key.revoked", {"key_id": key("clerk-a").id, "reason": "离职"})
    assert w.state.get(KeyRow, key("clerk-a").id).revoked_effective_on == today.isoformat()
