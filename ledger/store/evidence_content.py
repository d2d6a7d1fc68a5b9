"""What an evidence file is, judged from its bytes (never its name), and the copy the public gets.

Accepted: PDF, JPEG, PNG, WebP and UTF-8 text (CSV included, served as ``text/plain``).
Everything else is refused with ``evidence_type_refused``: SVG, HTML, XML, GIF, office files
and other ZIP containers, executables, unrecognised binary, and polyglots this module can see
(a PDF that is also a ZIP, or carries HTML markup or active content).

Images are decoded and encoded again with Pillow: the copy kept and served holds the pixels
only (EXIF, GPS, XMP, ICC profiles, text chunks and anything after the image end are gone; the
EXIF orientation is applied to the pixels first, so the picture still stands the right way up).
PDF and text files are kept byte for byte.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

from ledger.errors import LedgerError

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
TEXT = "text/plain; charset=utf-8"
MEDIA_TYPES = (PDF, JPEG, PNG, WEBP, TEXT)
IMAGES = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}
EXTENSION = {PDF: "pdf", JPEG: "jpg", PNG: "png", WEBP: "webp", TEXT: "txt"}

# What a file name's extension claims; a name that claims another type than the bytes is refused.
_CLAIMS = {
    "pdf": PDF,
    "jpg": JPEG,
    "jpeg": JPEG,
    "png": PNG,
    "webp": WEBP,
    "txt": TEXT,
    "csv": TEXT,
}
MAX_PIXELS = 40_000_000  # a larger image is refused (decompression bombs)

_MARKUP = re.compile(rb"<\s*(?:script|html|svg|iframe|body|object|embed|!doctype|\?xml)\b", re.IGNORECASE)
# Inside a PDF only HTML itself counts (XMP metadata is XML and may carry an <?xml ...?> line).
_PDF_MARKUP = re.compile(rb"<\s*(?:script|html|svg|iframe|body|object|embed|!doctype\s+html)\b", re.IGNORECASE)
# PDF names of active content (JavaScript, launching programs, embedded files, Flash, XFA forms).
_PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|GoToE)(?=[\s/<>\[\]()%{}]|$)")
_PDF_ESCAPED_NAME = re.compile(rb"/[^\s/<>\[\]()%{}]*#[0-9A-Fa-f]{2}[^\s/<>\[\]()%{}]*")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Checked:
    """The bytes to keep and serve, and their media type."""

    data: bytes
    media_type: str


def _refuse(detail: str, detail_zh: str) -> LedgerError:
    return LedgerError("evidence_type_refused", detail=detail, detail_zh=detail_zh)


def sniff(data: bytes) -> str:
    """The media type of ``data``, from its bytes; refuses anything not accepted."""
    if not data:
        raise LedgerError("evidence_upload_invalid", detail="the file is empty", detail_zh="文件为空")
    head = data[:64]
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith((b"GIF87a", b"GIF89a")):
        raise _refuse("GIF images are not accepted", "不接受 GIF 图片")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise _refuse(
            "ZIP containers (office documents, archives) are not accepted", "不接受 ZIP 容器（办公文档、压缩包）"
        )
    if _MARKUP.search(data[:4096]):
        raise _refuse("HTML, SVG and XML files are not accepted", "不接受 HTML、SVG 和 XML 文件")
    return _text_type(data)


def _text_type(data: bytes) -> str:
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(
            "the file is not a PDF, JPEG, PNG, WebP or UTF-8 text", "文件不是 PDF、JPEG、PNG、WebP 或 UTF-8 文本"
        ) from None
    if _TEXT_CONTROLS.search(text):
        raise _refuse("the text holds control characters (a binary file?)", "文本含有控制字符（可能是二进制文件）")
    if _MARKUP.search(body):
        raise _refuse("the text holds HTML, SVG or XML markup", "文本含有 HTML、SVG 或 XML 标记")
    return TEXT


def claimed_type(filename: str | None) -> str | None:
    """The media type a file name's extension claims, if it is one this store knows."""
    if not filename or "." not in filename:
        return None
    return _CLAIMS.get(filename.rsplit(".", 1)[1].strip().lower())


def check(data: bytes, filename: str | None = None) -> Checked:
    """Check ``data`` and return what is kept: images cleaned, PDF and text as they are.

    ``filename`` is only compared with the bytes: a file named ``.pdf`` whose bytes are
    something else is refused (it is what the sender believes it sends)."""
    media_type = sniff(data)
    claimed = claimed_type(filename)
    if claimed is not None and claimed != media_type:
        raise _refuse(
            f"the name {filename!r} says {claimed.split(';')[0]} but the bytes are {media_type.split(';')[0]}",
            f"文件名 {filename!r} 表示 {claimed.split(';')[0]}，但内容是 {media_type.split(';')[0]}",
        )
    if media_type == PDF:
        _check_pdf(data)
        return Checked(data, PDF)
    if media_type in IMAGES:
        return Checked(clean_image(data, media_type), media_type)
    return Checked(data, TEXT)


def _check_pdf(data: bytes) -> None:
    if not re.match(rb"%PDF-[12]\.\d", data[:8]):
        raise _refuse("the PDF header is not valid", "PDF 文件头无效")
    tail = data[-1024:].rstrip(b"\r\n\t \x00")
    if not tail.endswith(b"%%EOF"):
        raise _refuse(
            "the PDF does not end with %%EOF (something is appended to it)", "PDF 不以 %%EOF 结尾（其后附有其他内容）"
        )
    if b"PK\x05\x06" in data[-(65535 + 22 + 1024) :] or b"PK\x03\x04" in data[:1024]:
        raise _refuse("the PDF is also a ZIP file (a polyglot)", "该 PDF 同时也是 ZIP 文件（多重格式文件）")
    if _PDF_MARKUP.search(data):
        raise _refuse("the PDF carries HTML or SVG markup (a polyglot)", "该 PDF 含有 HTML 或 SVG 标记（多重格式文件）")
    if _PDF_ACTIVE.search(data) or any(
        _PDF_ACTIVE.fullmatch(_unescape(m.group())) for m in _PDF_ESCAPED_NAME.finditer(data)
    ):
        raise _refuse(
            "the PDF carries active content (JavaScript, launch actions, embedded files or forms)",
            "该 PDF 含有活动内容（JavaScript、启动操作、嵌入文件或表单）",
        )


def simple_pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing ``lines`` of ASCII text in Helvetica, with a correct cross-reference
    table: deterministic (no dates, no ids), for demo data and tests."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    shown = " ".join(f"({escape(line)}) Tj T*" for line in lines)
    stream = f"BT /F1 12 Tf 16 TL 72 720 Td {shown} ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _unescape(name: bytes) -> bytes:
    """A PDF name with its ``#xx`` escapes decoded (``/J#61vaScript`` is ``/JavaScript``)."""
    return _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name)


def clean_image(data: bytes, media_type: str) -> bytes:
    """The image encoded again from its pixels alone (no metadata), in the same format."""
    fmt = IMAGES[media_type]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[fmt]) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise _refuse(f"the image has more than {MAX_PIXELS} pixels", f"图片超过 {MAX_PIXELS} 像素")
                img.load()
                upright = ImageOps.exif_transpose(img)
        except LedgerError:
            raise
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _refuse(
                f"the {fmt} image cannot be decoded ({type(exc).__name__})", f"无法解码该 {fmt} 图片"
            ) from None
    pixels = _pixels_only(upright, fmt)
    out = io.BytesIO()
    if fmt == "JPEG":
        pixels.save(out, "JPEG", quality=92, optimize=False, progressive=False)
    elif fmt == "PNG":
        pixels.save(out, "PNG", optimize=False, compress_level=6)
    else:
        pixels.save(out, "WEBP", quality=90, method=4)
    return out.getvalue()


def _pixels_only(img, fmt: str):  # type: ignore[no-untyped-def]
    """A new image holding ``img``'s pixels and nothing of its ``info`` (EXIF, ICC, text...)."""
    if fmt == "JPEG":
        mode = "L" if img.mode in ("L", "1") else "RGB"
    else:
        has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
        mode = (
            ("LA" if img.mode in ("L", "LA") else "RGBA") if has_alpha else ("L" if img.mode in ("L", "1") else "RGB")
        )
    converted = img.convert(mode)
    fresh = Image.new(mode, converted.size)
    fresh.paste(converted)
    return fresh
