#!/usr/bin/env python3
"""Database failover: how long from the primary's machine dying to the first create a hub
acknowledges again, and how many acknowledged events are lost, over several failovers.

Each round: a primary with a synchronous standby (tests/replication.py), one capsul node (hub
+ spoke, in this process) whose DATABASE_URL names both with target_session_attrs=read-write,
creates one after another through the service layer, and a stream of suspend/resume events
on three capsuls straight through libvirt (the spoke must hold them while no database takes
them). The primary's postmaster and backends are SIGKILLed at once, and the standby promoted
as a cluster manager would (at once). Measured: kill -> first create acknowledged; kill ->
promoted; then, once the spoke's outbox is empty, every event it was acknowledged for must be
committed, each capsul's trail in the spoke's order.

    .venv/bin/python bench/failover.py [--rounds 3] [--json out.json]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import ACCOUNT, bench_node, wait_all_running  # noqa: E402,I001

from capsul.hub import capsuls, db  # noqa: E402
from tests.replication import both_hosts_dsn, kill_machine, promote, replicated_pair  # noqa: E402

DATABASE = "bench_failover"
EVENTS_BEFORE_KILL = 2.0  # seconds of load before the primary dies


async def one_round() -> dict:
    folder = Path(tempfile.mkdtemp(prefix="capsul-bench-failover-"))
    folder.chmod(0o755)
    try:
        async with replicated_pair(folder, DATABASE) as (primary, standby):
            async with bench_node(DATABASE_URL=both_hosts_dsn(primary, standby, DATABASE), STOPPED_DEBOUNCE="0",
                                  HEARTBEAT_INTERVAL="1", HEARTBEAT_TIMEOUT="1") as bench:
                return await _fail_over_under_load(bench, primary, standby)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def _fail_over_under_load(bench, primary, standby) -> dict:
    node = bench.node
    bursting = [(await capsuls.create_capsul(node.hub, ACCOUNT, "f1-xs", "debian12", ["k"]))["id"] for _ in range(3)]
    await wait_all_running(node.pool, 3)
    async with db.cursor(node.pool) as cur:
        await cur.execute("SELECT last_applied_seq FROM hosts WHERE id = 'local'")
        baseline = (await cur.fetchone())["last_applied_seq"]
    acknowledged: list[float] = []
    commanded: dict[str, list[str]] = {vm_id: [] for vm_id in bursting}
    stop = asyncio.Event()

    async def creates() -> None:
        while not stop.is_set():
            try:
                vm = await capsuls.create_capsul(node.hub, ACCOUNT, "f1-xs", "debian12", ["k"])
                acknowledged.append(time.monotonic())
                await capsuls.destroy_capsul(node.hub, ACCOUNT, vm["id"])
            except Exception:
                await asyncio.sleep(0.05)  # refused in the gap (503): the next try

    async def events(vm_id: str) -> None:
        while not stop.is_set():
            for command, state in (("suspend", "paused"), ("resume", "running")):
                await node.hypervisor.command(vm_id, command)
                commanded[vm_id].append(state)
            await asyncio.sleep(0.02)

    loads = [asyncio.create_task(creates())] + [asyncio.create_task(events(v)) for v in bursting]
    try:
        await asyncio.sleep(EVENTS_BEFORE_KILL)  # a bench: the load runs a fixed while before the kill
        kill_machine(primary)
        killed_at = time.monotonic()
        await promote(standby)
        promoted_at = time.monotonic()
        async with asyncio.timeout(120):  # a hub that never recovers ends the bench
            while not any(t > killed_at for t in acknowledged):
                await asyncio.sleep(0.005)
        first_create = min(t for t in acknowledged if t > killed_at)
        await asyncio.sleep(1.0)  # some more load on the new primary
    finally:
        stop.set()
        await asyncio.gather(*loads)
    async with asyncio.timeout(120):
        while node.spoke_state.events_waiting:
            await asyncio.sleep(0.05)
    acked = node.spoke_state.last_event_seq
    lost = 0
    async with db.cursor(node.pool) as cur:
        await cur.execute("SELECT last_applied_seq FROM hosts WHERE id = 'local'")
        applied = (await cur.fetchone())["last_applied_seq"]
        for vm_id, trail in commanded.items():
            await cur.execute("SELECT state FROM vm_events WHERE vm_id = %s AND host_id = 'local' AND seq > %s "
                              "ORDER BY seq", (vm_id, baseline))
            committed = [r["state"] for r in await cur.fetchall()]
            lost += len(trail) - len(committed) if committed == trail[:len(committed)] else len(trail)
    return {"kill_to_first_create_s": round(first_create - killed_at, 3),
            "kill_to_promoted_s": round(promoted_at - killed_at, 3),
            "creates_acknowledged": len(acknowledged), "events": sum(map(len, commanded.values())),
            "events_lost": lost, "acknowledged_seq_applied": applied >= acked}


async def main(rounds: int) -> dict:
    runs = [await one_round() for _ in range(rounds)]
    first = [r["kill_to_first_create_s"] for r in runs]
    return {"rounds": runs, "kill_to_first_create_s": {"p50": statistics.median(first), "max": max(first)},
            "events": sum(r["events"] for r in runs), "events_lost": sum(r["events_lost"] for r in runs),
            "every_acknowledged_seq_applied": all(r["acknowledged_seq_applied"] for r in runs)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    r = asyncio.run(main(args.rounds))
    for run in r["rounds"]:
        print(run)
    print(f"primary killed -> first create acknowledged: p50 {r['kill_to_first_create_s']['p50']} s, "
          f"max {r['kill_to_first_create_s']['max']} s over {args.rounds} failovers; events lost "
          f"{r['events_lost']} of {r['events']}")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2) + "\n")
