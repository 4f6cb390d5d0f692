"""PostgreSQL failover under a running hub: a primary with a synchronous standby (initdb,
pg_basebackup -R, synchronous_standby_names), a hub+spoke node whose DATABASE_URL names both
with target_session_attrs=read-write, creates and actions under way; the primary is
SIGKILLed and the standby promoted. The hubs find the new primary by themselves; every create
acknowledged is there; hub and host converge; no request hangs; a live client on a second hub
gets a fresh snapshot and the changes after.
"""
from __future__ import annotations

import asyncio
import json
import os
import pwd
import shutil
import signal
import time

import aiohttp
import aiopg
import pytest

from capsul.config import Role
from capsul.embedded_postgres import SUPERUSER, EmbeddedPostgres
from capsul.hub import capsuls, db
from capsul.hub.accounts import api_tokens
from tests.conftest import ALICE, add_account_with_key, eventually, shared_tmpdir, spoke_ready
from tests.convergence import assert_converged

pytestmark = pytest.mark.slow

DATABASE = "capsul_failover"
REQUEST_BOUND = 30.0  # seconds: a request that takes longer than this during the gap counts as hung


async def sql(dsn: str, statement: str) -> list:
    async with aiopg.connect(dsn, timeout=10) as conn:
        async with conn.cursor() as cur:
            await cur.execute(statement)
            return await cur.fetchall() if cur.description else []


@pytest.fixture
async def replicated():
    """(primary, standby): a primary and a synchronous standby made from it, both stopped afterwards."""
    folder = shared_tmpdir("capsul-test-failover-")
    primary = EmbeddedPostgres(folder / "primary", database=DATABASE)
    standby = EmbeddedPostgres(folder / "standby", database=DATABASE)
    try:
        await primary.ensure_running()
        standby.data_dir.mkdir(mode=0o700)
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(standby.data_dir, user.pw_uid, user.pw_gid)
        await primary._run("pg_basebackup", "-h", str(primary.data_dir), "-U", SUPERUSER, "-D", str(standby.data_dir),
                           "-R", "-X", "stream", "-c", "fast")
        for lock in standby.data_dir.glob(".s.PGSQL.*.lock"):  # the primary's socket lock, copied with its folder
            lock.unlink()
        await standby.start()
        await sql(primary.dsn, "ALTER SYSTEM SET synchronous_standby_names = '*'")
        await sql(primary.dsn, "SELECT pg_reload_conf()")

        async def synchronous():
            rows = await sql(primary.dsn, "SELECT sync_state FROM pg_stat_replication")
            return rows and rows[0][0] == "sync"
        await eventually(synchronous, within=30)
        yield primary, standby
    finally:
        for cluster in (standby, primary):
            try:
                await cluster.stop()
            except Exception:
                pass  # the killed primary cannot be stopped; its processes are gone
        shutil.rmtree(folder, ignore_errors=True)


def kill_postmaster(cluster: EmbeddedPostgres) -> None:
    pid = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)


async def test_the_hub_follows_a_promoted_standby_and_loses_nothing_acknowledged(replicated, start_node, pool):
    primary, standby = replicated
    dsn = (f"dbname={DATABASE} user={SUPERUSER} host={primary.data_dir},{standby.data_dir} "
           "target_session_attrs=read-write connect_timeout=3")
    node = await start_node(DATABASE_URL=dsn)
    other_hub = await start_node(Role.HUB, DATABASE_URL=dsn)
    await spoke_ready(node.pool)
    await add_account_with_key(node.pool)
    token, _ = await api_tokens.create_token(node.pool, ALICE, "watch", "read", None)
    session = aiohttp.ClientSession()
    watcher = await session.ws_connect(other_hub.console_url + "/ws", headers={"Authorization": f"Bearer {token}"})
    messages: list[dict] = []

    async def watch() -> None:  # a live client on the other hub, through the failover
        async for msg in watcher:
            if msg.type == aiohttp.WSMsgType.TEXT:
                messages.append({**json.loads(msg.data), "received": time.monotonic()})
    watching = asyncio.create_task(watch())

    acknowledged: list[str] = []
    acknowledged_at: list[float] = []
    slowest = [0.0]
    stop = asyncio.Event()

    async def load() -> None:
        """Creates one after another; each either returns or fails, never hangs."""
        while not stop.is_set():
            started = time.monotonic()
            try:
                async with asyncio.timeout(REQUEST_BOUND):
                    vm = await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"])
                    acknowledged.append(vm["id"])
                    acknowledged_at.append(time.monotonic())
                    await capsuls.destroy_capsul(node.hub, ALICE, vm["id"])  # its room is free for the next
            except TimeoutError:
                raise AssertionError(f"a create hung for {REQUEST_BOUND} s during the failover") from None
            except Exception:
                await asyncio.sleep(0.1)  # refused during the gap: the next try
            slowest[0] = max(slowest[0], time.monotonic() - started)

    loader = asyncio.create_task(load())
    await eventually(lambda: _at_least(acknowledged, 3), within=30)
    kill_postmaster(primary)
    killed_at = time.monotonic()
    await standby._run("pg_ctl", "-D", str(standby.data_dir), "promote", "-w", "-t", "60")
    promoted_at = time.monotonic()

    async def written_to_the_new_primary():  # three creates acknowledged after the promotion
        return sum(1 for t in acknowledged_at if t > promoted_at) >= 3
    await eventually(written_to_the_new_primary, within=90)
    stop.set()
    await loader
    recovered_after = min(t for t in acknowledged_at if t > killed_at) - killed_at
    print(f"first create acknowledged {recovered_after:.2f} s after the primary was killed (promotion included); "
          f"{len(acknowledged)} creates acknowledged; slowest request {slowest[0]:.2f} s")

    async with db.cursor(node.pool) as cur:
        await cur.execute("SELECT id FROM vms WHERE id = ANY(%s)", (acknowledged,))
        found = {r["id"] for r in await cur.fetchall()}
    assert found == set(acknowledged), f"acknowledged but lost: {set(acknowledged) - found}"
    rows = await sql(standby.dsn, "SELECT pg_is_in_recovery()")
    assert rows == [(False,)]  # the hub writes to the promoted standby
    await assert_converged(node.hub, within=60)

    # the other hub's live client gets a fresh snapshot after the failover (what it missed), then new changes
    async def resynced():
        return any(m["type"] == "snapshot" and m["received"] > promoted_at for m in messages)

    try:
        await eventually(resynced, within=30)
        vm = await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"])

        async def told():
            return any(m["type"] == "capsul.state" and m["data"]["capsul"]["id"] == vm["id"] for m in messages)
        await eventually(told, within=30)
    finally:
        watching.cancel()
        await watcher.close()
        await session.close()


async def _at_least(items: list, count: int) -> bool:
    return len(items) >= count
