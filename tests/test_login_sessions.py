"""Logged-in browsers kept in the database: a logout ends the session on every hub, copies of
the cookie included; a person sees where they are logged in and can log other browsers out,
whose open pages then stop getting live updates."""
from __future__ import annotations

import asyncio

import aiohttp

from capsul.hub import db
from tests.conftest import ALICE, BOB, eventually
from tests.console_client import ConsoleClient, error_of
from tests.test_live_updates import connect, next_message



async def browser(console, mail, email: str, user_agent: str) -> ConsoleClient:
    person = ConsoleClient(console.console_url, user_agent=user_agent)
    await person.login(mail, email)
    return person


async def sessions_of(pool, email: str) -> list[dict]:
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT id, user_agent, host(client_address) AS address, ended_at FROM login_sessions "
                          "WHERE account = %s ORDER BY id", (email,))
        return list(await cur.fetchall())


async def logged_in_as(person: ConsoleClient) -> str | None:
    """Who the console thinks this browser is: the capsul list, or a redirect to the login page."""
    async with person.session.get(person.url("/capsuls"), allow_redirects=False) as r:
        return None if r.status == 303 and r.headers["Location"].startswith("/login") else (await r.text())


async def test_a_copied_cookie_stops_working_when_its_session_logs_out(console, mail, pool):
    alice = await browser(console, mail, ALICE, "Firefox on the laptop")
    thief = ConsoleClient(console.console_url)
    try:
        thief.session.cookie_jar.update_cookies({"capsul_session": alice.session_cookie()})
        assert await logged_in_as(thief) is not None  # a copy works while the session lives
        status, _, url = await alice.post("/logout", {})
        assert status == 200 and url.path == "/"
        assert await logged_in_as(thief) is None
        assert await logged_in_as(alice) is None
        [row] = await sessions_of(pool, ALICE)
        assert row["ended_at"] is not None and row["user_agent"] == "Firefox on the laptop"
        assert row["address"] == "127.0.0.1"
    finally:
        await alice.close()
        await thief.close()


async def test_logging_out_another_browser_closes_its_live_page(console, mail, pool):
    laptop = await browser(console, mail, ALICE, "Firefox on the laptop")
    phone = await browser(console, mail, ALICE, "Safari on the phone")
    try:
        status, page = await laptop.get("/account")
        assert status == 200 and "Firefox on the laptop" in page and "Safari on the phone" in page
        assert page.count("this browser") == 1
        laptop_row, phone_row = await sessions_of(pool, ALICE)
        phone_ws = await connect(phone)
        assert (await next_message(phone_ws))["type"] == "snapshot"

        status, page, url = await laptop.post("/account/sessions/end", {"id": str(phone_row["id"])})
        assert status == 200 and url.path == "/account" and "Logged out that browser" in page
        closed = await asyncio.wait_for(phone_ws.receive(), 10)  # NOTIFY -> this hub drops the socket
        assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
        assert await logged_in_as(phone) is None
        assert await logged_in_as(laptop) is not None
        with_rows = {r["id"]: r["ended_at"] for r in await sessions_of(pool, ALICE)}
        assert with_rows[laptop_row["id"]] is None and with_rows[phone_row["id"]] is not None
        status, page = await laptop.get("/account")
        assert "Safari on the phone" not in page  # only live sessions are listed
    finally:
        await laptop.close()
        await phone.close()


async def test_log_out_every_other_browser(console, mail, pool):
    browsers = [await browser(console, mail, ALICE, f"browser {i}") for i in range(3)]
    bob = await browser(console, mail, BOB, "Bob's browser")
    try:
        status, page, _ = await browsers[0].post("/account/sessions/end", {"others": "1"})
        assert status == 200 and "Logged out 2 other browsers." in page
        assert [await logged_in_as(b) is not None for b in browsers] == [True, False, False]
        assert await logged_in_as(bob) is not None  # someone else's sessions are theirs
    finally:
        for b in [*browsers, bob]:
            await b.close()


async def test_nobody_ends_a_session_that_is_not_theirs(console, mail, pool):
    alice = await browser(console, mail, ALICE, "Alice's browser")
    bob = await browser(console, mail, BOB, "Bob's browser")
    try:
        [alice_row] = await sessions_of(pool, ALICE)
        for bad in (str(alice_row["id"]), "abc", "", "99999999999999999999999", "-1"):
            status, page, _ = await bob.post("/account/sessions/end", {"id": bad})
            assert status == 404 and "no such login session" in error_of(page), bad
        status, _, _ = await bob.post("/account/sessions/end", {"id": str(alice_row["id"])}, csrf=False)
        assert status == 403
        assert await logged_in_as(alice) is not None and await logged_in_as(bob) is not None
        assert [r["ended_at"] for r in await sessions_of(pool, ALICE)] == [None]
    finally:
        await alice.close()
        await bob.close()


async def test_logging_out_this_browser_from_the_list(console, mail, pool):
    alice = await browser(console, mail, ALICE, "Alice's browser")
    try:
        [row] = await sessions_of(pool, ALICE)
        status, _, url = await alice.post("/account/sessions/end", {"id": str(row["id"])})
        assert status == 200 and url.path == "/"
        assert await logged_in_as(alice) is None
    finally:
        await alice.close()


async def test_a_session_stops_at_its_age_limit(console, mail, pool):
    alice = await browser(console, mail, ALICE, "Alice's browser")
    try:
        async with db.cursor(pool) as cur:  # as if logged in 31 days ago
            await cur.execute("UPDATE login_sessions SET created_at = now() - interval '31 days'")
        assert await logged_in_as(alice) is None

        async def cookie_dropped():  # the stale cookie was cleared by the answer
            return alice.session_cookie() in (None, "")
        await eventually(cookie_dropped, within=2)
    finally:
        await alice.close()


async def test_housekeeping_forgets_logins_long_over(console, mail, pool):
    from capsul.hub.housekeeping import forget_old_logins
    alice = await browser(console, mail, ALICE, "Alice's browser")
    bob = await browser(console, mail, BOB, "Bob's browser")
    try:
        async with db.cursor(pool) as cur:
            await cur.execute("UPDATE login_sessions SET ended_at = now() - interval '31 days' WHERE account = %s",
                              (ALICE,))
            await cur.execute("UPDATE login_tokens SET expires_at = now() - interval '31 days' WHERE email = %s",
                              (ALICE,))
        assert await forget_old_logins(pool) == 2  # Alice's session and her used link
        assert await sessions_of(pool, ALICE) == []
        assert len(await sessions_of(pool, BOB)) == 1 and await logged_in_as(bob) is not None
    finally:
        await alice.close()
        await bob.close()
