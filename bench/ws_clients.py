#!/usr/bin/env python3
"""N websocket clients in a process of their own, for bench/live_latency.py.

Reads rounds from stdin ("<vm_id> <state> <t0 monotonic ns>"), and for each prints one JSON
line: every client's latency (ms) from t0 to the arrival of the matching capsul.state frame.
Prints "ready" once every client has its snapshot. Times are CLOCK_MONOTONIC, which all
processes on the machine share.
"""
from __future__ import annotations

import asyncio
import gc
import json
import sys
import time

import aiohttp


async def main(url: str, cookie: str, n: int) -> None:
    arrivals: dict[tuple[str, str], list[int]] = {}
    waiting: dict[tuple[str, str], asyncio.Event] = {}

    async def read(ws) -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            now = time.monotonic_ns()
            message = json.loads(msg.data)
            if message["type"] != "capsul.state":
                continue
            key = (message["data"]["capsul"]["id"], message["data"]["capsul"]["state"])
            arrivals.setdefault(key, []).append(now)
            if key in waiting and len(arrivals[key]) >= n:
                waiting[key].set()

    origin = url.split("/ws")[0]
    async with aiohttp.ClientSession(headers={"Cookie": f"capsul_session={cookie}"},
                                     connector=aiohttp.TCPConnector(limit=0)) as session:
        sockets = []
        for start in range(0, n, 100):
            sockets += await asyncio.gather(*(session.ws_connect(url, headers={"Origin": origin})
                                              for _ in range(start, min(n, start + 100))))
        for ws in sockets:
            assert json.loads((await ws.receive(timeout=60)).data)["type"] == "snapshot"
        readers = [asyncio.create_task(read(ws)) for ws in sockets]
        gc.freeze()  # the clients' own objects stay: a full collection over them is not the hub's latency
        print("ready", flush=True)
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            vm_id, state, t0 = line.split()
            key = (vm_id, state)
            waiting[key] = asyncio.Event()
            if len(arrivals.get(key, [])) < n:
                await asyncio.wait_for(waiting[key].wait(), 60)
            got = arrivals.pop(key)[:n]
            del waiting[key]
            print(json.dumps([(t - int(t0)) / 1e6 for t in got]), flush=True)
        for task in readers:
            task.cancel()
        for ws in sockets:
            await ws.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
