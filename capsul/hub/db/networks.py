"""Queries on `host_network`: address pools, the network segments they are on, and address allocation.

A pool is an IPv4 network with its gateway, the range handed out (the gateway outside it),
DNS servers, the libvirt network its capsuls attach to, and optionally an IPv6 network with
its gateway. Each capsul gets one IPv4 from the range and, where the pool has IPv6, one IPv6.

A pool is on a network segment (one L2 segment or VLAN, one gateway). A segment may span several
hosts: their pools name it, and each names the libvirt network that carries it on that host; they
agree on the addresses, gateways, DNS and CPU model (a deferred trigger, migration 0009). A capsul
moves live only between hosts of its segment, keeping its addresses (docs/moves.md).
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

import psycopg2.errors

from capsul import vm_states
from capsul.hub.db import Conflict, NotFound

LIVE = vm_states.live_sql()
MAX_DNS_SERVERS = 8  # more than any resolver reads; a longer list is a typing mistake
LIBVIRT_NAME_MAX = 100

POOL_COLUMNS = """host_id, network_name, segment, cpu_model, cidr, host(first_usable) AS first_usable,
                  host(last_usable) AS last_usable, host(gateway) AS gateway,
                  array(SELECT host(d) FROM unnest(dns_servers) AS d) AS dns_servers,
                  ipv6_cidr, host(ipv6_gateway) AS ipv6_gateway"""


@dataclass(frozen=True)
class Pool:
    """A pool as an operator describes it, checked (see `parse_pool`)."""
    cidr: str
    first_usable: str
    last_usable: str
    gateway: str | None = None
    dns_servers: list[str] = field(default_factory=list)
    ipv6_cidr: str | None = None
    ipv6_gateway: str | None = None

    def addressing(self) -> tuple:
        """What every pool of one segment shares (the CPU model aside)."""
        return (self.cidr, self.first_usable, self.last_usable, self.gateway, tuple(self.dns_servers),
                self.ipv6_cidr, self.ipv6_gateway)


SEGMENT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}")
CPU_MODEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _address(value: str, what: str, version: int | None = None):
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        raise ValueError(f"{what}: {value!r} is not an IP address") from None
    if version and address.version != version:
        raise ValueError(f"{what}: {value} is not an IPv{version} address")
    return address


def parse_pool(cidr: str, first: str | None = None, last: str | None = None, *, gateway: str | None = None,
               dns_servers: list[str] | None = None, ipv6_cidr: str | None = None,
               ipv6_gateway: str | None = None) -> Pool:
    """The pool, checked; raises ValueError with one line a person can act on.

    Without --first/--last the range is the network's host addresses minus the gateway, which
    must then sit at either end of it (the usual .1 or .254).
    """
    try:
        net = ipaddress.IPv4Network(cidr.strip())
    except ValueError:
        raise ValueError(f"{cidr!r} is not an IPv4 network such as 203.0.113.0/24 (host bits zero)") from None
    gw = _address(gateway, "--gateway", 4) if gateway else None
    if gw is not None and (gw not in net or (net.prefixlen <= 30 and gw in (net.network_address,
                                                                            net.broadcast_address))):
        raise ValueError(f"--gateway {gw} is not a host address of {net}")
    if net.num_addresses < 4 and (first is None or last is None):
        raise ValueError(f"{net} is too small to pick addresses from; give --first and --last")
    first_ip = _address(first, "--first", 4) if first else net.network_address + 1
    last_ip = _address(last, "--last", 4) if last else net.broadcast_address - 1
    if gw is not None and not first and gw == first_ip:
        first_ip += 1
    if gw is not None and not last and gw == last_ip:
        last_ip -= 1
    if first_ip not in net or last_ip not in net:
        raise ValueError(f"the first and last addresses must be inside {net}")
    if first_ip > last_ip:
        raise ValueError("the first address comes after the last")
    if gw is not None and first_ip <= gw <= last_ip:
        raise ValueError(f"--gateway {gw} lies inside the range {first_ip}-{last_ip} that capsuls get addresses "
                         f"from; give --first/--last so that it stays outside")
    dns = [str(_address(d, "--dns")) for d in (dns_servers or [])]
    if len(dns) > MAX_DNS_SERVERS:
        raise ValueError(f"--dns: at most {MAX_DNS_SERVERS} servers")
    v6 = v6_gw = None
    if ipv6_cidr:
        try:
            v6 = ipaddress.IPv6Network(ipv6_cidr.strip())
        except ValueError:
            raise ValueError(f"--ipv6-cidr {ipv6_cidr!r} is not an IPv6 network such as 2001:db8:1::/64 "
                             f"(host bits zero)") from None
        if v6.prefixlen > 120:
            raise ValueError(f"--ipv6-cidr {v6} is too small: use a /120 or larger (a /64 is usual)")
        if not ipv6_gateway:
            raise ValueError("--ipv6-cidr needs --ipv6-gateway (the router's address in it, or its fe80:: one)")
        v6_gw = _address(ipv6_gateway, "--ipv6-gateway", 6)
        if v6_gw not in v6 and not v6_gw.is_link_local:
            raise ValueError(f"--ipv6-gateway {v6_gw} is neither inside {v6} nor a link-local (fe80::) address")
        if v6_gw == v6.network_address:
            raise ValueError(f"--ipv6-gateway {v6_gw} is the network's own address (subnet-router anycast)")
    elif ipv6_gateway:
        raise ValueError("--ipv6-gateway needs --ipv6-cidr")
    return Pool(str(net), str(first_ip), str(last_ip), str(gw) if gw else None, dns,
                str(v6) if v6 else None, str(v6_gw) if v6_gw else None)


async def add_host_network(cur, host_id: str, pool: Pool, network_name: str = "default", *,
                           segment: str | None = None, cpu_model: str | None = None) -> dict:
    """Add (or replace) a host's pool, on `segment` (default: a segment of its own, HOST/NETWORK).
    Must run inside a transaction.

    Refused (Conflict) when it overlaps a pool of another segment, when it joins a segment whose
    pools differ from it, or when replacing it would leave a live capsul of this pool with an
    address outside it.
    """
    if not network_name or len(network_name) > LIBVIRT_NAME_MAX or any(c in network_name for c in "/\0<>&'\""):
        raise ValueError(f"--network {network_name!r} is not a libvirt network name")
    segment = segment or f"{host_id}/{network_name}"
    if not SEGMENT_RE.fullmatch(segment):
        raise ValueError(f"--segment {segment!r} is not a segment name (letters, digits and ._:/-, up to 200)")
    if cpu_model is not None and not CPU_MODEL_RE.fullmatch(cpu_model):
        raise ValueError(f"--cpu-model {cpu_model!r} is not a CPU model name such as qemu64 or Haswell-noTSX")
    await _check_segment(cur, host_id, network_name, segment, pool, cpu_model)
    await ensure_no_overlap(cur, host_id, network_name, pool, segment)
    await cur.execute(
        f"""SELECT id, host(public_ipv4) AS ipv4, host(public_ipv6) AS ipv6 FROM vms
            WHERE host_id = %s AND network_name = %s AND {LIVE}
              AND ((public_ipv4 IS NOT NULL AND NOT (public_ipv4 BETWEEN %s::inet AND %s::inet))
                   OR (public_ipv6 IS NOT NULL AND NOT coalesce(public_ipv6 <<= %s::cidr, false)))
            ORDER BY id LIMIT 1""",
        (host_id, network_name, pool.first_usable, pool.last_usable, pool.ipv6_cidr))
    stranded = await cur.fetchone()
    if stranded:
        held = ", ".join(a for a in (stranded["ipv4"], stranded["ipv6"]) if a)
        raise Conflict(f"capsul {stranded['id']} ({held}) would fall outside the changed pool; delete it first "
                       f"or keep its addresses in the range")
    try:
        await cur.execute(
            f"""INSERT INTO host_network (host_id, network_name, cidr, first_usable, last_usable, gateway,
                                          dns_servers, ipv6_cidr, ipv6_gateway, segment, cpu_model)
                VALUES (%s, %s, %s, %s, %s, %s, %s::inet[], %s, %s, %s, %s)
                ON CONFLICT (host_id, network_name) DO UPDATE SET cidr = EXCLUDED.cidr,
                    segment = EXCLUDED.segment, cpu_model = EXCLUDED.cpu_model,
                    first_usable = EXCLUDED.first_usable, last_usable = EXCLUDED.last_usable,
                    gateway = EXCLUDED.gateway, dns_servers = EXCLUDED.dns_servers,
                    ipv6_cidr = EXCLUDED.ipv6_cidr, ipv6_gateway = EXCLUDED.ipv6_gateway
                RETURNING {POOL_COLUMNS}""",
            (host_id, network_name, pool.cidr, pool.first_usable, pool.last_usable, pool.gateway,
             pool.dns_servers, pool.ipv6_cidr, pool.ipv6_gateway, segment, cpu_model))
    except psycopg2.errors.ForeignKeyViolation:
        raise NotFound(f"no host {host_id!r}") from None
    return await cur.fetchone()


async def _check_segment(cur, host_id: str, network_name: str, segment: str, pool: Pool,
                         cpu_model: str | None) -> None:
    """Refuse a pool that joins a segment whose other pools differ from it, or a second pool of
    one segment on one host. The pools are locked, so two hosts joining at once are checked in turn."""
    await cur.execute(
        """SELECT host_id, network_name, cidr, host(first_usable) AS first_usable, host(last_usable) AS last_usable,
                  host(gateway) AS gateway, array(SELECT host(d) FROM unnest(dns_servers) AS d) AS dns_servers,
                  ipv6_cidr, host(ipv6_gateway) AS ipv6_gateway, cpu_model FROM host_network
           WHERE segment = %s AND (host_id, network_name) <> (%s, %s) ORDER BY host_id FOR UPDATE""",
        (segment, host_id, network_name))
    for row in await cur.fetchall():
        if row["host_id"] == host_id:
            raise Conflict(f"host {host_id} reaches segment {segment} through network {row['network_name']} already")
        theirs = Pool(str(row["cidr"]), row["first_usable"], row["last_usable"], row["gateway"],
                      list(row["dns_servers"]), str(row["ipv6_cidr"]) if row["ipv6_cidr"] else None,
                      row["ipv6_gateway"])
        if theirs.addressing() != pool.addressing() or row["cpu_model"] != cpu_model:
            raise Conflict(f"segment {segment} is {describe_pool(row)} on host {row['host_id']}: a host joins it "
                           f"with the same addresses, gateways, DNS and CPU model")


async def pool_of(cur, host_id: str, network_name: str | None) -> dict | None:
    """The host's pool on that libvirt network (with its segment), or None."""
    await cur.execute(f"SELECT {POOL_COLUMNS} FROM host_network WHERE host_id = %s AND network_name = %s",
                      (host_id, network_name))
    return await cur.fetchone()


async def segment_pool(cur, host_id: str, segment: str) -> dict | None:
    """The host's pool on that segment (its libvirt network there), or None when it has none."""
    await cur.execute(f"SELECT {POOL_COLUMNS} FROM host_network WHERE host_id = %s AND segment = %s",
                      (host_id, segment))
    return await cur.fetchone()


async def has_pool(cur, host_id: str) -> bool:
    await cur.execute("SELECT 1 FROM host_network WHERE host_id = %s", (host_id,))
    return await cur.fetchone() is not None


async def list_pools(cur, host_id: str | None = None) -> list[dict]:
    """Every pool (of one host, when given), with how many addresses live capsuls hold in it."""
    await cur.execute(
        f"""SELECT {POOL_COLUMNS}, last_usable - first_usable + 1 AS size,
                   (SELECT count(*) FROM vms v WHERE v.host_id = hn.host_id AND v.network_name = hn.network_name
                      AND v.public_ipv4 IS NOT NULL AND v.{LIVE}) AS taken
            FROM host_network hn WHERE %s::text IS NULL OR host_id = %s ORDER BY host_id, network_name""",
        (host_id, host_id))
    return await cur.fetchall()


async def list_pools_of(cur, host_ids: list[str]) -> list[dict]:
    """The pools of these hosts (a page of the admin view), with the addresses in use."""
    await cur.execute(
        f"""SELECT {POOL_COLUMNS}, last_usable - first_usable + 1 AS size,
                   (SELECT count(*) FROM vms v WHERE v.host_id = hn.host_id AND v.network_name = hn.network_name
                      AND v.public_ipv4 IS NOT NULL AND v.{LIVE}) AS taken
            FROM host_network hn WHERE host_id = ANY(%s) ORDER BY host_id, network_name""", (host_ids,))
    return await cur.fetchall()


async def pool_network_names(cur, host_id: str) -> list[str]:
    """The libvirt networks this host's pools name: the only ones its spoke may touch."""
    await cur.execute("SELECT network_name FROM host_network WHERE host_id = %s ORDER BY network_name",
                      (host_id,))
    return [r["network_name"] for r in await cur.fetchall()]


# Addresses a move across segments holds while it is under way (hub/moves.py): the capsul's old ones
# (given back only once it runs with its new ones) and its new ones (its row takes them at the swap).
# A claim never hands them out meanwhile. Moves under way are few: a partial index finds them.
HELD_BY_MOVES = """SELECT held::inet FROM operations o, jsonb_array_elements_text(o.payload->'held_{family}') AS held
                   WHERE o.type = 'move' AND o.status IN ('pending', 'assigned') AND held IS NOT NULL"""


@dataclass(frozen=True)
class Addresses:
    network_name: str
    ipv4: str
    ipv6: str | None


async def allocate_addresses(cur, host_id: str) -> Addresses | None:
    """A free IPv4 (and IPv6, where the pool has it) from the host's usable pools, or None
    when they are full. Pools without a gateway are never used: their guests would have no route.

    Locks the pool rows of the host's segments (on every host that shares them) until the
    transaction ends, so two claims on one segment never pick the same address; the unique indexes
    on live addresses back this up. Must run inside a transaction.
    """
    await cur.execute("""SELECT network_name FROM host_network WHERE segment IN
                           (SELECT segment FROM host_network WHERE host_id = %s)
                         ORDER BY host_id, network_name FOR UPDATE""", (host_id,))
    if not await cur.fetchall():
        return None
    # The addresses taken are read by a range scan of each pool (a few hundred index entries), then
    # the pool walked past them. A lookup per candidate let the planner merge-join the walk with the
    # whole index of live addresses instead: 13 ms at 100,000 capsuls, under the pool's lock.
    await cur.execute(
        f"""WITH pools AS (SELECT network_name, first_usable, last_usable FROM host_network
                           WHERE host_id = %s AND gateway IS NOT NULL),
                 taken AS MATERIALIZED (
                     SELECT v.public_ipv4 AS address FROM pools p
                     JOIN vms v ON v.public_ipv4 BETWEEN p.first_usable AND p.last_usable AND v.{LIVE}
                     UNION ALL {HELD_BY_MOVES.format(family="ipv4")})
            SELECT p.network_name, host(p.first_usable + g.n) AS address
            FROM pools p, generate_series(0, p.last_usable - p.first_usable) AS g(n)
            WHERE NOT EXISTS (SELECT 1 FROM taken t WHERE t.address = p.first_usable + g.n)
            ORDER BY p.network_name, g.n LIMIT 1""", (host_id,))
    row = await cur.fetchone()
    if row is None:
        return None
    # IPv6: the lowest free offset from 1 up, skipping the gateway. Live capsuls + 2 candidates
    # always hold a free one, so this never walks a whole /64.
    await cur.execute(
        f"""SELECT host(c.address) AS address
            FROM host_network hn,
                 -- (the range lets the index of live IPv6 addresses answer: `<<` alone read every capsul)
                 generate_series(1::bigint, 2 + (SELECT count(*) FROM vms v
                                                 WHERE v.public_ipv6 BETWEEN set_masklen(network(hn.ipv6_cidr), 128)
                                                                         AND set_masklen(broadcast(hn.ipv6_cidr), 128)
                                                   AND v.public_ipv6 << hn.ipv6_cidr AND v.{LIVE})) AS g(n),
                 LATERAL (SELECT set_masklen(hn.ipv6_cidr::inet + g.n, 128) AS address) AS c
            WHERE hn.host_id = %s AND hn.network_name = %s AND hn.ipv6_cidr IS NOT NULL
              AND c.address <> hn.ipv6_gateway AND c.address << hn.ipv6_cidr
              AND NOT EXISTS (SELECT 1 FROM vms v WHERE v.public_ipv6 = c.address AND v.{LIVE})
              AND c.address NOT IN ({HELD_BY_MOVES.format(family="ipv6")})
            ORDER BY g.n LIMIT 1""", (host_id, row["network_name"]))
    v6 = await cur.fetchone()
    return Addresses(row["network_name"], row["address"], v6["address"] if v6 else None)


async def ensure_no_overlap(cur, host_id: str, network_name: str, pool: Pool, segment: str | None = None) -> None:
    """Refuse a pool whose IPv4 or IPv6 network overlaps any pool of another segment (of any host)."""
    await cur.execute(
        """SELECT host_id, network_name, cidr, ipv6_cidr, cidr && %s::cidr AS v4 FROM host_network
           WHERE (host_id, network_name) <> (%s, %s) AND segment IS DISTINCT FROM %s
             AND (cidr && %s::cidr OR (ipv6_cidr IS NOT NULL AND %s::cidr IS NOT NULL AND ipv6_cidr && %s::cidr))
           LIMIT 1""",
        (pool.cidr, host_id, network_name, segment, pool.cidr, pool.ipv6_cidr, pool.ipv6_cidr))
    row = await cur.fetchone()
    if row:
        mine, theirs = (pool.cidr, row["cidr"]) if row["v4"] else (pool.ipv6_cidr, row["ipv6_cidr"])
        raise Conflict(f"{mine} overlaps {theirs}, the pool of host {row['host_id']} on network {row['network_name']}")


def describe_pool(row: dict) -> str:
    """One line for operators: what a guest on this pool is told."""
    shared = row.get("segment") and row["segment"] != f"{row['host_id']}/{row['network_name']}"
    text = (f"network {row['network_name']}" + (f" (segment {row['segment']})" if shared else "")
            + f": {row['cidr']}, addresses {row['first_usable']} to "
            f"{row['last_usable']}, gateway {row['gateway'] or 'NONE (not used for new capsuls)'}")
    if row["ipv6_cidr"]:
        text += f"; IPv6 {row['ipv6_cidr']}, gateway {row['ipv6_gateway']}"
    if row.get("cpu_model"):
        text += f"; CPU model {row['cpu_model']}"
    return text + f"; DNS {', '.join(row['dns_servers']) or 'none'}"


async def remove_pool(cur, host_id: str, network_name: str) -> dict:
    """Remove a host's pool (the row removed); NotFound when there is none, Conflict while a live
    capsul holds an address of it. Must run inside a transaction."""
    await cur.execute(f"""SELECT {POOL_COLUMNS} FROM host_network WHERE host_id = %s AND network_name = %s
                          FOR UPDATE""", (host_id, network_name))
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"host {host_id!r} has no pool on network {network_name!r} (run.py networks lists them)")
    await cur.execute(f"""SELECT id, host(public_ipv4) AS ipv4, count(*) OVER () AS live FROM vms
                          WHERE host_id = %s AND network_name = %s AND {LIVE} ORDER BY id LIMIT 1""",
                      (host_id, network_name))
    if (held := await cur.fetchone()) is not None:
        raise Conflict(f"{held['live']} live capsul(s) use this pool, such as {held['id']} ({held['ipv4']}): "
                       f"delete them first")
    await cur.execute("DELETE FROM host_network WHERE host_id = %s AND network_name = %s", (host_id, network_name))
    return row
