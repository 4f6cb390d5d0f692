#!/usr/bin/env python3
"""Rebuild and resize in a real Debian 12 cloud image under software emulation, against create,
in the same run (bench/cloud_boot.py's set-up: libvirtd in the tests' namespace, the tests' image):

- create -> SSH answers;
- rebuild (same image, same key) -> SSH answers with the new guest's host key;
- resize with "restart now" (1 vCPU / 1 GB -> 2 vCPU / 1.5 GB, disk 3 -> 4 GB): its downtime,
  from the request to SSH answering again, split into shut down (ACPI, request -> domain
  stopped), restart (stopped -> running) and boot (running -> SSH answers).

Each round makes one capsul and deletes it. Needs root.

    .venv/bin/python bench/rebuild_resize.py [--runs 2] [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cloud_boot import SUBNET, ssh_answers  # noqa: E402,I001
from guest_networks import guest_network, use_network  # noqa: E402
from harness import ACCOUNT, bench_node, percentile  # noqa: E402

from capsul.hub import capsul_changes, capsuls, db  # noqa: E402
from capsul.hub.db import catalog  # noqa: E402
from tests import cloud_image, libvirtd  # noqa: E402


async def state_of(bench, vm_id: str) -> str:
    async with db.cursor(bench.pool) as cur:
        await cur.execute("SELECT state FROM vms WHERE id = %s", (vm_id,))
        return (await cur.fetchone())["state"]


async def host_key(address: str) -> bytes | None:
    proc = await asyncio.create_subprocess_exec(
        *libvirtd.in_netns("ssh-keyscan", "-T", "2", "-t", "ed25519", address),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    out, _ = await proc.communicate()
    return out.split(b"ssh-ed25519", 1)[1].strip() if proc.returncode == 0 and b"ssh-ed25519" in out else None


async def until(check, every: float = 0.5):
    while not (result := await check()):
        await asyncio.sleep(every)
    return result


async def one_round(bench) -> dict:
    hub = bench.node.hub
    started = time.monotonic()
    vm = await capsuls.create_capsul(hub, ACCOUNT, "boot-s", "debian12-real", ["k"])
    address = vm["public_ipv4"]
    first_key = await until(lambda: host_key(address))
    created = time.monotonic() - started

    started = time.monotonic()
    await capsul_changes.rebuild_capsul(hub, ACCOUNT, vm["id"])

    async def new_key():
        key = await host_key(address)
        return key if key and key != first_key else None
    await until(new_key)
    rebuilt = time.monotonic() - started

    virt = bench.node.spoke_operations.virt
    stopped_at = running_at = None

    async def watch_domain():  # the domain's own states, as libvirt has them
        nonlocal stopped_at, running_at
        while running_at is None:
            state = await virt.state(vm["id"])
            if state == "stopped" and stopped_at is None:
                stopped_at = time.monotonic()
            elif state == "running" and stopped_at is not None:
                running_at = time.monotonic()
            await asyncio.sleep(0.05)
    started = time.monotonic()
    watcher = asyncio.create_task(watch_domain())
    await capsul_changes.resize_capsul(hub, ACCOUNT, vm["id"], "boot-m", restart="now", force=True)
    await watcher
    await until(lambda: ssh_answers(address))
    back = time.monotonic()
    await capsuls.destroy_capsul(hub, ACCOUNT, vm["id"])
    figures = {"create_to_ssh_s": round(created, 1), "rebuild_to_ssh_s": round(rebuilt, 1),
               "resize_downtime_s": round(back - started, 1), "resize_shutdown_s": round(stopped_at - started, 1),
               "resize_restart_s": round(running_at - stopped_at, 2), "resize_boot_s": round(back - running_at, 1)}
    print(f"  {vm['id']}: {figures}", flush=True)
    return figures


async def main(runs: int) -> dict:
    image = await asyncio.to_thread(cloud_image.build)
    with libvirtd.running_libvirtd():
        async with guest_network(SUBNET) as name, bench_node(
                LIBVIRT_URI=libvirtd.URI, LIBVIRT_DOMAIN_TYPE="qemu", OS_IMAGES_DIR=str(image.disk.parent),
                SHUTDOWN_TIMEOUT="120") as bench:
            await use_network(bench, name, SUBNET)
            async with db.cursor(bench.pool) as cur:
                await catalog.add_size(cur, "boot-s", 1, 1, 1024, 3, 0)
                await catalog.add_size(cur, "boot-m", 1, 2, 1536, 4, 0)
                await catalog.add_image(cur, "debian12-real", "Debian 12 (bench)", image.disk.name,
                                        image.kernel.name, image.initrd.name, image.cmdline)
            results = [await one_round(bench) for _ in range(runs)]
    summary = {key: percentile([r[key] for r in results], 50) for key in results[0]}
    summary["rebuild_vs_create"] = round(summary["rebuild_to_ssh_s"] / summary["create_to_ssh_s"], 2)
    print(f"p50 of {runs}: {summary}")
    return {"runs": results, "p50": summary}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    figures = asyncio.run(main(args.runs))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
