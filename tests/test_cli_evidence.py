"""``charity-ledger evidence add``: into the local store, or as a signed upload to an API."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient
from PIL import Image

from api.config import ApiSettings
from ledger.cli import main
from ledger.cli.app import create_app
from ledger.protocol.keys import write_key_file
from ledger.store.evidence import open_evidence
from tests.api.world import build_people
from tests.evidence_files import exif_jpeg, pdf_bytes
from tests.support.ledger_factory import LedgerFactory


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_public_and_restricted_files_locally(
    factory: LedgerFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = str(factory.ledger.settings.home)
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(pdf_bytes("invoice 7"))
    code, out, err = run(capsys, "--home", home, "evidence", "add", str(invoice))
    assert code == 0, err
    sha = hashlib.sha256(invoice.read_bytes()).hexdigest()
    assert json.loads(out) == {
        "sha256": sha,
        "size": invoice.stat().st_size,
        "media_type": "application/pdf",
        "visibility": "public",
    }
    stored = factory.ledger.settings.home / "evidence" / sha[:2] / sha[2:]
    assert stored.read_bytes() == invoice.read_bytes()

    photo = tmp_path / "photo.jpg"
    photo.write_bytes(exif_jpeg())
    code, out, err = run(capsys, "--home", home, "evidence", "add", str(photo), "--restricted")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["visibility"] == "restricted" and answer["media_type"] == "image/jpeg"
    info, data = open_evidence(factory.ledger).read(answer["sha256"])
    assert info.uploaded_by is None and hashlib.sha256(data).hexdigest() == answer["sha256"]
    with Image.open(io.BytesIO(data)) as image:
        assert dict(image.getexif()) == {}


def test_a_refused_file_prints_why_and_stores_nothing(
    factory: LedgerFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = str(factory.ledger.settings.home)
    page = tmp_path / "invoice.pdf"
    page.write_bytes(b"<html><script>alert(1)</script></html>")
    code, out, err = run(capsys, "--home", home, "evidence", "add", str(page))
    assert code == 1 and out == ""
    assert "evidence_type_refused" in err and "不接受此文件作为凭证" in err
    monkeypatch.setenv("CHARITY_LEDGER_EVIDENCE_MAX_BYTES", "100")
    big = tmp_path / "big.pdf"
    big.write_bytes(pdf_bytes("y" * 500))
    code, _out, err = run(capsys, "--home", home, "evidence", "add", str(big))
    assert code == 1 and "evidence_too_large" in err
    assert not (factory.ledger.settings.home / "evidence").exists()


def test_signed_upload_to_an_api(
    factory: LedgerFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_people(factory)
    key_file = tmp_path / "implementer.key"
    write_key_file(world.keys["implementer"], key_file)
    stranger_file = tmp_path / "stranger.key"
    from ledger.protocol.keys import KeyPair

    write_key_file(KeyPair.from_seed(b"stranger"), stranger_file)
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(pdf_bytes("invoice 8"))
    with TestClient(create_app(factory.ledger, api_settings=ApiSettings())) as client:
        monkeypatch.setattr(httpx, "post", lambda url, **kw: client.post(url.removeprefix("http://api.test"), **kw))
        code, out, err = run(
            capsys, "evidence", "add", str(invoice), "--restricted", "--url", "http://api.test", "--key", str(key_file)
        )
        assert code == 0, err
        assert json.loads(out)["sha256"] == hashlib.sha256(invoice.read_bytes()).hexdigest()
        info = open_evidence(factory.ledger).info(json.loads(out)["sha256"])
        assert info is not None and info.uploaded_by == world.keys["implementer"].id and info.visibility == "restricted"

        other = tmp_path / "other.pdf"
        other.write_bytes(pdf_bytes("other"))
        code, out, err = run(
            capsys, "evidence", "add", str(other), "--url", "http://api.test", "--key", str(stranger_file)
        )
        assert code == 1 and out == "" and "evidence_signer_unknown" in err
        assert open_evidence(factory.ledger).info(hashlib.sha256(other.read_bytes()).hexdigest()) is None
