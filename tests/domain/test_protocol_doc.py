"""docs/protocol.md and the code agree on every entry type's data: the section listing the
fields is generated from the field specs (``python -m ledger.domain.json_schema docs/protocol.md``)
and must be regenerated when a spec changes."""

from __future__ import annotations

import re
from pathlib import Path

from ledger.domain.json_schema import DOCS_BEGIN, DOCS_END, all_entry_data_schemas, markdown
from ledger.domain.schemas import ENTRY_TYPES

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def section() -> str:
    text = PROTOCOL.read_text(encoding="utf-8")
    return text[text.index(DOCS_BEGIN) : text.index(DOCS_END) + len(DOCS_END)]


def test_the_generated_section_is_current() -> None:
    assert section() == markdown(), "run: python -m ledger.domain.json_schema docs/protocol.md"


def test_every_type_and_required_field_is_documented() -> None:
    doc = section()
    assert re.findall(r"^#### `([a-z_.]+)`$", doc, flags=re.M) == list(ENTRY_TYPES)
    for type_name, schema in all_entry_data_schemas().items():
        block = doc.split(f"#### `{type_name}`", 1)[1].split("#### ", 1)[0]
        for name in schema.get("required", ()):
            assert f"| `{name}` | required |" in block, (type_name, name)
