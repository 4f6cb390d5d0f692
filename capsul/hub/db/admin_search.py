"""The admin view's pages at a large provider's size: hosts, capsuls and operations a page at a
time, newest first, found by capsul id, email, host, state or address; each query is served
from an index (schema.sql) and reads one page, never the whole table."""
from __future__ import annotations

import ipaddress
import re
from datetime import datetime

from capsul import vm_states
from capsul.hub.db import moves, placement
from capsul.hub.db.vms import VM_COLUMNS
from capsul.vm_ids import is_vm_id

PAGE = 50


_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PART_RE = re.compile(r"[a-z0-9@._+-]{2,100}")


class Search:
    """What the search box means, and the words of the headings that show its results."""

    def __init__(self, q: str, host_ids: set[str]):
        q = q.strip()
        self.q, self.host = q, None
        if not q:
            self.where, self.args, self.words = vm_states.live_sql("v.state"), (), ""
        elif is_vm_id(q):
            self.where, self.args, self.words = "v.id = %s", (q,), f"capsul {q}"
        elif _EMAIL_RE.fullmatch(q):
            self.where, self.args, self.words = "v.account = %s", (q.lower(),), f"account {q.lower()}"
        elif (address := _address(q)) is not None:
            self.where = "(v.public_ipv4 = %s::inet OR v.public_ipv6 = %s::inet)"
            self.args, self.words = (address, address), f"address {address}"
        elif q in vm_states.ALL:
            self.where, self.args, self.words = "v.state = %s", (q,), f"state {q}"
        elif q in host_ids:
            self.host = q
            self.where, self.args, self.words = f"v.host_id = %s AND {vm_states.live_sql('v.state')}", (q,), f"host {q}"
        elif _PART_RE.fullmatch(q.lower()):  # a part of an id or an email: read newest first until a page is found
            part = "%" + q.lower().replace("_", "\\_") + "%"  # no % or \\ can be in it; _ is LIKE's too
            self.where, self.args = "(v.id LIKE %s OR v.account LIKE %s)", (part, part)
            self.words = f"ids or emails containing “{q}”"
        else:
            self.where, self.args, self.words = "false", (), f"“{q}” (not an id, email, address, state or host)"


def _address(q: str) -> str | None:
    try:
        return str(ipaddress.ip_address(q))
    except ValueError:
        return None


async def search(cur, q: str) -> Search:
    """`q` understood; a host's id is looked up (one row by its key)."""
    q = q.strip()
    known = set()
    if q:
        await cur.execute("SELECT id FROM hosts WHERE id = %s", (q,))
        known = {r["id"] for r in await cur.fetchall()}
    return Search(q, known)


async def capsuls(cur, found: Search, *, before: tuple[datetime, str] | None = None, limit: int | None = None
                  ) -> list[dict]:
    """One page of the capsuls `found` (live ones when empty), newest first, older than `before`."""
    where, args = found.where, found.args
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
        f"""SELECT h.id, h.https_url, h.online, h.last_heartbeat_at, h.capacity, h.last_error, h.missing_networks,
                   h.version, h.state, h.state_reason, h.maintenance_from, h.images, h.firewall
            FROM hosts h WHERE {where} ORDER BY h.id LIMIT %s""", (*args, limit or PAGE))
    rows = await cur.fetchall()
    counts = await placement.live_capsuls_by_host(cur, [r["id"] for r in rows])
    emptied = await moves.evacuation_progress(cur, [r["id"] for r in rows])
    return [{**r, "capsuls": counts.get(r["id"], 0), "evacuation": emptied.get(r["id"])} for r in rows]


async def operations(cur, q: str, *, before: datetime | None = None, limit: int | None = None) -> list[dict]:
    """One page of operations, newest first: all but the periodic `list` sweeps (`q` = "list" shows
    only those), or those of a capsul or an account."""
    where, args = "type <> 'list'", ()
    q = q.strip()
    if is_vm_id(q):
        where, args = "vm_id = %s", (q,)
    elif "@" in q:
        where, args = "account = %s", (q.lower(),)
    elif q == "list":
        where = "type = 'list'"
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
