"""Give the embedded test spoke's old pool a gateway, keeping every live capsul's address.

Releases before 0.4.0 gave a spoke on libvirt's test driver the pool 192.0.2.0/24 (TEST-NET-1,
never a real network) without a gateway, handing out 192.0.2.1 to 192.0.2.254. Pools without a
gateway are never used for new capsuls, so such a hub could create nothing after upgrading.

The pool becomes what a fresh install gets (gateway .1, addresses .2 to .254, IPv6 2001:db8::/64)
when no live capsul holds .1. When one does, the gateway goes to .254 instead (addresses .1 to
.253); when both ends are held the pool is left as it is and the operator told how to mend it.
"""
from __future__ import annotations

OLDEST_VERSION = "0.6.0"

OLD_POOL = """cidr = '192.0.2.0/24' AND gateway IS NULL AND network_name = 'default'
              AND first_usable = '192.0.2.1' AND last_usable = '192.0.2.254'"""
IPV6 = ("2001:db8::/64", "2001:db8::1")


async def apply(cur) -> list[str]:
    told = []
    await cur.execute(f"SELECT host_id FROM host_network WHERE {OLD_POOL} ORDER BY host_id FOR UPDATE")
    for (host_id,) in [(r["host_id"],) for r in await cur.fetchall()]:
        await cur.execute("""SELECT host(public_ipv4) AS address FROM vms
                             WHERE host_id = %s AND network_name = 'default' AND public_ipv4 IN ('192.0.2.1', '192.0.2.254')
                               AND state NOT IN ('deleted', 'failed')""", (host_id,))
        held = {r["address"] for r in await cur.fetchall()}
        if "192.0.2.1" not in held:
            gateway, first, last = "192.0.2.1", "192.0.2.2", "192.0.2.254"
        elif "192.0.2.254" not in held:
            gateway, first, last = "192.0.2.254", "192.0.2.1", "192.0.2.253"
        else:
            told.append(f"host {host_id}: its pool 192.0.2.0/24 has no gateway and live capsuls at both .1 and "
                        f".254, so it was left as it is (no new capsul is placed on it); give it one with "
                        f"`run.py add-network --id {host_id} --cidr 192.0.2.0/24 --gateway IP --first … --last …`")
            continue
        await cur.execute("""SELECT 1 FROM host_network WHERE ipv6_cidr && %s::cidr LIMIT 1""", (IPV6[0],))
        ipv6 = IPV6 if await cur.fetchone() is None else (None, None)
        await cur.execute("""UPDATE host_network SET gateway = %s, first_usable = %s, last_usable = %s,
                                 dns_servers = ARRAY[%s::inet], ipv6_cidr = %s, ipv6_gateway = %s
                             WHERE host_id = %s AND network_name = 'default'""",
                          (gateway, first, last, gateway, ipv6[0], ipv6[1], host_id))
        told.append(f"host {host_id}: the pool 192.0.2.0/24 got the gateway {gateway} (addresses {first} to {last}"
                    f"{', IPv6 ' + ipv6[0] if ipv6[0] else ''})")
    return told
