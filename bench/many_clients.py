#!/usr/bin/env python3
"""10,000 websocket clients across 3 hubs, per-person events at 100 a second: event -> frame
latency, and each hub's memory per client.

Three hub processes (`run.py --hub`) share the bench's database. The bench node (hub + spoke,
this process) holds one capsul for each of EVENTFUL people and makes their events: suspend and
resume straight through libvirt, EVENTS_PER_S a second, each on the real path (the spoke's
outbox, signed /hub/events, the commit's NOTIFY, every hub's listener, the owner's connections
only). The clients (bench/ws_many_clients.py, a process of their own) are PEOPLE people with
CLIENTS_EACH connections each, spread over the 3 hubs, authenticated with their person's API
token as `run.py watch` is. Latency: from the libvirt call to the frame's arrival at each of
the owner's clients. Memory: each hub's RSS with its clients connected, less its RSS before.

    .venv/bin/python bench/many_clients.py [--people 5000] [--clients-each 2] [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: E402
from harness import bench_node, free_port, summary, wait_all_running  # noqa: E402,I001

from capsul.hub import capsuls, db  # noqa: E402
from capsul.hub.accounts import api_tokens, ssh_keys  # noqa: E402
from capsul.hub.db import accounts  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
HUBS = 3
EVENTFUL = 200  # people whose capsul has events (each gets one every EVENTFUL / EVENTS_PER_S seconds)
EVENTS_PER_S = 100
SECONDS = 30


def rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))


async def start_hub(bench, i: int) -> tuple[asyncio.subprocess.Process, str]:
    config = bench.node.config
    env = {"DATABASE_URL": bench.dsn, "CONSOLE_LISTEN": f"127.0.0.1:{free_port()}",
           "API_LISTEN": f"127.0.0.1:{free_port()}", "TLS_CERT_FILE": str(config.tls_cert_file),
           "TLS_KEY_FILE": str(config.tls_key_file), "TLS_CA_FILE": str(config.tls_ca_file),
           "CAPSUL_VAR_DIR": str(bench.folder / f"hub{i}"), "LOG_LEVEL": "WARNING", "BILLING_ENABLED": "false",
           "HEARTBEAT_INTERVAL": "5", "RESYNC_INTERVAL": "3600", "PATH": "/usr/bin:/bin",
           "CONNECTIONS_PER_ADDRESS": "100000"}  # thousands of clients, all from loopback
    hub = await asyncio.create_subprocess_exec(sys.executable, str(REPO / "run.py"), "--hub", cwd=REPO, env=env,
                                               stdout=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL)
    async with asyncio.timeout(60):
        while m := (await hub.stdout.readline()).decode():
            if found := re.match(r"\s+web console:\s+(\S+?)/?$", m):
                return hub, found.group(1).replace("http://", "ws://") + "/ws"
    raise RuntimeError("a hub exited before printing its console URL")


async def people_with_tokens(bench, people: int) -> list[str]:
    tokens = []
    key = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    for p in range(people):
        email = f"person{p}@example.org"
        async with db.cursor(bench.pool) as cur:
            await accounts.ensure_account(cur, email)
        if p < EVENTFUL:
            await ssh_keys.add_ssh_key(bench.pool, email, key, "k")
        tokens.append((await api_tokens.create_token(bench.pool, email, "bench", "read", None))[0])
    return tokens


async def make_events(bench, vm_ids: list[str], seconds: float) -> list[tuple[str, str, int]]:
    """Suspend/resume the capsuls in turn, EVENTS_PER_S a second; (vm id, state it goes to, ns when asked)."""
    virt, sent, paused = bench.node.hypervisor, [], set()
    started = time.monotonic()
    for i in range(int(seconds * EVENTS_PER_S)):
        await asyncio.sleep(max(0.0, started + i / EVENTS_PER_S - time.monotonic()))  # the schedule, not a wait
        vm_id = vm_ids[i % len(vm_ids)]
        command, state = ("resume", "running") if vm_id in paused else ("suspend", "paused")
        t0 = time.monotonic_ns()
        await virt.command(vm_id, command)
        paused ^= {vm_id}
        sent.append((vm_id, state, t0))
    return sent


def latencies(sent: list[tuple[str, str, int]], arrivals: list[list]) -> tuple[list[float], int]:
    """Each arrival against the latest event of its capsul and state asked before it; how many had none."""
    asked: dict[tuple[str, str], list[int]] = {}
    for vm_id, state, t0 in sent:
        asked.setdefault((vm_id, state), []).append(t0)
    out, unmatched = [], 0
    for vm_id, state, ns in arrivals:
        times = asked.get((vm_id, state), [])
        i = bisect.bisect_right(times, ns) - 1
        if i < 0:
            unmatched += 1
            continue
        out.append((ns - times[i]) / 1e6)
    return out, unmatched


async def main(people: int, each: int, seconds: float) -> dict:
    async with bench_node(STOPPED_DEBOUNCE="0") as bench:
        tokens = await people_with_tokens(bench, people)
        made = [await capsuls.create_capsul(bench.node.hub, f"person{p}@example.org", "f1-xs", "debian12", ["k"])
                for p in range(EVENTFUL)]
        await wait_all_running(bench.pool, EVENTFUL)
        vm_ids = [vm["id"] for vm in made]
        hubs = [await start_hub(bench, i) for i in range(HUBS)]
        clients = None
        try:
            await asyncio.sleep(2)  # a bench: the hubs settle before their memory is read
            before = [rss_kb(h.pid) for h, _ in hubs]
            spec = bench.folder / "clients.json"
            spec.write_text(json.dumps({"urls": [url for _, url in hubs], "tokens": tokens, "clients_each": each}))
            started = time.monotonic()
            clients = await asyncio.create_subprocess_exec(
                sys.executable, str(Path(__file__).with_name("ws_many_clients.py")), str(spec),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**30)
            assert (await asyncio.wait_for(clients.stdout.readline(), 900)).strip() == b"ready"
            connected_in = time.monotonic() - started
            after = [rss_kb(h.pid) for h, _ in hubs]
            sent = await make_events(bench, vm_ids, seconds)
            await asyncio.sleep(2)  # the last events' frames arrive
            clients.stdin.close()
            arrivals = json.loads(await asyncio.wait_for(clients.stdout.readline(), 120))
            await clients.wait()
            peak = [rss_kb(h.pid) for h, _ in hubs]
        finally:
            if clients is not None and clients.returncode is None:
                clients.kill()
                await clients.wait()
            for hub, _ in hubs:
                hub.terminate()
                await hub.wait()
    timed, unmatched = latencies(sent, arrivals)
    total = people * each
    per_hub = [total // HUBS + (1 if i < total % HUBS else 0) for i in range(HUBS)]
    return {"hubs": HUBS, "people": people, "clients": total, "connected_in_s": round(connected_in, 1),
            "events": len(sent), "events_per_s": EVENTS_PER_S, "frames_expected": len(sent) * each,
            "frames_received": len(arrivals), "frames_unmatched": unmatched, "event_to_frame": summary(timed),
            "hub_rss_mb_before": [round(b / 1024) for b in before], "hub_rss_mb_with_clients": [round(a / 1024) for a in after],
            "hub_rss_mb_after_events": [round(p / 1024) for p in peak],
            "rss_kb_per_client": [round((a - b) / n, 1) for a, b, n in zip(after, before, per_hub)]}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--clients-each", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    r = asyncio.run(main(args.people, args.clients_each, args.seconds))
    print(json.dumps(r, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2) + "\n")
