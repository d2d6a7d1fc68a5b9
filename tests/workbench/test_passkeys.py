"""Passkeys checked on the server (py_webauthn) against a software authenticator: an ECDSA P-256
key answering the challenges the way a security key does (CTAP2 authenticator data, "none"
attestation), so that registration, sign-in with the passkey alone, a wrong signature and a
replayed counter are each checked without a browser."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from collections.abc import Iterator
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from litestar.testing import TestClient

from ledger.store import accounts as A
from tests.workbench.conftest import PASSWORD, Registry, csrf_of, make_app, sign_in

BASE = "http://localhost:8000"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    def __init__(self, rp_id: str = "localhost", origin: str = BASE) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.rp_hash = hashlib.sha256(rp_id.encode()).digest()
        self.origin = origin
        self.count = 0

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin}).encode()

    def create(self, options: dict[str, Any]) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + cose
        auth_data = self.rp_hash + bytes([0x45]) + struct.pack(">I", self.count) + attested
        client_data = self._client_data("webauthn.create", options["challenge"])
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation)},
        }

    def get(self, options: dict[str, Any], *, count: int | None = None, tamper: bool = False) -> dict[str, Any]:
        self.count += 1
        auth_data = self.rp_hash + bytes([0x05]) + struct.pack(">I", self.count if count is None else count)
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        if tamper:
            auth_data = auth_data[:-1] + bytes([auth_data[-1] ^ 1])
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": None,
            },
        }


@pytest.fixture
def local(registry: Registry) -> Iterator[TestClient]:
    with TestClient(make_app(registry.ledger), base_url=BASE) as c:
        yield c


def _post(client: TestClient, url: str, token: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json=body or {}, headers={"X-CSRF-Token": token})


def _passkey_sign_in(client: TestClient, authenticator: SoftAuthenticator, **how: Any) -> Any:
    token = csrf_of(client.get("/workbench/sign-in").text)
    options = _post(client, "/workbench/passkeys/sign-in/options", token).json()
    answer = authenticator.get(options["options"], **how)
    return _post(client, "/workbench/passkeys/sign-in", token, {"handle": options["handle"], "credential": answer})


def test_register_then_sign_in_with_the_passkey_alone(registry: Registry, local: TestClient) -> None:
    engine = registry.ledger.engine
    account = A.accept_invitation(engine, registry.invite("staff1", ["staff"]), PASSWORD)
    sign_in(local, "staff1")
    token = csrf_of(local.get("/workbench/keys").text)
    options = _post(local, "/workbench/passkeys/register/options", token).json()
    assert options["options"]["rp"]["id"] == "localhost" and options["options"]["user"]["name"] == "staff1"
    authenticator = SoftAuthenticator()
    made = authenticator.create(options["options"])
    registered = _post(local, "/workbench/passkeys/register", token, {"handle": options["handle"], "credential": made})
    assert registered.status_code == 201
    (stored,) = A.passkeys(engine, account.id)
    assert unb64url(stored.credential_id) == authenticator.credential_id
    # the same challenge answers once only
    again = _post(local, "/workbench/passkeys/register", token, {"handle": options["handle"], "credential": made})
    assert again.status_code == 403 and "passkey_failed" in again.text

    fresh = TestClient(local.app, base_url=BASE)
    answer = _passkey_sign_in(fresh, authenticator)
    assert answer.status_code == 201 and answer.json() == {"next": "/workbench/"}
    page = fresh.get("/workbench/", follow_redirects=False)
    assert page.status_code == 200 and "staff1" in page.text
    assert A.passkeys(engine, account.id)[0].sign_count == 1
    actions = [(r.action, r.detail) for r in reversed(A.audit_log(engine))]
    assert ("passkey_added", "passkey") in actions and ("sign_in", "staff1 with passkey") in actions


def test_a_wrong_signature_or_replayed_counter_signs_nobody_in(registry: Registry, local: TestClient) -> None:
    engine = registry.ledger.engine
    account = A.accept_invitation(engine, registry.invite("staff1", ["staff"]), PASSWORD)
    authenticator = SoftAuthenticator()
    made = authenticator.create({"challenge": b64url(b"x" * 32)})
    from webauthn import verify_registration_response

    verified = verify_registration_response(
        credential=made, expected_challenge=b"x" * 32, expected_rp_id="localhost", expected_origin=BASE
    )
    A.add_passkey(engine, account, b64url(verified.credential_id), b64url(verified.credential_public_key), 5, "key")

    for how in ({"tamper": True}, {"count": 3}):
        client = TestClient(local.app, base_url=BASE)
        answer = _passkey_sign_in(client, authenticator, **how)
        assert answer.status_code == 403 and "passkey_failed" in answer.text
        assert client.get("/workbench/", follow_redirects=False).status_code == 303
    assert A.passkeys(engine, account.id)[0].sign_count == 5
    failed = [r.detail for r in A.audit_log(engine) if r.action == "sign_in_failed"]
    assert len(failed) == 2
    ok = _passkey_sign_in(TestClient(local.app, base_url=BASE), authenticator, count=6)
    assert ok.status_code == 201
