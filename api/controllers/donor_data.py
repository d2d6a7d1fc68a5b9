"""Donor personal data handed in by the charity that recorded the donation (never public).

The data goes to the encrypted donor store, not the log; the request is signed by a live
fundraiser or administrator key of the recording organisation (see
:func:`ledger.domain.privacy.donor_data_message`), and the data must open the commitment the
donation entry holds. The answer carries the donor's receipt code.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import anyio
from litestar import Controller, Request, Response, post
from litestar.params import JSONBody
from msgspec import Meta

from api.openapi import WRITE_PROBLEMS, problems
from api.params import LeafHash, LedgerDep
from api.schemas import HASH_EXAMPLE, _Schema
from api.security import body_limit, rate_limit, require_media_type
from ledger.domain.privacy import format_receipt_code
from ledger.errors import LedgerError
from ledger.protocol.canonical import parse_json
from ledger.protocol.grammar import schema_pattern
from ledger.protocol.keys import unb64
from ledger.store.donors import DonorStore, load_privacy_key


class DonorData(_Schema):
    """Personal data of a donation's donor, with the salt of its commitment, signed by the charity."""

    personal: dict[str, str]
    salt: Annotated[str, Meta(pattern=schema_pattern("salt"), min_length=24, max_length=24)]
    signer: Annotated[str, Meta(pattern=schema_pattern("hex64"), min_length=64, max_length=64)]
    sig: Annotated[str, Meta(pattern=schema_pattern("b64_sig"), min_length=88, max_length=88)]

    __example__: ClassVar[Any] = {
        "personal": {"name": "王小明", "phone": "13800138000"},
        "salt": "AAECAwQFBgcICQoLDA0ODw==",
        "signer": HASH_EXAMPLE,
        "sig": "3q2+7w" + "A" * 80 + "==",
    }


class DonorDataStored(_Schema):
    """The donation's seq and the donor's receipt code (give it to the donor)."""

    seq: int
    receipt_code: str

    __example__: ClassVar[Any] = {"seq": 41, "receipt_code": "D41-AAAQEAYEAUDAOCAJBIFQYDIOB4-K"}


class DonorDataController(Controller):
    path = "/api/v1/donations"
    tags = ("donations",)

    @post(
        "/{donation_id:str}/donor-data",
        operation_id="storeDonorData",
        guards=[rate_limit, require_media_type("application/json"), body_limit("max_entry_bytes")],
        responses=problems(*WRITE_PROBLEMS, 403, 404),
        status_code=201,
    )
    async def store(
        self, request: Request, donation_id: LeafHash, data: JSONBody[DonorData], ledger: LedgerDep
    ) -> Response[DonorDataStored]:
        """Keep a donor's personal data (encrypted, erasable, never in the log or any public view).

        ``sig`` is Ed25519 by ``signer`` over ``charity-ledger/donor-data/v1\\n`` + JCS of
        ``{"donation", "personal", "salt"}``. 403 ``donor_data_signer_not_allowed`` for a key
        outside the recording organisation; 422 ``donor_data_mismatch`` when the data and salt do
        not open the donation's commitment; 409 ``donor_data_exists`` when already kept.
        """
        body = parse_json(await request.body())  # strict: duplicate keys refused
        if not isinstance(body, dict):
            raise LedgerError("body_invalid", detail="the body is a JSON object")
        salt = unb64(body.get("salt"), length=16, what="salt")
        signature = unb64(body.get("sig"), length=64, what="sig")
        store = DonorStore(ledger.engine, load_privacy_key(ledger.settings, create=False))  # never a throwaway key here
        seq = await anyio.to_thread.run_sync(
            store.store_signed, donation_id, body.get("personal"), salt, body.get("signer"), signature
        )
        return Response(DonorDataStored(seq=seq, receipt_code=format_receipt_code(seq, salt)), status_code=201)
