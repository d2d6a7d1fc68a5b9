"""A registry with enough in it for every page: a public project with donations of every
donor type, allocations to two implementers, payments in every category, progress reports,
oversight verdicts, an audit opinion, a correction, a report, a witness cosignature, and one
donor with personal data in the donor store (so a real receipt code exists); other donations
with genuine receipt codes with and without the log's receipt commitment, a donor record or an
erased one (``SiteWorld.receipts``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ledger.domain.privacy import donor_commitment, donor_fields, format_receipt_code
from ledger.protocol.checkpoint import cosign, format_witness_key
from ledger.protocol.keys import KeyPair
from ledger.protocol.note import parse_note
from ledger.store.donors import DonorStore, load_privacy_key
from tests.domain import helpers as H
from tests.support.store_world import StoreWorld

WITNESS_NAME = "witness.example/w1"
TRICKY_PAYEE = "A&B <script>alert(1)</script> 平台"  # must come out escaped everywhere
FIELDS = ("education", "health", "children", "disability", "environment")
REGIONS = ("440303", "440305", "440306", "440307")
EXTRA_PROJECTS = 20


@dataclass
class SiteWorld:
    world: StoreWorld
    receipt_code: str
    receipt_seq: int
    receipt_id: str
    witness_key: str  # the witness verifier key (type 0x04)
    witnessed_size: int
    donations: dict[str, str] = field(default_factory=dict)  # name -> entry id
    ids: dict[str, str] = field(default_factory=dict)
    # genuine receipt codes of other cases, by name: "no_record" (the log's receipt commitment, no
    # donor record), "erased" (commitment, record erased), "legacy" (no commitment, record kept),
    # "legacy_erased" (no commitment, record erased): name -> (code, seq, amount in minor units)
    receipts: dict[str, tuple[str, int, int]] = field(default_factory=dict)

    @property
    def ledger(self):  # type: ignore[no-untyped-def]
        return self.world.ledger


def build_world(home: Path) -> SiteWorld:
    w = StoreWorld(home)
    pub = w.PUB
    ids: dict[str, str] = {}
    donations: dict[str, str] = {}

    def donate(name: str, amount: str, donor_type: str, restricted: bool = True, **over: object) -> str:
        donations[name] = w.append(
            w.fundraiser,
            "donation.received",
            H.donation_data(pub, amount, restricted=restricted, donor_type=donor_type, **over),
        )
        return donations[name]

    for n in range(EXTRA_PROJECTS):
        w.append(
            w.fundraiser,
            "project.registered",
            H.project_data(
                f"P-D-{n:02d}",
                directed=True,
                title_zh=f"定向项目{n:02d}",
                title_en=f"Directed project {n:02d}",
                field=FIELDS[n % len(FIELDS)],
                region=REGIONS[n % len(REGIONS)],
                implementers=[H.SERVICE_ORG_2],
                target=f"{(n + 1) * 1000}.00",
            ),
        )

    salts = {name: os.urandom(16) for name in ("no_record", "erased", "legacy", "legacy_erased")}
    cases: dict[str, tuple[str, int]] = {}  # case -> (donation name, amount in minor units)

    def donate_case(case: str, name: str, amount: str, donor_type: str, *, committed: bool, **over: object) -> None:
        fields = donor_fields({}, salts[case]) if committed else {"commitment": donor_commitment({}, salts[case])}
        donate(name, amount, donor_type, **fields, **over)
        cases[case] = (name, int(amount.replace(".", "")))

    w.set_date("2026-03-21")
    donate("ind1", "1000.00", "individual")
    salt = os.urandom(16)
    personal = {"name": "王小明", "phone": "13800000000"}
    receipt_id = donate("mine", "1234.50", "individual", **donor_fields(personal, salt), receipt_no="SZ-R-0001")
    receipt_seq = w.seq - 1
    donate_case("legacy_erased", "ent", "50000.00", "enterprise", committed=False, channel="online_platform")
    donate_case("legacy", "fdn", "20000.00", "foundation", committed=False)
    donate_case("erased", "ind2", "2345.67", "individual", committed=True)
    donate("unres", "5000.00", "individual", restricted=False)
    donate_case("no_record", "anon", "88.00", "anonymous", committed=True)
    donate("typo", "300.00", "individual")

    w.set_date("2026-04-02")
    ids["alloc1"] = w.append(
        w.fundraiser, "funds.allocated", H.allocation_data(pub, "40000.00", allocated_on="2026-04-02")
    )
    ids["alloc2"] = w.append(
        w.fundraiser,
        "funds.allocated",
        H.allocation_data(pub, "20000.00", implementer=H.SERVICE_ORG_2, allocated_on="2026-04-02"),
    )

    w.set_date("2026-04-20")
    ids["pay1"] = w.append(
        w.implementer,
        "funds.disbursed",
        H.disbursement_data(
            pub,
            "15000.00",
            payee="福田区长者饭堂",
            purpose="四月助餐补贴",
            paid_on="2026-04-20",
            evidence=[H.sha("inv-1"), H.sha("contract-1")],
        ),
    )
    ids["pay2"] = w.append(
        w.implementer,
        "funds.disbursed",
        H.disbursement_data(
            pub,
            "8000.00",
            payee="莲花街道社区食堂",
            purpose="送餐服务",
            paid_on="2026-04-20",
            evidence=[H.sha("inv-2")],
        ),
    )
    ids["pay3"] = w.append(
        w.implementer,
        "funds.disbursed",
        H.disbursement_data(
            pub,
            "1200.00",
            category="admin",
            payee="深圳某会计师事务所",
            purpose="项目审计费",
            paid_on="2026-04-20",
            evidence=[H.sha("inv-3")],
        ),
    )
    ids["pay4"] = w.append(
        w.implementer2,
        "funds.disbursed",
        H.disbursement_data(
            pub,
            "9000.00",
            payee="福田区长者饭堂",
            purpose="探访与助餐",
            paid_on="2026-04-20",
            evidence=[H.sha("inv-4")],
        ),
    )
    ids["pay5"] = w.append(
        w.implementer2,
        "funds.disbursed",
        H.disbursement_data(
            pub,
            "500.00",
            category="fundraising_cost",
            payee=TRICKY_PAYEE,
            purpose="平台服务费",
            paid_on="2026-04-20",
            evidence=[],
        ),
    )

    w.set_date("2026-05-25")
    ids["progress1"] = w.append(
        w.implementer,
        "progress.reported",
        {
            "project": pub,
            "period_start": "2026-03-01",
            "period_end": "2026-05-31",
            "summary": "三个月助餐 3600 人次。\n\n探访独居老人 120 户。",
            "beneficiaries": 240,
            "evidence": [H.sha("photos-q1")],
        },
    )
    ids["approve"] = w.append(
        w.overseer, "attestation.recorded", {"target": ids["pay1"], "verdict": "approved", "findings": "核对发票无误"}
    )
    ids["flag"] = w.append(
        w.overseer,
        "attestation.recorded",
        {"target": ids["pay3"], "verdict": "flagged", "findings": "审计费用缺少合同"},
    )
    ids["correction"] = w.append(
        w.fundraiser,
        "entry.corrected",
        {"target": donations["typo"], "reason": "重复录入", "project": pub, "currency": "CNY", "amount": "300.00"},
    )

    w.set_date("2026-06-10")
    ids["audit"] = w.append(
        w.auditor,
        "audit.opinion",
        {"org": H.FOUNDATION, "year": 2025, "opinion": "unqualified", "report_sha256": H.sha("audit-2025")},
    )
    ids["report"] = w.append(
        w.system,
        "report.issued",
        {
            "kind": "annual-work-report",
            "subject": H.FOUNDATION,
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "rule_set": "cn-charity/1",
            "tree_size": w.seq,
            "root": H.sha("root"),
            "files": [
                {"name": "report.pdf", "sha256": H.sha("pdf"), "size": 1000},
                {"name": "report.csv", "sha256": H.sha("csv"), "size": 200},
            ],
        },
    )

    # a witness cosigns the checkpoint at this size
    witness = KeyPair.from_seed(b"site-test-witness")
    store = w.ledger.log
    size = store.head().size
    text = parse_note(store.checkpoint_at(size)).text
    line = cosign(text, witness, WITNESS_NAME, 1_780_000_000)
    store.add_cosignature(size, WITNESS_NAME, line.rstrip("\n"), 1_780_000_000)

    # one more entry after the witnessed checkpoint
    w.set_date("2026-06-12")
    donate("late", "66.00", "individual")

    donor_store = DonorStore(w.ledger.engine, load_privacy_key(w.ledger.settings))
    donor_store.store(receipt_seq, personal, salt)
    receipts = {}
    for case, (name, minor) in cases.items():
        seq = w.ledger.log.position_of(donations[name])
        if case != "no_record":
            donor_store.store(seq, {}, salts[case])
        if case.endswith("erased"):
            donor_store.erase(seq)
        receipts[case] = (format_receipt_code(seq, salts[case]), seq, minor)
    return SiteWorld(
        world=w,
        receipt_code=format_receipt_code(receipt_seq, salt),
        receipt_seq=receipt_seq,
        receipt_id=receipt_id,
        witness_key=format_witness_key(WITNESS_NAME, witness.public),
        witnessed_size=size,
        donations=donations,
        ids=ids,
        receipts=receipts,
    )
