"""Spending and management-cost ratios: every tier edge to the fen, integer arithmetic only."""

from __future__ import annotations

import ast
import inspect
from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ledger.compliance.ratios
from ledger.compliance.ratios import RatioResult, check_spending_ratios
from ledger.compliance.rulesets import ruleset
from ledger.errors import LedgerError

YUAN = 100
CN = ruleset("cn-charity", date(2026, 1, 1))


def check(
    legal_form: str = "social_group",
    public: bool = False,
    *,
    income: int = 0,
    avg_income: int | None = None,
    net_assets: int = 0,
    avg_net_assets: int | None = None,
    spending: int = 0,
    management: int = 0,
    total: int | None = None,
) -> RatioResult:
    return check_spending_ratios(
        CN,
        legal_form,
        public,
        income,
        avg_income,
        net_assets,
        spending,
        management,
        spending + management if total is None else total,
        prior_3y_avg_net_assets=avg_net_assets,
    )


# --- tier selection at every edge -----------------------------------------------------------

SOCIAL_EDGES = [
    (1_000_000 * YUAN - 1, "under_1m"),
    (1_000_000 * YUAN, "1m_to_5m"),
    (5_000_000 * YUAN - 1, "1m_to_5m"),
    (5_000_000 * YUAN, "5m_to_10m"),
    (10_000_000 * YUAN - 1, "5m_to_10m"),
    (10_000_000 * YUAN, "ge_10m"),
    (-1, "under_1m"),
    (0, "under_1m"),
]
FOUNDATION_EDGES = [
    (4_000_000 * YUAN - 1, "under_4m"),
    (4_000_000 * YUAN, "4m_to_8m"),
    (8_000_000 * YUAN - 1, "4m_to_8m"),
    (8_000_000 * YUAN, "8m_to_60m"),
    (60_000_000 * YUAN - 1, "8m_to_60m"),
    (60_000_000 * YUAN, "ge_60m"),
]


@pytest.mark.parametrize(("net_assets", "tier"), SOCIAL_EDGES)
@pytest.mark.parametrize("form", ["social_group", "social_service_org"])
def test_non_public_social_tier_edges(form: str, net_assets: int, tier: str) -> None:
    r = check(form, net_assets=net_assets)
    assert (r.rule, r.tier, r.verified) == ("non_public_social", tier, True)


@pytest.mark.parametrize(("net_assets", "tier"), FOUNDATION_EDGES)
def test_non_public_foundation_tier_edges(net_assets: int, tier: str) -> None:
    r = check("foundation", net_assets=net_assets)
    assert (r.rule, r.tier) == ("non_public_foundation", tier)
    assert r.verified is (tier == "under_4m")


# --- minimum spending at the fen -------------------------------------------------------------

# (form, public, net assets, bp of net assets, management cap bp)
NET_ASSET_TIERS = [
    ("social_group", False, 1_000_000 * YUAN, 800, 1500),  # lowest amount of 1m_to_5m
    ("social_group", False, 5_000_000 * YUAN - 1, 800, 1500),  # highest of 1m_to_5m
    ("social_group", False, 5_000_000 * YUAN, 700, 1400),
    ("social_group", False, 10_000_000 * YUAN - 1, 700, 1400),
    ("social_group", False, 10_000_000 * YUAN, 600, 1300),
    ("foundation", False, 4_000_000 * YUAN - 1, 800, 2000),
    ("foundation", False, 4_000_000 * YUAN, 700, 1500),
    ("foundation", False, 8_000_000 * YUAN, 600, 1300),
    ("foundation", False, 60_000_000 * YUAN, 600, 1200),
]


@pytest.mark.parametrize(("form", "public", "net_assets", "bp", "cap_bp"), NET_ASSET_TIERS)
def test_minimum_spending_on_net_assets_to_the_fen(
    form: str, public: bool, net_assets: int, bp: int, cap_bp: int
) -> None:
    required = -(-net_assets * bp // 10_000)  # ceil, exact
    assert Fraction(required) >= Fraction(net_assets * bp, 10_000) > required - 1
    ok = check(form, public, net_assets=net_assets, spending=required)
    short = check(form, public, net_assets=net_assets, spending=required - 1)
    assert ok.spending[0].required_fen == required and ok.spending[0].basis_points == bp
    assert ok.spending[0].decided_by == "prior_year_end_net_assets"
    assert (ok.spending_met, ok.passed) == (True, True)
    assert (short.spending_met, short.passed, short.explanation_required) == (False, False, True)
    assert ok.management.cap_basis_points == cap_bp


def test_minimum_rounds_up_a_fraction_of_a_fen() -> None:
    r = check(net_assets=1_000_000 * YUAN + 1, spending=8_000_001)  # 8 % of 100,000,001 fen = 8,000,000.08
    assert r.spending[0].required_fen == 8_000_001 and r.spending_met
    assert not check(net_assets=1_000_000 * YUAN + 1, spending=8_000_000).spending_met


@pytest.mark.parametrize(
    ("form", "cap_bp"), [("foundation", 1000), ("social_group", 1300), ("social_service_org", 1300)]
)
def test_public_fundraising_seventy_percent_of_income(form: str, cap_bp: int) -> None:
    income = 3_000_000 * YUAN + 1  # 70 % = 210,000,000.7 fen
    ok = check(form, True, income=income, net_assets=999 * YUAN, spending=210_000_001)
    short = check(form, True, income=income, net_assets=999 * YUAN, spending=210_000_000)
    assert ok.rule == ("public_foundation" if form == "foundation" else "public_social")
    assert (ok.spending[0].required_fen, ok.spending_met, short.spending_met) == (210_000_001, True, False)
    assert ok.management.cap_basis_points == cap_bp and ok.verified


def test_three_year_average_may_replace_prior_year_income() -> None:
    r = check("foundation", True, income=10_000_000 * YUAN, avg_income=6_000_000 * YUAN, spending=4_200_000 * YUAN)
    req = r.spending[0]
    assert [(b.name, b.required_fen) for b in req.bases] == [
        ("prior_year_income", 7_000_000 * YUAN),
        ("prior_3y_avg_income", 4_200_000 * YUAN),
    ]
    assert (req.decided_by, req.required_fen, req.met) == ("prior_3y_avg_income", 4_200_000 * YUAN, True)
    assert req.actual_basis_points == 7000
    # without the average the prior year decides, and the same spending falls short
    r = check("foundation", True, income=10_000_000 * YUAN, spending=4_200_000 * YUAN)
    assert (r.spending[0].decided_by, r.spending_met) == ("prior_year_income", False)
    assert [b.name for b in r.spending[0].bases] == ["prior_year_income"]


def test_three_year_average_net_assets() -> None:
    r = check("foundation", net_assets=3_000_000 * YUAN, avg_net_assets=2_000_000 * YUAN, spending=160_000 * YUAN)
    assert (r.tier, r.spending[0].decided_by, r.spending[0].required_fen, r.spending_met) == (
        "under_4m",
        "prior_3y_avg_net_assets",
        160_000 * YUAN,
        True,
    )


def test_small_social_organisation_needs_both_minimums() -> None:
    # under 1M yuan: 8 % of net assets AND 50 % of prior-year income
    base = dict(net_assets=500_000 * YUAN, income=200_000 * YUAN)
    both = check(**base, spending=100_000 * YUAN)
    assert [(r.basis_points, r.required_fen, r.met) for r in both.spending] == [
        (800, 40_000 * YUAN, True),
        (5000, 100_000 * YUAN, True),
    ]
    assert both.passed
    one = check(**base, spending=100_000 * YUAN - 1)
    assert [r.met for r in one.spending] == [True, False]
    assert (one.spending_met, one.passed) == (False, False)


def test_negative_or_zero_bases_require_nothing() -> None:
    r = check(net_assets=-5_000 * YUAN, income=0, spending=0)
    assert [x.required_fen for x in r.spending] == [0, 0] and r.spending_met
    assert r.spending[0].actual_basis_points is None


# --- management costs ----------------------------------------------------------------------


def test_management_cap_to_the_fen() -> None:
    total = 10_000_000 * YUAN + 9  # 10 % = 100,000,000.9 fen -> cap 100,000,000
    at_cap = check("foundation", True, income=1, spending=0, management=100_000_000, total=total)
    over = check("foundation", True, income=1, spending=0, management=100_000_001, total=total)
    assert (at_cap.management.cap_fen, at_cap.management.within_cap, at_cap.management.met) == (100_000_000, True, True)
    assert (over.management.within_cap, over.management.exempt, over.management.met, over.passed) == (
        False,
        False,
        False,
        False,
    )
    assert at_cap.management.actual_basis_points == 1000  # 9.9999999 % is shown as 10.00 %: within
    assert over.management.actual_basis_points == 1001  # 10.0000001 % is shown as 10.01 %: over


@pytest.mark.parametrize(("management", "exempt"), [(200_000 * YUAN - 1, True), (200_000 * YUAN, False)])
def test_exemption_under_200000_yuan(management: int, exempt: bool) -> None:
    # a public foundation spending 1,000,000 yuan: its 10 % cap is 100,000 yuan and both amounts
    # are over it; only the one under 200,000 yuan is exempt
    r = check("foundation", True, income=0, spending=0, management=management, total=1_000_000 * YUAN)
    assert r.management.cap_fen == 100_000 * YUAN
    assert r.management.within_cap is False
    assert (r.management.exempt, r.management.met, r.passed) == (exempt, exempt, exempt)
    assert r.management.exempt_below_fen == 200_000 * YUAN


def test_rounding_of_shown_ratios_never_flatters() -> None:
    r = check("foundation", True, income=3, spending=2, management=0, total=2)  # 66.67 % of income
    assert r.spending[0].actual_basis_points == 6666 and not r.spending_met  # rounded down
    r = check(net_assets=0, spending=0, management=1, total=3)
    assert r.management.actual_basis_points == 3334  # rounded up


# --- refusals -------------------------------------------------------------------------------


def test_no_rule_for_a_non_charity() -> None:
    with pytest.raises(LedgerError) as err:
        check("enterprise")
    assert err.value.code == "ratio_rule_missing" and "enterprise" in err.value.message_en


@pytest.mark.parametrize(
    "bad",
    [
        dict(spending=1.5),
        dict(income=True),
        dict(management=-1),
        dict(spending=10, management=5, total=14),
    ],
)
def test_refuses_floats_and_inconsistent_figures(bad: dict) -> None:
    with pytest.raises(LedgerError) as err:
        check(**bad)
    assert err.value.code == "ratio_input_invalid"


def test_json_has_decimal_strings_and_every_deciding_number() -> None:
    r = check(
        net_assets=500_000 * YUAN,
        income=200_000 * YUAN,
        spending=100_000 * YUAN,
        management=1234,
        total=100_000 * YUAN + 1234,
    )
    doc = r.to_json()
    assert doc["ruleset"] == "cn-charity/1" and doc["tier"] == "under_1m"
    assert (
        doc["prior_year_end_net_assets"] == "500000.00"
        and doc["tier_below"] == "1000000.00"
        and doc["tier_from"] is None
    )
    assert doc["spending"][1]["required"] == "100000.00" and doc["spending"][1]["bases"][0]["amount"] == "200000.00"
    assert doc["management"]["actual"] == "12.34" and doc["management"]["exempt"] is True
    assert doc["source"] == "spending-rules-2016 art. 9 (4)"


def test_module_uses_no_float_or_division() -> None:
    tree = ast.parse(inspect.getsource(ledger.compliance.ratios))
    for node in ast.walk(tree):
        assert not (isinstance(node, ast.Constant) and isinstance(node.value, float))
        assert not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)), "use // on integers"
        assert not (isinstance(node, ast.Name) and node.id in {"float", "Decimal"})


# --- against a naive model with exact fractions ----------------------------------------------

money = st.integers(min_value=0, max_value=10**12)


@settings(max_examples=300, deadline=None)
@given(
    form=st.sampled_from(["foundation", "social_group", "social_service_org"]),
    public=st.booleans(),
    income=st.integers(min_value=-(10**9), max_value=10**12),
    avg_income=st.one_of(st.none(), money),
    net_assets=st.one_of(
        st.integers(min_value=-(10**9), max_value=10**12),
        st.sampled_from([e for e, _ in SOCIAL_EDGES + FOUNDATION_EDGES]),
    ),
    spending=money,
    management=money,
    other=money,
)
def test_matches_exact_fraction_model(
    form: str,
    public: bool,
    income: int,
    avg_income: int | None,
    net_assets: int,
    spending: int,
    management: int,
    other: int,
) -> None:
    total = spending + management + other
    r = check(
        form,
        public,
        income=income,
        avg_income=avg_income,
        net_assets=net_assets,
        spending=spending,
        management=management,
        total=total,
    )
    rule = CN.ratio_rules().rule_for(form, public)
    assert rule is not None
    tier = next(
        t
        for t in rule.tiers
        if (t.net_assets_from_fen is None or net_assets >= t.net_assets_from_fen)
        and (t.net_assets_below_fen is None or net_assets < t.net_assets_below_fen)
    )
    values = {
        "prior_year_income": income,
        "prior_3y_avg_income": avg_income,
        "prior_year_end_net_assets": net_assets,
        "prior_3y_avg_net_assets": None,
    }
    spending_ok = all(
        any(
            Fraction(spending) >= Fraction(values[b] * m.basis_points, 10_000)
            for b in m.of_any
            if values[b] is not None
        )
        for m in tier.min_spending
    )
    management_ok = management < 200_000 * YUAN or Fraction(management) <= Fraction(
        total * tier.max_management_basis_points, 10_000
    )
    assert r.tier == tier.id
    assert r.spending_met == spending_ok
    assert r.management.met == management_ok
    assert r.passed == (spending_ok and management_ok)
