"""Query and path parameters shared by the controllers, with their patterns and examples.

Every free-form value a handler passes to the database is bounded here (patterns, lengths,
integer ranges), so malformed input is a 400 problem before any query runs.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from litestar.di import Dependency
from litestar.openapi.spec import Example
from litestar.params import PathParameter, QueryParameter, SkipValidationMarker
from litestar.routes import base as _litestar_routes

from api.config import ApiSettings
from api.schemas import HASH_EXAMPLE, KEY_EXAMPLE, ORG_EXAMPLE
from ledger.protocol.grammar import schema_pattern
from ledger.store.runtime import Ledger

MAX_INT = 2**62  # far above any tree size; keeps integers inside every database's BIGINT

# The grammar of ledger.protocol.grammar, anchored for OpenAPI and for msgspec (which searches with
# Python's re, where "$" would also match before a trailing newline: see schema_pattern).
HEX64 = schema_pattern("hex64")
USCC = schema_pattern("uscc")
IDENT = schema_pattern("project")
ENTRY_TYPE = schema_pattern("entry_type")
IDEM = schema_pattern("idem")
TIME_FILTER = schema_pattern("time_filter")
WORD = schema_pattern("word")  # a vocabulary word (legal form, field)


_PATH_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,39})", re.ASCII)


def _strict_int(text: str) -> int:
    """Litestar's ``{name:int}`` path converter is ``int()``, which reads Arabic-Indic or full-width
    digits, ' 12', '1_2' and '+12' as numbers: a path segment is a number only in its canonical
    ASCII form (anything else is a 404: no such resource). A canonical number outside the
    handler's bounds (negative, beyond 64 bits) is a 400."""
    if not isinstance(text, str) or not _PATH_INT.fullmatch(text):
        raise ValueError(f"{text[:30]!r} is not a decimal number")
    return int(text)


# Every route is built after this module is imported (the controllers import it), so every
# {name:int} segment of the API and the site uses the strict converter.
_litestar_routes.parsers_map[int] = _strict_int

# The dependencies every handler may ask for (provided by create_app): injected by name,
# not validated (they are the app's own objects).
LedgerDep = Annotated[Ledger, Dependency(kind="named"), SkipValidationMarker()]
ApiSettingsDep = Annotated[ApiSettings, Dependency(kind="named"), SkipValidationMarker()]

Order = Annotated[
    Literal["asc", "desc"],
    QueryParameter(
        description="Order by seq: oldest first (asc, default) or newest first (desc).",
        examples=[Example(value="desc")],
    ),
]
Org = Annotated[
    str | None,
    QueryParameter(
        pattern=USCC,
        description="An organisation's unified social credit code (18 characters).",
        examples=[Example(value=ORG_EXAMPLE)],
    ),
]
ProjectId = Annotated[
    str | None,
    QueryParameter(pattern=IDENT, description="A project id.", examples=[Example(value="P-ELDER-2026")]),
]
Since = Annotated[
    str | None,
    QueryParameter(
        max_length=40,
        pattern=TIME_FILTER,
        description="Log time from (inclusive): RFC 3339 or a date.",
        examples=[Example(value="2026-11-01T00:00:00Z")],
    ),
]
Until = Annotated[
    str | None,
    QueryParameter(
        max_length=40,
        pattern=TIME_FILTER,
        description="Log time before (exclusive): RFC 3339 or a date.",
        examples=[Example(value="2026-12-01")],
    ),
]
Signer = Annotated[
    str | None,
    QueryParameter(pattern=HEX64, description="A key id (64 lowercase hex).", examples=[Example(value=KEY_EXAMPLE)]),
]
EntryType = Annotated[
    str | None,
    QueryParameter(
        name="type",
        pattern=ENTRY_TYPE,
        max_length=64,
        description="An entry type.",
        examples=[Example(value="donation.received")],
    ),
]
Idem = Annotated[
    str | None,
    QueryParameter(
        pattern=IDEM,
        description="The signer's request id (with signer: at most one entry).",
        examples=[Example(value="bank-2026-11-27-0042")],
    ),
]
LeafHashQuery = Annotated[
    str | None,
    QueryParameter(
        pattern=HEX64, description="A leaf hash (64 lowercase hex).", examples=[Example(value=HASH_EXAMPLE)]
    ),
]
Seq = Annotated[
    int,
    PathParameter(
        ge=0,
        le=MAX_INT,
        description="An entry's seq: its position in the chain of logs (its seq in the first log).",
        examples=[Example(value=41)],
    ),
]
LeafHash = Annotated[
    str,
    PathParameter(pattern=HEX64, description="A leaf hash (64 lowercase hex).", examples=[Example(value=HASH_EXAMPLE)]),
]
ReceiptHash = Annotated[
    str,
    PathParameter(
        pattern=HEX64,
        description="A donation's receipt commitment (64 lowercase hex): SHA-256 of the receipt prefix and the salt.",
        examples=[Example(value=HASH_EXAMPLE)],
    ),
]
OrgPath = Annotated[
    str, PathParameter(pattern=USCC, description="A unified social credit code.", examples=[Example(value=ORG_EXAMPLE)])
]
ProjectPath = Annotated[
    str, PathParameter(pattern=IDENT, description="A project id.", examples=[Example(value="P-ELDER-2026")])
]
Size = Annotated[int, PathParameter(ge=0, le=MAX_INT, description="A tree size.", examples=[Example(value=42)])]
