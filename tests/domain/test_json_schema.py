"""The JSON Schema of every entry type's data, generated from the field specs: it covers every
type and field, it accepts the valid samples the validator accepts, and it refuses what the
validator refuses for shape (types, patterns, enums, required and unknown fields)."""

from __future__ import annotations

import dataclasses
from typing import Any

import jsonschema_rs
import pytest

from ledger.domain.json_schema import all_entry_data_schemas, entry_data_schema
from ledger.domain.schemas import ENTRY_TYPES, SCHEMAS, validate
from ledger.errors import LedgerError
from tests.domain.test_schemas import valid_samples


def test_every_type_and_field_has_a_schema() -> None:
    schemas = all_entry_data_schemas()
    assert list(schemas) == list(ENTRY_TYPES)
    for type_name, schema in schemas.items():
        names = [f.name for f in dataclasses.fields(SCHEMAS[type_name])]
        assert list(schema["properties"]) == names
        required = [f.name for f in dataclasses.fields(SCHEMAS[type_name]) if not f.metadata["optional"]]
        assert schema.get("required", []) == required
        assert schema["additionalProperties"] is False
        for prop in schema["properties"].values():
            assert prop["title"] and prop["x-title-zh"]
        jsonschema_rs.meta.validate(schema)  # a valid 2020-12 schema


@pytest.mark.parametrize("type_name", ENTRY_TYPES)
def test_the_schema_accepts_what_the_validator_accepts(type_name: str) -> None:
    sample = valid_samples()[type_name]
    validate(type_name, sample)
    errors = list(jsonschema_rs.validator_for(entry_data_schema(type_name)).iter_errors(sample))
    assert errors == []


REFUSED: list[tuple[str, dict[str, Any]]] = [
    ("donation.received", {"amount": 12.5}),  # a float
    ("donation.received", {"amount": "12,50"}),
    ("donation.received", {"channel": "pigeon"}),
    ("donation.received", {"commitment": "ABC"}),
    ("donation.received", {"restricted": "yes"}),
    ("donation.received", {"colour": "red"}),
    ("funds.disbursed", {"evidence": ["ab" * 32, "ab" * 32]}),  # the same item twice
    ("project.registered", {"implementers": []}),
    ("project.registered", {"start_date": "2026-02-30"}),
    ("key.granted", {"public_key": "not base64"}),
    ("audit.opinion", {"year": 1800}),
]


@pytest.mark.parametrize(("type_name", "change"), REFUSED)
def test_the_schema_refuses_what_the_validator_refuses(type_name: str, change: dict[str, Any]) -> None:
    data = dict(valid_samples()[type_name], **change)
    with pytest.raises(LedgerError):
        validate(type_name, data)
    assert not jsonschema_rs.validator_for(entry_data_schema(type_name)).is_valid(data)


def test_missing_fields_are_all_named() -> None:
    data = dict(valid_samples()["donation.received"])
    for name in ("channel", "donor_type", "received_on"):
        del data[name]
    with pytest.raises(LedgerError) as info:
        validate("donation.received", data)
    assert [p["field"] for p in info.value.params["problems"]] == ["channel", "donor_type", "received_on"]
    assert info.value.params["field"] == "channel"
    for name in ("channel", "donor_type", "received_on"):
        assert name in info.value.message_en and name in info.value.message_zh
    required = entry_data_schema("donation.received")["required"]
    assert {"channel", "donor_type", "received_on"} <= set(required)


def test_nested_objects_are_checked_field_by_field() -> None:
    data = dict(valid_samples()["project.registered"])
    plan = dict(data["plan"])
    del plan["purpose"]
    plan["fundraising_start"] = "soon"
    data["plan"] = plan
    data["target"] = "-1"
    with pytest.raises(LedgerError) as info:
        validate("project.registered", data)
    fields = [p["field"] for p in info.value.params["problems"]]
    assert fields == ["target", "plan.purpose", "plan.fundraising_start"]


def test_a_lone_money_error_keeps_its_own_code() -> None:
    data = dict(valid_samples()["donation.received"], amount="12.5")
    with pytest.raises(LedgerError) as info:
        validate("donation.received", data)
    assert info.value.code == "amount_invalid"
    del data["channel"]  # and the other wrong fields are listed with it
    with pytest.raises(LedgerError) as info:
        validate("donation.received", data)
    assert info.value.code == "amount_invalid"
    assert [p["field"] for p in info.value.params["problems"]] == ["amount", "channel"]
