#!/usr/bin/env python3
"""libvirt event on a spoke -> committed in the hub's database: latency percentiles.

Runs hub and spoke in one process (the real HTTPS, signing, outbox and /hub/events path)
on a private PostgreSQL and libvirt's test:///default, suspends and resumes capsul
domains straight through libvirt one at a time, and times each change from the libvirt
call to the NOTIFY that the hub's committing transaction sends (LISTEN on a separate
connection). Usage:

    .venv/bin/python bench/event_latency.py [--events 4000] [--vms 20] [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiopg  # noqa: E402
from harness import ACCOUNT, bench_node, percentile  # noqa: E402,I001

from capsul.hub import capsuls, db  # noqa: E402
from capsul.hub.db import vms  # noqa: E402


async def main(events: int, n_vms: int) -> dict:
    async with bench_node() as bench:
        node, pg_dsn = bench.node, bench.dsn
        made = [await capsuls.create_capsul(node.hub, ACCOUNT, "f1-xs", "debian12", ["k"])
                for _ in range(n_vms)]
        virt = node.hypervisor
        latencies: list[float] = []
        async with aiopg.connect(pg_dsn) as listener:
            async with listener.cursor() as cur:
                await cur.execute(f"LISTEN {vms.NOTIFY_CHANNEL}")

            async def wait_for(vm_id: str, state: str) -> None:
                while True:
                    note = json.loads((await asyncio.wait_for(listener.notifies.get(), 10)).payload)
                    if note["vm_id"] == vm_id and note["state"] == state:
                        return

            async def all_running() -> bool:
                async with db.cursor(node.pool) as cur:
                    await cur.execute("SELECT count(*) AS n FROM vms WHERE state = 'running'")
                    return (await cur.fetchone())["n"] == n_vms

            while not await all_running():
                await asyncio.sleep(0.05)
            while not listener.notifies.empty():
                listener.notifies.get_nowait()
            i = 0
            while len(latencies) < events:
                vm_id = made[i % n_vms]["id"]
                for command, state in (("suspend", "paused"), ("resume", "running")):
                    started = time.perf_counter()
                    await virt.command(vm_id, command)
                    await wait_for(vm_id, state)
                    latencies.append((time.perf_counter() - started) * 1000)
                i += 1
            # A VM destroyed behind the hub's back (what `virsh destroy` does): until the hub
            # shows it stopped. Includes the STOPPED_DEBOUNCE hold that keeps reboots from flapping.
            stops: list[float] = []
            for vm in made[:min(n_vms, 20)]:
                started = time.perf_counter()
                await virt.command(vm["id"], "force-stop")
                await wait_for(vm["id"], "stopped")
                stops.append((time.perf_counter() - started) * 1000)
        return {
            "events": {
                "what": "libvirt event -> hub database commit (NOTIFY received)",
                "count": len(latencies),
                "p50_ms": round(percentile(latencies, 50), 2),
                "p95_ms": round(percentile(latencies, 95), 2),
                "p99_ms": round(percentile(latencies, 99), 2),
                "mean_ms": round(statistics.fmean(latencies), 2),
                "max_ms": round(max(latencies), 2),
            },
            "destroy_to_stopped": {
                "what": f"domain destroyed -> hub shows stopped (STOPPED_DEBOUNCE {node.config.stopped_debounce:g} s)",
                "count": len(stops),
                "p50_ms": round(percentile(stops, 50), 1),
                "max_ms": round(max(stops), 1),
            },
        }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--vms", type=int, default=20)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    figures = asyncio.run(main(args.events, args.vms))
    for name, group in figures.items():
        print(f"{name}: {group['what']}")
        for key, value in group.items():
            if key != "what":
                print(f"  {key:>8}: {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
