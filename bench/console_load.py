#!/usr/bin/env python3
"""The console under load, on one hub + spoke process (test:/// hypervisor):

- create request (POST /capsuls/create through the console, as a browser sends it) -> the
  `running` frame on the person's websocket: p50/p99 one at a time, and creates per second
  sustained with 10 people creating at once;
- the capsul list page with 1,000 capsuls: time per request one at a time (loopback, so
  almost all of it is server time), and requests per second with 50 concurrent clients.

    .venv/bin/python bench/console_load.py [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp  # noqa: E402
from harness import ACCOUNT, bench_node, summary  # noqa: E402,I001

from capsul.hub import capsuls, db  # noqa: E402

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


async def create_to_running(bench, sequential: int, concurrent_total: int, concurrency: int) -> dict:
    headers = {"Cookie": f"capsul_session={bench.cookie}"}
    running: dict[str, asyncio.Future] = {}
    early: set[str] = set()
    async with aiohttp.ClientSession(headers=headers, connector=aiohttp.TCPConnector(limit=0)) as session:
        async with session.get(bench.console_url + "/capsuls/create") as r:
            csrf = CSRF_RE.search(await r.text()).group(1)
        ws = await session.ws_connect(bench.console_url + "/ws", headers={"Origin": bench.console_url})
        assert json.loads((await ws.receive()).data)["type"] == "snapshot"

        async def watch():
            async for msg in ws:
                message = json.loads(msg.data)
                if message["type"] == "capsul.state" and message["data"]["capsul"]["state"] == "running":
                    vm_id = message["data"]["capsul"]["id"]
                    if vm_id in running and not running[vm_id].done():
                        running[vm_id].set_result(time.perf_counter())
                    else:
                        early.add(vm_id)
        watcher = asyncio.create_task(watch())

        async def one() -> float:
            started = time.perf_counter()
            async with session.post(bench.console_url + "/capsuls/create", allow_redirects=False,
                                    data={"csrf_token": csrf, "size": "f1-xs", "os": "debian12", "ssh_key": "k"}) as r:
                assert r.status == 303, (r.status, await r.text())
                vm_id = r.headers["Location"].rsplit("/", 1)[1]
            running.setdefault(vm_id, asyncio.get_running_loop().create_future())
            if vm_id in early:
                running[vm_id].set_result(time.perf_counter())
            return (await asyncio.wait_for(running[vm_id], 30) - started) * 1000

        try:
            one_at_a_time = [await one() for _ in range(sequential)]
            gate = asyncio.Semaphore(concurrency)

            async def gated():
                async with gate:
                    return await one()
            started = time.perf_counter()
            together = await asyncio.gather(*(gated() for _ in range(concurrent_total)))
            elapsed = time.perf_counter() - started
        finally:
            watcher.cancel()
            await ws.close()
    return {"one_at_a_time": summary(one_at_a_time), "concurrent": {**summary(together), "concurrency": concurrency},
            "creates_per_s": round(concurrent_total / elapsed, 1)}


async def list_page(bench, capsul_count: int, sequential: int, concurrency: int, seconds: float) -> dict:
    async with db.cursor(bench.pool) as cur:
        await cur.execute("SELECT count(*) AS n FROM vms WHERE account = %s AND state = 'running'", (ACCOUNT,))
        have = (await cur.fetchone())["n"]
    missing = capsul_count - have
    gate = asyncio.Semaphore(20)

    async def make():
        async with gate:
            await capsuls.create_capsul(bench.node.hub, ACCOUNT, "f1-xs", "debian12", ["k"])
    await asyncio.gather(*(make() for _ in range(max(0, missing))))
    headers = {"Cookie": f"capsul_session={bench.cookie}"}
    async with aiohttp.ClientSession(headers=headers, connector=aiohttp.TCPConnector(limit=0)) as session:
        async def get() -> float:
            started = time.perf_counter()
            async with session.get(bench.console_url + "/capsuls") as r:
                body = await r.text()
                assert r.status == 200
            return (time.perf_counter() - started) * 1000, body.count("data-capsul-id=")

        first = await get()
        one_at_a_time = [(await get())[0] for _ in range(sequential)]
        done = 0
        deadline = time.perf_counter() + seconds

        async def client():
            nonlocal done
            while time.perf_counter() < deadline:
                await get()
                done += 1
        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"capsuls_on_page": first[1], "one_at_a_time": summary(one_at_a_time),
            "requests_per_s": round(done / elapsed, 1), "concurrency": concurrency}


async def main() -> dict:
    # 1,500 capsuls on one test host: sell its 64 CPUs and 256 GiB eight times over
    async with bench_node(OVERCOMMIT_CPU_RATIO="32", OVERCOMMIT_MEMORY_RATIO="8") as bench:
        creates = await create_to_running(bench, sequential=200, concurrent_total=300, concurrency=10)
        page = await list_page(bench, 1000, sequential=100, concurrency=50, seconds=10)
    return {"create_to_running": creates, "list_page": page}


def print_table(r: dict) -> None:
    c, p = r["create_to_running"], r["list_page"]
    print(f"create -> running frame: one at a time p50 {c['one_at_a_time']['p50_ms']} ms, "
          f"p99 {c['one_at_a_time']['p99_ms']} ms; {c['concurrent']['concurrency']} at once p50 "
          f"{c['concurrent']['p50_ms']} ms, p99 {c['concurrent']['p99_ms']} ms; {c['creates_per_s']} creates/s")
    print(f"list page with {p['capsuls_on_page']} capsuls: p50 {p['one_at_a_time']['p50_ms']} ms, "
          f"p99 {p['one_at_a_time']['p99_ms']} ms; {p['requests_per_s']} requests/s at {p['concurrency']} concurrent")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    figures = asyncio.run(main())
    print_table(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
