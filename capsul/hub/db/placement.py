"""Where a new capsul can go: online hosts ranked by free capacity, as the hub's database sees it.

A host's use is what its live VMs are sized at (kept in host_load and its deltas by a
trigger) plus what it has been offered and not yet answered, so concurrent creates spread out
instead of all picking the same host.
Ranking and offering run under one advisory lock (see `PLACEMENT_LOCK`).
"""
from __future__ import annotations

from capsul import version as versions
from capsul import vm_states
from capsul.hub.db import locks

LIVE_V = vm_states.live_sql("v.state")
PLACEMENT_LOCK = locks.PLACEMENT


async def lock_placement(cur) -> None:
    """Must run inside a transaction; released when it ends."""
    await cur.execute("SELECT pg_advisory_xact_lock(%s)", (PLACEMENT_LOCK,))


async def fold_load(cur) -> None:
    """Fold the committed deltas of host load into host_load (schema.sql). Only under the
    placement lock: the one writer of host_load, so nothing waits on its rows but another fold."""
    await cur.execute(
        """WITH folded AS (DELETE FROM host_load_deltas RETURNING host_id, capsuls, vcpus, memory_mb, addresses)
           INSERT INTO host_load AS l (host_id, capsuls, vcpus, memory_mb, addresses)
           SELECT host_id, sum(capsuls), sum(vcpus), sum(memory_mb), sum(addresses) FROM folded GROUP BY host_id
           ON CONFLICT (host_id) DO UPDATE SET
             capsuls = l.capsuls + EXCLUDED.capsuls, vcpus = l.vcpus + EXCLUDED.vcpus,
             memory_mb = l.memory_mb + EXCLUDED.memory_mb, addresses = l.addresses + EXCLUDED.addresses""")


# Each host's load now: what is folded plus what is not yet (committed since the last fold). The
# deltas are few (the placement decision folds them first), so they are summed on their own and
# joined to host_load's one row per host, not unioned with it and regrouped (half the decision's time
# at 1,000 hosts: bench/placement_scale.py).
LOAD = """
    newer AS (
        SELECT host_id, sum(capsuls) AS capsuls, sum(vcpus) AS vcpus, sum(memory_mb) AS memory_mb,
               sum(addresses) AS addresses
        FROM host_load_deltas GROUP BY host_id),
    load AS (
        SELECT coalesce(k.host_id, n.host_id) AS host_id, coalesce(k.capsuls, 0) + coalesce(n.capsuls, 0) AS capsuls,
               coalesce(k.vcpus, 0) + coalesce(n.vcpus, 0) AS vcpus,
               coalesce(k.memory_mb, 0) + coalesce(n.memory_mb, 0) AS memory_mb,
               coalesce(k.addresses, 0) + coalesce(n.addresses, 0) AS addresses
        FROM host_load k FULL JOIN newer n ON n.host_id = k.host_id)"""


async def rank_hosts(cur, *, cpu_ratio: float, memory_ratio: float, exclude: set[str] = frozenset(),
                     room_for: tuple[int, int] | None = None, limit: int | None = None,
                     only: str | None = None) -> list[dict]:
    """Online hosts with a known capacity, most free memory first, then most free vCPUs; with
    `room_for` (vCPUs, memory MB) only those with room for it (and a free address, and their
    networks present), at most `limit`; with `only`, that one host. Reads one row per host (host_load and its deltas,
    kept by a trigger on vms), not every capsul; offers not yet answered are added here (few:
    only creates in flight)."""
    fits = ""
    if room_for is not None:
        fits = """WHERE free_vcpus >= %(vcpus)s AND free_memory_mb >= %(memory_mb)s AND free_addresses >= 1
                  AND missing_networks = '{}' AND state = 'active'"""
    await cur.execute(
        f"""SELECT * FROM (WITH {LOAD},
           offers AS (  -- creates offered and not yet answered, and capsuls moving in (hub/db/moves.py)
               SELECT host_id, sum(vcpus) AS vcpus, sum(memory_mb) AS memory_mb FROM (
                   SELECT ho.host_id, s.vcpus, s.memory_mb
                   FROM host_operation ho JOIN operations o ON o.id = ho.operation_id AND o.status = 'pending'
                   JOIN vms v ON v.id = o.vm_id JOIN vm_sizes s ON s.id = v.size
                   WHERE ho.assignment_status = 'offered'
                   UNION ALL
                   SELECT o.payload->>'destination', s.vcpus, s.memory_mb
                   FROM operations o JOIN vms v ON v.id = o.vm_id JOIN vm_sizes s ON s.id = v.size
                   WHERE o.type = 'move' AND o.status IN ('pending', 'assigned')) AS taken
               GROUP BY host_id),
           pools AS (SELECT host_id, addresses AS size, without_gateway FROM host_pools)  -- schema.sql keeps it
        SELECT h.id, h.https_url, h.hub_token,
               CASE WHEN h.previous_valid_until > now() THEN h.previous_hub_token END AS previous_hub_token,
               floor((h.capacity->>'memory_mb')::float8 * %(memory_ratio)s)
                   - coalesce(l.memory_mb, 0) - coalesce(o.memory_mb, 0) AS free_memory_mb,
               floor((h.capacity->>'cpus')::float8 * %(cpu_ratio)s) - coalesce(l.vcpus, 0) - coalesce(o.vcpus, 0)
                   AS free_vcpus,
               coalesce(p.size, 0) AS pool_size, coalesce(p.size, 0) - coalesce(l.addresses, 0) AS free_addresses,
               coalesce(p.without_gateway, 0) AS pools_without_gateway, h.missing_networks, h.state, h.images,
               h.version
        FROM hosts h LEFT JOIN load l ON l.host_id = h.id LEFT JOIN offers o ON o.host_id = h.id
             LEFT JOIN pools p ON p.host_id = h.id
        WHERE h.online AND h.capacity IS NOT NULL AND NOT (h.id = ANY(%(exclude)s))
              AND (%(only)s::text IS NULL OR h.id = %(only)s)) ranked
        {fits}
        ORDER BY free_memory_mb DESC, free_vcpus DESC, id LIMIT %(limit)s""",
        {"cpu_ratio": cpu_ratio, "memory_ratio": memory_ratio, "exclude": list(exclude),
         "vcpus": room_for[0] if room_for else 0, "memory_mb": room_for[1] if room_for else 0, "limit": limit,
         "only": only})
    return await cur.fetchall()


async def host_has_room(cur, host_id: str, more_vcpus: int, more_memory_mb: int, *, cpu_ratio: float,
                        memory_ratio: float) -> bool:
    """Whether the host can give one of its capsuls that many more vCPUs and MB (a resize: no new
    address is needed). Under the placement lock, like a create's decision."""
    if more_vcpus <= 0 and more_memory_mb <= 0:
        return True
    rows = await rank_hosts(cur, cpu_ratio=cpu_ratio, memory_ratio=memory_ratio, only=host_id)
    return bool(rows) and rows[0]["free_vcpus"] >= more_vcpus and rows[0]["free_memory_mb"] >= more_memory_mb


async def live_capsuls_by_host(cur, host_ids: list[str]) -> dict[str, int]:
    """Live capsuls per host, from the kept load (the admin view)."""
    await cur.execute(f"WITH {LOAD} SELECT host_id, capsuls FROM load WHERE host_id = ANY(%s)", (host_ids,))
    return {r["host_id"]: r["capsuls"] for r in await cur.fetchall()}


async def load_differences(cur) -> list[dict]:
    """Hosts whose kept load differs from a recount of their live capsuls (none, unless the
    trigger is broken: the tests' convergence check asks)."""
    await cur.execute(
        f"""WITH {LOAD}, counted AS (
               SELECT v.host_id, count(*) AS capsuls, sum(s.vcpus) AS vcpus, sum(s.memory_mb) AS memory_mb,
                      count(v.public_ipv4) AS addresses
               FROM vms v JOIN vm_sizes s ON s.id = v.size WHERE v.host_id IS NOT NULL AND {LIVE_V} GROUP BY v.host_id)
        SELECT coalesce(c.host_id, l.host_id) AS host_id, c.capsuls AS counted_capsuls, l.capsuls AS kept_capsuls,
               c.vcpus AS counted_vcpus, l.vcpus AS kept_vcpus,
               c.memory_mb AS counted_memory_mb, l.memory_mb AS kept_memory_mb,
               c.addresses AS counted_addresses, l.addresses AS kept_addresses
        FROM counted c FULL JOIN load l ON l.host_id = c.host_id
        WHERE (coalesce(c.capsuls, 0), coalesce(c.vcpus, 0), coalesce(c.memory_mb, 0), coalesce(c.addresses, 0))
              IS DISTINCT FROM
              (coalesce(l.capsuls, 0), coalesce(l.vcpus, 0), coalesce(l.memory_mb, 0), coalesce(l.addresses, 0))""")
    return await cur.fetchall()


def image_fit(host: dict, image: dict | None) -> int | None:
    """0 when the host holds the image (or the image is known only by its file name: as before
    images by digest, every host is taken to have it), 1 when its spoke can fetch it first, None
    when it cannot have it (no URL to fetch it from; or a spoke too old to fetch by digest)."""
    if image is None or not image.get("sha256"):
        return 0
    fetches = host.get("images") is not None or _fetches_by_digest(host.get("version"))
    held = (host.get("images") or {}).get(image["sha256"], {})
    if held.get("state") == "present" or (not fetches and image.get("file_name")):
        return 0
    return 1 if image.get("url") and fetches else None


def _fetches_by_digest(version: str | None) -> bool:
    """Whether a spoke of this version fetches images by digest (0.10.0 on), though it has not
    reported its images yet (it has just started)."""
    try:
        return version is not None and versions.parse(version) >= (0, 10, 0)
    except ValueError:
        return False


def why_not(host: dict, vcpus: int, memory_mb: int, image: dict | None = None) -> str | None:
    """None if the host has room for the size (and can have the image), else the reason it has not."""
    if host.get("state", "active") != "active":
        return f"it is {host['state']}: no new capsuls"
    if image_fit(host, image) is None:
        return f"it does not have the OS image {image['id']} (sha256 {image['sha256'][:12]}…), which has no URL"
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
