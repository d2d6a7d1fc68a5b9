"""Thumbnails of evidence files: the first page of a PDF (rendered by PDFium through pypdfium2,
the engine of Chromium's own PDF viewer) or a photo, as a small PNG without metadata.

A thumbnail is a function of the file's bytes, so it is named by the file's SHA-256 and can be
cached forever; it is made on first request and kept in memory (the last few hundred). Text
files have none. A PDF that PDFium cannot open has none either (the file itself is still served
as uploaded: it passed the upload checks)."""

from __future__ import annotations

import io
import threading
from collections import OrderedDict

import pypdfium2
from PIL import Image

from ledger.store import evidence_content as content

WIDTH = 240  # pixels; pages and photos are scaled to this width, never up
MAX_HEIGHT = 360
_CACHE_SIZE = 256
_cache: OrderedDict[str, bytes | None] = OrderedDict()
_lock = threading.Lock()


def _png(image: Image.Image) -> bytes:
    image = image.convert("RGB")
    image.thumbnail((WIDTH, MAX_HEIGHT))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _first_page(data: bytes) -> Image.Image | None:
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError:
        return None
    try:
        if len(document) == 0:
            return None
        page = document[0]
        width = page.get_width() or 1.0
        bitmap = page.render(scale=min(2.0, WIDTH / width))
        image: Image.Image = bitmap.to_pil()
        return image
    finally:
        document.close()


def make_thumbnail(data: bytes, media_type: str) -> bytes | None:
    """A PNG of at most WIDTH x MAX_HEIGHT pixels, or None for a file that has no picture."""
    if media_type == content.PDF:
        image = _first_page(data)
    elif media_type in (content.JPEG, content.PNG, content.WEBP):
        image = Image.open(io.BytesIO(data))
    else:
        image = None
    return None if image is None else _png(image)


def thumbnail(sha256: str, data: bytes, media_type: str) -> bytes | None:
    """:func:`make_thumbnail`, remembered by the file's SHA-256."""
    with _lock:
        if sha256 in _cache:
            _cache.move_to_end(sha256)
            return _cache[sha256]
    made = make_thumbnail(data, media_type)
    with _lock:
        _cache[sha256] = made
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return made
