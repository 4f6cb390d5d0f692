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
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiopg  # noqa: E402

from capsul import tls  # noqa: E402
from capsul.config import Role, load_config  # noqa: E402
from capsul.embedded_postgres import EmbeddedPostgres  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: E402

from capsul.hub import capsuls, db, ssh_keys  # noqa: E402
from capsul.hub.db import accounts, networks, vms  # noqa: E402
from capsul.node import Node  # noqa: E402
from capsul.spoke.keys import hypervisor  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def main(events: int, n_vms: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="capsul-bench-"))
    folder.chmod(0o755)
    pg = EmbeddedPostgres(folder / "pg", database="bench")
    await pg.ensure_running()
    node = None
    try:
        files = tls.ensure_self_signed(folder / "tls", ["127.0.0.1", "localhost"])
        host_file = folder / "host.xml"  # a roomy test host: test:///default has 3 GiB
        host_file.write_text("<node><cpu><mhz>2000</mhz><model>x86_64</model><active>64</active><nodes>1</nodes>"
                             "<sockets>1</sockets><cores>64</cores><threads>1</threads></cpu>"
                             "<memory>67108864</memory></node>")
        env = {"DATABASE_URL": pg.dsn, "CONSOLE_LISTEN": "127.0.0.1:0", "API_LISTEN": "127.0.0.1:0",
               "TLS_CERT_FILE": str(files.cert), "TLS_KEY_FILE": str(files.key), "TLS_CA_FILE": str(files.ca),
               "CAPSUL_VAR_DIR": str(folder / "var"), "HEARTBEAT_INTERVAL": "5", "RESYNC_INTERVAL": "3600",
               "LIBVIRT_URI": f"test://{host_file}",
               "LOG_LEVEL": "WARNING"}
        node = Node(load_config(Role.BOTH, env, Path("/dev/null")))
        await node.start()
        async with db.cursor(node.pool) as cur:
            await networks.add_host_network(cur, "local", "198.18.0.0/24")
            await accounts.ensure_account(cur, "bench@example.org")
        key = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
        await ssh_keys.add_ssh_key(node.pool, "bench@example.org", key, "k")
        while True:  # the spoke has announced itself with its capacity
            async with db.cursor(node.pool) as cur:
                await cur.execute("SELECT 1 FROM hosts WHERE id = 'local' AND online AND capacity IS NOT NULL")
                if await cur.fetchone():
                    break
            await asyncio.sleep(0.05)
        made = [await capsuls.create_capsul(node.hub, "bench@example.org", "f1-xs", "debian12", ["k"])
                for _ in range(n_vms)]
        virt = node.api_app[hypervisor]
        latencies: list[float] = []
        async with aiopg.connect(pg.dsn) as listener:
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
    finally:
        if node is not None:
            await node.stop()
        await pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


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
