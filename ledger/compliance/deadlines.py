"""Disclosure and filing deadlines under a rule set: pure functions over ``datetime.date``.

Conventions (also in the rule sets' notes and ``docs/reports.md``):

- a period of *n months* from a date ends on the same day of the month n months later, or on
  the last day of that month when it is shorter: 30 Nov + 3 months = 28 Feb (29 in a leap
  year); 31 Aug + 6 months = 28/29 Feb. Recurring deadlines are counted from the anchor each
  time (start + 3k months), so they do not drift after a short month;
- a period of *n days* is the anchor plus n calendar days (negative: before the anchor);
- an end date is the last day of a project or campaign (inclusive). It is *longer than n
  months* when it is still running on start + n months, that is ``end >= add_months(start, n)``;
- a recurring disclosure is due on start + k*m months for every k with that date on or before
  the end; it covers the period from the previous due date to the day before. After the end,
  the final disclosure takes over.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ledger.compliance.codes import DEADLINE_INPUT_INVALID, RULESET_PARAM_MISSING
from ledger.compliance.rulesets import DeadlineRule, RuleSet
from ledger.errors import InvariantBroken, LedgerError


@dataclass(frozen=True, slots=True)
class Due:
    """One thing due by ``due_on`` (inclusive: on time if done on or before that day)."""

    rule: str  # the deadline's key in the rule set: "progress_disclosure"
    due_on: date
    anchor: str  # what it counts from: "start", "end", "fundraising_start"...
    anchor_date: date
    ruleset: str  # "cn-charity/1"
    source: str  # "charity-law art. 72 (2016 numbering, unverified)"
    item: int | None = None  # item in shared/reference/compliance.md
    index: int | None = None  # 1, 2, ... for recurring disclosures
    period_start: date | None = None
    period_end: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "due_on": self.due_on.isoformat(),
            "anchor": self.anchor,
            "anchor_date": self.anchor_date.isoformat(),
            "ruleset": self.ruleset,
            "source": self.source,
            "item": self.item,
            "index": self.index,
            "period_start": self.period_start.isoformat() if self.period_start else None,
            "period_end": self.period_end.isoformat() if self.period_end else None,
        }


def add_months(d: date, months: int) -> date:
    """``d`` plus ``months`` calendar months, clamped to the end of a shorter month."""
    index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last))


def is_longer_than(start: date, end: date, months: int) -> bool:
    """Whether a project from ``start`` to ``end`` (its last day) lasts longer than ``months``."""
    return end >= add_months(start, months)


def due_after(rules: RuleSet, key: str, anchor_date: date) -> Due:
    """An offset deadline (``plan_filing``, ``final_disclosure``, ``authority_reply``...)."""
    rule = _rule(rules, key, "offset")
    if rule.days is not None:
        due = anchor_date + timedelta(days=rule.days)
    else:
        if rule.months is None:
            raise InvariantBroken("rule.months is missing")
        due = add_months(anchor_date, rule.months)
    return _due(rules, rule, due, anchor_date)


def recurring_dues(rules: RuleSet, key: str, start: date, end: date) -> tuple[Due, ...]:
    """The periodic disclosures of a project or campaign (none when it is short enough)."""
    rule = _rule(rules, key, "recurring")
    _check_order(start, end, "start", "end")
    if rule.applies_when_longer_than_months is not None and not is_longer_than(
        start, end, rule.applies_when_longer_than_months
    ):
        return ()
    if rule.every_months is None:
        raise InvariantBroken("rule.every_months is missing")
    out = []
    k = 1
    while (due := add_months(start, rule.every_months * k)) <= end:
        period_start = add_months(start, rule.every_months * (k - 1))
        out.append(
            _due(rules, rule, due, start, index=k, period_start=period_start, period_end=due - timedelta(days=1))
        )
        k += 1
    return tuple(out)


def fixed_due(rules: RuleSet, key: str, year: int) -> Due:
    """A deadline on a fixed day after a reported year (``annual_report``: 31 May of year + 1)."""
    rule = _rule(rules, key, "fixed")
    if not (rule.fixed_month is not None and rule.fixed_day is not None and rule.fixed_years_after is not None):
        raise InvariantBroken(
            "broken: rule.fixed_month is not None and rule.fixed_day is not None and rule.fixed_years_after is not None"
        )
    due_year = year + rule.fixed_years_after
    day = min(rule.fixed_day, calendar.monthrange(due_year, rule.fixed_month)[1])
    return _due(rules, rule, date(due_year, rule.fixed_month, day), date(year, 12, 31))


def due_dates(
    rules: RuleSet,
    *,
    start: date,
    end: date,
    fundraising_start: date | None = None,
    fundraising_end: date | None = None,
    emergency: bool = False,
    surplus: bool = False,
) -> tuple[Due, ...]:
    """Every disclosure deadline of one project under ``rules`` (a ``cn-charity`` version).

    ``start``/``end``: the project's dates (``end`` is its last day). ``fundraising_start``/
    ``fundraising_end``: the public fundraising period when there is one (plan filing and
    campaign disclosures); ``emergency``: the plan may be filed after fundraising starts;
    ``surplus``: money was left at the end (its handling must be disclosed).
    Sorted by due date, then rule key.
    """
    _check_order(start, end, "start", "end")
    if fundraising_end is not None and fundraising_start is None:
        raise LedgerError(DEADLINE_INPUT_INVALID, detail="fundraising_end is given without fundraising_start")
    if fundraising_start is not None and fundraising_end is not None:
        _check_order(fundraising_start, fundraising_end, "fundraising_start", "fundraising_end")
    out: list[Due] = []
    if fundraising_start is not None:
        out.append(due_after(rules, "plan_filing_emergency" if emergency else "plan_filing", fundraising_start))
        if fundraising_end is not None:
            out.extend(recurring_dues(rules, "campaign_progress_disclosure", fundraising_start, fundraising_end))
            out.append(due_after(rules, "campaign_final_disclosure", fundraising_end))
    out.extend(recurring_dues(rules, "progress_disclosure", start, end))
    out.append(due_after(rules, "final_disclosure", end))
    if surplus:
        out.append(due_after(rules, "surplus_disclosure", end))
    return tuple(sorted(out, key=lambda d: (d.due_on, d.rule, d.index or 0)))


def annual_report_due(rules: RuleSet, year: int) -> Due:
    """Annual work and financial report of ``year``: by 31 May of the next year."""
    return fixed_due(rules, "annual_report", year)


def major_change_due(rules: RuleSet, occurred_on: date) -> Due:
    """Disclosure of a major asset change, investment or related-party transaction."""
    return due_after(rules, "major_change_disclosure", occurred_on)


def sz_reply_dues(rules: RuleSet, filed_on: date) -> tuple[Due, Due]:
    """The authority's reply to an SEZ donation filing: (normal, latest); no reply = approval."""
    return due_after(rules, "authority_reply", filed_on), due_after(rules, "authority_reply_latest", filed_on)


def sz_emergency_filing_due(rules: RuleSet, accepted_on: date) -> Due:
    """An emergency donation accepted first must be filed by this day (SEZ art. 26)."""
    return due_after(rules, "emergency_filing", accepted_on)


# --- helpers --------------------------------------------------------------------------------


def _rule(rules: RuleSet, key: str, kind: str) -> DeadlineRule:
    rule = rules.deadline(key)
    if rule.kind != kind:
        raise LedgerError(
            RULESET_PARAM_MISSING, ruleset=rules.ref, param=f"deadlines.{key} as a {kind} deadline (it is {rule.kind})"
        )
    return rule


def _due(rules: RuleSet, rule: DeadlineRule, due: date, anchor_date: date, **extra: Any) -> Due:
    return Due(
        rule=rule.key,
        due_on=due,
        anchor=rule.anchor,
        anchor_date=anchor_date,
        ruleset=rules.ref,
        source=f"{rule.source} {rule.article}" if rule.article else rule.source,
        item=rule.item,
        **extra,
    )


def _check_order(first: date, last: date, first_name: str, last_name: str) -> None:
    if last < first:
        raise LedgerError(DEADLINE_INPUT_INVALID, detail=f"{last_name} {last} is before {first_name} {first}")
