"""The Alembic migrations build exactly the schema the code describes, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from ledger.store import migrate
from ledger.store.db import make_engine
from ledger.store.projection_tables import register_all
from tests.support.ledger_factory import LedgerFactory


def test_migrations_match_the_models(any_factory: LedgerFactory) -> None:
    engine = any_factory.ledger.engine
    register_all()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []
    assert migrate.is_current(engine)


def test_upgrade_is_idempotent(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()


def _backfill_again(engine, number: str, table) -> None:  # type: ignore[no-untyped-def]
    """Empty ``table`` and run the ``_backfill`` of migration ``number`` on it."""
    import importlib.util

    from alembic.operations import Operations
    from sqlalchemy import delete

    path = next(migrate.MIGRATIONS.glob(f"versions/{number}_*.py"))
    spec = importlib.util.spec_from_file_location(f"m{number}", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    with engine.begin() as conn:
        conn.execute(delete(table))
        with Operations.context(MigrationContext.configure(conn)):
            module._backfill()


def test_organisation_years_backfill_matches_the_rules(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Migration 0004 fills p_org_year from the projections of an existing log exactly as the
    append rules would have."""
    from sqlalchemy import select

    from ledger.store.tables import ORG_YEAR
    from tests.domain import helpers
    from tests.support.store_world import StoreWorld

    world = StoreWorld(tmp_path / "home")
    world.append(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "1000.00"))
    world.append(world.fundraiser, "funds.allocated", helpers.allocation_data(world.PUB, "600.00"))
    world.append(world.implementer, "funds.disbursed", helpers.disbursement_data(world.PUB, "300.00"))
    world.append(world.implementer, "funds.disbursed", helpers.disbursement_data(world.PUB, "45.00", category="admin"))
    engine = world.ledger.engine
    with engine.connect() as conn:
        kept = sorted(map(tuple, conn.execute(select(ORG_YEAR))))
    assert kept and len(kept) == 2
    _backfill_again(engine, "0004", ORG_YEAR)
    with engine.connect() as conn:
        assert sorted(map(tuple, conn.execute(select(ORG_YEAR)))) == kept


def test_project_donor_types_backfill_matches_the_rules(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Migration 0007 fills p_project_donor_type from an existing log's donations."""
    from sqlalchemy import select

    from ledger.store.tables import PROJECT_DONOR_TYPE
    from tests.domain import helpers
    from tests.support.store_world import StoreWorld

    world = StoreWorld(tmp_path / "home")
    world.append(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "100.00"))
    world.append(
        world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "30.00", donor_type="enterprise")
    )
    engine = world.ledger.engine
    with engine.connect() as conn:
        kept = sorted(map(tuple, conn.execute(select(PROJECT_DONOR_TYPE))))
    assert len(kept) == 2
    _backfill_again(engine, "0007", PROJECT_DONOR_TYPE)
    with engine.connect() as conn:
        assert sorted(map(tuple, conn.execute(select(PROJECT_DONOR_TYPE)))) == kept


def test_monthly_money_backfill_matches_the_rules(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Migration 0015 fills p_month from an existing log's live donations and payments exactly
    as the append rules would have (a reversed donation netted out)."""
    from sqlalchemy import select

    from ledger.store.tables import MONTH
    from tests.domain import helpers
    from tests.support.store_world import StoreWorld

    world = StoreWorld(tmp_path / "home")
    world.append(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "1000.00"))
    typo = world.append(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "70.00"))
    world.append(world.fundraiser, "funds.allocated", helpers.allocation_data(world.PUB, "600.00"))
    world.append(world.implementer, "funds.disbursed", helpers.disbursement_data(world.PUB, "300.00"))
    world.append(
        world.fundraiser,
        "entry.corrected",
        {"target": typo, "reason": "重复录入", "project": world.PUB, "currency": "CNY", "amount": "70.00"},
    )
    engine = world.ledger.engine
    with engine.connect() as conn:
        kept = sorted(map(tuple, conn.execute(select(MONTH))))
    by_kind = {(k, s): (i, o) for k, s, _m, _c, i, o in kept}
    assert by_kind[("project", world.PUB)] == (100_000, 30_000)
    assert by_kind[("org", helpers.SERVICE_ORG)] == (0, 30_000) and len(kept) == 3
    _backfill_again(engine, "0015", MONTH)
    with engine.connect() as conn:
        assert sorted(map(tuple, conn.execute(select(MONTH)))) == kept


def test_effective_dates_backfill_matches_the_rules(any_factory: LedgerFactory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Migration 0016 fills p_org_change and p_registry.business_from from an existing log's
    projections as the append rules would have (organisations never changed since registration)."""
    import importlib.util

    from alembic.operations import Operations
    from sqlalchemy import delete, select, update

    from ledger.store.tables import ORG_CHANGE, REGISTRY
    from tests.domain import helpers
    from tests.support.store_world import StoreWorld

    world = StoreWorld(tmp_path / "home", any_factory.database_url)
    world.append(
        world.fundraiser, "donation.received", helpers.donation_data(world.DIR, "10.00", received_on="2026-03-01")
    )
    engine = world.ledger.engine
    with engine.connect() as conn:
        kept = sorted(map(tuple, conn.execute(select(ORG_CHANGE))))
        registry_rows = list(conn.execute(select(REGISTRY)))
        registry = sorted(map(tuple, registry_rows))
    assert len(kept) == 6 and {r.business_from for r in registry_rows} == {"2026-03-01"}
    path = next(migrate.MIGRATIONS.glob("versions/0016_*.py"))
    spec = importlib.util.spec_from_file_location("m0016", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    with engine.begin() as conn:
        conn.execute(delete(ORG_CHANGE))
        conn.execute(update(REGISTRY).values(business_from=None))
        with Operations.context(MigrationContext.configure(conn)):
            module._backfill()
    with engine.connect() as conn:
        assert sorted(map(tuple, conn.execute(select(ORG_CHANGE)))) == kept
        assert sorted(map(tuple, conn.execute(select(REGISTRY)))) == registry
    engine.dispose()


def test_key_effective_dates_backfill_matches_the_rules(any_factory: LedgerFactory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Migration 0018 gives existing keys the China days of their grant and revocation entries,
    as the rules do for a key.granted or key.revoked without an effective date."""
    import importlib.util

    from alembic.operations import Operations
    from sqlalchemy import select, update

    from ledger.domain.rows import KeyRow
    from ledger.store.projection_tables import table_for
    from tests.support.store_world import StoreWorld

    keys = table_for(KeyRow)
    world = StoreWorld(tmp_path / "home", any_factory.database_url)
    world.append(world.foundation_admin, "key.revoked", {"key_id": world.fundraiser.id, "reason": "离职"})
    engine = world.ledger.engine
    with engine.connect() as conn:
        kept = sorted(map(tuple, conn.execute(select(keys.c.key_id, keys.c.effective_on, keys.c.revoked_effective_on))))
    assert all(on is not None for _, on, _ in kept) and sum(r is not None for _, _, r in kept) == 1
    path = next(migrate.MIGRATIONS.glob("versions/0018_*.py"))
    spec = importlib.util.spec_from_file_location("m0018", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    with engine.begin() as conn:
        conn.execute(update(keys).values(effective_on=None, revoked_effective_on=None))
        with Operations.context(MigrationContext.configure(conn)):
            module._backfill()
    with engine.connect() as conn:
        again = sorted(
            map(tuple, conn.execute(select(keys.c.key_id, keys.c.effective_on, keys.c.revoked_effective_on)))
        )
    assert again == kept
    engine.dispose()
