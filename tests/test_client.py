"""The charity client: local signing, LocalSink and HttpSink, record_donation, the submit CLI."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from api.config import ApiSettings
from ledger import cli
from ledger.cli.app import create_app
from ledger.domain.privacy import format_receipt_code, parse_receipt_code, receipt_commitment, verify_commitment
from ledger.domain.rows import FundRow
from ledger.domain.uscc import make_uscc
from ledger.errors import LedgerError
from ledger.protocol.canonical import now
from ledger.protocol.entry import parse_leaf_json
from ledger.protocol.keys import KeyPair, write_key_file
from ledger.services.client import (
    Client,
    DonationReceipt,
    HttpSink,
    LocalSink,
    RemoteError,
    amount_text,
    auto_idem,
    china_today,
    refused_code,
    refused_position,
)
from ledger.store.donors import DonorStore, find_donation_by_receipt, load_privacy_key
from ledger.store.log_store import MAX_BATCH
from tests.support.ledger_factory import ORIGIN, LedgerFactory
from tests.support.world import grant_data, key

FOUNDATION = make_uscc("53440300MJL09001A")
SERVICE = make_uscc("52440300MJL09002B")
OVERSIGHT = make_uscc("12440300MB0900011")
DIRECTED = "P-TEST-DIRECTED"
PUBLIC = "P-TEST-PUBLIC"


def k(name: str) -> KeyPair:
    return key(name, "client-test/")


@dataclass
class World:
    """A small registry: a qualified foundation raising funds, a service organisation carrying
    them out, an oversight body; a directed project and a public emergency campaign."""

    factory: LedgerFactory
    ledger: Any
    registrar: Client
    fundraiser: Client
    implementer: Client
    overseer: Client

    def client(self, key: KeyPair) -> Client:
        return Client(key, ORIGIN, LocalSink(self.ledger))

    def size(self) -> int:
        return self.ledger.log.head().size

    def fund(self, project: str = DIRECTED) -> FundRow:
        from sqlalchemy import select

        from ledger.store.projection_tables import table_for

        table = table_for(FundRow)
        with self.ledger.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.project == project)).mappings().one()
        return FundRow(**row)

    def leaves(self) -> list[bytes]:
        return list(self.ledger.log.iter_leaves())


def build_world(factory: LedgerFactory) -> World:
    ledger = factory.with_genesis()
    sink = LocalSink(ledger)
    registrar = Client(factory.registrar, ORIGIN, sink)
    registrar.append_batch(
        [
            (
                "org.registered",
                {
                    "org": FOUNDATION,
                    "name_zh": "测试公益基金会",
                    "legal_form": "foundation",
                    "track": "registered",
                    "public_fundraising": True,
                },
                None,
            ),
            (
                "org.registered",
                {
                    "org": SERVICE,
                    "name_zh": "测试社工服务中心",
                    "legal_form": "social_service_org",
                    "track": "registered",
                    "public_fundraising": False,
                },
                None,
            ),
            (
                "org.registered",
                {
                    "org": OVERSIGHT,
                    "name_zh": "测试监督委员会",
                    "legal_form": "other",
                    "track": "registered",
                    "public_fundraising": False,
                },
                None,
            ),
            (
                "key.granted",
                grant_data(k("f-admin"), "org_admin", FOUNDATION, "秘书处"),
                None,
            ),
            (
                "key.granted",
                grant_data(k("s-admin"), "org_admin", SERVICE, "行政部"),
                None,
            ),
            (
                "key.granted",
                grant_data(k("overseer"), "overseer", OVERSIGHT, "监督组"),
                None,
            ),
        ]
    )
    Client(k("f-admin"), ORIGIN, sink).append(
        "key.granted",
        grant_data(k("fundraiser"), "fundraiser", FOUNDATION, "募捐部"),
    )
    Client(k("f-admin"), ORIGIN, sink).append(
        "key.granted",
        grant_data(k("fundraiser-2"), "fundraiser", FOUNDATION, "募捐部 2"),
    )
    Client(k("s-admin"), ORIGIN, sink).append(
        "key.granted",
        grant_data(k("implementer"), "implementer", SERVICE, "财务部"),
    )
    fundraiser = Client(k("fundraiser"), ORIGIN, sink)
    today = now().date()
    fundraiser.append(
        "project.registered",
        {
            "project": DIRECTED,
            "title_zh": "测试定向项目",
            "field": "elderly_care",
            "region": "深圳市",
            "start_date": "2024-01-01",
            "end_date": "2027-12-31",
            "currency": "CNY",
            "target": "100000.00",
            "implementers": [SERVICE],
            "overseers": [OVERSIGHT],
            "directed": True,
            "emergency": False,
        },
    )
    start = (today - timedelta(days=3)).isoformat()
    fundraiser.append(
        "project.registered",
        {
            "project": PUBLIC,
            "title_zh": "测试紧急募捐",
            "field": "disaster_relief",
            "region": "深圳市",
            "start_date": start,
            "end_date": "2027-12-31",
            "currency": "CNY",
            "target": "100000.00",
            "implementers": [SERVICE],
            "overseers": [OVERSIGHT],
            "directed": False,
            "emergency": True,
            "plan": {
                "purpose": "救灾",
                "fundraising_start": start,
                "fundraising_end": "2027-06-30",
                "area": "深圳市",
                "responsible_person": "张主任",
                "office_address": "深圳市福田区示例路 1 号",
                "receiving_methods": "银行转账",
                "bank_account": "示例银行 0001",
                "beneficiaries": "受灾群众",
                "use_of_funds": "应急物资",
                "fundraising_cost": "不超过 2%",
                "surplus_handling": "同类用途",
            },
        },
    )
    fundraiser.append("plan.filed", {"project": PUBLIC})
    return World(
        factory,
        ledger,
        registrar,
        fundraiser,
        Client(k("implementer"), ORIGIN, sink),
        Client(k("overseer"), ORIGIN, sink),
    )


@pytest.fixture
def world(factory: LedgerFactory) -> World:
    return build_world(factory)


def donation(amount: str = "100.00", **over: Any) -> dict[str, Any]:
    data = {
        "project": DIRECTED,
        "currency": "CNY",
        "amount": amount,
        "kind": "money",
        "channel": "bank_transfer",
        "donor_type": "anonymous",
        "commitment": "ab" * 32,
        "restricted": True,
        "received_on": "2026-01-05",
    }
    data.update(over)
    return data


# --- signing and appending locally ------------------------------------------------------------------


def test_append_signs_with_the_clients_key_and_a_deterministic_idem(world: World) -> None:
    before = world.size()
    result = world.fundraiser.append("donation.received", donation())
    assert (result.seq, result.existing, result.tree_size) == (before, False, before + 1)
    body = parse_leaf_json(world.ledger.log.leaf(result.seq))["body"]
    assert body["signer"] == k("fundraiser").id
    assert body["log"] == ORIGIN
    assert body["idem"] == auto_idem("donation.received", donation()) and body["idem"].startswith("auto:")
    assert body["data"] == donation()
    assert world.fund().raised_minor == 10000


def test_the_same_facts_twice_are_refused_unless_an_idem_is_given(world: World) -> None:
    world.fundraiser.append("donation.received", donation())
    # signed again a second later (the body's "at" differs, the facts and so the idem do not)
    later = Client(
        world.fundraiser.key, world.fundraiser.origin, world.fundraiser.sink, clock=lambda: now() + timedelta(seconds=1)
    )
    with pytest.raises(LedgerError) as info:
        later.append("donation.received", donation())
    assert info.value.code == "idem_conflict"
    second = world.fundraiser.append("donation.received", donation(), idem="bank-2026-01-05-0002")
    assert parse_leaf_json(world.ledger.log.leaf(second.seq))["body"]["idem"] == "bank-2026-01-05-0002"
    assert world.fund().raised_minor == 20000 and world.fund().donations_count == 2


def test_append_batch_is_atomic_and_names_the_refused_entry(world: World) -> None:
    world.fundraiser.append("donation.received", donation("500.00"))
    results = world.fundraiser.append_batch(
        [
            (
                "funds.allocated",
                {
                    "project": DIRECTED,
                    "currency": "CNY",
                    "amount": "300.00",
                    "implementer": SERVICE,
                    "source": "restricted",
                    "allocated_on": "2026-01-06",
                },
                "alloc-1",
            ),
            (
                "funds.allocated",
                {
                    "project": DIRECTED,
                    "currency": "CNY",
                    "amount": "200.00",
                    "implementer": SERVICE,
                    "source": "restricted",
                    "allocated_on": "2026-01-06",
                },
                "alloc-2",
            ),
        ]
    )
    assert [r.seq for r in results] == [results[0].seq, results[0].seq + 1]
    assert results[0].tree_size == results[1].tree_size == results[1].seq + 1
    size = world.size()
    pay = {
        "project": DIRECTED,
        "currency": "CNY",
        "category": "program",
        "payee": "长者饭堂",
        "purpose": "助餐",
        "paid_on": "2026-01-07",
        "evidence": [],
    }
    with pytest.raises(LedgerError) as info:
        world.implementer.append_batch(
            [
                ("funds.disbursed", dict(pay, amount="400.00"), "pay-1"),
                ("funds.disbursed", dict(pay, amount="100.01"), "pay-2"),  # 400 + 100.01 > 500 allocated
            ]
        )
    assert refused_position(info.value) == 1
    assert refused_code(info.value) == "insufficient_allocation"
    assert world.size() == size, "nothing of a refused batch is written"
    assert world.fund().disbursed_minor == 0


def test_append_batch_sends_runs_of_at_most_1000(world: World) -> None:
    calls: list[int] = []
    sink = LocalSink(world.ledger)
    real = sink.append

    def counting(entries):  # type: ignore[no-untyped-def]
        calls.append(len(entries))
        return real(entries)

    sink.append = counting  # type: ignore[method-assign]
    implementer = Client(k("implementer"), ORIGIN, sink)
    items = [
        (
            "progress.reported",
            {
                "project": DIRECTED,
                "period_start": "2026-01-01",
                "period_end": "2026-01-31",
                "summary": f"第 {i} 次进展",
                "evidence": [],
            },
            None,
        )
        for i in range(MAX_BATCH + 5)
    ]
    results = implementer.append_batch(items)
    assert calls == [MAX_BATCH, 5]
    assert [r.seq for r in results] == list(range(results[0].seq, results[0].seq + MAX_BATCH + 5))


# --- donations and the donor store ------------------------------------------------------------------


def test_record_donation_keeps_personal_data_out_of_the_log(world: World) -> None:
    personal = {"name": "王小明", "id_number": "110101199003074514", "phone": "13900001111"}
    receipt = world.fundraiser.record_donation(
        DIRECTED, "88.80", received_on="2026-01-05", channel="online_platform", personal=personal
    )
    assert isinstance(receipt, DonationReceipt) and str(receipt) == receipt.code and receipt.stored
    parsed = parse_receipt_code(receipt.code)
    assert (parsed.seq, parsed.salt) == (receipt.seq, receipt.salt)
    body = parse_leaf_json(world.ledger.log.leaf(receipt.seq))["body"]
    assert body["data"]["donor_type"] == "individual" and body["data"]["amount"] == "88.80"
    assert body["idem"] == "donation:" + receipt.salt.hex()
    assert verify_commitment(body["data"]["commitment"], personal, receipt.salt)
    raw = b"\n".join(world.leaves())
    for value in personal.values():
        assert value.encode() not in raw
    store = DonorStore(world.ledger.engine, load_privacy_key(world.ledger.settings))
    assert store.get(receipt.seq).personal == personal
    found, row = store.find_by_receipt(receipt.code)
    assert found.seq == receipt.seq and row["amount_minor"] == 8880
    # the entry commits to the code's secret, so the code proves itself against the log alone
    assert body["data"]["receipt"] == receipt_commitment(receipt.salt)
    store.erase(receipt.seq)
    assert find_donation_by_receipt(world.ledger.engine, receipt.code)[1]["seq"] == receipt.seq


def test_record_donation_anonymous_and_in_kind(world: World) -> None:
    anonymous = world.fundraiser.record_donation(DIRECTED, Decimal("20"), received_on="2026-01-05", channel="cash")
    gift = world.fundraiser.record_donation(
        DIRECTED,
        "3600.00",
        received_on="2026-01-06",
        channel="delivery",
        kind="in_kind",
        donor_type="enterprise",
        in_kind_description="轮椅 3 台（按发票价值估价）",
        receipt_no="SZ2026-0001",
    )
    first = parse_leaf_json(world.ledger.log.leaf(anonymous.seq))["body"]["data"]
    assert (first["donor_type"], first["amount"]) == ("anonymous", "20.00")
    store = DonorStore(world.ledger.engine, load_privacy_key(world.ledger.settings))
    assert store.get(anonymous.seq).personal == {}
    for made in (anonymous, gift):
        data = parse_leaf_json(world.ledger.log.leaf(made.seq))["body"]["data"]
        assert data["receipt"] == receipt_commitment(made.salt)
        assert find_donation_by_receipt(world.ledger.engine, made.code)[1]["seq"] == made.seq
    fund = world.fund()
    assert (fund.raised_minor, fund.raised_in_kind_minor) == (362000, 360000)
    assert gift.code != anonymous.code


def test_record_donation_defaults_to_today_in_china() -> None:
    assert china_today() == (now() + timedelta(hours=8)).date().isoformat()


@pytest.mark.parametrize(
    "value, expected", [("12.50", "12.50"), (Decimal("12.5"), "12.50"), (5, "5.00"), (Decimal("0.01"), "0.01")]
)
def test_amount_text_accepts_exact_decimals(value: Any, expected: str) -> None:
    assert amount_text(value, "CNY") == expected


@pytest.mark.parametrize("value", [12.5, "12.5", "12.345", Decimal("12.345"), "1e3", 0, "-1.00", True])
def test_amount_text_refuses_floats_and_wrong_digits(value: Any) -> None:
    with pytest.raises(LedgerError) as info:
        amount_text(value, "CNY")
    assert info.value.code == "amount_invalid"


# --- over HTTP ----------------------------------------------------------------------------------


class FakeApi:
    """The write and read endpoints the client uses, in front of a real LogStore: what the API
    issue's handlers are expected to do with a submission (problem details on refusals)."""

    def __init__(self, ledger: Any, *, batch_shape: str = "object") -> None:
        self.ledger = ledger
        self.batch_shape = batch_shape
        self.requests: list[httpx.Request] = []
        self.fail_next: list[Any] = []  # exceptions to raise or (status, headers) to answer first

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail_next:
            failure = self.fail_next.pop(0)
            if isinstance(failure, Exception):
                raise failure
            status, headers = failure
            return httpx.Response(
                status, headers=headers, json={"code": "rate_limited", "status": status, "detail": "slow down"}
            )
        log = self.ledger.log
        try:
            if request.method == "POST" and request.url.path == "/api/v1/entries":
                return httpx.Response(201, json=log.submit(json.loads(request.content)).to_json())
            if request.method == "POST" and request.url.path == "/api/v1/entries/batch":
                results = log.submit_batch(json.loads(request.content))
                if self.batch_shape == "list":
                    return httpx.Response(201, json=[r.to_json() for r in results])
                items = [{k: v for k, v in r.to_json().items() if k != "checkpoint"} for r in results]
                return httpx.Response(
                    201, json={"size": results[-1].tree_size, "checkpoint": results[-1].checkpoint, "items": items}
                )
            if request.url.path == "/api/v1/log/checkpoint":
                return httpx.Response(200, text=log.latest_checkpoint())
            if request.url.path == "/api/v1/entries":
                return self.entries(request)
        except LedgerError as exc:
            status = {"invalid": 400, "not_found": 404, "conflict": 409, "refused": 422}.get(exc.kind, 503)
            problem = {
                "type": "/api/v1/problems/" + exc.code,
                "title": "error",
                "status": status,
                "detail": exc.message_en,
                "code": exc.code,
                "message_zh": exc.message_zh,
                "params": exc.to_dict()["params"],
                "instance": request.url.path,
            }
            return httpx.Response(status, json=problem, headers={"content-type": "application/problem+json"})
        return httpx.Response(404, json={"code": "route_not_found", "detail": "no such route"})

    def entries(self, request: httpx.Request) -> httpx.Response:
        signer = request.url.params.get("signer")
        limit = int(request.url.params.get("limit", "50"))
        start = int(request.url.params.get("cursor") or 0)
        items = []
        seq = start
        size = self.ledger.log.head().size
        while seq < size and len(items) < limit:
            raw = self.ledger.log.leaf(seq)
            leaf = parse_leaf_json(raw)
            if leaf["body"]["signer"] == signer:
                from ledger.protocol.merkle import leaf_hash

                items.append({"seq": seq, "leaf_hash": leaf_hash(raw).hex(), "leaf": leaf})
            seq += 1
        return httpx.Response(200, json={"items": items, "next_cursor": str(seq) if seq < size else None})


def http_client(world: World, key: KeyPair, api: FakeApi) -> Client:
    sink = HttpSink("http://ledger.test", client=httpx.Client(transport=httpx.MockTransport(api)), sleep=lambda s: None)
    return Client(key, sink.origin(), sink)


def test_http_sink_submits_the_signed_entry_and_reads_the_answer(world: World) -> None:
    api = FakeApi(world.ledger)
    client = http_client(world, k("fundraiser"), api)
    assert client.origin == ORIGIN
    result = client.append("donation.received", donation("12.00"))
    post = api.requests[-1]
    assert (post.method, post.url.path) == ("POST", "/api/v1/entries")
    sent = json.loads(post.content)
    assert set(sent) == {"body", "sig"} and sent["body"]["data"]["amount"] == "12.00"
    assert len(base64.b64decode(sent["sig"])) == 64
    assert result.seq == world.size() - 1 and not result.existing and result.checkpoint.startswith(ORIGIN)
    assert world.fund().raised_minor == 1200


@pytest.mark.parametrize("shape", ["object", "list"])
def test_http_sink_batches_in_either_answer_shape(world: World, shape: str) -> None:
    api = FakeApi(world.ledger, batch_shape=shape)
    client = http_client(world, k("fundraiser"), api)
    results = client.append_batch([("donation.received", donation(f"{i}.00"), f"b-{i}") for i in range(1, 4)])
    assert api.requests[-1].url.path == "/api/v1/entries/batch"
    assert [r.seq for r in results] == list(range(world.size() - 3, world.size()))
    assert all(r.checkpoint.startswith(ORIGIN) and r.tree_size == world.size() for r in results)
    assert world.fund().raised_minor == 600


def test_http_sink_raises_the_problems_code(world: World) -> None:
    client = http_client(world, k("implementer"), FakeApi(world.ledger))
    pay = {
        "project": DIRECTED,
        "currency": "CNY",
        "amount": "1.00",
        "category": "program",
        "payee": "x",
        "purpose": "y",
        "paid_on": "2026-01-07",
        "evidence": [],
    }
    with pytest.raises(RemoteError) as info:
        client.append("funds.disbursed", pay)
    assert (info.value.code, info.value.status, info.value.kind) == ("insufficient_allocation", 422, "refused")
    assert "1.00" in info.value.message_en and info.value.message_zh
    with pytest.raises(RemoteError) as info:
        client.append_batch([("funds.disbursed", pay, "p1"), ("funds.disbursed", pay, "p2")])
    assert refused_position(info.value) == 0 and refused_code(info.value) == "insufficient_allocation"


def test_http_sink_retries_the_same_bytes(world: World) -> None:
    api = FakeApi(world.ledger)
    client = http_client(world, k("fundraiser"), api)
    api.fail_next = [httpx.ConnectError("connection refused"), (503, {"Retry-After": "1"})]
    result = client.append("donation.received", donation("7.00"))
    posts = [r for r in api.requests if r.method == "POST"]
    assert len(posts) == 3 and posts[0].content == posts[1].content == posts[2].content
    assert world.fund().raised_minor == 700 and not result.existing


def test_http_sink_gives_up_with_a_clear_error() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    sink = HttpSink(
        "http://ledger.test", client=httpx.Client(transport=httpx.MockTransport(down)), sleep=lambda s: None, retries=2
    )
    with pytest.raises(LedgerError) as info:
        sink.origin()
    assert info.value.code == "log_unreachable" and "ledger.test" in info.value.message_en


def test_http_sink_finds_known_idems_by_paging(world: World) -> None:
    api = FakeApi(world.ledger)
    client = http_client(world, k("fundraiser"), api)
    for i in range(3):
        client.append("donation.received", donation(f"{i + 1}.00"), idem=f"known-{i}")
    found = client.sink.known([k("fundraiser").id], ["known-0", "known-2", "missing"])
    assert sorted(found) == ["known-0", "known-2"]
    assert found["known-2"].body["data"]["amount"] == "3.00"


def test_record_donation_over_http_needs_the_donor_data_endpoint(world: World) -> None:
    """Against an API without the donor data endpoint the entry is in, the data is not, and the
    caller holds the salt in the receipt's error path to send it again later."""
    client = http_client(world, k("fundraiser"), FakeApi(world.ledger))
    with pytest.raises(RemoteError) as info:
        client.record_donation(DIRECTED, "50.00", received_on="2026-01-05", personal={"name": "李四"})
    assert info.value.code == "route_not_found"
    data = parse_leaf_json(world.ledger.log.leaf(world.size() - 1))["body"]["data"]
    assert data["amount"] == "50.00" and "李四" not in json.dumps(data, ensure_ascii=False)


# --- the submit command -------------------------------------------------------------------------


@pytest.fixture
def charity_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """The charity subcommands are always mounted (ledger.cli.commands.SUBCOMMANDS)."""


def test_cli_submit(world: World, tmp_path, capsys, charity_cli, monkeypatch) -> None:
    monkeypatch.setenv("CHARITY_LEDGER_ORIGIN", ORIGIN)
    key_file = tmp_path / "implementer.key"
    write_key_file(k("implementer"), key_file)
    data = json.dumps(
        {
            "project": DIRECTED,
            "period_start": "2026-01-01",
            "period_end": "2026-01-31",
            "summary": "一月服务长者 120 人次",
            "beneficiaries": 120,
            "evidence": [],
        },
        ensure_ascii=False,
    )
    home = str(world.factory.home)
    assert cli.main(["--home", home, "submit", "--key", str(key_file), "progress.reported", "--data", data]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["seq"] == world.size() - 1 and out["inclusion_proof"]["size"] == world.size()
    assert cli.main(["--home", home, "submit", "--key", str(key_file), "progress.reported", "--data", data]) == 1
    err = capsys.readouterr().err
    assert "idem_conflict" in err and "--idem" in err
    (tmp_path / "d.json").write_text(data, encoding="utf-8")
    assert (
        cli.main(
            [
                "--home",
                home,
                "submit",
                "--key",
                str(key_file),
                "progress.reported",
                "--data",
                "@" + str(tmp_path / "d.json"),
                "--idem",
                "report-2026-01",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["seq"] == world.size() - 1
    assert (
        cli.main(["--home", home, "submit", "--key", str(key_file), "funds.disbursed", "--data", '{"project": 1}']) == 1
    )
    assert "data_invalid" in capsys.readouterr().err


def test_cli_submit_wants_the_receipt_commitment_on_a_donation(
    world: World, tmp_path, capsys, charity_cli, monkeypatch
) -> None:
    from ledger.domain.privacy import donor_fields, new_salt

    monkeypatch.setenv("CHARITY_LEDGER_ORIGIN", ORIGIN)
    key_file = tmp_path / "fundraiser.key"
    write_key_file(k("fundraiser"), key_file)
    salt = new_salt()
    data = {
        "project": DIRECTED,
        "currency": "CNY",
        "amount": "12.00",
        "kind": "money",
        "channel": "cash",
        "donor_type": "anonymous",
        "restricted": True,
        "received_on": "2026-01-05",
        **donor_fields({}, salt),
    }
    home, size = str(world.factory.home), world.size()
    without = {k_: v for k_, v in data.items() if k_ != "receipt"}
    assert (
        cli.main(["--home", home, "submit", "--key", str(key_file), "donation.received", "--data", json.dumps(without)])
        == 2
    )
    assert "data.receipt" in capsys.readouterr().err and world.size() == size  # nothing written
    assert (
        cli.main(["--home", home, "submit", "--key", str(key_file), "donation.received", "--data", json.dumps(data)])
        == 0
    )
    seq = json.loads(capsys.readouterr().out)["seq"]
    assert find_donation_by_receipt(world.ledger.engine, format_receipt_code(seq, salt))[1]["amount_minor"] == 1200


def test_cli_submit_refuses_an_unknown_key(world: World, tmp_path, capsys, charity_cli, monkeypatch) -> None:
    monkeypatch.setenv("CHARITY_LEDGER_ORIGIN", ORIGIN)
    key_file = tmp_path / "stranger.key"
    write_key_file(KeyPair.generate(), key_file)
    code = cli.main(
        ["--home", str(world.factory.home), "submit", "--key", str(key_file), "progress.reported", "--data", "{}"]
    )
    assert code == 1
    assert "unknown_signer" in capsys.readouterr().err


# --- against the real API app -------------------------------------------------------------------


def test_http_sink_against_the_api_app(world: World) -> None:
    """The client's wire format against the API app."""
    app = create_app(world.ledger, api_settings=ApiSettings(write_rate=0))
    with TestClient(app) as http:
        sink = HttpSink(str(http.base_url), client=http, sleep=lambda s: None)
        client = Client(k("fundraiser"), sink.origin(), sink)
        assert client.origin == ORIGIN
        single = client.append("donation.received", donation("5.00"))
        assert single.seq == world.size() - 1 and single.checkpoint.startswith(ORIGIN)
        batch = client.append_batch([("donation.received", donation(f"{i}.00"), f"api-{i}") for i in (1, 2)])
        assert [r.seq for r in batch] == [world.size() - 2, world.size() - 1]
        assert all(r.checkpoint.startswith(ORIGIN) for r in batch)
        signed = client.sign("donation.received", donation("3.00"), "api-3")
        first, retry = sink.append([signed]), sink.append([signed])  # a retry resends the same bytes
        assert (retry[0].seq, retry[0].existing, first[0].existing) == (first[0].seq, True, False)
        later = Client(k("fundraiser"), sink.origin(), sink, clock=lambda: now() + timedelta(seconds=1))
        with pytest.raises(RemoteError) as info:  # re-signed (a new "at"): another body, same idem
            later.append("donation.received", donation("3.00"), "api-3")
        assert info.value.code == "idem_conflict" and info.value.status == 409
        receipt = client.record_donation(DIRECTED, "9.00", received_on="2026-01-05", personal={"name": "赵六"})
        assert receipt.stored and receipt.seq == world.size() - 1
        from ledger.store.donors import DonorStore, load_privacy_key

        kept = DonorStore(world.ledger.engine, load_privacy_key(world.ledger.settings)).get(receipt.seq)
        assert kept.personal == {"name": "赵六"} and kept.salt == receipt.salt
        implementer = Client(k("implementer"), ORIGIN, sink)
        with pytest.raises(RemoteError) as info:
            implementer.append(
                "funds.disbursed",
                {
                    "project": DIRECTED,
                    "currency": "CNY",
                    "amount": "999.00",
                    "category": "program",
                    "payee": "x",
                    "purpose": "y",
                    "paid_on": "2026-01-07",
                    "evidence": [],
                },
            )
        assert info.value.code == "insufficient_allocation" and info.value.status == 422 and info.value.message_zh
        found = sink.known([k("fundraiser").id], ["api-1", "api-2", "nope"])
        assert sorted(found) == ["api-1", "api-2"] and found["api-2"].seq == batch[1].seq
    assert world.fund().raised_minor == 500 + 100 + 200 + 300 + 900
