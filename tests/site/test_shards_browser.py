"""verify.js in headless Chromium across a roll-over (tests.site.shard_world, SQLite): the check
passes for an entry of the sealed log (against its final checkpoint, cosigned by the witness)
and for one of the new log, for the seal and the continuing genesis (signed with the log key),
for receipt codes of both logs; it fails when the page hands it the chain position instead of
the entry's seq in its log; the chain on the checkpoints page; no failed or foreign requests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.domain import helpers as H
from tests.site.browsing import chromium, serving, shoot, watched_page
from tests.site.conftest import make_app
from tests.site.shard_world import NEXT_ORIGIN, WITNESS_NAME, ShardedWorld, build_sharded_world

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> ShardedWorld:
    return build_sharded_world(Path(tmp_path_factory.mktemp("shards-browser")) / "home")


@pytest.fixture(scope="module")
def server(sharded: ShardedWorld) -> Iterator[str]:
    with serving(make_app(sharded)) as url:  # type: ignore[arg-type]
        yield url


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    with chromium(server) as b:
        yield b


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    with watched_page(browser, server) as pg:
        yield pg


def checked(page: Any) -> tuple[str, list[str], list[str]]:
    """The check's result: its state, and the texts of the passed and failed items."""
    page.wait_for_selector("#check-result[data-state]", timeout=15_000)
    state = page.locator("#check-result").get_attribute("data-state")
    return (
        state,
        page.locator("#check-list li.ok").all_inner_texts(),
        page.locator("#check-list li.bad").all_inner_texts(),
    )


def test_entry_of_the_sealed_log_checks_in_the_browser(page, server, sharded):
    position = sharded.position("pay")
    page.goto(f"{server}/ledger/{position}")
    state, ok, bad = checked(page)
    assert state == "pass", bad
    # leaf hash, key id, signature, inclusion, checkpoint, log signature, the witness on the
    # sealed log's final checkpoint, and the page's entry id and amount against the signed leaf
    assert len(ok) == 8 and not bad
    assert any(WITNESS_NAME in item for item in ok)
    assert page.locator("#entry-log").get_attribute("data-origin") == H.ORIGIN
    assert page.locator("#sealed-proof").is_visible()
    page.watch.check()
    shoot(page, "shards-entry-sealed")


def test_entry_of_the_new_log_checks_in_the_browser(page, server, sharded):
    position = sharded.position("new2")
    page.goto(f"{server}/ledger/{position}")
    state, ok, bad = checked(page)
    assert state == "pass", bad
    assert len(ok) == 7 and not bad  # the latest checkpoint of the new log is not cosigned yet
    assert page.locator("#witness-result").get_attribute("data-state") == "not-witnessed"
    assert page.locator("#entry-log").get_attribute("data-origin") == NEXT_ORIGIN
    assert page.locator("#entry-log").get_attribute("data-log-seq") == str(position - sharded.sealed_size)
    page.watch.check()
    shoot(page, "shards-entry-new")


@pytest.mark.parametrize("name", ["sealed", "genesis1"])
def test_the_seal_and_the_genesis_check_with_the_log_key(page, server, sharded, name):
    page.goto(f"{server}/ledger/{sharded.position(name)}")
    state, ok, bad = checked(page)
    assert state == "pass", bad
    assert len(ok) >= 6 and not bad  # the signature is checked too: the page gives the log key
    page.watch.check()
    if name == "sealed":
        shoot(page, "shards-entry-seal")


@pytest.mark.parametrize("which", ["old", "new"])
def test_verify_passes_for_receipt_codes_of_both_logs(page, server, sharded, which):
    page.goto(f"{server}/verify")
    page.get_by_label("收据码").fill(sharded.receipts[which])
    page.get_by_role("button", name="查询").click()
    state, ok, bad = checked(page)
    assert state == "pass", bad
    assert not bad and len(ok) == (8 if which == "old" else 7)
    assert (H.ORIGIN if which == "old" else NEXT_ORIGIN) in page.locator("#cp-log").inner_text()
    page.watch.check()
    shoot(page, f"shards-verify-{which}")


def test_the_check_fails_with_the_chain_position_as_index(page, server, sharded):
    """verify.js proves with the entry's seq in its own log; handed the chain position
    instead, the leaf check and the inclusion proof fail."""
    position = sharded.position("new2")
    seq = position - sharded.sealed_size

    def tamper(route: Any) -> None:
        response = route.fetch()
        body = response.text()
        assert f'"index": {seq},' in body
        route.fulfill(response=response, body=body.replace(f'"index": {seq},', f'"index": {position},'))

    page.route(f"{server}/ledger/{position}", tamper)
    page.goto(f"{server}/ledger/{position}")
    state, _ok, bad = checked(page)
    assert state == "fail"
    assert len(bad) == 2 and any("包含证明" in b for b in bad)
    page.watch.check()


def test_checkpoints_page_shows_the_chain_and_picks_a_log(page, server, sharded):
    page.goto(f"{server}/checkpoints")
    rows = page.locator("#chain tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).get_attribute("data-sealed") == "true" and rows.nth(1).get_attribute("data-sealed") == "false"
    assert page.locator("#origin").inner_text() == NEXT_ORIGIN
    shoot(page, "shards-checkpoints")
    rows.nth(0).get_by_role("link", name=H.ORIGIN).click()
    page.wait_for_load_state()
    assert re.search(r"/checkpoints\?log=0$", page.url)
    assert page.locator("#origin").inner_text() == H.ORIGIN
    assert page.locator("#final-checkpoint").inner_text().startswith(H.ORIGIN + "\n" + str(sharded.sealed_size) + "\n")
    shoot(page, "shards-checkpoints-sealed")
    # from the sealed log's row to the next log's genesis
    page.locator("#chain a.next-genesis").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/ledger/{sharded.sealed_size}")
    assert "新账本开启" in page.locator("h1").inner_text()
    page.watch.check()
