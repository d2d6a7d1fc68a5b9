"""Disclosure timeliness: what a project (or an organisation) had to disclose by when, under a
rule set, and whether and when the log shows it done. Pure functions over projection rows.

What counts as done follows ``ledger/oversight.py`` (the overseer's deadline scan), so a report
and the overseer's view agree on what is overdue:

- plan filing: the ``plan.filed`` entry (its log date);
- recurring progress disclosure (projects longer than 6 months, every 3 months from the start):
  a live ``progress.reported`` entry recorded on or after the first day of the period; each
  report meets one period, oldest first, so a late report clears the oldest open period;
- final disclosure (3 months after the end): ``project.closed`` or a progress report whose
  period reaches the end, whichever was recorded first. A project closed before its end date
  is due from its closing date, and no periodic disclosure falls due after that;
- surplus disclosure (a closed project with money left): ``project.closed``, which states the
  surplus and its handling;
- annual report of an organisation (31 May of the next year): the ``financials.reported``
  entry for that year (its log date). As in the overseer's scan, an annual report due before
  the log's first entry is not asked for (the log cannot show it).

Campaign (募捐) disclosures are listed by the campaign report with their due dates but not
matched: every receipt is public on the log when it is recorded.

A thing done on or before its due day is ``on_time``, after it ``late``; not done, it is
``missing`` once its day has passed (at the report's log date) and ``due`` before.
Dates are days in China Standard Time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.canonical import parse_time
from ledger.domain.rows import FinancialsRow, ProgressRow, ProjectRow
from ledger.domain.rules import CHINA

from . import deadlines as calc
from .rulesets import RuleSet

STATUSES = ("on_time", "late", "missing", "due")


def china_date(log_time: str) -> date:
    return parse_time(log_time).astimezone(CHINA).date()


@dataclass(frozen=True, slots=True)
class Disclosure:
    rule: str                  # the rule set's deadline key
    subject: str               # project id, or "<org>/<year>"
    due_on: date
    status: str                # on_time / late / missing / due
    done_on: date | None       # log date of the entry that made it
    entry: str | None          # that entry's leaf hash
    source: str                # legal source and article
    item: int | None           # compliance.md item
    index: int | None = None   # n-th recurring disclosure
    period_start: date | None = None
    period_end: date | None = None
    anchor: str | None = None  # leaf hash the deadline hangs on (the project's registration)

    @property
    def breach(self) -> bool:
        return self.status in ("late", "missing")

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule, "subject": self.subject, "index": self.index, "due_on": self.due_on,
            "period_start": self.period_start, "period_end": self.period_end, "status": self.status,
            "done_on": self.done_on, "entry": self.entry, "source": self.source, "item": self.item,
        }


def _status(done: date | None, due: date, as_of: date) -> str:
    if done is not None:
        return "on_time" if done <= due else "late"
    return "missing" if as_of > due else "due"


def project_disclosures(
    project: ProjectRow,
    progress: Iterable[ProgressRow],
    closed_time: str | None,
    rules: RuleSet,
    as_of: date,
) -> list[Disclosure]:
    """Every disclosure of one project under ``rules``, with its status at ``as_of``.

    ``progress``: the project's progress reports (withdrawn ones are ignored);
    ``closed_time``: the log time of its ``project.closed`` entry, if closed.
    Sorted by due date, then rule and index.
    """
    start = date.fromisoformat(project.start_date)
    planned_end = end = date.fromisoformat(project.end_date)
    closed_on = china_date(closed_time) if closed_time else None
    if project.closed_on is not None:  # closed early: nothing falls due after the closing day
        end = max(start, min(end, date.fromisoformat(project.closed_on)))
    live = sorted((p for p in progress if not p.corrected), key=lambda p: p.seq)
    recorded = [(china_date(p.time), p) for p in live]
    out: list[Disclosure] = []

    def add(due: calc.Due, done: date | None, entry: str | None) -> None:
        out.append(Disclosure(
            rule=due.rule, subject=project.project, due_on=due.due_on, status=_status(done, due.due_on, as_of),
            done_on=done, entry=entry if done else None, source=due.source, item=due.item, index=due.index,
            period_start=due.period_start, period_end=due.period_end, anchor=project.registered_id,
        ))

    if not project.directed and project.plan_fundraising_start:
        key = "plan_filing_emergency" if project.emergency else "plan_filing"
        filed = china_date(project.plan_filed_time) if project.plan_filed_time else None
        add(calc.due_after(rules, key, date.fromisoformat(project.plan_fundraising_start)), filed, project.plan_filed_id)

    used = [False] * len(recorded)
    for due in calc.recurring_dues(rules, "progress_disclosure", start, planned_end):
        if due.due_on > end:
            break
        assert due.period_start is not None
        done, entry = None, None
        for i, (day, report) in enumerate(recorded):
            if not used[i] and day >= due.period_start:
                used[i] = True
                done, entry = day, report.id
                break
        add(due, done, entry)

    finals = [(day, p.id) for day, p in recorded if date.fromisoformat(p.period_end) >= end]
    if closed_on is not None and project.closed_id is not None:
        finals.append((closed_on, project.closed_id))
    done, entry = min(finals) if finals else (None, None)
    add(calc.due_after(rules, "final_disclosure", end), done, entry)
    if project.surplus_minor:
        add(calc.due_after(rules, "surplus_disclosure", end), closed_on, project.closed_id)
    return sorted(out, key=lambda d: (d.due_on, d.rule, d.index or 0))


def annual_report_disclosure(org: str, year: int, figures: FinancialsRow | None, rules: RuleSet, as_of: date) -> Disclosure:
    """The annual report of ``org`` for ``year``, met by its ``financials.reported`` entry."""
    due = calc.annual_report_due(rules, year)
    live = figures if figures is not None and not figures.corrected else None
    done = china_date(live.time) if live is not None else None
    return Disclosure(
        rule=due.rule, subject=f"{org}/{year}", due_on=due.due_on, status=_status(done, due.due_on, as_of),
        done_on=done, entry=live.id if live is not None else None, source=due.source, item=due.item,
    )


def log_started(snapshot: Any) -> date | None:
    """The date of the log's first entry (registry.genesis), China time."""
    from ledger.domain.rows import RegistryRow

    registry = snapshot.rows(RegistryRow)
    return china_date(registry[0].genesis_time) if registry else None


def counts(items: Iterable[Disclosure]) -> dict[str, int]:
    out = dict.fromkeys(STATUSES, 0)
    for d in items:
        out[d.status] += 1
    return out
