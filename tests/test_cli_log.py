"""The command line of the log core: init, keygen, export, verify."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.cli import main
from tests.support.ledger_factory import ORIGIN, LedgerFactory


@pytest.fixture(autouse=True)
def _origin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARITY_LEDGER_ORIGIN", ORIGIN)
    monkeypatch.delenv("CHARITY_LEDGER_DATABASE_URL", raising=False)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_is_idempotent_and_keeps_the_key_private(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    code, out, _ = _run(capsys, "--home", str(home), "init", "--example-origin")
    assert code == 0
    first = json.loads(out)
    key_file = home / "keys" / "log.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    pem = key_file.read_text()
    assert "PRIVATE KEY" in pem and pem not in out
    code, out, _ = _run(capsys, "--home", str(home), "init", "--example-origin")
    assert code == 0 and json.loads(out)["log_vkey"] == first["log_vkey"]
    assert first["log_vkey"].startswith(ORIGIN + "+") and first["size"] == 0


def test_log_key_readable_by_others_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    _run(capsys, "--home", str(home), "init", "--example-origin")
    os.chmod(home / "keys" / "log.key", 0o644)
    code, _, err = _run(capsys, "--home", str(home), "export", str(tmp_path / "x"))
    assert code != 0 and "chmod 600" in err and "key_file_invalid" in err


def test_encrypted_log_key(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARITY_LEDGER_KEY_PASSPHRASE", "correct horse")
    home = tmp_path / "home"
    assert _run(capsys, "--home", str(home), "init", "--example-origin")[0] == 0
    assert "ENCRYPTED PRIVATE KEY" in (home / "keys" / "log.key").read_text()
    monkeypatch.setenv("CHARITY_LEDGER_KEY_PASSPHRASE", "wrong")
    code, _, err = _run(capsys, "--home", str(home), "init", "--example-origin")
    assert code != 0 and "passphrase" in err


def test_keygen_writes_a_private_file_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "actor.key"
    code, out, _ = _run(capsys, "keygen", "--out", str(target), "--unencrypted")
    assert code == 0
    info = json.loads(out)
    assert len(info["key_id"]) == 64 and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert info["encrypted"] is False
    from ledger.protocol.keys import read_key_file

    assert read_key_file(target).id == info["key_id"]
    code, _, err = _run(capsys, "keygen", "--out", str(target), "--unencrypted")
    assert code != 0 and "refusing to overwrite" in err


def test_keygen_encrypts_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHARITY_LEDGER_KEY_PASSPHRASE", raising=False)
    target = tmp_path / "actor.key"
    code, out, err = _run(capsys, "keygen", "--out", str(target))
    assert code == 1 and out == "" and "CHARITY_LEDGER_KEY_PASSPHRASE" in err and not target.exists()
    monkeypatch.setenv("CHARITY_LEDGER_KEY_PASSPHRASE", "a long passphrase")
    code, out, _ = _run(capsys, "keygen", "--out", str(target))
    assert code == 0 and json.loads(out)["encrypted"] is True
    assert "ENCRYPTED PRIVATE KEY" in target.read_text()
    from ledger.protocol.keys import read_key_file

    assert read_key_file(target, b"a long passphrase").id == json.loads(out)["key_id"]


def test_export_and_verify_exit_codes(
    factory: LedgerFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    factory.with_genesis()
    factory.append_orgs(9)
    home = str(factory.home)
    folder = tmp_path / "export"
    assert _run(capsys, "--home", home, "export", str(folder))[0] == 0
    assert len((folder / "entries.jsonl").read_bytes().splitlines()) == 10
    code, out, _ = _run(capsys, "verify", str(folder))
    assert code == 0 and json.loads(out)["size"] == 10 and json.loads(out)["valid"] is True
    lines = (folder / "entries.jsonl").read_bytes().splitlines(keepends=True)
    lines[6] = lines[6].replace(b'"seq":6', b'"seq":60')
    (folder / "entries.jsonl").write_bytes(b"".join(lines))
    code, _, err = _run(capsys, "verify", str(folder))
    assert code == 1 and "seq 6" in err and "序号 6" in err


def test_console_script_is_installed(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("charity-ledger")
    result = subprocess.run(
        [str(exe), "--home", str(tmp_path / "h"), "verify", str(tmp_path / "missing")], capture_output=True, text=True
    )
    assert result.returncode == 1 and "export folder is incomplete" in result.stderr


def test_the_origin_comes_from_the_data_folder(
    factory: LedgerFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    factory.with_genesis()
    monkeypatch.delenv("CHARITY_LEDGER_ORIGIN")  # the default origin, not the test log's
    assert _run(capsys, "--home", str(factory.home), "export", str(tmp_path / "e"))[0] == 0
    assert (tmp_path / "e" / "checkpoint").read_text().startswith(ORIGIN + "\n")
    monkeypatch.setenv("CHARITY_LEDGER_ORIGIN", "another.example/log")
    code, _, err = _run(capsys, "--home", str(factory.home), "export", str(tmp_path / "f"))
    assert code == 1 and "wrong_log" in err


def test_verify_counts_witness_cosignatures_in_the_export(
    factory: LedgerFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ledger.protocol.checkpoint import Checkpoint, cosign, format_witness_key
    from ledger.protocol.keys import KeyPair

    factory.with_genesis()
    factory.append_orgs(3)
    log = factory.ledger.log
    head = log.head()
    witnesses = [KeyPair.from_seed(f"witness {i}".encode()) for i in range(3)]
    for i, w in enumerate(witnesses[:2]):
        line = cosign(Checkpoint(ORIGIN, head.size, head.root), w, f"w{i}.example", 1_800_000_000 + i)
        log.add_cosignature(head.size, f"w{i}.example", line, 1_800_000_000 + i)
    keys = [format_witness_key(f"w{i}.example", w.public) for i, w in enumerate(witnesses)]
    folder = tmp_path / "export"
    assert _run(capsys, "--home", str(factory.home), "export", str(folder))[0] == 0
    args = [a for k in keys for a in ("--witness-key", k)]
    code, out, _ = _run(capsys, "verify", str(folder), *args, "--quorum", "2")
    assert code == 0
    assert sorted(c["name"] for c in json.loads(out)["witnesses"]["cosigners"]) == ["w0.example", "w1.example"]
    code, _, err = _run(capsys, "verify", str(folder), *args, "--quorum", "3")
    assert code == 1 and "cosign" in err


def test_init_again_keeps_the_stored_origin(
    factory: LedgerFactory, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    factory.with_genesis()
    monkeypatch.delenv("CHARITY_LEDGER_ORIGIN")
    code, out, _ = _run(capsys, "--home", str(factory.home), "init")
    assert code == 0 and json.loads(out)["origin"] == ORIGIN and json.loads(out)["size"] == 1


def test_init_refuses_the_example_origin_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHARITY_LEDGER_ORIGIN")
    home = tmp_path / "home"
    code, out, err = _run(capsys, "--home", str(home), "init")
    assert code == 1 and out == ""
    assert "[example_origin]" in err and "--origin" in err and "示例名称" in err
    assert not home.exists()  # no folder, no key, no database

    code, out, _ = _run(capsys, "--home", str(home), "init", "--origin", "registry.charity-a.org.cn/log")
    assert code == 0
    info = json.loads(out)
    assert info["origin"] == "registry.charity-a.org.cn/log"
    assert info["log_vkey"].startswith("registry.charity-a.org.cn/log+")
    # a later init names no origin: the log keeps the one it was created with
    code, out, _ = _run(capsys, "--home", str(home), "init")
    assert code == 0 and json.loads(out)["log_vkey"] == info["log_vkey"]


def test_init_with_the_example_origin_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHARITY_LEDGER_ORIGIN")
    home = tmp_path / "home"
    code, out, _ = _run(capsys, "--home", str(home), "init", "--example-origin")
    assert code == 0 and json.loads(out)["origin"] == "charity-ledger.example/log"
    # an existing log under the example origin is reopened, not refused (doctor warns instead)
    assert _run(capsys, "--home", str(home), "init")[0] == 0
    code, out, err = _run(capsys, "--home", str(home), "doctor")
    checks = {c["check"]: c for c in json.loads(out)}
    assert checks["log origin"]["ok"] and checks["log origin"]["warning"]
    assert "WARNING log origin: charity-ledger.example/log is the example origin" in err


@pytest.mark.parametrize("origin", ["charity-ledger.example/log", "ledger.example/x", "EXAMPLE/log"])
def test_example_origins_are_recognised(origin: str) -> None:
    from ledger.settings import is_example_origin

    assert is_example_origin(origin)
    assert not is_example_origin("registry.example-charity.org.cn/log")
