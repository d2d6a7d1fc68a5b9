"""Donor personal data: encrypted apart from the log, found by receipt code, erasable."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from ledger.domain.privacy import donor_commitment, donor_fields, format_receipt_code, new_salt
from ledger.errors import LedgerError
from ledger.store.donors import TABLE, DonorStore, load_privacy_key
from ledger.store.export import export_log
from ledger.verify import read_export, verify_log
from tests.domain import helpers
from tests.support.store_world import StoreWorld

PERSONAL = {"name": "王小明", "id_number": "440301199001011234", "phone": "13800138000", "address": "深圳市南山区科技园"}


@pytest.fixture
def world(tmp_path: Path) -> StoreWorld:
    return StoreWorld(tmp_path / "home")


def _donate(world: StoreWorld, personal: dict, salt: bytes, *, with_receipt: bool = False) -> int:
    fields = donor_fields(personal, salt) if with_receipt else {"commitment": donor_commitment(personal, salt)}
    data = helpers.donation_data(world.PUB, "250.00", **fields)
    world.append(world.fundraiser, "donation.received", data)
    return world.seq - 1


def test_personal_data_is_encrypted_found_by_receipt_and_erased(world: StoreWorld, tmp_path: Path) -> None:
    store = DonorStore(world.ledger.engine, load_privacy_key(world.ledger.settings))
    salt = new_salt()
    seq = _donate(world, PERSONAL, salt)
    store.store(seq, PERSONAL, salt)
    # encrypted at rest: nothing personal in the token, the log, or an export
    with world.ledger.engine.connect() as conn:
        token = conn.execute(select(TABLE.c.token).where(TABLE.c.seq == seq)).scalar_one()
    export_log(world.ledger.log, tmp_path / "export")
    exported = (tmp_path / "export" / "entries.jsonl").read_text(encoding="utf-8")
    for value in PERSONAL.values():
        assert value not in token and value not in exported
    assert store.get(seq).personal == PERSONAL
    code = format_receipt_code(seq, salt)
    receipt, donation = store.find_by_receipt(code.lower())
    assert receipt.seq == seq and donation["amount_minor"] == 25000
    # another salt with the same seq is not this donor's receipt
    with pytest.raises(LedgerError) as err:
        store.find_by_receipt(format_receipt_code(seq, new_salt()))
    assert err.value.code == "receipt_not_found"
    # erasing removes data and salt; the log still verifies
    store.erase(seq)
    record = store.get(seq)
    assert record.personal is None and record.salt is None and record.erased_at
    with pytest.raises(LedgerError) as err:
        store.erase(seq)
    assert err.value.code == "donor_data_erased"
    export_log(world.ledger.log, tmp_path / "export2")
    assert verify_log(*read_export(tmp_path / "export2")).size == world.seq
    # the donor can still prove the gift with their own data against the log's commitment
    assert donation["commitment"] == donor_commitment(PERSONAL, salt)


def test_data_that_does_not_open_the_commitment_is_refused(world: StoreWorld) -> None:
    store = DonorStore(world.ledger.engine, load_privacy_key(world.ledger.settings))
    salt = new_salt()
    seq = _donate(world, PERSONAL, salt)
    for personal, s in ((dict(PERSONAL, name="张三"), salt), (PERSONAL, new_salt())):
        with pytest.raises(LedgerError) as err:
            store.store(seq, personal, s)
        assert err.value.code == "donor_data_mismatch"
    with pytest.raises(LedgerError) as err:
        store.store(seq, dict(PERSONAL, email="x@example.com"), salt)
    assert err.value.code == "personal_data_invalid"
    with world.ledger.engine.connect() as conn:
        assert conn.execute(select(TABLE)).first() is None
    store.store(seq, PERSONAL, salt)
    with pytest.raises(LedgerError) as err:
        store.store(seq, PERSONAL, salt)
    assert err.value.code == "donor_data_exists"


def test_anonymous_donation_has_a_receipt_too(world: StoreWorld) -> None:
    store = DonorStore(world.ledger.engine, load_privacy_key(world.ledger.settings))
    salt = new_salt()
    seq = _donate(world, {}, salt)
    store.store(seq, {}, salt)
    receipt, donation = store.find_by_receipt(format_receipt_code(seq, salt))
    assert donation["seq"] == seq and store.get(seq).personal == {}


def test_privacy_key_file_is_private_and_stable(world: StoreWorld) -> None:
    settings = world.ledger.settings
    first = load_privacy_key(settings)
    token = first.encrypt(b"x")
    assert load_privacy_key(settings).decrypt(token) == b"x"
    assert settings.privacy_key_path.stat().st_mode & 0o777 == 0o600


def _forged(seq: int) -> str:
    """A well-formed code for ``seq`` (correct check character) without the donation's secret."""
    return format_receipt_code(seq, new_salt())


def test_a_made_up_code_never_finds_a_donation_without_a_record_or_after_erasure(world: StoreWorld) -> None:
    """The reviewer's finding: before, a code made from the public seq found the donation when no
    donor record held a salt to compare (never stored, or erased)."""
    store = DonorStore(world.ledger.engine, load_privacy_key(world.ledger.settings))
    salts = [new_salt() for _ in range(3)]
    committed = _donate(world, PERSONAL, salts[0], with_receipt=True)      # the log commits to the salt
    legacy = _donate(world, PERSONAL, salts[1])                            # recorded before the field existed
    legacy_kept = _donate(world, PERSONAL, salts[2])
    store.store(committed, PERSONAL, salts[0])
    store.store(legacy, PERSONAL, salts[1])
    store.store(legacy_kept, PERSONAL, salts[2])
    for seq in (committed, legacy):
        store.erase(seq)
    for seq in (committed, legacy, legacy_kept):
        with pytest.raises(LedgerError) as err:
            store.find_by_receipt(_forged(seq))
        assert err.value.code == "receipt_not_found"
    # the donor's own codes: checked against the log (after erasure too) or against the kept salt
    assert store.find_by_receipt(format_receipt_code(committed, salts[0]))[1]["seq"] == committed
    assert store.find_by_receipt(format_receipt_code(legacy_kept, salts[2]))[1]["seq"] == legacy_kept
    # a legacy donation whose salt is erased: nothing proves the code any more
    with pytest.raises(LedgerError) as err:
        store.find_by_receipt(format_receipt_code(legacy, salts[1]))
    assert err.value.code == "receipt_not_found"
