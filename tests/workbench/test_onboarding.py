"""`charity-ledger init` from nothing: the log's name, the genesis, the registrar's and the
system's keys (encrypted by default), the first invitation, and the next steps."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from ledger.cli import main
from ledger.protocol.keys import read_key_file
from ledger.settings import from_env
from ledger.store import accounts as A
from ledger.store.runtime import open_ledger

REGISTRAR = ["--registrar-org", "11440300MB2C92051K", "--registrar-name-zh", "深圳市民政局"]
REGISTRAR += ["--jurisdiction", "CN-GD-Shenzhen", "--registrar-holder", "登记管理处"]
ORIGIN = "registry.charity-a.org.cn/log"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CHARITY_LEDGER_ORIGIN", "CHARITY_LEDGER_DATABASE_URL", "CHARITY_LEDGER_KEY_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)


def _init(capsys: pytest.CaptureFixture[str], home: Path, *args: str) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    code = main(["--home", str(home), "init", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out else {}), err


def test_init_creates_the_trust_root_and_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("CHARITY_LEDGER_KEY_PASSPHRASE", "a long passphrase")
    code, out, err = _init(capsys, home, "--origin", ORIGIN, *REGISTRAR, "--registrar-login", "registrar")
    assert code == 0, err
    assert out["size"] == 2 and out["registry"]["created"] is True
    registrar_file, system_file = home / "keys" / "registrar.key", home / "keys" / "system.key"
    for path in (registrar_file, system_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert "ENCRYPTED PRIVATE KEY" in path.read_text()
    registrar = read_key_file(registrar_file, b"a long passphrase")
    system = read_key_file(system_file, b"a long passphrase")

    ledger = open_ledger(
        from_env({"CHARITY_LEDGER_HOME": str(home), "CHARITY_LEDGER_KEY_PASSPHRASE": "a long passphrase"})
    )
    bodies = [json.loads(leaf)["body"] for leaf in ledger.log.leaves(0, 2)]
    assert [b["type"] for b in bodies] == ["registry.genesis", "key.granted"]
    assert bodies[0]["data"]["public_key"] == registrar.public_b64 and bodies[0]["log"] == ORIGIN
    assert bodies[0]["data"]["log_key"] == ledger.log_key.public_b64
    assert bodies[1]["signer"] == registrar.id
    assert bodies[1]["data"] == {
        "public_key": system.public_b64,
        "role": "system",
        "org": "11440300MB2C92051K",
        "holder": "log operator (charity-ledger system key)",
    }
    assert out["registry"]["system_key_ids"] == [system.id]
    # the registrar's first workbench invitation opens an account
    code_text = out["invitation"]["link"].split("#code=")[1]
    account = A.accept_invitation(ledger.engine, code_text, "a good long password")
    assert account.roles == {"registrar"} and account.organisation == "11440300MB2C92051K"
    assert "next steps" in err and "charity-ledger doctor" in err

    # idempotent: a second init changes nothing
    code, again, _ = _init(capsys, home, *REGISTRAR)
    assert code == 0 and again["size"] == 2 and "registry" not in again
    assert read_key_file(system_file, b"a long passphrase").id == system.id

    code = main(["--home", str(home), "doctor"])
    doctor = {c["check"]: c for c in json.loads(capsys.readouterr()[0])}
    assert doctor["genesis and system key"]["ok"], doctor


def test_key_files_are_encrypted_unless_told_otherwise(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    code, _, err = _init(capsys, home, "--origin", ORIGIN, *REGISTRAR)
    assert code == 1 and "CHARITY_LEDGER_KEY_PASSPHRASE" in err
    assert not (home / "keys" / "registrar.key").exists()
    assert open_ledger(from_env({"CHARITY_LEDGER_HOME": str(home)})).log.head().size == 0  # nothing appended
    code, out, _ = _init(capsys, home, *REGISTRAR, "--unencrypted-keys")
    assert code == 0 and out["size"] == 2
    assert "BEGIN PRIVATE KEY" in (home / "keys" / "system.key").read_text()


def test_missing_registrar_details_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _init(capsys, tmp_path / "home", "--origin", ORIGIN, "--registrar-org", "11440300MB2C92051K")
    assert code == 1 and "--registrar-name-zh" in err and "--jurisdiction" in err
    assert "[" + "init_incomplete" + "]" in err


def test_a_bad_registrar_code_writes_no_genesis(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    bad = [a if a != "11440300MB2C92051K" else "11440300MB2C92051X" for a in REGISTRAR]
    code, _, err = _init(capsys, home, "--origin", ORIGIN, *bad, "--unencrypted-keys")
    assert code == 1 and "error [" in err
    assert open_ledger(from_env({"CHARITY_LEDGER_HOME": str(home)})).log.head().size == 0


def test_backup_carries_the_system_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home, copy = tmp_path / "home", tmp_path / "restored"
    assert _init(capsys, home, "--origin", ORIGIN, *REGISTRAR, "--unencrypted-keys")[0] == 0
    assert main(["--home", str(home), "backup", str(tmp_path / "backup")]) == 0
    assert main(["--home", str(copy), "restore", str(tmp_path / "backup")]) == 0
    capsys.readouterr()
    restored = copy / "keys" / "system.key"
    assert stat.S_IMODE(restored.stat().st_mode) == 0o600
    assert restored.read_bytes() == (home / "keys" / "system.key").read_bytes()
    assert not (copy / "keys" / "registrar.key").exists()  # the registrar's key is not the operator's to keep
