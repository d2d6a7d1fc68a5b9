"""Keys of small order, non-canonically encoded or off the curve never enter the log
(libsodium's rule, ledger.protocol.ed25519_strict): not in the genesis, not by key.granted, not as a
log key; and an entry "signed" by such a key without its private key is refused."""

from __future__ import annotations

import base64

import pytest

from ledger.domain import signer_public_key
from ledger.domain.rows import KeyRow
from ledger.domain.schemas import validate
from ledger.errors import LedgerError
from ledger.protocol import ed25519_strict
from ledger.protocol.entry import make_body, parse_submission
from ledger.protocol.keys import key_id
from tests.domain.helpers import FOUNDATION, ORIGIN, T0, Harness, World, assert_rendered, genesis_data, grant_data, key

IDENTITY = ed25519_strict.SMALL_ORDER_ENCODINGS[1]
FORGED = IDENTITY + bytes(32)  # R = identity, S = 0: "verifies" anything under a small-order key
WEAK = [
    *ed25519_strict.SMALL_ORDER_ENCODINGS,
    IDENTITY[:31] + b"\x80",  # the identity with its sign bit set ("negative zero")
    bytes.fromhex("f0" + "ff" * 30 + "7f"),  # y = p + 3: not canonical
    (2).to_bytes(32, "little"),  # y = 2: not a point of the curve
]


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize("raw", WEAK, ids=lambda raw: raw.hex()[:8] + "…" + raw.hex()[-4:])
@pytest.mark.parametrize(
    ("type_name", "data", "field"),
    [
        ("key.granted", grant_data(key("x"), "fundraiser", FOUNDATION), "public_key"),
        ("registry.genesis", genesis_data(key("r")), "public_key"),
        ("registry.genesis", genesis_data(key("r"), log_key=key("l").public_b64), "log_key"),
        ("log.key_rotated", {"public_key": key("l").public_b64, "from_size": 12}, "public_key"),
    ],
)
def test_weak_keys_are_refused_in_every_key_field(raw, type_name, data, field):
    with pytest.raises(LedgerError) as info:
        validate(type_name, data | {field: b64(raw)})
    assert info.value.code == "data_invalid"
    assert info.value.params["field"] == field
    assert "usable Ed25519 public key" in info.value.message_en
    assert_rendered(info.value)


def test_key_granted_of_a_small_order_key_is_refused_and_nothing_changes():
    w = World(projects=False)
    err = w.refuse(
        w.registrar,
        "key.granted",
        grant_data(key("x"), "fundraiser", FOUNDATION) | {"public_key": b64(IDENTITY)},
        "data_invalid",
    )
    assert "small order" in err.message_en
    assert w.state.get(KeyRow, key_id(IDENTITY)) is None


def test_genesis_naming_a_small_order_key_is_refused_by_name():
    h = Harness()
    body = make_body(
        ORIGIN, "registry.genesis", key_id(IDENTITY), T0, "genesis", genesis_data(key("r"), public_key=b64(IDENTITY))
    )
    entry = parse_submission({"body": body, "sig": b64(FORGED)})
    with pytest.raises(LedgerError) as info:
        signer_public_key(h.state, entry, 0)
    assert info.value.code == "data_invalid" and info.value.params["field"] == "data.public_key"
    assert "small order" in info.value.message_en


def test_the_frozen_log_refusal_reads_in_both_languages():
    # raised by the log store (tests/test_weak_key_log.py) for a log granted a weak key earlier
    err = LedgerError(
        "log_holds_weak_key", seq=7, key_id=key_id(IDENTITY), problem="the public key is a point of small order"
    )
    assert err.kind == "conflict"
    assert "entry 7" in err.message_en and "第 7 号条目" in err.message_zh
    assert_rendered(err)
