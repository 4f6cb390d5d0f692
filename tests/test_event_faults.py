"""Faults that events must survive: the hub down for 30 s, a spoke restarting."""
import asyncio
import shutil

import aiohttp
import pytest

from capsul import signing, tls
from capsul.config import Role
from capsul.hub import capsuls, db
from capsul.hub.db import vms
from capsul.spoke.journal import BLOCK
from tests.conftest import ALICE, add_account_with_key, eventually, shared_tmpdir, wait_for_state, when
from tests.convergence import assert_converged
from tests.spoke_cluster import HOST_XML, SpokeSpec, free_port, start_spokes

pytestmark = pytest.mark.slow


@pytest.fixture
def folder():
    path = shared_tmpdir("capsul-test-faults-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


async def test_changes_made_while_the_hub_is_down_arrive_in_order(start_node, pool, tls_files, folder):
    hub_env = {"API_LISTEN": f"127.0.0.1:{free_port()}", "HEARTBEAT_INTERVAL": "0.5",
               "RESYNC_INTERVAL": "3600"}
    hub = await start_node(Role.HUB, **hub_env)
    await add_account_with_key(pool)
    cluster = await start_spokes(pool, hub.api_url, [SpokeSpec("s1", 8192, 8, "198.18.1.0/24")], folder,
                                 tls_files, extra_env={"STOPPED_DEBOUNCE": "0.5"})
    try:
        vm = await capsuls.create_capsul(hub.hub, ALICE, "f1-xs", "debian12", ["laptop"])
        await wait_for_state(pool, vm["id"], "running")
        async with db.cursor(pool) as cur:
            await cur.execute("SELECT https_url, hub_token, last_applied_seq FROM hosts WHERE id = 's1'")
            spoke = await cur.fetchone()

        await hub.stop()  # the hub is down
        down_at = asyncio.get_running_loop().time()
        expected = []
        connector = aiohttp.TCPConnector(ssl=tls.client_context(tls_files.ca))
        async with aiohttp.ClientSession(connector=connector) as session:
            for i, command in enumerate(["force-stop", "start", "force-stop", "start", "force-stop"]):
                # what a hub (another hub process, say) would send, straight to the spoke
                answer = await signing.signed_post(
                    session, spoke["https_url"], "/spoke/operation",
                    {"id": f"00000000-0000-4000-8000-00000000000{i}", "type": "vm_state_command",
                     "vm_id": vm["id"], "command": command},
                    host_id="s1", token=spoke["hub_token"], direction=signing.HUB_TO_SPOKE, timeout=5)
                expected.append(answer["result"]["state"])
                await asyncio.sleep(2)  # longer than the debounce: each change is its own event
        assert expected == ["stopped", "running", "stopped", "running", "stopped"]
        await asyncio.sleep(max(0.0, 30 - (asyncio.get_running_loop().time() - down_at)))

        hub = await start_node(Role.HUB, **hub_env)  # the hub is back, on the same address

        async def arrived():
            async with db.cursor(pool) as cur:
                await cur.execute("""SELECT state FROM vm_events WHERE vm_id = %s AND host_id = 's1'
                                     AND seq > %s ORDER BY seq""", (vm["id"], spoke["last_applied_seq"]))
                return [r["state"] for r in await cur.fetchall()] == expected

        await eventually(arrived, within=60)
        await wait_for_state(pool, vm["id"], "stopped")
        await assert_converged(hub.hub)
    finally:
        await cluster.stop()


async def test_a_restarted_spoke_is_resynced(start_node, pool, tls_files, folder):
    hub = await start_node(Role.HUB, HEARTBEAT_INTERVAL="0.5", RESYNC_INTERVAL="3600")
    await add_account_with_key(pool)
    # A capsul defined in the host file survives the spoke's restarts (test:/// keeps nothing else).
    kept = "capsul-keptkeptk1"
    host_xml = HOST_XML.replace("</node>", f"""  <domain type="test" state="running">
    <name>{kept}</name><memory>524288</memory><vcpu>1</vcpu><os><type>hvm</type></os>
  </domain>
</node>""")
    spec = SpokeSpec("s1", 8192, 8, "198.18.1.0/24")
    cluster = await start_spokes(pool, hub.api_url, [spec], folder, tls_files, host_xml=host_xml)
    try:
        async with db.cursor(pool) as cur:  # the hub knows it, but believes it stopped
            await vms.insert_pending_vm(cur, kept, ALICE, "f1-xs", "debian12", [])
            await cur.execute("""UPDATE vms SET host_id = 's1', state = 'stopped',
                                     state_changed_at = now() - interval '1 hour' WHERE id = %s""", (kept,))
        made = await capsuls.create_capsul(hub.hub, ALICE, "f1-xs", "debian12", ["laptop"])
        await wait_for_state(pool, made["id"], "running")

        process = cluster.processes["s1"]
        await process.kill()
        await process.start()  # same journal folder: numbering continues past the reserved block

        await wait_for_state(pool, kept, "running")  # corrected by the resync on restart
        await wait_for_state(pool, made["id"], "crashed")  # gone from the restarted test host: as libvirt says

        async def numbered_on():  # the restarted spoke continued past its reserved block
            async with db.cursor(pool) as cur:
                await cur.execute("SELECT last_event_seq FROM hosts WHERE id = 's1'")
                return (await cur.fetchone())["last_event_seq"] >= BLOCK

        await eventually(numbered_on)
    finally:
        await cluster.stop()


async def test_the_hub_restarted_during_a_burst_of_events(start_node, pool, tls_files, folder):
    """20 capsuls each stopped and started while the hub is stopped and started again in the
    middle of it: every event arrives once, in the spoke's order, and everything converges."""
    hub_env = {"API_LISTEN": f"127.0.0.1:{free_port()}", "HEARTBEAT_INTERVAL": "0.5", "RESYNC_INTERVAL": "3600"}
    hub = await start_node(Role.HUB, **hub_env)
    await add_account_with_key(pool)
    cluster = await start_spokes(pool, hub.api_url, [SpokeSpec("s1", 16384, 32, "198.18.1.0/24")], folder,
                                 tls_files, extra_env={"STOPPED_DEBOUNCE": "0"})
    try:
        made = [await capsuls.create_capsul(hub.hub, ALICE, "f1-xs", "debian12", ["laptop"]) for _ in range(20)]
        for vm in made:
            await wait_for_state(pool, vm["id"], "running")
        async with db.cursor(pool) as cur:
            await cur.execute("SELECT https_url, hub_token, last_applied_seq FROM hosts WHERE id = 's1'")
            spoke = await cur.fetchone()

        connector = aiohttp.TCPConnector(ssl=tls.client_context(tls_files.ca))
        async with aiohttp.ClientSession(connector=connector) as session:
            async def command(i: int, vm_id: str, what: str) -> None:
                await signing.signed_post(
                    session, spoke["https_url"], "/spoke/operation",
                    {"id": f"00000000-0000-4000-8000-{i:012d}", "type": "vm_state_command", "vm_id": vm_id,
                     "command": what}, host_id="s1", token=spoke["hub_token"], direction=signing.HUB_TO_SPOKE,
                    timeout=10)

            n = 0
            for round_ in range(2):
                for vm in made:
                    await command(n := n + 1, vm["id"], "force-stop")
                    await command(n := n + 1, vm["id"], "start")
                    if round_ == 0 and vm is made[9]:
                        await hub.stop()  # mid-burst: half the events are queued on the spoke
                if round_ == 0:
                    hub = await start_node(Role.HUB, **hub_env)

        async def all_arrived():
            async with db.cursor(pool) as cur:
                await cur.execute("""SELECT count(*) AS n, count(DISTINCT seq) AS distinct_seq,
                                            min(seq) AS first, max(seq) AS last FROM vm_events
                                     WHERE host_id = 's1' AND seq > %s""", (spoke["last_applied_seq"],))
                return (await cur.fetchone())
        counts = await eventually(lambda: when(all_arrived, lambda r: r["n"] == 80), within=60)
        assert counts["distinct_seq"] == 80 and counts["last"] - counts["first"] == 79  # each once, no gap
        async with db.cursor(pool) as cur:  # each capsul's trail is stopped, running, stopped, running
            await cur.execute("""SELECT vm_id, array_agg(state ORDER BY seq) AS trail FROM vm_events
                                 WHERE host_id = 's1' AND seq > %s GROUP BY vm_id""", (spoke["last_applied_seq"],))
            trails = {r["vm_id"]: r["trail"] for r in await cur.fetchall()}
        assert trails == {vm["id"]: ["stopped", "running", "stopped", "running"] for vm in made}
        await assert_converged(hub.hub)
    finally:
        await cluster.stop()
