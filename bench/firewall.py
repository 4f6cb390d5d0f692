#!/usr/bin/env python3
"""Capsuls' firewalls (docs/firewall.md), in one run:

- a rule change until it is enforced: a hub and spoke (libvirt's test driver, FIREWALL=nftables in a
  namespace of the bench's own) with `--host-capsuls` capsuls, each with its own rules; `--changes` times a
  rule is added through the service (the API's and the console's path) and the clock stops when
  nftables holds it (polled with `nft list chain`, about 3 ms a look), then it is removed again;
- nftables' cost per packet with `--capsuls` capsuls' tables on a router namespace between a client
  and a server namespace, against no tables, in alternating rounds: iperf3's UDP packets per second
  (64-byte datagrams, as fast as the client can) and TCP throughput; and
  how long one `nft -f` of those `--capsuls` capsuls' whole tables takes (what a spoke writes per change).

Needs root and iperf3 (apt-get install iperf3).

    .venv/bin/python bench/firewall.py [--host-capsuls 1000] [--capsuls 1000] [--changes 100] [--rounds 3] [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import platform
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import ACCOUNT, bench_node, percentile, wait_all_running  # noqa: E402,I001

from capsul.hub import capsuls, firewall  # noqa: E402
from capsul.spoke.firewall import rules as nft_rules  # noqa: E402


def run(*args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=check, capture_output=True, text=True, input=input, timeout=120)


async def rule_changes(capsul_count: int, changes: int) -> dict:
    ns = f"capsul-bfw-{uuid.uuid4().hex[:4]}"
    run("ip", "netns", "add", ns)
    try:
        # room for the capsuls on the harness' one test host: this measures the firewall, not placement
        async with bench_node(FIREWALL="nftables", FIREWALL_NETNS=ns, FIREWALL_RESYNC_INTERVAL="3600",
                              FIREWALL_TABLE="capsulbench", OVERCOMMIT_CPU_RATIO="32",
                              OVERCOMMIT_MEMORY_RATIO="8") as bench:
            hub = bench.node.hub
            ids = []
            for start in range(0, capsul_count, 50):
                made = await asyncio.gather(*(capsuls.create_capsul(hub, ACCOUNT, "f1-xs", "debian12", ["k"])
                                              for _ in range(min(50, capsul_count - start))))
                ids += [c["id"] for c in made]
            await wait_all_running(bench.pool, capsul_count)
            for vm_id in ids:  # each capsul: its own rules, as people set them
                await firewall.add_rule(hub, ACCOUNT, vm_id, {"protocol": "tcp", "port_from": 22})
                await firewall.add_rule(hub, ACCOUNT, vm_id, {"protocol": "tcp", "port_from": 443, "source": "0.0.0.0/0"})
                await firewall.set_mode(hub, ACCOUNT, vm_id, "rules")
            target = ids[-1]
            chain = "c_" + target.replace("-", "_")

            def holds(words: str) -> bool:
                listed = run("ip", "netns", "exec", ns, "nft", "list", "chain", "inet", "capsulbench", chain, check=False)
                return words in listed.stdout
            while not await asyncio.to_thread(holds, "tcp dport 443 accept"):  # everything above has been pushed
                await asyncio.sleep(0.05)
            # `nft monitor` prints each rule as it is added or deleted: the clock stops at that line,
            # with no polling beside the spoke's own nft on the same cores
            monitor = await asyncio.create_subprocess_exec("ip", "netns", "exec", ns, "nft", "monitor", "rules",
                                                           stdout=asyncio.subprocess.PIPE)

            async def seen(words: str) -> None:
                while words not in (await monitor.stdout.readline()).decode():
                    pass
            try:
                await asyncio.sleep(0.5)  # the monitor has subscribed (it prints nothing until a change)
                latencies = []
                for i in range(changes):
                    port = 20000 + i
                    started = time.perf_counter()
                    # the port is new each time: an earlier transaction's lines never match
                    waiting = asyncio.ensure_future(seen(f"tcp dport {port} accept"))
                    rule = await firewall.add_rule(hub, ACCOUNT, target, {"protocol": "tcp", "port_from": port})
                    await waiting
                    latencies.append((time.perf_counter() - started) * 1000)
                    if i == 0:  # nftables does hold it: the clock stopped for the right reason
                        assert await asyncio.to_thread(holds, f"tcp dport {port} accept")
                    await firewall.remove_rule(hub, ACCOUNT, target, rule["id"])
                    while await asyncio.to_thread(holds, f"tcp dport {port} accept"):  # not timed
                        pass
            finally:
                monitor.kill()
                await monitor.wait()
            documents = []  # of that: the hub reading the host's document (every capsul and its rules)
            for _ in range(20):
                started = time.perf_counter()
                await firewall.host_document(bench.pool, hub.config, "local")
                documents.append((time.perf_counter() - started) * 1000)
            return {"capsuls": capsul_count, "changes": changes,
                    "p50_ms": round(percentile(latencies, 50), 1), "p99_ms": round(percentile(latencies, 99), 1),
                    "max_ms": round(max(latencies), 1), "document_p50_ms": round(percentile(documents, 50), 1)}
    finally:
        run("ip", "netns", "delete", ns, check=False)


def server_address(capsul_count: int) -> str:
    """The last capsul's address: the server stands in for it."""
    return str(ipaddress.IPv4Address("10.91.0.2") + capsul_count - 1)


def packet_lab(tag: str, server_ip: str) -> tuple[str, str, str]:
    client, router, server = (f"capsul-bp{x}-{tag}" for x in "crs")
    for ns in (client, router, server):
        run("ip", "netns", "add", ns)
        run("ip", "-n", ns, "link", "set", "lo", "up")
    run("ip", "-n", client, "link", "add", "c0", "type", "veth", "peer", "name", "r0", "netns", router)
    run("ip", "-n", server, "link", "add", "s0", "type", "veth", "peer", "name", "r1", "netns", router)
    for ns, dev, address in ((client, "c0", "10.90.0.2/24"), (router, "r0", "10.90.0.1/24"),
                             (router, "r1", "10.91.0.1/16"), (server, "s0", f"{server_ip}/16")):
        run("ip", "-n", ns, "addr", "add", address, "dev", dev)
        run("ip", "-n", ns, "link", "set", dev, "up")
    run("ip", "-n", client, "route", "add", "default", "via", "10.90.0.1")
    run("ip", "-n", server, "route", "add", "default", "via", "10.91.0.1")
    run("ip", "netns", "exec", router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
    return client, router, server


def tables(capsul_count: int) -> str:
    """`capsul_count` capsuls' tables as a spoke writes them, each allowing the benchmark's traffic."""
    made = []
    for i in range(capsul_count):
        address = ipaddress.IPv4Address("10.91.0.2") + i
        made.append(nft_rules.Capsul(
            vm_id=f"capsul-{i:010d}", device=f"cp-{i:010d}", ipv4=address,
            ipv6=ipaddress.IPv6Address("2001:db8:91::2") + i,
            rules=(nft_rules.Rule("tcp", 22, 22, None), nft_rules.Rule("tcp", 5201, 5201, None),
                   nft_rules.Rule("udp", 5201, 5201, None), nft_rules.Rule("icmp", None, None, None),
                   nft_rules.Rule("tcp", 443, 443, ipaddress.ip_network("0.0.0.0/0")))))
    return nft_rules.script("capsulbench", made)


def measure(client: str, server_ip: str) -> dict:
    udp = json.loads(run("ip", "netns", "exec", client, "iperf3", "-c", server_ip, "-u", "-b", "0", "-l", "64",
                         "-t", "5", "-J").stdout)
    tcp = json.loads(run("ip", "netns", "exec", client, "iperf3", "-c", server_ip, "-t", "5", "-J").stdout)
    received = udp["end"]["sum"]
    return {"udp_pps": round(received["packets"] * (1 - received["lost_percent"] / 100) / received["seconds"]),
            "tcp_gbit_s": round(tcp["end"]["sum_received"]["bits_per_second"] / 1e9, 2)}


def packet_cost(capsul_count: int, rounds: int) -> dict:
    if shutil.which("iperf3") is None:
        raise SystemExit("bench/firewall.py needs iperf3: apt-get install iperf3")
    tag = uuid.uuid4().hex[:4]
    server_ip = server_address(capsul_count)
    client, router, server = packet_lab(tag, server_ip)
    daemon = subprocess.Popen(["ip", "netns", "exec", server, "iperf3", "-s"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    script = tables(capsul_count)
    results = {"none": [], "rules": []}
    writes = []
    try:
        while ":5201" not in run("ip", "netns", "exec", server, "ss", "-ltn").stdout:  # iperf3 -s is listening
            time.sleep(0.05)
        for _ in range(rounds):
            for kind in ("none", "rules"):
                if kind == "rules":
                    started = time.perf_counter()
                    run("ip", "netns", "exec", router, "nft", "-f", "-", input=script)
                    writes.append((time.perf_counter() - started) * 1000)
                else:
                    run("ip", "netns", "exec", router, "nft", "-f", "-", input=nft_rules.removal_script("capsulbench"))
                results[kind].append(measure(client, server_ip))
    finally:
        daemon.kill()
        daemon.wait()
        for ns in (client, router, server):
            run("ip", "netns", "delete", ns, check=False)

    def mid(kind: str, key: str) -> float:
        return sorted(r[key] for r in results[kind])[len(results[kind]) // 2]
    none_pps, rules_pps = mid("none", "udp_pps"), mid("rules", "udp_pps")
    return {"capsuls": capsul_count, "rounds": rounds, "runs": results,
            "udp_pps": {"none": none_pps, "rules": rules_pps, "ratio": round(rules_pps / none_pps, 3)},
            "tcp_gbit_s": {"none": mid("none", "tcp_gbit_s"), "rules": mid("rules", "tcp_gbit_s"),
                           "ratio": round(mid("rules", "tcp_gbit_s") / mid("none", "tcp_gbit_s"), 3)},
            "ns_per_packet": round((1 / rules_pps - 1 / none_pps) * 1e9, 1),
            "whole_write_ms": round(sorted(writes)[len(writes) // 2], 1), "script_lines": script.count("\n")}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host-capsuls", type=int, default=1000)
    parser.add_argument("--capsuls", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args()
    result = {"machine": f"{platform.node()} {platform.processor() or platform.machine()}, "
                         f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores",
              "rule_change": await rule_changes(args.host_capsuls, args.changes)}
    print(json.dumps(result["rule_change"]), flush=True)
    result["packet_cost"] = await asyncio.to_thread(packet_cost, args.capsuls, args.rounds)
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
