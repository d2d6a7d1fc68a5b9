"""`charity-ledger doctor` reports a healthy deployment as healthy and names what is broken."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import update

from ledger.cli import main
from ledger.protocol.keys import KeyPair, write_key_file
from ledger.store.log_tables import LogLeaf
from tests.support.ledger_factory import LedgerFactory


def _doctor(capsys: pytest.CaptureFixture[str], home: Path, *extra: str) -> tuple[int, dict[str, dict]]:
    code = main(["--home", str(home), "doctor", *extra])
    out, _ = capsys.readouterr()
    return code, {c["check"]: c for c in json.loads(out)}


@pytest.fixture
def ledger_home(factory: LedgerFactory, monkeypatch: pytest.MonkeyPatch) -> LedgerFactory:
    monkeypatch.setenv("CHARITY_LEDGER_ORIGIN", factory.settings.origin)
    monkeypatch.delenv("CHARITY_LEDGER_DATABASE_URL", raising=False)
    monkeypatch.delenv("CHARITY_LEDGER_BROKER_URL", raising=False)
    factory.with_genesis()
    factory.append_orgs(4)
    _grant_system_key(factory)
    from ledger.store.donors import load_privacy_key

    load_privacy_key(factory.settings)
    return factory


def _grant_system_key(factory: LedgerFactory) -> KeyPair:
    """The log operator's system key: granted by the registrar, its file in the data folder."""
    from tests.support.ledger_factory import REGISTRAR_ORG

    system = KeyPair.from_seed(b"doctor system key")
    grant = {"public_key": system.public_b64, "role": "system", "org": REGISTRAR_ORG, "holder": "log operator"}
    factory.ledger.log.append([factory.sign(factory.registrar, "key.granted", grant)])
    write_key_file(system, factory.home / "keys" / "system.key")
    return system


def test_healthy_deployment(ledger_home: LedgerFactory, capsys: pytest.CaptureFixture[str]) -> None:
    code, checks = _doctor(capsys, ledger_home.home, "--deep")
    assert code == 0, checks
    assert checks["log verifies"]["detail"].startswith("6 entries verify")
    assert checks["genesis and system key"]["ok"]
    assert checks["projections match the log"]["ok"]
    assert checks["report fonts"]["ok"]


def test_problems_are_named(ledger_home: LedgerFactory, capsys: pytest.CaptureFixture[str]) -> None:
    os.chmod(ledger_home.settings.privacy_key_path, 0o644)
    with ledger_home.ledger.engine.begin() as conn:
        conn.execute(update(LogLeaf.__table__).where(LogLeaf.__table__.c.seq == 2).values(leaf=b"{}"))
    code, checks = _doctor(capsys, ledger_home.home)
    assert code == 1
    assert not checks["donor data key"]["ok"] and "chmod 600" in checks["donor data key"]["detail"]
    assert not checks["log verifies"]["ok"] and "seq 2" in checks["log verifies"]["detail"]
    assert checks["database reachable"]["ok"] and checks["migrations current"]["ok"]


def test_uninitialised_home(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHARITY_LEDGER_DATABASE_URL", raising=False)
    (tmp_path / "empty").mkdir()
    code, checks = _doctor(capsys, tmp_path / "empty")
    assert code == 1
    assert not checks["migrations current"]["ok"] and "charity-ledger init" in checks["migrations current"]["detail"]
    assert not checks["log key file"]["ok"]


def test_unreachable_broker(
    ledger_home: LedgerFactory, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHARITY_LEDGER_BROKER_URL", "redis://127.0.0.1:1/0")
    code, checks = _doctor(capsys, ledger_home.home)
    assert code == 1 and not checks["task broker reachable"]["ok"]


def test_example_origin_is_a_warning(ledger_home: LedgerFactory, capsys: pytest.CaptureFixture[str]) -> None:
    code, checks = _doctor(capsys, ledger_home.home)
    assert code == 0  # a warning does not fail the deployment
    check = checks["log origin"]
    assert check["ok"] and check["warning"]
    assert check["detail"].startswith(f"{ledger_home.settings.origin} is the example origin")


def test_own_origin_gives_no_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHARITY_LEDGER_ORIGIN", raising=False)
    monkeypatch.delenv("CHARITY_LEDGER_DATABASE_URL", raising=False)
    home = tmp_path / "home"
    assert main(["--home", str(home), "init", "--origin", "registry.charity-a.org.cn/log"]) == 0
    capsys.readouterr()
    code, checks = _doctor(capsys, home)
    assert (
        code == 1 and "no registry.genesis" in checks["genesis and system key"]["detail"]
    )  # init without the registrar
    args = ["--registrar-org", "11440300MB2C92051K", "--registrar-name-zh", "深圳市民政局"]
    args += ["--jurisdiction", "CN-GD-Shenzhen", "--registrar-holder", "登记管理处", "--unencrypted-keys"]
    assert main(["--home", str(home), "init", *args]) == 0
    capsys.readouterr()
    code, checks = _doctor(capsys, home)
    assert code == 0, checks
    assert checks["log origin"] == {
        "check": "log origin",
        "ok": True,
        "warning": False,
        "detail": "registry.charity-a.org.cn/log",
    }


def test_evidence_files_are_checked(ledger_home: LedgerFactory, capsys: pytest.CaptureFixture[str]) -> None:
    from ledger.store.evidence import open_evidence
    from tests.evidence_files import pdf_bytes

    stored, _ = open_evidence(ledger_home.ledger).add(pdf_bytes("checked by doctor"), "public")
    code, checks = _doctor(capsys, ledger_home.home, "--deep")
    assert code == 0 and checks["evidence files"]["detail"].startswith("1 file in ")
    path = ledger_home.home / "evidence" / stored.sha256[:2] / stored.sha256[2:]
    path.write_bytes(b"%PDF-1.4 replaced")
    code, checks = _doctor(capsys, ledger_home.home, "--deep")
    assert code == 1 and stored.sha256 in checks["evidence files"]["detail"]
    path.unlink()
    code, checks = _doctor(capsys, ledger_home.home)
    assert code == 1 and "evidence_store_unavailable" in checks["evidence files"]["detail"]


def test_a_registry_without_a_system_key_fails(
    factory: LedgerFactory, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHARITY_LEDGER_ORIGIN", factory.settings.origin)
    monkeypatch.delenv("CHARITY_LEDGER_DATABASE_URL", raising=False)
    monkeypatch.delenv("CHARITY_LEDGER_BROKER_URL", raising=False)
    factory.with_genesis()
    code, checks = _doctor(capsys, factory.home)
    assert code == 1 and "no live system key" in checks["genesis and system key"]["detail"]
    system = _grant_system_key(factory)
    (factory.home / "keys" / "system.key").unlink()
    code, checks = _doctor(capsys, factory.home)
    assert code == 1 and "system.key does not exist" in checks["genesis and system key"]["detail"]
    write_key_file(system, factory.home / "keys" / "system.key")
    code, checks = _doctor(capsys, factory.home)
    assert checks["genesis and system key"]["ok"], checks
