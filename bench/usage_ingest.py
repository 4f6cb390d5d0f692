#!/usr/bin/env python3
"""Usage storage: what ingesting costs the hub, how fast a graph is read, how much a capsul
takes in PostgreSQL.

- ingest: a separate process plays a spoke with 1,000 capsuls and pushes rounds of 1,000
  samples (signed POST /hub/usage, as capsul/spoke/usage.py does) back to back for a while;
  the hub's process CPU time and PostgreSQL's (all its processes) are read from /proc before
  and after. Rows a second is the throughput flat out; the share of one core at the real
  rate (one round every 10 s) is the CPU time per round divided by 10 s.
- graph: 30 days of hourly roll-ups for those 1,000 capsuls and 7 days of 5-minute ones for
  200, then GET-equivalent reads (hub/usage.py graph()) of one capsul's 30-day, 7-day and
  1-day series, p50/p99.
- storage: bytes per row of each table (tables and indexes) from the rows made, times the rows
  one capsul keeps: 24 h of 10 s samples, 31 days of 5-minute and a month of hourly buckets.

    .venv/bin/python bench/usage_ingest.py [--seconds 30] [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import ACCOUNT, bench_node, summary  # noqa: E402,I001

import aiohttp  # noqa: E402

from capsul import signing  # noqa: E402
from capsul.hub import db, usage  # noqa: E402
from capsul.hub.db import hosts  # noqa: E402

CAPSULS = 1000
INTERVAL = 10.0  # seconds between a spoke's rounds, the default METRICS_INTERVAL
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def round_of(vm_ids: list[str], at: datetime) -> list[dict]:
    return [{"vm_id": vm_id, "at": at.isoformat(timespec="milliseconds"), "seconds": INTERVAL, "vcpus": 1,
             "cpu_seconds": 1.234, "memory_bytes": 400_000_000 + i, "disk_read_bytes": 40960, "disk_write_bytes": 81920,
             "disk_read_ops": 10, "disk_write_ops": 20, "net_rx_bytes": 123456, "net_tx_bytes": 65432}
            for i, vm_id in enumerate(vm_ids)]


async def pusher(api_url: str, token: str, vm_ids: list[str], seconds: float) -> None:
    """The child process: rounds back to back for `seconds`; prints how many rows went in."""
    at = datetime.now(timezone.utc) - timedelta(hours=20)
    rows, started = 0, time.monotonic()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as session:
        while time.monotonic() - started < seconds:
            at += timedelta(seconds=INTERVAL)
            answer = await signing.signed_post(session, api_url, "/hub/usage", {"samples": round_of(vm_ids, at)},
                                               host_id="local", token=token, direction=signing.SPOKE_TO_HUB,
                                               timeout=60)
            rows += answer["stored"]
    print(json.dumps({"rows": rows, "seconds": time.monotonic() - started}))


async def make_capsuls(pool) -> list[str]:
    async with db.cursor(pool) as cur:
        await cur.execute(
            """INSERT INTO vms (id, account, size, os, host_id, state)
               SELECT 'capsul-' || lpad(to_hex(g), 10, '0'), %s, 'f1-xs', 'debian12', 'local', 'running'
               FROM generate_series(1, %s) g RETURNING id""", (ACCOUNT, CAPSULS))
        return [r["id"] for r in await cur.fetchall()]


async def measure_ingest(bench, vm_ids: list[str], seconds: float) -> dict:
    async with db.cursor(bench.pool) as cur:
        token = (await hosts.spoke_signing_tokens(cur, "local"))[0]
    args = json.dumps({"api_url": bench.node.api_url, "token": token, "vm_ids": vm_ids, "seconds": seconds})
    hub_before, pg_before = cpu_seconds([os.getpid()]), cpu_seconds(postgres_pids())
    child = await asyncio.create_subprocess_exec(sys.executable, __file__, "--pusher", args,
                                                 stdout=asyncio.subprocess.PIPE)
    out, _ = await child.communicate()
    hub_cpu, pg_cpu = cpu_seconds([os.getpid()]) - hub_before, cpu_seconds(postgres_pids()) - pg_before
    pushed = json.loads(out)
    rounds = pushed["rows"] / CAPSULS
    result = {"capsuls": CAPSULS, "rounds": round(rounds), "rows_per_s": round(pushed["rows"] / pushed["seconds"]),
              "hub_cpu_s_per_round": round(hub_cpu / rounds, 4), "postgres_cpu_s_per_round": round(pg_cpu / rounds, 4),
              "hub_core_share_at_10s": round(hub_cpu / rounds / INTERVAL, 4),
              "postgres_core_share_at_10s": round(pg_cpu / rounds / INTERVAL, 4)}
    print(f"ingest: {result}", flush=True)
    return result


async def fill_rollups(pool, vm_ids: list[str], now: datetime) -> None:
    figures = ("1, 3600, 3600, 900.5, 400000000.0 * 3600, 410000000, 4096000, 8192000, 1000, 2000, 12345678, "
               "6543210")
    async with db.cursor(pool) as cur:
        for chunk in range(0, len(vm_ids), 100):  # statements short enough for the pool's timeout
            await cur.execute(
                f"""INSERT INTO usage_hourly SELECT v, h, {figures} FROM unnest(%s::text[]) v,
                      generate_series(date_trunc('hour', %s::timestamptz) - interval '30 days',
                                      date_trunc('hour', %s::timestamptz) - interval '1 hour', interval '1 hour') h""",
                (vm_ids[chunk:chunk + 100], now, now))
        for chunk in range(0, 200, 50):
            await cur.execute(
                f"""INSERT INTO usage_5min SELECT v, b, {figures.replace('3600', '300')} FROM unnest(%s::text[]) v,
                      generate_series(date_bin('5 minutes', %s::timestamptz, timestamptz '2000-01-01') - interval '7 days',
                                      date_bin('5 minutes', %s::timestamptz, timestamptz '2000-01-01')
                                      - interval '5 minutes', interval '5 minutes') b""",
                (vm_ids[chunk:chunk + 50], now, now))
        await cur.execute("ANALYZE usage_hourly; ANALYZE usage_5min; ANALYZE usage_samples")


async def measure_graphs(bench, vm_id: str, runs: int = 60) -> dict:
    result = {}
    for range_name in ("30d", "7d", "1d", "1h"):
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            graph = await usage.graph(bench.node.hub, ACCOUNT, vm_id, range_name)
            times.append((time.perf_counter() - started) * 1000)
        result[range_name] = {**summary(times), "points": len(graph["series"]["t"])}
    print(f"graph reads: {result}", flush=True)
    return result


async def measure_storage(pool) -> dict:
    per_row = {}
    async with db.cursor(pool) as cur:
        for table in ("usage_samples", "usage_5min", "usage_hourly", "usage_monthly"):
            await cur.execute(f"SELECT count(*) AS n, pg_total_relation_size('{table}') AS bytes FROM {table}")
            row = await cur.fetchone()
            per_row[table] = row["bytes"] / row["n"] if row["n"] else 0
    kept = {"usage_samples": 24 * 3600 / INTERVAL, "usage_5min": 31 * 288, "usage_hourly": 31 * 24, "usage_monthly": 1}
    per_capsul = {t: round(kept[t] * per_row[t]) for t in kept}
    result = {"bytes_per_row": {t: round(b) for t, b in per_row.items()}, "rows_kept": kept,
              "bytes_per_capsul_month": per_capsul, "total_mb_per_capsul_month": round(sum(per_capsul.values()) / 1e6, 2),
              "hourly_mb_per_capsul_per_extra_month": round(31 * 24 * per_row["usage_hourly"] / 1e6, 3)}
    print(f"storage: {result}", flush=True)
    return result


async def main(seconds: float) -> dict:
    async with bench_node() as bench:
        vm_ids = await make_capsuls(bench.pool)
        ingest = await measure_ingest(bench, vm_ids, seconds)
        now = datetime.now(timezone.utc)
        await usage.roll_up_once(bench.pool, now)
        await fill_rollups(bench.pool, vm_ids, now - timedelta(days=1))
        graphs = await measure_graphs(bench, vm_ids[0])
        storage = await measure_storage(bench.pool)
    return {"ingest": ingest, "graphs": graphs, "storage": storage}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--pusher", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pusher:
        a = json.loads(args.pusher)
        asyncio.run(pusher(a["api_url"], a["token"], a["vm_ids"], a["seconds"]))
        sys.exit(0)
    figures = asyncio.run(main(args.seconds))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
