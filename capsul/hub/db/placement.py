"""Where a new capsul can go: online hosts ranked by free capacity, as the hub's database sees it.

A host's use is what its live VMs are sized at plus what it has been offered and not
yet answered, so concurrent creates spread out instead of all picking the same host.
Ranking and offering run under one advisory lock (see `PLACEMENT_LOCK`).
"""
from __future__ import annotations

from capsul import vm_states
from capsul.hub.db import locks

LIVE, LIVE_V = vm_states.live_sql(), vm_states.live_sql("v.state")
PLACEMENT_LOCK = locks.PLACEMENT


async def lock_placement(cur) -> None:
    """Must run inside a transaction; released when it ends."""
    await cur.execute("SELECT pg_advisory_xact_lock(%s)", (PLACEMENT_LOCK,))


async def rank_hosts(cur, *, cpu_ratio: float, memory_ratio: float, exclude: set[str] = frozenset()) -> list[dict]:
    """Online hosts with a known capacity, most free memory first, then most free vCPUs."""
    await cur.execute(
        f"""WITH placed AS (
               SELECT v.host_id, s.vcpus, s.memory_mb FROM vms v JOIN vm_sizes s ON s.id = v.size
               WHERE v.host_id IS NOT NULL AND {LIVE_V}
             UNION ALL
               SELECT ho.host_id, s.vcpus, s.memory_mb
               FROM host_operation ho JOIN operations o ON o.id = ho.operation_id
               JOIN vms v ON v.id = o.vm_id JOIN vm_sizes s ON s.id = v.size
               WHERE ho.assignment_status = 'offered' AND o.status = 'pending'),
           used AS (SELECT host_id, sum(vcpus) AS vcpus, sum(memory_mb) AS memory_mb FROM placed GROUP BY host_id),
           pools AS (  -- a pool without a gateway is never used: its guests would have no route
               SELECT hn.host_id, sum(hn.last_usable - hn.first_usable + 1) FILTER (WHERE hn.gateway IS NOT NULL)
                          AS size,
                      count(*) FILTER (WHERE hn.gateway IS NULL) AS without_gateway
               FROM host_network hn GROUP BY hn.host_id),
           taken AS (
               SELECT host_id, count(*) AS n FROM vms
               WHERE public_ipv4 IS NOT NULL AND {LIVE} GROUP BY host_id)
        SELECT h.id, h.https_url, h.hub_token,
               CASE WHEN h.previous_valid_until > now() THEN h.previous_hub_token END AS previous_hub_token,
               floor((h.capacity->>'memory_mb')::numeric * %(memory_ratio)s) - coalesce(u.memory_mb, 0)
                   AS free_memory_mb,
               floor((h.capacity->>'cpus')::numeric * %(cpu_ratio)s) - coalesce(u.vcpus, 0) AS free_vcpus,
               coalesce(p.size, 0) AS pool_size, coalesce(p.size, 0) - coalesce(t.n, 0) AS free_addresses,
               coalesce(p.without_gateway, 0) AS pools_without_gateway, h.missing_networks
        FROM hosts h LEFT JOIN used u ON u.host_id = h.id LEFT JOIN pools p ON p.host_id = h.id
             LEFT JOIN taken t ON t.host_id = h.id
        WHERE h.online AND h.capacity IS NOT NULL AND NOT (h.id = ANY(%(exclude)s))
        ORDER BY free_memory_mb DESC, free_vcpus DESC, h.id""",
        {"cpu_ratio": cpu_ratio, "memory_ratio": memory_ratio, "exclude": list(exclude)})
    return await cur.fetchall()


def why_not(host: dict, vcpus: int, memory_mb: int) -> str | None:
    """None if the host has room for the size, else the reason it has not."""
    if host["missing_networks"]:
        return "its libvirt network " + "; ".join(f"{name} is {why}" for name, why in
                                                  sorted(host["missing_networks"].items()))
    if host["pool_size"] == 0 and host["pools_without_gateway"]:
        return "no free IPv4 address: its pool has no gateway (run.py add-network --gateway)"
    if host["pool_size"] == 0:
        return "no free IPv4 address: it has no IPv4 pool (run.py add-network)"
    if host["free_addresses"] < 1:
        return "no free IPv4 address"
    if host["free_memory_mb"] < memory_mb:
        return f"not enough memory ({max(0, int(host['free_memory_mb']))} MB free)"
    if host["free_vcpus"] < vcpus:
        return f"not enough vCPUs ({max(0, int(host['free_vcpus']))} free)"
    return None
