#!/usr/bin/env python3
"""Creates per second at a large provider's size: 1,000 spokes online and 100,000 capsuls in
the database, creates arriving from many people at once.

The spokes are real Nodes (bench/spoke_swarm.py, each on a test:/// host of its own with an
address pool), all in one process beside the hub's: their heartbeats, offers, claims and
events are the real HTTPS path. The 100,000 capsuls are rows spread over them (what placement
and the admin pages must read past; the spokes do not run them). Then CONCURRENCY creates at a
time through the service layer the console and the API call, for SECONDS: acknowledged creates
a second (each owned by exactly one spoke), their latency, and afterwards one owner per capsul
and no host over its capacity.

    .venv/bin/python bench/creates_at_scale.py [--spokes 1000] [--capsuls 100000] [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import ACCOUNT, bench_node, spoke_swarm, summary  # noqa: E402,I001

from capsul.hub import capsuls, db  # noqa: E402
from capsul.hub.db import placement  # noqa: E402

PREFIX = "fleet"
CPU_RATIO = 4  # OVERCOMMIT_CPU_RATIO: 64 CPUs a host sold as 256 vCPUs, room for the 100 capsuls a host and more


def pool_cidr(i: int) -> str:
    return f"10.{1 + i // 256}.{i % 256}.0/24"


async def spread_capsuls(pool, spokes: int, count: int) -> None:
    """`count` running capsuls as rows, round-robin over the spokes, each with an address of its host's pool."""
    async with db.cursor(pool) as cur:
        for start in range(0, count, 10_000):  # statements short enough for the pool's timeout
            await cur.execute(
                """INSERT INTO vms (id, account, size, os, host_id, state, public_ipv4)
                   SELECT 'capsul-' || lpad(to_hex(g), 10, '0'), %(account)s, 'f1-xs', 'debian12',
                          %(prefix)s || lpad((g %% %(spokes)s)::text, 3, '0'), 'running',
                          ('10.' || (1 + (g %% %(spokes)s) / 256) || '.' || ((g %% %(spokes)s) %% 256) || '.'
                           || (10 + g / %(spokes)s))::inet
                   FROM generate_series(%(first)s, %(last)s) g""",
                {"account": ACCOUNT, "prefix": PREFIX, "spokes": spokes, "first": start,
                 "last": min(count, start + 10_000) - 1})
        await cur.execute("VACUUM ANALYZE")


async def create_for(bench, seconds: float, concurrency: int) -> tuple[list[float], list[str], float]:
    latencies, errors = [], []
    deadline = time.perf_counter() + seconds

    async def creator() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                await capsuls.create_capsul(bench.node.hub, ACCOUNT, "f1-xs", "debian12", ["k"])
            except Exception as e:  # counted, not fatal: the figure is of acknowledged creates
                errors.append(repr(e))
                continue
            latencies.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    await asyncio.gather(*(creator() for _ in range(concurrency)))
    return latencies, errors, time.perf_counter() - started


async def main(spokes: int, count: int, seconds: float, concurrency: int) -> dict:
    async with bench_node(HEARTBEAT_INTERVAL="5", HEARTBEAT_TIMEOUT="2", OVERCOMMIT_CPU_RATIO=str(CPU_RATIO)) as bench:
        async with db.cursor(bench.pool) as cur:  # only the fleet takes creates
            await cur.execute("DELETE FROM host_network WHERE host_id = 'local'")
        started = time.monotonic()
        async with spoke_swarm(bench, spokes, prefix=PREFIX, own_hosts=True,
                               pool_cidrs=[pool_cidr(i) for i in range(spokes)]):
            print(f"{spokes} spokes online in {time.monotonic() - started:.0f} s", flush=True)
            started = time.monotonic()
            await spread_capsuls(bench.pool, spokes, count)
            print(f"{count} capsuls spread over them in {time.monotonic() - started:.0f} s", flush=True)
            await create_for(bench, 3, concurrency)  # warm up (and fold the 100,000 rows' load deltas)
            decisions_before = bench.node.hub.dispatcher.placement.batches
            latencies, errors, elapsed = await create_for(bench, seconds, concurrency)
            decisions = bench.node.hub.dispatcher.placement.batches - decisions_before
            async with db.cursor(bench.pool) as cur:
                await cur.execute("""SELECT count(*) AS n FROM (SELECT o.vm_id FROM host_operation ho
                                     JOIN operations o ON o.id = ho.operation_id WHERE ho.assignment_status = 'claimed'
                                     GROUP BY o.vm_id HAVING count(*) > 1) x""")
                several_owners = (await cur.fetchone())["n"]
                async with cur.begin():
                    await placement.lock_placement(cur)
                    await placement.fold_load(cur)
                await cur.execute("""SELECT count(*) AS n FROM host_load l JOIN hosts h ON h.id = l.host_id
                                     WHERE l.vcpus > (h.capacity->>'cpus')::int * %s
                                        OR l.memory_mb > (h.capacity->>'memory_mb')::int""", (CPU_RATIO,))
                over_capacity = (await cur.fetchone())["n"]
                await cur.execute("SELECT count(*) AS n FROM vms WHERE state NOT IN ('deleted', 'failed')")
                live = (await cur.fetchone())["n"]
                drift = await placement.load_differences(cur)
    return {"spokes": spokes, "capsuls_before": count, "live_capsuls_after": live, "concurrency": concurrency,
            "seconds": round(elapsed, 1), "creates": len(latencies), "creates_per_s": round(len(latencies) / elapsed, 1),
            "latency": summary(latencies), "placement_decisions": decisions,
            "creates_per_decision": round(len(latencies) / max(1, decisions), 1), "errors": len(errors), "first_errors": errors[:3],
            "capsuls_with_several_owners": several_owners, "hosts_over_capacity": over_capacity,
            "hosts_whose_load_differs_from_a_recount": len(drift)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spokes", type=int, default=1000)
    parser.add_argument("--capsuls", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    r = asyncio.run(main(args.spokes, args.capsuls, args.seconds, args.concurrency))
    print(json.dumps(r, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2) + "\n")
