"""The admin page in a real browser: live updates patch the rows that changed and never what an
admin is typing; the credit form's refusals are errors beside it with what was typed kept; a
debit below zero is asked about first; and, over HTTP, amounts are plain dollars."""
from __future__ import annotations

import json

import pytest
from playwright.async_api import expect

from capsul.hub import db
from tests.conftest import ADMIN_EMAIL, ALICE, add_account_with_key
from tests.console_client import error_of
from tests.test_browser import browsers, chromium, live, log_in  # noqa: F401 - fixtures
from tests.test_console import count, create_capsul, logged_in

pytestmark = pytest.mark.slow


async def test_live_updates_never_touch_what_an_admin_types(console, mail, people, pool, browsers):  # noqa: F811
    base = console.console_url
    admin = await browsers.new_page()
    await log_in(admin, base, mail, ADMIN_EMAIL)
    await admin.goto(base + "/admin")
    await live(admin)
    await admin.evaluate("window.notReloaded = true")
    await admin.get_by_label("Find").fill("half-typed search")
    await admin.get_by_label("Account (email)").fill(ALICE)
    await admin.get_by_label("Reason (kept in the ledger)").fill("welcome credit")
    amount = admin.get_by_label("Amount in dollars", exact=False)
    await amount.fill("2")
    # a capsul made meanwhile shows up in its row; the heartbeats (every 0.2 s here) come and go
    alice = await logged_in(people, mail, ALICE, key=True)
    vm_id = await create_capsul(alice, pool)
    await expect(admin.locator(f'#all-capsuls tr[data-capsul-id="{vm_id}"]')).to_be_visible()
    await expect(admin.locator(f'#all-capsuls tr[data-capsul-id="{vm_id}"] .state')).to_have_text("running")
    await expect(amount).to_be_focused()
    await expect(admin.get_by_label("Find")).to_have_value("half-typed search")
    await expect(admin.get_by_label("Account (email)")).to_have_value(ALICE)
    await expect(amount).to_have_value("2")
    await amount.press_sequentially("0")  # typing goes on where it was
    await expect(amount).to_have_value("20")
    assert await admin.evaluate("window.notReloaded") is True

    # a refusal is an error beside the form, with what was typed kept, and it stays through updates
    await amount.fill("1e3")
    await admin.evaluate("document.getElementById('ledger-amount').removeAttribute('pattern')")  # as a script would
    await admin.get_by_role("button", name="Record").click()
    error = admin.locator("#ledger-form .error")
    await expect(error).to_contain_text("at most two decimals")
    await expect(admin.get_by_label("Reason (kept in the ledger)")).to_have_value("welcome credit")
    await expect(admin.get_by_label("Amount in dollars", exact=False)).to_have_value("1e3")
    await live(admin)
    await alice.post(f"/capsuls/{vm_id}/actions", {"action": "force-stop"})
    await expect(admin.locator(f'#all-capsuls tr[data-capsul-id="{vm_id}"] .state')).to_have_text("stopped")
    await expect(error).to_be_visible()
    assert await count(pool, "SELECT count(*) AS n FROM payments") == 0


async def test_a_debit_below_zero_is_asked_about_first(console, mail, people, pool, browsers):  # noqa: F811
    await add_account_with_key(pool, ALICE)
    base = console.console_url
    admin = await browsers.new_page()
    await log_in(admin, base, mail, ADMIN_EMAIL)
    await admin.goto(base + "/admin")
    for amount, reason in (("5", "first credit"), ("-8.50", "refund of a double payment")):
        await admin.get_by_label("Account (email)").fill(ALICE)
        await admin.get_by_label("Amount in dollars", exact=False).fill(amount)
        await admin.get_by_label("Reason (kept in the ledger)").fill(reason)
        await admin.get_by_role("button", name="Record").click()
    warning = admin.locator("#ledger-form .warning")
    await expect(warning).to_contain_text("from $5.00 to $-3.50")
    assert await count(pool, "SELECT count(*) AS n FROM payments") == 1
    await admin.get_by_label("Yes, take the balance below zero").check()
    await admin.get_by_role("button", name="Record").click()
    await expect(admin.get_by_role("status").filter(has_text="Recorded $-8.50")).to_be_visible()
    assert await count(pool, "SELECT count(*) AS n FROM payments") == 2


@pytest.mark.parametrize("typed", ["1e3", "5.555", "1e400", "\u0661\u0660", "1,000", "Infinity", "NaN", "0x10",
                                   "9" * 4400])
async def test_amounts_are_plain_dollars_with_two_decimals(console, mail, people, pool, typed):
    await add_account_with_key(pool, ALICE)
    admin = await logged_in(people, mail, ADMIN_EMAIL)
    status, text, _ = await admin.post("/admin/ledger", {"account": ALICE, "amount": typed, "reason": "test"})
    assert status == 400 and "at most two decimals" in error_of(text)
    assert f'value="{typed}"' in text or len(typed) > 1000  # kept as typed
    assert await count(pool, "SELECT count(*) AS n FROM payments") == 0
    alice = await logged_in(people, mail, ALICE)
    status, text, _ = await alice.post("/account/pay", {"provider": "stripe", "amount": typed})
    assert status < 500


async def test_an_admin_opens_any_capsul_and_acts_on_an_account_with_a_reason(console, mail, people, pool):
    alice = await logged_in(people, mail, ALICE, key=True)
    vm_id = await create_capsul(alice, pool)
    admin = await logged_in(people, mail, ADMIN_EMAIL)
    status, page = await admin.get("/admin")
    assert f'<a href="/capsuls/{vm_id}">{vm_id}</a>' in page and f'href="/admin/accounts/{ALICE}"' in page
    status, page = await admin.get(f"/capsuls/{vm_id}")  # was a 404 for the admin
    assert status == 200 and "act on it from their account page" in page and 'data-action="shutdown"' not in page
    status, page = await admin.get(f"/admin?q={vm_id[7:12]}")  # a part of an id
    assert f">{vm_id}<" in page and "ids or emails containing" in page
    status, page = await admin.get("/admin?q=alice@exa")  # a part of an email
    assert f">{vm_id}<" in page

    status, page = await admin.get(f"/admin/accounts/{ALICE}")
    assert status == 200 and "1 capsuls (no limit)" in page and vm_id in page
    status, text, _ = await admin.post(f"/admin/accounts/{ALICE}/capsuls/{vm_id}", {"action": "force-stop",
                                                                                       "reason": ""})
    assert status == 400 and "Give a reason" in error_of(text)
    from tests.conftest import state_of, wait_for_state
    assert await state_of(pool, vm_id) == "running"
    status, text, _ = await admin.post(f"/admin/accounts/{ALICE}/capsuls/{vm_id}",
                                       {"action": "force-stop", "reason": "abuse report #12"})
    assert status == 200 and await state_of(pool, vm_id) == "stopped"
    status, page = await alice.get(f"/capsuls/{vm_id}")  # the owner reads why, on the timeline
    assert f"forced off by admin {ADMIN_EMAIL}: abuse report #12" in page
    await admin.post(f"/admin/accounts/{ALICE}/capsuls/{vm_id}", {"action": "delete", "reason": "abuse report #12"})
    await wait_for_state(pool, vm_id, "deleted")
    status, _ = await alice.get(f"/admin/accounts/{ALICE}")
    assert status == 404  # not an admin


async def test_an_admin_drains_and_activates_a_host_and_sees_an_evacuation_counted(console, mail, people, pool):
    """Over HTTP: the Service column's buttons set the host's state as run.py does; a draining host
    shows how many of its capsuls have been moved off ("n of m moved off"); others get a 404."""
    admin = await logged_in(people, mail, ADMIN_EMAIL)
    status, page = await admin.get("/admin")
    assert status == 200 and 'value="draining">Drain</button>' in page
    status, page, _ = await admin.post("/admin/hosts/local/state", {"state": "draining"})
    assert status == 200 and "Host local is draining (was active)." in page
    assert 'class="service-draining">draining: set on the admin page by' in page
    assert 'value="active">Activate</button>' in page and 'value="draining">Drain</button>' not in page
    async with db.cursor(pool) as cur:  # as an evacuation leaves it: one moved off, one still there
        await cur.execute("SELECT id FROM os_images LIMIT 1")
        image = (await cur.fetchone())["id"]
        await cur.execute("""INSERT INTO hosts (id, https_url, token, hub_token, images) VALUES ('other', 'https://o:1',
                             'x', 'y', %s)""", (json.dumps({"a" * 64: {"state": "fetching", "done": 1 << 20,
                                                                      "total": 4 << 20},
                                                           "b" * 64: {"state": "failed", "error": "the server answered "
                                                                      "404 Not Found", "at": 1}}),))
        for vm_id, host, moved_from in (("capsul-evacuated1", "other", "local"), ("capsul-stayedhere", "local", None)):
            await cur.execute("""INSERT INTO vms (id, account, size, os, host_id, state, moved_from)
                                 VALUES (%s, %s, 'f1-xs', %s, %s, 'running', %s)""",
                              (vm_id, ADMIN_EMAIL, image, host, moved_from))
    status, page = await admin.get("/admin")
    assert '<p data-field="evacuation">1 of 2 moved off</p>' in page
    # and what the hosts' image fetches are doing (docs/images.md)
    assert "fetching OS image sha256 aaaaaaaaaaaa…: 1.0 MB of 4.2 MB (25%)" in page
    assert "OS image sha256 bbbbbbbbbbbb… could not be fetched: the server answered 404 Not Found" in page
    status, page, _ = await admin.post("/admin/hosts/local/state", {"state": "active"})
    assert "Host local is active (was draining)." in page and "moved off" not in page
    status, _, _ = await admin.post("/admin/hosts/local/state", {"state": "gone"})
    assert status == 400
    status, _, _ = await admin.post("/admin/hosts/nohost/state", {"state": "draining"})
    assert status == 404
    alice = await logged_in(people, mail, ALICE)
    status, _, _ = await alice.post("/admin/hosts/local/state", {"state": "draining"})
    assert status == 404
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT state FROM hosts WHERE id = 'local'")
        assert (await cur.fetchone())["state"] == "active"
