"""Queries of rebuilds, resizes and restores (capsul/hub/capsul_changes.py): beginning one (the capsul's
row locked, one change at a time), ending it done or undone, and finding those left unfinished.

A change is an operation row (type rebuild, resize or restore) whose payload holds what the capsul was
before, so that an undo puts it back exactly; the capsul's state is `rebuilding` or `resizing`
while it is under way. A resize changes vms.size when it begins: the host load trigger
(schema.sql, vms_host_load) moves the kept load in that same transaction, and an undo moves it
back in the undo's.
"""
from __future__ import annotations

import uuid

from capsul import vm_states
from capsul.hub.db import NotFound, vms
from capsul.hub.db import operations as ops_db


class ChangeRefused(Exception):
    """The capsul cannot take this change now; str() says why, for the person."""


async def lock_for_change(cur, vm_id: str, account: str | None) -> dict:
    """The capsul's row, locked until the transaction ends (its owner's, unless `account` is None)."""
    await cur.execute(
        """SELECT id, account, state, size, os, host_id, network_name, generation FROM vms
           WHERE id = %s AND (%s::text IS NULL OR account = %s) FOR UPDATE""", (vm_id, account, account))
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no capsul {vm_id}")
    return row


async def begin(cur, vm: dict, op_id: uuid.UUID, op_type: str, payload: dict, *, words: str,
                new_size: str | None = None) -> None:
    """Inside the caller's transaction, with `vm` from lock_for_change(): the capsul goes to its
    changing state (and a resize to its new size), the operation is recorded as sent to its host."""
    if vm["state"] not in vm_states.CHANGEABLE:
        raise ChangeRefused(why_not(vm["state"], op_type))
    state = {"rebuild": vm_states.REBUILDING, "resize": vm_states.RESIZING, "restore": vm_states.RESTORING}[op_type]
    payload = {**payload, "before": {"state": vm["state"], "size": vm["size"], "os": vm["os"],
                                     "generation": vm["generation"]}}
    await ops_db.insert_operation(cur, op_id, op_type, payload, account=vm["account"], vm_id=vm["id"])
    await cur.execute("UPDATE operations SET status = 'assigned', assigned_at = now() WHERE id = %s", (str(op_id),))
    await ops_db.record_sent(cur, op_id, [vm["host_id"]])
    if new_size is not None:
        await cur.execute("UPDATE vms SET size = %s WHERE id = %s", (new_size, vm["id"]))
    if op_type == "rebuild":  # the old guest's host keys are not the new one's
        await cur.execute("UPDATE vms SET ssh_host_keys = NULL WHERE id = %s", (vm["id"],))
    await vms.set_state(cur, vm["id"], state, from_states=vm_states.CHANGEABLE, reason=words, host_id=vm["host_id"])


def why_not(state: str, op_type: str) -> str:
    done = {"rebuild": "rebuilt", "resize": "resized", "restore": "restored"}[op_type]
    if state in vm_states.CHANGING:
        return f"This capsul is {state} already: wait until that has finished."
    if state in (vm_states.PENDING, *vm_states.BUILDING):
        return f"This capsul is still being created: it can be {done} once it is running."
    return f"A capsul that is {state} cannot be {done}."


async def finish(cur, op: dict, host_id: str, result: dict, *, words: str, rebuilt: dict | None = None) -> None:
    """The host did it: the capsul takes the state its host reports (and, rebuilt, its new image,
    keys and generation), the operation is completed."""
    vm_id = op["vm_id"]
    if rebuilt is not None:
        await cur.execute("UPDATE vms SET os = %s, generation = %s WHERE id = %s",
                          (rebuilt["os"], rebuilt["generation"], vm_id))
        await cur.execute("DELETE FROM vm_ssh_public_key WHERE vm_id = %s", (vm_id,))
        for key in rebuilt["keys"]:
            await cur.execute("""INSERT INTO vm_ssh_public_key (vm_id, account, key_name, content)
                                 VALUES (%s, %s, %s, %s)""", (vm_id, op["account"], key["name"], key["content"]))
    state = result.get("state") if result.get("state") in vm_states.REPORTED else vm_states.STOPPED
    await vms.set_state(cur, vm_id, state, from_states=vm_states.CHANGING, reason=words, host_id=host_id)
    await ops_db.record_answer(cur, op["id"], host_id, "answered", result)
    await ops_db.finish_operation(cur, op["id"], result=result)


async def undo(cur, op: dict, host_id: str, reason: str, *, words: str) -> None:
    """The host refused or undid it: the capsul is as it was (state and size), the operation failed."""
    before = op["payload"]["before"]
    await cur.execute("UPDATE vms SET size = %s WHERE id = %s AND size <> %s", (before["size"], op["vm_id"],
                                                                                before["size"]))
    await vms.set_state(cur, op["vm_id"], before["state"], from_states=vm_states.CHANGING, reason=words,
                        host_id=host_id)
    await ops_db.record_answer(cur, op["id"], host_id, "error", {"error": reason})
    await ops_db.finish_operation(cur, op["id"], error=reason)


async def lock_operation(cur, op_id: uuid.UUID | str) -> dict | None:
    """A rebuild or resize still under way, locked (so two hubs never end it twice); None once ended."""
    await cur.execute("""SELECT * FROM operations WHERE id = %s AND type IN ('rebuild', 'resize', 'restore')
                         AND status IN ('pending', 'assigned') FOR UPDATE""", (str(op_id),))
    return await cur.fetchone()


async def unfinished(cur, older_than_seconds: float, limit: int = 100) -> list[dict]:
    """Rebuilds and resizes sent longer ago than that and not ended (their hub stopped, or their
    host has not answered), with their capsul's host."""
    await cur.execute(
        """SELECT o.id, o.type, o.vm_id, o.account, o.payload, v.host_id FROM operations o JOIN vms v ON v.id = o.vm_id
           WHERE o.type IN ('rebuild', 'resize', 'restore') AND o.status IN ('pending', 'assigned')
             AND o.created_at < now() - make_interval(secs => %s)
           ORDER BY o.created_at LIMIT %s""", (older_than_seconds, limit))
    return await cur.fetchall()
