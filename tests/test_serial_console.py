"""The serial console's doors, on the embedded default (libvirt's test driver, which has no
consoles): who may open one (visitor 401, cross-origin 403, another person's 404, read-only
token 403), the signed hub->spoke upgrade (forged, replayed, stale: 401), a capsul that is not
running, the test driver said plainly, the page and its vendored xterm.js, the API document.

What a real console does (typing, takeover, stop, slow readers, the CLI) is
tests/test_serial_console_guest.py, on real QEMU guests.
"""
from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from capsul import serial_console as wire
from capsul import signing
from capsul.hub import db
from capsul.hub.accounts import api_tokens
from capsul.hub.console import vendor
from capsul.hub.db import hosts
from tests.conftest import ADMIN_EMAIL, wait_for_state
from tests.test_console import ALICE, BOB, create_capsul, logged_in


def console_path(vm_id: str) -> str:
    return f"/capsuls/{vm_id}/console/ws"


async def open_console(person, vm_id: str, *, origin: str | None = "same", **kwargs):
    headers = {"Origin": person.base_url if origin == "same" else origin} if origin else {}
    return await person.session.ws_connect(person.url(console_path(vm_id)), headers=headers, **kwargs)


async def refused(coro) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as e:
        await coro
    return e.value.status


async def end_of(ws, timeout: float = 20) -> tuple[bytes, dict]:
    """Everything shown, and the end frame; the connection is closed after it."""
    shown = b""
    async with asyncio.timeout(timeout):
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.BINARY:
                shown += msg.data
            elif msg.type == aiohttp.WSMsgType.TEXT:
                control = json.loads(msg.data)
                if control["type"] == "end":
                    assert (await ws.receive()).type == aiohttp.WSMsgType.CLOSE  # the hop closes after it
                    await ws.close()
                    return shown, control
    raise AssertionError(f"closed without an end frame after {shown[-200:]!r}")


@pytest.fixture
async def alices_capsul(console, people, mail, pool):
    alice = await logged_in(people, mail, ALICE, key=True)
    vm_id = await create_capsul(alice, pool)
    await wait_for_state(pool, vm_id, "running")
    return alice, vm_id


async def test_who_may_open_a_console(console, people, mail, pool, alices_capsul):
    alice, vm_id = alices_capsul
    visitor = people()
    assert await refused(open_console(visitor, vm_id)) == 401
    assert await refused(open_console(alice, vm_id, origin="https://evil.example")) == 403
    bob = await logged_in(people, mail, BOB)
    assert await refused(open_console(bob, vm_id)) == 404  # as if there were no such capsul
    assert await refused(open_console(bob, "capsul-0000000000")) == 404
    status, _ = await bob.get(f"/capsuls/{vm_id}/console")
    assert status == 404
    status, _ = await visitor.get(f"/capsuls/{vm_id}/console", allow_redirects=False)
    assert status == 303  # to the login page

    api = console.console_url + f"/api/v1/capsuls/{vm_id}/console"
    read_only, _ = await api_tokens.create_token(pool, ALICE, "reader", "read", None)
    bobs, _ = await api_tokens.create_token(pool, BOB, "bobs", "write", None)
    async with aiohttp.ClientSession() as script:
        for token, status in ((None, 401), ("capsul_nonsense", 401), (read_only, 403), (bobs, 404)):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            with pytest.raises(aiohttp.WSServerHandshakeError) as e:
                await script.ws_connect(api, headers=headers)
            assert e.value.status == status, token
        async with script.get(api, headers={"Authorization": f"Bearer {read_only}"}) as r:
            body = await r.json()
        assert r.status == 403 and "read-only" in body["error"] and body["ok"] is False
    # nothing of this was recorded as a console use
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT count(*) AS n FROM vm_events WHERE state = 'console'")
        assert (await cur.fetchone())["n"] == 0


async def test_the_test_driver_has_no_console_and_says_so(console, people, mail, pool, alices_capsul):
    alice, vm_id = alices_capsul
    status, page = await alice.get(f"/capsuls/{vm_id}")
    # no Console button for it (the guest tests have one), and the page says why
    assert f'href="/capsuls/{vm_id}/console"' not in page and "runs on libvirt's test driver" in page
    status, page = await alice.get(f"/capsuls/{vm_id}/console")
    assert status == 200 and 'id="terminal"' in page and vendor.url("xterm.js") in page
    ws = await open_console(alice, vm_id)
    shown, end = await end_of(ws)
    assert shown == b"" and end == {"type": "end", "reason": wire.UNSUPPORTED, "message": wire.MESSAGES[wire.UNSUPPORTED]}

    # an admin may open anyone's: recorded on the capsul's timeline
    admin = await logged_in(people, mail, ADMIN_EMAIL)
    status, page = await admin.get(f"/capsuls/{vm_id}/console")
    assert status == 200 and "recorded on its timeline" in page
    ws = await open_console(admin, vm_id)
    _, end = await end_of(ws)
    assert end["reason"] == wire.UNSUPPORTED
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT reason FROM vm_events WHERE vm_id = %s AND state = 'console'", (vm_id,))
        assert [r["reason"] for r in await cur.fetchall()] == [f"console opened by admin {ADMIN_EMAIL}"]


async def test_a_capsul_that_is_not_running_gets_a_clear_message(console, people, mail, pool, alices_capsul):
    alice, vm_id = alices_capsul
    status, text, _ = await alice.post(f"/capsuls/{vm_id}/actions", {"action": "force-stop"})
    assert status == 200
    await wait_for_state(pool, vm_id, "stopped")
    status, page = await alice.get(f"/capsuls/{vm_id}/console")
    assert status == 200 and wire.MESSAGES[wire.NOT_RUNNING] in page and 'id="terminal"' not in page
    status, page = await alice.get(f"/capsuls/{vm_id}")
    assert f'href="/capsuls/{vm_id}/console"' not in page  # no Console button
    _, end = await end_of(await open_console(alice, vm_id))
    assert end["reason"] == wire.NOT_RUNNING and end["message"] == wire.MESSAGES[wire.NOT_RUNNING]


async def test_the_spoke_refuses_unsigned_forged_replayed_and_stale_upgrades(console, pool, https):
    async with db.cursor(pool) as cur:
        host = await hosts.get_host_to_call(cur, "local")
    path = "/spoke/console/capsul-0000000000"
    url = host["https_url"] + path

    def signed(token: str, ts: int | None = None, method: str = "GET") -> dict:
        return {"Authorization": signing.authorization_header(token, "local", signing.HUB_TO_SPOKE, method, path,
                                                              b"", ts=ts)}

    for headers in ({}, signed("not-the-token"), signed(host["hub_token"], ts=int(time.time()) - 3600),
                    signed(host["hub_token"], method="POST")):
        with pytest.raises(aiohttp.WSServerHandshakeError) as e:
            await https.ws_connect(url, headers=headers)
        assert e.value.status == 401, headers
    good = signed(host["hub_token"])
    ws = await https.ws_connect(url, headers=good)  # signed rightly: let in (and told there is no such capsul)
    _, end = await end_of(ws)
    assert end["reason"] == wire.NOT_RUNNING
    with pytest.raises(aiohttp.WSServerHandshakeError) as e:
        await https.ws_connect(url, headers=good)  # the same request again
    assert e.value.status == 401


async def test_vendored_terminal_and_api_document(console):
    async with aiohttp.ClientSession() as client:
        async with client.get(console.console_url + vendor.url("xterm.js")) as r:
            body = await r.read()
            assert r.status == 200 and b"Terminal" in body and "max-age" in r.headers["Cache-Control"]
        assert body == (vendor.NODE_MODULES / "@xterm/xterm/lib/xterm.js").read_bytes()
        for name in ("package.json", "..%2F..%2Fpackage.json", "xterm.mjs"):
            async with client.get(console.console_url + f"/static/vendor/{name}") as r:
                assert r.status == 404, name
        async with client.get(console.console_url + "/api/v1/openapi.json") as r:
            document = await r.json()
    operation = document["paths"]["/capsuls/{vm_id}/console"]["get"]
    assert "websocket" in operation["description"].lower() and "101" in operation["responses"]
    lock = json.loads((vendor.REPO_ROOT / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/@xterm/xterm"]
    assert pinned["integrity"].startswith("sha512-") and pinned["version"] == vendor.version("@xterm/xterm")
