import dataclasses

import pytest

from ledger.domain.entry_names import ENTRY_TYPE_NAMES
from ledger.domain.schemas import ENTRY_TYPES, SCHEMAS, validate
from ledger.errors import LedgerError
from tests.domain.helpers import (
    AUDITOR,
    FOUNDATION,
    SERVICE_ORG,
    allocation_data,
    assert_rendered,
    disbursement_data,
    disclosure_data,
    donation_data,
    financials_data,
    genesis_data,
    grant_data,
    key,
    org_data,
    plan_data,
    project_data,
    results_data,
    sha,
    sz_filing_data,
    work_report_data,
)

P = "P-1"


def valid_samples() -> dict[str, dict]:
    k = key("x")
    return {
        "registry.genesis": genesis_data(k),
        "org.registered": org_data(FOUNDATION, public=True),
        "org.updated": {"org": FOUNDATION, "public_fundraising": False},
        "org.deregistered": {"org": FOUNDATION, "reason": "dissolved"},
        "key.granted": grant_data(k, "fundraiser", FOUNDATION),
        "key.revoked": {"key_id": k.id, "reason": "lost laptop"},
        "project.registered": project_data(P),
        "plan.filed": {"project": P},
        "plan.acknowledged": {"project": P, "record_number": "53440300-2026-001"},
        "donation.received": donation_data(P),
        "funds.allocated": allocation_data(P, "10.00"),
        "funds.disbursed": disbursement_data(P, "10.00"),
        "progress.reported": {
            "project": P,
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
            "summary": "served 1,200 meals\nvisited 40 homes",
            "beneficiaries": 40,
            "evidence": [],
        },
        "project.closed": {
            "project": P,
            "closed_on": "2026-12-31",
            "summary": "done",
            "currency": "CNY",
            "surplus": "0.00",
            "surplus_handling": "none",
        },
        "attestation.recorded": {"target": sha("x"), "verdict": "approved", "findings": "matches the invoices"},
        "query.answered": {"attestation": sha("q"), "answer": "the receipt is attached", "evidence": [sha("scan")]},
        "audit.opinion": {"org": FOUNDATION, "year": 2025, "opinion": "unqualified", "report_sha256": sha("r")},
        "financials.reported": financials_data(FOUNDATION, 2025),
        "entry.corrected": {
            "target": sha("x"),
            "reason": "typed the wrong amount",
            "project": P,
            "amount": "10.00",
            "currency": "CNY",
        },
        "report.issued": {
            "kind": "annual-work-report",
            "subject": FOUNDATION,
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "rule_set": "cn-charity/1",
            "tree_size": 10,
            "root": sha("root"),
            "files": [{"name": "report.pdf", "sha256": sha("pdf"), "size": 1234}],
        },
        "log.key_rotated": {"public_key": k.public_b64, "from_size": 12},
        "log.sealed": {"next_origin": "charity-ledger.example/2027", "size": 12},
        "sz.donation_filed": sz_filing_data("SZ-2026-001", [sha("d1"), sha("d2")]),
        "sz.filing_replied": {
            "target": sha("f"),
            "decision": "approved",
            "replied_on": "2026-03-25",
            "note": "准予备案",
        },
        "project.amended": {
            "project": P,
            "reason": "the work takes three more months",
            "end_date": "2027-03-31",
            "add_overseers": [AUDITOR],
        },
        "interest.received": {"org": FOUNDATION, "currency": "CNY", "amount": "3.21", "received_on": "2026-03-21"},
        "fee.charged": {
            "org": FOUNDATION,
            "currency": "CNY",
            "amount": "1.50",
            "charged_on": "2026-03-21",
            "fee_kind": "bank_fee",
            "project": P,
            "note": "汇划手续费",
        },
        "disclosure.recorded": disclosure_data("RPT-2026-01"),
        "fundraising.results": results_data(P),
        "work_report.filed": work_report_data(FOUNDATION, 2025),
    }


def test_every_type_has_a_sample():
    assert set(valid_samples()) == set(ENTRY_TYPES) == set(SCHEMAS)
    assert len(ENTRY_TYPES) == 30
    assert set(ENTRY_TYPE_NAMES) == set(ENTRY_TYPES)  # each named once, in both languages


@pytest.mark.parametrize("type_name", ENTRY_TYPES)
def test_valid_samples_validate_into_frozen_records(type_name):
    record = validate(type_name, valid_samples()[type_name])
    assert dataclasses.is_dataclass(record)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(record, dataclasses.fields(record)[0].name, "x")


@pytest.mark.parametrize("type_name", ENTRY_TYPES)
def test_unknown_field_refused(type_name):
    data = valid_samples()[type_name] | {"extra": "x"}
    err = _refused(type_name, data, "data_invalid")
    assert err.params["field"] == "extra"


@pytest.mark.parametrize("type_name", ENTRY_TYPES)
def test_float_anywhere_refused(type_name):
    data = valid_samples()[type_name] | {"extra": {"deep": [1.5]}}
    err = _refused(type_name, data, "data_invalid")
    assert err.params["field"] == "extra.deep[0]"


@pytest.mark.parametrize("type_name", ENTRY_TYPES)
def test_missing_required_field_refused(type_name):
    data = valid_samples()[type_name]
    first = dataclasses.fields(SCHEMAS[type_name])[0].name
    del data[first]
    assert _refused(type_name, data, "data_invalid").params["field"] == first


def test_amounts_become_minor_units_and_lists_tuples():
    d = validate("donation.received", donation_data(P, "1234.50"))
    assert d.amount == 123450 and d.receipt_no is None
    p = validate("project.registered", project_data(P))
    assert p.target == 50_000_000 and isinstance(p.implementers, tuple) and p.plan.area == "广东省深圳市"


def test_explicit_null_means_absent():
    assert validate("donation.received", donation_data(P, receipt_no=None)).receipt_no is None


@pytest.mark.parametrize(
    "field,value,code",
    [
        ("amount", "100", "amount_invalid"),  # CNY needs two decimals
        ("amount", "100.5", "amount_invalid"),
        ("amount", "0.00", "amount_invalid"),
        ("amount", "-1.00", "amount_invalid"),
        ("amount", 100, "amount_invalid"),
        ("amount", 100.5, "data_invalid"),  # a float is refused before anything else
        ("amount", "100000000000.01", "amount_invalid"),
        ("currency", "RMB", "currency_invalid"),
        ("project", "has space", "data_invalid"),
        ("project", "-leading", "data_invalid"),
        ("project", "x" * 65, "data_invalid"),
        ("commitment", "ABC", "data_invalid"),
        ("commitment", "A" * 64, "data_invalid"),  # hashes are lowercase
        ("received_on", "2026-02-30", "data_invalid"),
        ("received_on", "2026-3-1", "data_invalid"),
        ("received_on", "2026-03-01T00:00:00Z", "data_invalid"),
        ("restricted", "yes", "data_invalid"),
        ("restricted", 1, "data_invalid"),
        ("kind", "crypto", "data_invalid"),
        ("donor_type", "", "data_invalid"),
        ("receipt_no", "", "data_invalid"),
        ("receipt_no", "   ", "data_invalid"),
        ("receipt_no", "x" * 65, "data_invalid"),
        ("note", "line\nbreak", "data_invalid"),
        ("note", "nul\x00", "data_invalid"),
        ("note", ["a"], "data_invalid"),
    ],
)
def test_donation_field_errors(field, value, code):
    err = _refused("donation.received", donation_data(P) | {field: value}, code)
    assert err.params.get("field") == field


def test_financial_figures_become_minor_units_and_net_assets_may_be_negative():
    f = validate("financials.reported", financials_data(FOUNDATION, 2025))
    assert (
        f.total_income,
        f.charitable_spending,
        f.management_costs,
        f.fundraising_costs,
        f.total_spending,
        f.net_assets,
    ) == (100_000_000, 65_000_000, 12_000_000, 3_000_000, 82_000_000, 250_000_000)
    assert (
        validate("financials.reported", financials_data(FOUNDATION, 2025, net_assets="-1234.50")).net_assets == -123450
    )
    assert validate("financials.reported", financials_data(FOUNDATION, 2025, net_assets="0.00")).net_assets == 0
    zero = {
        k: "0.00"
        for k in ("total_income", "charitable_spending", "management_costs", "fundraising_costs", "total_spending")
    }
    assert validate("financials.reported", financials_data(FOUNDATION, 2025, **zero)).total_spending == 0
    for bad in ("--1.00", "-1", "+1.00"):
        err = _refused("financials.reported", financials_data(FOUNDATION, 2025, net_assets=bad), "amount_invalid")
        assert err.params["field"] == "net_assets"
    # only the balance may be negative
    err = _refused("financials.reported", financials_data(FOUNDATION, 2025, total_income="-1.00"), "amount_invalid")
    assert err.params["field"] == "total_income"


def test_jpy_has_no_decimals():
    assert validate("donation.received", donation_data(P, "1500", currency="JPY")).amount == 1500
    _refused("donation.received", donation_data(P, "1500.00", currency="JPY"), "amount_invalid")


@pytest.mark.parametrize(
    "type_name,change,field",
    [
        ("registry.genesis", {"role": "fundraiser"}, "role"),
        ("registry.genesis", {"public_key": "AAAA"}, "public_key"),
        ("registry.genesis", {"rule_sets": []}, "rule_sets"),
        ("registry.genesis", {"rule_sets": ["cn-charity/1", "cn-charity/1"]}, "rule_sets"),
        ("registry.genesis", {"rule_sets": ["CN Charity"]}, "rule_sets[0]"),
        ("key.granted", {"role": "king"}, "role"),
        ("key.revoked", {"key_id": "00"}, "key_id"),
        ("project.registered", {"end_date": "2026-01-01"}, "end_date"),
        ("project.registered", {"implementers": []}, "implementers"),
        ("project.registered", {"overseers": [FOUNDATION] * 2}, "overseers"),
        ("project.registered", {"plan": plan_data(start="2026-05-01", end="2026-04-01")}, "plan.fundraising_end"),
        ("project.registered", {"plan": plan_data(area="")}, "plan.area"),
        ("project.registered", {"plan": plan_data() | {"bonus": "x"}}, "plan.bonus"),
        ("project.registered", {"plan": "see attachment"}, "plan"),
        ("project.registered", {"field": "crypto"}, "field"),
        ("project.registered", {"description": "x" * 2001}, "description"),
        ("org.updated", {"public_fundraising": None}, "data"),
        ("donation.received", {"kind": "in_kind"}, "in_kind_description"),
        ("donation.received", {"in_kind_description": "10 boxes of rice"}, "in_kind_description"),
        ("funds.disbursed", {"evidence": [sha("a")] * 2}, "evidence"),
        ("funds.disbursed", {"evidence": [sha(str(i)) for i in range(21)]}, "evidence"),
        ("funds.disbursed", {"category": "salary"}, "category"),
        ("progress.reported", {"period_end": "2025-12-31"}, "period_end"),
        ("progress.reported", {"beneficiaries": -1}, "beneficiaries"),
        ("progress.reported", {"beneficiaries": True}, "beneficiaries"),
        ("project.closed", {"surplus": "5.00"}, "surplus_handling"),
        ("attestation.recorded", {"verdict": "maybe"}, "verdict"),
        ("audit.opinion", {"year": 1800}, "year"),
        ("entry.corrected", {"amount": None}, "data"),
        ("report.issued", {"files": []}, "files"),
        ("report.issued", {"files": [{"name": "../etc/passwd", "sha256": sha("x"), "size": 1}]}, "files[0].name"),
        (
            "report.issued",
            {
                "files": [
                    {"name": "a.pdf", "sha256": sha("x"), "size": 1},
                    {"name": "a.pdf", "sha256": sha("y"), "size": 1},
                ]
            },
            "files",
        ),
        ("report.issued", {"period_end": "2024-12-31"}, "period_end"),
        ("report.issued", {"tree_size": 0}, "tree_size"),
        ("financials.reported", {"total_spending": "799999.99"}, "total_spending"),
        ("financials.reported", {"net_assets": "-0.00"}, "net_assets"),
        ("financials.reported", {"audit_report_sha256": "abc"}, "audit_report_sha256"),
        ("financials.reported", {"year": 1989}, "year"),
        ("sz.donation_filed", {"donations": []}, "donations"),
        ("sz.donation_filed", {"donations": [sha(str(i)) for i in range(101)]}, "donations"),
        ("sz.donation_filed", {"donations": [sha("d")] * 2}, "donations"),
        ("sz.donation_filed", {"ref": "x" * 65}, "ref"),
        ("sz.donation_filed", {"emergency": True}, "accepted_on"),
        ("sz.donation_filed", {"accepted_on": "2026-03-01"}, "accepted_on"),
        ("sz.donation_filed", {"emergency": True, "accepted_on": "2026-03-22"}, "filed_on"),
        ("sz.donation_filed", {"declaration_sha256": "abc"}, "declaration_sha256"),
        ("sz.filing_replied", {"decision": "maybe"}, "decision"),
    ],
)
def test_field_rules(type_name, change, field):
    data = valid_samples()[type_name] | change
    assert _refused(type_name, data, "data_invalid").params["field"] == field


def test_bad_org_code_names_the_field():
    err = _refused("project.registered", project_data(P, implementers=[SERVICE_ORG[:-1] + "0"]), "uscc_invalid")
    assert err.params["field"] == "implementers[0]"


def test_data_must_be_an_object():
    _refused("plan.filed", ["P-1"], "data_invalid")


def test_unknown_type():
    _refused("donation.refunded", {}, "unknown_type")


def test_messages_are_bilingual():
    err = _refused("donation.received", donation_data(P) | {"kind": "crypto"}, "data_invalid")
    assert "kind" in err.message_en and "应为以下之一" in err.message_zh


def _refused(type_name, data, code) -> LedgerError:
    with pytest.raises(LedgerError) as info:
        validate(type_name, data)
    assert info.value.code == code, info.value
    assert_rendered(info.value)
    return info.value
