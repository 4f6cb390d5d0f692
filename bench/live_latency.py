#!/usr/bin/env python3
"""libvirt event on a spoke -> websocket frame, at N connected clients; and what a page
polling every 5 s would see of the same changes, measured in the same run.

One process runs hub + spoke (real HTTPS, signing, outbox, /hub/events, NOTIFY, LISTEN,
fan-out) and the websocket clients (logged in with a real console session). Each round
suspends or resumes one capsul straight through libvirt and times, for every client, the
arrival of the matching `capsul.state` frame; "broadcast" is the time until the last of the
N clients has it. The clients run in a process of their own (bench/ws_clients.py) on the
same 2 cores, timing with the machine-wide monotonic clock.

Polling: P pollers GET /capsuls every 5 s (random phase), while one capsul per second is
paused; each change's latency is from the libvirt call to the first poll showing it.

    .venv/bin/python bench/live_latency.py [--clients 1,100,1000] [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp  # noqa: E402
from harness import ACCOUNT, bench_node, percentile, summary, wait_all_running  # noqa: E402,I001

from capsul.hub import capsuls  # noqa: E402

ROUNDS = {1: 400, 100: 200, 1000: 40}  # events per client count


class Round:
    def __init__(self, vm_id: str, state: str, expected: int):
        self.vm_id, self.state, self.expected = vm_id, state, expected
        self.started = time.perf_counter()
        self.arrivals: list[float] = []
        self.done = asyncio.Event()

    def seen(self, vm_id: str, state: str) -> None:
        if vm_id == self.vm_id and state == self.state:
            self.arrivals.append((time.perf_counter() - self.started) * 1000)
            if len(self.arrivals) == self.expected:
                self.done.set()


async def open_clients(session: aiohttp.ClientSession, url: str, n: int, on_state) -> list:
    sockets = []
    for start in range(0, n, 100):  # connect in waves: the listen backlog is finite
        batch = await asyncio.gather(*(session.ws_connect(url, headers={"Origin": url.split("/ws")[0]},
                                                          heartbeat=None, autoping=True)
                                       for _ in range(start, min(n, start + 100))))
        sockets.extend(batch)
    for ws in sockets:
        msg = await ws.receive(timeout=30)
        assert json.loads(msg.data)["type"] == "snapshot"

    async def read(ws):
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            message = json.loads(msg.data)
            if message["type"] == "capsul.state":
                on_state(message["data"]["capsul"]["id"], message["data"]["capsul"]["state"])

    readers = [asyncio.create_task(read(ws)) for ws in sockets]
    return list(zip(sockets, readers))


async def close_clients(clients) -> None:
    for ws, reader in clients:
        reader.cancel()
        await ws.close()


async def websocket_rounds(bench, vm_ids: list[str], n: int, rounds: int) -> dict:
    """N clients in a separate process (bench/ws_clients.py), so they do not share this one's loop."""
    virt = bench.node.hypervisor
    clients = await asyncio.create_subprocess_exec(
        sys.executable, str(Path(__file__).with_name("ws_clients.py")), bench.console_url + "/ws", bench.cookie,
        str(n), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2 ** 24)
    per_client: list[float] = []
    broadcast: list[float] = []
    try:
        assert (await asyncio.wait_for(clients.stdout.readline(), 120)).strip() == b"ready"
        for i in range(rounds):
            vm_id = vm_ids[i % len(vm_ids)]
            paused = (i // len(vm_ids)) % 2 == 0
            t0 = time.monotonic_ns()
            clients.stdin.write(f"{vm_id} {'paused' if paused else 'running'} {t0}\n".encode())
            await clients.stdin.drain()
            await virt.command(vm_id, "suspend" if paused else "resume")
            arrivals = json.loads(await asyncio.wait_for(clients.stdout.readline(), 60))
            per_client.extend(arrivals)
            broadcast.append(max(arrivals))
    finally:
        clients.stdin.close()
        try:
            await asyncio.wait_for(clients.wait(), 30)
        except TimeoutError:
            clients.kill()
            await clients.wait()
    # leave every VM running for the next run
    for vm_id in vm_ids:
        if (await virt.state(vm_id)) == "paused":
            await virt.command(vm_id, "resume")
    return {"clients": n, "rounds": rounds, "per_client": summary(per_client), "broadcast": summary(broadcast),
            "hub_peak_rss_mb": memory_mb("VmHWM")}


def memory_mb(field: str) -> float:
    """This process's (the hub's) VmRSS or VmHWM (peak) in MB; the clients are another process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


async def polling_versus_websocket(bench, vm_ids: list[str], pollers: int, interval: float) -> dict:
    """The same changes seen by pollers (GET /capsuls every `interval`) and by one websocket."""
    virt = bench.node.hypervisor
    changed_at: dict[str, float] = {}
    poll_seen: dict[tuple[int, str], float] = {}
    ws_seen: dict[str, float] = {}
    row_re = re.compile(r'data-capsul-id="(capsul-\w+)">.*?data-field="state"[^>]*>(\w+)<', re.S)
    headers = {"Cookie": f"capsul_session={bench.cookie}"}
    page_times: list[float] = []

    async def poller(number: int, session: aiohttp.ClientSession) -> None:
        await asyncio.sleep(random.uniform(0, interval))
        while True:
            started = time.perf_counter()
            async with session.get(bench.console_url + "/capsuls") as r:
                text = await r.text()
            page_times.append((time.perf_counter() - started) * 1000)
            now = time.perf_counter()
            for vm_id, state in row_re.findall(text):
                if state == "paused" and vm_id in changed_at and (number, vm_id) not in poll_seen:
                    poll_seen[(number, vm_id)] = (now - changed_at[vm_id]) * 1000
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))

    def on_state(vm_id: str, state: str) -> None:
        if state == "paused" and vm_id in changed_at and vm_id not in ws_seen:
            ws_seen[vm_id] = (time.perf_counter() - changed_at[vm_id]) * 1000

    async with aiohttp.ClientSession(headers=headers) as session:
        clients = await open_clients(session, bench.console_url + "/ws", 1, on_state)
        tasks = [asyncio.create_task(poller(i, session)) for i in range(pollers)]
        try:
            for vm_id in vm_ids:
                changed_at[vm_id] = time.perf_counter()
                await virt.command(vm_id, "suspend")
                await asyncio.sleep(1.0)
            deadline = time.perf_counter() + interval * 2 + 5
            while len(poll_seen) < pollers * len(vm_ids) and time.perf_counter() < deadline:
                await asyncio.sleep(0.1)
        finally:
            for t in tasks:
                t.cancel()
            await close_clients(clients)
    for vm_id in vm_ids:
        await virt.command(vm_id, "resume")
    poll, ws = list(poll_seen.values()), list(ws_seen.values())
    return {"pollers": pollers, "interval_s": interval, "changes": len(vm_ids),
            "polling": summary(poll, 1), "websocket": summary(ws), "list_page_ms": summary(page_times),
            "ratio_p50": round(percentile(poll, 50) / percentile(ws, 50)),
            "ratio_p99": round(percentile(poll, 99) / percentile(ws, 99))}


async def main(client_counts: list[int], pollers: int) -> dict:
    async with bench_node() as bench:
        made = [await capsuls.create_capsul(bench.node.hub, ACCOUNT, "f1-xs", "debian12", ["k"]) for _ in range(40)]
        await wait_all_running(bench.pool, len(made))
        ids = [vm["id"] for vm in made]
        results = {"websocket": [await websocket_rounds(bench, ids[:20], n, ROUNDS.get(n, 40))
                                 for n in client_counts]}
        results["polling_vs_websocket"] = await polling_versus_websocket(bench, ids[20:], pollers, 5.0)
        return results


def print_table(results: dict) -> None:
    print("libvirt event -> websocket frame (ms)")
    print(f"{'clients':>8} {'rounds':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} | broadcast p50 / p99"
          " | hub peak RSS")
    for r in results["websocket"]:
        c, b = r["per_client"], r["broadcast"]
        print(f"{r['clients']:>8} {r['rounds']:>7} {c['p50_ms']:>7} {c['p95_ms']:>7} {c['p99_ms']:>7} "
              f"{c['max_ms']:>7} | {b['p50_ms']} / {b['p99_ms']} | {r['hub_peak_rss_mb']} MB")
    p = results["polling_vs_websocket"]
    print(f"same {p['changes']} changes: polling every {p['interval_s']:g} s p50 {p['polling']['p50_ms']} ms, "
          f"p99 {p['polling']['p99_ms']} ms; websocket p50 {p['websocket']['p50_ms']} ms, "
          f"p99 {p['websocket']['p99_ms']} ms; ratio p50 {p['ratio_p50']}x, p99 {p['ratio_p99']}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,100,1000")
    parser.add_argument("--pollers", type=int, default=10)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    figures = asyncio.run(main([int(n) for n in args.clients.split(",")], args.pollers))
    print_table(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
