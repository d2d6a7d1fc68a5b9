"""Public reads of the registry, from the projections: one controller per resource."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from litestar import Controller, get, post
from litestar.datastructures import CacheControlHeader
from litestar.openapi.spec import Example
from litestar.params import FromQuery, JSONBody, QueryParameter

from api import queries
from api.openapi import READ_PROBLEMS, problems
from api.pagination import Cursor, Limit
from api.params import (
    HEX64,
    WORD,
    LeafHash,
    LedgerDep,
    Order,
    Org,
    OrgPath,
    ProjectId,
    ProjectPath,
    ReceiptHash,
    Seq,
)
from api.privacy import donor_store
from api.schemas import (
    Allocation,
    AllocationPage,
    Attestation,
    AttestationPage,
    Disbursement,
    DisbursementPage,
    Donation,
    DonationPage,
    DonationTrace,
    InclusionProof,
    Organisation,
    OrganisationPage,
    ProgressPage,
    ProgressReport,
    Project,
    ProjectPage,
    _Schema,
)
from api.security import body_limit, rate_limit, require_media_type
from ledger.protocol.checkpoint import Checkpoint
from ledger.protocol.note import parse_note
from ledger.store import reads
from ledger.store.donors import find_donation_by_receipt_hash
from ledger.store.runtime import Ledger

LIST = {"sync_to_thread": True, "responses": problems(*READ_PROBLEMS)}
ONE = {"sync_to_thread": True, "responses": problems(*READ_PROBLEMS)}
# a trace names the latest checkpoint: browsers ask again, a shared cache (the front) holds it a minute
RECEIPT_TRACE_CACHE = CacheControlHeader(public=True, max_age=0, s_maxage=60)


class OrganisationsController(Controller):
    path = "/api/v1/organisations"
    tags = ("organisations",)

    @get("/", operation_id="listOrganisations", **LIST)
    def list_organisations(
        self,
        ledger: LedgerDep,
        status: FromQuery[Literal["active", "deregistered"] | None] = None,
        legal_form: Annotated[str | None, QueryParameter(pattern=WORD, examples=[Example(value="foundation")])] = None,
        public_fundraising: FromQuery[bool | None] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> OrganisationPage:
        """Registered organisations, by unified social credit code."""
        return OrganisationPage(
            **queries.list_organisations(
                ledger.engine,
                limit=limit,
                cursor=cursor,
                status=status,
                legal_form=legal_form,
                public_fundraising=public_fundraising,
            )
        )

    @get("/{org:str}", operation_id="getOrganisation", **ONE)
    def get_organisation(self, ledger: LedgerDep, org: OrgPath) -> Organisation:
        """One organisation."""
        return queries.get_organisation(ledger.engine, org)


class ProjectsController(Controller):
    path = "/api/v1/projects"
    tags = ("projects",)

    @get("/", operation_id="listProjects", **LIST)
    def list_projects(
        self,
        ledger: LedgerDep,
        org: Org = None,
        fundraiser: Org = None,
        implementer: Org = None,
        overseer: Org = None,
        status: FromQuery[Literal["open", "closed"] | None] = None,
        field: Annotated[str | None, QueryParameter(pattern=WORD, examples=[Example(value="elderly_care")])] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> ProjectPage:
        """Projects with their fund figures (raised, allocated, disbursed by category, balance).
        ``org`` matches an organisation in any role: fundraiser, implementer or overseer."""
        return ProjectPage(
            **queries.list_projects(
                ledger.engine,
                limit=limit,
                cursor=cursor,
                org=org,
                fundraiser=fundraiser,
                implementer=implementer,
                overseer=overseer,
                status=status,
                field=field,
            )
        )

    @get("/{project:str}", operation_id="getProject", **ONE)
    def get_project(self, ledger: LedgerDep, project: ProjectPath) -> Project:
        """One project, its plan, closing and fund figures, and each implementer's balance."""
        return queries.get_project(ledger.engine, project)


class ReceiptLookup(_Schema):
    """A receipt code as the donor typed it (full-width characters, spaces and any dash are read
    as the code's ASCII form). It travels in the body so that it never appears in an address or
    an access log. Text longer than 120 characters is ``receipt_code_invalid``."""

    code: str

    __example__: ClassVar[Any] = {"code": "D1234-CJ5LFXBNY3HIVR7UTO2KVAHSFE-7"}


class DonationsController(Controller):
    path = "/api/v1/donations"
    tags = ("donations",)

    @get("/", operation_id="listDonations", **LIST)
    def list_donations(
        self,
        ledger: LedgerDep,
        project: ProjectId = None,
        org: Org = None,
        order: Order = "asc",
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> DonationPage:
        """Donations in seq order (public view: no personal data, only the donor commitment).
        ``org`` is the fundraising organisation."""
        return DonationPage(
            **queries.list_donations(
                ledger.engine, project=project, org=org, limit=limit, cursor=cursor, descending=order == "desc"
            )
        )

    @get("/{donation_id:str}", operation_id="getDonation", **ONE)
    def get_donation(self, ledger: LedgerDep, donation_id: LeafHash) -> Donation:
        """One donation by its entry id (leaf hash)."""
        return queries.get_donation(ledger.engine, donation_id)

    @get("/{donation_id:str}/trace", operation_id="traceDonation", **ONE)
    def trace_donation(self, ledger: LedgerDep, donation_id: LeafHash) -> DonationTrace:
        """Where a donation's money went, first in first out, with its inclusion proof."""
        return _trace(ledger, queries.flow(ledger.engine, reads.Donation, donation_id))

    @post(
        "/by-receipt/trace",
        operation_id="traceDonationByReceipt",
        sync_to_thread=True,
        status_code=200,
        cache_control=CacheControlHeader(no_store=True),  # a donor's own view: no shared cache keeps it
        guards=[rate_limit, require_media_type("application/json"), body_limit("max_entry_bytes")],
        responses=problems(400, 404, 413, 415, 429, 503),
    )
    def trace_by_receipt(self, ledger: LedgerDep, data: JSONBody[ReceiptLookup]) -> DonationTrace:
        """ "Where did my donation go": the trace of the donation a receipt code names.

        The code must prove itself against the log: the donation's ``receipt`` field is the
        SHA-256 of the code's salt (docs/protocol.md, "Receipt codes"). A code made up from a
        public seq and the public check character is a 404 ``receipt_not_found``, the same
        answer as for a seq with no donation. A donation recorded without ``receipt`` is found
        only while the donor store holds its salt. 400 ``receipt_code_invalid`` /
        ``receipt_code_checksum`` for a code that is not one or has a typing error.
        """
        _, row = donor_store(ledger).find_by_receipt(data.code)
        return _trace(ledger, reads.Donation.from_row(row))

    @get(
        "/by-receipt/{seq:int}/{receipt:str}/trace",
        operation_id="traceDonationByReceiptHash",
        sync_to_thread=True,
        cache_control=RECEIPT_TRACE_CACHE,
        responses=problems(*READ_PROBLEMS),
    )
    def trace_by_receipt_hash(self, ledger: LedgerDep, seq: Seq, receipt: ReceiptHash) -> DonationTrace:
        """The same trace, asked for with what the receipt code proves instead of the code: its
        seq, and ``receipt`` = hex SHA-256(``"charity-ledger/receipt/v1\n"`` || salt), computed
        where the code is (a browser, an app), so the salt never travels and the address can be
        cached (docs/protocol.md, "Receipt codes"). 404 ``receipt_not_found`` unless the
        donation at ``seq`` carries that ``receipt`` (a donation recorded without one needs the
        code: ``POST /by-receipt/trace``). The proof is against the latest checkpoint when the
        answer was made: a shared cache may hold it a minute, so it can be an older checkpoint
        the log signed, never another."""
        row = find_donation_by_receipt_hash(ledger.engine, seq, receipt)
        return _trace(ledger, reads.Donation.from_row(row))


def _trace(ledger: Ledger, donation: reads.Donation) -> DonationTrace:
    """The trace with the donation's inclusion proof: ``donation.seq`` is its position in the
    chain of logs; the proof is of its seq in the log holding it, against that log's latest
    checkpoint (a sealed log's final one, which the next log's genesis names)."""
    store = ledger.log
    shard = store.shard_of(donation.seq)
    index = donation.seq - shard.base
    note = store.latest_checkpoint(shard.index)
    size = Checkpoint.parse(parse_note(note).text).size
    hashes = [h.hex() for h in store.inclusion_proof(index, size, shard.index)]
    t = reads.trace(ledger.engine, donation)
    return queries.trace_view(donation, t, InclusionProof(index=index, size=size, hashes=hashes), note, shard.origin)


class AllocationsController(Controller):
    path = "/api/v1/allocations"
    tags = ("allocations",)

    @get("/", operation_id="listAllocations", **LIST)
    def list_allocations(
        self,
        ledger: LedgerDep,
        project: ProjectId = None,
        org: Org = None,
        order: Order = "asc",
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> AllocationPage:
        """Allocations in seq order. ``org`` is the implementer receiving the money."""
        return AllocationPage(
            **queries.list_allocations(
                ledger.engine, project=project, org=org, limit=limit, cursor=cursor, descending=order == "desc"
            )
        )

    @get("/{allocation_id:str}", operation_id="getAllocation", **ONE)
    def get_allocation(self, ledger: LedgerDep, allocation_id: LeafHash) -> Allocation:
        """One allocation by its entry id."""
        return queries.get_allocation(ledger.engine, allocation_id)


class DisbursementsController(Controller):
    path = "/api/v1/disbursements"
    tags = ("disbursements",)

    @get("/", operation_id="listDisbursements", **LIST)
    def list_disbursements(
        self,
        ledger: LedgerDep,
        project: ProjectId = None,
        org: Org = None,
        category: FromQuery[Literal["program", "admin", "fundraising_cost"] | None] = None,
        order: Order = "asc",
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> DisbursementPage:
        """Payments in seq order. ``org`` is the implementer that paid."""
        return DisbursementPage(
            **queries.list_disbursements(
                ledger.engine,
                project=project,
                org=org,
                category=category,
                limit=limit,
                cursor=cursor,
                descending=order == "desc",
            )
        )

    @get("/{disbursement_id:str}", operation_id="getDisbursement", **ONE)
    def get_disbursement(self, ledger: LedgerDep, disbursement_id: LeafHash) -> Disbursement:
        """One payment by its entry id."""
        return queries.get_disbursement(ledger.engine, disbursement_id)


class ProgressController(Controller):
    path = "/api/v1/progress-reports"
    tags = ("progress",)

    @get("/", operation_id="listProgressReports", **LIST)
    def list_progress(
        self,
        ledger: LedgerDep,
        project: ProjectId = None,
        org: Org = None,
        order: Order = "asc",
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> ProgressPage:
        """Progress reports in seq order. ``org`` is the implementer reporting."""
        return ProgressPage(
            **queries.list_progress(
                ledger.engine, project=project, org=org, limit=limit, cursor=cursor, descending=order == "desc"
            )
        )

    @get("/{report_id:str}", operation_id="getProgressReport", **ONE)
    def get_progress(self, ledger: LedgerDep, report_id: LeafHash) -> ProgressReport:
        """One progress report by its entry id."""
        return queries.get_progress(ledger.engine, report_id)


class AttestationsController(Controller):
    path = "/api/v1/attestations"
    tags = ("attestations",)

    @get("/", operation_id="listAttestations", **LIST)
    def list_attestations(
        self,
        ledger: LedgerDep,
        project: ProjectId = None,
        org: Org = None,
        target: Annotated[str | None, QueryParameter(pattern=HEX64, description="The attested entry's id.")] = None,
        verdict: FromQuery[Literal["approved", "queried", "flagged", "resolved"] | None] = None,
        order: Order = "asc",
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> AttestationPage:
        """Oversight verdicts in seq order. ``org`` is the overseeing organisation."""
        return AttestationPage(
            **queries.list_attestations(
                ledger.engine,
                project=project,
                org=org,
                target=target,
                verdict=verdict,
                limit=limit,
                cursor=cursor,
                descending=order == "desc",
            )
        )

    @get("/{attestation_id:str}", operation_id="getAttestation", **ONE)
    def get_attestation(self, ledger: LedgerDep, attestation_id: LeafHash) -> Attestation:
        """One attestation by its entry id."""
        return queries.get_attestation(ledger.engine, attestation_id)
