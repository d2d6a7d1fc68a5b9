"""Regulator-only reads behind bearer tokens: stored hashed, scoped, revocable; 401 and 403."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from api.tokens import TOKEN_TABLE, check_token, create_token, list_tokens, revoke_token
from ledger.errors import LedgerError
from ledger.store.donors import DonorStore, load_privacy_key
from tests.api.world import DONOR, FOUNDATION, PROJECT, SALT, SERVICE, World, build_world


@pytest.fixture
def regulated(factory: Any, make_client: Any) -> tuple[World, TestClient, str]:
    world = build_world(factory)
    token = create_token(factory.ledger.engine, "civil affairs bureau", ["regulator"])
    return world, make_client(), token


def test_tokens_are_stored_hashed_and_revocable(factory: Any) -> None:
    engine = factory.ledger.engine
    token = create_token(engine, "auditor", ["regulator"])
    assert token.startswith("clt_")
    with engine.connect() as conn:
        row = conn.execute(select(TOKEN_TABLE)).mappings().one()
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(dict(row))
    info = check_token(engine, token)
    assert info is not None and info.has("regulator") and info.name == "auditor"
    assert check_token(engine, token + "x") is None
    assert check_token(engine, "clt_" + "0" * 12 + "_" + "A" * 43) is None
    revoked = revoke_token(engine, info.id)
    assert revoked.revoked_at is not None
    assert check_token(engine, token) is None
    assert revoke_token(engine, token).revoked_at == revoked.revoked_at  # by token too; first time kept
    assert [t.id for t in list_tokens(engine)] == [info.id]
    with pytest.raises(LedgerError):
        create_token(engine, "x", [])
    with pytest.raises(LedgerError):
        create_token(engine, "x", ["Not A Scope"])
    with pytest.raises(LedgerError) as missing:
        revoke_token(engine, "ffffffffffff")
    assert missing.value.code == "token_unknown"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/regulator/funds-by-organisation", "/api/v1/regulator/open-findings", "/api/v1/regulator/donors/3"],
)
def test_without_a_token_401(regulated: tuple[World, TestClient, str], path: str) -> None:
    _, client, token = regulated
    for headers in (
        {},
        {"authorization": "Basic dXNlcjpwYXNz"},
        {"authorization": "Bearer "},
        {"authorization": f"Bearer {token}x"},
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["code"] == "not_authenticated"
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_wrong_scope_403_and_revoked_401(regulated: tuple[World, TestClient, str], factory: Any) -> None:
    _, client, token = regulated
    engine = factory.ledger.engine
    other = create_token(engine, "report robot", ["reports"])
    response = client.get("/api/v1/regulator/open-findings", headers={"authorization": f"Bearer {other}"})
    assert response.status_code == 403
    assert response.json()["code"] == "token_scope_missing" and response.json()["params"]["scope"] == "regulator"
    assert (
        client.get("/api/v1/regulator/open-findings", headers={"authorization": f"Bearer {token}"}).status_code == 200
    )
    revoke_token(engine, token)
    assert (
        client.get("/api/v1/regulator/open-findings", headers={"authorization": f"Bearer {token}"}).status_code == 401
    )


def test_cross_organisation_views(regulated: tuple[World, TestClient, str]) -> None:
    world, client, token = regulated
    auth = {"authorization": f"Bearer {token}"}
    funds = client.get("/api/v1/regulator/funds-by-organisation", headers=auth).json()
    assert funds == {
        "items": [
            {
                "org": FOUNDATION,
                "currency": "CNY",
                "projects": 2,
                "donations_count": 5,
                "raised": "1407.50",
                "allocated": "300.00",
                "disbursed": "150.00",
                "balance": "1257.50",
            }
        ],
        "next_cursor": None,
    }
    findings = client.get("/api/v1/regulator/open-findings", headers=auth).json()["items"]
    assert [(f["id"], f["verdict"], f["signer_org"], f["amount"]) for f in findings] == [
        (world.ids["p2"], "flagged", SERVICE, "30.00")
    ]
    assert (
        client.get("/api/v1/regulator/open-findings", headers=auth, params={"project": PROJECT}).json()["items"]
        == findings
    )
    assert client.get("/api/v1/regulator/open-findings", headers=auth, params={"org": FOUNDATION}).json()["items"] == []


def test_donor_personal_data(regulated: tuple[World, TestClient, str], factory: Any) -> None:
    world, client, token = regulated
    auth = {"authorization": f"Bearer {token}"}
    seq = world.seqs["d1"]
    store = DonorStore(factory.ledger.engine, load_privacy_key(factory.ledger.settings, create=True))
    store.store(seq, DONOR, SALT)
    answer = client.get(f"/api/v1/regulator/donors/{seq}", headers=auth)
    assert "no-store" in answer.headers["cache-control"]  # no cache keeps personal data
    record = answer.json()
    assert record["seq"] == seq and record["personal"]["name"] == "李四" and record["erased_at"] is None
    # the public never sees it
    assert "李四" not in client.get(f"/api/v1/donations/{world.ids['d1']}").text
    store.erase(seq)
    erased = client.get(f"/api/v1/regulator/donors/{seq}", headers=auth).json()
    assert erased["personal"] is None and erased["erased_at"]
    missing = client.get(f"/api/v1/regulator/donors/{world.seqs['d2']}", headers=auth)
    assert missing.status_code == 404


def test_token_commands(factory: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from ledger.cli import main

    monkeypatch.setenv("CHARITY_LEDGER_ORIGIN", factory.settings.origin)
    factory.with_genesis()
    home = str(factory.home)
    assert main(["--home", home, "token", "create", "--name", "审计署", "--scope", "regulator"]) == 0
    token = capsys.readouterr().out.strip()
    info = check_token(factory.ledger.engine, token)
    assert info is not None and info.scopes == ("regulator",) and info.name == "审计署"
    assert main(["--home", home, "token", "list"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["id"] == info.id and token not in json.dumps(listed) and listed["revoked_at"] is None
    assert main(["--home", home, "token", "revoke", info.id]) == 0
    capsys.readouterr()
    assert check_token(factory.ledger.engine, token) is None
    assert main(["--home", home, "token", "create", "--name", "x", "--scope", "Bad Scope"]) == 1
