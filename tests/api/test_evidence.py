"""Evidence files over HTTP: signed uploads, the checks on their bytes, and how they are served."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from litestar.testing import TestClient
from PIL import Image

from api.tokens import create_token
from ledger.protocol.keys import KeyPair
from ledger.store.evidence import SIGNATURE_HEADER, open_evidence, sign_upload
from tests.api.conftest import MakeClient
from tests.api.world import World, build_people
from tests.evidence_files import exif_jpeg, pdf_bytes, png_with_text, polyglot_pdf_zip
from tests.support.ledger_factory import LedgerFactory


@pytest.fixture
def people(factory: LedgerFactory) -> World:
    world = build_people(factory)
    world.keys["gone"] = KeyPair.from_seed(b"api-test/gone")
    world.append(
        "grant_gone",
        "service_admin",
        "key.granted",
        {
            "public_key": world.keys["gone"].public_b64,
            "role": "implementer",
            "org": world_org(world),
            "holder": "left",
        },
    )
    world.append(
        "revoke_gone", "service_admin", "key.revoked", {"key_id": world.keys["gone"].id, "reason": "staff left"}
    )
    return world


def world_org(world: World) -> str:
    from tests.api.world import SERVICE

    return SERVICE


def upload(
    client: TestClient,
    data: bytes,
    *,
    key: KeyPair | None,
    visibility: str = "public",
    name: str = "file.bin",
    signed_data: bytes | None = None,
    signed_visibility: str | None = None,
    header: str | None = None,
):  # type: ignore[no-untyped-def]
    headers = {}
    if header is not None:
        headers[SIGNATURE_HEADER] = header
    elif key is not None:
        headers[SIGNATURE_HEADER] = sign_upload(
            key, data if signed_data is None else signed_data, signed_visibility or visibility
        )
    return client.post(
        "/api/v1/evidence", files={"file": (name, data)}, data={"visibility": visibility}, headers=headers
    )


def stored_files(factory: LedgerFactory) -> list[Path]:
    root = factory.ledger.settings.home / "evidence"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def rows(factory: LedgerFactory) -> int:
    from sqlalchemy import func, select

    from ledger.store.evidence import TABLE

    with factory.ledger.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(TABLE)).scalar_one()


def test_pdf_roundtrip_serves_the_bytes_that_hash_to_their_name(
    people: World, client: TestClient, factory: LedgerFactory
) -> None:
    pdf = pdf_bytes("Invoice 0001 meals 120.00")
    answer = upload(client, pdf, key=people.keys["implementer"], name="invoice.pdf")
    assert answer.status_code == 201, answer.text
    sha = hashlib.sha256(pdf).hexdigest()
    assert answer.json() == {"sha256": sha, "size": len(pdf), "media_type": "application/pdf", "visibility": "public"}

    served = client.get(f"/evidence/{sha}")
    assert served.status_code == 200
    assert hashlib.sha256(served.content).hexdigest() == sha
    assert served.content == pdf
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"] == f'inline; filename="{sha}.pdf"'
    assert served.headers["x-content-type-options"] == "nosniff"
    csp = served.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'none'" in csp
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"

    # on disk: content-addressed, private modes
    (path,) = stored_files(factory)
    assert path.relative_to(factory.ledger.settings.home / "evidence").as_posix() == f"{sha[:2]}/{sha[2:]}"
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700

    again = upload(client, pdf, key=people.keys["fundraiser"], name="invoice.pdf")
    assert again.status_code == 200 and again.json() == answer.json()
    assert len(stored_files(factory)) == 1 and rows(factory) == 1
    record = open_evidence(factory.ledger).info(sha)
    assert record is not None and record.uploaded_by == people.keys["implementer"].id


def test_a_pdf_with_xmp_metadata_is_accepted(people: World, client: TestClient) -> None:
    xmp = b'<?xml version="1.0" encoding="UTF-8"?><x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta>'
    pdf = pdf_bytes("with metadata").replace(b"%PDF-1.4\n", b"%PDF-1.4\n%" + xmp + b"\n", 1)
    answer = upload(client, pdf, key=people.keys["implementer"], name="e-invoice.pdf")
    assert answer.status_code == 201, answer.text


def test_webp_is_served_without_exif(people: World, client: TestClient) -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825)[2] = (22.0, 32.0, 10.0)
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 20, 30)).save(out, "WEBP", exif=exif)
    assert b"PhoneMaker" in out.getvalue()
    answer = upload(client, out.getvalue(), key=people.keys["implementer"], name="photo.webp")
    assert answer.status_code == 201 and answer.json()["media_type"] == "image/webp", answer.text
    served = client.get(f"/evidence/{answer.json()['sha256']}").content
    assert b"PhoneMaker" not in served and b"EXIF" not in served
    with Image.open(io.BytesIO(served)) as image:
        assert image.format == "WEBP" and dict(image.getexif()) == {}


def test_a_zip_appended_to_a_photo_is_dropped(people: World, client: TestClient) -> None:
    from tests.evidence_files import polyglot_pdf_zip

    jpeg = exif_jpeg() + polyglot_pdf_zip()
    answer = upload(client, jpeg, key=people.keys["implementer"], name="photo.jpg")
    assert answer.status_code == 201, answer.text
    served = client.get(f"/evidence/{answer.json()['sha256']}").content
    assert b"PK\x03\x04" not in served and b"<script" not in served and served.startswith(b"\xff\xd8\xff")


def test_the_signed_bytes(people: World) -> None:
    """The exact bytes an uploader signs (docs/protocol.md), with a known answer."""
    from ledger.protocol.keys import load_public, unb64, verify
    from ledger.store.evidence import parse_signature_header, upload_message

    data = b"date,amount\n2026-12-01,12.00\n"
    sha = hashlib.sha256(data).hexdigest()
    assert upload_message(sha, "restricted") == b"charity-ledger/evidence/v1\n" + sha.encode() + b"\nrestricted\n"
    key = people.keys["implementer"]
    key_id, signature = parse_signature_header(sign_upload(key, data, "restricted"))
    assert key_id == key.id
    assert verify(load_public(unb64(key.public_b64, length=32)), signature, upload_message(sha, "restricted"))
    assert not verify(load_public(unb64(key.public_b64, length=32)), signature, upload_message(sha, "public"))


def test_text_is_served_sandboxed(people: World, client: TestClient) -> None:
    csv = "date,payee,amount\n2026-11-30,长者饭堂,120.00\n".encode()
    answer = upload(client, csv, key=people.keys["implementer"], name="payments.csv")
    assert answer.status_code == 201, answer.text
    assert answer.json()["media_type"] == "text/plain; charset=utf-8"
    served = client.get(f"/evidence/{answer.json()['sha256']}", headers={"Accept-Encoding": "identity"})
    assert served.content == csv
    assert "sandbox" in served.headers["content-security-policy"]


def test_images_are_served_without_exif_or_gps(people: World, client: TestClient) -> None:
    jpeg = exif_jpeg()
    with Image.open(io.BytesIO(jpeg)) as original:
        assert original.getexif().get_ifd(0x8825)  # the upload carries GPS
    answer = upload(client, jpeg, key=people.keys["implementer"], name="photo.jpg")
    assert answer.status_code == 201, answer.text
    sha = answer.json()["sha256"]
    assert sha != hashlib.sha256(jpeg).hexdigest()  # the name is of the cleaned copy
    served = client.get(f"/evidence/{sha}")
    assert hashlib.sha256(served.content).hexdigest() == sha
    assert served.headers["content-type"] == "image/jpeg"
    assert b"Exif" not in served.content and b"GPS" not in served.content
    with Image.open(io.BytesIO(served.content)) as image:
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info and "icc_profile" not in image.info
        assert image.size == (48, 32)  # the orientation tag (6: rotate) was applied to the pixels
    # the same photo again is the same cleaned file
    assert upload(client, jpeg, key=people.keys["implementer"], name="photo.jpeg").json()["sha256"] == sha

    png = png_with_text()
    answer = upload(client, png, key=people.keys["implementer"], name="site.png")
    assert answer.status_code == 201, answer.text
    served = client.get(f"/evidence/{answer.json()['sha256']}")
    with Image.open(io.BytesIO(served.content)) as image:
        assert "Author" not in image.info and "exif" not in image.info
    assert b"secret trailing bytes" not in served.content


@pytest.mark.parametrize(
    "case",
    ["no signature", "malformed", "unknown key", "revoked key", "tampered bytes", "other visibility"],
)
def test_refused_signatures_store_nothing(case: str, people: World, client: TestClient, factory: LedgerFactory) -> None:
    pdf = pdf_bytes("contract")
    kw: dict[str, object] = {"key": people.keys["implementer"]}
    expected = {
        "no signature": (401, "evidence_signature_missing"),
        "malformed": (401, "evidence_signature_invalid"),
        "unknown key": (403, "evidence_signer_unknown"),
        "revoked key": (403, "evidence_signer_revoked"),
        "tampered bytes": (401, "evidence_signature_invalid"),
        "other visibility": (401, "evidence_signature_invalid"),
    }[case]
    if case == "no signature":
        kw = {"key": None}
    elif case == "malformed":
        kw["header"] = people.keys["implementer"].id + ":not-base64"
    elif case == "unknown key":
        kw["key"] = KeyPair.from_seed(b"nobody")
    elif case == "revoked key":
        kw["key"] = people.keys["gone"]
    elif case == "tampered bytes":
        kw["signed_data"] = pdf_bytes("contrakt")
    else:
        kw.update(visibility="public", signed_visibility="restricted")
    answer = upload(client, pdf, name="contract.pdf", **kw)  # type: ignore[arg-type]
    assert (answer.status_code, answer.json()["code"]) == expected
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["message_zh"]
    assert stored_files(factory) == [] and rows(factory) == 0


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("invoice.pdf", HTML, "HTML"),  # a wrong type behind a right name
        ("drawing.svg", SVG, "SVG"),
        ("page.html", HTML, "HTML"),
        ("receipt.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image/png"),  # a PNG named .pdf
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "cannot be decoded"),
        ("invoice.pdf", None, "ZIP"),  # PDF and ZIP at once
        ("invoice.pdf", b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n", "markup"),
        (
            "invoice.pdf",
            b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n%%EOF\n",
            "active",
        ),
        ("invoice.pdf", b"%PDF-1.4\n1 0 obj << /S /J#61vaScript >> endobj\n%%EOF\n", "active"),
        ("invoice.pdf", b"%PDF-1.4\n%%EOF\n<script>x</script>", "%%EOF"),
        ("report.docx", b"PK\x03\x04" + b"\x00" * 60, "ZIP"),
        ("a.gif", b"GIF89a" + b"\x00" * 20, "GIF"),
        ("photo.png", SVG, "SVG"),  # an SVG with a script behind an image's name
        ("invoice.pdf", b"%PDF-1.4\n<!DOCTYPE html><p>hi</p>\n%%EOF\n", "markup"),
        ("blob.bin", bytes(range(256)), "not a PDF"),
    ],
)
def test_hostile_uploads_are_refused(
    name: str, data: bytes | None, fragment: str, people: World, client: TestClient, factory: LedgerFactory
) -> None:
    data = polyglot_pdf_zip() if data is None else data
    answer = upload(client, data, key=people.keys["implementer"], name=name)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == "evidence_type_refused"
    assert fragment in body["detail"]
    assert stored_files(factory) == [] and rows(factory) == 0


def test_too_large_is_refused_before_reading(
    people: World, make_client: MakeClient, factory: LedgerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHARITY_LEDGER_EVIDENCE_MAX_BYTES", "1000")
    client = make_client()
    big = pdf_bytes("x" * 2000)
    answer = upload(client, big, key=people.keys["implementer"], name="big.pdf")
    assert answer.status_code == 413
    assert answer.json()["code"] == "evidence_too_large" and answer.json()["params"]["limit"] == 1000
    # declared larger than the limit plus the form's overhead: refused by the guard, no body read
    huge = client.post(
        "/api/v1/evidence",
        content=b"x",
        headers={
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": str(10**9),
            SIGNATURE_HEADER: sign_upload(people.keys["implementer"], b"x", "public"),
        },
    )
    assert huge.status_code == 413 and huge.json()["code"] == "evidence_too_large"
    assert stored_files(factory) == [] and rows(factory) == 0


def test_form_mistakes_are_typed(people: World, client: TestClient, factory: LedgerFactory) -> None:
    pdf = pdf_bytes("x")
    key = people.keys["implementer"]
    answer = upload(client, pdf, key=key, visibility="secret", signed_visibility="public")
    assert (answer.status_code, answer.json()["code"]) == (400, "evidence_visibility_invalid")
    no_file = client.post(
        "/api/v1/evidence",
        files={"other": ("a.pdf", pdf)},
        data={"visibility": "public"},
        headers={SIGNATURE_HEADER: sign_upload(key, pdf, "public")},
    )
    assert (no_file.status_code, no_file.json()["code"]) == (400, "evidence_upload_invalid")
    json_body = client.post(
        "/api/v1/evidence", json={"file": "x"}, headers={SIGNATURE_HEADER: sign_upload(key, pdf, "public")}
    )
    assert json_body.status_code == 415
    assert stored_files(factory) == [] and rows(factory) == 0


def test_restricted_needs_a_regulator_or_overseer_token(
    people: World, client: TestClient, factory: LedgerFactory
) -> None:
    pdf = pdf_bytes("salary contract")
    answer = upload(client, pdf, key=people.keys["implementer"], visibility="restricted", name="contract.pdf")
    assert answer.status_code == 201 and answer.json()["visibility"] == "restricted"
    sha = answer.json()["sha256"]
    public = client.get(f"/evidence/{sha}")
    assert public.status_code == 403 and public.json()["code"] == "evidence_restricted"
    assert pdf not in public.content
    other = create_token(factory.ledger.engine, "reporter", ["reports"])
    assert client.get(f"/evidence/{sha}", headers={"Authorization": f"Bearer {other}"}).status_code == 403
    for scope in ("regulator", "overseer"):
        token = create_token(factory.ledger.engine, f"{scope} desk", [scope])
        read = client.get(f"/evidence/{sha}", headers={"Authorization": f"Bearer {token}"})
        assert read.status_code == 200 and read.content == pdf
        assert read.headers["cache-control"] == "private, no-store"
    # a restricted file may be published later; a public one cannot be withdrawn
    published = upload(client, pdf, key=people.keys["implementer"], visibility="public", name="contract.pdf")
    assert published.status_code == 200 and published.json()["visibility"] == "public"
    assert client.get(f"/evidence/{sha}").status_code == 200
    back = upload(client, pdf, key=people.keys["implementer"], visibility="restricted", name="contract.pdf")
    assert (back.status_code, back.json()["code"]) == (409, "evidence_visibility_conflict")


def test_unknown_and_malformed_hashes(client: TestClient, factory: LedgerFactory) -> None:
    factory.with_genesis()
    missing = client.get("/evidence/" + "ab" * 32)
    assert (missing.status_code, missing.json()["code"]) == (404, "evidence_not_found")
    for bad in ("AB" * 32, "ab" * 31, "xyz", "ab" * 32 + "0"):
        answer = client.get(f"/evidence/{bad}")
        assert (answer.status_code, answer.json()["code"]) == (400, "evidence_hash_invalid"), bad


def test_a_damaged_copy_is_not_served(people: World, client: TestClient, factory: LedgerFactory) -> None:
    pdf = pdf_bytes("damaged later")
    sha = upload(client, pdf, key=people.keys["implementer"], name="x.pdf").json()["sha256"]
    (path,) = stored_files(factory)
    path.write_bytes(pdf.replace(b"damaged", b"DAMAGED"))
    answer = client.get(f"/evidence/{sha}")
    assert (answer.status_code, answer.json()["code"]) == (503, "evidence_store_unavailable")


def test_a_key_of_a_deregistered_organisation_cannot_upload(
    people: World, client: TestClient, factory: LedgerFactory
) -> None:
    from tests.api.world import OVERSIGHT

    people.append("dereg", "registrar", "org.deregistered", {"org": OVERSIGHT, "reason": "dissolved"})
    answer = upload(client, pdf_bytes("late"), key=people.keys["overseer"], name="late.pdf")
    assert (answer.status_code, answer.json()["code"]) == (403, "evidence_signer_revoked")
    assert OVERSIGHT in answer.json()["detail"]
    assert stored_files(factory) == [] and rows(factory) == 0


def test_thumbnails_show_a_pdfs_first_page_and_a_photo_and_nothing_restricted(
    people: World, client: TestClient
) -> None:
    import io

    from PIL import Image

    pdf = pdf_bytes("Invoice 0002 books 300.00")
    sha = upload(client, pdf, key=people.keys["implementer"], name="invoice.pdf").json()["sha256"]
    thumb = client.get(f"/evidence/{sha}/thumbnail.png")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/png"
    assert thumb.headers["cache-control"] == "public, max-age=31536000, immutable"
    image = Image.open(io.BytesIO(thumb.content))
    assert image.format == "PNG" and image.width <= 240 and image.height <= 360
    assert image.height > image.width  # a portrait page
    pixels = image.convert("L").getdata()
    assert min(pixels) < 128 < max(pixels)  # the page's text is drawn on white, not a blank image
    assert not image.info.get("exif")

    photo = upload(client, exif_jpeg(), key=people.keys["implementer"], name="site.jpg").json()["sha256"]
    small = Image.open(io.BytesIO(client.get(f"/evidence/{photo}/thumbnail.png").content))
    assert small.size == (48, 32)  # turned upright as the cleaned copy is, never scaled up

    text = upload(client, b"a,b\n1,2\n", key=people.keys["implementer"], name="a.csv").json()["sha256"]
    assert client.get(f"/evidence/{text}/thumbnail.png").status_code == 404
    secret = upload(
        client, pdf_bytes("Contract"), key=people.keys["implementer"], name="c.pdf", visibility="restricted"
    )
    assert client.get(f"/evidence/{secret.json()['sha256']}/thumbnail.png").status_code == 403
    assert client.get(f"/evidence/{'0' * 64}/thumbnail.png").status_code == 404
