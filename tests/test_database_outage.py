"""The hub's database goes away while it runs: clear 503s, no hang, recovery when it returns."""
import asyncio
import shutil

import aiohttp
import pytest

from capsul import signing
from capsul.config import Role
from capsul.embedded_postgres import EmbeddedPostgres
from capsul.hub.accounts import login_tokens
from capsul.node import Node
from tests.conftest import HEALTH_HEADERS, add_account_with_key, config_from, eventually, shared_tmpdir
from tests.console_client import ConsoleClient
from tests.convergence import assert_converged
from tests.test_console import create_capsul
from tests.test_live_updates import connect, next_message, until_state


@pytest.fixture
async def own_postgres():
    """A cluster of its own: this test stops it, which must not disturb the others."""
    folder = shared_tmpdir("capsul-test-outage-")
    pg = EmbeddedPostgres(folder / "data")
    await pg.ensure_running()
    yield pg
    await pg.stop()
    shutil.rmtree(folder, ignore_errors=True)


async def test_database_outage_gives_503_and_recovers(own_postgres, test_env, https):
    node = Node(config_from({**test_env, "DATABASE_URL": own_postgres.dsn}, Role.BOTH))
    await node.start()
    try:
        async with https.get(node.console_url + "/healthz", headers=HEALTH_HEADERS) as resp:
            assert resp.status == 200

        await own_postgres.stop()
        async with https.get(node.console_url + "/healthz", headers=HEALTH_HEADERS) as resp:
            assert resp.status == 503
            report = await resp.json()
        assert report["database"] == {"reachable": False} and report["ok"] is False
        async with https.get(node.api_url + "/healthz", headers=HEALTH_HEADERS) as resp:
            assert resp.status == 503
        async with https.get(node.console_url + "/") as resp:
            assert resp.status == 503
            page = await resp.text()
        assert "database is unavailable" in page and "Traceback" not in page
        body = b"{}"
        header = signing.authorization_header(node.config.spoke_host_token, "local", signing.SPOKE_TO_HUB,
                                              "POST", "/hub/heartbeat", body)
        async with https.post(node.api_url + "/hub/heartbeat", data=body,
                              headers={"Authorization": header}) as resp:
            assert resp.status == 503
            assert await resp.json() == {"ok": False, "status": 503,
                                         "error": "the database is unavailable; try again shortly"}

        await own_postgres.start()

        async def healthy_again():
            async with https.get(node.console_url + "/healthz", headers=HEALTH_HEADERS) as resp:
                return resp.status == 200 and (await resp.json())["spokes"]["online"] == ["local"]

        await eventually(healthy_again)
        async with https.get(node.console_url + "/") as resp:
            assert resp.status == 200
    finally:
        await node.stop()


async def test_postgresql_restarted_under_load(own_postgres, test_env, https):
    """Pages keep being asked for and a VM changes while PostgreSQL is down: every request gets
    a quick 503 (never a hang), the pool recovers, the listener LISTENs again, the open
    websocket gets a fresh snapshot, the change made meanwhile arrives, hub and host converge."""
    node = Node(config_from({**test_env, "DATABASE_URL": own_postgres.dsn, "HEARTBEAT_INTERVAL": "0.5",
                             "HEARTBEAT_TIMEOUT": "0.5"}, Role.BOTH))
    await node.start()
    alice = ConsoleClient(node.console_url)
    load: asyncio.Task | None = None
    try:
        email = await add_account_with_key(node.pool)

        async def online():
            async with https.get(node.console_url + "/healthz", headers=HEALTH_HEADERS) as resp:
                return resp.status == 200 and (await resp.json())["spokes"]["online"] == ["local"]
        await eventually(online)
        token = await login_tokens.issue(node.pool, email, None)
        await alice.open_login_link(f"{node.console_url}/login/{token}")
        vm_id = await create_capsul(alice, node.pool)
        ws = await connect(alice)
        snapshot = await next_message(ws)
        assert snapshot["type"] == "snapshot"
        if {c["id"]: c["state"] for c in snapshot["data"]["capsuls"]}[vm_id] != "running":
            await until_state(ws, vm_id, "running")  # still starting when the page opened

        statuses: list[int] = []

        async def keep_asking():  # a person reloading the list while all this happens
            while True:
                async with alice.session.get(alice.url("/capsuls"), timeout=aiohttp.ClientTimeout(total=20)) as r:
                    statuses.append(r.status)
                await asyncio.sleep(0.05)

        load = asyncio.create_task(keep_asking())
        await eventually(lambda: _at_least(statuses, 5))
        await own_postgres.stop()
        down_from = len(statuses)
        await node.hypervisor.command(vm_id, "force-stop")  # a change while the hub cannot record it
        await eventually(lambda: _at_least(statuses, down_from + 10))
        assert set(statuses[down_from + 1:]) == {503}, statuses[down_from:]

        await own_postgres.start()
        await eventually(lambda: _last_is(statuses, 200), within=30)
        resync = await next_message(ws, skip=("ping", "hosts.changed", "capsul.state"), timeout=30)
        assert resync["type"] == "snapshot"
        states = {c["id"]: c["state"] for c in resync["data"]["capsuls"]}
        if states[vm_id] != "stopped":  # the snapshot came before the spoke's retried event
            await until_state(ws, vm_id, "stopped")
        await assert_converged(node.hub)
        await ws.close()
    finally:
        if load is not None:
            load.cancel()
        await alice.close()
        await node.stop()


async def _at_least(values: list, n: int) -> bool:
    return len(values) >= n


async def _last_is(values: list, value) -> bool:
    return bool(values) and values[-1] == value
