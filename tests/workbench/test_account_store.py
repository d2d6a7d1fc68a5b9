"""The account store on SQLite and PostgreSQL: invitation, Argon2 check, lock-out, sessions,
browser keys, WebAuthn challenges and the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledger.errors import LedgerError
from ledger.protocol.canonical import now
from ledger.protocol.keys import KeyPair
from ledger.store import accounts as A
from tests.support.ledger_factory import LedgerFactory
from tests.workbench.conftest import CHARITY, PASSWORD


def test_the_account_store(any_factory: LedgerFactory) -> None:
    engine = any_factory.ledger.engine
    token = A.invite(
        engine, login="Zhang.San", display_name="张三", organisation=CHARITY, roles=["fundraiser"], actor=None
    )
    assert A.invitation(engine, token) == {
        "login": "zhang.san",
        "display_name": "张三",
        "organisation": CHARITY,
        "roles": "fundraiser",
        "expires_at": A.invitation(engine, token)["expires_at"],  # type: ignore[index]
    }
    account = A.accept_invitation(engine, token, PASSWORD)
    assert account.login == "zhang.san" and account.roles == {"fundraiser"}
    with pytest.raises(LedgerError) as info:
        A.accept_invitation(engine, token, PASSWORD)
    assert info.value.code == "invitation_invalid"

    moment = now()
    for n in range(A.MAX_FAILED):
        with pytest.raises(LedgerError) as info:
            A.check_password_sign_in(engine, "zhang.san", f"wrong {n}", at=moment)
        assert info.value.code == "sign_in_failed"
    with pytest.raises(LedgerError) as info:
        A.check_password_sign_in(engine, "zhang.san", PASSWORD, at=moment + timedelta(minutes=1))
    assert info.value.code == "account_locked"
    signed = A.check_password_sign_in(engine, "ZHANG.SAN", PASSWORD, at=moment + A.LOCK_FOR + timedelta(seconds=1))

    cookie, csrf = A.start_session(engine, signed, {"password"})
    key = KeyPair.from_seed(b"store test key")
    A.add_browser_key(engine, signed, key.public_b64, "phone")
    info_ = A.session(engine, cookie)
    assert info_ is not None and info_.csrf == csrf and info_.account.id == account.id and info_.key_ids == (key.id,)
    assert A.session(engine, cookie, at=now() + A.SESSION_FOR) is None  # expired
    A.end_session(engine, cookie)
    assert A.session(engine, cookie) is None

    handle = A.remember_challenge(engine, b"c" * 32, account.id)
    assert A.take_challenge(engine, handle) == (b"c" * 32, account.id)
    assert A.take_challenge(engine, handle) is None  # used once
    late = A.remember_challenge(engine, b"d" * 32, None)
    assert A.take_challenge(engine, late, at=now() + A.CHALLENGE_FOR + timedelta(seconds=1)) is None

    actions = [r.action for r in reversed(A.audit_log(engine))]
    assert actions == ["invited", "account_created"] + ["sign_in_failed"] * 5 + [
        "locked",
        "sign_in_locked",
        "sign_in",
        "key_added",
        "sign_out",
    ]
    assert [r.action for r in A.audit_log(engine, organisation=CHARITY)][:2] == ["sign_out", "key_added"]
