"""Every table the readers query, by one short name each: the log's own tables and the
projections (made from the domain's row classes by :func:`projection_tables.table_for`)."""

from __future__ import annotations

from ledger.domain import rows as R
from ledger.store.log_tables import CHECKPOINT as CHECKPOINT
from ledger.store.log_tables import COSIG as COSIG
from ledger.store.log_tables import HEAD as HEAD
from ledger.store.log_tables import LEAF as LEAF
from ledger.store.log_tables import NODE as NODE
from ledger.store.log_tables import SHARD as SHARD
from ledger.store.log_tables import WITNESS_PUSH as WITNESS_PUSH
from ledger.store.projection_tables import table_for

REGISTRY = table_for(R.RegistryRow)
ENTRY = table_for(R.EntryRow)
ORG = table_for(R.OrgRow)
ORG_CHANGE = table_for(R.OrgChangeRow)
KEY = table_for(R.KeyRow)
PROJECT = table_for(R.ProjectRow)
FUND = table_for(R.FundRow)
BALANCE = table_for(R.AllocationBalanceRow)
DONATION = table_for(R.DonationRow)
ALLOCATION = table_for(R.AllocationRow)
DISBURSEMENT = table_for(R.DisbursementRow)
PROGRESS = table_for(R.ProgressRow)
ATTESTATION = table_for(R.AttestationRow)
ANSWER = table_for(R.AnswerRow)
AUDIT = table_for(R.AuditOpinionRow)
CORRECTION = table_for(R.CorrectionRow)
REPORT = table_for(R.ReportRow)
FINANCIALS = table_for(R.FinancialsRow)
ORG_YEAR = table_for(R.OrgYearRow)
MONTH = table_for(R.MonthRow)
PROJECT_DONOR_TYPE = table_for(R.ProjectDonorTypeRow)
SZ_FILING = table_for(R.SzFilingRow)
