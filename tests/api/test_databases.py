"""The same API on SQLite and PostgreSQL (when CHARITY_LEDGER_TEST_POSTGRES_URL is set): the SQL of
the reads (keyset pages, tuple cursors, JSON-list filters, time ranges) and concurrent writes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from litestar.testing import TestClient

from api.config import ApiSettings
from api.tokens import create_token
from ledger.cli.app import create_app
from ledger.protocol import merkle
from ledger.protocol.checkpoint import verify_checkpoint
from ledger.store.export import log_vkey
from tests.api.world import FOUNDATION, OTHER_PROJECT, PROJECT, SERVICE, build_world
from tests.support.ledger_factory import LedgerFactory


def test_reads(any_factory: LedgerFactory) -> None:
    world = build_world(any_factory)
    ledger = any_factory.ledger
    token = create_token(ledger.engine, "bureau", ["regulator"])
    with TestClient(create_app(ledger, api_settings=ApiSettings())) as client:
        first = client.get("/api/v1/entries", params={"limit": 5}).json()
        second = client.get("/api/v1/entries", params={"limit": 5, "cursor": first["next_cursor"]}).json()
        assert [e["seq"] for e in first["items"] + second["items"]] == list(range(10))
        times = [json.loads(ledger.log.leaf(s))["time"] for s in range(ledger.log.head().size)]
        since = client.get("/api/v1/entries", params={"since": times[12], "limit": 500}).json()["items"]
        assert [e["seq"] for e in since] == [s for s, t in enumerate(times) if t >= times[12]]
        by_project = client.get("/api/v1/entries", params={"project": OTHER_PROJECT}).json()["items"]
        assert [e["leaf_hash"] for e in by_project] == [world.ids["other_project"], world.ids["d_other"]]
        projects = client.get("/api/v1/projects", params={"implementer": SERVICE}).json()["items"]
        assert [p["project"] for p in projects] == sorted([PROJECT, OTHER_PROJECT])
        assert client.get(f"/api/v1/projects/{PROJECT}").json()["funds"]["balance"] == "1250.50"
        auth = {"authorization": f"Bearer {token}"}
        page = client.get("/api/v1/regulator/funds-by-organisation", headers=auth, params={"limit": 1}).json()
        assert page["items"][0]["org"] == FOUNDATION and page["items"][0]["raised"] == "1407.50"
        rest = client.get(
            "/api/v1/regulator/funds-by-organisation", headers=auth, params={"cursor": page["next_cursor"] or ""}
        ).json()
        assert page["next_cursor"] is None or rest["items"] == []
        trace = client.get(f"/api/v1/donations/{world.ids['d2']}/trace").json()
        assert trace["disbursed"] == "50.00"


def test_concurrent_writes(any_factory: LedgerFactory) -> None:
    ledger = any_factory.with_genesis()
    entries = [any_factory.org_entry(n).to_json() for n in range(300, 340)]

    async def run() -> list[httpx.Response]:
        app = create_app(ledger, api_settings=ApiSettings(write_rate=0))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            singles = [client.post("/api/v1/entries", json=e) for e in entries[:30]]
            batch = client.post("/api/v1/entries/batch", json=entries[30:])
            return await asyncio.gather(*singles, batch)

    responses = asyncio.run(run())
    assert [r.status_code for r in responses] == [201] * 31
    vkey = log_vkey(ledger.log)
    seqs: list[int] = []
    for r in responses[:30]:
        body: dict[str, Any] = r.json()
        checkpoint = verify_checkpoint(body["checkpoint"], vkey)
        merkle.verify_inclusion(
            bytes.fromhex(body["leaf_hash"]),
            body["seq"],
            checkpoint.size,
            [bytes.fromhex(h) for h in body["inclusion_proof"]["hashes"]],
            checkpoint.root,
        )
        seqs.append(body["seq"])
    seqs += [i["seq"] for i in responses[30].json()["items"]]
    assert sorted(seqs) == list(range(1, 41))
    assert ledger.log.head().size == 41
