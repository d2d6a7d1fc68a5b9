"""Property-based tests of the whole API against its own OpenAPI schema (schemathesis, in-process
through ASGI): no 5xx for any input, and every answer matches what the schema documents
(status code, media type, body schema, headers, the Allow header); schema-invalid input is
refused. Bounded: a few examples per operation.

One check is left out: ``positive_data_acceptance``, which expects a 2xx for every input the
schema allows. Whether input is acceptable here depends on the log's state, which no schema
can say: a tree size beyond the current one, a cursor this server did not give out, an entry
signed by an unknown key are well formed and still refused (each with a documented 4xx).

What the schema does state, the server must honour: a request schemathesis generated as valid
is never refused for its shape (``schema_valid_input_is_not_malformed`` below): not
``parameter_invalid`` from the validation of each parameter against its declared pattern, length
or bounds, not ``route_not_found`` for a path segment the schema allows, and not ``body_invalid``
for a body the schema allows, whose grammar (patterns, lengths, bounds, minItems/maxItems) comes
from ledger.protocol.grammar. Rules between parameters, which OpenAPI cannot state ("exactly one of index
and leaf_hash"), are said in the descriptions and answered ``parameter_invalid`` without the
per-parameter ``errors``: those are allowed. So is one rule about an entry's ``data``, whose
schema is an open object (its fields depend on the entry type, see docs/protocol.md): a number
anywhere in it must lie within canonical JSON's safe integers (RFC 8785, ±2^53), refused as
``body_invalid`` naming that domain.

The schema is loaded when the module is imported (schemathesis's fixture-based loader does not
run under pytest 9), over a registry built in a temporary folder removed at the end.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.config import ApiSettings
from api.tokens import create_token
from ledger.cli.app import create_app
from ledger.store.donors import DonorStore, load_privacy_key
from reports.service import STATE_KEY, ReportLimits, ReportService
from tests.api.world import DONOR, SALT, build_world
from tests.support.ledger_factory import LedgerFactory

_HOME = Path(tempfile.mkdtemp(prefix="api-fuzz-"))
_WORLD = build_world(LedgerFactory(_HOME / "home"))
_LEDGER = _WORLD.factory.ledger
DonorStore(_LEDGER.engine, load_privacy_key(_LEDGER.settings, create=True)).store(_WORLD.seqs["d1"], DONOR, SALT)
_TOKEN = create_token(_LEDGER.engine, "fuzzer", ["regulator"])
_APP = create_app(_LEDGER, api_settings=ApiSettings(write_rate=0))  # no rate limit while fuzzing
_APP.state[STATE_KEY] = ReportService(ReportLimits(per_minute=0))  # none on report requests either

schema = schemathesis.openapi.from_asgi("/schema/openapi.json", _APP)


@pytest.fixture(scope="module", autouse=True)
def _cleanup() -> Iterator[None]:
    yield
    _LEDGER.engine.dispose()
    shutil.rmtree(_HOME, ignore_errors=True)


# the codes of "this request is malformed": what the schema alone decides
_SHAPE_CODES = frozenset({"parameter_invalid", "route_not_found", "body_invalid"})


@schemathesis.check
def schema_valid_input_is_not_malformed(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """A positive (schema-valid) request may be refused for the log's state, never as malformed."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code not in (400, 404):
        return None
    try:
        problem = response.json()
    except ValueError:
        return None
    code = problem.get("code")
    if code == "parameter_invalid" and "errors" not in problem.get("params", {}):
        return None  # a rule between parameters (see the module's docstring)
    if code == "body_invalid" and "safe integer domain" in problem.get("detail", ""):
        return None  # a number in the open ``data`` object beyond canonical JSON's (see the docstring)
    if code in _SHAPE_CODES:
        raise AssertionError(
            f"{case.operation.label}: a request the schema allows was refused as malformed ({code}): "
            f"{response.text[:300]}"
        )
    return None


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {_TOKEN}"},
        excluded_checks=[positive_data_acceptance],
        additional_checks=[schema_valid_input_is_not_malformed],
    )
