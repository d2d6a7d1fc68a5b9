"""Typed views of the parameters of a rule set, checked when the rule set is loaded.

A rule-set file is data (see ``docs/reports.md``); this module turns its two families of
parameters that code evaluates into frozen dataclasses and refuses a file that would make an
evaluation ambiguous (overlapping or missing net-asset tiers, a deadline with two offsets...).
Money is integer fen and ratios are integer basis points (1 bp = 0.01 %): no floats anywhere.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The figures a minimum-spending requirement can be a percentage of (art. 10 of the 2016
# spending rules lets the 3-year averages stand in for the prior-year figures).
SPENDING_BASES = (
    "prior_year_income",
    "prior_3y_avg_income",
    "prior_year_end_net_assets",
    "prior_3y_avg_net_assets",
)

# The dates a deadline can count from.
ANCHORS = (
    "start",  # project start date
    "end",  # project end date (its last day)
    "fundraising_start",  # first day of public fundraising
    "fundraising_end",  # last day of public fundraising
    "event",  # the day a disclosable event happened (major asset change...)
    "year_end",  # 31 December of the reported year
    "filed",  # the day a filing reached the authority
    "accepted",  # the day a donation was accepted
)

MAX_BP = 10_000


class ParamError(ValueError):
    """A parameter is malformed; the loader turns it into ``ruleset_invalid`` with its path."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = path
        self.detail = detail


@dataclass(frozen=True, slots=True)
class SpendingMinimum:
    """Charitable spending must be at least ``basis_points`` of one of ``of_any`` (the lower
    required amount decides: the organisation may use whichever base the rules allow)."""

    basis_points: int
    of_any: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RatioTier:
    """One net-asset tier: ``net_assets_from_fen <= prior-year-end net assets < net_assets_below_fen``
    (``None`` = unbounded). All ``min_spending`` requirements must hold."""

    id: str
    net_assets_from_fen: int | None
    net_assets_below_fen: int | None
    min_spending: tuple[SpendingMinimum, ...]
    max_management_basis_points: int
    verified: bool
    source: str
    article: str | None
    note: str | None

    def contains(self, net_assets_fen: int) -> bool:
        low, high = self.net_assets_from_fen, self.net_assets_below_fen
        return (low is None or net_assets_fen >= low) and (high is None or net_assets_fen < high)


@dataclass(frozen=True, slots=True)
class RatioRule:
    """The spending rule of some legal forms with or without the public-fundraising qualification."""

    id: str
    legal_forms: tuple[str, ...]
    public_fundraising: bool
    tiers: tuple[RatioTier, ...]


@dataclass(frozen=True, slots=True)
class SpendingRatioRules:
    management_cost_exempt_below_fen: int
    exemption_source: str
    exemption_article: str | None
    rules: tuple[RatioRule, ...]

    def rule_for(self, legal_form: str, public_fundraising: bool) -> RatioRule | None:
        for rule in self.rules:
            if legal_form in rule.legal_forms and rule.public_fundraising == public_fundraising:
                return rule
        return None


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    """When something is due, counted from an anchor date.

    Exactly one of: an offset (``days`` or ``months``; negative = before the anchor), a
    recurrence (``every_months``, optionally only when the period is longer than
    ``applies_when_longer_than_months``), or a fixed day of a later year (``fixed``).
    """

    key: str
    anchor: str
    days: int | None
    months: int | None
    every_months: int | None
    applies_when_longer_than_months: int | None
    fixed_month: int | None
    fixed_day: int | None
    fixed_years_after: int | None
    source: str
    article: str | None
    item: int | None  # the item number in shared/reference/compliance.md
    en: str
    zh: str
    verified: bool

    @property
    def kind(self) -> str:
        if self.every_months is not None:
            return "recurring"
        if self.fixed_month is not None:
            return "fixed"
        return "offset"


# --- parsing --------------------------------------------------------------------------------


def parse_spending_ratios(
    raw: Any, source_ids: frozenset[str], path: str = "parameters.spending_ratios"
) -> SpendingRatioRules:
    obj = _mapping(raw, path)
    _only(obj, path, {"management_cost_exempt_below_fen", "exemption_source", "exemption_article", "rules", "note"})
    exempt = _int(obj.get("management_cost_exempt_below_fen"), f"{path}.management_cost_exempt_below_fen", minimum=0)
    exemption_source = _source(obj.get("exemption_source"), source_ids, f"{path}.exemption_source")
    rules_raw = obj.get("rules")
    if not isinstance(rules_raw, (list, tuple)) or not rules_raw:
        raise ParamError(f"{path}.rules", "a non-empty list is required")
    rules: list[RatioRule] = []
    seen: dict[tuple[str, bool], str] = {}
    for i, rule_raw in enumerate(rules_raw):
        rule = _parse_rule(rule_raw, source_ids, f"{path}.rules[{i}]")
        for form in rule.legal_forms:
            other = seen.get((form, rule.public_fundraising))
            if other is not None:
                raise ParamError(
                    f"{path}.rules[{i}]",
                    f"{form} (public_fundraising={rule.public_fundraising}) is already covered by rule {other!r}",
                )
            seen[(form, rule.public_fundraising)] = rule.id
        rules.append(rule)
    return SpendingRatioRules(
        management_cost_exempt_below_fen=exempt,
        exemption_source=exemption_source,
        exemption_article=_opt_str(obj.get("exemption_article"), f"{path}.exemption_article"),
        rules=tuple(rules),
    )


def _parse_rule(raw: Any, source_ids: frozenset[str], path: str) -> RatioRule:
    obj = _mapping(raw, path)
    _only(obj, path, {"id", "legal_forms", "public_fundraising", "tiers", "note"})
    forms = obj.get("legal_forms")
    if not isinstance(forms, (list, tuple)) or not forms or not all(isinstance(f, str) and f for f in forms):
        raise ParamError(f"{path}.legal_forms", "a non-empty list of legal forms is required")
    public = obj.get("public_fundraising")
    if not isinstance(public, bool):
        raise ParamError(f"{path}.public_fundraising", "true or false is required")
    tiers_raw = obj.get("tiers")
    if not isinstance(tiers_raw, (list, tuple)) or not tiers_raw:
        raise ParamError(f"{path}.tiers", "a non-empty list is required")
    tiers = tuple(_parse_tier(t, source_ids, f"{path}.tiers[{i}]") for i, t in enumerate(tiers_raw))
    _check_tiers_partition(tiers, f"{path}.tiers")
    return RatioRule(
        id=_str(obj.get("id"), f"{path}.id"), legal_forms=tuple(forms), public_fundraising=public, tiers=tiers
    )


def _parse_tier(raw: Any, source_ids: frozenset[str], path: str) -> RatioTier:
    obj = _mapping(raw, path)
    _only(
        obj,
        path,
        {
            "id",
            "net_assets_from_fen",
            "net_assets_below_fen",
            "min_spending",
            "max_management_basis_points",
            "verified",
            "source",
            "article",
            "note",
        },
    )
    low = _opt_int(obj.get("net_assets_from_fen"), f"{path}.net_assets_from_fen")
    high = _opt_int(obj.get("net_assets_below_fen"), f"{path}.net_assets_below_fen")
    if low is not None and high is not None and low >= high:
        raise ParamError(path, f"net_assets_from_fen {low} must be below net_assets_below_fen {high}")
    mins_raw = obj.get("min_spending")
    if not isinstance(mins_raw, (list, tuple)) or not mins_raw:
        raise ParamError(f"{path}.min_spending", "a non-empty list is required")
    mins = []
    for i, m_raw in enumerate(mins_raw):
        mpath = f"{path}.min_spending[{i}]"
        m = _mapping(m_raw, mpath)
        _only(m, mpath, {"basis_points", "of_any"})
        bases = m.get("of_any")
        if not isinstance(bases, (list, tuple)) or not bases:
            raise ParamError(f"{mpath}.of_any", "a non-empty list of bases is required")
        for b in bases:
            if b not in SPENDING_BASES:
                raise ParamError(f"{mpath}.of_any", f"unknown base {b!r} (known: {', '.join(SPENDING_BASES)})")
        mins.append(
            SpendingMinimum(
                _int(m.get("basis_points"), f"{mpath}.basis_points", minimum=0, maximum=MAX_BP), tuple(bases)
            )
        )
    verified = obj.get("verified")
    if not isinstance(verified, bool):
        raise ParamError(
            f"{path}.verified",
            "true or false is required (mark figures not checked against the official text as false)",
        )
    return RatioTier(
        id=_str(obj.get("id"), f"{path}.id"),
        net_assets_from_fen=low,
        net_assets_below_fen=high,
        min_spending=tuple(mins),
        max_management_basis_points=_int(
            obj.get("max_management_basis_points"), f"{path}.max_management_basis_points", minimum=0, maximum=MAX_BP
        ),
        verified=verified,
        source=_source(obj.get("source"), source_ids, f"{path}.source"),
        article=_opt_str(obj.get("article"), f"{path}.article"),
        note=_opt_str(obj.get("note"), f"{path}.note"),
    )


def _check_tiers_partition(tiers: tuple[RatioTier, ...], path: str) -> None:
    """Tiers, in file order from the lowest, must cover every amount exactly once."""
    if tiers[0].net_assets_from_fen is not None:
        raise ParamError(path, "the first (lowest) tier must have net_assets_from_fen null")
    if tiers[-1].net_assets_below_fen is not None:
        raise ParamError(path, "the last (highest) tier must have net_assets_below_fen null")
    for lower, upper in itertools.pairwise(tiers):
        if lower.net_assets_below_fen is None or lower.net_assets_below_fen != upper.net_assets_from_fen:
            raise ParamError(
                path, f"tier {upper.id!r} must start where tier {lower.id!r} ends ({lower.net_assets_below_fen})"
            )
    ids = [t.id for t in tiers]
    if len(set(ids)) != len(ids):
        raise ParamError(path, "tier ids must be unique")


def parse_deadlines(
    raw: Any, source_ids: frozenset[str], path: str = "parameters.deadlines"
) -> dict[str, DeadlineRule]:
    obj = _mapping(raw, path)
    return {key: _parse_deadline(key, value, source_ids, f"{path}.{key}") for key, value in obj.items()}


_DEADLINE_FIELDS = {
    "anchor",
    "offset",
    "every",
    "applies_when_longer_than",
    "fixed",
    "source",
    "article",
    "item",
    "en",
    "zh",
    "verified",
    "note",
}


def _parse_deadline(key: str, raw: Any, source_ids: frozenset[str], path: str) -> DeadlineRule:
    obj = _mapping(raw, path)
    _only(obj, path, _DEADLINE_FIELDS)
    anchor = obj.get("anchor")
    if anchor not in ANCHORS:
        raise ParamError(f"{path}.anchor", f"one of {', '.join(ANCHORS)} is required")
    timing = _deadline_timing(obj, path)
    verified = obj.get("verified", True)
    if not isinstance(verified, bool):
        raise ParamError(f"{path}.verified", "true or false is required")
    item = obj.get("item")
    if item is not None:
        item = _int(item, f"{path}.item", minimum=1)
    return DeadlineRule(
        key=key,
        anchor=anchor,
        **timing,
        source=_source(obj.get("source"), source_ids, f"{path}.source"),
        article=_opt_str(obj.get("article"), f"{path}.article"),
        item=item,
        en=_str(obj.get("en"), f"{path}.en"),
        zh=_str(obj.get("zh"), f"{path}.zh"),
        verified=verified,
    )


def _deadline_timing(obj: Mapping[str, Any], path: str) -> dict[str, int | None]:
    """When a deadline falls: an offset from its anchor, every few months, or a fixed day."""
    shapes = [name for name in ("offset", "every", "fixed") if name in obj]
    if len(shapes) != 1:
        raise ParamError(path, "exactly one of offset, every, fixed is required")
    days = months = every = longer = fmonth = fday = fyears = None
    if "offset" in obj:
        off = _mapping(obj["offset"], f"{path}.offset")
        _only(off, f"{path}.offset", {"days", "months"})
        if len(off) != 1:
            raise ParamError(f"{path}.offset", "give days or months, not both")
        if "days" in off:
            days = _int(off["days"], f"{path}.offset.days")
        else:
            months = _int(off["months"], f"{path}.offset.months")
    elif "every" in obj:
        ev = _mapping(obj["every"], f"{path}.every")
        _only(ev, f"{path}.every", {"months"})
        every = _int(ev.get("months"), f"{path}.every.months", minimum=1)
    else:
        fx = _mapping(obj["fixed"], f"{path}.fixed")
        _only(fx, f"{path}.fixed", {"month", "day", "years_after"})
        fmonth = _int(fx.get("month"), f"{path}.fixed.month", minimum=1, maximum=12)
        fday = _int(fx.get("day"), f"{path}.fixed.day", minimum=1, maximum=31)
        fyears = _int(fx.get("years_after", 0), f"{path}.fixed.years_after", minimum=0)
    if "applies_when_longer_than" in obj:
        if every is None:
            raise ParamError(
                f"{path}.applies_when_longer_than", "only a recurring deadline (every) takes a minimum length"
            )
        lw = _mapping(obj["applies_when_longer_than"], f"{path}.applies_when_longer_than")
        _only(lw, f"{path}.applies_when_longer_than", {"months"})
        longer = _int(lw.get("months"), f"{path}.applies_when_longer_than.months", minimum=0)
    return {
        "days": days,
        "months": months,
        "every_months": every,
        "applies_when_longer_than_months": longer,
        "fixed_month": fmonth,
        "fixed_day": fday,
        "fixed_years_after": fyears,
    }


# --- small checks ---------------------------------------------------------------------------


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ParamError(path, "an object is required")
    return value


def _only(obj: Mapping[str, Any], path: str, allowed: set[str]) -> None:
    extra = sorted(set(obj) - allowed)
    if extra:
        raise ParamError(path, f"unknown field(s) {', '.join(extra)}")


def _int(value: Any, path: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamError(path, "an integer is required (money in fen, ratios in basis points; no decimals)")
    if minimum is not None and value < minimum:
        raise ParamError(path, f"must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise ParamError(path, f"must be at most {maximum}")
    return int(value)


def _opt_int(value: Any, path: str) -> int | None:
    return None if value is None else _int(value, path)


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ParamError(path, "a non-empty string is required")
    return value


def _opt_str(value: Any, path: str) -> str | None:
    return None if value is None else _str(value, path)


def _source(value: Any, source_ids: frozenset[str], path: str) -> str:
    text = _str(value, path)
    if text not in source_ids:
        raise ParamError(path, f"unknown source {text!r} (sources of this rule set: {', '.join(sorted(source_ids))})")
    return text
