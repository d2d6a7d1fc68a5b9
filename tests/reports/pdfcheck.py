"""Checks on produced PDFs for tests: the text a reader extracts, and the fonts embedded.

Text comes from pypdf (through the fonts' ToUnicode maps, so Chinese extracts as Chinese).
Fonts come from poppler's ``pdffonts`` when it is installed (what an operator would run), and
from pypdf's font resources otherwise; :func:`fonts_pypdf` is always available for comparison.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

CJK_FAMILY = "Noto Sans CJK SC"


@dataclass(frozen=True, slots=True)
class PdfFont:
    name: str  # base font name without the subset tag: "Noto-Sans-CJK-SC-Bold"
    embedded: bool
    subset: bool  # a subset ("ABCDEF+" tag): only the glyphs used
    unicode: bool | None = None  # has a ToUnicode map (text extraction works); None if unknown

    @property
    def family_key(self) -> str:
        return _key(self.name)


def _key(name: str) -> str:
    """ "Noto Sans CJK SC" and "Noto-Sans-CJK-SC-Bold" compare on "notosanscjksc..."."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def pdf_text(data: bytes) -> str:
    """All the text of a PDF, pages joined by form feeds."""
    reader = PdfReader(io.BytesIO(data))
    return "\f".join(page.extract_text() or "" for page in reader.pages)


def page_count(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def metadata(data: bytes) -> dict[str, str]:
    info = PdfReader(io.BytesIO(data)).metadata or {}
    return {str(k).lstrip("/"): str(v) for k, v in info.items()}


def fonts(data: bytes) -> list[PdfFont]:
    """The fonts of a PDF: by ``pdffonts`` when available, else by pypdf."""
    return fonts_pdffonts(data) if shutil.which("pdffonts") else fonts_pypdf(data)


def fonts_pdffonts(data: bytes) -> list[PdfFont]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(data)
        out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True, timeout=60).stdout
    lines = out.splitlines()
    if len(lines) < 2:
        return []
    # column spans from the dashes under the header
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", lines[1])]
    heads = [lines[0][a : b if i + 1 < len(spans) else None].strip() for i, (a, b) in enumerate(spans)]
    result = []
    for line in lines[2:]:
        cells = dict(
            zip(
                heads,
                (line[a : b if i + 1 < len(spans) else None].strip() for i, (a, b) in enumerate(spans)),
                strict=True,
            )
        )
        raw = cells.get("name", "")
        subset = bool(re.match(r"^[A-Z]{6}\+", raw))
        result.append(
            PdfFont(
                name=raw.split("+", 1)[1] if subset else raw,
                embedded=cells.get("emb") == "yes",
                subset=subset,
                unicode=cells.get("uni") == "yes",
            )
        )
    return result


def fonts_pypdf(data: bytes) -> list[PdfFont]:
    reader = PdfReader(io.BytesIO(data))
    seen: dict[str, PdfFont] = {}
    for page in reader.pages:
        resources = page.get("/Resources")
        font_dict = resources.get_object().get("/Font") if resources is not None else None
        if font_dict is None:
            continue
        for ref in font_dict.get_object().values():
            font = ref.get_object()
            base = str(font.get("/BaseFont", "")).lstrip("/")
            descriptors = [font.get("/FontDescriptor")]
            for descendant in font.get("/DescendantFonts", []) or []:
                descriptors.append(descendant.get_object().get("/FontDescriptor"))
            embedded = any(
                d is not None and any(k in d.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                for d in descriptors
            )
            subset = bool(re.match(r"^[A-Z]{6}\+", base))
            name = base.split("+", 1)[1] if subset else base
            seen[base] = PdfFont(name=name, embedded=embedded, subset=subset, unicode="/ToUnicode" in font)
    return list(seen.values())


def assert_cjk_font_embedded(data: bytes, family: str = CJK_FAMILY) -> PdfFont:
    """The PDF embeds ``family`` (as poppler or pypdf sees it); returns that font."""
    found = fonts(data)
    wanted = _key(family)
    matches = [f for f in found if f.family_key.startswith(wanted)]
    assert matches, f"no {family} font in the PDF; fonts: {[f.name for f in found]}"
    embedded = [f for f in matches if f.embedded]
    assert embedded, f"{family} is used but not embedded: {matches}"
    return embedded[0]


def assert_all_fonts_embedded(data: bytes) -> None:
    missing = [f.name for f in fonts(data) if not f.embedded]
    assert not missing, f"fonts not embedded (a reader without them shows other glyphs): {missing}"
