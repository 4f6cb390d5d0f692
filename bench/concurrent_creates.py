#!/usr/bin/env python3
"""200 concurrent creates racing over 5 spokes: how long, and whether the result is exact.

The hub (this process, through the service layer the console uses) takes 200 creates at
once; 5 spokes (real Nodes on test:///default in another process) compete for them. Then:
VMs made, owners per VM (claims), duplicate addresses, orphans (rows without a domain, or
domains without a live row), and time until every one is running.

    .venv/bin/python bench/concurrent_creates.py [--creates 200] [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ACCOUNT, bench_node, spoke_swarm  # noqa: E402,I001

from capsul.hub import capsuls, db  # noqa: E402



async def main(creates: int) -> dict:
    async with bench_node() as bench:
        async with db.cursor(bench.pool) as cur:  # only the 5 racing spokes take creates
            await cur.execute("DELETE FROM host_network WHERE host_id = 'local'")
        cidrs = [f"10.{100 + i}.0.0/24" for i in range(5)]
        async with spoke_swarm(bench, 5, prefix="racer", pool_cidrs=cidrs, own_hosts=True) as racers:
            started = time.perf_counter()
            results = await asyncio.gather(*(capsuls.create_capsul(bench.node.hub, ACCOUNT, "f1-xs", "debian12",
                                                                   ["k"]) for _ in range(creates)),
                                           return_exceptions=True)
            owned = time.perf_counter() - started
            errors = [repr(r) for r in results if isinstance(r, BaseException)]
            while True:
                async with db.cursor(bench.pool) as cur:
                    await cur.execute("SELECT count(*) AS n FROM vms WHERE state = 'running'")
                    if (await cur.fetchone())["n"] + len(errors) >= creates:
                        break
                if time.perf_counter() - started > 120:
                    break
                await asyncio.sleep(0.02)
            all_running = time.perf_counter() - started
            listing = await bench.node.hub.dispatcher.list_everywhere()
            async with db.cursor(bench.pool) as cur:
                await cur.execute("""SELECT id, host_id, host(public_ipv4) AS ip, state FROM vms
                                     WHERE state NOT IN ('deleted', 'failed')""")
                rows = {r["id"]: r for r in await cur.fetchall()}
                await cur.execute("""SELECT operation_id, count(*) AS n FROM host_operation
                                     WHERE assignment_status = 'claimed' GROUP BY 1""")
                claims = [r["n"] for r in await cur.fetchall()]
    domains = [(host, vm["vm_id"]) for host, answer in listing.answers.items() for vm in answer["vms"]]
    domain_ids = [vm_id for _, vm_id in domains]
    owners_agree = sum(1 for host, vm_id in domains if vm_id in rows and rows[vm_id]["host_id"] == host)
    ips = [r["ip"] for r in rows.values()]
    return {
        "creates": creates, "spokes": len(racers), "errors": errors,
        "seconds_until_all_owned": round(owned, 2), "seconds_until_all_running": round(all_running, 2),
        "vms": len(rows), "domains": len(domains), "domains_on_their_owner": owners_agree,
        "creates_with_one_claim": sum(1 for n in claims if n == 1),
        "creates_with_several_claims": sum(1 for n in claims if n > 1),
        "duplicate_addresses": len(ips) - len(set(ips)),
        "orphan_rows": len(set(rows) - set(domain_ids)), "orphan_domains": len(set(domain_ids) - set(rows)),
        "per_spoke": {h: sum(1 for host, _ in domains if host == h) for h in sorted(listing.answers)},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    r = asyncio.run(main(args.creates))
    print(f"{r['creates']} creates over {r['spokes']} spokes: all owned in {r['seconds_until_all_owned']} s, "
          f"all running in {r['seconds_until_all_running']} s; VMs {r['vms']}, domains {r['domains']} "
          f"({r['domains_on_their_owner']} on their owner), one claim each {r['creates_with_one_claim']}, "
          f"several claims {r['creates_with_several_claims']}, duplicate addresses {r['duplicate_addresses']}, "
          f"orphans {r['orphan_rows']} rows / {r['orphan_domains']} domains, errors {len(r['errors'])}")
    print(f"per spoke: {r['per_spoke']}")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2) + "\n")
