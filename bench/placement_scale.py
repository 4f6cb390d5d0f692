#!/usr/bin/env python3
"""Placement at a large provider's size: 1,000 hosts and 100,000 live capsuls in the database.

Times one placement decision (the advisory lock and `rank_hosts`, in a transaction, as the
dispatcher makes it: the best few hosts with room) with what each host's capsuls take kept in
`host_load` (deltas appended by a trigger on vms, folded at each decision), against the same decision recounting every live capsul and
ranking every host (the query this replaced), in the same run; and checks that the kept load
equals a recount.

    .venv/bin/python bench/placement_scale.py [--hosts 1000] [--capsuls 100000] [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import ACCOUNT, bench_node, summary  # noqa: E402,I001

from capsul.hub import db  # noqa: E402
from capsul.hub.db import placement  # noqa: E402

PARALLELISM = 1  # CREATE_OFFER_PARALLELISM's default
RECOUNT = """
    WITH placed AS (
        SELECT v.host_id, s.vcpus, s.memory_mb FROM vms v JOIN vm_sizes s ON s.id = v.size
        WHERE v.host_id IS NOT NULL AND v.state NOT IN ('deleted', 'failed')
      UNION ALL
        SELECT ho.host_id, s.vcpus, s.memory_mb
        FROM host_operation ho JOIN operations o ON o.id = ho.operation_id
        JOIN vms v ON v.id = o.vm_id JOIN vm_sizes s ON s.id = v.size
        WHERE ho.assignment_status = 'offered' AND o.status = 'pending'),
    used AS (SELECT host_id, sum(vcpus) AS vcpus, sum(memory_mb) AS memory_mb FROM placed GROUP BY host_id),
    pools AS (
        SELECT hn.host_id, sum(hn.last_usable - hn.first_usable + 1) FILTER (WHERE hn.gateway IS NOT NULL) AS size
        FROM host_network hn GROUP BY hn.host_id),
    taken AS (
        SELECT host_id, count(*) AS n FROM vms
        WHERE public_ipv4 IS NOT NULL AND state NOT IN ('deleted', 'failed') GROUP BY host_id)
    SELECT h.id, floor((h.capacity->>'memory_mb')::numeric) - coalesce(u.memory_mb, 0) AS free_memory_mb,
           floor((h.capacity->>'cpus')::numeric) - coalesce(u.vcpus, 0) AS free_vcpus,
           coalesce(p.size, 0) - coalesce(t.n, 0) AS free_addresses
    FROM hosts h LEFT JOIN used u ON u.host_id = h.id LEFT JOIN pools p ON p.host_id = h.id
         LEFT JOIN taken t ON t.host_id = h.id
    WHERE h.online AND h.capacity IS NOT NULL
    ORDER BY free_memory_mb DESC, free_vcpus DESC, h.id"""


async def populate(pool, hosts: int, capsuls: int) -> None:
    """Hosts with a /16 pool each (10.0.0.0/8 split up) and capsuls spread over them, made in SQL."""
    async with db.cursor(pool) as cur:
        await cur.execute(
            """INSERT INTO hosts (id, https_url, token, hub_token, online, capacity)
               SELECT 'h' || g, 'https://127.0.0.1:1', md5('t' || g) || md5('u' || g), md5('h' || g) || md5('k' || g),
                      true, '{"cpus": 256, "memory_mb": 262144, "committed_cpus": 0, "committed_memory_mb": 0}'
               FROM generate_series(1, %s) g""", (hosts,))
        await cur.execute(
            """INSERT INTO host_network (host_id, cidr, first_usable, last_usable, gateway, network_name)
               SELECT 'h' || g, cidr, host(cidr)::inet + 2, host(broadcast(cidr))::inet - 1, host(cidr)::inet + 1, 'default'
               FROM (SELECT g, ('10.' || (g / 256) || '.' || (g %% 256) || '.0/24')::cidr AS cidr
                     FROM generate_series(1, %s) g) n""", (hosts,))
        for start in range(0, capsuls, 10_000):  # statements short enough for the pool's timeout
            await cur.execute(
                """INSERT INTO vms (id, account, size, os, host_id, state, public_ipv4)
                   SELECT 'capsul-' || lpad(to_hex(g), 10, '0'), %s, 'f1-xs', 'debian12', 'h' || (1 + g %% %s),
                          'running', ('10.' || ((1 + g %% %s) / 256) || '.' || ((1 + g %% %s) %% 256) || '.'
                                      || (2 + g / %s))::inet
                   FROM generate_series(%s, %s) g""",
                (ACCOUNT, hosts, hosts, hosts, hosts, start + 1, min(capsuls, start + 10_000)))
        async with cur.begin():  # the first decision folds the 100,000 inserts' load deltas
            await placement.lock_placement(cur)
            await placement.fold_load(cur)
        await cur.execute("VACUUM ANALYZE")  # as autovacuum leaves the tables after that


async def decision_times(pool, query, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        async with db.cursor(pool) as cur:
            async with cur.begin():
                await placement.lock_placement(cur)
                await query(cur)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def admin_pages(bench, runs: int = 30) -> dict:
    """GET /admin, its first page and a search, as an admin's browser would (server time on loopback)."""
    result = {}
    async with aiohttp.ClientSession(cookies={"capsul_session": bench.cookie}) as client:
        for name, query in (("first page", ""), ("search by email", f"?q={ACCOUNT}"), ("search by host", "?q=h500"),
                            ("older capsuls", "?capsuls_before=2000-01-01T00:00:00%2B00:00|capsul-0000000000")):
            times, size = [], 0
            for _ in range(runs):
                started = time.perf_counter()
                async with client.get(bench.console_url + "/admin" + query) as r:
                    body = await r.read()
                    assert r.status == 200, (r.status, body[:200])
                times.append((time.perf_counter() - started) * 1000)
                size = len(body)
            result[name] = {**summary(times), "kb": round(size / 1024)}
    return result


async def main(hosts: int, capsuls: int) -> dict:
    async with bench_node(HEARTBEAT_INTERVAL="3600", ADMIN_EMAIL_ADDRESSES=ACCOUNT) as bench:  # hosts never called
        pool = bench.pool
        started = time.monotonic()
        await populate(pool, hosts, capsuls)
        print(f"made {hosts} hosts and {capsuls} capsuls in {time.monotonic() - started:.0f} s", flush=True)

        async def kept(cur):  # as the dispatcher decides: fold the load's deltas, the best hosts with room
            await placement.fold_load(cur)
            await placement.rank_hosts(cur, cpu_ratio=1.0, memory_ratio=1.0, room_for=(1, 512), limit=PARALLELISM)

        async def recount(cur):
            await cur.execute(RECOUNT)
            await cur.fetchall()

        await decision_times(pool, kept, 5)  # warm the caches
        new = summary(await decision_times(pool, kept, 200))
        old = summary(await decision_times(pool, recount, 40))
        admin = await admin_pages(bench)
        async with db.cursor(pool) as cur:
            drift = await placement.load_differences(cur)
    result = {"hosts": hosts, "capsuls": capsuls, "decision_kept_load": new, "decision_recount": old,
              "ratio_p50": round(old["p50_ms"] / new["p50_ms"], 1), "decisions_per_s_p50": round(1000 / new["p50_ms"]),
              "hosts_whose_load_differs_from_a_recount": len(drift), "admin_pages": admin}
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--capsuls", type=int, default=100_000)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    figures = asyncio.run(main(args.hosts, args.capsuls))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
