"""Queries on `operations` and `host_operation`: bookkeeping, offers and the one winning claim."""
from __future__ import annotations

import uuid

import psycopg2.errors
from psycopg2.extras import Json

from capsul import vm_states
from capsul.hub.db import NotFound, networks, vms


class ClaimRefused(Exception):
    """A claim that must answer 409 (or 404 when `unknown`); nothing was changed but the offer's status."""

    def __init__(self, reason: str, unknown: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.unknown = unknown


async def insert_operation(cur, op_id: uuid.UUID, op_type: str, payload: dict, *, account: str | None = None,
                           vm_id: str | None = None) -> bool:
    """False when an operation with this id exists already (a retried request)."""
    await cur.execute(
        """INSERT INTO operations (id, type, payload, account, vm_id) VALUES (%s, %s, %s, %s, %s)
           ON CONFLICT (id) DO NOTHING RETURNING id""",
        (str(op_id), op_type, Json(payload), account, vm_id))
    return await cur.fetchone() is not None


async def operation_exists(cur, op_id: uuid.UUID | str) -> bool:
    await cur.execute("SELECT 1 FROM operations WHERE id = %s", (str(op_id),))
    return await cur.fetchone() is not None


async def get_operation(cur, op_id: uuid.UUID | str) -> dict:
    await cur.execute("SELECT * FROM operations WHERE id = %s", (str(op_id),))
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no operation {op_id}")
    return row


async def host_answers(cur, op_id: uuid.UUID | str) -> list[dict]:
    await cur.execute("SELECT * FROM host_operation WHERE operation_id = %s ORDER BY offered_at, host_id",
                      (str(op_id),))
    return await cur.fetchall()


async def record_sent(cur, op_id: uuid.UUID, host_ids: list[str]) -> None:
    for host_id in host_ids:
        await cur.execute(
            """INSERT INTO host_operation (operation_id, host_id, assignment_status) VALUES (%s, %s, 'sent')
               ON CONFLICT DO NOTHING""", (str(op_id), host_id))


async def record_answer(cur, op_id: uuid.UUID, host_id: str, status: str, answer: dict) -> None:
    await cur.execute(
        """UPDATE host_operation SET assignment_status = %s, answer = %s, answered_at = now()
           WHERE operation_id = %s AND host_id = %s""", (status, Json(answer), str(op_id), host_id))


async def finish_operation(cur, op_id: uuid.UUID, *, result: dict | None = None, error: str | None = None) -> None:
    await cur.execute(
        """UPDATE operations SET status = %s, result = %s, error = %s, completed_at = now()
           WHERE id = %s AND status IN ('pending', 'assigned')""",
        ("failed" if error else "completed", Json(result) if result is not None else None, error, str(op_id)))


# --- create: offers and the one claim -------------------------------------------------------

async def offer_many(cur, offers: list[tuple[uuid.UUID, str]]) -> None:
    """Record (operation, host) offers, in one statement."""
    if offers:
        await cur.execute(
            """INSERT INTO host_operation (operation_id, host_id, assignment_status)
               SELECT o::uuid, h, 'offered' FROM unnest(%s::text[], %s::text[]) AS x(o, h)
               ON CONFLICT DO NOTHING""", ([str(o) for o, _ in offers], [h for _, h in offers]))


async def owner(cur, op_id: uuid.UUID | str) -> str | None:
    await cur.execute(
        "SELECT host_id FROM host_operation WHERE operation_id = %s AND assignment_status = 'claimed'",
        (str(op_id),))
    row = await cur.fetchone()
    return row["host_id"] if row else None


async def claim(cur, op_id: str, host_id: str) -> dict:
    """Host `host_id` claims create `op_id`: returns the full payload, or raises ClaimRefused.

    The operation row is locked for the decision, so a claim and the hub closing an offer
    (or failing the create) never interleave; the partial unique index on claimed rows
    guarantees one owner even if that ever changed. Claiming again as the owner returns
    the same payload: a spoke whose first answer got lost may retry.
    """
    try:
        async with cur.begin():
            outcome = await _claim_in_transaction(cur, op_id, host_id)
    except psycopg2.errors.UniqueViolation:
        raise ClaimRefused("operation already claimed by another host") from None
    if isinstance(outcome, ClaimRefused):  # a refusal whose bookkeeping was committed
        raise outcome
    return outcome


async def _claim_in_transaction(cur, op_id: str, host_id: str) -> dict | ClaimRefused:
    """Raising rolls back; returning a ClaimRefused commits what it recorded."""
    await cur.execute("SELECT * FROM operations WHERE id = %s AND type = 'create' FOR UPDATE", (op_id,))
    op = await cur.fetchone()
    if op is None:
        raise ClaimRefused(f"no create operation {op_id}", unknown=True)
    await cur.execute("SELECT assignment_status FROM host_operation WHERE operation_id = %s AND host_id = %s",
                      (op_id, host_id))
    mine = await cur.fetchone()
    if mine and mine["assignment_status"] == "claimed":  # a retried claim by the owner
        await cur.execute("SELECT state FROM vms WHERE id = %s", (op["vm_id"],))
        if (await cur.fetchone())["state"] in (vm_states.DELETING, *vm_states.GONE):
            raise ClaimRefused("the capsul was deleted meanwhile; build nothing")
        return _with_restore(await vms.create_payload(cur, op["vm_id"]), op)
    if op["status"] == "assigned":
        raise ClaimRefused("operation already claimed by another host")
    if op["status"] != "pending":
        raise ClaimRefused(f"operation is closed ({op['error'] or op['status']})")
    if mine is None:
        raise ClaimRefused("operation was not offered to this host")
    if mine["assignment_status"] != "offered":
        raise ClaimRefused(f"the offer to this host was closed ({mine['assignment_status']})")
    addresses = await networks.allocate_addresses(cur, host_id)
    if addresses is None:
        refusal = ClaimRefused(f"no free IPv4 address on host {host_id}")
        await record_answer(cur, op_id, host_id, "refused", {"reason": refusal.reason})
        return refusal
    await cur.execute(
        """UPDATE host_operation SET assignment_status = 'claimed', answered_at = now()
           WHERE operation_id = %s AND host_id = %s""", (op_id, host_id))
    await cur.execute(
        """UPDATE vms SET host_id = %s, network_name = %s, public_ipv4 = %s, public_ipv6 = %s, state = 'creating',
               state_changed_at = now()
           WHERE id = %s AND state = 'pending' RETURNING id""",
        (host_id, addresses.network_name, addresses.ipv4, addresses.ipv6, op["vm_id"]))
    if await cur.fetchone() is None:
        raise ClaimRefused("the capsul is no longer waiting for a host")
    await vms.add_event(cur, op["vm_id"], "creating", host_id=host_id)
    await cur.execute("UPDATE operations SET status = 'assigned', assigned_at = now() WHERE id = %s", (op_id,))
    return _with_restore(await vms.create_payload(cur, op["vm_id"]), op)


def _with_restore(payload: dict, op: dict) -> dict:
    """A create from a backup (capsul/hub/backups/jobs.py restore_as_new) tells its host which one:
    its disk is the backup's image, fetched from the backup store, instead of a fresh overlay."""
    restore = (op.get("payload") or {}).get("restore")
    return {**payload, "restore": restore} if restore else payload


async def close_offer(cur, op_id: uuid.UUID, host_id: str, status: str, answer: dict) -> str | None:
    """Close an unanswered offer (refused, timeout, error) so a late claim is refused.

    Returns the owner if a claim got in first (then nothing is closed).
    """
    async with cur.begin():
        await cur.execute("SELECT id FROM operations WHERE id = %s FOR UPDATE", (str(op_id),))
        await cur.execute(
            """UPDATE host_operation SET assignment_status = %s, answer = %s, answered_at = now()
               WHERE operation_id = %s AND host_id = %s AND assignment_status = 'offered'""",
            (status, Json(answer), str(op_id), host_id))
        return await owner(cur, op_id)


async def fail_create(cur, op_id: uuid.UUID, reason: str, for_person: str | None = None) -> str | None:
    """No host claimed: fail the create (with the operator's `reason`) and its VM (with
    `for_person`, the words its owner reads, else the same), address released, every offer closed.

    Returns the owner instead, changing nothing, if a claim got in first.
    """
    async with cur.begin():
        await cur.execute("SELECT status, vm_id FROM operations WHERE id = %s FOR UPDATE", (str(op_id),))
        op = await cur.fetchone()
        current_owner = await owner(cur, op_id)
        if current_owner is not None:
            return current_owner
        await cur.execute(
            """UPDATE host_operation SET assignment_status = 'closed', answered_at = now()
               WHERE operation_id = %s AND assignment_status = 'offered'""", (str(op_id),))
        await cur.execute(
            """UPDATE operations SET status = 'failed', error = %s, completed_at = now()
               WHERE id = %s AND status = 'pending'""", (reason, str(op_id)))
        await vms.mark_failed(cur, op["vm_id"], for_person or reason)
        return None


async def recent_operations(cur, limit: int = 50) -> list[dict]:
    """The newest operations with each host's part in them, for the admin view."""
    await cur.execute(
        """SELECT o.id, o.type, o.account, o.vm_id, o.status, o.error, o.created_at, o.completed_at,
                  coalesce(string_agg(h.host_id || ': ' || h.assignment_status, ', ' ORDER BY h.host_id), '')
                      AS hosts
           FROM (SELECT * FROM operations ORDER BY created_at DESC LIMIT %s) o
           LEFT JOIN host_operation h ON h.operation_id = o.id
           GROUP BY o.id, o.type, o.account, o.vm_id, o.status, o.error, o.created_at, o.completed_at
           ORDER BY o.created_at DESC""", (limit,))
    return await cur.fetchall()


async def pending_creates_older_than(cur, seconds: float) -> list:
    """Ids of creates still waiting for a claim after `seconds`."""
    await cur.execute(
        """SELECT id FROM operations WHERE type = 'create' AND status = 'pending'
           AND created_at < now() - make_interval(secs => %s)""", (seconds,))
    return [row["id"] for row in await cur.fetchall()]
