"""Every page fits a 390 px phone screen with no sideways scrolling, long key names and ledger
reasons included, and the logged-in navigation stays short (at 390 px, seven of eleven pages
were wider than the screen, /admin by 3,705 px)."""
from __future__ import annotations

import pytest

from capsul.hub import db
from capsul.hub.db import ledger
from tests.conftest import ADMIN_EMAIL, ALICE, new_public_key
from tests.test_browser import browsers, chromium, create, log_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}
LONG = "a-very-long-name-without-any-space-" * 6


async def _overflow(page) -> int:
    """How many pixels the page is wider than the screen (0: it fits)."""
    return await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


async def _fits(page, path: str, base: str) -> tuple[str, int]:
    await page.goto(base + path)
    return path, await _overflow(page)


async def test_every_page_fits_a_phone(console, mail, pool, browsers):  # noqa: F811
    base = console.console_url
    visitor = await browsers.new_page(viewport=PHONE)
    wide = [await _fits(visitor, path, base) for path in ("/", "/pricing", "/faq", "/changelog", "/support", "/login")]

    alice = await browsers.new_page(viewport=PHONE)
    await log_in(alice, base, mail, ALICE)
    nav_height = await alice.evaluate("document.querySelector('header nav').getBoundingClientRect().height")
    line = await alice.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)")
    assert nav_height <= 2.5 * line + 40, f"the navigation takes {nav_height} px at 390 px"
    await alice.goto(base + "/ssh-keys")
    await alice.get_by_label("Public key").fill(new_public_key("someone@" + LONG))
    await alice.get_by_label("Name").fill(LONG[:100])
    await alice.get_by_role("button", name="Add key").click()
    async with db.cursor(pool) as cur:
        await ledger.add_manual_entry(cur, ALICE, 50, "credit for " + LONG, ADMIN_EMAIL)
    vm_id = await create(alice, base, LONG[:100])
    for path in ("/capsuls", f"/capsuls/{vm_id}", f"/capsuls/{vm_id}/delete", f"/capsuls/{vm_id}/rebuild",
                 f"/capsuls/{vm_id}/resize", "/capsuls/create", "/ssh-keys",
                 "/api-tokens", "/account", f"/capsuls/{vm_id}/console"):
        wide.append(await _fits(alice, path, base))

    admin = await browsers.new_page(viewport=PHONE)
    await log_in(admin, base, mail, ADMIN_EMAIL)
    for path in ("/admin", "/admin/consistency", "/no-such-page"):
        wide.append(await _fits(admin, path, base))
    assert [(path, px) for path, px in wide if px > 0] == []
