"""The workbench's entry forms: generated from the JSON Schema, checked by the log's rules before
signing (every wrong field at once, nothing written), the exact bytes previewed, and the signed
entry answered with its inclusion proof; a correction in one step."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from litestar.testing import TestClient

from api.config import ApiSettings
from ledger.cli.app import create_app
from ledger.domain.json_schema import entry_data_schema, kind
from ledger.protocol import merkle
from ledger.protocol.canonical import canonical_bytes
from ledger.protocol.checkpoint import verify_checkpoint
from ledger.protocol.entry import ENTRY_PREFIX
from ledger.protocol.keys import KeyPair
from ledger.store.drafts import WORKBENCH_TYPES
from ledger.store.export import log_vkey
from tests.api.conftest import log_state
from tests.api.world import PROJECT, World, donation
from tests.support.ledger_factory import LedgerFactory
from tests.workbench.forms.conftest import Signer, as_, with_test_sign_in


class Controls(HTMLParser):
    """The form controls of a page: data-path -> attributes, and the labels' texts by id."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: dict[str, dict[str, Any]] = {}
        self.labels: dict[str, str] = {}
        self._label: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("input", "select", "textarea", "fieldset") and a.get("data-path"):
            self.controls.setdefault(str(a["data-path"]), a | {"tag": tag})
        if tag == "label":
            self._label, self._text = a.get("for"), []

    def handle_data(self, data: str) -> None:
        if self._label is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._label is not None:
            self.labels[self._label] = " ".join("".join(self._text).split())
            self._label = None


def controls_of(html: str) -> Controls:
    parser = Controls()
    parser.feed(html)
    return parser


def _paths(schema: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    out = {}
    for name, prop in schema["properties"].items():
        out[prefix + name] = prop
        if kind(prop) == "object":
            out.update(_paths(prop, prefix + name + "."))
    return out


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app for the read-only page tests (an empty registry: forms need no data)."""
    factory = LedgerFactory(tmp_path_factory.mktemp("forms") / "home")
    factory.with_genesis()
    app = with_test_sign_in(create_app(factory.ledger, api_settings=ApiSettings()), Signer("fundraiser"))
    with TestClient(app) as c:
        yield c


@pytest.mark.parametrize("type_name", WORKBENCH_TYPES)
def test_every_form_has_a_control_per_field_of_the_schema(pages: TestClient, type_name: str) -> None:
    r = pages.get(f"/workbench/entries/new/{type_name}")
    assert r.status_code == 200, r.text
    page = controls_of(r.text)
    schema = entry_data_schema(type_name)
    paths = _paths(schema)
    assert set(page.controls) == set(paths)
    required = set(schema.get("required", ()))
    for name in schema["properties"]:
        control = page.controls[name]
        if control["tag"] == "fieldset":
            continue
        label = (
            page.labels["main-" + control["id"]]
            if "main-" + control["id"] in page.labels
            else page.labels[control["id"]]
        )
        zh, en = paths[name]["x-title-zh"], paths[name]["title"]
        assert label.index(zh) < label.index(en)  # Chinese first
        assert ("required" in control) == (name in required and control["data-kind"] not in ("lines",))
        assert control.get("aria-describedby", "").startswith(control["id"] + "-error")


def test_the_donation_form_is_typed(client: TestClient) -> None:
    page = controls_of(client.get("/workbench/entries/new/donation.received").text)
    assert page.controls["received_on"]["type"] == "date"
    assert page.controls["amount"]["inputmode"] == "decimal"
    assert page.controls["channel"]["tag"] == "select" and page.controls["restricted"]["data-kind"] == "bool"
    assert client.get("/workbench/entries/new/report.issued").status_code == 400  # signed by the system only
    nobody = client.get(
        "/workbench/entries/new/donation.received", headers={"X-Test-Login": "nobody"}, follow_redirects=False
    )  # a page asks who you are first
    assert nobody.status_code == 303 and nobody.headers["location"].startswith("/workbench/sign-in?next=")


def test_a_link_prefills_the_fields_it_names_and_nothing_else(pages: TestClient) -> None:
    target = "ab" * 32
    page = pages.get(f"/workbench/entries/new/attestation.recorded?target={target}&verdict=approved&signer=x")
    controls = controls_of(page.text).controls
    assert controls["target"]["value"] == target  # the overseer's desk links here with ?target=
    assert 'value="approved" selected' in page.text
    assert 'value="x"' not in page.text  # not a field of the form
    wrong = pages.get("/workbench/entries/new/attestation.recorded?verdict=nonsense&target=" + "a" * 600).text
    assert "selected>" not in wrong.replace('value="" selected>', "") and "a" * 600 not in wrong


def _prepare(client: TestClient, key: KeyPair, type_: str, data: dict[str, Any], **extra: Any) -> Any:
    body = {"type": type_, "data": data, "public_key": key.public_b64, **extra}
    return client.post("/workbench/api/prepare", json=body)


def test_prepare_names_every_wrong_field_and_writes_nothing(world: World, client: TestClient) -> None:
    before = log_state(world.factory.ledger)
    data = donation(PROJECT, "10")
    del data["kind"]
    data["commitment"] = "not-a-hash"
    r = _prepare(client, world.keys["fundraiser"], "donation.received", data)
    assert r.status_code == 400
    assert [p["field"] for p in r.json()["params"]["problems"]] == ["amount", "kind", "commitment"]
    assert log_state(world.factory.ledger) == before
    # a rule (not the schema): more than the pot holds
    r = _prepare(
        client,
        world.keys["fundraiser"],
        "funds.allocated",
        {
            "project": PROJECT,
            "currency": "CNY",
            "amount": "99999.00",
            "implementer": world_service(world),
            "source": "restricted",
            "allocated_on": data["received_on"],
        },
    )
    assert r.status_code == 422 and r.json()["code"] == "insufficient_funds"
    assert log_state(world.factory.ledger) == before


def world_service(world: World) -> str:
    from tests.api.world import SERVICE

    return SERVICE


def _sign(key: KeyPair, prepared: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for entry in prepared["entries"]:
        message = base64.b64decode(entry["signing_message"])
        assert message == ENTRY_PREFIX + canonical_bytes(entry["body"])  # the preview is what is signed
        assert entry["canonical"].encode() == canonical_bytes(entry["body"])
        out.append({"body": entry["body"], "sig": base64.b64encode(key.sign(message)).decode()})
    return out


def _check_proof(world: World, item: dict[str, Any], checkpoint: str) -> None:
    cp = verify_checkpoint(checkpoint, log_vkey(world.factory.ledger.log))
    proof = item["inclusion_proof"]
    merkle.verify_inclusion(
        bytes.fromhex(item["leaf_hash"]), proof["index"], cp.size, [bytes.fromhex(h) for h in proof["hashes"]], cp.root
    )


def test_prepare_sign_submit_answers_the_proof(world: World, client: TestClient) -> None:
    key = world.keys["fundraiser"]
    r = _prepare(client, key, "donation.received", donation(PROJECT, "88.00"))
    assert r.status_code == 200, r.text
    (entry,) = r.json()["entries"]
    assert entry["body"]["signer"] == key.id and entry["body"]["type"] == "donation.received"
    size_before = log_state(world.factory.ledger)[0]
    r = client.post("/workbench/api/submit", json={"entries": _sign(key, r.json()), "draft": None})
    assert r.status_code == 201, r.text
    (item,) = r.json()["items"]
    _check_proof(world, item, item["checkpoint"])
    assert log_state(world.factory.ledger)[0] == size_before + 1
    assert json.loads(world.factory.ledger.log.leaf(item["position"]))["body"]["data"]["amount"] == "88.00"
    # a staff member without the signing role may not submit
    r2 = _prepare(client, key, "donation.received", donation(PROJECT, "1.00"))
    r3 = client.post(
        "/workbench/api/submit", json={"entries": _sign(key, r2.json()), "draft": None}, headers=as_("clerk")
    )
    assert r3.status_code == 422 and r3.json()["code"] == "draft_refused"


def _fund(client: TestClient) -> dict[str, Any]:
    r = client.get(f"/api/v1/projects/{PROJECT}")
    assert r.status_code == 200
    return r.json()


def test_a_correction_in_one_step(world: World, client: TestClient) -> None:
    """The correction page prefills the reversal and the replacement; both are signed and
    appended as one batch: the raised total moves from 1000.00 to 100.00 in one go."""
    target = world.ids["d3"]  # 1000.00 restricted
    page = client.get(f"/workbench/entries/correct/{target}")
    assert page.status_code == 200
    assert re.search(r'data-path="amount"[^>]*value="1000.00"', page.text)
    raised_before = _fund(client)
    reversal = {
        "target": target,
        "reason": "输错金额 typed 1000 for 100",
        "project": PROJECT,
        "amount": "1000.00",
        "currency": "CNY",
    }
    replacement = {"type": "donation.received", "data": donation(PROJECT, "100.00")}
    key = world.keys["fundraiser"]
    r = _prepare(client, key, "entry.corrected", reversal, replacement=replacement)
    assert r.status_code == 200, r.text
    assert [e["body"]["type"] for e in r.json()["entries"]] == ["entry.corrected", "donation.received"]
    # a wrong replacement names its fields, for the replacement part of the form
    bad = {"type": "donation.received", "data": donation(PROJECT, "1,00")}
    r_bad = _prepare(client, key, "entry.corrected", reversal, replacement=bad)
    assert r_bad.status_code == 400 and r_bad.json()["params"]["position"] == 1
    assert r_bad.json()["params"]["field"] == "amount"
    r2 = client.post("/workbench/api/submit", json={"entries": _sign(key, r.json()), "draft": None})
    assert r2.status_code == 201, r2.text
    items = r2.json()["items"]
    assert len(items) == 2 and items[1]["position"] == items[0]["position"] + 1
    raised_after = _fund(client)
    assert _money(raised_after, "raised") == _money(raised_before, "raised") - 90000  # -1000.00 +100.00
    assert raised_after["funds"]["donations_count"] == raised_before["funds"]["donations_count"]
    assert json.loads(world.factory.ledger.log.leaf(items[0]["position"]))["body"]["data"]["reason"].startswith("输错")


def _money(project: dict[str, Any], name: str) -> int:
    return int(project["funds"][name].replace(".", ""))
