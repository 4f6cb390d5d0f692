"""Second factors in Chromium (Playwright), with the browser's own virtual WebAuthn authenticator
(DevTools' WebAuthn.addVirtualAuthenticator): a passkey registered, then a login by link plus
passkey; TOTP set up and used with codes the test computes from its clock; a recovery code once;
TOTP's lockout after 8 wrong codes, as the person sees it and is mailed; and a token refused until
a second factor is confirmed again.

The console is opened at http://localhost:PORT: browsers refuse passkeys for an IP address.
"""
from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.async_api import Page, expect

from capsul.hub import db
from tests.conftest import ADMIN_EMAIL, ALICE, BOB
from tests.test_browser import browsers, chromium  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow


def local(url: str) -> str:
    return url.replace("://127.0.0.1:", "://localhost:")


async def with_authenticator(page: Page) -> str:
    """A platform authenticator that answers by itself (user present and verified); its id."""
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable")
    added = await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    return added["authenticatorId"]


async def open_link(page: Page, base: str, mail, email: str) -> None:
    before = mail.count_to(email)
    await page.goto(base + "/login")
    await page.get_by_label("Email address").fill(email)
    await page.get_by_role("button", name="Mail me a login link").click()
    await expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()
    await page.goto(local(await mail.login_link(email, after=before)))
    await page.get_by_role("button", name="Log in", exact=True).click()


async def log_out(page: Page) -> None:
    await page.get_by_role("button", name=re.compile("^Log out")).click()
    await expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()


async def test_passkey_totp_recovery_code_lockout_and_a_token_in_chromium(console, mail, pool, browsers):  # noqa: F811
    base = local(console.console_url)
    page = await browsers.new_page()
    await with_authenticator(page)
    await open_link(page, base, mail, ALICE)
    await expect(page).to_have_url(re.compile(r"/capsuls$"))

    # register a passkey: the recovery codes are shown once
    await page.goto(base + "/account/second-factors")
    await page.get_by_label("Passkey name").fill("laptop")
    await page.get_by_role("button", name="Add passkey").click()
    await expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = [c.strip() for c in await page.locator("#recovery-codes code").all_inner_texts()]
    assert len(codes) == 10
    await expect(page.locator("tr[data-factor-id]", has_text="laptop")).to_contain_text("passkey")
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT kind, sign_count FROM second_factors WHERE account = %s", (ALICE,))
        assert [r["kind"] for r in await cur.fetchall()] == ["passkey"]

    # TOTP too (a factor was used just now, so adding another is allowed)
    secret = (await page.locator("#totp-secret").inner_text()).strip()
    await expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    await page.get_by_label("Code the app shows").fill(pyotp.TOTP(secret).at(int(time.time())))
    await page.get_by_role("button", name="Turn on the app").click()
    await expect(page.get_by_role("status").filter(has_text="authenticator app is set up")).to_be_visible()
    await expect(page.locator("#recovery-codes")).to_have_count(0)  # codes come with the first factor only

    # log out; the link alone lands on the second factor; the passkey logs in
    await log_out(page)
    await open_link(page, base, mail, ALICE)
    await expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    await page.get_by_role("button", name="Use a passkey").click()
    await expect(page).to_have_url(re.compile(r"/capsuls$"))

    # TOTP: a code from two minutes ago (the test's clock) is refused, the next step's is taken
    await log_out(page)
    await open_link(page, base, mail, ALICE)
    now = time.time()
    await page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).at(int(now - 120)))
    await page.get_by_role("button", name="Confirm code").click()
    await expect(page.get_by_role("alert")).to_contain_text("not right")
    await page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).at(int(now + 30)))
    await page.get_by_role("button", name="Confirm code").click()
    await expect(page).to_have_url(re.compile(r"/capsuls$"))

    # a recovery code works once
    for attempt in range(2):
        await log_out(page)
        await open_link(page, base, mail, ALICE)
        await page.get_by_role("textbox", name="Recovery code").fill(codes[3])
        await page.get_by_role("button", name="Use recovery code").click()
        if attempt == 0:
            await expect(page).to_have_url(re.compile(r"/capsuls$"))
            await expect(page.get_by_role("status").filter(has_text="9 are left")).to_be_visible()
        else:
            await expect(page.get_by_role("alert")).to_contain_text("used already")

    # 8 wrong TOTP codes lock it, the page says so and a mail tells the person
    right = {pyotp.TOTP(secret).at(int(time.time() + d)) for d in (-60, -30, 0, 30, 60)}
    wrong = [c for c in (f"{i:06d}" for i in range(100)) if c not in right][:8]
    mails_before = len(mail.messages)
    for code in wrong:
        await page.get_by_label("Code from your app").fill(code)
        await page.get_by_role("button", name="Confirm code").click()
    await expect(page.get_by_role("alert")).to_contain_text("locked after 8 wrong codes")
    assert any("authenticator app is locked" in m["Subject"] for m in mail.messages[mails_before:])
    # the passkey still logs in
    await page.get_by_role("button", name="Use a passkey").click()
    await expect(page).to_have_url(re.compile(r"/capsuls$"))

    # a token made without a factor in the last 15 minutes is refused, then made after confirming
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE login_sessions SET second_factor_at = now() - interval '16 minutes' "
                          "WHERE account = %s AND ended_at IS NULL", (ALICE,))
    await page.goto(base + "/api-tokens")
    await page.get_by_label("Name").fill("deploy")
    await page.get_by_role("button", name="Make token").click()
    await expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    await expect(page.get_by_role("status").filter(has_text="no token was made")).to_be_visible()
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT count(*) AS n FROM api_tokens WHERE account = %s", (ALICE,))
        assert (await cur.fetchone())["n"] == 0
    await page.get_by_role("button", name="Use a passkey").click()
    await expect(page).to_have_url(re.compile(r"/api-tokens$"))
    await page.get_by_label("Name").fill("deploy")
    await page.get_by_role("button", name="Make token").click()
    await expect(page.get_by_role("textbox", name="Token", exact=True)).to_have_value(re.compile(r"^capsul_"))


async def test_the_admins_requirement_with_its_grace_period_in_chromium(console, mail, pool, browsers):  # noqa: F811
    base = local(console.console_url)
    admin = await browsers.new_page()
    await with_authenticator(admin)
    await open_link(admin, base, mail, ADMIN_EMAIL)
    await admin.goto(base + "/admin")
    await admin.get_by_label("Require them of everyone after (days of grace)").fill("14")
    await admin.get_by_role("button", name="Require second factors").click()
    await expect(admin.locator("#factor-requirement")).to_contain_text("Required of every account from")

    bob = await browsers.new_page()
    await with_authenticator(bob)
    await open_link(bob, base, mail, BOB)
    await expect(bob).to_have_url(re.compile(r"/capsuls$"))
    await expect(bob.locator("#factor-due")).to_contain_text("requires a second factor from")

    # the grace period ends (the test moves the requirement's date): every page leads to adding one
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE second_factor_policy SET required_from = now() - interval '1 second'")
    await bob.goto(base + "/ssh-keys")
    await expect(bob.get_by_role("heading", name="Second factors")).to_be_visible()
    await expect(bob.get_by_role("status").filter(has_text="add one to go on")).to_be_visible()
    await bob.get_by_label("Passkey name").fill("phone")
    await bob.get_by_role("button", name="Add passkey").click()
    await expect(bob.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    await bob.goto(base + "/ssh-keys")
    await expect(bob.get_by_role("heading", name="SSH keys")).to_be_visible()
