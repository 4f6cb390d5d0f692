#!/usr/bin/env python3
"""Many spokes in one process (one Node each, test:///default), for bench/heartbeat_sweep.py.

    spoke_swarm.py SPEC.json   # {"hub_url", "tls": {...}, "var_dir", "env": {...},
                               #  "spokes": [{"id", "port", "token", "hub_token", "libvirt_uri"?}]}
(test:///default is one shared state per process: give spokes that hold VMs their own host file.)

Prints "ready" once every spoke has started; stops them all when stdin closes.
"""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capsul.config import Role, load_config  # noqa: E402
from capsul.node import Node  # noqa: E402


async def main(spec: dict) -> None:
    nodes = []
    try:
        for spoke in spec["spokes"]:
            env = {**spec["tls"], "HUB_URL": spec["hub_url"], "SPOKE_HOST_ID": spoke["id"],
                   "SPOKE_HOST_TOKEN": spoke["token"], "HUB_TOKEN": spoke["hub_token"],
                   "API_LISTEN": f"127.0.0.1:{spoke['port']}", "CAPSUL_VAR_DIR": spec["var_dir"],
                   "LIBVIRT_URI": spoke.get("libvirt_uri", "test:///default"), "LOG_LEVEL": "ERROR",
                   **spec.get("env", {})}
            node = Node(load_config(Role.SPOKE, env, Path("/dev/null")))
            await node.start()
            nodes.append(node)
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    finally:
        for node in nodes:
            await node.stop()


if __name__ == "__main__":
    asyncio.run(main(json.loads(Path(sys.argv[1]).read_text())))
