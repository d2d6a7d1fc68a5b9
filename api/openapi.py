"""OpenAPI 3.1: the config, examples on every body schema, and the documented error answers."""

from __future__ import annotations

import importlib.util
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from litestar import Response, get
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, Example, SecurityScheme, Tag
from litestar.params import FromPath

from api.problems import PROBLEM_MEDIA_TYPE
from api.schemas import Problem
from ledger.domain.json_schema import component_name, openapi_components
from ledger.domain.schemas import ENTRY_TYPES
from ledger.store.log_store import MAX_BATCH

API_VERSION = "1.0.0"
BEARER = "bearer"

DESCRIPTION = """\
The charity donation registry's transparency log and its public records.

* **The log** (`/api/v1/log/...`) follows the pinned public protocol: C2SP signed checkpoints,
  RFC 9162 inclusion and consistency proofs, the leaves exactly as hashed, and the C2SP
  tlog-witness `add-checkpoint` endpoint through which witnesses hand their cosignatures to the log.
* **Writes** (`POST /api/v1/entries`, `POST /api/v1/entries/batch`) take entries signed with
  Ed25519 by a key granted in the log; the signature is the authentication.
* **Reads** of organisations, projects and money flows come from projections of the log.
  Money is a decimal string with the currency's minor digits, never a float. Every list is
  paginated with `limit` and an opaque `cursor` (`next_cursor` in the answer).
* **Errors** are RFC 9457 problem details (`application/problem+json`) with a stable `code`,
  an English `detail` and a Chinese `message_zh`; the codes are listed at `/api/v1/problems`.
"""

TAGS = [
    Tag(name="log", description="The transparency log: checkpoints, proofs, leaves, witnesses."),
    Tag(name="entries", description="Signed entries: submit and read."),
    Tag(name="organisations", description="Registered organisations."),
    Tag(name="projects", description="Projects with their fund figures."),
    Tag(name="donations", description="Donations (public view: no personal data) and their trace."),
    Tag(name="allocations", description="Money passed from fundraisers to implementers."),
    Tag(name="disbursements", description="Payments by implementers."),
    Tag(name="progress", description="Progress reports of implementers."),
    Tag(name="attestations", description="Oversight verdicts."),
    Tag(
        name="oversight",
        description="Disclosure deadlines and oversight organisations' desks; risk signals need the regulator scope.",
    ),
    Tag(
        name="reports",
        description="Compliance reports: request (202 and a job), poll, download; published reports with the SHA-256 the log records.",
    ),
    Tag(name="regulator", description="Cross-organisation views; need a bearer token with the regulator scope."),
    Tag(name="evidence", description="Evidence files by SHA-256: signed uploads (GET /evidence/{sha256} serves them)."),
    Tag(name="problems", description="The catalogue of error codes."),
]


# Limits of request bodies that the store checks with its own codes (batch_empty,
# batch_too_large) and the schema states: by operationId.
BODY_LIMITS: dict[str, dict[str, int]] = {"submitEntryBatch": {"minItems": 1, "maxItems": MAX_BATCH}}

_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def integer_bounds(node: Any) -> Any:
    """Litestar writes the bounds of parameters as floats (``4.611686018427388e+18``): in an
    integer schema they are integers again (exactly: every bound here is an integer that a
    float holds exactly, such as 2**62). Changes ``node`` in place and returns it."""
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
            for name in _BOUNDS:
                value = node.get(name)
                if isinstance(value, float) and value.is_integer():
                    node[name] = int(value)
        for value in node.values():
            integer_bounds(value)
    elif isinstance(node, list):
        for value in node:
            integer_bounds(value)
    return node


def body_limits(document: dict[str, Any]) -> dict[str, Any]:
    """Add :data:`BODY_LIMITS` to the request bodies of their operations (in place)."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            limits = BODY_LIMITS.get(operation.get("operationId")) if isinstance(operation, dict) else None
            if limits:
                for media in operation.get("requestBody", {}).get("content", {}).values():
                    media.get("schema", {}).update(limits)
    return document


def entry_data_types(document: dict[str, Any]) -> dict[str, Any]:
    """Each entry type's ``data`` schema as a component (``EntryData.<type>``, generated from the
    field specs of ``ledger.domain.schemas`` by ``ledger.domain.json_schema``), and
    ``EntryBody`` typed by them: ``data`` is one of them, and ``type`` picks which (in place)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(openapi_components())
    body = schemas.get("EntryBody")
    if body is not None:
        refs = [{"$ref": f"#/components/schemas/{component_name(t)}"} for t in ENTRY_TYPES]
        body.setdefault("properties", {})["data"] = {  # anyOf: two types' data may look alike
            "anyOf": refs,
            "description": "The data of the entry's type: the schema whose title is the body's type.",
        }
        body["oneOf"] = [
            {
                "title": t,
                "properties": {"type": {"const": t}, "data": {"$ref": f"#/components/schemas/{component_name(t)}"}},
            }
            for t in ENTRY_TYPES
        ]
    return document


def tidy(document: dict[str, Any]) -> dict[str, Any]:
    """What Litestar's document lacks: integer bounds as integers, the body limits, the types of
    every entry's data."""
    return entry_data_types(body_limits(integer_bounds(document)))


class TidyJsonRenderPlugin(JsonRenderPlugin):
    """``/schema/openapi.json`` tidied (see tidy)."""

    def render(self, request: Any, openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, tidy(openapi_schema))


class TidyYamlRenderPlugin(YamlRenderPlugin):
    """``/schema/openapi.yaml`` tidied (see tidy)."""

    def render(self, request: Any, openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, tidy(openapi_schema))


class ExampleStructPlugin(StructSchemaPlugin):
    """The msgspec Struct schema, with the Struct's ``__example__`` as its ``examples``, and
    ``additionalProperties: false`` for a Struct that forbids unknown fields."""

    def to_openapi_schema(self, field_definition: Any, schema_creator: Any) -> Any:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        example = getattr(field_definition.type_, "__example__", None)
        if example is not None and not schema.examples:
            schema.examples = [example]
        config = getattr(field_definition.type_, "__struct_config__", None)
        if config is not None and config.forbid_unknown_fields:
            schema.additional_properties = False  # the server refuses other keys: say so
        return schema


# Swagger UI's files, served by the app itself from the swagger-ui-py package (no CDN: the docs
# work offline, and where a CDN is slow or blocked)
DOCS_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "swagger-ui.css": "text/css",
}
DOCS_ASSETS_PATH = "/schema/assets"


def _swagger_ui_dir() -> Path:
    """The folder of Swagger UI's files in the swagger-ui-py package (found, not imported)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is missing: reinstall the project")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


@cache
def docs_asset_bytes(name: str) -> bytes:
    return (_swagger_ui_dir() / name).read_bytes()


@cache
def _docs_version() -> str:
    return version("swagger-ui-py")


@get(
    DOCS_ASSETS_PATH + "/{name:str}",
    include_in_schema=False,
    sync_to_thread=False,
    cache_control=CacheControlHeader(public=True, max_age=86_400),
)
def docs_asset(name: FromPath[str]) -> Response[bytes]:
    """One of Swagger UI's three files (the page at /schema/swagger loads them from here)."""
    if name not in DOCS_ASSETS:
        raise NotFoundException()
    return Response(docs_asset_bytes(name), media_type=DOCS_ASSETS[name])


def _docs_url(name: str) -> str:
    return f"{DOCS_ASSETS_PATH}/{name}?v={_docs_version()}"


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Charity donation registry and transparency ledger",
        version=API_VERSION,
        description=DESCRIPTION,
        path="/schema",
        render_plugins=[
            SwaggerRenderPlugin(
                path="/swagger",
                js_url=_docs_url("swagger-ui-bundle.js"),
                css_url=_docs_url("swagger-ui.css"),
                standalone_preset_js_url=_docs_url("swagger-ui-standalone-preset.js"),
                favicon="<link rel='icon' href='data:,'>",  # none (Litestar's default is on a CDN)
            ),
            TidyJsonRenderPlugin(),
            TidyYamlRenderPlugin(),
        ],
        tags=TAGS,
        components=Components(
            security_schemes={
                BEARER: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="A regulator token made with `charity-ledger token create` (stored hashed, revocable).",
                )
            }
        ),
        use_handler_docstrings=True,
    )


_DESCRIPTIONS = {
    400: "The request is malformed (problem details).",
    401: "A bearer token is needed (problem details).",
    403: "Not allowed (problem details).",
    404: "Not found (problem details).",
    405: "Method not allowed (problem details).",
    409: "Conflicts with what the log holds (problem details).",
    413: "The request body is too large (problem details).",
    415: "The request body has the wrong media type (problem details).",
    422: "Refused by a rule; nothing was written (problem details).",
    429: "Too many writes from this address (problem details).",
    503: "Temporarily unavailable (problem details).",
}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI responses for error statuses: problem details bodies."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=_DESCRIPTIONS.get(status, "Problem details."),
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
            examples=[Example(summary="problem", value=_example(status))],
        )
        for status in statuses
    }


def _example(status: int) -> dict[str, Any]:
    example = dict(Problem.__example__)
    example["status"] = status
    return example


READ_PROBLEMS = (400, 404, 503)
WRITE_PROBLEMS = (400, 409, 413, 415, 422, 429, 503)
