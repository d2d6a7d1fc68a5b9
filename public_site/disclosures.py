"""Whether each disclosure a project owes was made on time, computed from its rows.

Due dates come from the reports engineer's calculator (:func:`reports.deadlines.due_dates`)
under the ``cn-charity`` rule set in force when the project starts. What counts as the
disclosure, matched here from the projections:

- plan filing (public fundraising only): the ``plan.filed`` entry, by its log date;
- progress every 3 months for projects longer than 6 months: a live ``progress.reported``
  entry recorded in the period (from its start to its due date) makes it on time; when the
  first report recorded on or after the period's start came after the due date, it is late;
- the final disclosure within 3 months of the end: the ``project.closed`` entry or a progress
  report covering the end date, whichever came first;
- the surplus disclosure (a closed project with money left): the ``project.closed`` entry,
  which states the surplus and its handling.

Log times count as days in China Standard Time. A disclosure not yet made is ``due`` until
its day has passed, then ``missing``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .i18n import china_date

RULES_SHOWN = ("plan_filing", "plan_filing_emergency", "progress_disclosure", "final_disclosure", "surplus_disclosure")


@dataclass(frozen=True, slots=True)
class Disclosure:
    rule: str                 # progress_disclosure / final_disclosure / plan_filing / ...
    index: int | None         # 1, 2, ... for recurring ones
    due_on: date
    period_start: date | None
    period_end: date | None
    status: str               # on_time / late / missing / due
    done_on: date | None      # when the disclosure was recorded
    entry_seq: int | None     # the entry that made it
    source: str               # the rule's legal source
    ruleset: str


@dataclass(frozen=True, slots=True)
class DisclosureCheck:
    items: tuple[Disclosure, ...]
    ruleset: str | None
    unavailable: str | None = None   # why nothing could be computed

    @property
    def counts(self) -> dict[str, int]:
        out = {"on_time": 0, "late": 0, "missing": 0, "due": 0}
        for d in self.items:
            out[d.status] += 1
        return out


def _status(done: date | None, due: date, today: date) -> str:
    if done is not None:
        return "on_time" if done <= due else "late"
    return "missing" if today > due else "due"


def check_disclosures(
    project: dict[str, Any],
    progress: list[dict[str, Any]],
    times: dict[int, str],
    today: date,
) -> DisclosureCheck:
    """``project`` is a p_project row, ``progress`` its p_progress rows (any order), ``times``
    the log times of the seqs involved (plan filing, closing, reports)."""
    try:
        from reports.deadlines import due_dates
        from reports.rulesets import ruleset
    except ImportError as exc:  # the reports package is not installed here
        return DisclosureCheck((), None, unavailable=f"deadline calculator not available ({exc.name})")
    start, end = date.fromisoformat(project["start_date"]), date.fromisoformat(project["end_date"])
    try:
        rules = ruleset("cn-charity", start)
        fr_start = project.get("plan_fundraising_start")
        fr_end = project.get("plan_fundraising_end")
        dues = due_dates(
            rules, start=start, end=end,
            fundraising_start=date.fromisoformat(fr_start) if fr_start and not project["directed"] else None,
            fundraising_end=date.fromisoformat(fr_end) if fr_end and not project["directed"] else None,
            emergency=bool(project["emergency"]),
            surplus=bool(project.get("surplus_minor")),
        )
    except Exception as exc:  # noqa: BLE001 - a rule set gap must not take the page down
        return DisclosureCheck((), None, unavailable=str(exc))

    live = sorted((p for p in progress if not p["corrected"]), key=lambda p: p["seq"])
    recorded = [(china_date(times[p["seq"]]), p) for p in live if p["seq"] in times]
    closed_on = china_date(times[project["closed_seq"]]) if project.get("closed_seq") in times else None
    filed_on = china_date(times[project["plan_filed_seq"]]) if project.get("plan_filed_seq") in times else None

    items = []
    for due in dues:
        if due.rule not in RULES_SHOWN:
            continue
        done: date | None = None
        seq: int | None = None
        if due.rule in ("plan_filing", "plan_filing_emergency"):
            done, seq = filed_on, project.get("plan_filed_seq")
        elif due.rule == "progress_disclosure":
            assert due.period_start is not None
            first = next(((d, p) for d, p in recorded if d >= due.period_start), None)
            if first is not None:
                done, seq = first[0], first[1]["seq"]
        elif due.rule == "final_disclosure":
            candidates = [(d, p["seq"]) for d, p in recorded if date.fromisoformat(p["period_end"]) >= end]
            if closed_on is not None:
                candidates.append((closed_on, project["closed_seq"]))
            if candidates:
                done, seq = min(candidates)
        elif due.rule == "surplus_disclosure":
            done, seq = closed_on, project.get("closed_seq")
        items.append(Disclosure(
            rule=due.rule, index=due.index, due_on=due.due_on, period_start=due.period_start, period_end=due.period_end,
            status=_status(done, due.due_on, today), done_on=done, entry_seq=seq if done else None,
            source=due.source, ruleset=due.ruleset,
        ))
    return DisclosureCheck(tuple(items), rules.ref)
