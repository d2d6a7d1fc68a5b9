"""Disclosure timeliness in reports, from ``ledger.services.oversight`` — the one owner of what is due,
overdue and made (project and annual-report disclosure histories; its module docstring says
what counts as done). This module only feeds it the rows of a report's snapshot, so a report,
the overseer's desk and the public site agree on every disclosure.

Statuses: ``on_time`` (made by its due day), ``late`` (made after it), ``missing`` (not made and
its day has passed at the report's log date), ``due`` (not made, not yet late).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from ledger.compliance.rulesets import RuleSet
from ledger.domain.rows import EntryRow, FinancialsRow, OrgRow, ProgressRow, ProjectRow, RegistryRow
from ledger.services.oversight import (
    Disclosure,
    annual_report_disclosures,
    china_date,
    covered_from,
    disclosed_on,
    project_disclosures,
)

__all__ = [
    "STATUSES",
    "Disclosure",
    "annual_reports",
    "china_date",
    "counts",
    "disclosed_on",
    "log_started",
    "of_project",
]

STATUSES = ("on_time", "late", "missing", "due")


def log_started(snapshot: Any) -> date | None:
    """The first day the log covers: its genesis (China time), or the earliest business date on
    it when history was loaded later (``ledger.services.oversight.covered_from``)."""
    return covered_from(snapshot.rows(RegistryRow))


def of_project(
    snapshot: Any, project: ProjectRow, rules: RuleSet, as_of: date, progress: Iterable[ProgressRow] | None = None
) -> list[Disclosure]:
    """Everything ``project`` had to disclose, with what the log shows made, at ``as_of``."""
    if progress is None:
        progress = snapshot.rows(ProgressRow, project=project.project)
    closed = snapshot.get(EntryRow, project.closed_id) if project.closed_id else None
    return project_disclosures(project, progress, as_of, rules, closed_time=closed.time if closed else None)


def annual_reports(snapshot: Any, org: OrgRow, rules: RuleSet, as_of: date) -> dict[int, Disclosure]:
    """The annual reports ``org`` owes at ``as_of``, by year (none before the log began, none
    for a year not yet ended, none for organisations that are not active charities)."""
    started = log_started(snapshot)
    if started is None:
        return {}
    items = annual_report_disclosures(org, snapshot.rows(FinancialsRow, org=org.org), as_of, rules, log_started=started)
    return {int(d.subject.rsplit("/", 1)[1]): d for d in items}


def counts(items: Iterable[Disclosure]) -> dict[str, int]:
    out = dict.fromkeys(STATUSES, 0)
    for d in items:
        out[d.status] += 1
    return out
