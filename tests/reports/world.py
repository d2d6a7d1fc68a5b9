"""A registry for the report tests, appended through the real log store (StoreWorld): a year of
a public fundraising project and a directed one, with every kind of entry the reports read.

Timeline (log dates, China time) — the figures the tests assert follow from it:

- 2026-03-02: the cast (tests/domain/helpers.World); project P-ELDER-2026 (public, plan filed on
  2026-03-02, fundraising 2026-03-20..2026-12-31, project 2026-03-01..2027-02-28) and
  P-DIRECT-2026 (directed); a third project P-SMALL-2026 (directed, 2026-04-01..2026-06-30).
- 2026 donations to P-ELDER-2026 (received_on in 2026):
  bank 10,000.00 individual restricted; online 2,500.50 enterprise restricted;
  cash 300.00 anonymous unrestricted; in-kind 1,200.00 foundation restricted (rice);
  bank 999.99 individual restricted (reversed: typed twice).  Live total 14,000.50.
- to P-DIRECT-2026: government purchase 50,000.00 unrestricted (bank).
- to P-SMALL-2026: 800.00 individual restricted (bank).
- allocations (P-ELDER-2026 -> SERVICE_ORG): 8,000.00 restricted; (P-DIRECT-2026 -> SERVICE_ORG_2) 30,000.00.
- payments by SERVICE_ORG for P-ELDER-2026: program 5,000.00, admin 400.00, fundraising cost 100.00;
  by SERVICE_ORG_2 for P-DIRECT-2026: program 20,000.00.
- progress on P-ELDER-2026: 2026-05-20 (period 1, due 2026-06-01: on time); 2026-09-10
  (period 2, due 2026-09-01: late); none for period 3 (due 2026-12-01: overdue).
- P-SMALL-2026: allocated, paid 600.00, closed on 2026-07-10 with a surplus of 200.00.
- oversight: the 5,000.00 payment approved; the 400.00 payment flagged (open).
- financials.reported by the foundation's admin: 2023, 2024, 2025 (recorded 2026-03) and 2026
  (recorded 2027-04-10, on time for 31 May 2027); by the registrar for SERVICE_ORG: 2025, 2026.
- audit opinion on the foundation's 2026 (recorded 2027-04-20).
- SEZ donation filings by the foundation: SZ-2026-001 (2026-03-21: the bank and online
  donations), replied by the registrar on 2026-04-02 (approved, 2 days late); SZ-2026-002
  (2026-04-02: the in-kind donation, an emergency accepted on 2025-12-01, so filed a month after
  the 3 months), never replied (overdue, deemed approved after 2026-05-02).
- the log ends on 2027-06-15.
"""

from __future__ import annotations

import os
from pathlib import Path

from ledger.domain.privacy import donor_commitment
from ledger.protocol.keys import write_key_file
from ledger.store.donors import DonorStore, load_privacy_key
from tests.domain import helpers as H
from tests.support.store_world import StoreWorld

PUB, DIR, SMALL = "P-ELDER-2026", "P-DIRECT-2026", "P-SMALL-2026"
DONOR = {"name": "李四", "id_number": "440301199001011234", "phone": "13800000000"}
SALT = bytes(range(16))


def donation(
    project: str,
    amount: str,
    *,
    channel: str = "bank_transfer",
    donor_type: str = "individual",
    restricted: bool = True,
    received_on: str = "2026-03-21",
    **over: object,
) -> dict:
    return H.donation_data(
        project, amount, restricted=restricted, channel=channel, donor_type=donor_type, received_on=received_on, **over
    )


class ReportWorld(StoreWorld):
    """StoreWorld plus a year of flows (see the module docstring)."""

    def __init__(self, home: Path, database_url: str | None = None) -> None:
        super().__init__(home, database_url)
        self.ids: dict[str, str] = {}
        a = self.append
        ids = self.ids
        # figures of earlier years, reported in March 2026
        for year, income, net in (
            (2023, "800000.00", "2000000.00"),
            (2024, "900000.00", "2200000.00"),
            (2025, "1000000.00", "2500000.00"),
        ):
            ids[f"fin{year}"] = a(
                self.foundation_admin,
                "financials.reported",
                H.financials_data(H.FOUNDATION, year, total_income=income, net_assets=net),
            )
        ids["svc_fin2025"] = a(
            self.registrar,
            "financials.reported",
            H.financials_data(
                H.SERVICE_ORG,
                2025,
                total_income="300000.00",
                charitable_spending="200000.00",
                management_costs="50000.00",
                fundraising_costs="0.00",
                total_spending="260000.00",
                net_assets="800000.00",
            ),
        )
        a(
            self.fundraiser,
            "project.registered",
            H.project_data(
                SMALL,
                directed=True,
                start_date="2026-04-01",
                end_date="2026-06-30",
                title_zh="社区小微项目",
                target="1000.00",
            ),
        )
        self.set_date("2026-03-21")
        ids["d_bank"] = a(
            self.fundraiser,
            "donation.received",
            donation(PUB, "10000.00", commitment=donor_commitment(DONOR, SALT), receipt_no="SZ-0001"),
        )
        ids["d_online"] = a(
            self.fundraiser,
            "donation.received",
            donation(PUB, "2500.50", channel="online_platform", donor_type="enterprise"),
        )
        ids["d_cash"] = a(
            self.fundraiser,
            "donation.received",
            donation(
                PUB,
                "300.00",
                channel="cash",
                donor_type="anonymous",
                restricted=False,
                commitment=donor_commitment({}, b"\x02" * 16),
            ),
        )
        ids["d_kind"] = a(
            self.fundraiser,
            "donation.received",
            donation(
                PUB,
                "1200.00",
                channel="delivery",
                donor_type="foundation",
                kind="in_kind",
                in_kind_description="大米 100 袋（市场价）",
            ),
        )
        ids["d_dup"] = a(self.fundraiser, "donation.received", donation(PUB, "999.99"))
        ids["c_dup"] = a(
            self.fundraiser,
            "entry.corrected",
            {"target": ids["d_dup"], "reason": "重复录入", "project": PUB, "amount": "999.99", "currency": "CNY"},
        )
        ids["d_gov"] = a(
            self.fundraiser,
            "donation.received",
            donation(DIR, "50000.00", donor_type="government_purchase", restricted=False),
        )
        ids["alloc"] = a(self.fundraiser, "funds.allocated", H.allocation_data(PUB, "8000.00"))
        ids["alloc_dir"] = a(
            self.fundraiser,
            "funds.allocated",
            H.allocation_data(DIR, "30000.00", implementer=H.SERVICE_ORG_2, source="unrestricted"),
        )
        ids["pay_program"] = a(self.implementer, "funds.disbursed", H.disbursement_data(PUB, "5000.00"))
        ids["pay_admin"] = a(
            self.implementer,
            "funds.disbursed",
            H.disbursement_data(PUB, "400.00", category="admin", payee="=SUM(A1:A9)"),
        )
        ids["pay_fr"] = a(
            self.implementer, "funds.disbursed", H.disbursement_data(PUB, "100.00", category="fundraising_cost")
        )
        ids["pay_dir"] = a(self.implementer2, "funds.disbursed", H.disbursement_data(DIR, "20000.00"))
        ids["ok"] = a(
            self.overseer,
            "attestation.recorded",
            {"target": ids["pay_program"], "verdict": "approved", "findings": "与发票一致"},
        )
        ids["flag"] = a(
            self.overseer,
            "attestation.recorded",
            {"target": ids["pay_admin"], "verdict": "flagged", "findings": "缺少合同"},
        )
        ids["sz1"] = a(
            self.foundation_admin,
            "sz.donation_filed",
            H.sz_filing_data("SZ-2026-001", [ids["d_bank"], ids["d_online"]]),
        )
        self.set_date("2026-04-02")
        ids["sz1_reply"] = a(
            self.registrar,
            "sz.filing_replied",
            {"target": ids["sz1"], "decision": "approved", "replied_on": "2026-04-02"},
        )
        ids["sz2"] = a(
            self.fundraiser,
            "sz.donation_filed",
            H.sz_filing_data(
                "SZ-2026-002", [ids["d_kind"]], filed_on="2026-04-02", emergency=True, accepted_on="2025-12-01"
            ),
        )
        ids["d_small"] = a(self.fundraiser, "donation.received", donation(SMALL, "800.00", received_on="2026-04-02"))
        a(self.fundraiser, "funds.allocated", H.allocation_data(SMALL, "800.00", allocated_on="2026-04-02"))
        self.set_date("2026-05-20")
        ids["prog1"] = a(
            self.implementer,
            "progress.reported",
            {
                "project": PUB,
                "period_start": "2026-03-01",
                "period_end": "2026-05-31",
                "summary": "助餐 1,200 份",
                "beneficiaries": 60,
                "evidence": [H.sha("p1")],
            },
        )
        a(self.implementer, "funds.disbursed", H.disbursement_data(SMALL, "600.00", paid_on="2026-05-20"))
        self.set_date("2026-07-10")
        ids["close_small"] = a(
            self.fundraiser,
            "project.closed",
            {
                "project": SMALL,
                "closed_on": "2026-07-10",
                "summary": "项目完成",
                "currency": "CNY",
                "surplus": "200.00",
                "surplus_handling": "similar_purpose",
                "surplus_note": "转入同类项目",
            },
        )
        self.set_date("2026-09-10")
        ids["prog2"] = a(
            self.implementer,
            "progress.reported",
            {
                "project": PUB,
                "period_start": "2026-06-01",
                "period_end": "2026-08-31",
                "summary": "探访 40 户",
                "beneficiaries": 40,
                "evidence": [],
            },
        )
        self.set_date("2027-04-10")
        ids["fin2026"] = a(
            self.foundation_admin,
            "financials.reported",
            H.financials_data(
                H.FOUNDATION,
                2026,
                total_income="1200000.00",
                charitable_spending="650000.00",
                management_costs="120000.00",
                fundraising_costs="30000.00",
                total_spending="820000.00",
                net_assets="2600000.00",
            ),
        )
        ids["svc_fin2026"] = a(
            self.registrar,
            "financials.reported",
            H.financials_data(
                H.SERVICE_ORG,
                2026,
                total_income="320000.00",
                charitable_spending="50000.00",
                management_costs="60000.00",
                fundraising_costs="0.00",
                total_spending="150000.00",
                net_assets="700000.00",
            ),
        )
        self.set_date("2027-04-20")
        ids["audit2026"] = a(
            self.auditor,
            "audit.opinion",
            {"org": H.FOUNDATION, "year": 2026, "opinion": "unqualified", "report_sha256": H.sha("audit-2026")},
        )
        self.set_date("2027-06-15")
        ids["last"] = a(self.registrar, "org.updated", {"org": H.SMALL_GROUP, "name_en": "Taoyuan Elderly Mutual Aid"})

    # --- helpers for the tests -------------------------------------------------------------------

    def store_donor(self) -> None:
        """Keep the donor's personal data of the 10,000.00 donation in the donor store."""
        store = DonorStore(self.ledger.engine, load_privacy_key(self.ledger.settings, create=True))
        seq = self.ledger.log.seq_of(self.ids["d_bank"])
        store.store(seq, DONOR, SALT)

    def install_system_key(self) -> Path:
        """Put the granted system key where reports look for it (keys/system.key, 0600)."""
        path = self.ledger.settings.home / "keys" / "system.key"
        if not path.exists():
            write_key_file(self.system, path, None)
        os.chmod(path, 0o600)
        return path


# --- three years, history loaded later ---------------------------------------------------------

GROWER = H.make_uscc("53440300MJL00005E")  # a foundation that gains the qualification in 2026
HIST, CAMP = "P-HIST-2024", "P-CAMP-2026"


class ThreeYearWorld(StoreWorld):
    """2024-2026 of a foundation (``GROWER``) whose 2024-2025 history was loaded into the log in
    2026 (the log begins on 2026-03-02), which gained the public-fundraising qualification
    effective 2026-01-01. The figures the tests assert are worked out here by hand.

    Recorded 2026-03-10 (back-loaded, each disclosure with the day it was published):

    - GROWER registered (registered_on 2023-05-01, no qualification); its admin and fundraiser;
    - ``HIST`` (directed, 2024-07-01..2025-06-30, implementer SERVICE_ORG): donations
      100,000.00 (2024-08-10) and 50,000.00 (2025-03-01); allocations 60,000.00 (2024-08-20) and
      90,000.00 (2025-03-05); payments 40,000.00 (2024-09-15) and 15,000.00 (2025-05-10);
    - progress on ``HIST`` (due 2024-10-01, 2025-01-01, 2025-04-01; final due 2025-09-30):
      published 2024-09-28 (on time), 2024-12-20 (on time), 2025-04-20 (late: a real lateness),
      2025-07-20 covering the end (the final disclosure, on time);
    - figures 2023 (published 2024-04-30; due before the first business day 2024-07-01, not
      asked) and 2024 (published 2025-06-20: late for 31 May 2025, a lateness the genesis date
      alone would hide).

    2026-04-20: figures 2025 (on time). ``self.first_size`` is the tree size here: the 2025
    annual report is made at it and again at the end.

    Later (2026 facts): the qualification (org.updated effective 2026-01-01, recorded
    2026-04-25); ``HIST``: payment 95,000.00 (2026-01-25, recorded
    2026-04-25), closed 2026-04-26 (closed_on 2026-04-26, no surplus); campaign ``CAMP``
    (fundraising 2026-06-01..2026-08-31, plan filed 2026-05-01, due 2026-05-22: on time),
    donation 20,000.00 (2026-06-10); figures 2026 recorded 2027-03-10.

    Positions of ``HIST``: end of 2024 raised 100,000.00, allocated 60,000.00, disbursed
    40,000.00, balance 60,000.00; end of 2025 150,000.00 / 150,000.00 / 55,000.00 / 95,000.00;
    now 150,000.00 / 150,000.00 / 150,000.00 / 0.00 (closed).

    Ratios: 2025 under the non-public foundation rule (tier under 4m by 2024's net assets
    3,000,000.00): 8 % = 240,000.00 required, 300,000.00 spent (10.00 %), passed (the public rule
    would want 70 % of 1,000,000.00 = 700,000.00: failed). 2026 under the public foundation rule:
    70 % of the lower of 2025's income 1,100,000.00 (770,000.00) and the 2023-2025 average
    1,000,000.00 (700,000.00); 828,500.00 spent = 82.85 %, management 90,000.00 of 1,000,000.00
    (9.00 %, cap 10 %): passed.
    """

    def __init__(self, home: Path, database_url: str | None = None) -> None:
        super().__init__(home, database_url, projects=False)
        self.ids: dict[str, str] = {}
        a, ids = self.append, self.ids
        self.set_date("2026-03-10")
        ids["org"] = a(
            self.registrar,
            "org.registered",
            H.org_data(GROWER, "foundation", name_zh="成长基金会", registered_on="2023-05-01"),
        )
        self.k["grower_admin"] = H.key("grower_admin")
        self.k["grower_fundraiser"] = H.key("grower_fundraiser")
        a(self.registrar, "key.granted", H.grant_data(self.grower_admin, "org_admin", GROWER))
        a(self.grower_admin, "key.granted", H.grant_data(self.grower_fundraiser, "fundraiser", GROWER))
        f = self.grower_fundraiser
        a(
            f,
            "project.registered",
            H.project_data(
                HIST,
                directed=True,
                title_zh="乡村图书室",
                start_date="2024-07-01",
                end_date="2025-06-30",
                implementers=[H.SERVICE_ORG],
            ),
        )
        for amount, day in (("100000.00", "2024-08-10"), ("50000.00", "2025-03-01")):
            ids[f"d{day[:4]}"] = a(f, "donation.received", donation(HIST, amount, received_on=day))
        for amount, day in (("60000.00", "2024-08-20"), ("90000.00", "2025-03-05")):
            a(f, "funds.allocated", H.allocation_data(HIST, amount, allocated_on=day))
        for amount, day in (("40000.00", "2024-09-15"), ("15000.00", "2025-05-10")):
            a(self.implementer, "funds.disbursed", H.disbursement_data(HIST, amount, paid_on=day))
        for n, (start, end, published) in enumerate(
            (
                ("2024-07-01", "2024-09-30", "2024-09-28"),
                ("2024-10-01", "2024-12-31", "2024-12-20"),
                ("2025-01-01", "2025-03-31", "2025-04-20"),
                ("2025-04-01", "2025-06-30", "2025-07-20"),
            ),
            1,
        ):
            ids[f"prog{n}"] = a(
                self.implementer,
                "progress.reported",
                {
                    "project": HIST,
                    "period_start": start,
                    "period_end": end,
                    "summary": f"第 {n} 期：图书室开放",
                    "evidence": [H.sha(f"hist-{n}")],
                    "published_on": published,
                    "publication_sha256": H.sha(f"hist-published-{n}"),
                },
            )
        for year, income, net, published in (
            (2023, "900000.00", "2800000.00", "2024-04-30"),
            (2024, "1000000.00", "3000000.00", "2025-06-20"),
        ):
            ids[f"fin{year}"] = a(
                self.grower_admin,
                "financials.reported",
                H.financials_data(
                    GROWER,
                    year,
                    total_income=income,
                    net_assets=net,
                    published_on=published,
                    publication_sha256=H.sha(f"annual-report-{year}"),
                ),
            )
        self.set_date("2026-04-20")
        ids["fin2025"] = a(
            self.grower_admin,
            "financials.reported",
            H.financials_data(
                GROWER,
                2025,
                total_income="1100000.00",
                charitable_spending="300000.00",
                management_costs="50000.00",
                fundraising_costs="10000.00",
                total_spending="400000.00",
                net_assets="3200000.00",
            ),
        )
        self.first_size = self.ledger.log.head().size

    def add_2026(self) -> None:
        """The 2026 facts (see the class docstring)."""
        a, ids, f = self.append, self.ids, self.grower_fundraiser
        self.set_date("2026-04-25")
        ids["qualified"] = a(
            self.registrar,
            "org.updated",
            {"org": GROWER, "public_fundraising": True, "effective_on": "2026-01-01", "reason": "取得公开募捐资格"},
        )
        a(self.implementer, "funds.disbursed", H.disbursement_data(HIST, "95000.00", paid_on="2026-01-25"))
        self.set_date("2026-04-26")
        a(
            f,
            "project.closed",
            {
                "project": HIST,
                "closed_on": "2026-04-26",
                "summary": "项目完成",
                "currency": "CNY",
                "surplus": "0.00",
                "surplus_handling": "none",
            },
        )
        a(
            f,
            "project.registered",
            H.project_data(
                CAMP,
                title_zh="乡村图书募捐",
                start_date="2026-06-01",
                end_date="2026-08-31",
                implementers=[H.SERVICE_ORG],
                plan=H.plan_data("2026-06-01", "2026-08-31"),
            ),
        )
        self.set_date("2026-05-01")
        ids["plan"] = a(f, "plan.filed", {"project": CAMP, "filing_number": "GR-2026-01"})
        self.set_date("2026-06-10")
        ids["d2026"] = a(f, "donation.received", donation(CAMP, "20000.00", received_on="2026-06-10"))
        self.set_date("2027-03-10")
        ids["fin2026"] = a(
            self.grower_admin,
            "financials.reported",
            H.financials_data(
                GROWER,
                2026,
                total_income="1300000.00",
                charitable_spending="828500.00",
                management_costs="90000.00",
                fundraising_costs="30000.00",
                total_spending="1000000.00",
                net_assets="3500000.00",
            ),
        )
