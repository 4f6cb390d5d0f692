"""PostgreSQL failover under running hubs: a primary with a synchronous standby (initdb,
pg_basebackup -R, synchronous_standby_names); two hubs whose DATABASE_URL names both with
target_session_attrs=read-write, two spokes (one pushing its events to each hub), billing on;
creates, deletes and stop/start actions through both hubs, bursts of stop/start events on both
spokes and a live websocket client under way. The primary is SIGKILLed and the standby promoted. The hubs find the
new primary by themselves; every create acknowledged is there; every event a spoke was
acknowledged for is there, in its order; no capsul has two owners; every capsul is charged each
hour it existed, once; no request hangs; the live client gets a fresh snapshot and the changes after.
"""
from __future__ import annotations

import asyncio
import json
import shutil
import time
import uuid
from decimal import Decimal

import aiohttp
import pytest

from capsul import signing, tls, vm_states
from capsul.config import Role
from capsul.hub import capsuls, db
from capsul.hub.accounts import api_tokens
from capsul.hub.db import ledger
from tests.conftest import (HEALTH_HEADERS, ALICE, add_account_with_key, eventually, shared_tmpdir, wait_for_state,
                            when)
from tests.convergence import assert_converged
from tests.replication import both_hosts_dsn, kill_machine, promote, replicated_pair, sql
from tests.spoke_cluster import SpokeSpec, free_port, start_spokes

pytestmark = pytest.mark.slow

DATABASE = "capsul_failover"
REQUEST_BOUND = 30.0  # seconds: a request that takes longer than this during the gap counts as hung


@pytest.fixture
async def replicated():
    """(primary, standby): a primary and a synchronous standby made from it, both stopped afterwards."""
    folder = shared_tmpdir("capsul-test-failover-")
    try:
        async with replicated_pair(folder, DATABASE) as pair:
            yield pair
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def test_hubs_and_spokes_follow_a_promoted_standby_and_lose_nothing_acknowledged(
        replicated, start_node, tls_files):
    primary, standby = replicated
    hub_env = {"DATABASE_URL": both_hosts_dsn(primary, standby, DATABASE), "BILLING_ENABLED": "true", "METERING_INTERVAL": "1", "HEARTBEAT_INTERVAL": "0.5"}
    hubs = [await start_node(Role.HUB, API_LISTEN=f"127.0.0.1:{free_port()}", **hub_env) for _ in range(2)]
    pool = hubs[0].pool
    await add_account_with_key(pool)
    async with db.cursor(pool) as cur:
        await ledger.add_manual_entry(cur, ALICE, Decimal("1000"), "failover test credit", "admin@example.org")
    folder = shared_tmpdir("capsul-test-failover-spokes-")
    clusters = []
    try:
        for i, hub in enumerate(hubs):  # spoke s1 pushes its events to the first hub, s2 to the second
            spec = SpokeSpec(f"s{i + 1}", 16384, 32, f"198.18.{i + 1}.0/24")
            clusters.append(await start_spokes(pool, hub.api_url, [spec], folder, tls_files,
                                               extra_env={"STOPPED_DEBOUNCE": "0"}))
        await _under_load_through_a_failover(primary, standby, hubs, tls_files)
    finally:
        for cluster in clusters:
            await cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


async def _under_load_through_a_failover(primary, standby, hubs, tls_files) -> None:
    pool = hubs[0].pool
    # capsuls whose events come in bursts, created "five hours ago" so metering has hours to catch up
    bursting = [await capsuls.create_capsul(hubs[i % 2].hub, ALICE, "f1-xs", "debian12", ["laptop"])
                for i in range(4)]
    acting = [await capsuls.create_capsul(hubs[i].hub, ALICE, "f1-xs", "debian12", ["laptop"]) for i in range(2)]
    for vm in bursting + acting:
        await wait_for_state(pool, vm["id"], "running")
    async with db.cursor(pool) as cur:
        async with cur.begin():
            ids = [vm["id"] for vm in bursting]
            await cur.execute("UPDATE vms SET created_at = created_at - interval '5 hours' WHERE id = ANY(%s)", (ids,))
            await cur.execute("DELETE FROM charges WHERE vm_id = ANY(%s)", (ids,))
        await cur.execute("""SELECT v.id AS vm_id, h.id AS host_id, h.https_url, h.hub_token, h.last_applied_seq
                             FROM vms v JOIN hosts h ON h.id = v.host_id WHERE v.id = ANY(%s)""", (ids,))
        where = {r["vm_id"]: r for r in await cur.fetchall()}
    token, _ = await api_tokens.create_token(pool, ALICE, "watch", "read", None)

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls.client_context(tls_files.ca)))
    watcher = await session.ws_connect(hubs[1].console_url + "/ws", headers={"Authorization": f"Bearer {token}"})
    messages: list[dict] = []

    async def watch() -> None:  # a live client on the second hub, through the failover
        async for msg in watcher:
            if msg.type == aiohttp.WSMsgType.TEXT:
                messages.append({**json.loads(msg.data), "received": time.monotonic()})

    acknowledged: dict[str, float] = {}  # capsul id -> when its create was acknowledged
    acknowledged_by: list[tuple[int, float]] = []  # (hub, when)
    commanded: dict[str, list[str]] = {vm_id: [] for vm_id in where}  # the events each burst must have caused
    slowest = [0.0]
    stop = asyncio.Event()

    async def bounded(what: str, call):
        started = time.monotonic()
        try:
            async with asyncio.timeout(REQUEST_BOUND):
                return await call
        except TimeoutError:
            raise AssertionError(f"{what} hung for {REQUEST_BOUND} s during the failover") from None
        finally:
            slowest[0] = max(slowest[0], time.monotonic() - started)

    async def churn(i: int) -> None:
        """Creates and deletes through one hub, one after another; each returns or fails, never hangs."""
        while not stop.is_set():
            try:
                vm = await bounded("a create", capsuls.create_capsul(hubs[i].hub, ALICE, "f1-xs", "debian12",
                                                                     ["laptop"]))
                acknowledged[vm["id"]] = time.monotonic()
                acknowledged_by.append((i, time.monotonic()))
                await bounded("a delete", capsuls.destroy_capsul(hubs[i].hub, ALICE, vm["id"]))
            except AssertionError:
                raise
            except Exception:
                await asyncio.sleep(0.1)  # refused during the gap: the next try

    actions_done = [0]

    async def act(i: int) -> None:
        """A person's stop and start through one hub (the console's and the API's path)."""
        vm_id = acting[i]["id"]
        while not stop.is_set():
            for action in ("force-stop", "start"):
                while not stop.is_set():
                    try:
                        await bounded("an action", capsuls.capsul_action(hubs[i].hub, ALICE, vm_id, action))
                        actions_done[0] += 1
                        break
                    except AssertionError:
                        raise
                    except capsuls.WrongState:
                        break  # done already, the answer lost in the gap: the next action
                    except Exception:
                        await asyncio.sleep(0.1)  # refused during the gap: again

    async def burst(vm_id: str) -> None:
        """Stop and start one capsul on its spoke directly, as fast as it goes: a stream of events the
        spoke must keep until a hub has committed them (the database may be gone meanwhile)."""
        spoke = where[vm_id]
        while not stop.is_set():
            for command, event in (("force-stop", "stopped"), ("start", "running")):
                await bounded("a spoke command", signing.signed_post(
                    session, spoke["https_url"], "/spoke/operation",
                    {"id": str(uuid.uuid4()), "type": "vm_state_command", "vm_id": vm_id, "command": command},
                    host_id=spoke["host_id"], token=spoke["hub_token"], direction=signing.HUB_TO_SPOKE, timeout=10))
                commanded[vm_id].append(event)
            await asyncio.sleep(0.05)

    watching = asyncio.create_task(watch())
    loads = [asyncio.create_task(churn(i)) for i in range(2)] + [asyncio.create_task(burst(v)) for v in where]
    loads += [asyncio.create_task(act(i)) for i in range(2)]
    try:
        await eventually(lambda: _at_least(acknowledged_by, 4), within=30)
        kill_machine(primary)
        killed_at = time.monotonic()
        await promote(standby)
        promoted_at = time.monotonic()

        async def both_hubs_write_to_the_new_primary():  # two creates acknowledged by each after the promotion
            return all(sum(1 for h, t in acknowledged_by if h == i and t > promoted_at) >= 2 for i in range(2))
        await eventually(both_hubs_write_to_the_new_primary, within=90)
        stop.set()
        await asyncio.gather(*loads)
        recovered_after = min(t for t in acknowledged.values() if t > killed_at) - killed_at
        print(f"first create acknowledged {recovered_after:.2f} s after the primary was killed (promotion included); "
              f"{len(acknowledged)} creates acknowledged; {actions_done[0]} actions; "
              f"{sum(map(len, commanded.values()))} burst events; "
              f"slowest request {slowest[0]:.2f} s")

        assert await sql(standby.dsn, "SELECT pg_is_in_recovery()") == [(False,)]  # the hubs write to the promoted one
        async with db.cursor(pool) as cur:
            await cur.execute("SELECT id FROM vms WHERE id = ANY(%s)", (list(acknowledged),))
            found = {r["id"] for r in await cur.fetchall()}
        assert found == set(acknowledged), f"acknowledged but lost: {set(acknowledged) - found}"
        assert actions_done[0] >= 4  # people's actions went on through both hubs
        await _every_acknowledged_event_committed(session, pool, where, commanded)
        await assert_converged(hubs[0].hub, within=60)  # one owner each, load = recount, hosts agree
        await _every_hour_charged_once(pool, bursting)

        # the second hub's live client got a fresh snapshot after the failover (what it missed), then new changes
        async def resynced():
            return any(m["type"] == "snapshot" and m["received"] > promoted_at for m in messages)
        await eventually(resynced, within=30)
        vm = await capsuls.create_capsul(hubs[0].hub, ALICE, "f1-xs", "debian12", ["laptop"])

        async def told():
            return any(m["type"] == "capsul.state" and m["data"]["capsul"]["id"] == vm["id"] for m in messages)
        await eventually(told, within=30)
    finally:
        stop.set()
        for task in [*loads, watching]:
            task.cancel()
        await asyncio.gather(*loads, watching, return_exceptions=True)
        await watcher.close()
        await session.close()


async def _every_acknowledged_event_committed(session, pool, where: dict, commanded: dict) -> None:
    """Each spoke empties its outbox into the new primary: the last sequence number the spoke was
    acknowledged for is applied there, and each burst capsul's events are all there, in the
    spoke's order (as many stops and starts as were commanded)."""
    urls = {r["host_id"]: r["https_url"] for r in where.values()}

    async def outboxes_empty():
        acked = {}
        for host_id, url in urls.items():
            async with session.get(url + "/healthz", headers=HEALTH_HEADERS) as answer:
                events = (await answer.json())["spoke"]["events"]
            if events["waiting"]:
                return None
            acked[host_id] = events["acknowledged_through"]
        return acked
    acked = await eventually(outboxes_empty, within=60)
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT id, last_applied_seq FROM hosts WHERE id = ANY(%s)", (list(urls),))
        applied = {r["id"]: r["last_applied_seq"] for r in await cur.fetchall()}
        assert all(applied[h] >= acked[h] for h in urls), f"acknowledged {acked}, applied {applied}"
        for vm_id, spoke in where.items():
            await cur.execute("""SELECT state FROM vm_events WHERE vm_id = %s AND host_id = %s AND seq > %s
                                 ORDER BY seq""", (vm_id, spoke["host_id"], spoke["last_applied_seq"]))
            trail = [r["state"] for r in await cur.fetchall()]
            assert len(commanded[vm_id]) >= 2 and trail == commanded[vm_id], \
                f"{vm_id}: {len(commanded[vm_id])} events commanded, {len(trail)} committed"


async def _every_hour_charged_once(pool, bursting: list[dict]) -> None:
    """Both hubs metered every second through the failover: each capsul that was built is charged
    for every hour from its creation to now (or its deletion), each hour once, and for no other."""
    async def charges_match():
        async with db.cursor(pool) as cur:
            await cur.execute(
                """WITH expected AS (
                       SELECT v.id AS vm_id, h.hour FROM vms v CROSS JOIN LATERAL generate_series(
                           date_trunc('hour', v.created_at), date_trunc('hour', coalesce(v.deleted_at, now())),
                           interval '1 hour') AS h(hour)
                       WHERE v.state <> ALL(%s))
                   SELECT (SELECT count(*) FROM (SELECT * FROM expected EXCEPT SELECT vm_id, hour FROM charges) m)
                              AS missing,
                          (SELECT count(*) FROM (SELECT vm_id, hour FROM charges EXCEPT SELECT * FROM expected) e)
                              AS extra,
                          (SELECT count(*) - count(DISTINCT (vm_id, hour)) FROM charges) AS twice""",
                (list(vm_states.NEVER_BUILT),))
            return await cur.fetchone()
    counts = await eventually(lambda: when(charges_match, lambda r: r["missing"] == 0), within=30)
    assert (counts["extra"], counts["twice"]) == (0, 0), counts
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT vm_id, count(*) AS hours FROM charges WHERE vm_id = ANY(%s) GROUP BY vm_id",
                          ([vm["id"] for vm in bursting],))
        assert all(r["hours"] >= 6 for r in await cur.fetchall())  # the five back-dated hours caught up


async def _at_least(items: list, count: int) -> bool:
    return len(items) >= count
