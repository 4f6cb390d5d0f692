"""A capsul's Backups section in Chromium (templates/capsul.html, console/backup_pages.py, static/live.js),
on the test hypervisor with a restic repository in a local folder: back up now, the backup's row
appearing and ending on another open page without a reload (here: failed, in the host's words,
as libvirt's test driver cannot back up), no restore offered for it, the schedule saved; the
admin page's Backups by host shows the failure."""
from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.conftest import ADMIN_EMAIL, spoke_ready
from tests.test_backups_hub import store_settings  # noqa: F401 - fixture
from tests.test_browser import alices_new_capsul, browsers, chromium, live, log_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow


@pytest.fixture
async def backups_console(start_node, mail, pool, store_settings):  # noqa: F811
    node = await start_node(ADMIN_EMAIL_ADDRESSES=ADMIN_EMAIL, **mail.env(), **store_settings)
    await spoke_ready(pool)
    return node


async def test_a_backup_shows_live_on_the_capsul_page_and_its_failure_on_the_admin_page(  # noqa: F811
        backups_console, mail, browsers):
    page, vm_id = await alices_new_capsul(backups_console, mail, browsers)
    base = backups_console.console_url
    section = page.locator("#backups")
    await expect(section).to_contain_text("No backups yet.")
    watching = await browsers.new_page()  # the same person's second tab, left open
    await log_in(watching, base, mail, "alice@example.org")
    await watching.goto(f"{base}/capsuls/{vm_id}")
    await live(watching)
    await watching.evaluate("window.notReloaded = true")

    await page.get_by_role("button", name="Back up now").click()
    await expect(page.locator("body")).to_contain_text("A backup of " + vm_id + " is under way")
    row = watching.locator("#backup-rows tbody tr")
    await expect(row).to_have_count(1)
    await expect(row.locator('[data-field="status"]')).to_contain_text("failed", timeout=30_000)
    await expect(row.locator('[data-field="status"]')).to_contain_text("not supported")
    assert await watching.evaluate("window.notReloaded === true")  # told live, not reloaded
    await expect(row.locator("a[data-restore]")).to_have_count(0)  # nothing to restore from a failed one

    await page.reload()
    await page.locator('#backup-schedule input[name="daily"]').check()
    await page.locator('#backup-schedule input[name="window_start"]').fill("23")
    await page.locator('#backup-schedule input[name="window_hours"]').fill("3")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("body")).to_contain_text("Daily backups are on, between 23:00 and 02:00 UTC.")
    await expect(page.locator('#backup-schedule input[name="window_start"]')).to_have_value("23")
    await page.locator('#backup-schedule input[name="keep_last"]').fill("-1")  # the browser's min: sent anyway
    await page.evaluate("document.querySelector('#backup-schedule').noValidate = true")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("body")).to_contain_text("The schedule was not changed: keep_last is a whole number")

    admin = await browsers.new_page()
    await log_in(admin, base, mail, ADMIN_EMAIL)
    await admin.goto(f"{base}/admin")
    host = admin.locator('#backup-hosts tr[data-host="local"]')
    await expect(host).to_contain_text("not supported")
    await expect(host.locator("td").nth(3)).to_have_text("1")  # failed in the last day
