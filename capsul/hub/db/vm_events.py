"""Applying spokes' VM events, and recording ownership conflicts."""
from __future__ import annotations

import logging

from capsul import vm_states
from capsul.hub.db import vms

log = logging.getLogger(__name__)

EVENT_STATES = vm_states.EVENT_STATES
HOST_KEYS_EVENT = "ssh_host_keys"  # an event that is not a state: the VM's SSH host key fingerprints


async def record_conflict(cur, vm_id: str, owner: str | None, reported_by: str, operation_id=None) -> None:
    """A VM reported by a host that does not own it: logged loudly, kept for the admin view."""
    log.error("ownership conflict: %s is owned by %s but reported by %s", vm_id, owner, reported_by)
    await cur.execute(
        """INSERT INTO ownership_conflicts (vm_id, owner, reported_by, operation_id) VALUES (%s, %s, %s, %s)
           ON CONFLICT (vm_id, reported_by) DO UPDATE SET seen_at = now(), resolved_at = NULL,
               operation_id = coalesce(EXCLUDED.operation_id, ownership_conflicts.operation_id)""",
        (vm_id, owner, reported_by, str(operation_id) if operation_id else None))


async def open_conflicts(cur) -> list[dict]:
    await cur.execute("SELECT * FROM ownership_conflicts WHERE resolved_at IS NULL ORDER BY seen_at")
    return await cur.fetchall()


async def apply_events(cur, host_id: str, batch: list[dict]) -> tuple[int, int, bool]:
    """Apply the events newer than the last applied from this host, in sequence order.

    Returns (how many were new, the last sequence number applied, whether numbers were
    missing before them: a gap, which calls for a full resync). Repeats are skipped, so
    a batch the spoke re-sends after a lost answer changes nothing.
    """
    applied = 0
    gap = False
    async with cur.begin():
        await cur.execute("SELECT last_applied_seq FROM hosts WHERE id = %s FOR UPDATE", (host_id,))
        last = (await cur.fetchone())["last_applied_seq"]
        for event in sorted(batch, key=lambda e: e["seq"]):
            if event["seq"] <= last:
                continue
            gap = gap or event["seq"] > last + 1
            last = event["seq"]
            applied += 1
            await _apply(cur, host_id, event)
        await cur.execute("UPDATE hosts SET last_applied_seq = %s WHERE id = %s", (last, host_id))
    return applied, last, gap


async def _apply(cur, host_id: str, event: dict) -> None:
    vm_id, state = event["vm_id"], event["state"]
    await cur.execute("SELECT host_id, state FROM vms WHERE id = %s FOR UPDATE", (vm_id,))
    vm = await cur.fetchone()
    if vm is None:
        log.warning("host %s reports %s, which the hub does not know", host_id, vm_id)
        return
    if vm["host_id"] != host_id:
        if vm["state"] == vm_states.MIGRATING:
            return  # the destination of a move under way: the move's end makes it the owner (hub/moves.py)
        await cur.execute("SELECT id FROM operations WHERE vm_id = %s AND type = 'create'", (vm_id,))
        op = await cur.fetchone()
        await record_conflict(cur, vm_id, vm["host_id"], host_id, op["id"] if op else None)
        return
    if state == HOST_KEYS_EVENT:
        await vms.set_ssh_host_keys(cur, vm_id, event.get("ssh_host_keys") or [])
    elif state == "failed":
        await vms.mark_failed(cur, vm_id, event.get("reason") or "the host could not build it")
    elif state == "deleted":
        await vms.set_state(cur, vm_id, "deleted", from_states=("deleting",), host_id=host_id, seq=event["seq"])
    elif vm["state"] not in vm_states.OWNED:
        return  # deleting, deleted or failed: what libvirt says about its end adds nothing
    elif not await vms.set_state(cur, vm_id, state, from_states=vm_states.OWNED, reason=event.get("reason"),
                                 host_id=host_id, seq=event["seq"]):
        # no change: a person's action (answered first) or a resync entered it already; else it is
        # still the VM's history, shown live as on a reload
        if not await vms.attach_host_event(cur, vm_id, state, host_id=host_id, seq=event["seq"]):
            await vms.add_event(cur, vm_id, state, reason=event.get("reason"), host_id=host_id, seq=event["seq"])


async def with_events_after(cur, host_id: str, seq: int) -> set[str]:
    """Capsuls with an event from this host numbered after `seq`."""
    await cur.execute("SELECT DISTINCT vm_id FROM vm_events WHERE host_id = %s AND seq > %s", (host_id, seq))
    return {r["vm_id"] for r in await cur.fetchall()}
