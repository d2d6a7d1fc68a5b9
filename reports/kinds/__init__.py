"""Report builders, one module per kind; :func:`build` picks the one a request names.

Each module has ``build(snapshot, request, **context) -> ReportDoc``. The verification
certificate does not read projections: it has its own entry points in :mod:`.verification`.
"""

from __future__ import annotations

from typing import Any

from ledger.domain.rows import OrgRow
from reports.common import ReportDoc, ReportRequest
from reports.kinds import annual, campaign, overview, project, receipt
from reports.snapshot import Snapshot


def build(snapshot: Snapshot, request: ReportRequest, **context: Any) -> ReportDoc:
    """Build the report ``request`` asks for from ``snapshot`` (not ``verification``)."""
    builders = {
        "annual": annual.build,
        "project": project.build,
        "campaign": campaign.build,
        "overview": overview.build,
        "receipt": receipt.build,
    }
    request = request.checked()
    if request.kind not in builders:
        raise ValueError(f"{request.kind} reports are built from the log, not from projections")
    doc = builders[request.kind](snapshot, request, **context)
    if not doc.org_names:  # every credit code a PDF prints gets its name beside it
        doc.org_names = {row.org: row.name_zh for row in snapshot.rows(OrgRow)}
    return doc
