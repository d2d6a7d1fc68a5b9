"""Regulator-only reads: cross-organisation views, behind a bearer token with the regulator scope."""

from __future__ import annotations

import logging

from litestar import Controller, Request, get
from litestar.datastructures import CacheControlHeader

from api import queries
from api.openapi import BEARER, problems
from api.pagination import Cursor, Limit
from api.params import LedgerDep, Org, ProjectId, Seq
from api.privacy import donor_record
from api.schemas import DonorPersonalData, DonorRecord, FindingPage, OrganisationFundsPage
from api.security import require_scope

REGULATOR = "regulator"
audit = logging.getLogger("api.audit")


class RegulatorController(Controller):
    """Views across organisations for the registration authority and oversight bodies."""

    path = "/api/v1/regulator"
    tags = ("regulator",)
    guards = (require_scope(REGULATOR),)
    security = ({BEARER: []},)

    @get(
        "/funds-by-organisation",
        operation_id="regulatorFundsByOrganisation",
        sync_to_thread=True,
        responses=problems(400, 401, 403, 503),
    )
    def funds_by_organisation(
        self, ledger: LedgerDep, org: Org = None, limit: Limit = 50, cursor: Cursor = None
    ) -> OrganisationFundsPage:
        """Raised, allocated, disbursed and balance of every fundraising organisation's projects, per currency."""
        return OrganisationFundsPage(
            **queries.funds_by_organisation(ledger.engine, limit=limit, cursor=cursor, org=org)
        )

    @get(
        "/open-findings",
        operation_id="regulatorOpenFindings",
        sync_to_thread=True,
        responses=problems(400, 401, 403, 503),
    )
    def open_findings(
        self,
        ledger: LedgerDep,
        org: Org = None,
        project: ProjectId = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> FindingPage:
        """Entries of every organisation whose latest oversight verdict is queried or flagged."""
        return FindingPage(**queries.open_findings(ledger.engine, limit=limit, cursor=cursor, org=org, project=project))

    @get(
        "/donors/{seq:int}",
        operation_id="regulatorDonorRecord",
        sync_to_thread=True,
        cache_control=CacheControlHeader(no_store=True),  # personal data: no cache keeps a copy
        responses=problems(400, 401, 403, 404, 503),
    )
    def donor_record(self, request: Request, ledger: LedgerDep, seq: Seq) -> DonorRecord:
        """The personal data a donation's donor gave (decrypted from the donor store). Every read
        is written to the ``api.audit`` log with the token's id."""
        token = request.state.token
        audit.info("donor record of seq %d read with token %s (%s)", seq, token.id, token.name)
        record = donor_record(ledger, seq)
        personal = None if record.personal is None else DonorPersonalData(**record.personal)
        return DonorRecord(seq=record.seq, personal=personal, stored_at=record.stored_at, erased_at=record.erased_at)
