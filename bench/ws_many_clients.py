#!/usr/bin/env python3
"""Many websocket clients, each a person's script on one of several hubs, for bench/many_clients.py.

    ws_many_clients.py SPEC.json   # {"urls": [ws URL of each hub], "tokens": [one API token per person],
                                   #  "clients_each": N}

Client j of person p connects to hub (p * N + j) mod hubs with p's token, as `run.py watch`
does, and waits for its snapshot; prints "ready" once all have theirs. Then records the arrival
(CLOCK_MONOTONIC ns, which all processes share) of every capsul.state frame; when stdin closes,
prints them as one JSON list of [vm_id, state, ns] and exits.
"""
from __future__ import annotations

import asyncio
import gc
import json
import resource
import sys
import time
from pathlib import Path

import aiohttp

CONNECTING = 100  # handshakes in flight at once


async def main(spec: dict) -> None:
    urls, tokens, each = spec["urls"], spec["tokens"], spec["clients_each"]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    arrivals: list[tuple[str, str, int]] = []

    async def read(ws) -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            now = time.monotonic_ns()
            if '"capsul.state"' not in msg.data:  # pings and the like: not timed
                continue
            capsul = json.loads(msg.data)["data"]["capsul"]
            arrivals.append((capsul["id"], capsul["state"], now))

    gate = asyncio.Semaphore(CONNECTING)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        async def connect(person: int, j: int):
            async with gate:
                url = urls[(person * each + j) % len(urls)]
                ws = await session.ws_connect(url, headers={"Authorization": f"Bearer {tokens[person]}"},
                                              timeout=aiohttp.ClientWSTimeout(ws_close=10), heartbeat=None)
                first = await ws.receive(timeout=120)
                assert json.loads(first.data)["type"] == "snapshot", first
                return ws
        sockets = await asyncio.gather(*(connect(p, j) for p in range(len(tokens)) for j in range(each)))
        readers = [asyncio.create_task(read(ws)) for ws in sockets]
        # The clients' own objects (10,000 connections) stay: a full collection walking them all
        # would pause this process for a second and show as latency that is not the hubs'.
        gc.freeze()
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    print(json.dumps(arrivals), flush=True)


if __name__ == "__main__":
    asyncio.run(main(json.loads(Path(sys.argv[1]).read_text())))
