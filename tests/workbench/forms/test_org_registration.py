"""The registrar registers an organisation in the workbench: the org.registered form is
generated from its schema, checked before signing, signed with the registrar's key in the
browser (here: the same bytes signed in the test) and appended; every type a person signs has
a form, with its Chinese and English names."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from litestar.testing import TestClient

from ledger.domain.entry_names import ENTRY_TYPE_NAMES
from ledger.domain.rows import OrgRow
from ledger.domain.uscc import make_uscc
from ledger.store import drafts as D
from ledger.store.db import read_transaction
from ledger.store.sql_state import SqlState
from public_site.workbench.session import Account
from tests.api.world import World
from tests.workbench.forms.conftest import ACCOUNTS

NEW_ORG = make_uscc("53440300MJL00909A")


@pytest.fixture(autouse=True)
def registrar_account() -> Any:
    ACCOUNTS["registrar"] = Account(9, "registrar", "民政局登记员", None, frozenset({"registrar"}))
    yield
    del ACCOUNTS["registrar"]


def org_data(**over: Any) -> dict[str, Any]:
    data = {
        "org": NEW_ORG,
        "name_zh": "深圳市新苗公益基金会",
        "name_en": "Shenzhen New Sprout Foundation",
        "legal_form": "foundation",
        "track": "registered",
        "public_fundraising": False,
    }
    return {**data, **over}


def test_every_type_a_person_signs_has_a_form_with_both_names(client: TestClient) -> None:
    assert {"org.registered", "interest.received", "fee.charged", "query.answered"} <= set(D.WORKBENCH_TYPES)
    assert set(D.WORKBENCH_TYPES) <= set(ENTRY_TYPE_NAMES)
    page = client.get("/workbench/entries/new", headers={"X-Test-Login": "registrar"})
    assert page.status_code == 200
    assert 'href="/workbench/entries/new/org.registered"' in page.text


def test_the_registrar_registers_an_organisation(world: World, client: TestClient) -> None:
    who = {"X-Test-Login": "registrar"}
    form = client.get("/workbench/entries/new/org.registered", headers=who)
    assert form.status_code == 200
    for name in ("org", "name_zh", "legal_form", "track", "public_fundraising"):
        assert f'data-path="{name}"' in form.text
    key = world.factory.registrar
    bad = client.post(
        "/workbench/api/prepare",
        json={"type": "org.registered", "data": org_data(org="53440300MJL00909B"), "public_key": key.public_b64},
        headers=who,
    )
    assert bad.status_code == 400 and bad.json()["code"] == "uscc_invalid"
    r = client.post(
        "/workbench/api/prepare",
        json={"type": "org.registered", "data": org_data(), "public_key": key.public_b64},
        headers=who,
    )
    assert r.status_code == 200, r.text
    entry = r.json()["entries"][0]
    sig = base64.b64encode(key.sign(base64.b64decode(entry["signing_message"]))).decode()
    done = client.post("/workbench/api/submit", json={"entries": [{"body": entry["body"], "sig": sig}]}, headers=who)
    assert done.status_code == 201, done.text
    with read_transaction(world.factory.ledger.engine) as conn:
        row = SqlState(conn).get(OrgRow, NEW_ORG)
    assert row is not None and row.name_zh == "深圳市新苗公益基金会" and row.status == "active"
    # a fundraiser may not sign it
    again = client.post(
        "/workbench/api/submit",
        json={"entries": [{"body": entry["body"], "sig": sig}]},
        headers={"X-Test-Login": "fundraiser"},
    )
    assert again.status_code == 422 and again.json()["code"] == "draft_refused"
