"""GET /ws: who may connect, snapshot then deltas in one envelope, only one's own capsuls,
admins see everything, the LISTEN connection coming back, slow clients cut off, and two hub
nodes on one database pushing the same change."""
from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from capsul.config import Role
from capsul.hub import db, live
from tests.conftest import ADMIN_EMAIL, new_public_key, spoke_ready
from tests.console_client import ConsoleClient
from tests.test_console import ALICE, BOB, create_capsul, logged_in


async def connect(person: ConsoleClient, query: str = "", *, origin: str | None = "same"):
    headers = {}
    if origin == "same":
        headers["Origin"] = person.base_url
    elif origin:
        headers["Origin"] = origin
    return await person.session.ws_connect(person.url("/ws" + query), headers=headers)


async def next_message(ws, *, skip=("ping", "hosts.changed"), timeout: float = 10) -> dict:
    while True:
        msg = await asyncio.wait_for(ws.receive(), timeout)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        message = json.loads(msg.data)
        assert set(message) == {"type", "ts", "data"}, message  # one envelope
        assert abs(message["ts"] - time.time()) < 60
        if message["type"] not in skip:
            return message


async def until_state(ws, vm_id: str, state: str) -> dict:
    while True:
        message = await next_message(ws)
        if message["type"] == "capsul.state" and message["data"]["capsul"]["id"] == vm_id \
                and message["data"]["capsul"]["state"] == state:
            return message


async def test_only_logged_in_people_from_this_origin_may_connect(console, mail, people):
    visitor = people()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await connect(visitor)
    assert refused.value.status == 401
    alice = await logged_in(people, mail, ALICE)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await connect(alice, origin="https://evil.example")
    assert refused.value.status == 403
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await connect(alice, "?scope=all")
    assert refused.value.status == 403  # only admins watch everything
    ws = await connect(alice)
    assert (await next_message(ws))["type"] == "snapshot"
    await ws.close()


async def test_with_base_url_set_only_its_origin_may_connect(start_node, pool):
    """The Origin check also let the request's own Host through, which the client writes."""
    from capsul.hub.accounts import login_tokens
    node = await start_node(BASE_URL="http://capsul.example")
    alice = ConsoleClient(node.console_url)
    try:
        token = await login_tokens.issue(pool, ALICE, None)
        await alice.open_login_link(f"{node.console_url}/login/{token}")
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await connect(alice)  # Origin: the console's own address, as the Host header says
        assert refused.value.status == 403
        ws = await connect(alice, origin="http://capsul.example")
        assert (await next_message(ws))["type"] == "snapshot"
        await ws.close()
    finally:
        await alice.close()


async def test_snapshot_then_deltas_of_ones_own_capsuls_only(console, mail, people, pool):
    alice = await logged_in(people, mail, ALICE, key=True)
    bob = await logged_in(people, mail, BOB, key=True)
    earlier = await create_capsul(alice, pool)
    alice_ws, bob_ws = await connect(alice), await connect(bob)
    snapshot = await next_message(alice_ws)
    assert snapshot["type"] == "snapshot"
    assert [c["id"] for c in snapshot["data"]["capsuls"]] == [earlier]
    assert "account" not in snapshot["data"]["capsuls"][0] and "host_id" not in snapshot["data"]["capsuls"][0]
    assert (await next_message(bob_ws))["data"]["capsuls"] == []

    vm_id = await create_capsul(alice, pool)
    running = await until_state(alice_ws, vm_id, "running")
    capsul = running["data"]["capsul"]
    assert capsul["public_ipv4"].startswith("192.0.2.") and capsul["size"] == "f1-xs"
    assert capsul["actions"] == ["shutdown", "force-stop", "reboot"] and capsul["deletable"]
    assert running["data"]["event"]["state"] == "running"

    await alice.post(f"/capsuls/{vm_id}/actions", {"action": "force-stop"})
    stopped = await until_state(alice_ws, vm_id, "stopped")
    assert stopped["data"]["capsul"]["actions"] == ["start"]

    # Bob saw none of it; his own capsul does reach him.
    mine = await create_capsul(bob, pool)
    message = await next_message(bob_ws)  # the first thing he gets is about his own capsul
    assert message["type"] == "capsul.state" and message["data"]["capsul"]["id"] == mine
    await until_state(bob_ws, mine, "running")
    await alice_ws.close()
    await bob_ws.close()


async def test_watching_another_persons_capsul_shows_nothing(console, mail, people, pool):
    alice = await logged_in(people, mail, ALICE, key=True)
    vm_id = await create_capsul(alice, pool)
    bob = await logged_in(people, mail, BOB)
    ws = await connect(bob, f"?capsul={vm_id}")
    snapshot = await next_message(ws)
    assert snapshot["data"] == {"capsuls": [], "watched": None}
    await alice.post(f"/capsuls/{vm_id}/actions", {"action": "force-stop"})
    with pytest.raises(TimeoutError):
        await next_message(ws, timeout=1.5)
    await ws.close()


async def test_the_detail_snapshot_carries_the_timeline(console, mail, people, pool):
    alice = await logged_in(people, mail, ALICE, key=True)
    vm_id = await create_capsul(alice, pool)
    ws = await connect(alice, f"?capsul={vm_id}")
    snapshot = await next_message(ws)
    states = [e["state"] for e in snapshot["data"]["events"]]
    assert states[:2] == ["pending", "creating"] and snapshot["data"]["watched"]["id"] == vm_id
    await ws.close()


async def test_admins_watching_everything_see_every_capsul_and_host_changes(console, mail, people, pool):
    alice = await logged_in(people, mail, ALICE, key=True)
    admin = await logged_in(people, mail, ADMIN_EMAIL)
    ws = await connect(admin, "?scope=all")
    assert (await next_message(ws))["type"] == "snapshot"
    vm_id = await create_capsul(alice, pool)
    running = await until_state(ws, vm_id, "running")
    assert running["data"]["capsul"]["account"] == ALICE and running["data"]["capsul"]["host_id"] == "local"
    assert (await next_message(ws, skip=("ping", "capsul.state")))["type"] == "hosts.changed"
    await ws.close()


async def test_pages_resync_after_the_listen_connection_is_lost(console, mail, people, pool):
    alice = await logged_in(people, mail, ALICE, key=True)
    ws = await connect(alice)
    assert (await next_message(ws))["type"] == "snapshot"
    vm_id = await create_capsul(alice, pool)
    await until_state(ws, vm_id, "running")
    async with db.cursor(pool) as cur:  # what a PostgreSQL restart does to the listener
        await cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%%'")
        assert len(await cur.fetchall()) == 1
    resync = await next_message(ws, skip=("ping", "hosts.changed", "capsul.state"))
    assert resync["type"] == "snapshot" and [c["id"] for c in resync["data"]["capsuls"]] == [vm_id]
    await console.change_listener.listening.wait()
    await alice.post(f"/capsuls/{vm_id}/actions", {"action": "force-stop"})
    await until_state(ws, vm_id, "stopped")  # deltas flow again
    await ws.close()


async def test_a_client_that_falls_behind_its_queue_is_cut_off_alone():
    broadcaster = live.Broadcaster()
    cut = []
    slow = live.LiveClient(ALICE, see_all=False, on_drop=cut.append, bound=3)
    fine = live.LiveClient(ALICE, see_all=False, on_drop=cut.append, bound=100)
    other = live.LiveClient(BOB, see_all=False, on_drop=cut.append, bound=3)
    for client in (slow, fine, other):
        broadcaster.add(client)
    for i in range(10):
        broadcaster.publish(f"message {i}", account=ALICE)
    assert cut == [slow] and slow.dropped and len(slow.waiting) == 3  # bounded: never grew
    assert len(fine.waiting) == 10 and len(other.waiting) == 0  # others unaffected, Bob saw nothing


async def test_a_change_made_through_one_hub_reaches_a_websocket_on_another(start_node, mail, pool):
    first = await start_node(**mail.env())  # hub + the spoke
    await spoke_ready(pool)
    second = await start_node(Role.HUB, **mail.env())  # another hub on the same database
    alice_on_first, alice_on_second = ConsoleClient(first.console_url), ConsoleClient(second.console_url)
    try:
        await alice_on_first.login(mail, ALICE)
        await alice_on_first.post("/ssh-keys", {"content": new_public_key(), "name": "laptop"})
        await alice_on_second.login(mail, ALICE)
        ws = await connect(alice_on_second)
        assert (await next_message(ws))["type"] == "snapshot"
        vm_id = await create_capsul(alice_on_first, pool)
        await until_state(ws, vm_id, "running")
        await alice_on_first.post(f"/capsuls/{vm_id}/actions", {"action": "force-stop"})
        await until_state(ws, vm_id, "stopped")
        await ws.close()
    finally:
        await alice_on_first.close()
        await alice_on_second.close()


async def test_a_stopping_hub_tells_its_websockets_it_is_going_away(console, mail, people):
    """1001 (going away), so pages reconnect at once, to another hub behind the balancer."""
    alice = await logged_in(people, mail, ALICE)
    ws = await connect(alice)
    assert (await next_message(ws))["type"] == "snapshot"
    await console.stop()
    msg = await asyncio.wait_for(ws.receive(), 10)
    assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == aiohttp.WSCloseCode.GOING_AWAY, msg


async def test_an_idle_connection_is_pinged_and_a_busy_one_is_not(console, mail, people, monkeypatch):
    """Pings keep proxies from closing an idle websocket; a connection that had messages in the
    last interval needs none."""
    monkeypatch.setattr(live, "PING_INTERVAL", 0.3)  # the hub's ping loop takes it up within a second
    alice = await logged_in(people, mail, ALICE, key=True)
    ws = await connect(alice)
    assert (await next_message(ws))["type"] == "snapshot"
    started = time.monotonic()
    assert (await next_message(ws, skip=("hosts.changed",), timeout=5))["type"] == "ping"
    # not before a whole round has passed with nothing sent (the snapshot counts as sent)
    assert time.monotonic() - started >= 0.25

    seen = []
    for _ in range(15):  # a message every 0.1 s for 1.5 s (five intervals): no ping among them
        console.broadcaster.publish(live.envelope("capsul.test", {}), account=ALICE)
        await asyncio.sleep(0.1)
    while seen.count("capsul.test") < 15:
        seen.append((await next_message(ws, skip=("hosts.changed",), timeout=5))["type"])
    assert "ping" not in seen
    await ws.close()
