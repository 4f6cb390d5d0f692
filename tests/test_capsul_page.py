"""A capsul's page as its owner sees it, in Chromium: the live timeline equals the stored one (one
entry per event, in one wording, a reboot included), an action shows as under way until its
answer, a crash says why; and over HTTP: a deleted capsul's addresses are shown as released and
its delete page is not offered again, the test driver's capsul says it has no host keys."""
from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import expect

from capsul.hub import db
from tests.conftest import ALICE, state_of, wait_for_state
from tests.test_browser import alices_new_capsul, browsers, chromium, live, log_in, state  # noqa: F401 - fixtures
from tests.test_console import create_capsul, logged_in

pytestmark = pytest.mark.slow


async def _timeline(page) -> list[str]:
    return [" ".join(t.split()) for t in await page.locator("#timeline li").all_inner_texts()]


async def _stored_entries(pool, vm_id: str) -> int:
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT count(*) AS n FROM vm_events WHERE vm_id = %s", (vm_id,))
        return (await cur.fetchone())["n"]


async def test_the_live_timeline_is_the_stored_one(console, mail, pool, browsers):  # noqa: F811
    page, vm_id = await alices_new_capsul(console, mail, browsers)
    await expect(state(page)).to_have_text("running")
    for button, after, words in (("Force off", "stopped", "forced off"), ("Start", "running", "started (booted)"),
                                 ("Shut down", "stopped", "shut down"), ("Start", "running", "started (booted)"),
                                 ("Reboot", "running", "rebooted")):
        entries = await _stored_entries(pool, vm_id)
        await page.get_by_role("button", name=button, exact=True).click()
        await expect(state(page)).to_have_text(after)
        await live(page)
        await expect(page.locator("#timeline li").first).to_contain_text(words)  # the host's own words
        assert await _stored_entries(pool, vm_id) == entries + 1  # one entry, not one per wording
    shown = await _timeline(page)
    await page.reload()
    assert await _timeline(page) == shown
    assert not any(re.search(r"— (shutdown|force-stop|start|reboot)$", entry) for entry in shown), shown


async def test_an_action_shows_as_under_way_until_it_is_answered(console, mail, pool, browsers):  # noqa: F811
    page, vm_id = await alices_new_capsul(console, mail, browsers)
    answered = asyncio.Event()

    async def hold(route):  # the request goes to the hub as ever, a moment later: a slow shutdown
        await answered.wait()
        await route.continue_()
    await page.route(f"**/capsuls/{vm_id}/actions", hold)
    # clicked, and looked at, from the page itself: Playwright waits for a navigation under way first
    busy = await page.evaluate("""() => {
        const button = document.querySelector('form[data-action=shutdown] button');
        button.click();
        return {text: button.textContent, disabled: button.disabled,
                others: [...document.querySelectorAll('form[data-action] button')].every(b => b.disabled)};
    }""")
    assert busy["text"].startswith("Shutting down…") and busy["disabled"] and busy["others"], busy
    answered.set()
    await expect(state(page)).to_have_text("stopped")
    await expect(page.get_by_role("button", name="Start")).to_be_enabled()


async def test_a_crashed_capsul_says_why(console, mail, pool, browsers):  # noqa: F811
    page, vm_id = await alices_new_capsul(console, mail, browsers)
    async with db.cursor(pool) as cur:  # as a spoke's event of a crash would leave it
        from capsul.hub.db import vms
        await vms.set_state(cur, vm_id, "crashed", from_states=("running",), reason="libvirt event 8/0")
    await expect(state(page)).to_have_text("crashed")
    await expect(page.locator('[data-field="problem"]')).to_have_text("crashed (kernel panic)")
    await page.reload()
    await expect(page.locator('[data-field="problem"]')).to_have_text("crashed (kernel panic)")


async def test_a_deleted_capsuls_addresses_are_shown_as_released(console, mail, people, pool):
    alice = await logged_in(people, mail, ALICE, key=True)
    vm_id = await create_capsul(alice, pool)
    await wait_for_state(pool, vm_id, "running")
    status, page = await alice.get(f"/capsuls/{vm_id}")
    assert "ssh cyberian@192.0.2." in page
    assert "Console" not in page and "runs on libvirt's test driver" in page  # none to offer, and it says so
    await alice.post(f"/capsuls/{vm_id}/delete", {})
    assert await state_of(pool, vm_id) == "deleted"
    status, page = await alice.get(f"/capsuls/{vm_id}")
    assert status == 200 and "ssh cyberian@" not in page
    assert re.search(r"192\.0\.2\.\d+, 2001:db8::\w+: released when it was deleted", page)
    async with alice.session.get(alice.url(f"/capsuls/{vm_id}/delete"), allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == f"/capsuls/{vm_id}"  # "Back": no second delete


async def test_a_page_whose_login_ended_elsewhere_says_so(console, mail, pool, browsers):  # noqa: F811
    """It said "reconnecting…" forever."""
    base = console.console_url
    phone = await browsers.new_page()
    await log_in(phone, base, mail, ALICE)
    await live(phone)  # the capsul list, live
    laptop = await browsers.new_page()
    await log_in(laptop, base, mail, ALICE)
    await laptop.goto(base + "/account")
    await laptop.get_by_role("button", name="Log out every other browser").click()
    status = phone.locator("#live-status")
    await expect(status).to_contain_text("You were logged out")
    await expect(status.get_by_role("link", name="Log in again")).to_have_attribute("href", "/login?next=%2Fcapsuls")
    await expect(phone.locator("body")).to_have_attribute("data-live-connected", "logged-out")


async def test_a_rebuild_and_a_resize_reach_the_open_page_live(console, mail, pool, browsers):  # noqa: F811
    """Made elsewhere (another browser, the API): the open page's timeline gets both entries of
    each, in order, and its state and buttons follow, without a reload."""
    from capsul.hub import capsul_changes
    page, vm_id = await alices_new_capsul(console, mail, browsers)
    await expect(state(page)).to_have_text("running")
    await page.evaluate("window.notReloaded = true")
    await capsul_changes.rebuild_capsul(console.hub, ALICE, vm_id, image="alpine320")
    await expect(page.locator("#timeline li").first).to_contain_text("rebuilt with alpine320")
    assert "rebuilding with alpine320: everything on its disk is erased" in (await _timeline(page))[1]
    await capsul_changes.resize_capsul(console.hub, ALICE, vm_id, "f1-s", restart="now")
    await expect(page.locator("#timeline li").first).to_contain_text("resized to f1-s")
    assert "resizing from f1-xs to f1-s (now)" in (await _timeline(page))[1]
    await expect(state(page)).to_have_text("running")
    await expect(page.locator('a[data-change="rebuild"]')).to_be_visible()
    assert await page.evaluate("window.notReloaded") is True
    shown = await _timeline(page)
    await page.reload()
    assert await _timeline(page) == shown  # live as stored
