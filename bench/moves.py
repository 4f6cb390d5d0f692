#!/usr/bin/env python3
"""Moves between hosts (docs/moves.md), on the move tests' two real libvirtds (tests/two_hosts.py:
each in its own mount and network namespace, libvirt peer to peer over TLS, QEMU's stream in TLS
too), with the tests' busybox guest (idle) under software emulation, in one run:

- live moves of a 256 MiB and a 1 GiB guest, there and back `--runs` times each: the downtime and
  the job's time as libvirt measured them, the move's wall time through the hub (prepare, migrate,
  the owner changed), and the pings lost by a client pinging every 0.1 s;
- cold moves of a running 256 MiB guest, there and back: from asking until it answers pings at the
  same address on the other host (shut down, the overlay's digest, the signed HTTPS copy and its
  check, defined, booted). The busybox guest has no ACPI daemon, so its shutdown is forced after
  COLD_MOVE_TIMEOUT, set to 2 s here; a real guest's own shutdown time takes that place;
- the evacuation of a draining host of `--capsuls` 256 MiB guests onto the other: its wall time.

Needs root.

    .venv/bin/python bench/moves.py [--runs 3] [--capsuls 4] [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import ACCOUNT, bench_node, percentile  # noqa: E402,I001

from capsul import tls  # noqa: E402
from capsul.hub import capsuls, db, moves  # noqa: E402
from capsul.hub.db import hosts, networks  # noqa: E402
from tests import guest_image  # noqa: E402
from tests.spoke_cluster import SpokeSpec, start_spokes  # noqa: E402
from tests.two_hosts import SEGMENT_V4, SEGMENT_V6, TwoHosts  # noqa: E402

SIZES = {"bench-256m": 256, "bench-1g": 1024}


async def until(check, every: float = 0.25, within: float = 300):
    deadline = time.monotonic() + within
    while not (result := await check()):
        if time.monotonic() > deadline:
            raise TimeoutError("waited too long")
        await asyncio.sleep(every)
    return result


async def setting_up(bench, lab: TwoHosts):
    images = bench.folder / "images"
    images.mkdir()
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(images / "blank.qcow2"), "64M"], check=True)
    kernel, initrd = guest_image.build()
    shutil.copy(kernel, images / "vmlinuz")
    shutil.copy(initrd, images / "initrd.gz")
    async with db.cursor(bench.pool) as cur:
        await hosts.set_host_state(cur, "local", "draining", "the bench's hosts are a and b")
        await cur.execute("""INSERT INTO os_images (id, description, file_name, kernel_file, initrd_file, kernel_cmdline)
                             VALUES ('tinynet', 'tinynet', 'blank.qcow2', 'vmlinuz', 'initrd.gz', %s)""",
                          (f"console=ttyS0 panic=-1 {guest_image.SHELL_FLAG} {guest_image.NET_FLAG}",))
        for size, mb in SIZES.items():
            await cur.execute("""INSERT INTO vm_sizes (id, dollars_per_month, vcpus, memory_mb, disk_gb, bandwidth_gb)
                                 VALUES (%s, 1, 1, %s, 1, 100)""", (size, mb))
    tls_files = tls.TlsFiles(bench.folder / "tls" / "server.pem", bench.folder / "tls" / "server.key",
                             bench.folder / "tls" / "ca.pem")
    cluster = await start_spokes(
        bench.pool, bench.node.api_url, [SpokeSpec("a", 0, 0, "198.18.71.0/24"), SpokeSpec("b", 0, 0, "198.18.72.0/24")],
        bench.folder, tls_files, extra_env={"LIBVIRT_DOMAIN_TYPE": "qemu", "OS_IMAGES_DIR": str(images),
                                            "LOG_LEVEL": "WARNING", "COLD_MOVE_TIMEOUT": "2"},
        env_for=lambda spec: {"LIBVIRT_URI": lab.hosts[spec.host_id].socket_uri,
                              "VM_STORAGE_DIR": str(lab.folder / f"{spec.host_id}-vms"),
                              "MIGRATION_URI": lab.hosts[spec.host_id].migration_uri(lab.client_pki)})
    async with db.cursor(bench.pool) as cur:
        async with cur.begin():
            await cur.execute("DELETE FROM host_network WHERE host_id IN ('a', 'b')")
            segment = networks.parse_pool(SEGMENT_V4, gateway="198.51.100.1", ipv6_cidr=SEGMENT_V6, ipv6_gateway="fe80::1")
            for host_id in ("a", "b"):
                await networks.add_host_network(cur, host_id, segment, network_name=f"seg-{host_id}",
                                                segment="bench", cpu_model="qemu64")

    async def networks_found():
        async with db.cursor(bench.pool) as cur:
            await cur.execute("SELECT count(*) AS n FROM hosts WHERE id IN ('a', 'b') AND missing_networks = '{}'")
            return (await cur.fetchone())["n"] == 2
    await until(networks_found)
    return cluster


async def booted(bench, lab: TwoHosts, size: str) -> tuple[str, str, str]:
    """A new capsul of `size`, its network and shell up: (id, host, IPv4)."""
    vm = await capsuls.create_capsul(bench.node.hub, ACCOUNT, size, "tinynet", ["k"])

    async def up():
        async with db.cursor(bench.pool) as cur:
            await cur.execute("SELECT host_id, host(public_ipv4) AS ip FROM vms WHERE id = %s AND state = 'running'",
                              (vm["id"],))
            row = await cur.fetchone()
        if row is None:
            return None
        log = lab.folder / f"{row['host_id']}-vms" / f"{vm['id']}-console.log"
        return (row["host_id"], row["ip"]) if log.exists() and "network up" in log.read_text(errors="replace") else None
    host, ip = await until(up, within=300)
    return vm["id"], host, ip


async def live_moves(bench, lab: TwoHosts, size: str, runs: int) -> dict:
    vm_id, host, ip = await booted(bench, lab, size)
    rows = []
    for _ in range(runs):
        for _way in ("there", "back"):
            destination = "b" if host == "a" else "a"
            pinger = await asyncio.create_subprocess_exec(*lab.in_client("busybox", "ping", "-i", "0.1", ip),
                                                          stdout=asyncio.subprocess.PIPE,
                                                          stderr=asyncio.subprocess.DEVNULL)
            await asyncio.sleep(1.0)
            started = time.monotonic()
            result = await moves.move_capsul(bench.node.hub, vm_id, destination)
            wall = time.monotonic() - started
            await asyncio.sleep(1.0)
            pinger.send_signal(signal.SIGINT)
            out = (await pinger.communicate())[0].decode()
            sent, received = map(int, re.search(r"(\d+) packets transmitted, (\d+) packets received", out).groups())
            rows.append({"downtime_ms": result.get("downtime_ms"), "job_ms": result.get("elapsed_ms"),
                         "wall_s": round(wall, 2), "pings_lost": sent - received, "pings_sent": sent})
            print(f"  {size} {host} -> {destination}: {rows[-1]}", flush=True)
            host = destination
    await capsuls.destroy_capsul(bench.node.hub, ACCOUNT, vm_id)

    def p50(key):
        return percentile([r[key] for r in rows if r[key] is not None], 50)
    return {"size": size, "memory_mib": SIZES[size], "moves": rows, "downtime_ms_p50": p50("downtime_ms"),
            "downtime_ms_max": max(r["downtime_ms"] or 0 for r in rows), "job_ms_p50": p50("job_ms"),
            "wall_s_p50": p50("wall_s"), "pings_lost_max": max(r["pings_lost"] for r in rows)}


async def cold_moves(bench, lab: TwoHosts, runs: int) -> dict:
    vm_id, host, ip = await booted(bench, lab, "bench-256m")
    rows = []
    for _ in range(runs):
        destination = "b" if host == "a" else "a"
        started = time.monotonic()
        result = await moves.move_capsul(bench.node.hub, vm_id, destination, cold=True)
        moved = time.monotonic() - started
        await until(lambda: asyncio.to_thread(lab.answers_ping, ip), every=0.1)
        rows.append({"moved_s": round(moved, 2), "pings_again_s": round(time.monotonic() - started, 2),
                     "outage_ms": result["outage_ms"], "disk_bytes": result["disk_bytes"]})
        print(f"  cold {host} -> {destination}: {rows[-1]}", flush=True)
        host = destination
    await capsuls.destroy_capsul(bench.node.hub, ACCOUNT, vm_id)
    return {"moves": rows, "pings_again_s_p50": percentile([r["pings_again_s"] for r in rows], 50),
            "moved_s_p50": percentile([r["moved_s"] for r in rows], 50)}


async def evacuation(bench, lab: TwoHosts, count: int) -> dict:
    async with db.cursor(bench.pool) as cur:
        await hosts.set_host_state(cur, "b", "draining", "so that the capsuls are made on a")
    made = [await booted(bench, lab, "bench-256m") for _ in range(count)]
    async with db.cursor(bench.pool) as cur:
        await hosts.set_host_state(cur, "b", "active", None)
        await hosts.set_host_state(cur, "a", "draining", "evacuated by the bench")
    started = time.monotonic()
    report = await moves.evacuate(bench.node.hub, "a")
    wall = time.monotonic() - started
    for vm_id, _, _ in made:
        await capsuls.destroy_capsul(bench.node.hub, ACCOUNT, vm_id)
    return {"capsuls": count, "moved": len(report.moved), "wall_s": round(wall, 2),
            "per_capsul_s": round(wall / max(1, len(report.moved)), 2)}


async def main(runs: int, count: int) -> dict:
    async with bench_node() as bench:
        lab = TwoHosts(bench.folder / "lab", bench.folder / "tls" / "ca.pem", bench.folder / "tls" / "ca.key")
        try:
            lab.up()
            cluster = await setting_up(bench, lab)
            try:
                results = {"live": [await live_moves(bench, lab, size, runs) for size in SIZES],
                           "cold": await cold_moves(bench, lab, 2),
                           "evacuation": await evacuation(bench, lab, count)}
            finally:
                await cluster.stop()
        finally:
            lab.down()
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--capsuls", type=int, default=4)
    parser.add_argument("--json")
    args = parser.parse_args()
    figures = asyncio.run(main(args.runs, args.capsuls))
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
