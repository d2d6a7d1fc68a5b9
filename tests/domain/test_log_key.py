"""log.key_rotated: only the log's current checkpoint key, named in genesis, may rotate it."""

from __future__ import annotations

import pytest

from ledger.domain import AppendContext, apply, signer_public_key
from ledger.domain.rows import RegistryRow
from ledger.errors import LedgerError
from ledger.protocol.canonical import format_time
from ledger.protocol.keys import KeyPair
from tests.domain import helpers


@pytest.fixture
def world() -> helpers.KeyedRegistry:
    return helpers.KeyedRegistry()


def _registry(h: helpers.Harness) -> RegistryRow:
    (row,) = h.state.rows(RegistryRow)
    return row


def test_rotation_by_the_named_key(world: helpers.KeyedRegistry) -> None:
    new = helpers.key("log key 2")
    assert _registry(world).log_key_id == world.log_key.id and _registry(world).log_key_from_size == 0
    world.append(world.log_key, "log.key_rotated", {"public_key": new.public_b64, "from_size": world.seq + 1})
    row = _registry(world)
    assert (row.log_key, row.log_key_id, row.log_key_from_size) == (new.public_b64, new.id, 3)
    # the old key can no longer rotate; the new one can
    newer = helpers.key("log key 3")
    assert (
        signer_public_key(
            world.state,
            world.sign(world.log_key, "log.key_rotated", {"public_key": newer.public_b64, "from_size": 4}),
            3,
        )
        is None
    )
    world.append(new, "log.key_rotated", {"public_key": newer.public_b64, "from_size": world.seq + 1})
    assert _registry(world).log_key_id == newer.id


def test_rotation_refusals(world: helpers.KeyedRegistry) -> None:
    new = helpers.key("log key 2")
    world.refuse(
        world.log_key, "log.key_rotated", {"public_key": new.public_b64, "from_size": 99}, "log_key_rotation_invalid"
    )
    world.refuse(
        world.log_key,
        "log.key_rotated",
        {"public_key": world.log_key.public_b64, "from_size": world.seq + 1},
        "log_key_rotation_invalid",
    )
    # another key is not even offered for the signature check ...
    entry = world.sign(world.registrar, "log.key_rotated", {"public_key": new.public_b64, "from_size": world.seq + 1})
    assert signer_public_key(world.state, entry, world.seq) is None
    # ... and the rule itself refuses it too (what a monitor replaying a log relies on)
    before = world.state.snapshot()
    with pytest.raises(LedgerError) as err:
        apply(
            world.state,
            AppendContext(world.seq, "ab" * 32, format_time(world.now), helpers.ORIGIN),
            entry,
        )
    assert err.value.code == "log_key_unknown" and world.state.snapshot() == before


def test_no_rotation_without_a_named_log_key() -> None:
    h = helpers.Harness()
    registrar = helpers.key("registrar")
    h.append(registrar, "registry.genesis", helpers.genesis_data(registrar))
    stray = KeyPair.from_seed(b"someone")
    with pytest.raises(LedgerError) as err:
        h.append(stray, "log.key_rotated", {"public_key": stray.public_b64, "from_size": 2})
    assert err.value.code == "unknown_signer"
