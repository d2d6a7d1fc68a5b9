"""What held on a day: organisations, projects and money positions as of a business date.

The projections hold the latest state; a report for a period must state the state at the
period's end, and rules that changed must be applied as they stood then. This module answers
"what held on day D" from rows, without reading storage (pure):

- :func:`org_on`: an organisation's facts (names, legal form, track, public-fundraising
  qualification, status) on ``day``, from its history (``p_org_change``: every
  ``org.registered`` / ``org.updated`` / ``org.deregistered`` with the day it takes effect,
  ``effective_on``). Changes apply in order of their effective day, then of their place in the
  log, so a change recorded late but effective earlier is folded in where it belongs;
- :func:`project_on`: a project as it stood at the end of ``day`` (a project closed later shows
  as open), and :func:`project_begun` whether it had begun by then;
- :func:`positions_on`: each project's raised, allocated, disbursed and balance from the money
  entries whose business date (``received_on``, ``allocated_on``, ``paid_on``) is on or before
  ``day``; :func:`implementer_positions_on` the same per project and implementer.

Reversed entries (``entry.corrected``) are left out, as everywhere a sum is made.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from ledger.domain.rows import OrgChangeRow, OrgRow, ProjectRow

ORG_FACTS = ("name_zh", "name_en", "legal_form", "track", "public_fundraising", "status")


@dataclass(frozen=True, slots=True)
class OrgState:
    """An organisation's facts on a day, and the history entries that made them."""

    org: str
    name_zh: str
    name_en: str | None
    legal_form: str
    track: str
    public_fundraising: bool
    status: str  # active / deregistered
    on: date
    since: dict[str, str]  # field -> effective_on of the value in force
    entries: tuple[str, ...]  # leaf hashes of the entries folded in

    def to_json(self) -> dict[str, Any]:
        return {
            "org": self.org,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "legal_form": self.legal_form,
            "track": self.track,
            "public_fundraising": self.public_fundraising,
            "status": self.status,
            "on": self.on.isoformat(),
            "since": dict(sorted(self.since.items())),
        }


def _day(value: date | str) -> str:
    return value if isinstance(value, str) else value.isoformat()


def org_on(changes: Iterable[OrgChangeRow], day: date, current: OrgRow | None = None) -> OrgState | None:
    """The organisation's facts in force on ``day``; None when it was not registered by then.

    ``changes``: its ``p_org_change`` rows (any order). ``current``: its ``p_org`` row, used as
    it stands when there is no history at all (an organisation of a projection built before the
    history was kept, or the registrar named by the genesis)."""
    rows = sorted(changes, key=lambda r: (r.effective_on, r.seq))
    if not rows:
        if current is None:
            return None
        return OrgState(
            current.org,
            current.name_zh,
            current.name_en,
            current.legal_form,
            current.track,
            current.public_fundraising,
            current.status,
            day,
            {},
            (),
        )
    iso = _day(day)
    values: dict[str, Any] = {}
    since: dict[str, str] = {}
    used: list[str] = []
    if current is not None and all(r.kind != "registered" for r in rows):
        values = {f: getattr(current, f) for f in ORG_FACTS}  # registered before the history was kept
    for r in rows:
        if r.effective_on > iso:
            break
        if r.kind == "registered":
            values.update({f: getattr(r, f) for f in ORG_FACTS})
            values["status"] = "active"
            since.update(dict.fromkeys(ORG_FACTS, r.effective_on))
        elif "name_zh" in values:  # changes before the registration took effect wait for it
            for f in json.loads(r.changed_json):
                values[f] = getattr(r, f)
                since[f] = r.effective_on
        used.append(r.id)
    if "name_zh" not in values:
        return None
    return OrgState(
        rows[0].org,
        values["name_zh"],
        values["name_en"],
        values["legal_form"],
        values["track"],
        bool(values["public_fundraising"]),
        values["status"],
        day,
        since,
        tuple(used),
    )


def project_begun(project: ProjectRow, day: date) -> bool:
    """Whether the project (or its public fundraising) had begun by the end of ``day``."""
    iso = _day(day)
    begins = min(d for d in (project.start_date, project.plan_fundraising_start) if d is not None)
    return begins <= iso


def project_on(project: ProjectRow, day: date) -> ProjectRow:
    """The project as it stood at the end of ``day``: closed only if its ``closed_on`` is on or
    before ``day`` (the closing fields are cleared otherwise)."""
    if project.closed_on is None or project.closed_on <= _day(day):
        return project
    return replace(
        project,
        status="open",
        closed=False,
        closed_seq=None,
        closed_id=None,
        closed_on=None,
        close_summary=None,
        surplus_minor=None,
        surplus_handling=None,
        surplus_note=None,
        closed_published_on=None,
        closed_publication_sha256=None,
    )


@dataclass(frozen=True, slots=True)
class ProjectPosition:
    currency: str
    raised_minor: int
    allocated_minor: int
    disbursed_minor: int

    @property
    def balance_minor(self) -> int:  # the fund's balance: raised and not yet spent
        return self.raised_minor - self.disbursed_minor


@dataclass(frozen=True, slots=True)
class ImplementerPosition:
    currency: str
    allocated_minor: int
    disbursed_minor: int

    @property
    def balance_minor(self) -> int:  # allocated to it and not yet spent by it
        return self.allocated_minor - self.disbursed_minor


def _live_by(rows: Iterable[Any], date_field: str, iso: str) -> list[Any]:
    return [r for r in rows if not r.corrected and getattr(r, date_field) <= iso]


def positions_on(
    projects: Iterable[ProjectRow],
    donations: Iterable[Any],
    allocations: Iterable[Any],
    disbursements: Iterable[Any],
    day: date,
) -> dict[str, ProjectPosition]:
    """Each project's fund as of the end of ``day``, from its live money entries dated by then."""
    iso = _day(day)
    currency = {p.project: p.currency for p in projects}
    sums: dict[str, list[int]] = {pid: [0, 0, 0] for pid in currency}
    for i, (rows, field) in enumerate(
        ((donations, "received_on"), (allocations, "allocated_on"), (disbursements, "paid_on"))
    ):
        for r in _live_by(rows, field, iso):
            if r.project in sums:
                sums[r.project][i] += r.amount_minor
    return {
        pid: ProjectPosition(currency[pid], raised, allocated, disbursed)
        for pid, (raised, allocated, disbursed) in sums.items()
    }


def implementer_positions_on(
    allocations: Iterable[Any], disbursements: Iterable[Any], day: date
) -> dict[tuple[str, str], ImplementerPosition]:
    """Per (project, implementer): allocated to it and spent by it as of the end of ``day``."""
    iso = _day(day)
    sums: dict[tuple[str, str], list[Any]] = {}
    for i, (rows, field) in enumerate(((allocations, "allocated_on"), (disbursements, "paid_on"))):
        for r in _live_by(rows, field, iso):
            s = sums.setdefault((r.project, r.implementer), [r.currency, 0, 0])
            s[1 + i] += r.amount_minor
    return {k: ImplementerPosition(cur, a, d) for k, (cur, a, d) in sums.items()}
