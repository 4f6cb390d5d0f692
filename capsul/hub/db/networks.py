"""Queries on `host_network`: per-host IPv4 pools and address allocation."""
from __future__ import annotations

import ipaddress

from capsul.hub.db import Conflict

LIVE = "state NOT IN ('deleted', 'failed')"


async def add_host_network(cur, host_id: str, cidr: str, first_usable: str | None = None,
                           last_usable: str | None = None, network_name: str = "default") -> dict:
    """A pool; first/last default to the CIDR's first and last host addresses."""
    net = ipaddress.IPv4Network(cidr)
    hosts = list(net.hosts()) if net.num_addresses <= 4096 else None
    first = first_usable or str(hosts[0] if hosts else net.network_address + 1)
    last = last_usable or str(hosts[-1] if hosts else net.broadcast_address - 1)
    await cur.execute(
        """INSERT INTO host_network (host_id, network_name, cidr, first_usable, last_usable)
           VALUES (%s, %s, %s, %s, %s)
           ON CONFLICT (host_id, network_name) DO UPDATE SET cidr = EXCLUDED.cidr,
               first_usable = EXCLUDED.first_usable, last_usable = EXCLUDED.last_usable
           RETURNING *""", (host_id, network_name, str(net), first, last))
    return await cur.fetchone()


async def allocate_ipv4(cur, host_id: str) -> tuple[str, str] | None:
    """(network name, a free address) from the host's pools, or None when they are full.

    Locks the host's pool rows until the transaction ends, so two claims on one host
    never pick the same address; the unique index on live addresses backs this up.
    Must run inside a transaction.
    """
    await cur.execute("SELECT network_name FROM host_network WHERE host_id = %s ORDER BY network_name FOR UPDATE",
                      (host_id,))
    if not await cur.fetchall():
        return None
    await cur.execute(
        f"""SELECT hn.network_name, host(hn.first_usable + g.n) AS address
            FROM host_network hn, generate_series(0, hn.last_usable - hn.first_usable) AS g(n)
            WHERE hn.host_id = %s
              AND NOT EXISTS (SELECT 1 FROM vms v WHERE v.public_ipv4 = hn.first_usable + g.n AND v.{LIVE})
            ORDER BY hn.network_name, g.n LIMIT 1""", (host_id,))
    row = await cur.fetchone()
    return (row["network_name"], row["address"]) if row else None


async def ensure_no_overlap(cur, host_id: str, cidr: str) -> None:
    await cur.execute("SELECT host_id, cidr FROM host_network WHERE cidr && %s AND host_id <> %s",
                      (cidr, host_id))
    row = await cur.fetchone()
    if row:
        raise Conflict(f"{cidr} overlaps {row['cidr']} of host {row['host_id']}")
