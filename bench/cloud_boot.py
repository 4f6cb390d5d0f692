#!/usr/bin/env python3
"""Create -> SSH answering in a real Debian 12 cloud image under software emulation (QEMU
type=qemu, no KVM), p50 over a few runs, split into:

- build: create request -> the domain started (hub claim, overlay + seed + DHCP reservation,
  define and start, the `running` event back at the hub);
- boot: the guest's uptime when cloud-init's first stage starts (kernel, initrd, systemd);
- cloud-init: the rest, until sshd answers at the address the hub gave (network, SSH host
  keys, growing the root filesystem, starting sshd).

Needs root: it runs libvirtd inside the tests' network namespace (tests/libvirtd.py) and the
image the tests build (tests/cloud_image.py, cached by recipe).

    .venv/bin/python bench/cloud_boot.py [--runs 3] [--json out.json]
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
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from guest_networks import guest_network, use_network  # noqa: E402,I001
from harness import ACCOUNT, bench_node, percentile  # noqa: E402

from capsul.hub import capsuls, db  # noqa: E402
from capsul.hub.db import catalog  # noqa: E402
from tests import cloud_image, libvirtd  # noqa: E402

UPTIME_RE = re.compile(r"running 'init-local' at .*? Up ([0-9.]+) seconds")
SUBNET = "10.78.0"


async def ssh_answers(address: str) -> bool:
    proc = await asyncio.create_subprocess_exec(
        *libvirtd.in_netns("ssh-keyscan", "-T", "2", "-t", "ed25519", address),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    out, _ = await proc.communicate()
    return proc.returncode == 0 and b"ssh-ed25519" in out


async def one_run(bench, storage: Path) -> dict:
    started = time.monotonic()
    vm = await capsuls.create_capsul(bench.node.hub, ACCOUNT, "boot-s", "debian12-real", ["k"])
    while True:
        async with db.cursor(bench.pool) as cur:
            await cur.execute("SELECT state FROM vms WHERE id = %s", (vm["id"],))
            if (await cur.fetchone())["state"] == "running":
                break
        await asyncio.sleep(0.05)
    built = time.monotonic()
    while not await ssh_answers(vm["public_ipv4"]):
        await asyncio.sleep(0.5)
    answered = time.monotonic()
    console = (storage / f"{vm['id']}-console.log").read_text(errors="replace")
    boot = float(UPTIME_RE.search(console).group(1))
    await capsuls.destroy_capsul(bench.node.hub, ACCOUNT, vm["id"])
    figures = {"build_s": round(built - started, 2), "boot_s": round(boot, 2),
               "cloud_init_s": round(answered - built - boot, 2), "total_s": round(answered - started, 2)}
    print(f"  {vm['id']}: {figures}", flush=True)
    return figures


async def main(runs: int) -> dict:
    image = await asyncio.to_thread(cloud_image.build)
    with libvirtd.running_libvirtd():
        async with guest_network(SUBNET) as name, bench_node(
                LIBVIRT_URI=libvirtd.URI, LIBVIRT_DOMAIN_TYPE="qemu", OS_IMAGES_DIR=str(image.disk.parent)) as bench:
            await use_network(bench, name, SUBNET)
            async with db.cursor(bench.pool) as cur:
                await catalog.add_size(cur, "boot-s", 1, 1, 1024, 3, 0)
                await catalog.add_image(cur, "debian12-real", "Debian 12 (bench)", image.disk.name,
                                        image.kernel.name, image.initrd.name, image.cmdline)
            results = [await one_run(bench, bench.node.config.vm_storage_dir) for _ in range(runs)]
    summary = {key: percentile([r[key] for r in results], 50) for key in results[0]}
    print(f"create -> SSH answering, p50 of {runs}: {summary}")
    return {"runs": results, "p50": summary}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    figures = asyncio.run(main(args.runs))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
