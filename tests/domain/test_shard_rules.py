"""The rules of the chain of logs: only the log key seals a log, at its true final size, into
an origin the registry does not have yet; a later log's genesis must continue exactly the
sealed log it names, restating the trust root and signed by the log key that sealed it."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from ledger.domain import continuation_data, signer_public_key
from ledger.domain.rows import EntryRow, KeyRow, RegistryRow
from ledger.errors import LedgerError
from ledger.protocol.entry import make_body, sign_entry
from ledger.protocol.keys import KeyPair
from tests.domain import helpers
from tests.support.world import Clock, MemoryLog

NEXT = helpers.ORIGIN + "/2027"


class Chain(helpers.KeyedRegistry):
    """A registry whose genesis names the log key; entries can be appended to a later log (all
    signed and logged at one moment)."""

    def __init__(self) -> None:
        self.chain = MemoryLog()
        super().__init__(self.chain, Clock(step=timedelta(0)))

    def seal(self) -> dict:
        size = self.seq - self.chain.base + 1
        self.append(self.log_key, "log.sealed", {"next_origin": NEXT, "size": size})
        return {
            "origin": self.origin,
            "size": size,
            "root_hash": "ab" * 32,
            "checkpoint": f"{self.origin}\n{size}\nq1Z=\n\n— x y\n",
        }

    def open_next(self) -> None:
        self.chain.open_next(NEXT, self.seq)


@pytest.fixture
def chain() -> Chain:
    return Chain()


def _registry(c: Chain, origin: str) -> RegistryRow:
    row = c.state.get(RegistryRow, origin)
    assert row is not None
    return row


def test_sealing_and_continuing(chain: Chain) -> None:
    previous = chain.seal()
    assert (_registry(chain, helpers.ORIGIN).next_origin, _registry(chain, helpers.ORIGIN).sealed_size) == (NEXT, 3)
    chain.open_next()
    data = continuation_data(chain.state, previous, NEXT)
    assert data["public_key"] == chain.registrar.public_b64 and data["log_key"] == chain.log_key.public_b64
    assert (
        data["previous"] == previous
        and data["origin"] == NEXT
        and data["rule_sets"] == ["cn-charity/1", "sz-donation/1"]
    )
    genesis = chain.append(chain.log_key, "registry.genesis", data)
    row = _registry(chain, NEXT)
    assert (row.previous_origin, row.genesis_id, row.registrar_key, row.log_key_id) == (
        helpers.ORIGIN,
        genesis,
        chain.registrar.id,
        chain.log_key.id,
    )
    assert chain.state.get(EntryRow, genesis).signer_role == "log"
    # the keys of the first log carry over: the registrar registers an organisation in the next
    chain.append(chain.registrar, "org.registered", helpers.org_data(helpers.SERVICE_ORG))
    assert chain.state.get(KeyRow, chain.registrar.id).granted_seq == 0


def test_only_the_log_key_seals_at_the_true_size_into_a_new_origin(chain: Chain) -> None:
    size = chain.seq + 1
    with pytest.raises(LedgerError) as info:
        chain.append(chain.registrar, "log.sealed", {"next_origin": NEXT, "size": size})
    assert info.value.code == "unknown_signer"
    with pytest.raises(LedgerError) as info:
        chain.append(chain.log_key, "log.sealed", {"next_origin": NEXT, "size": size + 1})
    assert info.value.code == "log_seal_invalid" and f"size must be {size}" in info.value.message_en
    with pytest.raises(LedgerError) as info:
        chain.append(chain.log_key, "log.sealed", {"next_origin": helpers.ORIGIN, "size": size})
    assert info.value.code == "log_seal_invalid" and "already a log" in info.value.message_en
    assert _registry(chain, helpers.ORIGIN).next_origin is None


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda d: d["previous"].update(size=2), "final size is 3, not 2"),
        (lambda d: d["previous"].update(origin="another.registry/log"), "no log another.registry/log"),
        (lambda d: d.update(public_key=helpers.key("someone").public_b64), "trust root"),
        (lambda d: d.update(org=helpers.SERVICE_ORG), "trust root"),
        (lambda d: d.update(log_key=helpers.key("other log key").public_b64), "key that sealed the log"),
    ],
)
def test_a_genesis_that_does_not_continue_the_sealed_log_is_refused(chain: Chain, change, says) -> None:  # type: ignore[no-untyped-def]
    previous = chain.seal()
    chain.open_next()
    data = copy.deepcopy(continuation_data(chain.state, previous, NEXT))
    change(data)
    with pytest.raises(LedgerError) as info:
        chain.append(chain.log_key, "registry.genesis", data)
    assert info.value.code == "shard_continuation_invalid" and says in info.value.message_en, info.value.message_en
    assert chain.state.get(RegistryRow, NEXT) is None


def test_a_continuing_genesis_is_signed_by_the_log_key_only(chain: Chain) -> None:
    previous = chain.seal()
    chain.open_next()
    data = continuation_data(chain.state, previous, NEXT)
    body = make_body(NEXT, "registry.genesis", chain.registrar.id, helpers.T0, "g", data)
    assert signer_public_key(chain.state, sign_entry(chain.registrar, body), chain.seq) is None
    # and a log that was never sealed cannot be continued
    fresh = Chain()
    with pytest.raises(LedgerError) as info:
        continuation_data(
            fresh.state, {"origin": NEXT, "size": 1, "root_hash": "ab" * 32, "checkpoint": "x"}, NEXT + "/x"
        )
    assert info.value.code == "shard_continuation_invalid"
    stranger = KeyPair.from_seed(b"stranger")
    assert (
        signer_public_key(
            fresh.state,
            sign_entry(
                stranger,
                make_body(helpers.ORIGIN, "log.sealed", stranger.id, helpers.T0, "s", {"next_origin": NEXT, "size": 3}),
            ),
            2,
        )
        is None
    )
