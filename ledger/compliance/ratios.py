"""The annual spending and management-cost ratio checks (compliance.md items 8-12).

Pure: integer fen in, a :class:`RatioResult` out that carries every number that decided it, so
a report can print "required 700,000.00, spent 712,345.67" rather than just "passed".

Integer arithmetic only. A minimum of ``bp`` basis points of a base is met when
``spending * 10000 >= base * bp``; a cap is kept when ``management * 10000 <= total * bp``.
The amounts shown (``required_fen``, ``cap_fen``) are the exact integer bounds of those
comparisons: the smallest whole fen that meets a minimum (rounded up) and the largest whole fen
within a cap (rounded down), so "actual >= required_fen" is the same test as the comparison.
Ratios shown as percentages (``actual_basis_points``) are rounded *against* the organisation
(down for a minimum, up for a cap), so a shown figure never looks compliant when it is not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.compliance.codes import RATIO_INPUT_INVALID, RATIO_RULE_MISSING
from ledger.compliance.rulesets import RuleSet, ruleset
from ledger.compliance.rulesets.params import RatioRule, SpendingMinimum, SpendingRatioRules
from ledger.domain.history import OrgState, org_on
from ledger.domain.money import format_amount
from ledger.domain.rows import OrgChangeRow, OrgRow
from ledger.errors import LedgerError

BP = 10_000


@dataclass(frozen=True, slots=True)
class BaseFigure:
    """One base a minimum may be computed on, and the minimum on it."""

    name: str  # prior_year_income, prior_3y_avg_income, prior_year_end_net_assets, ...
    amount_fen: int
    required_fen: int  # ceil(amount * bp / 10000), never below 0


@dataclass(frozen=True, slots=True)
class SpendingRequirement:
    """Charitable spending >= ``basis_points`` of one of the bases (the lowest requirement decides)."""

    basis_points: int
    bases: tuple[BaseFigure, ...]  # the bases the organisation reported (None ones left out)
    decided_by: str  # the base whose requirement was applied
    required_fen: int
    actual_fen: int
    actual_basis_points: int | None  # of the deciding base, rounded down; None when the base <= 0
    met: bool


@dataclass(frozen=True, slots=True)
class ManagementCheck:
    cap_basis_points: int
    total_spending_fen: int
    cap_fen: int  # floor(total * bp / 10000)
    actual_fen: int
    actual_basis_points: int | None  # of total spending, rounded up; None when total is 0
    exempt_below_fen: int
    exempt: bool  # management costs under the exemption threshold
    within_cap: bool
    met: bool  # exempt or within the cap


@dataclass(frozen=True, slots=True)
class RatioResult:
    ruleset: str  # "cn-charity/1"
    rule: str  # "non_public_social"
    tier: str  # "under_1m"
    legal_form: str
    public_fundraising: bool
    prior_year_end_net_assets_fen: int  # what chose the tier
    tier_from_fen: int | None
    tier_below_fen: int | None
    spending: tuple[SpendingRequirement, ...]
    management: ManagementCheck
    spending_met: bool
    passed: bool
    verified: bool  # False when the tier's figures are marked unverified
    source: str  # "spending-rules-2016 art. 9 (4)"
    explanation_required: bool  # a missed ratio must be reported and explained publicly

    def to_json(self, currency: str = "CNY") -> dict[str, Any]:
        """Money as decimal strings, ratios as integer basis points."""

        def m(v: int | None) -> str | None:
            return None if v is None else format_amount(v, currency)

        return {
            "ruleset": self.ruleset,
            "rule": self.rule,
            "tier": self.tier,
            "legal_form": self.legal_form,
            "public_fundraising": self.public_fundraising,
            "prior_year_end_net_assets": m(self.prior_year_end_net_assets_fen),
            "tier_from": m(self.tier_from_fen),
            "tier_below": m(self.tier_below_fen),
            "spending": [
                {
                    "basis_points": r.basis_points,
                    "bases": [
                        {"name": b.name, "amount": m(b.amount_fen), "required": m(b.required_fen)} for b in r.bases
                    ],
                    "decided_by": r.decided_by,
                    "required": m(r.required_fen),
                    "actual": m(r.actual_fen),
                    "actual_basis_points": r.actual_basis_points,
                    "met": r.met,
                }
                for r in self.spending
            ],
            "management": {
                "cap_basis_points": self.management.cap_basis_points,
                "total_spending": m(self.management.total_spending_fen),
                "cap": m(self.management.cap_fen),
                "actual": m(self.management.actual_fen),
                "actual_basis_points": self.management.actual_basis_points,
                "exempt_below": m(self.management.exempt_below_fen),
                "exempt": self.management.exempt,
                "within_cap": self.management.within_cap,
                "met": self.management.met,
            },
            "spending_met": self.spending_met,
            "passed": self.passed,
            "verified": self.verified,
            "source": self.source,
            "explanation_required": self.explanation_required,
        }


def check_spending_ratios(
    ruleset: RuleSet,
    legal_form: str,
    public_fundraising: bool,
    prior_year_income: int,
    prior_3y_avg_income: int | None,
    prior_year_end_net_assets: int,
    charitable_spending: int,
    management_cost: int,
    total_spending: int,
    *,
    prior_3y_avg_net_assets: int | None = None,
) -> RatioResult:
    """Check one organisation-year against the spending rules of its legal form and tier.

    All amounts are integer fen of the year checked (spending, management, total) or of the
    prior year(s) (income, net assets). ``prior_year_income`` is the adjusted total income of
    art. 10 of the 2016 rules; the 3-year averages may be ``None`` when unknown (a young
    organisation). The tier is chosen by ``prior_year_end_net_assets``.
    """
    figures = {
        "prior_year_income": prior_year_income,
        "prior_3y_avg_income": prior_3y_avg_income,
        "prior_year_end_net_assets": prior_year_end_net_assets,
        "prior_3y_avg_net_assets": prior_3y_avg_net_assets,
    }
    _check_ratio_inputs(figures, charitable_spending, management_cost, total_spending, public_fundraising)
    rules = ruleset.ratio_rules()
    rule = _rule_for(ruleset, rules, legal_form, public_fundraising)
    tier = next(t for t in rule.tiers if t.contains(prior_year_end_net_assets))  # tiers partition all amounts
    requirements = [_spending_requirement(minimum, figures, charitable_spending) for minimum in tier.min_spending]
    management = _management_check(
        tier.max_management_basis_points, rules.management_cost_exempt_below_fen, management_cost, total_spending
    )
    spending_met = all(r.met for r in requirements)
    passed = spending_met and management.met
    return RatioResult(
        ruleset=ruleset.ref,
        rule=rule.id,
        tier=tier.id,
        legal_form=legal_form,
        public_fundraising=public_fundraising,
        prior_year_end_net_assets_fen=prior_year_end_net_assets,
        tier_from_fen=tier.net_assets_from_fen,
        tier_below_fen=tier.net_assets_below_fen,
        spending=tuple(requirements),
        management=management,
        spending_met=spending_met,
        passed=passed,
        verified=tier.verified,
        source=f"{tier.source} {tier.article}" if tier.article else tier.source,
        explanation_required=not passed,
    )


def _management_check(
    cap_basis_points: int, exempt_below_fen: int, management_cost: int, total_spending: int
) -> ManagementCheck:
    """Management costs within the tier's share of total spending, or under the exemption."""
    cap_fen = total_spending * cap_basis_points // BP
    exempt = management_cost < exempt_below_fen
    within = management_cost <= cap_fen
    return ManagementCheck(
        cap_basis_points=cap_basis_points,
        total_spending_fen=total_spending,
        cap_fen=cap_fen,
        actual_fen=management_cost,
        actual_basis_points=_ratio_up(management_cost, total_spending),
        exempt_below_fen=exempt_below_fen,
        exempt=exempt,
        within_cap=within,
        met=exempt or within,
    )


def _rule_for(ruleset: RuleSet, rules: SpendingRatioRules, legal_form: str, public_fundraising: bool) -> RatioRule:
    """The rule set's spending rule for this legal form and qualification."""
    rule = rules.rule_for(legal_form, public_fundraising)
    if rule is None:
        raise LedgerError(
            RATIO_RULE_MISSING,
            ruleset=ruleset.ref,
            legal_form=legal_form,
            fundraising="with the public-fundraising qualification"
            if public_fundraising
            else "without the public-fundraising qualification",
            fundraising_zh="具有公开募捐资格" if public_fundraising else "不具有公开募捐资格",
        )
    return rule


def _check_ratio_inputs(
    figures: dict[str, int | None],
    charitable_spending: int,
    management_cost: int,
    total_spending: int,
    public_fundraising: bool,
) -> None:
    """Whole fen amounts, no negative spending, and spending parts within the total."""
    _check_int("prior_year_income", figures["prior_year_income"])
    _check_int("prior_year_end_net_assets", figures["prior_year_end_net_assets"])
    for name in ("prior_3y_avg_income", "prior_3y_avg_net_assets"):
        if figures[name] is not None:
            _check_int(name, figures[name])
    for name, value in (
        ("charitable_spending", charitable_spending),
        ("management_cost", management_cost),
        ("total_spending", total_spending),
    ):
        _check_int(name, value)
        if value < 0:
            raise LedgerError(RATIO_INPUT_INVALID, detail=f"{name} is negative ({value} fen)")
    if not isinstance(public_fundraising, bool):
        raise LedgerError(RATIO_INPUT_INVALID, detail="public_fundraising must be true or false")
    if charitable_spending + management_cost > total_spending:
        raise LedgerError(
            RATIO_INPUT_INVALID,
            detail=f"charitable spending ({charitable_spending} fen) plus management costs ({management_cost} fen) exceed total spending ({total_spending} fen)",
        )


def _spending_requirement(
    minimum: SpendingMinimum, figures: dict[str, int | None], charitable_spending: int
) -> SpendingRequirement:
    """One minimum-spending rule: the lowest requirement over the bases it may be taken on."""
    bases = tuple(
        BaseFigure(name, figures[name], _min_required(figures[name], minimum.basis_points))  # type: ignore[arg-type]
        for name in minimum.of_any
        if figures[name] is not None
    )
    if not bases:
        raise LedgerError(RATIO_INPUT_INVALID, detail=f"none of {', '.join(minimum.of_any)} was given")
    decisive = min(bases, key=lambda b: b.required_fen)  # first listed wins a tie
    return SpendingRequirement(
        basis_points=minimum.basis_points,
        bases=bases,
        decided_by=decisive.name,
        required_fen=decisive.required_fen,
        actual_fen=charitable_spending,
        actual_basis_points=_ratio_down(charitable_spending, decisive.amount_fen),
        met=charitable_spending >= decisive.required_fen,
    )


def _check_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LedgerError(
            RATIO_INPUT_INVALID, detail=f"{name} must be an integer amount in fen, not {type(value).__name__}"
        )


def _min_required(base: int, bp: int) -> int:
    """Smallest whole fen s with s * 10000 >= base * bp (0 when the base is not positive)."""
    return max(0, -(-base * bp // BP))


def _ratio_down(part: int, whole: int) -> int | None:
    return None if whole <= 0 else part * BP // whole


def _ratio_up(part: int, whole: int) -> int | None:
    return None if whole <= 0 else -(-part * BP // whole)


# --- an organisation-year from its reported figures ---------------------------------------------


@dataclass(frozen=True, slots=True)
class YearCheck:
    """The ratio check of one organisation-year from its ``financials.reported`` figures.

    ``status``: ``passed`` / ``failed`` (with ``result``), ``not_applicable`` (not a charity:
    no ratio rule) or ``not_computed`` (figures missing or unusable: ``reason_*`` says which).
    ``entries``: leaf hashes of the figures used (this year's and the prior years').
    """

    status: str
    year: int
    result: RatioResult | None
    inputs: dict[str, int | None]  # fen
    currency: str | None
    entries: tuple[str, ...]
    missing_years: tuple[int, ...] = ()
    reason_en: str | None = None
    reason_zh: str | None = None

    def to_json(self) -> dict[str, Any]:
        cur = self.currency or "CNY"
        return {
            "status": self.status,
            "year": self.year,
            "currency": self.currency,
            "inputs": {k: None if v is None else format_amount(v, cur) for k, v in self.inputs.items()},
            "entries": list(self.entries),
            "missing_years": list(self.missing_years),
            "reason_en": self.reason_en,
            "reason_zh": self.reason_zh,
            "result": None if self.result is None else self.result.to_json(cur),
        }


def _ceil_avg(values: list[int]) -> int:
    """Average rounded up: a larger base never makes a missed minimum look met."""
    return -(-sum(values) // len(values))


def check_reported_year(
    ruleset: RuleSet, legal_form: str, public_fundraising: bool, figures: Any, year: int
) -> YearCheck:
    """Check ``year`` from ``figures`` ({year: FinancialsRow}, live rows only).

    This year's figures give charitable spending, management costs and total spending; the
    prior year's give prior-year income and prior-year-end net assets; the 3-year averages are
    used when all three prior years are there (rounded up). ``total_income`` stands for the
    adjusted income of art. 10 (the organisation reports the adjusted figure).
    """
    this, prior = figures.get(year), figures.get(year - 1)
    used = [f for f in (figures.get(year - 3), figures.get(year - 2), prior, this) if f is not None]
    entries = tuple(f.id for f in used)
    refused = _not_computable(ruleset, legal_form, figures, year, used, entries)
    if refused is not None:
        return refused
    three = [figures.get(y) for y in (year - 3, year - 2, year - 1)]
    complete = all(f is not None for f in three)
    inputs: dict[str, int | None] = {
        "prior_year_income": prior.total_income_minor,
        "prior_3y_avg_income": _ceil_avg([f.total_income_minor for f in three]) if complete else None,
        "prior_year_end_net_assets": prior.net_assets_minor,
        "prior_3y_avg_net_assets": _ceil_avg([f.net_assets_minor for f in three]) if complete else None,
        "charitable_spending": this.charitable_spending_minor,
        "management_costs": this.management_costs_minor,
        "total_spending": this.total_spending_minor,
    }
    try:
        result = check_spending_ratios(
            ruleset,
            legal_form,
            public_fundraising,
            prior.total_income_minor,
            inputs["prior_3y_avg_income"],
            prior.net_assets_minor,
            this.charitable_spending_minor,
            this.management_costs_minor,
            this.total_spending_minor,
            prior_3y_avg_net_assets=inputs["prior_3y_avg_net_assets"],
        )
    except LedgerError as exc:
        return YearCheck(
            "not_computed",
            year,
            None,
            inputs,
            this.currency,
            entries,
            reason_en=exc.message_en,
            reason_zh=exc.message_zh,
        )
    return YearCheck("passed" if result.passed else "failed", year, result, inputs, this.currency, entries)


def _not_computable(
    ruleset: RuleSet, legal_form: str, figures: Any, year: int, used: list[Any], entries: tuple[str, ...]
) -> YearCheck | None:
    """Why ``year`` is not checked (not a charity, a year's figures missing, another currency), or None."""
    from ledger.domain.schemas import CHARITY_FORMS

    if legal_form not in CHARITY_FORMS:
        return YearCheck(
            "not_applicable",
            year,
            None,
            {},
            None,
            (),
            reason_en="the spending ratios apply to charities only",
            reason_zh="年度支出比例只适用于慈善组织",
        )
    this = figures.get(year)
    missing = tuple(y for y in (year - 1, year) if figures.get(y) is None)
    if missing:
        return YearCheck(
            "not_computed",
            year,
            None,
            {},
            None,
            entries,
            missing,
            reason_en="financials.reported is missing for " + ", ".join(map(str, missing)),
            reason_zh="缺少以下年度的财务数据（financials.reported）：" + "、".join(map(str, missing)),
        )
    expected = ruleset.param("currency") if "currency" in ruleset.parameters else "CNY"
    currencies = {f.currency for f in used}
    if currencies != {expected}:
        return YearCheck(
            "not_computed",
            year,
            None,
            {},
            this.currency,
            entries,
            reason_en=f"the figures are in {', '.join(sorted(currencies))}; the rule set's amounts are in {expected}",
            reason_zh=f"财务数据币种为 {'、'.join(sorted(currencies))}，规则集金额以 {expected} 计",
        )
    return None


# --- the one calculator the report, the overview and the site call ---------------------------


@dataclass(frozen=True, slots=True)
class OrgYearCheck:
    """The ratio check of an organisation's year with what decided which rules applied: the rule
    set in force at the year's end and the organisation's facts on that day (its legal form
    and public-fundraising qualification as they stood then, from its history)."""

    year: int
    ruleset: str | None  # "cn-charity/1"; None when no version was in force
    org: OrgState | None  # None: not registered by the year's end
    check: YearCheck

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "ruleset": self.ruleset,
            "org_at_year_end": None if self.org is None else self.org.to_json(),
            **self.check.to_json(),
        }


def check_org_year(
    org: OrgRow, changes: Iterable[OrgChangeRow], figures: Any, year: int, *, rules: RuleSet | None = None
) -> OrgYearCheck:
    """Check ``year`` of ``org`` from its reported ``figures`` ({year: FinancialsRow}, live rows
    only) under the ``cn-charity`` version in force on 31 December of ``year`` (or ``rules``)
    and the legal form and qualification the organisation held that day (``changes``: its
    ``p_org_change`` rows). The annual report, the regulator overview and the organisation
    page all call this, so they cannot disagree."""
    end = date(year, 12, 31)
    state = org_on(changes, end, org)
    try:
        rs = rules if rules is not None else ruleset("cn-charity", end)
    except LedgerError as exc:  # no rule set in force that year
        return OrgYearCheck(
            year,
            None,
            state,
            YearCheck("not_computed", year, None, {}, None, (), reason_en=exc.message_en, reason_zh=exc.message_zh),
        )
    legal_form = state.legal_form if state is not None else org.legal_form
    public = state.public_fundraising if state is not None else org.public_fundraising
    return OrgYearCheck(year, rs.ref, state, check_reported_year(rs, legal_form, public, figures, year))
