"""The C2SP tlog-witness add-checkpoint request and responses, and the witness's checks."""

from __future__ import annotations

import base64
import hashlib

import pytest

from ledger.errors import CATALOGUE, LedgerError, VerificationError
from ledger.protocol import witness_protocol as wp
from ledger.protocol.checkpoint import Checkpoint, cosign, require_quorum, sign_checkpoint, witness_verifier
from ledger.protocol.keys import KeyPair
from ledger.protocol.merkle import MemoryTree, consistency_proof, leaf_hash
from ledger.protocol.note import NoteSignature, NoteSigner, add_signatures
from ledger.protocol.witness_protocol import (
    AddCheckpointRequest,
    build_add_checkpoint_request,
    check_add_checkpoint,
    cosignature_response_body,
    parse_add_checkpoint_request,
    parse_cosignature_response,
    parse_size_response,
    size_response_body,
)

DASH = "\u2014"
ORIGIN = "charity.example/ledger/2026"
T = 1_767_225_600

# The example request body of c2sp.org/tlog-witness (signatures by keys not published).
SPEC_REQUEST = f"""old 20852014
PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=
5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=
/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=

example.com/behind-the-sofa
20852163
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

{DASH} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
{DASH} example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=
"""
# The example response body of the same spec.
SPEC_RESPONSE = f"""{DASH} witness.example/w1 CMp+6LWBU0anHGH5aNDTJkH/gj79sG+T6+iP2ThYN5krrDJbR1HDnucjL39QsZTSvVjyQLrdk3DXDqI5G2HgLatVs0pWh6Up69HVOw==
{DASH} witness.example/w1 I7rEps0pvK2UqkS2gSpVUDhrhVtQV9lgF6pRrWAvjJHjyWpW7VcE3SiOlVlbQNt64vWhO+DlkL0+UfzuOBMh9ChdMkP1vi/lCAsmlw==
{DASH} witness.example/w2 AWui8Sk55XjYLOijihBjhqEH6nS1ndDymE0a+6idX7pLcnoB+dhnz0854aLZgrrKbYKA7nC3HNJhm/kWl7oJlqU3rXXvpysAdyP3wQ==
"""


class Log:
    """A small log: a tree of fake leaves and its signing key."""

    def __init__(self, size: int) -> None:
        self.signer = NoteSigner(ORIGIN, KeyPair.from_seed(b"log key"))
        self.tree = MemoryTree(leaf_hash(f"entry {i}".encode()) for i in range(size))

    def grow(self, n: int) -> None:
        for _ in range(n):
            self.tree.append(leaf_hash(f"entry {self.tree.size}".encode()))

    def checkpoint(self) -> Checkpoint:
        return Checkpoint(ORIGIN, self.tree.size, self.tree.root())

    def signed(self) -> str:
        return sign_checkpoint(self.checkpoint(), self.signer)

    def request(self, old: int) -> bytes:
        proof = consistency_proof(old, self.tree.size, self.tree) if old else []
        return build_add_checkpoint_request(old, proof, self.signed())

    @property
    def keys(self) -> dict[str, list]:
        return {ORIGIN: [self.signer.verifier]}


# --- the request body -----------------------------------------------------------------------


def test_spec_example_request_parses() -> None:
    req = parse_add_checkpoint_request(SPEC_REQUEST.encode())
    assert req.old_size == 20852014
    assert len(req.proof) == 4 and all(len(h) == 32 for h in req.proof)
    assert req.proof[0] == base64.b64decode("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=")
    assert req.checkpoint == Checkpoint(
        "example.com/behind-the-sofa", 20852163, base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    )
    assert len(req.note.signatures) == 2
    assert req.to_bytes() == SPEC_REQUEST.encode()


def test_round_trip_with_and_without_proof() -> None:
    log = Log(7)
    first = AddCheckpointRequest.parse(log.request(0))
    assert (first.old_size, first.proof, first.checkpoint_note) == (0, (), log.signed())
    assert log.request(0).startswith(b"old 0\n\n" + ORIGIN.encode() + b"\n7\n")
    log.grow(6)
    second = AddCheckpointRequest.parse(log.request(7))
    assert second.old_size == 7 and len(second.proof) > 0
    assert second.to_bytes() == log.request(7)
    assert AddCheckpointRequest.parse(second.to_bytes().decode()) == second


_NOTE = Log(3).signed()
_H = base64.b64encode(hashlib.sha256(b"h").digest()).decode()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(f"\n{_NOTE}", id="no-old-line"),
        pytest.param(f"old 3\n{_NOTE}", id="no-empty-line"),
        pytest.param(f"old 03\n\n{_NOTE}", id="leading-zero"),
        pytest.param(f"old -1\n\n{_NOTE}", id="negative"),
        pytest.param(f"old  1\n\n{_NOTE}", id="two-spaces"),
        pytest.param(f"old\t1\n\n{_NOTE}", id="tab"),
        pytest.param(f"Old 1\n\n{_NOTE}", id="capital"),
        pytest.param(f"old 1 \n\n{_NOTE}", id="trailing-space"),
        pytest.param(f"old \n\n{_NOTE}", id="no-number"),
        pytest.param(f"old \u0661\n\n{_NOTE}", id="arabic-indic-digit"),
        pytest.param(f"old 4\n\n{_NOTE}", id="old-above-checkpoint-size"),
        pytest.param(f"old 1\n{_H[:-2]}!=\n\n{_NOTE}", id="bad-base64-proof"),
        pytest.param(f"old 1\n{_H.rstrip('=')}\n\n{_NOTE}", id="unpadded-proof"),
        pytest.param(f"old 1\n{base64.b64encode(bytes(31)).decode()}\n\n{_NOTE}", id="short-proof-hash"),
        pytest.param(f"old 1\n{hashlib.sha256(b'h').hexdigest()}\n\n{_NOTE}", id="hex-proof-hash"),
        pytest.param("old 1\n" + f"{_H}\n" * 64 + f"\n{_NOTE}", id="64-proof-lines"),
    ],
)
def test_malformed_request_heads_are_refused(body: str) -> None:
    with pytest.raises(LedgerError) as err:
        parse_add_checkpoint_request(body.encode())
    assert err.value.code == "witness_request_invalid"
    assert wp.STATUS_BY_CODE[err.value.code] == wp.STATUS_BAD_REQUEST


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(f"old 1\n{_H}\n\n\n{_NOTE}", id="extra-blank-line-before-checkpoint"),
        pytest.param(f"old 1\n\n{_NOTE[:-1]}", id="checkpoint-without-final-newline"),
        pytest.param(f"old 1\n\n{_NOTE}\n", id="blank-line-after-signatures"),
        pytest.param(f"old 1\n\n{_NOTE.split(chr(10) + chr(10))[0]}\n", id="unsigned-checkpoint"),
        pytest.param(f"old 1\n\n{_NOTE.replace(DASH, '-')}", id="signature-without-em-dash"),
        pytest.param(f"old 1\r\n\r\n{_NOTE}", id="crlf"),
        pytest.param(f"old 1\n\nnot\na\ncheckpoint\n\n{_NOTE.split(chr(10) + chr(10))[1]}", id="not-a-checkpoint"),
    ],
)
def test_malformed_request_bodies_are_refused(body: str) -> None:
    with pytest.raises(LedgerError) as err:
        parse_add_checkpoint_request(body.encode())
    assert wp.STATUS_BY_CODE[err.value.code] == wp.STATUS_BAD_REQUEST


def test_63_proof_lines_are_the_limit() -> None:
    log = Log(3)
    req = AddCheckpointRequest(1, (hashlib.sha256(b"h").digest(),) * 63, log.signed())
    assert AddCheckpointRequest.parse(req.to_bytes()) == req
    with pytest.raises(LedgerError):
        AddCheckpointRequest(1, (hashlib.sha256(b"h").digest(),) * 64, log.signed())


def test_invalid_utf8_and_oversized_bodies_are_refused() -> None:
    with pytest.raises(LedgerError):
        parse_add_checkpoint_request(b"old 0\n\n\xff" + _NOTE.encode())
    with pytest.raises(LedgerError) as err:
        parse_add_checkpoint_request(b"old 0\n\n" + b"x" * wp.MAX_REQUEST_BYTES)
    assert "at most" in err.value.message_en


@pytest.mark.parametrize(
    "args", [(-1, (), _NOTE), (True, (), _NOTE), (0, (b"short",), _NOTE), (0, b"x" * 32, _NOTE), (0, (), 5)]
)
def test_requests_cannot_be_built_from_bad_parts(args: tuple) -> None:
    with pytest.raises(LedgerError):
        AddCheckpointRequest(*args)


# --- the witness's checks -------------------------------------------------------------------


def test_first_and_next_checkpoint_are_accepted() -> None:
    log = Log(5)
    first = check_add_checkpoint(AddCheckpointRequest.parse(log.request(0)), log.keys)
    assert first == log.checkpoint()
    log.grow(3)
    second = check_add_checkpoint(
        AddCheckpointRequest.parse(log.request(5)), log.keys, latest_size=5, latest_root=first.root
    )
    assert second.size == 8
    same = check_add_checkpoint(
        AddCheckpointRequest.parse(log.request(8)), log.keys, latest_size=8, latest_root=second.root
    )
    assert same == second


def test_log_keys_may_be_strings() -> None:
    log = Log(2)
    keys = {ORIGIN: [log.signer.verifier.to_string()]}
    assert check_add_checkpoint(AddCheckpointRequest.parse(log.request(0)), keys).size == 2


def test_unknown_origin_is_404() -> None:
    log = Log(2)
    with pytest.raises(LedgerError) as err:
        check_add_checkpoint(AddCheckpointRequest.parse(log.request(0)), {"other.example/log": [log.signer.verifier]})
    assert err.value.code == "witness_unknown_log"
    assert wp.STATUS_BY_CODE[err.value.code] == 404


def test_not_signed_by_the_log_key_is_403() -> None:
    log = Log(2)
    stranger = NoteSigner(ORIGIN, KeyPair.from_seed(b"stranger"))
    note = sign_checkpoint(log.checkpoint(), stranger)
    with pytest.raises(VerificationError) as err:
        check_add_checkpoint(AddCheckpointRequest(0, (), note), log.keys)
    assert err.value.code == "note_unverified" and wp.STATUS_BY_CODE[err.value.code] == 403
    forged = log.checkpoint().to_text() + "\n" + NoteSignature(ORIGIN, log.signer.key_hash, bytes(64)).line()
    with pytest.raises(VerificationError) as err:
        check_add_checkpoint(AddCheckpointRequest(0, (), forged), log.keys)
    assert err.value.code == "note_bad_signature" and wp.STATUS_BY_CODE[err.value.code] == 403


def test_old_size_mismatch_is_409_with_the_latest_size() -> None:
    log = Log(5)
    root5 = log.tree.root()
    log.grow(2)
    with pytest.raises(LedgerError) as err:
        check_add_checkpoint(AddCheckpointRequest.parse(log.request(0)), log.keys, latest_size=5, latest_root=root5)
    assert err.value.code == "witness_old_size_mismatch"
    assert err.value.params["latest"] == 5 and err.value.kind == "conflict"
    assert size_response_body(err.value.params["latest"]) == b"5\n"
    assert wp.STATUS_BY_CODE[err.value.code] == 409


def test_same_size_other_root_is_422() -> None:
    log = Log(5)
    other = hashlib.sha256(b"split view").digest()
    with pytest.raises(LedgerError) as err:
        check_add_checkpoint(AddCheckpointRequest.parse(log.request(5)), log.keys, latest_size=5, latest_root=other)
    # C2SP tlog-witness: "If they don't match, the witness MUST respond with a 422"
    assert err.value.code == "witness_root_mismatch" and wp.STATUS_BY_CODE[err.value.code] == 422


def test_bad_consistency_proof_is_422() -> None:
    log = Log(5)
    root5 = log.tree.root()
    log.grow(4)
    good = AddCheckpointRequest.parse(log.request(5))
    tampered = AddCheckpointRequest(5, (hashlib.sha256(b"x").digest(), *good.proof[1:]), good.checkpoint_note)
    with pytest.raises(LedgerError) as err:
        check_add_checkpoint(tampered, log.keys, latest_size=5, latest_root=root5)
    assert err.value.code == "witness_inconsistent_proof" and wp.STATUS_BY_CODE[err.value.code] == 422
    # the right proof against a different stored root (a fork) is also refused
    with pytest.raises(LedgerError) as err:
        check_add_checkpoint(good, log.keys, latest_size=5, latest_root=hashlib.sha256(b"fork").digest())
    assert err.value.code == "witness_inconsistent_proof"


def test_proof_from_zero_must_be_empty() -> None:
    log = Log(4)
    req = AddCheckpointRequest(0, (hashlib.sha256(b"x").digest(),), log.signed())
    with pytest.raises(LedgerError) as err:
        check_add_checkpoint(req, log.keys)
    assert err.value.code == "witness_inconsistent_proof"


def test_status_codes_agree_with_error_kinds() -> None:
    by_kind = {"invalid": 400, "not_found": 404, "conflict": 409, "refused": 422, "forbidden": 403}
    for code, status in wp.STATUS_BY_CODE.items():
        assert by_kind[CATALOGUE[code].kind] == status, code
    assert wp.SIZE_CONTENT_TYPE == "text/x.tlog.size"
    assert (wp.STATUS_OK, wp.STATUS_CONFLICT, wp.STATUS_UNPROCESSABLE) == (200, 409, 422)


# --- responses ------------------------------------------------------------------------------


def test_size_response() -> None:
    assert size_response_body(0) == b"0\n"
    assert parse_size_response(b"20852014\n") == 20852014
    assert parse_size_response("0\n") == 0
    for bad in (b"05\n", b"5", b"5\n\n", b"-1\n", b" 5\n", b"\n", b"5\r\n"):
        with pytest.raises(LedgerError):
            parse_size_response(bad)
    with pytest.raises(ValueError):
        size_response_body(-1)


def test_spec_example_response_parses() -> None:
    sigs = parse_cosignature_response(SPEC_RESPONSE.encode())
    assert [s.name for s in sigs] == ["witness.example/w1", "witness.example/w1", "witness.example/w2"]
    assert cosignature_response_body(sigs) == SPEC_RESPONSE.encode()


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\n",
        SPEC_RESPONSE.encode()[:-1],
        SPEC_RESPONSE.encode() + b"\n",
        SPEC_RESPONSE.replace(DASH, "-").encode(),
        b"\xff\n",
    ],
)
def test_malformed_responses_are_refused(body: bytes) -> None:
    with pytest.raises(LedgerError):
        parse_cosignature_response(body)


def test_full_exchange_reaches_a_quorum() -> None:
    """Log asks three witnesses; two answer; the client checks 2 of 3."""
    log = Log(10)
    witnesses = [(f"w{i}.example", KeyPair.from_seed(f"w{i}".encode())) for i in range(3)]
    body = log.request(0)
    responses = []
    for name, pair in witnesses[:2]:
        req = parse_add_checkpoint_request(body)
        checkpoint = check_add_checkpoint(req, log.keys)
        responses.append(cosignature_response_body([cosign(checkpoint, pair, name, T)]))
    note = log.signed()
    for r in responses:
        note = add_signatures(note, parse_cosignature_response(r))
    keys = [witness_verifier(name, pair.public) for name, pair in witnesses]
    assert [c.name for c in require_quorum(note, keys, 2)] == ["w0.example", "w1.example"]
    with pytest.raises(VerificationError):
        require_quorum(note, keys, 3)
