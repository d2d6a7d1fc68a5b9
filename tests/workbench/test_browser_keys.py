"""In Chromium: an invitation is accepted, the person signs in with a password, makes a signing
key in the browser (WebCrypto Ed25519, non-extractable, IndexedDB), and their organisation's
admin enrols it by signing key.granted in the admin's own browser: the log then holds that
public key, granted by the admin's key. A passkey is added and used on Chromium's virtual
authenticator (CDP WebAuthn)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from ledger.domain.rows import KeyRow
from ledger.protocol.keys import unb64, verify
from ledger.store import accounts as A
from ledger.store.projection_tables import table_for
from tests.site.browsing import chromium, serving, watched_page
from tests.workbench.conftest import CHARITY, PASSWORD, build_registry, make_app

pytestmark = pytest.mark.browser


def _sign_in(page: Any, server: str, login: str) -> None:
    page.goto(f"{server}/workbench/")
    assert "/workbench/sign-in" in page.url  # not signed in: sent to the sign-in page
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(f"{server}/workbench/")


def _make_key(page: Any, server: str, label: str) -> str:
    page.goto(f"{server}/workbench/keys")
    page.fill("#key-label", label)
    with page.expect_navigation(url=f"{server}/workbench/keys"):  # the page reloads once the key is stored
        page.click("#create-key")
    # the page reloads with the key listed, marked as held by this browser
    expect(page.locator("#my-keys tr[data-key-id] .held")).to_have_text("✓")
    page.wait_for_load_state("load")
    held = page.evaluate("WorkbenchKeys.list().then(function (ks) { return ks; })")
    assert len(held) == 1 and held[0]["label"] == label
    return str(held[0]["publicKey"])


def test_invitation_sign_in_browser_key_and_enrolment(tmp_path: Path) -> None:
    registry = build_registry(tmp_path / "home")
    engine = registry.ledger.engine
    A.accept_invitation(engine, registry.invite("admin", ["org_admin"], name="王管理员"), PASSWORD)
    code = registry.invite("li.si", ["fundraiser"], name="李四")
    with serving(make_app(registry.ledger)) as server, chromium(server) as browser:
        # the admin makes a key in their browser; the registrar grants it (here from its key file)
        with watched_page(browser, server) as admin:
            _sign_in(admin, server, "admin")
            admin_public = _make_key(admin, server, "管理员电脑")
            grant = {"public_key": admin_public, "role": "org_admin", "org": CHARITY, "holder": "王管理员"}
            registry.ledger.log.append([registry.factory.sign(registry.factory.registrar, "key.granted", grant)])

            with watched_page(browser, server) as person:
                # the invitation link carries its code in the fragment; the person sets a password
                person.goto(f"{server}/workbench/invitation#code={code}")
                assert person.input_value("#code") == code
                person.fill("#password", PASSWORD)
                person.fill("#password2", PASSWORD)
                person.click("#accept")
                person.wait_for_url(f"{server}/workbench/keys")
                person.wait_for_load_state("load")  # let the page finish before leaving it
                # sign out, then in again with the password
                person.click("text=退出登录")
                person.wait_for_url(f"{server}/workbench/sign-in")
                _sign_in(person, server, "li.si")
                public = _make_key(person, server, "李四的笔记本")
                assert "待授权" in person.inner_text("#my-keys")
                # the private key cannot be read out of the browser
                refused = person.evaluate(
                    """WorkbenchKeys.list().then(async function (ks) {
                         var req = indexedDB.open("charity-ledger-workbench");
                         var db = await new Promise(function (r) { req.onsuccess = function () { r(req.result); }; });
                         var rec = await new Promise(function (r) {
                           var g = db.transaction("keys").objectStore("keys").get(ks[0].keyId);
                           g.onsuccess = function () { r(g.result); };
                         });
                         try { await crypto.subtle.exportKey("pkcs8", rec.privateKey); return "exported"; }
                         catch (e) { return rec.privateKey.extractable + " " + e.name; }
                       })"""
                )
                assert refused == "false InvalidAccessError"

                # the admin enrols it, signing key.granted in the admin's own browser
                admin.goto(f"{server}/workbench/people")
                admin.click("a.enrol")
                admin.wait_for_selector("#signer-key option", state="attached")
                assert admin.inner_text("#enrol-public-key") == public
                admin.select_option("#grant-role", "fundraiser")
                admin.click("#sign-grant")
                admin.wait_for_selector("#enrol-app[data-done]", state="attached")
                assert "已写入账本" in admin.inner_text("#enrol-status")
                admin.watch.check(allow_aborted=True)

                # the log holds key.granted for exactly that public key, signed by the admin's key
                head = registry.ledger.log.head()
                leaf = json.loads(registry.ledger.log.leaves(head.size - 1, head.size)[0])
                body = leaf["body"]
                admin_key_id = A.browser_keys(engine, account_id=A.account_by_login(engine, "admin").id)[0].key_id  # type: ignore[union-attr]
                assert body["type"] == "key.granted" and body["signer"] == admin_key_id
                assert body["data"] == {"public_key": public, "role": "fundraiser", "org": CHARITY, "holder": "李四"}
                keys = table_for(KeyRow)
                with engine.connect() as conn:
                    row = conn.execute(keys.select().where(keys.c.public_key == public)).mappings().one()
                assert row["role"] == "fundraiser" and row["granted_by"] == admin_key_id and row["revoked_seq"] is None

                # the person's page says so, and the person's browser key signs what the log checks
                signed_by_person = person.evaluate(
                    """WorkbenchKeys.list().then(function (ks) { return ks[0].keyId; })"""
                )
                assert signed_by_person == row["key_id"]
                person.goto(f"{server}/workbench/keys")
                assert "已授权" in person.inner_text("#my-keys")
                signed = person.evaluate(
                    """WorkbenchKeys.list().then(function (ks) {
                         return WorkbenchKeys.signEntry(ks[0].keyId, {v: 1, type: "t", data: {b: "乙", a: 1}});
                       })"""
                )
                message = b"charity-ledger/entry/v1\n" + '{"data":{"a":1,"b":"乙"},"type":"t","v":1}'.encode()
                assert verify(unb64(public, length=32), unb64(signed["sig"], length=64), message)
                person.watch.check(allow_aborted=True)

                # the device is lost: the admin revokes its key, again signing in the admin's browser
                admin.goto(f"{server}/workbench/keys/{row['key_id']}/enrol")
                admin.wait_for_selector("#signer-key option", state="attached")
                admin.fill("#revoke-reason", "设备丢失")
                admin.click("#sign-revoke")
                admin.wait_for_selector("#enrol-app[data-done]", state="attached")
                with engine.connect() as conn:
                    row = conn.execute(keys.select().where(keys.c.public_key == public)).mappings().one()
                assert row["revoked_seq"] == registry.ledger.log.head().size - 1 and row["revoke_reason"] == "设备丢失"
                assert row["revoked_by"] == admin_key_id
                admin.watch.check(allow_aborted=True)
    audit = [r.action for r in reversed(A.audit_log(engine))]
    assert audit.count("sign_in") == 3 and audit.count("key_added") == 2
    assert "key_granted" in audit and "key_revoked" in audit


def test_a_passkey_on_a_virtual_authenticator(tmp_path: Path) -> None:
    registry = build_registry(tmp_path / "home")
    engine = registry.ledger.engine
    A.accept_invitation(engine, registry.invite("staff1", ["staff"]), PASSWORD)
    with serving(make_app(registry.ledger)) as server, chromium(server) as browser:
        # WebAuthn needs a host name as relying party id: localhost, not 127.0.0.1
        local = server.replace("127.0.0.1", "localhost")
        with watched_page(browser, local) as page:
            cdp = page.context.new_cdp_session(page)
            cdp.send("WebAuthn.enable")
            cdp.send(
                "WebAuthn.addVirtualAuthenticator",
                {
                    "options": {
                        "protocol": "ctap2",
                        "transport": "internal",
                        "hasResidentKey": True,
                        "hasUserVerification": True,
                        "isUserVerified": True,
                    }
                },
            )
            _sign_in(page, local, "staff1")
            page.goto(f"{local}/workbench/keys")
            page.click("#passkey-register")
            expect(page.locator("#passkey-status")).to_contain_text("通行密钥已添加")
            assert len(A.passkeys(engine, A.account_by_login(engine, "staff1").id)) == 1  # type: ignore[union-attr]
            # now the passkey is the second factor: the password alone does not open the workbench
            page.context.clear_cookies()
            page.goto(f"{local}/workbench/sign-in")
            page.fill("#login", "staff1")
            page.fill("#password", PASSWORD)
            page.click("#sign-in")
            expect(page.locator("main")).to_contain_text("请用您的通行密钥完成登录")
            assert page.request.get(f"{local}/workbench/", max_redirects=0).status == 303
            page.click("#passkey-sign-in")
            page.wait_for_url(f"{local}/workbench/")
            assert "staff" in page.inner_text("#my-roles")
    audit = [(r.action, r.detail) for r in reversed(A.audit_log(engine))]
    assert ("passkey_added", "passkey") in audit and ("sign_in_factor", "passkey added") in audit
