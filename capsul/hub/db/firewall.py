"""Queries on capsuls' inbound firewall rules (the service is hub/firewall.py)."""
from __future__ import annotations

import json

from capsul import vm_states

RULE_COLUMNS = "id, protocol, port_from, port_to, source::text AS source, note, created_at"


async def rules_of(cur, vm_id: str) -> list[dict]:
    await cur.execute(f"SELECT {RULE_COLUMNS} FROM firewall_rules WHERE vm_id = %s ORDER BY id", (vm_id,))
    return list(await cur.fetchall())


async def lock_capsul(cur, vm_id: str, account: str | None) -> dict | None:
    """The capsul (its firewall mode, host and state), locked for a change of its rules; None if it is not
    the account's (any account's when None) or is gone."""
    await cur.execute(
        """SELECT id, account, host_id, firewall, state FROM vms
           WHERE id = %s AND (%s::text IS NULL OR account = %s) AND deleted_at IS NULL FOR UPDATE""",
        (vm_id, account, account))
    return await cur.fetchone()


async def count(cur, vm_id: str) -> int:
    await cur.execute("SELECT count(*) AS n FROM firewall_rules WHERE vm_id = %s", (vm_id,))
    return (await cur.fetchone())["n"]


async def add(cur, vm_id: str, protocol: str, port_from: int | None, port_to: int | None, source: str | None,
              note: str | None) -> dict:
    await cur.execute(
        f"""INSERT INTO firewall_rules (vm_id, protocol, port_from, port_to, source, note)
            VALUES (%s, %s, %s, %s, %s, %s) RETURNING {RULE_COLUMNS}""",
        (vm_id, protocol, port_from, port_to, source, note))
    return await cur.fetchone()


async def remove(cur, vm_id: str, rule_id: int) -> dict | None:
    await cur.execute(f"DELETE FROM firewall_rules WHERE vm_id = %s AND id = %s RETURNING {RULE_COLUMNS}",
                      (vm_id, rule_id))
    return await cur.fetchone()


async def set_mode(cur, vm_id: str, mode: str) -> None:
    await cur.execute("UPDATE vms SET firewall = %s WHERE id = %s", (mode, vm_id))


async def host_capsuls(cur, host_id: str) -> list[dict]:
    """Every live capsul on the host, or moving to it, with an address, its firewall mode and rules (one query)."""
    await cur.execute(
        f"""SELECT v.id, host(v.public_ipv4) AS ipv4, host(v.public_ipv6) AS ipv6, v.firewall,
                   coalesce((SELECT json_agg(json_build_object('protocol', r.protocol, 'port_from', r.port_from,
                                                               'port_to', r.port_to, 'source', r.source::text)
                                             ORDER BY r.id)
                             FROM firewall_rules r WHERE r.vm_id = v.id), '[]') AS rules
            FROM vms v
            WHERE v.public_ipv4 IS NOT NULL AND {vm_states.live_sql('v.state')}
              AND v.id IN (SELECT id FROM vms WHERE host_id = %s
                           UNION  -- moving here: its rules are in place before it runs here
                           SELECT o.vm_id FROM operations o WHERE o.type = 'move'
                             AND o.status IN ('pending', 'assigned') AND o.payload->>'destination' = %s)
            ORDER BY v.id""", (host_id, host_id))
    return list(await cur.fetchall())


async def hosts_with_capsuls(cur) -> list[str]:
    await cur.execute(f"SELECT DISTINCT host_id FROM vms v WHERE host_id IS NOT NULL AND {vm_states.live_sql('v.state')}")
    return [r["host_id"] for r in await cur.fetchall()]


async def record_report(cur, host_id: str, report: dict) -> None:
    """What the host's spoke said of its firewall at the last push (or why the push failed)."""
    await cur.execute("UPDATE hosts SET firewall = %s::jsonb || jsonb_build_object('at', now()) WHERE id = %s",
                      (json.dumps(report), host_id))


async def database_time(cur) -> float:
    """The database's clock (one for every hub), in seconds since the epoch."""
    await cur.execute("SELECT extract(epoch FROM clock_timestamp())::float8 AS t")
    return (await cur.fetchone())["t"]
