"""The whole path, in Chromium, as the people who use the registry walk it (issue 14): a charity's
staff by invitation and password, keys made in their browsers and enrolled by their admin's
browser, a project, a donation, a bank statement imported with its interest and fee rows, an
allocation, a payment with an invoice PDF and a photo
uploaded from the form, a progress report, a correction, a regulator's verdict signed in the
regulator's browser and the regulator's report download; then the public site shows each entry,
its evidence (the hash checked in the browser) and a passing proof.

Only what an operator does at a terminal is done here without a browser: registering the
organisations, inviting the first admins and granting their first keys (the registrar's key
file, ``charity-ledger key grant``), and issuing the report (the report job)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from ledger.domain.uscc import make_uscc
from ledger.protocol.keys import KeyPair, write_key_file
from ledger.store import accounts as A
from ledger.store.onboarding import SYSTEM_KEY
from reports.common import ReportRequest
from reports.issue import issue
from tests.evidence_files import exif_jpeg, pdf_bytes
from tests.site.accessibility import serious_findings
from tests.site.browsing import chromium, serving, watched_page
from tests.support.ledger_factory import REGISTRAR_ORG
from tests.workbench.conftest import CHARITY, PASSWORD, Registry, build_registry, make_app
from tests.workbench.forms.test_import_wizard import NAMES, cmb_statement

pytestmark = pytest.mark.browser

SERVICE = make_uscc("52440300MJL00102B")
PROJECT = "P-WB-LIBRARY"
TODAY = date.today().isoformat()


def _register_service(registry: Registry) -> None:
    org = {
        "org": SERVICE,
        "name_zh": "社区图书服务中心",
        "name_en": None,
        "legal_form": "social_service_org",
        "track": "registered",
        "public_fundraising": False,
    }
    registry.ledger.log.append([registry.factory.sign(registry.factory.registrar, "org.registered", org)])


def _grant_from_key_file(registry: Registry, public: str, role: str, org: str, holder: str) -> None:
    """What ``charity-ledger key grant`` does with a key file: the registrar's, or for a
    fundraiser the foundation's admin key kept for the command line."""
    grant = {"public_key": public, "role": role, "org": org, "holder": holder}
    signer = registry.admin_key if role == "fundraiser" else registry.factory.registrar
    registry.ledger.log.append([registry.factory.sign(signer, "key.granted", grant)])


def _accept(page: Any, server: str, code: str) -> None:
    page.goto(f"{server}/workbench/invitation#code={code}")
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.click("#accept")
    page.wait_for_url(f"{server}/workbench/keys")
    page.wait_for_load_state("load")


def _make_key(page: Any, server: str, label: str) -> str:
    page.goto(f"{server}/workbench/keys")
    page.fill("#key-label", label)
    with page.expect_navigation(url=f"{server}/workbench/keys"):
        page.click("#create-key")
    expect(page.locator("#my-keys tr[data-key-id] .held")).to_have_text("✓")
    page.wait_for_load_state("load")
    return str(page.evaluate("WorkbenchKeys.list().then(function (ks) { return ks[0].publicKey; })"))


def _open_form(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_function("document.documentElement.dataset.workbenchReady === 'true'")


def _fill(page: Any, data: dict[str, str], scope: str = "main") -> None:
    for path, value in data.items():
        control = page.locator(f'[data-scope="{scope}"] [data-path="{path}"]')
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)


def _sign(page: Any) -> int:
    """Preview, sign in the browser, and read the answer: its position, its proof checked."""
    page.click("#wb-preview")
    page.locator("#wb-review:visible, #wb-summary:visible").first.wait_for()
    assert page.locator("#wb-summary").is_hidden(), page.inner_text("#wb-summary")
    page.click("#wb-sign")
    proofs = page.locator("[data-proof]")
    page.locator("[data-proof]:visible, #wb-summary:visible").first.wait_for()
    assert page.locator("#wb-summary").is_hidden(), page.inner_text("#wb-summary")
    states = proofs.evaluate_all("els => els.map(e => e.dataset.proof)")
    assert states and set(states) == {"ok"}, states
    positions = page.locator("dl.wb-proof dd code").evaluate_all("els => els.map(e => e.textContent)")
    return int(positions[-6])  # the last entry's position (six rows per entry)


def _upload(page: Any, path: Path, visibility: str = "public") -> str:
    box = page.locator('[data-scope="main"] [data-field="evidence"] .wb-upload')
    box.locator('input[type="file"]').set_input_files(str(path))
    box.locator("select").select_option(visibility)
    box.locator("button").click()
    status = box.locator(".wb-upload-status[data-sha256]")
    status.wait_for(state="attached")
    return str(status.get_attribute("data-sha256"))


def _leaf(registry: Registry, position: int) -> dict[str, Any]:
    return dict(json.loads(registry.ledger.log.leaf(position))["body"])


def test_from_invitation_to_the_public_proof(tmp_path: Path) -> None:
    registry = build_registry(tmp_path / "home")
    engine = registry.ledger.engine
    _register_service(registry)
    system = KeyPair.from_seed(b"whole path: the log operator's system key")  # as `init` makes it
    _grant_from_key_file(registry, system.public_b64, "system", REGISTRAR_ORG, "日志运营")
    write_key_file(system, registry.ledger.settings.home / "keys" / SYSTEM_KEY, None)
    invite = {
        "fund": A.invite(
            engine, login="f.li", display_name="李募集", organisation=CHARITY, roles=["fundraiser"], actor=None
        ),
        "sadmin": A.invite(
            engine, login="s.wang", display_name="王主任", organisation=SERVICE, roles=["org_admin"], actor=None
        ),
        "officer": A.invite(
            engine, login="officer", display_name="赵科长", organisation=REGISTRAR_ORG, roles=["registrar"], actor=None
        ),
    }
    files = tmp_path / "files"
    files.mkdir()
    invoice, photo = files / "invoice.pdf", files / "site.jpg"
    invoice.write_bytes(pdf_bytes("Invoice 2026-118: books 1,200.00 CNY"))
    photo.write_bytes(exif_jpeg())
    report_photo = files / "reading.jpg"
    report_photo.write_bytes(exif_jpeg()[:-2] + b"\x00\xff\xd9")  # another photo (other bytes)

    with serving(make_app(registry.ledger)) as server, chromium(server) as browser:
        with (
            watched_page(browser, server) as fund,
            watched_page(browser, server) as sadmin,
            watched_page(browser, server, bypass_csp=True) as staff,  # axe is injected into its pages
            watched_page(browser, server) as officer,
        ):
            # --- people: invitations, passwords, keys made in the browser -----------------------
            _accept(fund, server, invite["fund"])
            _grant_from_key_file(registry, _make_key(fund, server, "李募集的电脑"), "fundraiser", CHARITY, "李募集")
            _accept(sadmin, server, invite["sadmin"])
            _grant_from_key_file(registry, _make_key(sadmin, server, "王主任的电脑"), "org_admin", SERVICE, "王主任")

            # the service's admin invites a staff member in the workbench and enrols their key
            sadmin.goto(f"{server}/workbench/people")
            sadmin.fill("#inv-login", "s.zhou")
            sadmin.fill("#inv-name", "周执行")
            sadmin.check('#invite-form input[value="implementer"]')
            sadmin.click("#invite")
            link = sadmin.inner_text("#invitation-link")
            staff.goto(link.replace("http://127.0.0.1:8000", server) if link.startswith("http") else server + link)
            staff.fill("#password", PASSWORD)
            staff.fill("#password2", PASSWORD)
            staff.click("#accept")
            staff.wait_for_url(f"{server}/workbench/keys")
            staff.wait_for_load_state("load")
            staff_public = _make_key(staff, server, "周执行的笔记本")
            assert serious_findings(staff) == []  # the keys page
            sadmin.goto(f"{server}/workbench/people")
            sadmin.click("a.enrol")
            sadmin.wait_for_selector("#signer-key option", state="attached")
            assert sadmin.inner_text("#enrol-public-key") == staff_public
            sadmin.select_option("#grant-role", "implementer")
            sadmin.click("#sign-grant")
            sadmin.wait_for_selector("#enrol-app[data-done]", state="attached")

            # --- the foundation: a project, a donation, an allocation --------------------------
            _open_form(fund, f"{server}/workbench/entries/new/project.registered")
            _fill(
                fund,
                {
                    "project": PROJECT,
                    "title_zh": "社区图书角",
                    "field": "education",
                    "region": "440304",
                    "start_date": TODAY,
                    "end_date": (date.today() + timedelta(days=200)).isoformat(),
                    "currency": "CNY",
                    "target": "50000.00",
                    "implementers": SERVICE,
                    "overseers": REGISTRAR_ORG,
                    "directed": "true",
                    "emergency": "false",
                },
            )
            project_pos = _sign(fund)
            _open_form(fund, f"{server}/workbench/entries/new/donation.received")
            _fill(
                fund,
                {
                    "project": PROJECT,
                    "currency": "CNY",
                    "amount": "5000.00",
                    "kind": "money",
                    "channel": "bank_transfer",
                    "donor_type": "enterprise",
                    "commitment": hashlib.sha256(b"donor: a company").hexdigest(),
                    "restricted": "true",
                    "received_on": TODAY,
                },
            )
            _sign(fund)
            # the bank statement (GB18030, CMB's layout): donations, interest and a fee each become
            # their own entry type; a refund and the platform settlement are not donations
            size_before_import = registry.ledger.log.head().size
            fund.goto(f"{server}/workbench/import")
            fund.wait_for_function("document.documentElement.dataset.workbenchReady === 'true'")
            fund.set_input_files(
                "#imp-file", files=[{"name": "招商银行交易明细.csv", "mimeType": "text/csv", "buffer": cmb_statement()}]
            )
            fund.select_option("#imp-preset", "cmb")
            fund.fill("#imp-project", PROJECT)
            fund.click("#imp-preview")
            fund.locator("#imp-review").wait_for(state="visible")
            actions = fund.locator("#imp-rows tr").evaluate_all("rows => rows.map(r => r.dataset.action)")
            assert sorted(a for a in actions if a.endswith((".received", ".charged"))) == [
                "donation.received",
                "donation.received",
                "fee.charged",
                "interest.received",
            ]
            fund.click("#imp-sign")
            fund.locator("#imp-answer").wait_for(state="visible")
            imported = [_leaf(registry, p) for p in range(size_before_import, registry.ledger.log.head().size)]
            assert sorted(e["type"] for e in imported) == [
                "donation.received",
                "donation.received",
                "fee.charged",
                "interest.received",
            ]
            assert {e["data"].get("donor_type") for e in imported if e["type"] == "donation.received"} == {
                "individual",
                "enterprise",
            }
            imported_bytes = json.dumps(imported, ensure_ascii=False)
            assert all(name not in imported_bytes for name in NAMES)  # counterparties stay private

            _open_form(fund, f"{server}/workbench/entries/new/funds.allocated")
            _fill(
                fund,
                {
                    "project": PROJECT,
                    "currency": "CNY",
                    "amount": "3000.00",
                    "implementer": SERVICE,
                    "source": "restricted",
                    "allocated_on": TODAY,
                },
            )
            allocation_pos = _sign(fund)

            # --- the service: a payment with its invoice and photo, a progress report ----------
            _open_form(staff, f"{server}/workbench/entries/new/funds.disbursed")
            _fill(
                staff,
                {
                    "project": PROJECT,
                    "currency": "CNY",
                    "amount": "1200.00",
                    "category": "program",
                    "payee": "新华书店",
                    "purpose": "购书",
                    "paid_on": TODAY,
                },
            )
            invoice_sha = _upload(staff, invoice)
            photo_sha = _upload(staff, photo)
            assert invoice_sha == hashlib.sha256(invoice.read_bytes()).hexdigest()
            assert photo_sha != hashlib.sha256(photo.read_bytes()).hexdigest()  # kept without its EXIF
            assert serious_findings(staff) == []  # the form, filled, with its uploads listed
            payment_pos = _sign(staff)
            assert serious_findings(staff) == []  # the answer with its proof
            payment = _leaf(registry, payment_pos)
            assert payment["data"]["evidence"] == [invoice_sha, photo_sha]

            _open_form(staff, f"{server}/workbench/entries/new/progress.reported")
            _fill(
                staff,
                {"project": PROJECT, "period_start": TODAY, "period_end": TODAY, "summary": "图书角开放，借阅 80 人次"},
            )
            report_photo_sha = _upload(staff, report_photo)
            progress_pos = _sign(staff)

            # --- a correction in one step: the payment was 1,180.00 --------------------------
            payment_hash = registry.ledger.log.leaves(payment_pos, payment_pos + 1)[0]
            leaf_hash = hashlib.sha256(b"\x00" + payment_hash).hexdigest()
            _open_form(staff, f"{server}/workbench/entries/correct/{leaf_hash}")
            _fill(staff, {"reason": "发票金额录入错误"})
            _fill(staff, {"amount": "1180.00"}, scope="replacement")
            replacement_pos = _sign(staff)
            correction = _leaf(registry, replacement_pos - 1)
            replacement = _leaf(registry, replacement_pos)
            assert correction["type"] == "entry.corrected" and correction["data"]["target"] == leaf_hash
            assert replacement["data"]["amount"] == "1180.00"
            assert replacement["data"]["evidence"] == [invoice_sha, photo_sha]

            # --- the regulator: a key, a verdict from the desk's link, the reports ---------------
            _accept(officer, server, invite["officer"])
            officer_public = _make_key(officer, server, "赵科长的电脑")
            _grant_from_key_file(registry, officer_public, "overseer", REGISTRAR_ORG, "赵科长")
            replacement_hash = hashlib.sha256(
                b"\x00" + registry.ledger.log.leaves(replacement_pos, replacement_pos + 1)[0]
            ).hexdigest()
            _open_form(officer, f"{server}/workbench/entries/new/attestation.recorded?target={replacement_hash}")
            _fill(officer, {"verdict": "approved", "findings": "发票与照片齐全"})
            verdict_pos = _sign(officer)
            verdict = _leaf(registry, verdict_pos)
            assert verdict["data"]["target"] == replacement_hash and verdict["data"]["verdict"] == "approved"

            issued = issue(registry.ledger, ReportRequest(kind="project", project=PROJECT))  # the report job
            assert issued.entry is not None  # recorded in the log as report.issued
            officer.goto(f"{server}/workbench/console/orgs/{CHARITY}")
            with officer.expect_download() as download:
                officer.click(f'a[href="/workbench/console/orgs/{CHARITY}/reports.zip"]')
            archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
            sums = dict(reversed(line.split("  ", 1)) for line in archive.read("SHA256SUMS").decode().splitlines())
            assert sums and {f.sha256 for f in issued.files} <= set(sums.values())
            for name, digest in sums.items():
                assert hashlib.sha256(archive.read(name)).hexdigest() == digest

            for page in (fund, sadmin, staff, officer):
                page.watch.check(allow_aborted=True)

        # --- the public: every entry on the project page, evidence checked, proofs pass ----------
        with watched_page(browser, server) as public:
            public.goto(f"{server}/projects/{PROJECT}")
            text = public.inner_text("main")
            for shown in ("社区图书角", "5,000.00", "2,000.00", "3,000.00", "1,180.00", "新华书店", "图书角开放"):
                assert shown in text, shown
            for position in (project_pos, allocation_pos, replacement_pos, progress_pos, verdict_pos):
                public.goto(f"{server}/ledger/{position}")
                public.wait_for_selector("#check-result[data-state]")
                assert public.locator("#check-result").get_attribute("data-state") == "pass", position
            public.goto(f"{server}/ledger/{replacement_pos}")
            item = public.locator(f'.evidence[data-evidence="{invoice_sha}"]')
            item.locator("input[type=file]").set_input_files(str(invoice))
            item.locator(".evidence-result.evidence-match").wait_for()
            assert public.locator(f'.evidence[data-evidence="{photo_sha}"] a.evidence-link').count() == 1
            public.goto(f"{server}/ledger/{progress_pos}")
            assert public.locator(f'.evidence[data-evidence="{report_photo_sha}"]').count() == 1
            public.watch.check()
