"""Passkeys (WebAuthn, through py_webauthn): registered by a signed-in person, then asked after
the password (second factor) or alone (sole factor, the browser offering the passkeys it holds).

The relying party is the site's host name; the expected origin is the request's own. Each
challenge is random, kept in the database for five minutes (every process sees it) and used once.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ledger.domain import codes as C
from ledger.errors import LedgerError
from ledger.store import accounts as A
from ledger.store.runtime import Ledger
from public_site.workbench.auth import client_of

RP_NAME = "慈善透明账本工作台 Charity ledger workbench"


def _rp(request: Request) -> tuple[str, str]:
    """(relying party id, expected origin) of this request."""
    url = request.base_url
    return str(url.hostname or "localhost"), f"{url.scheme}://{url.netloc}"


def _remember(request: Request, ledger: Ledger, challenge: bytes, account_id: int | None) -> str:
    return A.remember_challenge(ledger.engine, challenge, account_id)


def _take(ledger: Ledger, handle: Any) -> tuple[bytes, int | None]:
    found = A.take_challenge(ledger.engine, handle)
    if found is None:
        raise LedgerError(
            C.PASSKEY_FAILED, detail="the challenge is unknown or expired", detail_zh="挑战值未知或已过期"
        )
    return found


def _failed(exc: Exception) -> LedgerError:
    return LedgerError(C.PASSKEY_FAILED, detail=str(exc)[:200], detail_zh="认证器的应答无效")


def registration_options(request: Request, ledger: Ledger, account: A.AccountRecord) -> str:
    rp_id, _ = _rp(request)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_name=account.login,
        user_id=str(account.id).encode("ascii"),
        user_display_name=account.display_name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.PREFERRED
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=_unb64url(p.credential_id)) for p in A.passkeys(ledger.engine, account.id)
        ],
    )
    handle = _remember(request, ledger, options.challenge, account.id)
    return '{"handle":"%s","options":%s}' % (handle, options_to_json(options))  # noqa: UP031 (JSON text)


def register(request: Request, ledger: Ledger, account: A.AccountRecord, data: dict[str, Any]) -> None:
    challenge, owner = _take(ledger, data.get("handle"))
    if owner != account.id:
        raise LedgerError(
            C.PASSKEY_FAILED, detail="the challenge was for another account", detail_zh="挑战值属于其他账户"
        )
    rp_id, origin = _rp(request)
    try:
        verified = verify_registration_response(
            credential=data.get("credential"),  # type: ignore[arg-type]
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (InvalidRegistrationResponse, ValueError, TypeError, KeyError) as exc:
        raise _failed(exc) from exc
    label = data.get("label") if isinstance(data.get("label"), str) and data.get("label") else "passkey"
    A.add_passkey(
        ledger.engine,
        account,
        bytes_to_base64url(verified.credential_id),
        bytes_to_base64url(verified.credential_public_key),
        verified.sign_count,
        str(label)[:100],
        client=client_of(request.scope),
    )


def authentication_options(request: Request, ledger: Ledger, account: A.AccountRecord | None) -> str:
    rp_id, _ = _rp(request)
    allow = (
        [PublicKeyCredentialDescriptor(id=_unb64url(p.credential_id)) for p in A.passkeys(ledger.engine, account.id)]
        if account is not None
        else None
    )
    options = generate_authentication_options(
        rp_id=rp_id, allow_credentials=allow, user_verification=UserVerificationRequirement.PREFERRED
    )
    handle = _remember(request, ledger, options.challenge, account.id if account else None)
    return '{"handle":"%s","options":%s}' % (handle, options_to_json(options))  # noqa: UP031 (JSON text)


def authenticate(request: Request, ledger: Ledger, data: dict[str, Any]) -> A.AccountRecord:
    """The account whose passkey answered the challenge (its sign count moves on; audited)."""
    challenge, expected_account = _take(ledger, data.get("handle"))
    credential = data.get("credential")
    raw_id = credential.get("id") if isinstance(credential, dict) else None
    passkey = A.passkey_by_credential(ledger.engine, raw_id) if isinstance(raw_id, str) else None
    if passkey is None or (expected_account is not None and passkey.account_id != expected_account):
        A.record_audit(
            ledger.engine,
            "sign_in_failed",
            "unknown passkey",
            account_id=expected_account,
            actor_id=None,
            client=client_of(request.scope),
        )
        raise LedgerError(C.PASSKEY_FAILED, detail="this passkey is not registered", detail_zh="该通行密钥未登记")
    rp_id, origin = _rp(request)
    try:
        verified = verify_authentication_response(
            credential=credential,  # type: ignore[arg-type]
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=_unb64url(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
        )
    except (InvalidAuthenticationResponse, ValueError, TypeError, KeyError) as exc:
        A.record_audit(
            ledger.engine,
            "sign_in_failed",
            f"passkey {passkey.label}: {str(exc)[:200]}",
            account_id=passkey.account_id,
            actor_id=None,
            client=client_of(request.scope),
        )
        raise _failed(exc) from exc
    A.passkey_used(ledger.engine, passkey.credential_id, verified.new_sign_count)
    account = A.get_account(ledger.engine, passkey.account_id)
    if account is None or account.disabled_at is not None:
        raise LedgerError(C.SIGN_IN_FAILED)
    return account


def _unb64url(text: str) -> bytes:
    return base64url_to_bytes(text)
