"""Rule sets as data: loading, versions in force on a date, a revision, refusals of bad files."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from ledger.compliance.ratios import check_spending_ratios
from ledger.compliance.rulesets import RuleSetRegistry, default_registry, load_file, ruleset, ruleset_ref
from ledger.errors import LedgerError

YUAN = 100  # fen


def packaged(name: str) -> dict[str, Any]:
    return json.loads((resources.files("ledger.compliance.rulesets") / f"{name}.v1.json").read_text(encoding="utf-8"))


def write(folder: Path, doc: dict[str, Any], filename: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (filename or f"{doc['name']}.v{doc['version']}.json")
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def revised_cn_charity(management_cap_bp: int = 800, effective_from: str = "2027-01-01") -> dict[str, Any]:
    """Version 2: the admin-cost cap of public-fundraising foundations changes on a date."""
    doc = packaged("cn-charity")
    doc["version"] = 2
    doc["effective_from"] = effective_from
    rule = next(r for r in doc["parameters"]["spending_ratios"]["rules"] if r["id"] == "public_foundation")
    rule["tiers"][0]["max_management_basis_points"] = management_cap_bp
    doc["notes"] = ["Test revision: management cap of public-fundraising foundations lowered."]
    return doc


# --- the packaged rule sets -----------------------------------------------------------------


def test_packaged_rule_sets_and_their_dates() -> None:
    reg = default_registry()
    assert reg.names() == ("cn-charity", "sz-donation")
    cn = ruleset("cn-charity", date(2026, 6, 1))
    assert (cn.name, cn.version, cn.ref) == ("cn-charity", 1, "cn-charity/1")
    assert cn.effective_from == date(2024, 9, 5) and cn.effective_to is None
    assert ruleset("cn-charity", date(2024, 9, 5)).version == 1
    sz = ruleset("sz-donation", date(1998, 3, 1))
    assert sz.ref == "sz-donation/1" and sz.sources["sz-regulations-1997"].in_force == date(1998, 3, 1)
    assert ruleset_ref("cn-charity/1") is cn


@pytest.mark.parametrize(("name", "day"), [("cn-charity", date(2024, 9, 4)), ("sz-donation", date(1998, 2, 28))])
def test_no_version_in_force_before_the_first(name: str, day: date) -> None:
    with pytest.raises(LedgerError) as err:
        ruleset(name, day)
    assert err.value.code == "ruleset_not_in_force"
    assert err.value.kind == "not_found"
    assert day.isoformat() in err.value.message_en


def test_unknown_name_and_version() -> None:
    with pytest.raises(LedgerError) as err:
        ruleset("us-990", date(2026, 1, 1))
    assert err.value.code == "ruleset_unknown" and "cn-charity" in err.value.message_en
    with pytest.raises(LedgerError) as err:
        ruleset_ref("cn-charity/9")
    assert err.value.code == "ruleset_version_unknown"
    with pytest.raises(LedgerError) as err:
        ruleset_ref("cn-charity")
    assert err.value.code == "ruleset_unknown"


def test_money_thresholds_are_integer_fen_and_ratios_basis_points() -> None:
    rules = ruleset("cn-charity", date(2026, 1, 1)).ratio_rules()
    assert rules.management_cost_exempt_below_fen == 200_000 * YUAN
    social = rules.rule_for("social_group", False)
    assert social is not None
    assert [
        (t.id, t.net_assets_from_fen, t.net_assets_below_fen, t.max_management_basis_points) for t in social.tiers
    ] == [
        ("under_1m", None, 1_000_000 * YUAN, 2000),
        ("1m_to_5m", 1_000_000 * YUAN, 5_000_000 * YUAN, 1500),
        ("5m_to_10m", 5_000_000 * YUAN, 10_000_000 * YUAN, 1400),
        ("ge_10m", 10_000_000 * YUAN, None, 1300),
    ]
    assert rules.rule_for("social_service_org", False) is social
    assert [m.basis_points for m in social.tiers[0].min_spending] == [800, 5000]
    public = rules.rule_for("foundation", True)
    assert public is not None and public.tiers[0].max_management_basis_points == 1000
    assert public.tiers[0].min_spending[0].basis_points == 7000
    assert rules.rule_for("social_service_org", True).tiers[0].max_management_basis_points == 1300  # type: ignore[union-attr]
    assert rules.rule_for("enterprise", False) is None


def test_unverified_tiers_are_marked_and_explained() -> None:
    cn = ruleset("cn-charity", date(2026, 1, 1))
    foundation = cn.ratio_rules().rule_for("foundation", False)
    assert foundation is not None
    flags = {t.id: t.verified for t in foundation.tiers}
    assert flags == {"under_4m": True, "4m_to_8m": False, "8m_to_60m": False, "ge_60m": False}
    assert foundation.tiers[0].net_assets_below_fen == 4_000_000 * YUAN
    assert foundation.tiers[0].min_spending[0].basis_points == 800
    assert foundation.tiers[0].max_management_basis_points == 2000
    assert any("UNVERIFIED" in n and "4m_to_8m" in n for n in cn.notes)


def test_every_rule_names_a_source() -> None:
    for name in default_registry().names():
        for rs in default_registry().versions(name):
            for rule in rs.deadlines.values():
                assert rule.source in rs.sources and rule.en and rule.zh
            if rs.spending_ratios:
                for r in rs.spending_ratios.rules:
                    for t in r.tiers:
                        assert t.source in rs.sources and t.article


def test_deadline_parameters() -> None:
    cn = ruleset("cn-charity", date(2026, 1, 1))
    assert cn.deadline("plan_filing").days == -10
    assert cn.deadline("plan_filing_emergency").days == 10
    progress = cn.deadline("progress_disclosure")
    assert (progress.every_months, progress.applies_when_longer_than_months) == (3, 6)
    assert cn.deadline("final_disclosure").months == 3
    assert cn.deadline("surplus_disclosure").months == 3
    annual = cn.deadline("annual_report")
    assert (annual.fixed_month, annual.fixed_day, annual.fixed_years_after) == (5, 31, 1)
    assert cn.deadline("major_change_disclosure").days == 30
    sz = ruleset("sz-donation", date(2026, 1, 1))
    assert (sz.deadline("authority_reply").days, sz.deadline("authority_reply_latest").days) == (10, 30)
    assert sz.deadline("emergency_filing").months == 3
    assert sz.param("no_reply_counts_as_approval") is True
    assert sz.param("filing", "article") == "art. 24"
    with pytest.raises(LedgerError) as err:
        sz.deadline("annual_report")
    assert err.value.code == "ruleset_param_missing"


def test_plan_notice_agrees_with_the_append_rules() -> None:
    """The domain refuses late plan filings with its own constant: the two must not drift."""
    from ledger.domain import rules as domain_rules

    cn = ruleset("cn-charity", date(2026, 1, 1))
    assert (
        domain_rules.PLAN_NOTICE_DAYS == -cn.deadline("plan_filing").days == cn.deadline("plan_filing_emergency").days
    )


def test_parameters_are_read_only_and_json_round_trips() -> None:
    cn = ruleset("cn-charity", date(2026, 1, 1))
    with pytest.raises(TypeError):
        cn.parameters["currency"] = "USD"  # type: ignore[index]
    with pytest.raises(AttributeError):
        cn.version = 2  # type: ignore[misc]
    doc = cn.to_json()
    text = json.dumps(doc, ensure_ascii=False)
    assert json.loads(text)["parameters"] == packaged("cn-charity")["parameters"]
    assert doc["ref"] == "cn-charity/1" and doc["sources"][0]["id"] == "charity-law"
    assert hash(cn) == hash(ruleset_ref("cn-charity/1"))


# --- a revision through a test-only data directory -------------------------------------------


def test_revised_version_applies_from_its_date(tmp_path: Path) -> None:
    write(tmp_path / "rulesets", revised_cn_charity())
    reg = RuleSetRegistry.load(tmp_path / "rulesets")
    v1 = reg.in_force("cn-charity", date(2026, 12, 31))
    v2 = reg.in_force("cn-charity", date(2027, 1, 1))
    assert (v1.version, v1.effective_to) == (1, date(2026, 12, 31))  # ended by its successor
    assert (v2.version, v2.effective_from, v2.effective_to) == (2, date(2027, 1, 1), None)
    assert reg.in_force("sz-donation", date(2027, 1, 1)).version == 1

    # A public-fundraising foundation with 9 % management costs: within 10 %, above 8 %.
    figures = dict(
        legal_form="foundation",
        public_fundraising=True,
        prior_year_income=10_000_000 * YUAN,
        prior_3y_avg_income=None,
        prior_year_end_net_assets=20_000_000 * YUAN,
        charitable_spending=8_000_000 * YUAN,
        management_cost=900_000 * YUAN,
        total_spending=10_000_000 * YUAN,
    )
    before = check_spending_ratios(reg.in_force("cn-charity", date(2026, 12, 31)), **figures)
    after = check_spending_ratios(reg.in_force("cn-charity", date(2027, 1, 1)), **figures)
    assert (before.ruleset, before.management.cap_basis_points, before.management.cap_fen, before.passed) == (
        "cn-charity/1",
        1000,
        1_000_000 * YUAN,
        True,
    )
    assert (after.ruleset, after.management.cap_basis_points, after.management.cap_fen, after.passed) == (
        "cn-charity/2",
        800,
        800_000 * YUAN,
        False,
    )
    assert after.explanation_required and after.spending_met
    # the packaged registry is untouched
    assert [rs.version for rs in default_registry().versions("cn-charity")] == [1]


def test_revised_shenzhen_regulation(tmp_path: Path) -> None:
    from ledger.compliance.deadlines import sz_reply_dues

    doc = packaged("sz-donation")
    doc.update(version=2, effective_from="2027-03-01")
    doc["parameters"]["deadlines"]["authority_reply"]["offset"] = {"days": 7}
    write(tmp_path, doc)
    reg = RuleSetRegistry.load(tmp_path)
    old = sz_reply_dues(reg.in_force("sz-donation", date(2027, 2, 28)), date(2027, 2, 28))
    new = sz_reply_dues(reg.in_force("sz-donation", date(2027, 3, 1)), date(2027, 3, 1))
    assert [d.due_on for d in old] == [date(2027, 3, 10), date(2027, 3, 30)]
    assert [d.due_on for d in new] == [date(2027, 3, 8), date(2027, 3, 31)]
    assert (old[0].ruleset, new[0].ruleset) == ("sz-donation/1", "sz-donation/2")


def test_explicit_end_leaves_a_gap(tmp_path: Path) -> None:
    doc = packaged("sz-donation")
    doc["effective_to"] = "2020-12-31"
    write(tmp_path, doc)
    reg = RuleSetRegistry.load(tmp_path, packaged=False)
    assert reg.in_force("sz-donation", date(2020, 12, 31)).effective_to == date(2020, 12, 31)
    with pytest.raises(LedgerError) as err:
        reg.in_force("sz-donation", date(2021, 1, 1))
    assert err.value.code == "ruleset_not_in_force"


# --- bad files are refused at load time -----------------------------------------------------


def _bad(tmp_path: Path, doc: dict[str, Any], filename: str | None = None) -> LedgerError:
    path = write(tmp_path, doc, filename)
    with pytest.raises(LedgerError) as err:
        RuleSetRegistry.load(tmp_path, packaged=False) if filename is None else load_file(path)
    assert err.value.code == "ruleset_invalid"
    return err.value


def _tiers(doc: dict[str, Any], rule_id: str) -> list[dict[str, Any]]:
    return next(r for r in doc["parameters"]["spending_ratios"]["rules"] if r["id"] == rule_id)["tiers"]


def test_refuses_fractions(tmp_path: Path) -> None:
    text = json.dumps(packaged("cn-charity")).replace(
        '"management_cost_exempt_below_fen": 20000000', '"management_cost_exempt_below_fen": 200000.5'
    )
    (tmp_path / "cn-charity.v1.json").write_text(text, encoding="utf-8")
    with pytest.raises(LedgerError) as err:
        RuleSetRegistry.load(tmp_path, packaged=False)
    assert err.value.code == "ruleset_invalid" and "fen" in err.value.message_en


def test_refuses_overlapping_or_missing_tiers(tmp_path: Path) -> None:
    doc = packaged("cn-charity")
    _tiers(doc, "non_public_social")[1]["net_assets_from_fen"] = 90_000_000
    assert "must start where" in _bad(tmp_path / "a", doc).message_en
    doc = packaged("cn-charity")
    del _tiers(doc, "non_public_social")[2]
    assert "must start where" in _bad(tmp_path / "b", doc).message_en
    doc = packaged("cn-charity")
    _tiers(doc, "non_public_social")[0]["net_assets_from_fen"] = 0
    assert "first (lowest) tier" in _bad(tmp_path / "c", doc).message_en


def test_refuses_unknown_source_missing_verified_flag_and_bad_bases(tmp_path: Path) -> None:
    doc = packaged("cn-charity")
    _tiers(doc, "public_foundation")[0]["source"] = "hearsay"
    assert "unknown source 'hearsay'" in _bad(tmp_path / "a", doc).message_en
    doc = packaged("cn-charity")
    del _tiers(doc, "public_foundation")[0]["verified"]
    assert "verified" in _bad(tmp_path / "b", doc).message_en
    doc = packaged("cn-charity")
    _tiers(doc, "public_foundation")[0]["min_spending"][0]["of_any"] = ["turnover"]
    assert "unknown base 'turnover'" in _bad(tmp_path / "c", doc).message_en
    doc = packaged("cn-charity")
    doc["parameters"]["deadlines"]["plan_filing"]["offset"] = {"days": -10, "months": 0}
    assert "not both" in _bad(tmp_path / "d", doc).message_en
    doc = packaged("cn-charity")
    doc["parameters"]["spending_ratios"]["rules"][1]["legal_forms"] = ["foundation"]
    assert "already covered" in _bad(tmp_path / "e", doc).message_en


def test_refuses_name_mismatch_and_duplicate_keys(tmp_path: Path) -> None:
    err = _bad(tmp_path, packaged("cn-charity"), filename="cn-charity.v3.json")
    assert "version 3" in err.message_en
    (tmp_path / "dup").mkdir()
    (tmp_path / "dup" / "x.v1.json").write_text('{"format": 1, "format": 1}', encoding="utf-8")
    with pytest.raises(LedgerError) as e:
        load_file(tmp_path / "dup" / "x.v1.json")
    assert "duplicate key" in e.value.message_en


def test_refuses_overlapping_versions(tmp_path: Path) -> None:
    v1 = packaged("cn-charity")
    v1["effective_to"] = "2027-06-30"
    write(tmp_path / "a", v1)
    write(tmp_path / "a", revised_cn_charity())
    assert "overlaps" in _registry_error(tmp_path / "a").message_en
    write(tmp_path / "b", packaged("cn-charity"))
    write(tmp_path / "b", revised_cn_charity(effective_from="2024-09-05"))
    assert "must take effect after" in _registry_error(tmp_path / "b").message_en


def test_refuses_the_same_version_twice(tmp_path: Path) -> None:
    write(tmp_path, packaged("cn-charity"))
    with pytest.raises(LedgerError) as err:
        RuleSetRegistry.load(tmp_path)  # packaged + a second cn-charity v1
    assert err.value.code == "ruleset_invalid" and "defined twice" in err.value.message_en


def _registry_error(folder: Path) -> LedgerError:
    with pytest.raises(LedgerError) as err:
        RuleSetRegistry.load(folder, packaged=False)
    assert err.value.code == "ruleset_invalid"
    return err.value
