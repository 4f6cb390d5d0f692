"""The console in a real browser (Playwright driving /usr/bin/chromium): login through a mailed
link caught by a real SMTP server, keys, create, live state, actions from a second session,
delete; and two hub processes on one database, a change through one reaching a browser on the
other, which also reconnects and resyncs after its hub restarts.

On failure, each open page's screenshot and HTML are saved under test-artifacts/<test>/.
"""
from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, async_playwright, expect

from tests.browser import CHROMIUM, CHROMIUM_ARGS, Browsers
from tests.conftest import ALICE, new_public_key, spoke_ready
from tests.processes import CapsulProcess
from tests.spoke_cluster import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
async def chromium():
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        await browser.close()


@pytest.fixture
async def browsers(chromium, request):
    opened = Browsers(chromium)
    yield opened
    report = getattr(request.node, "report_call", None)
    if report is None or report.failed:
        saved = await opened.save_artifacts(request.node.name)
        print(f"browser artifacts: {', '.join(map(str, saved))}")
    await opened.close()


async def log_in(page: Page, base_url: str, mail, email: str) -> None:
    before = mail.count_to(email)
    await page.goto(base_url + "/login")
    await page.get_by_label("Email address").fill(email)
    await page.get_by_role("button", name="Mail me a login link").click()
    await expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()
    link = await mail.login_link(email, after=before)
    assert link.startswith(base_url + "/login/")
    await page.goto(link)
    await page.get_by_role("button", name="Log in", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/capsuls$"))


async def add_key(page: Page, base_url: str, name: str) -> None:
    await page.goto(base_url + "/ssh-keys")
    await page.get_by_label("Public key").fill(new_public_key("someone@laptop"))
    await page.get_by_label("Name").fill(name)
    await page.get_by_role("button", name="Add key").click()
    await expect(page.get_by_role("status").filter(has_text="Added the key")).to_be_visible()


async def create(page: Page, base_url: str, key: str) -> str:
    await page.goto(base_url + "/capsuls/create")
    await page.get_by_label(re.compile(r"f1-xs:")).check()
    await page.get_by_label("Operating system").select_option("debian12")
    await page.get_by_label(key).check()
    await page.get_by_role("button", name="Create").click()
    await expect(page).to_have_url(re.compile(r"/capsuls/capsul-[a-z0-9]{10}$"))
    return page.url.rsplit("/", 1)[1]


async def live(page: Page) -> None:
    """The page's websocket is open (its snapshot applied)."""
    await expect(page.locator("body")).to_have_attribute("data-live-connected", "yes")


def state(page: Page):
    return page.locator('[data-field="state"]')


async def alices_new_capsul(console, mail, browsers) -> tuple[Page, str]:
    """A page on Alice's new capsul (logged in, a key added, created through the form), live."""
    base = console.console_url
    page = await browsers.new_page()
    await log_in(page, base, mail, ALICE)
    await add_key(page, base, "laptop")
    vm_id = await create(page, base, "laptop")
    await live(page)
    return page, vm_id


async def test_login_keys_create_live_state_actions_from_another_session_and_delete(console, mail, browsers):
    base = console.console_url
    first, vm_id = await alices_new_capsul(console, mail, browsers)
    await first.evaluate("window.notReloaded = true")  # gone if the page were reloaded
    await expect(state(first)).to_have_text("running")
    await expect(first.locator("#timeline")).to_contain_text("running")
    await expect(first.get_by_role("button", name="Shut down")).to_be_visible()
    await expect(first.get_by_role("button", name="Start")).to_be_hidden()
    await expect(first.locator('[data-field="login_hint"]')).to_have_text(re.compile(r"^ssh cyberian@192\.0\.2\.\d+$"))

    # a second browser session (the same person, logged in again) shuts it down ...
    second = await browsers.new_page()
    await log_in(second, base, mail, ALICE)
    await second.goto(f"{base}/capsuls/{vm_id}")
    await second.get_by_role("button", name="Shut down").click()
    await expect(state(second)).to_have_text("stopped")
    # ... and the first page follows, buttons included, without a reload
    await expect(state(first)).to_have_text("stopped")
    await expect(first.get_by_role("button", name="Start")).to_be_visible()
    await expect(first.get_by_role("button", name="Shut down")).to_be_hidden()
    await expect(first.locator("#timeline li").first).to_contain_text("stopped")
    assert await first.evaluate("window.notReloaded") is True

    # the list page is live too
    await second.goto(f"{base}/capsuls")
    await live(second)
    row = second.locator(f'tr[data-capsul-id="{vm_id}"]')
    await expect(row.locator('[data-field="state"]')).to_have_text("stopped")
    await first.get_by_role("button", name="Start").click()
    await expect(row.locator('[data-field="state"]')).to_have_text("running")

    # delete asks first, then the capsul leaves both pages
    await first.get_by_role("link", name="Delete…").click()
    await expect(first.get_by_role("heading", name=f"Delete {vm_id}?")).to_be_visible()
    await first.get_by_role("button", name=f"Yes, delete {vm_id}").click()
    await expect(first).to_have_url(re.compile(r"/capsuls$"))
    await expect(first.get_by_role("status").filter(has_text=f"{vm_id} is deleted")).to_be_visible()
    await expect(row).to_have_count(0)
    await expect(second.locator("#no-capsuls")).to_be_visible()


async def test_a_refused_create_keeps_the_choices_in_the_browser(console, mail, browsers):
    base = console.console_url
    page = await browsers.new_page()
    await log_in(page, base, mail, ALICE)
    await add_key(page, base, "laptop")
    await page.goto(base + "/capsuls/create")
    await page.get_by_label(re.compile(r"f1-s:")).check()
    await page.get_by_label("Operating system").select_option("alpine320")
    await expect(page.get_by_label("laptop")).to_be_checked()  # a lone key is chosen for the person
    await page.get_by_label("laptop").uncheck()
    await page.get_by_role("button", name="Create").click()  # no key chosen
    await expect(page.get_by_role("alert")).to_contain_text("Choose at least one SSH key")
    await expect(page.get_by_label(re.compile(r"f1-s:"))).to_be_checked()
    await expect(page.get_by_label("Operating system")).to_have_value("alpine320")


async def test_two_hub_processes_a_change_through_one_reaches_a_browser_on_the_other(
        test_env, pool, mail, browsers, tmp_path):
    common = {**test_env, **mail.env(), "HEARTBEAT_INTERVAL": "0.5", "HEARTBEAT_TIMEOUT": "0.5"}
    first = CapsulProcess([], {**common, "CAPSUL_VAR_DIR": str(tmp_path / "first")}, tmp_path / "first.log")
    second_port = free_port()
    second = CapsulProcess(["--hub"], {**common, "CAPSUL_VAR_DIR": str(tmp_path / "second"),
                                       "CONSOLE_LISTEN": f"127.0.0.1:{second_port}"}, tmp_path / "second.log")
    try:
        await first.start()  # hub + spoke
        await second.start()  # a second hub, same database, no spoke
        await spoke_ready(pool)
        on_first, on_second = await browsers.new_page(), await browsers.new_page()
        await log_in(on_first, first.urls["console"], mail, ALICE)
        await add_key(on_first, first.urls["console"], "laptop")
        await log_in(on_second, second.urls["console"], mail, ALICE)
        await on_second.goto(second.urls["console"] + "/capsuls")
        await live(on_second)

        vm_id = await create(on_first, first.urls["console"], "laptop")  # through the first hub
        row = on_second.locator(f'tr[data-capsul-id="{vm_id}"] [data-field="state"]')
        await expect(row).to_have_text("running")  # appeared on the second, live
        await on_first.get_by_role("button", name="Force off").click()
        await expect(row).to_have_text("stopped")

        # the second hub restarts; meanwhile the capsul changes; the page reconnects and resyncs
        await second.stop()
        await expect(on_second.locator("#live-status")).to_contain_text("reconnecting")
        await on_first.get_by_role("button", name="Start").click()
        await expect(state(on_first)).to_have_text("running")
        await second.start()
        await expect(row).to_have_text("running", timeout=30_000)
        await expect(on_second.locator("#live-status")).to_be_hidden()
    except BaseException:
        print("first hub log:\n" + first.log()[-3000:] + "\nsecond hub log:\n" + second.log()[-3000:])
        raise
    finally:
        await second.kill()
        await first.stop()
