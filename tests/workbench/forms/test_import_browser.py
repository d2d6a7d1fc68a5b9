"""In Chromium: the import wizard reads a WeChat Pay export, then a CMB statement in GB18030,
shows every row's fate, signs the prepared entries with the browser's key (the forms' own
signing code over ``WorkbenchKeys.sign``; a WebCrypto double holding the test fundraiser's key)
and shows the receipt codes; the settlement line is matched, not recorded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.world import PROJECT, World, build_world
from tests.site.browsing import shoot
from tests.support.ledger_factory import LedgerFactory
from tests.workbench.forms.test_forms_browser import fundraiser_page
from tests.workbench.forms.test_import_wizard import NAMES, cmb_statement, leaves, wechat_export


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(LedgerFactory(tmp_path_factory.mktemp("wiz") / "home"))


@pytest.fixture(scope="module")
def page(world: World) -> Iterator[Any]:
    with fundraiser_page(world) as pg:
        yield pg


def run_import(pg: Any, name: str, raw: bytes, preset: str) -> list[str]:
    pg.goto(f"{pg.server}/workbench/import")
    pg.wait_for_function("document.documentElement.dataset.workbenchReady === 'true'")
    pg.set_input_files("#imp-file", files=[{"name": name, "mimeType": "text/csv", "buffer": raw}])
    pg.select_option("#imp-preset", preset)
    pg.fill("#imp-project", PROJECT)
    pg.click("#imp-preview")
    pg.locator("#imp-review").wait_for(state="visible")
    actions: list[str] = pg.locator("#imp-rows tr").evaluate_all("rows => rows.map(r => r.dataset.action)")
    pg.click("#imp-sign")
    pg.locator("#imp-answer").wait_for(state="visible")
    return actions


@pytest.mark.browser
def test_import_in_the_browser(page: Any, world: World) -> None:
    pg = page
    size = world.factory.ledger.log.head().size
    assert run_import(pg, "微信支付账单.csv", wechat_export(), "wechat") == ["donation.received"] * 2
    actions = run_import(pg, "招商银行交易明细.csv", cmb_statement(), "cmb")
    assert sorted(actions) == sorted(
        ["donation.received", "donation.received", "interest.received", "fee.charged", "skip", "matched", "skip"]
    )
    shoot(pg, "workbench-import-done")
    codes = pg.locator("#imp-done tr td:nth-child(4)").all_inner_texts()
    assert len(codes) == 4 and sum(code.startswith("D") for code in codes) == 2
    assert pg.get_attribute("#imp-csv", "href").endswith("/receipts.csv")
    assert world.factory.ledger.log.head().size == size + 6
    public = b"".join(leaves(world))
    assert all(name.encode() not in public for name in NAMES)
