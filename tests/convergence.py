"""The state every fault test must end in (issue 6): hub and hypervisors agree.

- every capsul domain on a host has exactly one VM row, owned by that host;
- every live VM row (creating excepted) is on its host, in the state the host reports;
- no address is held by two live VMs;
- every registered host was asked (none offline or unreachable).

The hosts are asked through their signed `list` operation, which reads libvirt directly.
"""
from __future__ import annotations

import pytest

from capsul.hub import db

from capsul.hub.capsuls import Hub
from capsul.hub.db import placement
from capsul.hub.spokes import consistency
from capsul.hub.spokes.dispatcher import OperationFailed
from tests.conftest import eventually


async def problems(hub: Hub) -> list[str]:
    report = await consistency.check(hub)
    found = [f"{d.vm_id} on {d.host_id}: {d.problem} (database {d.database}, host {d.reported})"
             for d in report.differences]
    found += [f"host {h} not checked: {why}" for h, why in report.unchecked_hosts.items()]
    try:
        fan_out = await hub.dispatcher.list_everywhere()
    except OperationFailed as e:  # every host offline just now (say, a spoke restarting): not converged yet
        return found + [f"no host listed its VMs: {e}"]
    seen: dict[str, str] = {}
    for host_id, answer in fan_out.answers.items():
        for vm in answer["vms"]:
            if vm["vm_id"] in seen:
                found.append(f"{vm['vm_id']} is on both {seen[vm['vm_id']]} and {host_id}")
            seen[vm["vm_id"]] = host_id
    async with db.cursor(hub.pool) as cur:
        await cur.execute("""SELECT host(public_ipv4) AS ip, array_agg(id) AS ids FROM vms
                             WHERE public_ipv4 IS NOT NULL AND state NOT IN ('deleted', 'failed')
                             GROUP BY public_ipv4 HAVING count(*) > 1""")
        found += [f"address {r['ip']} held by {r['ids']}" for r in await cur.fetchall()]
        found += [f"host {d['host_id']}: kept load {d['kept_vcpus']} vCPUs, {d['kept_memory_mb']} MB, "
                  f"{d['kept_addresses']} addresses; counted {d['counted_vcpus']}, {d['counted_memory_mb']}, "
                  f"{d['counted_addresses']}" for d in await placement.load_differences(cur)]
        await cur.execute("SELECT id FROM vms WHERE state = 'creating'")
        creating = [r["id"] for r in await cur.fetchall()]
    found += [f"{vm_id} still creating" for vm_id in creating]
    return found


async def assert_converged(hub: Hub, *, within: float = 60) -> None:
    last: list[list[str]] = [[]]

    async def converged() -> bool:
        last[0] = await problems(hub)
        return not last[0]

    try:
        await eventually(converged, within=within, every=0.5)
    except pytest.fail.Exception:
        pytest.fail("hub and hosts did not converge:\n  " + "\n  ".join(last[0]))
