"""Oversight over HTTP: disclosure deadlines (public), an overseer's desk (public) and its risk
signals (regulator token), against a registry with fixed dates in the real store.

The registry (tests.domain.helpers.World, appended through the log store): PUB (public
fundraising, plan filed on time) and DIR (directed) run 2026-03-01 .. 2027-02-28, implemented
by two service organisations and overseen by OVERSIGHT. PUB raised 300,000.00 and paid out
49,000.00 (flagged: just under a 50,000.00 approval threshold), 120.00 to its own fundraising
foundation, and 300.00 (queried, then resolved); DIR paid 500.00 to the same canteen as PUB's
first payment (written with a space). PUB reported progress on 20 May; DIR never
did, so DIR's first progress disclosure (due 1 June) is overdue from 2 June; the charities'
2025 annual reports were due on 31 May and none was reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from api.config import ApiSettings
from api.tokens import create_token
from ledger.cli.app import create_app
from tests.domain import helpers as H
from tests.support.store_world import StoreWorld

OVERSIGHT = H.OVERSIGHT
PUB, DIR = H.World.PUB, H.World.DIR
CHARITIES = sorted([H.FOUNDATION, H.SERVICE_ORG, H.SERVICE_ORG_2, H.SMALL_GROUP])
PROGRESS_EN = "A project longer than 6 months discloses its progress and use of money at least every 3 months."
PROGRESS_ZH = "慈善项目实施周期超过六个月的，至少每三个月公开一次项目实施情况。"


def build_desk(home: Path, database_url: str | None = None) -> tuple[StoreWorld, dict[str, str]]:
    w = StoreWorld(home, database_url=database_url)
    ids: dict[str, str] = {"plan": w.plan}
    w.append(w.fundraiser, "donation.received", H.donation_data(PUB, "300000.00"))
    ids["allocation"] = w.append(w.fundraiser, "funds.allocated", H.allocation_data(PUB, "250000.00"))
    ids["near"] = w.append(w.implementer, "funds.disbursed", H.disbursement_data(PUB, "49000.00"))
    ids["own"] = w.append(
        w.implementer, "funds.disbursed", H.disbursement_data(PUB, "120.00", payee=f"转账至 {H.FOUNDATION} 账户")
    )
    ids["small"] = w.append(w.implementer, "funds.disbursed", H.disbursement_data(PUB, "300.00"))
    w.append(w.fundraiser, "donation.received", H.donation_data(DIR, "1000.00"))
    ids["dir_allocation"] = w.append(w.fundraiser, "funds.allocated", H.allocation_data(DIR, "1000.00"))
    ids["dir_pay"] = w.append(
        w.implementer, "funds.disbursed", H.disbursement_data(DIR, "500.00", payee="福田区 长者饭堂")
    )

    def verdict(name: str, target: str, value: str, findings: str) -> None:
        ids[name] = w.append(
            w.overseer, "attestation.recorded", {"target": ids[target], "verdict": value, "findings": findings}
        )

    verdict("approve", "allocation", "approved", "拨付与计划一致")
    verdict("flag", "near", "flagged", "接近审批门槛")
    verdict("query", "small", "queried", "请补充发票")
    verdict("resolve", "small", "resolved", "发票已补充")
    w.set_date("2026-05-20")
    ids["progress"] = w.append(
        w.implementer,
        "progress.reported",
        {
            "project": PUB,
            "period_start": "2026-03-01",
            "period_end": "2026-05-19",
            "summary": "三月至五月助餐 1200 人次",
            "evidence": [H.sha("photos")],
        },
    )
    return w, ids


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StoreWorld, dict[str, str], TestClient]]:
    world, ids = build_desk(Path(tmp_path_factory.mktemp("oversight-api")) / "home")
    with TestClient(create_app(world.ledger, api_settings=ApiSettings(write_rate=0))) as client:
        yield world, ids, client


def seq_of(world: StoreWorld, leaf_hash: str) -> int:
    return world.ledger.log.seq_of(leaf_hash)


def annual(org: str, status: str, days: int) -> dict[str, Any]:
    return {
        "rule": "annual_report",
        "status": status,
        "due_on": "2026-05-31",
        "days": days,
        "org": org,
        "subject": f"{org}/2025",
        "ruleset": "cn-charity/1",
        "project": None,
        "index": None,
        "period_start": None,
        "period_end": None,
    }


def dir_progress(status: str, days: int) -> dict[str, Any]:
    return {
        "rule": "progress_disclosure",
        "status": status,
        "due_on": "2026-06-01",
        "days": days,
        "org": H.FOUNDATION,
        "subject": DIR,
        "ruleset": "cn-charity/1",
        "project": DIR,
        "index": 1,
        "period_start": "2026-03-01",
        "period_end": "2026-05-31",
        "source": "charity-law art. 72 (2016 numbering, unverified)",
        "en": PROGRESS_EN,
        "zh": PROGRESS_ZH,
    }


def without_texts(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("source", "en", "zh")}


# --- deadlines --------------------------------------------------------------------------------


def test_deadlines_overdue_first_then_by_due_date(desk):
    _, _, client = desk
    r = client.get("/api/v1/deadlines", params={"on": "2026-06-05"})
    assert r.status_code == 200
    body = r.json()
    assert body["on"] == "2026-06-05" and body["next_cursor"] is None
    items = body["items"]
    # the 2025 annual reports of the four charities (5 days late), then DIR's first progress
    # disclosure (4 days late); PUB's was made on 20 May; the next ones fall due on 1 September
    assert [without_texts(i) for i in items[:4]] == [annual(org, "overdue", 5) for org in CHARITIES]
    assert items[4] == dir_progress("overdue", 4)
    assert len(items) == 5
    assert (items[0]["source"], items[0]["en"], items[0]["zh"]) == (
        "disclosure-measures",
        "Publish the annual work report and financial report by 31 May of the following year.",
        "于每年5月31日前公开上一年度的年度工作报告和财务会计报告。",
    )


def test_deadlines_window_and_filters(desk):
    _, _, client = desk

    def get(**params: Any) -> list[dict[str, Any]]:
        r = client.get("/api/v1/deadlines", params=params)
        assert r.status_code == 200, r.text
        return r.json()["items"]

    # on 20 May, within the default 14 days: the annual reports in 11 days, DIR's progress in 12
    due = get(on="2026-05-20")
    assert [without_texts(i) for i in due] == [annual(org, "due", 11) for org in CHARITIES] + [
        without_texts(dir_progress("due", 12))
    ]
    assert [i["subject"] for i in get(on="2026-05-20", window=11)] == [f"{org}/2025" for org in CHARITIES]
    assert get(on="2026-05-20", window=10) == []
    # status, organisation that has to act, project
    assert len(get(on="2026-06-05", status="overdue")) == 5 and get(on="2026-06-05", status="due") == []
    assert [(i["rule"], i["subject"]) for i in get(on="2026-06-05", org=H.FOUNDATION)] == [
        ("annual_report", f"{H.FOUNDATION}/2025"),
        ("progress_disclosure", DIR),
    ]
    assert [(i["rule"], i["subject"]) for i in get(on="2026-06-05", org=H.SERVICE_ORG)] == [
        ("annual_report", f"{H.SERVICE_ORG}/2025")
    ]
    assert get(on="2026-06-05", project=DIR) == [dir_progress("overdue", 4)]
    assert get(on="2026-06-05", project=PUB) == []
    assert get(on="2026-06-05", project=DIR, org=H.SERVICE_ORG) == []
    # on 2 September PUB's second period (June to August) is overdue too, one day late
    later = get(on="2026-09-02", project=PUB)
    assert [(i["index"], i["due_on"], i["days"], i["period_start"], i["period_end"]) for i in later] == [
        (2, "2026-09-01", 1, "2026-06-01", "2026-08-31"),
    ]


def test_deadlines_pages_keep_their_day(desk):
    _, _, client = desk
    everything = client.get("/api/v1/deadlines", params={"on": "2026-06-05"}).json()["items"]
    first = client.get("/api/v1/deadlines", params={"on": "2026-06-05", "limit": 2}).json()
    assert first["items"] == everything[:2] and first["next_cursor"]
    # the cursor carries the day: the next pages need no `on`
    second = client.get("/api/v1/deadlines", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert second["on"] == "2026-06-05" and second["items"] == everything[2:4]
    third = client.get(
        "/api/v1/deadlines", params={"on": "2026-06-05", "limit": 2, "cursor": second["next_cursor"]}
    ).json()
    assert third["items"] == everything[4:] and third["next_cursor"] is None
    # a cursor of another day, or of another list, is refused
    other_day = client.get("/api/v1/deadlines", params={"on": "2026-06-06", "cursor": first["next_cursor"]})
    assert (other_day.status_code, other_day.json()["code"]) == (400, "cursor_invalid")
    other_list = client.get("/api/v1/deadlines", params={"cursor": "WzQxXQ"})
    assert (other_list.status_code, other_list.json()["code"]) == (400, "cursor_invalid")


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"on": "2026-02-30"}, 400, "parameter_invalid"),
        ({"on": "1999-12-31"}, 400, "parameter_invalid"),
        ({"on": "26-06-05"}, 400, "parameter_invalid"),
        ({"window": "367"}, 400, "parameter_invalid"),
        ({"status": "late"}, 400, "parameter_invalid"),
        ({"org": "not-a-code"}, 400, "parameter_invalid"),
        ({"on": "2024-09-04"}, 404, "ruleset_not_in_force"),  # the day before cn-charity/1 took effect
    ],
)
def test_deadline_parameters_are_checked(desk, params, status, code):
    _, _, client = desk
    r = client.get("/api/v1/deadlines", params=params)
    assert r.status_code == status and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code


# --- the overseer's desk ----------------------------------------------------------------------


def test_overseer_view(desk):
    world, ids, client = desk
    r = client.get(f"/api/v1/overseers/{OVERSIGHT}", params={"on": "2026-06-05"})
    assert r.status_code == 200
    view = r.json()
    assert (view["org"], view["on"], view["projects"]) == (OVERSIGHT, "2026-06-05", [DIR, PUB])
    # awaiting its verdict, by seq: the plan filing, the payment to the foundation, DIR's
    # allocation and payment, the progress report (PUB's allocation was approved, the 49,000.00
    # payment flagged, the 300.00 one queried and resolved; donations are not judged)
    awaiting = view["awaiting"]
    assert [(e["id"], e["type"]) for e in awaiting["items"]] == [
        (ids["plan"], "plan.filed"),
        (ids["own"], "funds.disbursed"),
        (ids["dir_allocation"], "funds.allocated"),
        (ids["dir_pay"], "funds.disbursed"),
        (ids["progress"], "progress.reported"),
    ]
    own = awaiting["items"][1]
    assert own == {
        "id": ids["own"],
        "seq": seq_of(world, ids["own"]),
        "type": "funds.disbursed",
        "time": own["time"],
        "signer_org": H.SERVICE_ORG,
        "signer_role": "implementer",
        "project": PUB,
        "amount": "120.00",
        "currency": "CNY",
        "last_verdict": None,
    }
    assert awaiting["next_cursor"] is None
    # its queries and flags with what became of them
    findings = {f["attestation"]: f for f in view["findings"]}
    assert set(findings) == {ids["flag"], ids["query"]}
    flag, query = findings[ids["flag"]], findings[ids["query"]]
    assert (flag["status"], flag["verdict"], flag["target"], flag["findings"], flag["resolved_by"]) == (
        "open",
        "flagged",
        ids["near"],
        "接近审批门槛",
        None,
    )
    assert (query["status"], query["resolved_by"], query["target_last_verdict"], query["project"]) == (
        "resolved",
        ids["resolve"],
        "resolved",
        PUB,
    )
    assert query["resolved_time"] is not None and query["target_type"] == "funds.disbursed"
    # overdue: DIR's progress and the annual reports of the projects' organisations (not the
    # community group, which has nothing to do with these projects)
    overdue = [without_texts(i) for i in view["overdue"]]
    assert overdue == [annual(org, "overdue", 5) for org in CHARITIES if org != H.SMALL_GROUP] + [
        without_texts(dir_progress("overdue", 4))
    ]
    assert "risks" not in view  # risk signals are not public


def test_awaiting_pages(desk):
    _, ids, client = desk
    first = client.get(f"/api/v1/overseers/{OVERSIGHT}", params={"limit": 1}).json()["awaiting"]
    assert [e["id"] for e in first["items"]] == [ids["plan"]] and first["next_cursor"]
    rest = client.get(
        f"/api/v1/overseers/{OVERSIGHT}/awaiting", params={"cursor": first["next_cursor"], "limit": 3}
    ).json()
    assert [e["id"] for e in rest["items"]] == [ids["own"], ids["dir_allocation"], ids["dir_pay"]]
    last = client.get(f"/api/v1/overseers/{OVERSIGHT}/awaiting", params={"cursor": rest["next_cursor"]}).json()
    assert [e["id"] for e in last["items"]] == [ids["progress"]] and last["next_cursor"] is None
    everything = client.get(f"/api/v1/overseers/{OVERSIGHT}/awaiting").json()
    assert [e["id"] for e in everything["items"]] == [
        ids["plan"],
        ids["own"],
        ids["dir_allocation"],
        ids["dir_pay"],
        ids["progress"],
    ]
    bad = client.get(f"/api/v1/overseers/{OVERSIGHT}/awaiting", params={"cursor": "not a cursor"})
    assert (bad.status_code, bad.json()["code"]) == (400, "cursor_invalid")


def test_overseer_of_nothing_and_unknown_organisations(desk):
    _, _, client = desk
    idle = client.get(f"/api/v1/overseers/{H.AUDITOR}").json()  # registered, oversees no project
    assert (idle["projects"], idle["awaiting"]["items"], idle["findings"], idle["overdue"]) == ([], [], [], [])
    unknown = client.get("/api/v1/overseers/91440300MA5F99999X")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    assert client.get(f"/api/v1/overseers/{H.AUDITOR}/awaiting").json() == {"items": [], "next_cursor": None}
    assert client.get("/api/v1/overseers/91440300MA5F99999X/awaiting").status_code == 404
    bad = client.get("/api/v1/overseers/lowercase")
    assert (bad.status_code, bad.json()["code"]) == (400, "parameter_invalid")


# --- risk signals -----------------------------------------------------------------------------


def test_risk_signals_need_the_regulator_scope(desk):
    world, _, client = desk
    path = f"/api/v1/overseers/{OVERSIGHT}/risks"
    r = client.get(path)
    assert (r.status_code, r.json()["code"]) == (401, "not_authenticated") and r.headers["www-authenticate"].startswith(
        "Bearer"
    )
    robot = create_token(world.ledger.engine, "report robot", ["reports"])
    r = client.get(path, headers={"authorization": f"Bearer {robot}"})
    assert (r.status_code, r.json()["code"], r.json()["params"]["scope"]) == (403, "token_scope_missing", "regulator")


def test_risk_signals(desk):
    world, ids, client = desk
    auth = {"authorization": f"Bearer {create_token(world.ledger.engine, 'civil affairs bureau', ['regulator'])}"}
    path = f"/api/v1/overseers/{OVERSIGHT}/risks"
    r = client.get(path, params={"threshold": "50000.00 CNY"}, headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["org"], body["thresholds"], body["band_bp"], body["min_projects"]) == (
        OVERSIGHT,
        {"CNY": "50000.00"},
        1000,
        3,
    )
    near, own = body["items"]
    assert near == {
        "kind": "near_threshold",
        "payee": "福田区长者饭堂",
        "projects": [PUB],
        "en": "Paid 49000.00 CNY, just under the approval threshold of 50000.00 CNY.",
        "zh": "支出 49000.00 CNY，略低于审批门槛 50000.00 CNY。",
        "entry": ids["near"],
        "seq": seq_of(world, ids["near"]),
        "amount": "49000.00",
        "currency": "CNY",
    }
    assert (own["kind"], own["entry"], own["amount"], own["payee"]) == (
        "own_payee",
        ids["own"],
        "120.00",
        f"转账至 {H.FOUNDATION} 账户",
    )
    # without a threshold no payment is "just under" one; a narrower band leaves 49,000.00 out
    assert [s["kind"] for s in client.get(path, headers=auth).json()["items"]] == ["own_payee"]
    narrow = client.get(path, params={"threshold": "50000.00", "band_bp": 100}, headers=auth).json()
    assert [s["kind"] for s in narrow["items"]] == ["own_payee"] and narrow["thresholds"] == {"CNY": "50000.00"}
    # the canteen is paid by two projects (its name written two ways): a signal when two are enough
    shared = client.get(path, params={"min_projects": 2}, headers=auth).json()["items"]
    assert [(s["kind"], s["projects"], s["entry"], s["amount"]) for s in shared] == [
        ("shared_payee", [DIR, PUB], None, None),
        ("own_payee", [PUB], ids["own"], "120.00"),
    ]
    assert shared[0]["en"] == "The same payee is paid by 2 projects."


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"threshold": "50000 CNY"}, "amount_invalid"),
        ({"threshold": "50000.00 XYZ"}, "currency_invalid"),
        ({"threshold": ["50000.00 CNY", "40000.00"]}, "parameter_invalid"),
        ({"band_bp": 0}, "parameter_invalid"),
        ({"min_projects": 1}, "parameter_invalid"),
    ],
)
def test_risk_parameters_are_checked(desk, params, code):
    world, _, client = desk
    auth = {"authorization": f"Bearer {create_token(world.ledger.engine, 'bureau', ['regulator'])}"}
    r = client.get(f"/api/v1/overseers/{OVERSIGHT}/risks", params=params, headers=auth)
    assert (r.status_code, r.json()["code"]) == (400, code)


def test_openapi_documents_the_oversight_operations(desk):
    _, _, client = desk
    schema = client.get("/schema/openapi.json").json()
    ops = {
        op["operationId"]: (path, op)
        for path, item in schema["paths"].items()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    for name, path in (
        ("listDeadlines", "/api/v1/deadlines"),
        ("getOverseerView", "/api/v1/overseers/{org}"),
        ("listAwaitingVerdict", "/api/v1/overseers/{org}/awaiting"),
        ("getOverseerRisks", "/api/v1/overseers/{org}/risks"),
    ):
        assert ops[name][0] == path and ops[name][1]["tags"] == ["oversight"]
    assert ops["getOverseerRisks"][1]["security"] == [{"bearer": []}]
    assert "security" not in ops["listDeadlines"][1] and "security" not in ops["getOverseerView"][1]
    assert "oversight" in {t["name"] for t in schema["tags"]}


@pytest.mark.postgres
def test_deadlines_and_desk_on_postgresql(pg_schema_url, tmp_path):
    world, ids = build_desk(tmp_path / "pg", database_url=pg_schema_url)
    try:
        with TestClient(create_app(world.ledger, api_settings=ApiSettings(write_rate=0))) as client:
            items = client.get("/api/v1/deadlines", params={"on": "2026-06-05"}).json()["items"]
            assert [without_texts(i) for i in items] == [annual(org, "overdue", 5) for org in CHARITIES] + [
                without_texts(dir_progress("overdue", 4))
            ]
            view = client.get(f"/api/v1/overseers/{OVERSIGHT}", params={"on": "2026-06-05"}).json()
            assert [e["id"] for e in view["awaiting"]["items"]] == [
                ids["plan"],
                ids["own"],
                ids["dir_allocation"],
                ids["dir_pay"],
                ids["progress"],
            ]
            assert {(f["attestation"], f["status"]) for f in view["findings"]} == {
                (ids["flag"], "open"),
                (ids["query"], "resolved"),
            }
    finally:
        world.ledger.engine.dispose()
