#!/usr/bin/env python3
"""The upgrade of a large database: 100,000 capsuls on 1,000 hosts, from the previous release and
from the last release before migrations. How long it takes, the longest lock it holds on `vms`
(and on `hosts`), and how long a read of `vms` made meanwhile waited.

Each starting database is made by that release's own schema (git archive of its commit, as
CHANGELOG.md names it): 0.6.0's schema.sql applied alone, as its hubs did; the previous
release's through its own `run.py migrate` on an empty database. It is then filled in SQL:
1,000 accounts, 1,000 hosts with a pool each, 100,000 running capsuls with two events and a
create operation each. This code's upgrade (capsul/hub/db/migrations/) then runs while

- a watcher samples pg_locks every 2 ms for the locks other sessions hold on vms and hosts;
- a probe reads one capsul's row after another, as console pages do, and times each read.

    .venv/bin/python bench/upgrade.py [--capsuls 100000] [--hosts 1000] [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiopg  # noqa: E402

from capsul.hub import db  # noqa: E402
from capsul.hub.console import changelog  # noqa: E402
from capsul.hub.db import migrations  # noqa: E402
from tests.databases import fresh_cluster, tool  # noqa: E402
from tests.releases import PREVIOUS, cli, extract  # noqa: E402

BEFORE_MIGRATIONS = "0.6.0"  # the last release without capsul/hub/db/migrations/


async def make(pg, tree: Path, version: str) -> None:
    if (tree / "capsul" / "hub" / "db" / "migrations").exists():
        await cli(tree, {"DATABASE_URL": pg.dsn}, "migrate")
    else:
        await tool(pg, "psql", "-d", "capsul", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(tree / "schema.sql"))


async def fill(pool, hosts: int, capsuls: int) -> None:
    async with db.cursor(pool) as cur:
        await cur.execute("INSERT INTO accounts (email) SELECT 'p' || g || '@example.org' FROM generate_series(1, 1000) g")
        await cur.execute(
            """INSERT INTO hosts (id, https_url, token, hub_token, online, capacity)
               SELECT 'h' || g, 'https://127.0.0.1:1', md5('t' || g) || md5('u' || g), md5('h' || g) || md5('k' || g),
                      true, '{"cpus": 256, "memory_mb": 262144, "committed_cpus": 0, "committed_memory_mb": 0}'
               FROM generate_series(1, %s) g""", (hosts,))
        await cur.execute(
            """INSERT INTO host_network (host_id, cidr, first_usable, last_usable, gateway, network_name)
               SELECT 'h' || g, cidr, host(cidr)::inet + 2, host(broadcast(cidr))::inet - 1, host(cidr)::inet + 1,
                      'default'
               FROM (SELECT g, ('10.' || (g / 256) || '.' || (g %% 256) || '.0/24')::cidr AS cidr
                     FROM generate_series(1, %s) g) n""", (hosts,))
        for start in range(0, capsuls, 10_000):
            last = min(capsuls, start + 10_000)
            await cur.execute(
                """INSERT INTO vms (id, account, size, os, host_id, network_name, state, public_ipv4)
                   SELECT 'capsul-' || lpad(to_hex(g), 10, '0'), 'p' || (1 + g %% 1000) || '@example.org', 'f1-xs',
                          'debian12', 'h' || (1 + g %% %s), 'default', 'running',
                          ('10.' || ((1 + g %% %s) / 256) || '.' || ((1 + g %% %s) %% 256) || '.' || (2 + g / %s))::inet
                   FROM generate_series(%s, %s) g""", (hosts, hosts, hosts, hosts, start + 1, last))
            await cur.execute(
                """INSERT INTO vm_events (vm_id, host_id, seq, state, reason)
                   SELECT 'capsul-' || lpad(to_hex(g), 10, '0'), 'h' || (1 + g %% %s), 2 * g + s, s2, 'by the bench'
                   FROM generate_series(%s, %s) g, (VALUES (0, 'creating'), (1, 'running')) e(s, s2)""",
                (hosts, start + 1, last))
            await cur.execute(
                """INSERT INTO operations (id, type, account, vm_id, status, payload, completed_at)
                   SELECT md5('op' || g)::uuid, 'create', 'p' || (1 + g %% 1000) || '@example.org',
                          'capsul-' || lpad(to_hex(g), 10, '0'), 'completed', '{"size": "f1-xs", "os": "debian12"}',
                          now()
                   FROM generate_series(%s, %s) g""", (start + 1, last))
        await cur.execute("VACUUM ANALYZE")


async def watch_locks(dsn: str, skip: set[int], stop: asyncio.Event, held: dict) -> None:
    """Every lock other sessions hold on vms and hosts: (table, pid, mode) -> [first, last] seen."""
    async with aiopg.connect(dsn) as conn, conn.cursor() as cur:
        await cur.execute("SELECT pg_backend_pid()")
        skip.add((await cur.fetchone())[0])
        while not stop.is_set():
            await cur.execute("""SELECT c.relname, l.pid, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                                 WHERE c.relname IN ('vms', 'hosts') AND l.granted AND l.pid <> ALL(%s)""",
                              (list(skip),))
            now = time.monotonic()
            for table, pid, mode in await cur.fetchall():
                held.setdefault((table, pid, mode), [now, now])[1] = now
            await asyncio.sleep(0.002)


async def probe(dsn: str, skip: set[int], stop: asyncio.Event, waits: list[float]) -> None:
    async with aiopg.connect(dsn) as conn, conn.cursor() as cur:
        await cur.execute("SELECT pg_backend_pid()")
        skip.add((await cur.fetchone())[0])
        n = 0
        while not stop.is_set():
            n += 1
            started = time.monotonic()
            await cur.execute("SELECT state FROM vms WHERE id = %s", (f"capsul-{n % 100_000 + 1:010x}",))
            await cur.fetchone()
            waits.append((time.monotonic() - started) * 1000)


async def one(version: str, commit: str, work: Path, hosts: int, capsuls: int) -> dict:
    tree = extract(commit, work / version)
    async with fresh_cluster("capsul-bench-upgrade-") as pg:
        await make(pg, tree, version)
        pool = await db.create_pool(pg.dsn, maxsize=4)
        try:
            started = time.monotonic()
            await fill(pool, hosts, capsuls)
            filled = time.monotonic() - started
            pending = [m.name for m in (await migrations.status(pool)).pending]
            stop, skip, held, waits = asyncio.Event(), set(), {}, []
            side = [asyncio.create_task(watch_locks(pg.dsn, skip, stop, held)),
                    asyncio.create_task(probe(pg.dsn, skip, stop, waits))]
            while len(skip) < 2:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)  # the probe's reads before the upgrade: the baseline
            before = len(waits)
            started = time.monotonic()
            await migrations.upgrade(pool)
            seconds = time.monotonic() - started
            during = waits[before:]
            await asyncio.sleep(0.2)
            stop.set()
            await asyncio.gather(*side)
            assert not (await migrations.status(pool)).pending
        finally:
            pool.close()
            await pool.wait_closed()

    def longest(table: str, modes=None) -> tuple[float, str]:
        spans = [(last - first, mode) for (t, _, mode), (first, last) in held.items()
                 if t == table and (modes is None or mode in modes)]
        return max(spans, default=(0.0, "none"))
    vms_ms, vms_mode = longest("vms")
    hosts_ms, hosts_mode = longest("hosts")
    blocking_ms, _ = longest("vms", ("AccessExclusiveLock",))  # the only mode a plain read waits for
    return {"from": version, "capsuls": capsuls, "hosts": hosts, "fill_s": round(filled, 1), "migrations": pending,
            "seconds": round(seconds, 2), "longest_vms_lock_ms": round(vms_ms * 1000, 1), "vms_lock_mode": vms_mode,
            "longest_hosts_lock_ms": round(hosts_ms * 1000, 1), "hosts_lock_mode": hosts_mode,
            "longest_vms_lock_blocking_reads_ms": round(blocking_ms * 1000, 1),
            "probe_reads": len(during), "probe_max_ms": round(max(during, default=0), 1),
            "probe_p50_ms": round(statistics.median(during), 2) if during else None,
            "probe_baseline_max_ms": round(max(waits[:before], default=0), 1)}


async def main(hosts: int, capsuls: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="capsul-bench-upgrade-"))
    work.chmod(0o755)  # psql runs as postgres, and reads the release's schema.sql
    try:
        commit = next(r.commit for r in changelog.releases() if r.version == BEFORE_MIGRATIONS)
        runs = [await one(PREVIOUS[1], PREVIOUS[0], work, hosts, capsuls),
                await one(BEFORE_MIGRATIONS, commit, work, hosts, capsuls)]
        return {**runs[0], "runs": runs}
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capsuls", type=int, default=100_000)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    r = asyncio.run(main(args.hosts, args.capsuls))
    for run in r["runs"]:
        print(f"from {run['from']} ({', '.join(run['migrations'])}): {run['seconds']} s; longest lock on vms "
              f"{run['longest_vms_lock_ms']} ms ({run['vms_lock_mode']}; blocking reads "
              f"{run['longest_vms_lock_blocking_reads_ms']} ms), on hosts {run['longest_hosts_lock_ms']} ms "
              f"({run['hosts_lock_mode']}); a read of vms meanwhile waited at most {run['probe_max_ms']} ms "
              f"(p50 {run['probe_p50_ms']} ms over {run['probe_reads']} reads; before: max "
              f"{run['probe_baseline_max_ms']} ms)")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2) + "\n")
