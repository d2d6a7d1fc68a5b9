"""Small evidence files for the tests, made here (deterministic, nothing read from outside)."""

from __future__ import annotations

import io
import zipfile

from PIL import Image, PngImagePlugin

from ledger.store.evidence_content import simple_pdf


def pdf_bytes(text: str) -> bytes:
    """A one-page PDF showing ``text`` (ASCII)."""
    return simple_pdf([text])


def exif_jpeg() -> bytes:
    """A 32x48 JPEG photo with EXIF: camera, GPS position, and orientation 6 (rotate to 48x32)."""
    image = Image.new("RGB", (32, 48), (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (22.0, 32.0, 10.0)
    gps[3] = "E"
    gps[4] = (114.0, 3.0, 30.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png_with_text() -> bytes:
    """A PNG with a text chunk naming its author, and bytes appended after its end."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Zhang San, 13800000000")
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 128, 0, 255)).save(out, "PNG", pnginfo=info)
    return out.getvalue() + b"secret trailing bytes"


def polyglot_pdf_zip() -> bytes:
    """A file that is a PDF (starts with %PDF-, ends with %%EOF) and a ZIP archive at once."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("index.html", "<html><script>alert(1)</script></html>")
        zf.comment = b"\n%%EOF\n"
    return pdf_bytes("polyglot")[:-6] + archive.getvalue()
