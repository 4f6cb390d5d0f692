"""Long-lived connections (hub/connections.py): capped per account and per token with a 429 and
a sentence, and ended, with a close code a page reads as "you were logged out", when the login
session or API token behind them ends. Serial consoles share the registry; that a real console
ends with its login is proven on a real guest (tests/test_serial_console_guest.py)."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest

from capsul.hub import connections
from capsul.hub.accounts import api_tokens
from capsul.hub.connections import CONSOLE, LIVE, Caps, Connections, Login, TooManyConnections
from tests.conftest import ALICE, add_account_with_key
from tests.console_client import ConsoleClient
from tests.test_live_updates import next_message


async def open_ws(person: ConsoleClient):
    return await person.session.ws_connect(person.url("/ws"), headers={"Origin": person.base_url})


async def refused_with(coro) -> aiohttp.WSServerHandshakeError:
    with pytest.raises(aiohttp.WSServerHandshakeError) as e:
        await coro
    return e.value


async def closed_with(ws) -> int:
    """The close code the hub ended `ws` with (pings and updates before it are skipped)."""
    async with asyncio.timeout(10):
        while (msg := await ws.receive()).type == aiohttp.WSMsgType.TEXT:
            pass
    assert msg.type == aiohttp.WSMsgType.CLOSE, msg  # a close frame, not a cut connection
    return msg.data


async def test_live_connections_are_capped_per_account_with_a_429(start_node, pool, mail):
    node = await start_node(LIVE_CONNECTIONS_PER_ACCOUNT="3", **mail.env())
    alice, tab = ConsoleClient(node.console_url), ConsoleClient(node.console_url)
    try:
        await alice.login(mail, ALICE)
        tab.session.cookie_jar.update_cookies({"capsul_session": alice.session_cookie()})
        held = [await open_ws(alice), await open_ws(alice), await open_ws(tab)]
        for ws in held:
            assert (await next_message(ws))["type"] == "snapshot"
        refusal = await refused_with(open_ws(tab))
        assert refusal.status == 429
        async with alice.session.get(alice.url("/ws"), headers={"Origin": alice.base_url, "Connection": "Upgrade",
                                                                 "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                                                                 "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}) as r:
            assert r.status == 429 and "the most an account may have at once" in r.reason
        await held.pop().close()  # one closed: room for one more
        async with asyncio.timeout(10):
            while True:
                try:
                    held.append(await open_ws(tab))
                    break
                except aiohttp.WSServerHandshakeError:
                    await asyncio.sleep(0.05)  # the hub has not seen the close yet
        for ws in held:
            await ws.close()
    finally:
        await alice.close()
        await tab.close()


async def test_live_connections_are_capped_per_token(start_node, pool):
    node = await start_node(LIVE_CONNECTIONS_PER_TOKEN="2")
    await add_account_with_key(pool, ALICE)
    first, _ = await api_tokens.create_token(pool, ALICE, "first", "read", None)
    second, _ = await api_tokens.create_token(pool, ALICE, "second", "read", None)
    async with aiohttp.ClientSession() as session:
        def watch(secret: str):
            return session.ws_connect(node.console_url + "/ws", headers={"Authorization": f"Bearer {secret}"})
        held = [await watch(first), await watch(first)]
        assert (await refused_with(watch(first))).status == 429
        held.append(await watch(second))  # the same account's other token has its own cap
        for ws in held:
            await ws.close()


async def test_an_ended_login_closes_its_pages_with_a_code_they_understand(console, mail, pool):
    laptop, phone = ConsoleClient(console.console_url), ConsoleClient(console.console_url)
    try:
        await laptop.login(mail, ALICE)
        await phone.login(mail, ALICE)
        laptop_ws, phone_ws = await open_ws(laptop), await open_ws(phone)
        for ws in (laptop_ws, phone_ws):
            assert (await next_message(ws))["type"] == "snapshot"
        status, _, _ = await laptop.post("/account/sessions/end", {"others": "1"})
        assert status == 200
        assert await closed_with(phone_ws) == connections.CLOSE_CODES[connections.LOGGED_OUT]
        assert not laptop_ws.closed
        await laptop.post("/logout", {})
        assert await closed_with(laptop_ws) == connections.CLOSE_CODES[connections.LOGGED_OUT]
    finally:
        await laptop.close()
        await phone.close()


async def test_a_token_that_expires_closes_its_websocket(console, pool):
    await add_account_with_key(pool, ALICE)
    secret, row = await api_tokens.create_token(pool, ALICE, "brief", "read", 1)
    from capsul.hub import db
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE api_tokens SET expires_at = now() + interval '2 seconds' WHERE id = %s", (row["id"],))
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(console.console_url + "/ws", headers={"Authorization": f"Bearer {secret}"})
        assert (await next_message(ws))["type"] == "snapshot"
        assert await closed_with(ws) == connections.CLOSE_CODES[connections.EXPIRED]


async def test_the_registry_caps_consoles_and_ends_them_with_their_login(pool):
    """Consoles of the test driver end at once, so the caps of CONSOLE are shown on the registry
    itself, with the real database its late check reads."""
    await add_account_with_key(pool, ALICE)
    _, token = await api_tokens.create_token(pool, ALICE, "console", "write", None)
    registry = Connections({LIVE: Caps(9, 9), CONSOLE: Caps(per_account=3, per_token=2)})
    ended: list[str] = []
    by_token = Login(ALICE, token_id=token["id"])
    held = [await registry.open(pool, CONSOLE, by_token, end=ended.append) for _ in range(2)]
    with pytest.raises(TooManyConnections, match="This API token has 2 console connections open"):
        await registry.open(pool, CONSOLE, by_token, end=ended.append)
    other = await registry.open(pool, CONSOLE, Login(ALICE), end=ended.append)
    with pytest.raises(TooManyConnections, match="You have 3 console connections open"):
        await registry.open(pool, CONSOLE, Login(ALICE), end=ended.append)
    assert registry.count(LIVE, ALICE) == 0  # each kind has its own count
    assert registry.end_token(token["id"]) == 2 and ended == [connections.TOKEN_REVOKED] * 2
    assert registry.count(CONSOLE, ALICE) == 1
    registry.close(other)
    for h in held:
        registry.close(h)  # closing twice is harmless
    assert registry.count(CONSOLE, ALICE) == 0
    await api_tokens.revoke_token(pool, ALICE, token["id"])  # revoked before it was registered: ended at once
    late: list[str] = []
    await registry.open(pool, CONSOLE, by_token, end=late.append)
    assert late == [connections.TOKEN_REVOKED] and registry.count(CONSOLE, ALICE) == 0
