"""Browser keys on accounts (public halves only), the enrolment page, and machine tokens with
scopes and expiry managed in the workbench."""

from __future__ import annotations

from datetime import timedelta

import pytest
from litestar.testing import TestClient

from api.tokens import check_token, create_token
from ledger.domain.uscc import make_uscc
from ledger.errors import LedgerError
from ledger.protocol.canonical import now
from ledger.protocol.keys import KeyPair
from ledger.store import accounts as A
from tests.workbench.conftest import CHARITY, PASSWORD, Registry, csrf_of, sign_in


def _json_post(client: TestClient, url: str, page_html: str, body: dict) -> object:  # type: ignore[type-arg]
    return client.post(url, json=body, headers={"X-CSRF-Token": csrf_of(page_html)})


def test_a_person_registers_a_public_key_and_only_their_admin_may_enrol_it(
    registry: Registry, client: TestClient
) -> None:
    engine = registry.ledger.engine
    A.accept_invitation(engine, registry.invite("admin", ["org_admin"]), PASSWORD)
    A.accept_invitation(engine, registry.invite("fund", ["fundraiser"], name="李四"), PASSWORD)
    A.accept_invitation(
        engine, registry.invite("other.admin", ["org_admin"], organisation=make_uscc("52440300MJL00102B")), PASSWORD
    )
    person_key = KeyPair.from_seed(b"person's browser")
    sign_in(client, "fund")
    page = client.get("/workbench/keys")
    bad = _json_post(client, "/workbench/keys", page.text, {"public_key": "AAAA", "label": "laptop"})
    assert bad.status_code == 400 and "body_invalid" in bad.text  # type: ignore[attr-defined]
    answer = _json_post(client, "/workbench/keys", page.text, {"public_key": person_key.public_b64, "label": "laptop"})
    assert answer.status_code == 201 and answer.json()["key_id"] == person_key.id  # type: ignore[attr-defined]
    mine = client.get("/workbench/keys")
    assert person_key.id[:16] in mine.text and "待授权" in mine.text
    assert client.get(f"/workbench/keys/{person_key.id}/enrol", follow_redirects=False).status_code == 403

    other = TestClient(client.app, base_url="http://127.0.0.1:8000")
    sign_in(other, "other.admin")
    assert other.get(f"/workbench/keys/{person_key.id}/enrol").status_code == 404

    admin = TestClient(client.app, base_url="http://127.0.0.1:8000")
    sign_in(admin, "admin")
    people = admin.get("/workbench/people")
    assert f"/workbench/keys/{person_key.id}/enrol" in people.text
    enrol = admin.get(f"/workbench/keys/{person_key.id}/enrol")
    assert enrol.status_code == 200
    assert f'data-public-key="{person_key.public_b64}"' in enrol.text and f'data-org="{CHARITY}"' in enrol.text
    assert 'data-origin="test.charity-ledger.example/log"' in enrol.text and 'value="fundraiser"' in enrol.text
    # the log grants it (as the admin's browser would), and the pages say so
    grant = {"public_key": person_key.public_b64, "role": "fundraiser", "org": CHARITY, "holder": "李四"}
    registry.ledger.log.append([registry.factory.sign(registry.admin_key, "key.granted", grant)])
    done = admin.post(f"/workbench/keys/{person_key.id}/enrolled", headers={"X-CSRF-Token": csrf_of(enrol.text)})
    assert done.json() == {"key_id": person_key.id, "state": "granted"}
    assert "已授权" in client.get("/workbench/keys").text
    audit = [(r.action, r.detail) for r in A.audit_log(engine)]
    assert ("key_granted", f"{person_key.id} of fund: granted as fundraiser at seq 3") in audit
    assert any(a == "key_added" and person_key.id in d for a, d in audit)


def test_tokens_expire(registry: Registry) -> None:
    engine = registry.ledger.engine
    made = now()
    token = create_token(engine, "审计署", ["regulator"], at=made, expires_in=timedelta(days=30))
    assert check_token(engine, token, at=made + timedelta(days=29)) is not None
    assert check_token(engine, token, at=made + timedelta(days=30)) is None
    forever = create_token(engine, "old", ["regulator"], at=made)
    assert check_token(engine, forever, at=made + timedelta(days=3650)) is not None
    with pytest.raises(LedgerError):
        create_token(engine, "x", ["regulator"], expires_in=timedelta(days=1000))


def test_an_expired_token_is_refused_by_the_api(registry: Registry, client: TestClient) -> None:
    engine = registry.ledger.engine
    live = create_token(engine, "live", ["regulator"], expires_in=timedelta(days=1))
    old = create_token(engine, "old", ["regulator"], at=now() - timedelta(days=2), expires_in=timedelta(days=1))
    url = "/api/v1/regulator/funds-by-organisation"
    assert client.get(url, headers={"Authorization": f"Bearer {live}"}).status_code == 200
    refused = client.get(url, headers={"Authorization": f"Bearer {old}"})
    assert refused.status_code == 401


def test_the_registrar_manages_tokens_in_the_workbench(registry: Registry, client: TestClient) -> None:
    engine = registry.ledger.engine
    A.accept_invitation(
        engine, registry.invite("registrar", ["registrar"], organisation="11440300MB2C92051K"), PASSWORD
    )
    A.accept_invitation(engine, registry.invite("admin", ["org_admin"]), PASSWORD)
    admin = TestClient(client.app, base_url="http://127.0.0.1:8000")
    sign_in(admin, "admin")
    assert admin.get("/workbench/tokens").status_code == 403

    sign_in(client, "registrar")
    page = client.get("/workbench/tokens")
    form = {"name": "审计署", "scopes": ["regulator", "overseer"], "days": "30", "_csrf_token": csrf_of(page.text)}
    made = client.post("/workbench/tokens", data=form)
    assert made.status_code == 200
    token = made.text.split('id="new-token">')[1].split("<")[0]
    info = check_token(engine, token)
    assert info is not None and info.scopes == ("regulator", "overseer") and info.expires_at is not None
    assert info.expires_at[:10] == (now() + timedelta(days=30)).isoformat()[:10]
    too_long = client.post("/workbench/tokens", data={**form, "days": "5000"})
    assert too_long.status_code == 422
    revoked = client.post(f"/workbench/tokens/{info.id}/revoke", data={"_csrf_token": csrf_of(page.text)})
    assert revoked.status_code == 200 and check_token(engine, token) is None
    actions = [r.action for r in A.audit_log(engine)]
    assert actions[:2] == ["token_revoked", "token_created"]
