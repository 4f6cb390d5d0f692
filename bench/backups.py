#!/usr/bin/env python3
"""Backups of a real Debian 12 cloud image under software emulation (bench/cloud_boot.py's set-up:
libvirtd in the tests' namespace, the tests' image with qemu-guest-agent), to a backup host in a
network namespace of its own (tests/backup_host.py: sshd, restic over SFTP), in one run:

- the floor: a plain `qemu-img convert` of the running guest's disk to a standalone qcow2;
- a backup of the running guest (agent freeze, libvirt push-mode backup, SHA-256, restic over
  SFTP), from asking to `done`: its throughput against the floor's;
- a second backup of the (idle, so nearly unchanged) disk: the bytes it adds to the store, and
  its time;
- a restore into the same capsul, from asking to SSH answering again.

Each round makes one capsul and deletes it. Needs root.

    .venv/bin/python bench/backups.py [--runs 2] [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cloud_boot import SUBNET, ssh_answers  # noqa: E402,I001
from guest_networks import guest_network, use_network  # noqa: E402
from harness import ACCOUNT, bench_node, percentile  # noqa: E402

from capsul.hub import capsul_changes, capsuls, db  # noqa: E402
from capsul.hub.backups import jobs  # noqa: E402
from capsul.hub.db import backups as catalogue  # noqa: E402
from capsul.hub.db import catalog  # noqa: E402
from tests import cloud_image, libvirtd  # noqa: E402
from tests.backup_host import BackupHost  # noqa: E402


async def until(check, every: float = 0.25):
    while not (result := await check()):
        await asyncio.sleep(every)
    return result


async def backed_up(bench, vm_id: str) -> tuple[dict, float]:
    started = time.monotonic()
    backup = await jobs.back_up(bench.node.hub, ACCOUNT, vm_id)

    async def done():
        async with db.cursor(bench.pool) as cur:
            row = await catalogue.get(cur, backup["id"])
        return row if row["status"] in ("done", "failed") else None
    row = await until(done)
    assert row["status"] == "done", row
    return row, time.monotonic() - started


async def one_round(bench, storage: Path) -> dict:
    hub = bench.node.hub
    vm = await capsuls.create_capsul(hub, ACCOUNT, "boot-s", "debian12-real", ["k"])
    address = vm["public_ipv4"]
    await until(lambda: ssh_answers(address), every=1)
    await asyncio.sleep(30)  # NOTE: a bench, not a test: let first boot's cloud-init and the agent settle

    with tempfile.TemporaryDirectory(prefix="capsul-bench-copy-") as folder:  # the floor
        copy = Path(folder) / "copy.qcow2"
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec("qemu-img", "convert", "-U", "-O", "qcow2",
                                                    str(storage / f"{vm['id']}.qcow2"), str(copy))
        await proc.wait()
        floor_s, floor_bytes = time.monotonic() - started, copy.stat().st_size

    first, first_s = await backed_up(bench, vm["id"])
    second, second_s = await backed_up(bench, vm["id"])

    started = time.monotonic()
    await capsul_changes.restore_capsul(hub, ACCOUNT, vm["id"], str(first["id"]))
    await until(lambda: ssh_answers(address), every=0.5)
    restore_s = time.monotonic() - started
    await capsuls.destroy_capsul(hub, ACCOUNT, vm["id"])
    mb = 1e6
    figures = {"copy_mb_per_s": round(floor_bytes / mb / floor_s, 1), "copy_s": round(floor_s, 1),
               "backup_mb_per_s": round(first["image_bytes"] / mb / first_s, 1), "backup_s": round(first_s, 1),
               "image_mb": round(first["image_bytes"] / mb, 1), "consistency": first["consistency"],
               "first_stored_mb": round(first["stored_bytes"] / mb, 1),
               "second_stored_mb": round(second["stored_bytes"] / mb, 2), "second_backup_s": round(second_s, 1),
               "restore_to_ssh_s": round(restore_s, 1)}
    print(f"  {vm['id']}: {figures}", flush=True)
    return figures


async def main(runs: int) -> dict:
    image = await asyncio.to_thread(cloud_image.build)
    host = BackupHost().open()
    try:
        with libvirtd.running_libvirtd():
            storage = Path(tempfile.mkdtemp(prefix="capsul-bench-vms-"))
            storage.chmod(0o755)
            async with guest_network(SUBNET) as name, bench_node(
                    LIBVIRT_URI=libvirtd.URI, LIBVIRT_DOMAIN_TYPE="qemu", OS_IMAGES_DIR=str(image.disk.parent),
                    VM_STORAGE_DIR=str(storage), BACKUP_SPOOL_DIR=str(storage / "spool"),
                    **host.settings()) as bench:
                await use_network(bench, name, SUBNET)
                async with db.cursor(bench.pool) as cur:
                    await catalog.add_size(cur, "boot-s", 1, 1, 1024, 3, 0)
                    await catalog.add_image(cur, "debian12-real", "Debian 12 (bench)", image.disk.name,
                                            image.kernel.name, image.initrd.name, image.cmdline)
                results = [await one_round(bench, storage) for _ in range(runs)]
    finally:
        host.close()
    numbers = [k for k, v in results[0].items() if isinstance(v, (int, float))]
    summary = {key: percentile([r[key] for r in results], 50) for key in numbers}
    summary["consistency"] = results[0]["consistency"]
    summary["backup_vs_copy"] = round(summary["backup_mb_per_s"] / summary["copy_mb_per_s"], 2)
    print(f"p50 of {runs}: {summary}")
    return {"runs": results, "p50": summary, "machine": f"{os.cpu_count()} cores"}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    figures = asyncio.run(main(args.runs))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
