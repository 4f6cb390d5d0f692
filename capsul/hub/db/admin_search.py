"""The admin view's pages at a large provider's size: hosts, capsuls and operations a page at a
time, newest first, found by capsul id, email, host, state or address; each query is served
from an index (schema.sql) and reads one page, never the whole table."""
from __future__ import annotations

import ipaddress
from datetime import datetime

from capsul import vm_states
from capsul.hub.db import placement
from capsul.hub.db.vms import VM_COLUMNS
from capsul.vm_ids import is_vm_id

PAGE = 50


def capsul_filter(q: str) -> tuple[str, tuple]:
    """What the search box means: a capsul id, an email, an address, a state, or a host id."""
    q = q.strip()
    if not q:
        return vm_states.live_sql("v.state"), ()
    if is_vm_id(q):
        return "v.id = %s", (q,)
    if "@" in q:
        return "v.account = %s", (q.lower(),)
    try:
        address = str(ipaddress.ip_address(q))
    except ValueError:
        pass
    else:
        return "(v.public_ipv4 = %s::inet OR v.public_ipv6 = %s::inet)", (address, address)
    if q in vm_states.ALL:
        return "v.state = %s", (q,)
    return f"v.host_id = %s AND {vm_states.live_sql('v.state')}", (q,)


async def capsuls(cur, q: str, *, before: tuple[datetime, str] | None = None, limit: int | None = None
                  ) -> list[dict]:
    """One page of capsuls matching `q` (live ones when empty), newest first, older than `before`."""
    where, args = capsul_filter(q)
    if before is not None:
        where += " AND (v.created_at, v.id) < (%s, %s)"
        args += before
    await cur.execute(f"SELECT {VM_COLUMNS} FROM vms v WHERE {where} ORDER BY v.created_at DESC, v.id DESC LIMIT %s",
                      (*args, limit or PAGE))
    return await cur.fetchall()


async def hosts(cur, q: str, *, after: str | None = None, limit: int | None = None) -> list[dict]:
    """One page of hosts (one host when `q` names it), by id, with their live capsul count."""
    where, args = "true", ()
    if q.strip():
        where, args = "h.id = %s", (q.strip(),)
    if after is not None:
        where += " AND h.id > %s"
        args += (after,)
    await cur.execute(
        f"""SELECT h.id, h.https_url, h.online, h.last_heartbeat_at, h.capacity, h.last_error, h.missing_networks
            FROM hosts h WHERE {where} ORDER BY h.id LIMIT %s""", (*args, limit or PAGE))
    rows = await cur.fetchall()
    counts = await placement.live_capsuls_by_host(cur, [r["id"] for r in rows])
    return [{**r, "capsuls": counts.get(r["id"], 0)} for r in rows]


async def operations(cur, q: str, *, before: datetime | None = None, limit: int | None = None) -> list[dict]:
    """One page of operations, newest first: all, or those of a capsul or an account."""
    where, args = "true", ()
    q = q.strip()
    if is_vm_id(q):
        where, args = "vm_id = %s", (q,)
    elif "@" in q:
        where, args = "account = %s", (q.lower(),)
    if before is not None:
        where += " AND created_at < %s"
        args += (before,)
    await cur.execute(
        f"""SELECT o.id, o.type, o.account, o.vm_id, o.status, o.error, o.created_at, o.completed_at,
                   coalesce((SELECT string_agg(h.host_id || ': ' || h.assignment_status, ', ' ORDER BY h.host_id)
                             FROM host_operation h WHERE h.operation_id = o.id), '') AS hosts
            FROM (SELECT * FROM operations WHERE {where} ORDER BY created_at DESC LIMIT %s) o
            ORDER BY o.created_at DESC""", (*args, limit or PAGE))
    return await cur.fetchall()
