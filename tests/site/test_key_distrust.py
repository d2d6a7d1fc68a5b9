"""A key revoked with an effective date earlier than its revocation: the entries it signed from
that day on say so on their pages; those signed before do not."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from litestar.testing import TestClient

from api.config import ApiSettings
from ledger.cli.app import create_app
from ledger.domain.rows import KeyRow
from ledger.domain.rules import CHINA
from public_site.views import _signed_after_distrust
from tests.domain import helpers
from tests.support.store_world import StoreWorld


def test_entries_signed_after_the_key_was_lost_are_marked(tmp_path: Path) -> None:
    world = StoreWorld(tmp_path / "home")
    before = world.append(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "10.00"))
    world.now += timedelta(days=3)
    lost_on = (world.now - timedelta(days=1)).astimezone(CHINA).date().isoformat()
    world.now += timedelta(days=1)
    after = world.append(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "20.00"))
    world.append(
        world.foundation_admin,
        "key.revoked",
        {"key_id": world.fundraiser.id, "reason": "手机丢失", "effective_on": lost_on},
    )
    log = world.ledger.log
    with TestClient(create_app(world.ledger, api_settings=ApiSettings())) as client:
        early = client.get(f"/ledger/{log.seq_of(before)}")
        late = client.get(f"/ledger/{log.seq_of(after)}")
    assert early.status_code == late.status_code == 200
    assert 'id="signed-after-distrust"' not in early.text
    assert 'id="signed-after-distrust"' in late.text and "该密钥不可信" in late.text
    assert "起不可信" in early.text  # the revocation's day is shown beside the key on every page it signed


def test_the_distrust_day_begins_at_midnight_in_china() -> None:
    """The effective date is a day in China: 2026-03-05 begins at 2026-03-04T16:00:00.000Z."""

    def key_row(revoked_effective_on: str | None) -> KeyRow:
        return KeyRow(
            "k" * 64, "p" * 44, "fundraiser", "O" * 18, "a holder", 3, revoked_effective_on=revoked_effective_on
        )

    key = key_row("2026-03-05")
    assert not _signed_after_distrust(key, "2026-03-04T15:59:59.999Z")
    assert _signed_after_distrust(key, "2026-03-04T16:00:00.000Z")
    assert _signed_after_distrust(key, "2026-03-05T23:59:59.999Z")
    assert not _signed_after_distrust(key_row(None), "2026-03-05T00:00:00.000Z")
    assert not _signed_after_distrust(None, "2026-03-05T00:00:00.000Z")
