#!/usr/bin/env python3
"""100 spokes: how long the hub's heartbeat sweep takes, and what it does to web requests.

The hub (this process) sweeps every spoke at once each HEARTBEAT_INTERVAL; the spokes run in
another process (bench/spoke_swarm.py), each a real Node on test:///default answering signed
HTTPS heartbeats. Web latency (GET /capsuls, logged in) is measured in the same run with no
spokes and then with 100, so the sweep's cost shows as a ratio.

    .venv/bin/python bench/heartbeat_sweep.py [--spokes 100] [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp  # noqa: E402
from harness import bench_node, spoke_swarm, summary  # noqa: E402,I001

from capsul.hub import db  # noqa: E402


async def page_latency(bench, seconds: float) -> list[float]:
    times = []
    async with aiohttp.ClientSession(headers={"Cookie": f"capsul_session={bench.cookie}"}) as session:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            async with session.get(bench.console_url + "/capsuls") as r:
                await r.read()
            times.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.01)
    return times


async def main(count: int, seconds: float, interval: float) -> dict:
    async with bench_node(HEARTBEAT_INTERVAL=str(interval), HEARTBEAT_TIMEOUT=str(min(interval, 2))) as bench:
        quiet = await page_latency(bench, seconds)
        async with spoke_swarm(bench, count):
            status = bench.node.sweep_status
            durations: list[float] = []
            first = status.sweeps

            async def record():
                seen = status.sweeps
                while True:
                    await asyncio.sleep(0.05)
                    if status.sweeps != seen:
                        seen = status.sweeps
                        durations.append(status.last_duration * 1000)
            recorder = asyncio.create_task(record())
            cpu_before, sweeps_before = time.process_time(), status.sweeps
            await asyncio.sleep(3 * float(bench.node.config.heartbeat_interval))  # a bench: sweeps alone a while
            cpu = (time.process_time() - cpu_before) / max(1, status.sweeps - sweeps_before)
            busy = await page_latency(bench, seconds)
            recorder.cancel()
            async with db.cursor(bench.pool) as cur:
                await cur.execute("SELECT count(*) AS n FROM hosts WHERE online")
                online = (await cur.fetchone())["n"]
    return {"spokes": count, "heartbeat_interval_s": interval, "online_at_end": online - 1, "sweeps": status.sweeps - first,
            "sweep": summary(durations, 1), "page_without_spokes": summary(quiet),
            "page_during_sweeps": summary(busy),
            # this process (the hub and the bench's own idle spoke) over sweeps with no page requests: the hub's
            # cost apart from the spokes', which share the machine from the swarm process
            "hub_process_cpu_ms_per_sweep": round(cpu * 1000, 1),
            "page_p99_ratio": round(summary(busy)["p99_ms"] / summary(quiet)["p99_ms"], 2)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spokes", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--interval", type=float, default=1, help="HEARTBEAT_INTERVAL (the default is 5)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    r = asyncio.run(main(args.spokes, args.seconds, args.interval))
    print(f"{r['spokes']} spokes ({r['online_at_end']} online at the end), {r['sweeps']} sweeps: "
          f"sweep p50 {r['sweep']['p50_ms']} ms, max {r['sweep']['max_ms']} ms; hub process CPU "
          f"{r['hub_process_cpu_ms_per_sweep']} ms a sweep")
    print(f"GET /capsuls without spokes p50 {r['page_without_spokes']['p50_ms']} ms, "
          f"p99 {r['page_without_spokes']['p99_ms']} ms; during sweeps p50 {r['page_during_sweeps']['p50_ms']} ms, "
          f"p99 {r['page_during_sweeps']['p99_ms']} ms (p99 ratio {r['page_p99_ratio']})")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2) + "\n")
