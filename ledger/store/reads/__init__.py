"""The read model: what the API, the public site and the reports read from the projections.

One set of typed, frozen values (:mod:`.flows`: donations, allocations, payments, progress
reports, verdicts; :mod:`.entries`: entries of the log) and the SQLAlchemy Core reads that build
them, inside the caller's read transaction. Money is a :class:`ledger.domain.money.Money`, never
a bare integer beside a currency; the readers turn it into text for their audience (the API's
decimal strings, the site's locale, the reports' tables). :mod:`.rows` builds the domain's
projection rows from SQL for the code that computes on them (the FIFO trace, the reports).
The site's own reads: :mod:`.listing` (project lists and search, names and titles),
:mod:`.figures` (sums the projections keep), :mod:`.timeline` (entry rows newest first),
:mod:`.chain` (the chain of logs, checkpoints, witnesses, keys), :mod:`.export` (export rows).

This package imports the domain and the storage tables only; the API, the site and the reports
import it, never the other way round.
"""

from ledger.store.reads.entries import Entry, EntryFilter, chain_size, entries, entry_at, first_seq_at, open_findings
from ledger.store.reads.flows import (
    Allocation,
    Attestation,
    Disbursement,
    Donation,
    Flow,
    ProgressReport,
    donation_at,
    flow_by_id,
    flows_by_seq,
    trace,
)
from ledger.store.reads.funds import FundTotals, registry_totals, totals_by_organisation
from ledger.store.reads.orgs import like_pattern, organisation, organisations, search_organisations
from ledger.store.reads.projects import Project, ProjectFilter, lists_org, names_org, project, projects, with_funds
from ledger.store.reads.reports import IssuedReport, issued_report, issued_reports

__all__ = [
    "Allocation",
    "Attestation",
    "Disbursement",
    "Donation",
    "Entry",
    "EntryFilter",
    "Flow",
    "FundTotals",
    "IssuedReport",
    "ProgressReport",
    "Project",
    "ProjectFilter",
    "chain_size",
    "donation_at",
    "entries",
    "entry_at",
    "first_seq_at",
    "flow_by_id",
    "flows_by_seq",
    "issued_report",
    "issued_reports",
    "like_pattern",
    "lists_org",
    "names_org",
    "open_findings",
    "organisation",
    "organisations",
    "project",
    "projects",
    "registry_totals",
    "search_organisations",
    "totals_by_organisation",
    "trace",
    "with_funds",
]
