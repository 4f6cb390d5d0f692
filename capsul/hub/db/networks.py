"""Queries on `host_network`: per-host IPv4 pools and address allocation."""
from __future__ import annotations

import ipaddress

import psycopg2.errors

from capsul.hub.db import Conflict, NotFound

LIVE = "state NOT IN ('deleted', 'failed')"


def parse_pool(cidr: str, first: str | None = None, last: str | None = None) -> tuple[str, str, str]:
    """(cidr, first, last) checked: an IPv4 network and a range inside it. Raises ValueError."""
    try:
        net = ipaddress.IPv4Network(cidr)
    except ValueError:
        raise ValueError(f"{cidr!r} is not an IPv4 network such as 203.0.113.0/24") from None
    if net.num_addresses < 4 and (first is None or last is None):
        raise ValueError(f"{cidr} is too small to pick addresses from; give --first and --last")
    try:
        first_ip = ipaddress.IPv4Address(first) if first else net.network_address + 1
        last_ip = ipaddress.IPv4Address(last) if last else net.broadcast_address - 1
    except ValueError as e:
        raise ValueError(f"not an IPv4 address: {e}") from None
    if first_ip not in net or last_ip not in net:
        raise ValueError(f"the first and last addresses must be inside {net}")
    if first_ip > last_ip:
        raise ValueError("the first address comes after the last")
    return str(net), str(first_ip), str(last_ip)


async def add_host_network(cur, host_id: str, cidr: str, first_usable: str | None = None,
                           last_usable: str | None = None, network_name: str = "default") -> dict:
    """Add (or replace) a host's pool; first/last default to the CIDR's first and last host addresses."""
    cidr, first, last = parse_pool(cidr, first_usable, last_usable)
    await ensure_no_overlap(cur, host_id, cidr)
    try:
        await cur.execute(
            """INSERT INTO host_network (host_id, network_name, cidr, first_usable, last_usable)
               VALUES (%s, %s, %s, %s, %s)
               ON CONFLICT (host_id, network_name) DO UPDATE SET cidr = EXCLUDED.cidr,
                   first_usable = EXCLUDED.first_usable, last_usable = EXCLUDED.last_usable
               RETURNING host_id, network_name, cidr, host(first_usable) AS first_usable,
                         host(last_usable) AS last_usable""", (host_id, network_name, cidr, first, last))
    except psycopg2.errors.ForeignKeyViolation:
        raise NotFound(f"no host {host_id!r}") from None
    return await cur.fetchone()


async def has_pool(cur, host_id: str) -> bool:
    await cur.execute("SELECT 1 FROM host_network WHERE host_id = %s", (host_id,))
    return await cur.fetchone() is not None


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
