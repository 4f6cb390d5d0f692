"""Second factors through the console over HTTP (the browser's passkeys are in
tests/test_second_factors_browser.py): TOTP codes with the test's own clock, recovery codes once
each, the lockouts and their mails, an admin's unlock with its reason, the admin's requirement with
its grace period, and tokens refused without a recent factor while existing tokens keep working."""
from __future__ import annotations

import asyncio
import html
import re
import time

import pyotp
import pytest

from capsul.hub import db
from tests.conftest import ADMIN_EMAIL, ALICE, BOB
from tests.console_client import error_of

pytestmark = pytest.mark.slow
SECRET_RE = re.compile(r'id="totp-secret">([A-Z2-7]{32})<')
CODES_RE = re.compile(r"<li><code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code></li>")


async def sql(pool, query: str, *args) -> list[dict]:
    async with db.cursor(pool) as cur:
        await cur.execute(query, args)
        return list(await cur.fetchall()) if cur.description else []


def code_at(secret: str, when: float) -> str:
    return pyotp.TOTP(secret).at(int(when))


async def turn_on_totp(client) -> tuple[str, list[str]]:
    status, page = await client.get("/account/second-factors")
    assert status == 200
    secret = SECRET_RE.search(page).group(1)
    status, page, _ = await client.post("/account/second-factors/totp", {"name": "phone", "code": "000000"
                                                                       if code_at(secret, time.time()) != "000000" else "111111"})
    assert status == 400 and "not the one your app shows" in error_of(page)
    status, page, _ = await client.post("/account/second-factors/totp", {"name": "phone", "code": code_at(secret, time.time())})
    assert status == 201, error_of(page)
    codes = CODES_RE.findall(page)
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, codes


async def clock_past(when: float) -> None:
    """Wait until the real clock (the hub's and the authenticator's) is past `when`: a TOTP step is spent
    once used, so a third code needs the clock to move on."""
    while time.time() <= when:
        await asyncio.sleep(min(1.0, when - time.time() + 0.05))


async def link_only(client, mail, email: str):
    """Open a fresh login link and press Log in: where that lands."""
    before = mail.count_to(email)
    await client.get("/login")  # this browser's CSRF token after its logout
    status, text, _ = await client.post("/login", {"email": email, "next": "/capsuls"})
    assert status == 200, error_of(text)
    return await client.open_login_link(await mail.login_link(email, after=before))


async def confirm(client, method: str, code: str) -> tuple[int, str, object]:
    return await client.post("/login/second-factor", {"method": method, "code": code, "next": "/capsuls"})


def mails_about(mail, to: str, words: str) -> int:
    return sum(1 for m in mail.messages if m["To"] == to and words in m["Subject"])


async def test_totp_recovery_codes_lockouts_and_an_admins_unlock(console, people, mail, pool):
    alice = people()
    await alice.login(mail, ALICE)
    secret, codes = await turn_on_totp(alice)

    # just proven: a token may be made; twenty minutes later it may not, and none is made
    status, page, _ = await alice.post("/api-tokens", {"name": "ci", "scope": "read"})
    assert status == 201 and "capsul_" in page
    await sql(pool, "UPDATE login_sessions SET second_factor_at = now() - interval '20 minutes' WHERE account = %s", ALICE)
    status, page, url = await alice.post("/api-tokens", {"name": "late", "scope": "read"})
    assert url.path == "/login/second-factor" and "no token was made" in html.unescape(page)
    assert [r["name"] for r in await sql(pool, "SELECT name FROM api_tokens WHERE account = %s", ALICE)] == ["ci"]
    # nor is a console opened: its page asks for the factor, its websocket is refused
    async with alice.session.get(alice.url("/capsuls/capsul-abcdefghij/console")) as r:
        assert r.url.path == "/login/second-factor" and r.url.query["next"] == "/capsuls/capsul-abcdefghij/console"
        assert "to open a console" in html.unescape(await r.text())
    async with alice.session.get(alice.url("/capsuls/capsul-abcdefghij/console/ws"),
                                 headers={"Origin": alice.base_url}) as r:
        assert r.status == 403 and "second factors" in await r.text()

    # the link alone no longer logs in
    await alice.post("/logout", {})
    status, page, url = await link_only(alice, mail, ALICE)
    assert url.path == "/login/second-factor" and "needs one of its second factors" in page
    assert (await alice.get("/capsuls"))[1].count("Mail me a login link") == 1  # not logged in: the login form
    now = time.time()
    # the code used at set-up (its step is spent), one from two minutes ago: refused
    for stale in (code_at(secret, now - 120), ):
        status, page, url = await confirm(alice, "totp", stale)
        assert status == 400 and url.path == "/login/second-factor", error_of(page)
    status, page, url = await confirm(alice, "totp", code_at(secret, now + 30))  # the next step is within the window
    assert url.path == "/capsuls", error_of(page)
    status, page, url = await alice.post("/logout", {})
    await link_only(alice, mail, ALICE)
    status, page, url = await confirm(alice, "totp", code_at(secret, now + 30))  # once only
    assert status == 400 and "used already" in error_of(page)

    # a recovery code works once (typed with capitals and spaces as people do)
    status, page, url = await confirm(alice, "recovery", codes[0].upper().replace("-", " "))
    assert url.path == "/capsuls" and "9 are left" in html.unescape(page), error_of(page)
    await alice.post("/logout", {})
    await link_only(alice, mail, ALICE)
    status, page, url = await confirm(alice, "recovery", codes[0])
    assert status == 400 and "used already" in error_of(page)

    # 8 wrong codes lock TOTP (the 8th says so), a mail says so, and the right code is refused then
    locks_before = mails_about(mail, ALICE, "authenticator app is locked")
    wrong = [f"{i:06d}" for i in range(1000) if f"{i:06d}" not in {code_at(secret, time.time() + d) for d in (-60, -30, 0, 30, 60)}]
    for attempt in range(8):
        status, page, _ = await confirm(alice, "totp", wrong[attempt])
    assert status == 429 and "locked" in error_of(page)
    assert mails_about(mail, ALICE, "authenticator app is locked") == locks_before + 1
    status, page, _ = await confirm(alice, "totp", code_at(secret, time.time() + 30))
    assert status == 429 and "locked after 8 wrong codes" in error_of(page)

    # an admin unlocks, only with a reason, which the account's history keeps
    admin = people()
    await admin.login(mail, ADMIN_EMAIL)
    status, page, _ = await admin.post(f"/admin/accounts/{ALICE}/second-factors/unlock", {"reason": "  "})
    assert status == 400 and "reason" in error_of(page)
    status, page, _ = await admin.post(f"/admin/accounts/{ALICE}/second-factors/unlock", {"reason": "called from her phone number on file"})
    assert status == 200 and "Unlocked the second factors" in page
    assert "called from her phone number on file" in (await admin.get(f"/admin/accounts/{ALICE}"))[1]
    await clock_past((int(now) // 30 + 1) * 30)  # the step after the one spent above has begun
    status, page, url = await confirm(alice, "totp", code_at(secret, time.time() + 30))
    assert url.path == "/capsuls", error_of(page)

    # 100 failures of any factor lock every factor for an hour, mailed; the right code is refused then
    await alice.post("/logout", {})
    await link_only(alice, mail, ALICE)
    all_before = mails_about(mail, ALICE, "locked for an hour")
    for attempt in range(100):
        status, page, _ = await confirm(alice, "recovery", f"zzzz-zzzz-{attempt:04d}")
        if attempt < 99:
            assert status == 400, (attempt, error_of(page))
    assert status == 429 and "locked for an hour" in error_of(page)
    assert mails_about(mail, ALICE, "locked for an hour") == all_before + 1
    status, page, _ = await confirm(alice, "recovery", codes[1])
    assert status == 429 and "locked until" in error_of(page)
    assert (await sql(pool, "SELECT used_at FROM recovery_codes WHERE account = %s AND used_at IS NOT NULL", ALICE)).__len__() == 1
    await admin.post(f"/admin/accounts/{ALICE}/second-factors/unlock", {"reason": "checked her ID"})
    status, page, url = await confirm(alice, "recovery", codes[1])
    assert url.path == "/capsuls", error_of(page)


async def test_removing_a_factor_needs_a_fresh_one_and_a_mail_alone_never_removes_it(console, people, mail, pool):
    alice = people()
    await alice.login(mail, ALICE)
    secret, codes = await turn_on_totp(alice)
    factor_id = (await sql(pool, "SELECT id FROM second_factors WHERE account = %s", ALICE))[0]["id"]
    await sql(pool, "UPDATE login_sessions SET second_factor_at = now() - interval '6 minutes' WHERE account = %s", ALICE)
    status, page, url = await alice.post("/account/second-factors/remove", {"id": str(factor_id)})
    assert url.path == "/login/second-factor" and "removing one" in html.unescape(page)
    assert await sql(pool, "SELECT id FROM second_factors WHERE account = %s", ALICE)
    status, page, url = await alice.post("/login/second-factor", {"method": "totp", "code": code_at(secret, time.time() + 30),
                                                                  "next": "/account/second-factors"})
    assert url.path == "/account/second-factors", error_of(page)
    status, page, url = await alice.post("/account/second-factors/remove", {"id": str(factor_id)})
    assert url.path == "/account/second-factors" and "Removed the authenticator app" in html.unescape(page)
    assert not await sql(pool, "SELECT id FROM second_factors WHERE account = %s", ALICE)
    assert not await sql(pool, "SELECT id FROM recovery_codes WHERE account = %s", ALICE)  # gone with the last factor
    # someone else's factor id, odd ids: refused in words, nothing removed
    status, page, _ = await alice.post("/account/second-factors/remove", {"id": "99999999999999999999"})
    assert status == 404 and "no such second factor" in error_of(page)


async def test_an_admin_requires_second_factors_after_a_grace_period_and_tokens_keep_working(console, people, mail, pool):
    bob = people()
    await bob.login(mail, BOB)
    status, page, _ = await bob.post("/api-tokens", {"name": "script", "scope": "read"})
    token = re.search(r'value="(capsul_[A-Za-z0-9_-]{43})"', page).group(1)
    admin = people()
    await admin.login(mail, ADMIN_EMAIL)
    status, page, _ = await admin.post("/admin/second-factors/requirement", {"required": "yes", "grace_days": "400"})
    assert status == 400 and "from 0 to 365" in page
    status, page, _ = await admin.post("/admin/second-factors/requirement", {"required": "yes", "grace_days": "14"})
    assert "in 14 days" in page
    # in the grace period: told, not stopped
    status, page = await bob.get("/capsuls")
    assert status == 200 and 'id="factor-due"' in page
    # the grace period is over (the test moves the requirement's clock)
    await sql(pool, "UPDATE second_factor_policy SET required_from = now() - interval '1 minute'")
    for path in ("/capsuls", "/api-tokens", "/ssh-keys"):
        status, page = await bob.get(path)
        assert "<h1>Second factors</h1>" in page and "requires a second factor" in page, path
    status, page, url = await bob.post("/api-tokens", {"name": "another", "scope": "read"})
    assert url.path == "/account/second-factors"
    # API tokens keep working
    async with bob.session.get(bob.url("/api/v1/capsuls"), headers={"Authorization": f"Bearer {token}"}) as r:
        assert r.status == 200
    await turn_on_totp(bob)
    status, page = await bob.get("/capsuls")
    assert status == 200 and "<h1>Second factors</h1>" not in page
    # the admin too: sent to add one first, nothing changed meanwhile
    status, page, url = await admin.post("/admin/second-factors/requirement", {"required": "no"})
    assert url.path == "/account/second-factors" and await sql(pool, "SELECT 1 FROM second_factor_policy")
    await turn_on_totp(admin)
    await admin.post("/admin/second-factors/requirement", {"required": "no"})
    assert not await sql(pool, "SELECT 1 FROM second_factor_policy")
