"""Oversight (监督) without trusting the operator: witness quorums, deadlines, the overseer's view.

Three parts, each pure functions over plain values plus a thin SQL loader:

1. **Witness quorum** (k of n): :func:`witnessed` checks the log's signature on a checkpoint
   and counts the trusted witnesses that cosigned it; :func:`quorum_report` is what
   ``charity-ledger verify --witness-key K ... --quorum N`` calls; :func:`witness_policy_from_env`
   reads ``CHARITY_LEDGER_WITNESS_KEYS`` (comma-separated type 0x04 verifier keys) and
   ``CHARITY_LEDGER_WITNESS_QUORUM`` (default: a majority of the keys).
2. **Deadlines and disclosures**: the one place that says what a charity must disclose, by
   when, and whether the log shows it made. :func:`project_disclosures` and
   :func:`annual_report_disclosures` (pure) give the whole history (on time, late, missing,
   not yet due, with the entry that made each); :func:`project_deadlines`,
   :func:`annual_report_deadlines` and :func:`sz_filing_deadlines` the items not made that are
   overdue or due within a warning window; :func:`scan_deadlines` (the daily task, the API,
   the site) and :func:`disclosures_of_project` / :func:`disclosures_of_org` read the
   projections. Counted with the compliance calculator (``ledger.compliance.deadlines``) under the
   rule set in force on the day asked about.
3. **The overseer's view** (:func:`overseer_view` and its parts): the entries of the projects an
   oversight organisation oversees that still await its verdict, its queries and flags with
   their resolution, overdue disclosures, and risk signals (:func:`risk_signals`). Verdicts are
   ``attestation.recorded`` entries signed with the overseer's key (:func:`sign_verdict`).

What counts as done (the log has no entry type for every filing; docs/oversight.md says why):

- a recurring progress disclosure is met by a ``progress.reported`` entry (not withdrawn)
  recorded on or after the first day of its period; each entry meets one period, oldest first,
  so a late report clears the oldest missed period;
- the final disclosure is met by ``project.closed`` (its closing summary and surplus handling)
  or by a progress report whose period reaches the project's end; a project closed before its
  end date is due from its closing date;
- the plan filing is met by ``plan.filed``;
- the annual report of a year is met by the organisation's ``financials.reported`` for that
  year (its figures from the annual financial report, as the reports package counts it). Years
  whose deadline fell before the log's genesis are not asked for;
- a surplus disclosure (a closed project with money left) is met by ``project.closed``;
- campaign (募捐) disclosures are not tracked: every donation is public on the log when it is
  recorded;
- an SEZ donation filing (``sz.donation_filed``, rule set ``sz-donation``) awaits the
  authority's reply (``sz.filing_replied``): due within 10 days, at most 30, after which no
  reply counts as approval; the authority named by the filing is the one that has to act. A
  withdrawn filing awaits nothing. An emergency donation is recorded with the filing itself
  (its ``accepted_on``), so the scan never sees one accepted and not yet filed; whether it was
  filed within 3 months is checked by the overview report.

Dates are whole days in China Standard Time, like the append rules (a log time's date is its
date in UTC+8).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, and_, exists, literal, not_, select

from ledger.compliance import deadlines
from ledger.compliance.rulesets import RuleSet, ruleset
from ledger.domain.money import Money, parse_amount
from ledger.domain.rows import (
    AnswerRow,
    AttestationRow,
    DisbursementRow,
    EntryRow,
    FinancialsRow,
    OrgRow,
    ProgressRow,
    ProjectRow,
    RegistryRow,
    SzFilingRow,
)
from ledger.domain.rules import CHINA
from ledger.domain.schemas import CHARITY_FORMS, OPEN_VERDICTS, VERDICTS
from ledger.errors import LedgerError, VerificationError
from ledger.protocol.canonical import now, parse_time
from ledger.protocol.checkpoint import (
    COSIGNATURE_QUORUM_NOT_MET,
    Checkpoint,
    Cosigner,
    parse_witness_key,
    quorum_met,
    verify_checkpoint,
    verify_cosignatures,
)
from ledger.protocol.entry import SignedEntry, make_body, sign_entry
from ledger.protocol.grammar import ascii_int
from ledger.protocol.keys import KeyPair
from ledger.protocol.note import NOTE_KEY_INVALID, NoteVerifier
from ledger.services.client import auto_idem
from ledger.store.projection_tables import table_for

ENV_WITNESS_KEYS = "CHARITY_LEDGER_WITNESS_KEYS"
ENV_WITNESS_QUORUM = "CHARITY_LEDGER_WITNESS_QUORUM"
DEFAULT_WINDOW_DAYS = 14


# ============================================================================================
# 1. witness quorum
# ============================================================================================


@dataclass(frozen=True, slots=True)
class WitnessPolicy:
    """Trusted witness keys and how many of them must cosign (k of n)."""

    keys: tuple[NoteVerifier, ...]
    threshold: int

    def __post_init__(self) -> None:
        if not self.keys:
            raise LedgerError(NOTE_KEY_INVALID, detail="a witness policy needs at least one witness key")
        if (
            not isinstance(self.threshold, int)
            or isinstance(self.threshold, bool)
            or not 1 <= self.threshold <= len(self.keys)
        ):
            raise LedgerError(
                NOTE_KEY_INVALID,
                detail=f"the quorum {self.threshold!r} must be between 1 and the {len(self.keys)} witness keys",
            )


def majority(n: int) -> int:
    return n // 2 + 1


def parse_witness_keys(values: Iterable[str]) -> list[NoteVerifier]:
    """Witness verifier keys from strings: each a key, comma-separated keys, or a file of keys
    (one per line; blank lines and ``#`` comments skipped)."""
    out: list[NoteVerifier] = []
    for value in values:
        text = value.strip()
        path = Path(text)
        if text and "+" not in text and path.is_file():
            parts = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
            parts = [p for p in parts if p and not p.startswith("#")]
        else:
            parts = [p.strip() for p in text.split(",") if p.strip()]
        out.extend(parse_witness_key(p) for p in parts)
    return out


def witness_policy_from_env(env: Mapping[str, str] | None = None) -> WitnessPolicy | None:
    """``CHARITY_LEDGER_WITNESS_KEYS`` / ``CHARITY_LEDGER_WITNESS_QUORUM``; None when no keys."""
    env = os.environ if env is None else env
    keys = parse_witness_keys([env.get(ENV_WITNESS_KEYS, "")])
    if not keys:
        return None
    raw = (env.get(ENV_WITNESS_QUORUM) or "").strip()
    try:
        threshold = ascii_int(raw) if raw else majority(len(keys))
    except ValueError:
        raise LedgerError(NOTE_KEY_INVALID, detail=f"{ENV_WITNESS_QUORUM}={raw!r} is not a number") from None
    return WitnessPolicy(tuple(keys), threshold)


def witnessed(
    checkpoint_note: str | bytes,
    log_vkey: NoteVerifier | str,
    witness_keys: Iterable[NoteVerifier | str],
    threshold: int,
    *,
    not_after: int | None = None,
) -> tuple[Checkpoint, list[Cosigner], bool]:
    """The checkpoint (log signature verified), the trusted witnesses that cosigned it, and
    whether at least ``threshold`` of them did.

    Raises when the log's signature does not verify, when a trusted witness's cosignature is
    present but does not verify (a forged or broken line is not "not witnessed"; it is wrong),
    and when ``threshold`` is not between 1 and the number of keys. Cosignatures by unknown
    keys are ignored.
    """
    keys = [parse_witness_key(k) if isinstance(k, str) else k for k in witness_keys]
    WitnessPolicy(tuple(keys), threshold)  # checks the threshold
    checkpoint = verify_checkpoint(checkpoint_note, log_vkey)
    cosigners = verify_cosignatures(checkpoint_note, keys, not_after=not_after)
    return checkpoint, cosigners, quorum_met(cosigners, threshold)


def quorum_report(
    checkpoint_note: str,
    witness_keys: Sequence[str] = (),
    quorum: int | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """The witness part of ``charity-ledger verify``, called after ``verify_log`` has checked
    the log's signature on ``checkpoint_note`` (with the key in force at its size).

    ``witness_keys`` (``--witness-key``, repeatable) and ``quorum`` (``--quorum``) override
    the environment's policy; with neither, there is no policy and this returns None. Returns
    ``{"quorum", "witnesses", "cosigners": [{"name", "timestamp"}], "met": true}``; raises
    VerificationError (``cosignature_quorum_not_met``) when too few cosigned.
    """
    if witness_keys:
        keys = parse_witness_keys(witness_keys)
        policy = WitnessPolicy(tuple(keys), quorum if quorum is not None else majority(len(keys)))
    else:
        configured = witness_policy_from_env(env)
        if configured is None:
            if quorum is not None:
                raise LedgerError(NOTE_KEY_INVALID, detail=f"--quorum needs --witness-key or {ENV_WITNESS_KEYS}")
            return None
        policy = configured
        if quorum is not None:
            policy = WitnessPolicy(policy.keys, quorum)
    cosigners = verify_cosignatures(checkpoint_note, policy.keys)
    met = quorum_met(cosigners, policy.threshold)
    report = {
        "quorum": policy.threshold,
        "witnesses": [k.to_string() for k in policy.keys],
        "cosigners": [{"name": c.name, "timestamp": c.timestamp} for c in cosigners],
        "met": met,
    }
    if not met:
        raise VerificationError(
            f"{len(cosigners)} of {len(policy.keys)} trusted witnesses cosigned",
            expected=f"at least {policy.threshold}",
            actual=", ".join(c.name for c in cosigners) or "none",
            code=COSIGNATURE_QUORUM_NOT_MET,
        )
    return report


# ============================================================================================
# 2. deadlines
# ============================================================================================

# Statuses of a disclosure in a history (the reports package uses the same words):
# made on or before its day, made after it, not made and its day has passed, not made yet.
DISCLOSURE_STATUSES = ("on_time", "late", "missing", "due")


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One thing a charity must disclose or file, with whether and when the log shows it made.

    The history of a project (:func:`project_disclosures`) or of an organisation's annual
    reports (:func:`annual_report_disclosures`). :class:`DeadlineItem` s are the ones not made
    that are overdue or fall due soon.
    """

    rule: str  # the rule set's deadline key: progress_disclosure, annual_report...
    status: str  # on_time / late / missing / due (DISCLOSURE_STATUSES)
    due_on: date
    org: str  # the organisation that has to act
    subject: str  # project id, or "<org>/<year>"
    ruleset: str  # "cn-charity/1"
    source: str  # legal source and article
    en: str
    zh: str
    item: int | None = None  # the item in shared/reference/compliance.md
    project: str | None = None
    index: int | None = None  # n-th recurring disclosure
    period_start: date | None = None
    period_end: date | None = None
    done_on: date | None = None  # the day it was made: its published_on, else the log date of its entry
    entry: str | None = None  # that entry's leaf hash
    entry_seq: int | None = None
    recorded_on: date | None = None  # China date of that entry on the log (shown beside done_on)

    @property
    def made(self) -> bool:
        return self.status in ("on_time", "late")

    def to_json(self) -> dict[str, Any]:
        return _plain_json(self)


@dataclass(frozen=True, slots=True)
class DeadlineItem:
    """Something due within the warning window (``due``) or past its day (``overdue``)."""

    rule: str  # the rule set's deadline key: progress_disclosure, annual_report...
    status: str  # "overdue" or "due"
    due_on: date
    days: int  # overdue: days late (> 0); due: days left (>= 0)
    org: str  # the organisation that has to act
    subject: str  # project id, "<org>/<year>", or a filing reference
    ruleset: str  # "cn-charity/1"
    source: str  # legal source and article
    en: str
    zh: str
    project: str | None = None
    index: int | None = None  # n-th recurring disclosure
    period_start: date | None = None
    period_end: date | None = None

    def sort_key(self) -> tuple[int, str, str, str, str, int]:
        """Overdue first, then by due date, organisation, subject, rule and index: the order of
        every list of items (unique per item, so it can serve as a page cursor)."""
        return (
            int(self.status != "overdue"),
            self.due_on.isoformat(),
            self.org,
            self.subject,
            self.rule,
            self.index or 0,
        )

    def to_json(self) -> dict[str, Any]:
        return _plain_json(self)


@dataclass(frozen=True, slots=True)
class SzFiling:
    """A donation filing under the SEZ regulations (:func:`sz_filing_of` makes one from a
    ``p_sz_filing`` row)."""

    org: str  # the donee that files
    ref: str  # the filing's reference
    authority: str  # who must reply
    filed_on: date | None = None
    replied_on: date | None = None
    accepted_on: date | None = None  # emergency donation accepted before filing


def sz_filing_of(row: SzFilingRow) -> SzFiling:
    """The SzFiling of a ``sz.donation_filed`` projection row (with its reply, if any)."""

    def day(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    return SzFiling(
        org=row.org,
        ref=row.ref,
        authority=row.authority,
        filed_on=day(row.filed_on),
        replied_on=day(row.replied_on),
        accepted_on=day(row.accepted_on),
    )


def _plain_json(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(value):
        v = getattr(value, f.name)
        out[f.name] = v.isoformat() if isinstance(v, date) else v
    return out


def china_date(log_time: str) -> date:
    """The date in China Standard Time of an RFC 3339 log time."""
    return parse_time(log_time).astimezone(CHINA).date()


def disclosed_on(published_on: str | None, log_time: str) -> date:
    """The day a disclosure was made: the publication date recorded with it (``published_on``,
    with the published document's hash), else the day its entry reached the log. A fact loaded
    into the log later is judged on the day it was published, not on the day it was typed in."""
    return date.fromisoformat(published_on) if published_on else china_date(log_time)


def covered_from(registry: Iterable[RegistryRow]) -> date | None:
    """The first day the log speaks for: its genesis, or the earliest business date on it when
    history was loaded later (``business_from``). Deadlines before it are not asked for."""
    days = [china_date(r.genesis_time) for r in registry]
    days += [date.fromisoformat(r.business_from) for r in registry if r.business_from]
    return min(days, default=None)


def _calculator() -> Any:
    return deadlines


def rules_in_force(name: str, on: date) -> RuleSet:
    """The version of a rule set in force on ``on``."""
    return ruleset(name, on)


def _status(done: bool, done_on: date | None, due_on: date, on: date) -> str:
    if done:
        return "late" if done_on is not None and done_on > due_on else "on_time"
    return "missing" if on > due_on else "due"


def _disclosure(
    due: Any,
    rules: RuleSet,
    on: date,
    *,
    org: str,
    subject: str,
    project: str | None = None,
    done: bool = False,
    done_on: date | None = None,
    entry: str | None = None,
    entry_seq: int | None = None,
    recorded_on: date | None = None,
) -> Disclosure:
    """A Disclosure for a ``ledger.compliance.deadlines.Due``, made or not."""
    rule = rules.deadline(due.rule)
    return Disclosure(
        rule=due.rule,
        status=_status(done, done_on, due.due_on, on),
        due_on=due.due_on,
        org=org,
        subject=subject,
        ruleset=due.ruleset,
        source=due.source,
        en=rule.en,
        zh=rule.zh,
        item=due.item,
        project=project,
        index=due.index,
        period_start=due.period_start,
        period_end=due.period_end,
        done_on=done_on if done else None,
        entry=entry if done else None,
        entry_seq=entry_seq if done else None,
        recorded_on=recorded_on if done else None,
    )


def deadline_item(d: Disclosure, on: date, window_days: int = DEFAULT_WINDOW_DAYS) -> DeadlineItem | None:
    """The DeadlineItem of a disclosure not made that is overdue on ``on`` or due within
    ``window_days`` of it; None otherwise."""
    if d.made or d.due_on > on + timedelta(days=window_days):
        return None
    late = (on - d.due_on).days
    return DeadlineItem(
        rule=d.rule,
        status="overdue" if late > 0 else "due",
        due_on=d.due_on,
        days=abs(late),
        org=d.org,
        subject=d.subject,
        ruleset=d.ruleset,
        source=d.source,
        en=d.en,
        zh=d.zh,
        project=d.project,
        index=d.index,
        period_start=d.period_start,
        period_end=d.period_end,
    )


def project_disclosures(
    project: ProjectRow,
    progress: Iterable[ProgressRow],
    on: date,
    rules: RuleSet,
    *,
    closed_time: str | None = None,
) -> list[Disclosure]:
    """Everything one project has to disclose, with what the log shows made, by ``on``. Pure.

    ``progress``: the project's progress reports (withdrawn ones are ignored);
    ``closed_time``: the log time of its ``project.closed`` entry (without it, the closing
    day stands for the day it was disclosed). Sorted by due date, then rule and index.

    - plan filing (public fundraising only): ``plan.filed``, by its log date;
    - progress every 3 months for projects longer than 6 months: a live ``progress.reported``
      recorded on or after the first day of the period; each report meets one period, oldest
      first, so a late report clears the oldest missed period. Periods due after the closing
      day of a project closed early are not owed;
    - final disclosure (3 months after the end, or after the closing day of a project closed
      early): ``project.closed`` or a progress report whose period reaches the end, whichever
      was recorded first;
    - surplus disclosure (a closed project with money left): ``project.closed``, which states
      the surplus and its handling.
    """
    calc = _calculator()
    doer = project.fundraiser_org  # the charity answers for its project's disclosures
    out: list[Disclosure] = []

    def add(due: Any, **made: Any) -> None:
        out.append(_disclosure(due, rules, on, org=doer, subject=project.project, project=project.project, **made))

    if not project.directed and project.plan_fundraising_start:
        key = "plan_filing_emergency" if project.emergency else "plan_filing"
        filed = project.plan_filed_seq is not None
        add(
            calc.due_after(rules, key, date.fromisoformat(project.plan_fundraising_start)),
            done=filed,
            done_on=disclosed_on(project.plan_published_on, project.plan_filed_time)
            if project.plan_filed_time
            else None,
            entry=project.plan_filed_id,
            entry_seq=project.plan_filed_seq,
            recorded_on=china_date(project.plan_filed_time) if project.plan_filed_time else None,
        )

    start = date.fromisoformat(project.start_date)
    planned_end = end = date.fromisoformat(project.end_date)
    if project.closed_on is not None:  # closed early: nothing falls due after the closing day
        end = max(start, min(end, date.fromisoformat(project.closed_on)))
    # each report's day worked out once (a log time is parsed for it): an organisation's page
    # goes through hundreds of reports
    recorded = sorted(
        ((disclosed_on(p.published_on, p.time), p) for p in progress if not p.corrected),
        key=lambda dp: (dp[0], dp[1].seq),
    )
    # each period takes the oldest report not taken yet recorded on or after its first day.
    # Periods start later and later, so a report passed over (recorded before a period began)
    # can meet no later one: one walk through the reports, oldest first, serves every period.
    unused = 0
    for due in calc.recurring_dues(rules, "progress_disclosure", start, planned_end):
        if due.due_on > end:
            break
        while unused < len(recorded) and recorded[unused][0] < due.period_start:
            unused += 1
        if unused == len(recorded):
            add(due)
            continue
        day, report = recorded[unused]
        unused += 1
        add(due, done=True, done_on=day, entry=report.id, entry_seq=report.seq, recorded_on=china_date(report.time))

    closed_on: date | None = None
    closed_logged = china_date(closed_time) if closed_time else None
    if project.closed:
        closed_on = (
            date.fromisoformat(project.closed_published_on)
            if project.closed_published_on
            else closed_logged
            if closed_logged
            else date.fromisoformat(project.closed_on)
            if project.closed_on
            else None
        )
    finals: list[tuple[date | None, int | None, str | None, date | None]] = [
        (day, p.seq, p.id, china_date(p.time)) for day, p in recorded if date.fromisoformat(p.period_end) >= end
    ]
    if project.closed:
        finals.append((closed_on, project.closed_seq, project.closed_id, closed_logged))
    final = min(finals, key=lambda f: (f[0] or date.max, -1 if f[1] is None else f[1]), default=None)
    if final is None:
        add(calc.due_after(rules, "final_disclosure", end))
    else:
        add(
            calc.due_after(rules, "final_disclosure", end),
            done=True,
            done_on=final[0],
            entry=final[2],
            entry_seq=final[1],
            recorded_on=final[3],
        )
    if project.closed and project.surplus_minor:
        add(
            calc.due_after(rules, "surplus_disclosure", end),
            done=True,
            done_on=closed_on,
            entry=project.closed_id,
            entry_seq=project.closed_seq,
            recorded_on=closed_logged,
        )
    return sorted(out, key=lambda d: (d.due_on, d.rule, d.index or 0))


def project_deadlines(
    project: ProjectRow,
    progress: Iterable[ProgressRow],
    on: date,
    rules: RuleSet,
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> list[DeadlineItem]:
    """The disclosures of :func:`project_disclosures` not made that are overdue on ``on`` or due
    within ``window_days``. A plan filing is not asked for any more once the project is closed
    (no fundraising is left to file a plan for). Pure."""
    items = []
    for d in project_disclosures(project, progress, on, rules):
        if d.rule.startswith("plan_filing") and project.closed:
            continue
        item = deadline_item(d, on, window_days)
        if item is not None:
            items.append(item)
    return items


def annual_report_disclosures(
    org: OrgRow,
    reported: Iterable[FinancialsRow],
    on: date,
    rules: RuleSet,
    *,
    log_started: date,
) -> list[Disclosure]:
    """The annual work and financial reports a charity owes (31 May of the next year under
    ``cn-charity/1``) for every year that ended before ``on``, with what the log shows made.

    ``reported``: the organisation's ``financials.reported`` rows (its figures for a year, from
    its annual financial report; withdrawn ones are ignored). Years whose deadline fell before
    ``log_started`` (the first day the log covers, :func:`covered_from`: its genesis, or the
    earliest business date of history loaded later) and years before the organisation's
    ``registered_on`` are not asked for;
    organisations that are not charities (or not active) owe none. Pure.
    """
    calc = _calculator()
    if org.legal_form not in CHARITY_FORMS or org.status != "active":
        return []
    done = {f.year: f for f in reported if not f.corrected and f.org == org.org}
    first = date.fromisoformat(org.registered_on).year if org.registered_on else log_started.year - 1
    out: list[Disclosure] = []
    for year in range(first, on.year):
        due = calc.annual_report_due(rules, year)
        if due.due_on < log_started:
            continue
        figures = done.get(year)
        out.append(
            _disclosure(
                due,
                rules,
                on,
                org=org.org,
                subject=f"{org.org}/{year}",
                done=figures is not None,
                done_on=disclosed_on(figures.published_on, figures.time) if figures is not None else None,
                entry=figures.id if figures is not None else None,
                entry_seq=figures.seq if figures is not None else None,
                recorded_on=china_date(figures.time) if figures is not None else None,
            )
        )
    return out


def annual_report_deadlines(
    org: OrgRow,
    reported: Iterable[FinancialsRow],
    on: date,
    rules: RuleSet,
    *,
    log_started: date,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> list[DeadlineItem]:
    """The annual reports of :func:`annual_report_disclosures` not made that are overdue on
    ``on`` or due within ``window_days``. Pure."""
    items = (
        deadline_item(d, on, window_days)
        for d in annual_report_disclosures(org, reported, on, rules, log_started=log_started)
    )
    return [i for i in items if i is not None]


def sz_filing_deadlines(
    filings: Iterable[SzFiling],
    on: date,
    rules: RuleSet,
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> list[DeadlineItem]:
    """SEZ donation filings (``sz-donation`` rule set): the emergency filing within 3 months of
    accepting, and the authority's reply: due within 10 days (``authority_reply``, overdue
    from day 11) and at most 30 (after day 30 the item becomes ``authority_reply_latest``,
    overdue: no reply by then counts as approval). Pure."""
    calc = _calculator()
    out: list[DeadlineItem] = []
    for f in filings:
        if f.filed_on is None:
            if f.accepted_on is not None:
                d = _disclosure(calc.sz_emergency_filing_due(rules, f.accepted_on), rules, on, org=f.org, subject=f.ref)
                if (item := deadline_item(d, on, window_days)) is not None:
                    out.append(item)
            continue
        if f.replied_on is not None:
            continue
        normal, latest = calc.sz_reply_dues(rules, f.filed_on)
        due = normal if on <= latest.due_on else latest  # past the latest day: deemed approved
        if (
            item := deadline_item(_disclosure(due, rules, on, org=f.authority, subject=f.ref), on, window_days)
        ) is not None:
            out.append(item)
    return out


def _sort(items: Iterable[DeadlineItem]) -> list[DeadlineItem]:
    return sorted(items, key=DeadlineItem.sort_key)


# --- SQL ------------------------------------------------------------------------------------
# Every function takes an Engine (it opens its own connection) or a Connection (it reads inside
# the caller's transaction, so a page or an API answer sees one state of the projections).


@contextmanager
def _connect(bind: Engine | Connection) -> Iterator[Connection]:
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as conn:
            yield conn


def _table(row_type: type) -> Any:
    return table_for(row_type)


def _rows(conn: Any, row_type: type, stmt: Any) -> list[Any]:
    names = [f.name for f in fields(row_type)]
    result = conn.execute(stmt)
    keys = list(result.keys())  # once, not per row (a row's mapping builds its keys each time)
    if keys == names:  # the table's columns are the row's fields, in order
        return [row_type(*values) for values in result]
    kept = [(i, k) for i, k in enumerate(keys) if k in names]
    return [row_type(**{k: values[i] for i, k in kept}) for values in result]


def _progress_dates(progress: Any) -> Any:
    """A select of progress reports (the ``p_progress`` table ``progress``) for their deadlines:
    what the reports say and name (their summary, their evidence) is not read, only left
    empty: an organisation's scan goes through hundreds of reports."""
    return select(*(literal("").label(c.name) if c.name in ("summary", "evidence_json") else c for c in progress.c))


def _log_started(conn: Any) -> date | None:
    """The first day the log covers (:func:`covered_from`)."""
    return covered_from(_rows(conn, RegistryRow, select(_table(RegistryRow))))


def _closed_times(conn: Any, projects: Sequence[ProjectRow]) -> dict[str, str]:
    """Log times of the closing entries of ``projects`` (by closing entry id)."""
    ids = [p.closed_id for p in projects if p.closed_id]
    if not ids:
        return {}
    E = _table(EntryRow)
    return {
        i: t
        for start in range(0, len(ids), 500)
        for i, t in conn.execute(select(E.c.id, E.c.time).where(E.c.id.in_(ids[start : start + 500])))
    }


def scan_deadlines(
    bind: Engine | Connection,
    on: date,
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
    projects: Sequence[str] | None = None,
    orgs: Sequence[str] | None = None,
    org: str | None = None,
    rules: RuleSet | None = None,
    sz_rules: RuleSet | None = None,
) -> list[DeadlineItem]:
    """Everything due within ``window_days`` of ``on`` or overdue on ``on``, across the registry.

    Reads the projection tables (projects, progress reports, organisations, reported annual
    figures, SEZ donation filings, the registry row) with SQLAlchemy Core and computes with the
    ``cn-charity`` rule set in force on ``on`` (or ``rules``), and the SEZ filings with the
    ``sz-donation`` rule set in force on ``on`` (or ``sz_rules``). ``projects`` / ``orgs``
    narrow the scan to those projects and those organisations' annual reports and SEZ filings
    (filed by them or awaiting their reply: the overseer's view, a project page); ``org`` keeps
    only what that organisation has to do (its projects as fundraiser, its own annual reports,
    the replies it owes as the authority). Sorted by :meth:`DeadlineItem.sort_key`: overdue
    first, then by due date.
    """
    rules = rules or rules_in_force("cn-charity", on)
    P, G, O, F = _table(ProjectRow), _table(ProgressRow), _table(OrgRow), _table(FinancialsRow)  # noqa: E741 (table aliases)
    S = _table(SzFilingRow)
    with _connect(bind) as conn:
        started = _log_started(conn)
        if started is None:
            return []
        pstmt = select(P)
        if projects is not None:
            pstmt = pstmt.where(P.c.project.in_(list(projects)))
        if org is not None:
            pstmt = pstmt.where(P.c.fundraiser_org == org)
        project_rows = _rows(conn, ProjectRow, pstmt) if projects is None or projects else []
        progress: dict[str, list[ProgressRow]] = {}
        if project_rows:
            gstmt = _progress_dates(G).where(G.c.corrected.is_(False))
            if projects is not None or org is not None:
                gstmt = gstmt.where(G.c.project.in_([p.project for p in project_rows]))
            for p in _rows(conn, ProgressRow, gstmt):
                progress.setdefault(p.project, []).append(p)
        ostmt = select(O).where(O.c.status == "active", O.c.legal_form.in_(CHARITY_FORMS))
        if orgs is not None:
            ostmt = ostmt.where(O.c.org.in_(list(orgs)))
        if org is not None:
            ostmt = ostmt.where(O.c.org == org)
        org_rows = _rows(conn, OrgRow, ostmt) if orgs is None or orgs else []
        reported: dict[str, list[FinancialsRow]] = {}
        if org_rows:
            fstmt = select(F).where(F.c.corrected.is_(False))
            if orgs is not None or org is not None:
                fstmt = fstmt.where(F.c.org.in_([o.org for o in org_rows]))
            for f in _rows(conn, FinancialsRow, fstmt):
                reported.setdefault(f.org, []).append(f)
        filings: list[SzFilingRow] = []
        if orgs is None or orgs:
            # awaiting a reply (an emergency acceptance is recorded with its filing: nothing else waits)
            sstmt = select(S).where(S.c.corrected.is_(False), S.c.replied_on.is_(None))
            if orgs is not None:
                sstmt = sstmt.where(S.c.org.in_(list(orgs)) | S.c.authority.in_(list(orgs)))
            if org is not None:
                sstmt = sstmt.where((S.c.org == org) | (S.c.authority == org))
            filings = _rows(conn, SzFilingRow, sstmt)
    items: list[DeadlineItem] = []
    for p in project_rows:
        items += project_deadlines(p, progress.get(p.project, []), on, rules, window_days=window_days)
    for o in org_rows:
        items += annual_report_deadlines(
            o, reported.get(o.org, ()), on, rules, log_started=started, window_days=window_days
        )
    if filings:
        sz = sz_filing_deadlines(
            [sz_filing_of(f) for f in filings],
            on,
            sz_rules or rules_in_force("sz-donation", on),
            window_days=window_days,
        )
        items += [i for i in sz if org is None or i.org == org]
    return _sort(items)


def disclosures_of_project(
    bind: Engine | Connection, project: str, on: date, *, rules: RuleSet | None = None
) -> list[Disclosure]:
    """The history of one project's disclosures (:func:`project_disclosures`) from the
    projections, under the ``cn-charity`` rule set in force on ``on``; [] for an unknown project."""
    return project_disclosures_and_deadlines(bind, project, on, rules=rules)[0]


def project_disclosures_and_deadlines(
    bind: Engine | Connection,
    project: str,
    on: date,
    *,
    rules: RuleSet | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    row: ProjectRow | None = None,
) -> tuple[list[Disclosure], list[DeadlineItem]]:
    """A project's disclosures (:func:`disclosures_of_project`) and what it has due
    (``scan_deadlines(projects=[project], orgs=[])``), from one read of its row and progress
    reports: what a project page shows. ([], []) for an unknown project. ``row``: the
    project's row when the caller read it already, in the same transaction."""
    rules = rules or rules_in_force("cn-charity", on)
    P, G = _table(ProjectRow), _table(ProgressRow)
    with _connect(bind) as conn:
        rows = [row] if row is not None else _rows(conn, ProjectRow, select(P).where(P.c.project == project))
        if not rows:
            return [], []
        progress = _rows(conn, ProgressRow, _progress_dates(G).where(G.c.project == project, G.c.corrected.is_(False)))
        closed = _closed_times(conn, rows)
    row = rows[0]
    history = project_disclosures(row, progress, on, rules, closed_time=closed.get(row.closed_id or ""))
    return history, _sort(project_deadlines(row, progress, on, rules, window_days=window_days))


def disclosures_of_org(
    bind: Engine | Connection,
    org: str,
    on: date,
    *,
    rules: RuleSet | None = None,
    row: OrgRow | None = None,
    reported: Iterable[FinancialsRow] | None = None,
) -> list[Disclosure]:
    """The history of one organisation's annual reports (:func:`annual_report_disclosures`)
    from the projections; [] for an unknown organisation, or one that owes none. ``row`` and
    ``reported`` (its figures in force): what the caller read already, in the same transaction."""
    rules = rules or rules_in_force("cn-charity", on)
    O, F = _table(OrgRow), _table(FinancialsRow)  # noqa: E741 (table aliases)
    with _connect(bind) as conn:
        started = _log_started(conn)
        rows = [row] if row is not None else _rows(conn, OrgRow, select(O).where(O.c.org == org))
        if started is None or not rows:
            return []
        if reported is None:
            reported = _rows(conn, FinancialsRow, select(F).where(F.c.org == org, F.c.corrected.is_(False)))
    return annual_report_disclosures(rows[0], reported, on, rules, log_started=started)


# ============================================================================================
# 3. the overseer's view
# ============================================================================================

# Entry types an overseer gives a verdict on by default.
VERDICT_TYPES = (
    "funds.allocated",
    "funds.disbursed",
    "progress.reported",
    "project.closed",
    "plan.filed",
    "entry.corrected",
)


@dataclass(frozen=True, slots=True)
class Finding:
    """A query or flag an overseer raised, with what became of it."""

    attestation: str  # leaf hash of the queried/flagged attestation
    seq: int
    verdict: str  # queried / flagged
    findings: str
    target: str
    target_type: str
    project: str | None
    time: str
    status: str  # open / resolved / target_corrected
    resolved_by: str | None = None  # the resolving attestation (or the correction)
    resolved_time: str | None = None
    target_last_verdict: str | None = None
    overseer_org: str | None = None  # who raised it


@dataclass(frozen=True, slots=True)
class RiskSignal:
    """A pattern worth a look; not a finding by itself."""

    kind: str  # near_threshold / shared_payee / own_payee
    payee: str
    projects: tuple[str, ...]
    en: str
    zh: str
    entry: str | None = None  # the disbursement's leaf hash
    seq: int | None = None
    amount_minor: int | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class OverseerView:
    org: str
    on: date
    projects: tuple[str, ...]
    awaiting: tuple[EntryRow, ...]
    findings: tuple[Finding, ...]
    overdue: tuple[DeadlineItem, ...]
    risks: tuple[RiskSignal, ...]

    def to_json(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            if hasattr(value, "to_json"):
                return value.to_json()
            return {f.name: list(v) if isinstance(v := getattr(value, f.name), tuple) else v for f in fields(value)}

        return {
            "org": self.org,
            "on": self.on.isoformat(),
            "projects": list(self.projects),
            "awaiting": [plain(e) for e in self.awaiting],
            "findings": [plain(f) for f in self.findings],
            "overdue": [plain(d) for d in self.overdue],
            "risks": [plain(r) for r in self.risks],
        }


# --- pure -----------------------------------------------------------------------------------


def normalise_payee(payee: str) -> str:
    """Compare payees loosely: NFKC (full-width to half-width), case, spaces and punctuation."""
    text = unicodedata.normalize("NFKC", payee).casefold()
    return re.sub(r"[\s\.,，。·()（）\-_/]+", "", text)


def resolve_findings(
    attestations: Sequence[AttestationRow], entries: Mapping[str, EntryRow], org: str | None
) -> list[Finding]:
    """The queries and flags ``org`` raised (every overseer's when ``org`` is None), each with
    its resolution.

    A query or flag is resolved by a later ``resolved`` verdict (by any overseer of the
    project) on the same target, or made moot when the target entry was corrected. Withdrawn
    attestations do not count either way.
    """
    live = sorted((a for a in attestations if not a.corrected), key=lambda a: a.seq)
    out: list[Finding] = []
    for a in live:
        if (org is not None and a.overseer_org != org) or a.verdict not in OPEN_VERDICTS:
            continue
        target = entries.get(a.target)
        resolution = next((r for r in live if r.target == a.target and r.seq > a.seq and r.verdict == "resolved"), None)
        status, by, when = "open", None, None
        if resolution is not None:
            status, by, when = "resolved", resolution.id, resolution.time
        elif target is not None and target.corrected:
            status, by = "target_corrected", target.corrected_by
        out.append(
            Finding(
                attestation=a.id,
                seq=a.seq,
                verdict=a.verdict,
                findings=a.findings,
                target=a.target,
                target_type=a.target_type,
                project=a.project,
                time=a.time,
                status=status,
                resolved_by=by,
                resolved_time=when,
                target_last_verdict=None if target is None else target.last_verdict,
                overseer_org=a.overseer_org,
            )
        )
    return out


def risk_signals(
    overseen: Sequence[ProjectRow],
    disbursements: Sequence[DisbursementRow],
    payee_projects: Mapping[str, set[str]],
    orgs: Mapping[str, OrgRow],
    *,
    thresholds: Mapping[str, int] | None = None,
    band_bp: int = 1000,
    min_projects: int = 3,
) -> list[RiskSignal]:
    """Risk signals on the disbursements of the overseen projects. Pure.

    - ``near_threshold``: an amount in ``[threshold * (1 - band), threshold)`` for its currency
      (``thresholds``: currency -> approval threshold in minor units; ``band_bp`` in basis
      points, 1000 = the 10 % just under the threshold);
    - ``shared_payee``: a payee (compared with :func:`normalise_payee`) paid by at least
      ``min_projects`` projects (``payee_projects``: normalised payee -> every project, in the
      whole registry, that paid it);
    - ``own_payee``: the payee is the project's fundraising organisation (its credit code
      appears in the payee, or the payee is its Chinese or English name).
    """
    if not 0 < band_bp <= 10_000:
        raise ValueError("band_bp must be in (0, 10000]")
    by_project = {p.project: p for p in overseen}
    out: list[RiskSignal] = []
    shared_seen: set[str] = set()
    for d in sorted(disbursements, key=lambda d: d.seq):
        project = by_project.get(d.project)
        if project is None or d.corrected:
            continue
        limit = (thresholds or {}).get(d.currency)
        if limit is not None and limit * (10_000 - band_bp) <= d.amount_minor * 10_000 < limit * 10_000:
            out.append(
                RiskSignal(
                    "near_threshold",
                    d.payee,
                    (d.project,),
                    f"Paid {Money(d.amount_minor, d.currency).with_code()}, just under the approval threshold of {Money(limit, d.currency).with_code()}.",
                    f"支出 {Money(d.amount_minor, d.currency).with_code()}，略低于审批门槛 {Money(limit, d.currency).with_code()}。",
                    d.id,
                    d.seq,
                    d.amount_minor,
                    d.currency,
                )
            )
        key = normalise_payee(d.payee)
        paid_by = payee_projects.get(key, set())
        if len(paid_by) >= min_projects and key not in shared_seen:
            shared_seen.add(key)
            out.append(
                RiskSignal(
                    "shared_payee",
                    d.payee,
                    tuple(sorted(paid_by)),
                    f"The same payee is paid by {len(paid_by)} projects.",
                    f"同一收款方由 {len(paid_by)} 个项目付款。",
                )
            )
        fundraiser = orgs.get(project.fundraiser_org)
        names = {normalise_payee(n) for n in (fundraiser.name_zh, fundraiser.name_en) if n} if fundraiser else set()
        if project.fundraiser_org in d.payee.upper() or key in names:
            out.append(
                RiskSignal(
                    "own_payee",
                    d.payee,
                    (d.project,),
                    f"The payee is the project's own fundraising organisation {project.fundraiser_org}.",
                    f"收款方是本项目的募集方 {project.fundraiser_org}。",
                    d.id,
                    d.seq,
                    d.amount_minor,
                    d.currency,
                )
            )
    return out


def verdict_data(target: str, verdict: str, findings: str) -> dict[str, Any]:
    if verdict not in VERDICTS:
        raise LedgerError("body_invalid", detail=f"the verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    return {"target": target, "verdict": verdict, "findings": findings}


def sign_verdict(
    key: KeyPair,
    origin: str,
    target: str,
    verdict: str,
    findings: str,
    *,
    at: datetime | None = None,
    idem: str | None = None,
) -> SignedEntry:
    """An ``attestation.recorded`` entry signed with the overseer's key, ready to submit
    (``POST /api/v1/entries``, or ``LogStore.append``). The default ``idem`` is derived from the
    verdict (:func:`ledger.services.client.auto_idem`): resending the same signed entry returns the stored
    one, and the same verdict signed again (another ``at``) is refused as ``idem_conflict``
    instead of being recorded twice; give an ``idem`` to record it again on purpose."""
    data = verdict_data(target, verdict, findings)
    type_ = "attestation.recorded"
    return sign_entry(key, make_body(origin, type_, key.id, at or now(), idem or auto_idem(type_, data), data))


# --- SQL ------------------------------------------------------------------------------------


def _oversees(column: Any, org: str) -> Any:
    if not re.fullmatch(r"[0-9A-Z]{18}", org):
        raise LedgerError("body_invalid", detail=f"{org!r} is not an organisation code")
    return column.like(f'%"{org}"%')  # a JSON list of credit codes ([0-9A-Z] only)


def overseen_projects(bind: Engine | Connection, org: str) -> list[ProjectRow]:
    """The projects naming ``org`` among their overseers, by project id."""
    P = _table(ProjectRow)
    with _connect(bind) as conn:
        return _rows(conn, ProjectRow, select(P).where(_oversees(P.c.overseers_json, org)).order_by(P.c.project))


def awaiting_verdict(
    bind: Engine | Connection,
    org: str,
    *,
    types: Sequence[str] = VERDICT_TYPES,
    after_seq: int = -1,
    limit: int = 200,
) -> list[EntryRow]:
    """Entries of the projects ``org`` oversees that have no verdict of ``org`` yet (withdrawn
    verdicts do not count), excluding corrected entries and ``org``'s own; by seq, paged with
    ``after_seq``."""
    P, E, A = _table(ProjectRow), _table(EntryRow), _table(AttestationRow)
    mine = select(P.c.project).where(_oversees(P.c.overseers_json, org))
    judged = exists().where(and_(A.c.target == E.c.id, A.c.overseer_org == org, A.c.corrected.is_(False)))
    stmt = (
        select(E)
        .where(
            E.c.project.in_(mine),
            E.c.type.in_(list(types)),
            E.c.corrected.is_(False),
            E.c.signer_org != org,
            E.c.seq > after_seq,
            not_(judged),
        )
        .order_by(E.c.seq)
        .limit(limit)
    )
    with _connect(bind) as conn:
        return _rows(conn, EntryRow, stmt)


def findings_of(bind: Engine | Connection, org: str) -> list[Finding]:
    """The queries and flags ``org`` raised, with their resolution (see :func:`resolve_findings`)."""
    A, E = _table(AttestationRow), _table(EntryRow)
    with _connect(bind) as conn:
        raised = select(A.c.target).where(A.c.overseer_org == org, A.c.verdict.in_(OPEN_VERDICTS))
        attestations = _rows(conn, AttestationRow, select(A).where(A.c.target.in_(raised)).order_by(A.c.seq))
        targets = {a.target for a in attestations}
        entries = (
            {e.id: e for e in _rows(conn, EntryRow, select(E).where(E.c.id.in_(list(targets))))} if targets else {}
        )
    return resolve_findings(attestations, entries, org)


def queries_on(bind: Engine | Connection, org: str) -> list[Finding]:
    """The queries and flags any overseer raised on ``org``'s own entries, with their resolution:
    what the organisation has to answer (``query.answered``) in the workbench."""
    A, E = _table(AttestationRow), _table(EntryRow)
    with _connect(bind) as conn:
        own = select(E.c.id).where(E.c.signer_org == org)
        queried = select(A.c.target).where(A.c.target.in_(own), A.c.verdict.in_(OPEN_VERDICTS))
        attestations = _rows(conn, AttestationRow, select(A).where(A.c.target.in_(queried)).order_by(A.c.seq))
        targets = list({a.target for a in attestations})
        entries = {e.id: e for e in _rows(conn, EntryRow, select(E).where(E.c.id.in_(targets)))} if targets else {}
    return resolve_findings(attestations, entries, None)


def answers_to(bind: Engine | Connection, attestations: Iterable[str]) -> dict[str, list[AnswerRow]]:
    """The answers (``query.answered``) to each of ``attestations``, oldest first."""
    wanted = sorted(set(attestations))
    if not wanted:
        return {}
    T = _table(AnswerRow)
    with _connect(bind) as conn:
        rows = _rows(conn, AnswerRow, select(T).where(T.c.attestation.in_(wanted)).order_by(T.c.seq))
    out: dict[str, list[AnswerRow]] = {}
    for row in rows:
        out.setdefault(row.attestation, []).append(row)
    return out


def overseer_risks(
    bind: Engine | Connection,
    org: str,
    *,
    thresholds: Mapping[str, int] | None = None,
    band_bp: int = 1000,
    min_projects: int = 3,
) -> list[RiskSignal]:
    """:func:`risk_signals` over the disbursements of the projects ``org`` oversees."""
    P, D, O = _table(ProjectRow), _table(DisbursementRow), _table(OrgRow)  # noqa: E741 (table aliases)
    with _connect(bind) as conn:
        projects = _rows(conn, ProjectRow, select(P).where(_oversees(P.c.overseers_json, org)))
        ids = [p.project for p in projects]
        if not ids:
            return []
        disbursements = _rows(conn, DisbursementRow, select(D).where(D.c.project.in_(ids), D.c.corrected.is_(False)))
        payee_projects: dict[str, set[str]] = {}
        for payee, project in conn.execute(select(D.c.payee, D.c.project).where(D.c.corrected.is_(False)).distinct()):
            payee_projects.setdefault(normalise_payee(payee), set()).add(project)
        fundraisers = {p.fundraiser_org for p in projects}
        orgs = {o.org: o for o in _rows(conn, OrgRow, select(O).where(O.c.org.in_(list(fundraisers))))}
    return risk_signals(
        projects, disbursements, payee_projects, orgs, thresholds=thresholds, band_bp=band_bp, min_projects=min_projects
    )


def overdue_of_projects(
    bind: Engine | Connection,
    projects: Sequence[ProjectRow],
    on: date,
    *,
    rules: RuleSet | None = None,
) -> list[DeadlineItem]:
    """The overdue (not merely due) disclosures of ``projects`` and the overdue annual reports
    of their fundraising and implementing organisations: what an overseer of them should chase."""
    if not projects:
        return []
    ids = [p.project for p in projects]
    related = sorted(
        {p.fundraiser_org for p in projects} | {i for p in projects for i in json.loads(p.implementers_json)}
    )
    items = scan_deadlines(bind, on, window_days=0, projects=ids, orgs=related, rules=rules)
    return [i for i in items if i.status == "overdue"]


def overseer_view(
    bind: Engine | Connection,
    org: str,
    on: date,
    *,
    thresholds: Mapping[str, int] | None = None,
    band_bp: int = 1000,
    min_projects: int = 3,
    limit: int = 200,
    after_seq: int = -1,
    risks: bool = True,
    rules: RuleSet | None = None,
) -> OverseerView:
    """Everything an oversight organisation's desk shows, in one call (in one transaction when
    ``bind`` is a Connection).

    ``awaiting`` holds at most ``limit`` entries after ``after_seq``. ``overdue`` holds the
    overdue (not merely due) disclosures of its projects and the overdue annual reports of
    their fundraising and implementing organisations. ``risks=False`` leaves the risk signals
    out (empty), for views shown to the public.
    """
    with _connect(bind) as conn:
        projects = overseen_projects(conn, org)
        return OverseerView(
            org=org,
            on=on,
            projects=tuple(p.project for p in projects),
            awaiting=tuple(awaiting_verdict(conn, org, limit=limit, after_seq=after_seq)),
            findings=tuple(findings_of(conn, org)),
            overdue=tuple(overdue_of_projects(conn, projects, on, rules=rules)),
            risks=tuple(overseer_risks(conn, org, thresholds=thresholds, band_bp=band_bp, min_projects=min_projects))
            if risks
            else (),
        )


def parse_threshold(text: str) -> tuple[str, int]:
    """An approval threshold as ``"50000.00 CNY"`` (or ``"50000.00"``, CNY): (currency, minor units)."""
    amount, _, currency = text.strip().partition(" ")
    currency = currency.strip() or "CNY"
    return currency, parse_amount(amount, currency)
