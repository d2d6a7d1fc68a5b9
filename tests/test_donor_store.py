"""Donor personal data: encrypted apart from the log, found by receipt code, erasable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from ledger.domain.privacy import donor_commitment, donor_fields, format_receipt_code, new_salt
from ledger.errors import LedgerError
from ledger.protocol.verify import read_export, verify_log
from ledger.store.donors import TABLE, DonorStore, load_privacy_key
from ledger.store.export import export_log
from tests.domain import helpers
from tests.support.store_world import StoreWorld

PERSONAL = {
    "name": "王小明",
    "id_number": "440301199001011234",
    "phone": "13800138000",
    "address": "深圳市南山区科技园",
}


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
    _receipt, donation = store.find_by_receipt(format_receipt_code(seq, salt))
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
    committed = _donate(world, PERSONAL, salts[0], with_receipt=True)  # the log commits to the salt
    legacy = _donate(world, PERSONAL, salts[1])  # recorded before the field existed
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


# --- erasure that erases (issue 12) -----------------------------------------------------------


def _raw_database(home: Path) -> bytes:
    """The bytes of the SQLite file and its journal, as someone with a copy of the folder has them."""
    db = home / "ledger.sqlite3"
    return b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())


def _pieces(token: str, size: int = 40) -> list[bytes]:
    """Pieces of the token: freed space keeps most of a row even when its first bytes are reused."""
    return [token[i : i + size].encode() for i in range(0, len(token) - size, size // 2)]


def _raw_folder(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file())


def test_erase_leaves_no_copy_in_the_database_file_or_its_journal(world: StoreWorld) -> None:
    from ledger.store.donors import erase_donor

    settings = world.ledger.settings
    store = DonorStore(world.ledger.engine, load_privacy_key(settings))
    salt, other_salt = new_salt(), new_salt()
    seq = _donate(world, PERSONAL, salt)
    other = _donate(world, dict(PERSONAL, name="李雷"), other_salt)
    store.store(seq, PERSONAL, salt)
    store.store(other, dict(PERSONAL, name="李雷"), other_salt)
    with world.ledger.engine.connect() as conn:
        token = conn.execute(select(TABLE.c.token).where(TABLE.c.seq == seq)).scalar_one()
    # the token opens to the donor's data with the key beside it: it is what must not survive
    world.ledger.engine.raw_connection().driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
    assert token.encode() in _raw_database(settings.home)
    erasure = erase_donor(store, settings, seq)
    raw = _raw_database(settings.home)
    assert [piece for piece in _pieces(token) if piece in raw] == []
    wal = settings.home / "ledger.sqlite3-wal"
    assert erasure.database["wal_truncated"] is True and (not wal.exists() or wal.stat().st_size == 0)
    assert store.get(seq).personal is None and store.get(other).personal["name"] == "李雷"  # the others are kept


def test_donor_erase_removes_the_personal_receipts_written_for_the_donor(
    world: StoreWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    from ledger import cli
    from reports.common import ReportRequest
    from reports.issue import issue

    settings = world.ledger.settings
    store = DonorStore(world.ledger.engine, load_privacy_key(settings))
    salt = new_salt()
    seq = _donate(world, PERSONAL, salt)
    store.store(seq, PERSONAL, salt)
    name = PERSONAL["name"].encode("utf-8")
    public = issue(world.ledger, ReportRequest("receipt", donation=str(seq)), record=False)
    personal = issue(
        world.ledger,
        ReportRequest("receipt", donation=str(seq), personal=True),
        out=settings.home / "printed",
        record=False,
    )
    assert public.folders and personal.folders == [str(settings.home / "printed")]
    assert name in _raw_folder(settings.home)  # the receipt's JSON and CSV name the donor
    assert name not in _raw_folder(Path(public.folders[0]))  # the public receipt does not
    world.ledger.engine.dispose()
    assert cli.main(["--home", str(settings.home), "donor", "erase", "--seq", str(seq)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["seq"] == seq and out["database"]["wal_truncated"] is True
    written = [f["name"] for f in personal.to_json()["files"]] + ["SHA256SUMS"]
    assert sorted(Path(p).name for p in out["files_removed"]) == sorted(written)
    assert name not in _raw_folder(settings.home)
    assert not any((settings.home / "printed").iterdir())  # the folder given to --out is left, empty
    assert all(Path(public.folders[0], f.name).exists() for f in public.files)  # the public receipt stays
    # again: refused as erased, nothing left to remove
    assert cli.main(["--home", str(settings.home), "donor", "erase", "--seq", str(seq)]) == 1
    assert "donor_data_erased" in capsys.readouterr().err


def test_data_folder_files_are_private(world: StoreWorld) -> None:
    from reports.common import ReportRequest
    from reports.issue import issue

    settings = world.ledger.settings
    store = DonorStore(world.ledger.engine, load_privacy_key(settings))
    salt = new_salt()
    seq = _donate(world, PERSONAL, salt)
    store.store(seq, PERSONAL, salt)
    issue(
        world.ledger,
        ReportRequest("receipt", donation=str(seq), personal=True),
        out=settings.home / "printed" / "a",
        record=False,
    )
    issue(world.ledger, ReportRequest("receipt", donation=str(seq)), record=False)
    modes = {p.relative_to(settings.home).as_posix(): p.stat().st_mode & 0o777 for p in settings.home.rglob("*")}
    modes["."] = settings.home.stat().st_mode & 0o777
    assert "ledger.sqlite3" in modes and "ledger.sqlite3-wal" in modes and "printed/a" in modes and "personal" in modes
    assert any(k.startswith("reports/receipt/") for k in modes)
    loose = {k: oct(m) for k, m in modes.items() if m != (0o700 if (settings.home / k).is_dir() else 0o600)}
    assert loose == {}


def test_erase_on_postgresql_rewrites_the_donor_table(pg_schema_url: str, tmp_path: Path) -> None:
    """PostgreSQL keeps an updated row's old version in the table file until it is vacuumed:
    the erase rewrites the table (VACUUM FULL), and the old pages hold the token no more."""
    from sqlalchemy import text

    from ledger.store.donors import erase_donor

    world = StoreWorld(tmp_path / "home", pg_schema_url)
    engine = world.ledger.engine
    store = DonorStore(engine, load_privacy_key(world.ledger.settings))
    salt = new_salt()
    seq = _donate(world, PERSONAL, salt)
    store.store(seq, PERSONAL, salt)
    with engine.connect() as conn:
        token = conn.execute(select(TABLE.c.token).where(TABLE.c.seq == seq)).scalar_one()

    def table_bytes() -> bytes | None:
        """The donor table's pages as stored (pageinspect, when the server has it)."""
        with engine.connect() as conn:
            try:
                with conn.begin_nested():
                    conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
            except DBAPIError:  # the server has no pageinspect (or may not add it): check the rewrite only
                return None
            size = "SELECT pg_relation_size('donor_private') / current_setting('block_size')::int"
            page = text("SELECT get_raw_page('donor_private', 'main', :n)")
            pages = conn.execute(text(size)).scalar_one()
            raw = b"".join(bytes(conn.execute(page, {"n": n}).scalar_one()) for n in range(pages))
            conn.commit()
            return raw

    def filenode() -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT pg_relation_filenode('donor_private')")).scalar_one()

    before, node = table_bytes(), filenode()
    assert before is None or token.encode() in before
    store.erase(seq)  # the update alone leaves the old row version behind
    left = table_bytes()
    assert left is None or any(piece in left for piece in _pieces(token))
    erasure = erase_donor(store, world.ledger.settings, seq)
    assert erasure.already_erased and erasure.database == {"database": "postgresql", "vacuum_full": "donor_private"}
    assert filenode() != node  # a new table file; the old one is gone
    after = table_bytes()
    assert after is None or [piece for piece in _pieces(token) if piece in after] == []
    engine.dispose()


def test_vacuum_clears_what_a_database_without_secure_delete_kept(world: StoreWorld) -> None:
    """A database erased before secure_delete (here: by a connection without it) keeps the old
    row in free space; ``donor erase --vacuum`` rebuilds the file without it."""
    import sqlite3

    from ledger.store.donors import erase_donor

    settings = world.ledger.settings
    store = DonorStore(world.ledger.engine, load_privacy_key(settings))
    salt = new_salt()
    seq = _donate(world, PERSONAL, salt)
    store.store(seq, PERSONAL, salt)
    with world.ledger.engine.connect() as conn:
        token = conn.execute(select(TABLE.c.token).where(TABLE.c.seq == seq)).scalar_one()
    world.ledger.engine.dispose()
    legacy = sqlite3.connect(settings.home / "ledger.sqlite3", isolation_level=None)
    legacy.execute("PRAGMA secure_delete=OFF")
    legacy.execute(
        "UPDATE donor_private SET token = NULL, erased_at = '2026-01-01T00:00:00.000Z' WHERE seq = ?", (seq,)
    )
    legacy.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    legacy.close()
    assert any(piece in _raw_database(settings.home) for piece in _pieces(token))  # what an old erase left
    erasure = erase_donor(store, settings, seq)
    assert erasure.already_erased and any(piece in _raw_database(settings.home) for piece in _pieces(token))
    erasure = erase_donor(store, settings, seq, vacuum=True)
    assert erasure.database["vacuumed"] is True
    assert [piece for piece in _pieces(token) if piece in _raw_database(settings.home)] == []
