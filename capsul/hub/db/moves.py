"""Queries of moves between hosts (capsul/hub/moves.py): beginning one (the capsul's row locked, the
destination's room checked under the placement lock), its progress told to open pages, and ending
it: the owner changes in the one transaction that ends it done, never before.

A move is an operation row (type `move`) whose payload names the source, the destination and the
destination's libvirt network for the capsul's segment. While it is under way the capsul is
`migrating`; the destination's room is counted as taken by placement (hub/db/placement.py
MOVES_IN_FLIGHT), so creates and other moves never over-commit it meanwhile.
"""
from __future__ import annotations

import json
import uuid

from capsul import vm_states
from capsul.hub.db import placement, vms
from capsul.hub.db import operations as ops_db

MOVE_STATES = (vm_states.RUNNING, vm_states.STOPPED)  # what a move starts from (a stopped capsul moves cold)


async def begin(cur, vm: dict, op_id: uuid.UUID, payload: dict, *, words: str) -> None:
    """Inside the caller's transaction, with `vm` from changes.lock_for_change(): the capsul goes
    `migrating`, the operation is recorded as sent to both hosts."""
    await ops_db.insert_operation(cur, op_id, "move", {**payload, "before": {"state": vm["state"]}},
                                  account=vm["account"], vm_id=vm["id"])
    await cur.execute("UPDATE operations SET status = 'assigned', assigned_at = now() WHERE id = %s", (str(op_id),))
    await ops_db.record_sent(cur, op_id, [payload["source"], payload["destination"]])
    await vms.set_state(cur, vm["id"], vm_states.MIGRATING, from_states=MOVE_STATES, reason=words,
                        host_id=payload["source"])


async def lock_operation(cur, op_id: uuid.UUID | str) -> dict | None:
    """A move still under way, locked (two hubs never end it twice); None once ended."""
    await cur.execute("""SELECT * FROM operations WHERE id = %s AND type = 'move' AND status IN ('pending', 'assigned')
                         FOR UPDATE""", (str(op_id),))
    return await cur.fetchone()


async def finish(cur, op: dict, result: dict, *, words: str, state: str = vm_states.RUNNING) -> None:
    """The destination runs it and the source has let it go: the capsul is the destination's now,
    on its libvirt network for the segment, running; an evacuation remembers where it came from."""
    payload = op["payload"]
    await cur.execute(
        """UPDATE vms SET host_id = %s, network_name = %s,
               moved_from = CASE WHEN %s THEN %s WHEN %s THEN NULL ELSE moved_from END
           WHERE id = %s""",
        (payload["destination"], payload["destination_network"], payload.get("evacuation", False), payload["source"],
         payload.get("returning", False), op["vm_id"]))
    await vms.set_state(cur, op["vm_id"], state, from_states=(vm_states.MIGRATING,), reason=words,
                        host_id=payload["destination"])
    await ops_db.record_answer(cur, op["id"], payload["destination"], "answered", result)
    await ops_db.finish_operation(cur, op["id"], result=result)


async def swap_addresses(cur, op: dict, *, forward: bool) -> None:
    """A move across segments, with the capsul off: its row takes its new addresses on the
    destination's network (`forward`), or its old ones back if it stays. Both are held for the move
    meanwhile (hub/db/networks.py HELD_BY_MOVES). With new addresses it is a new instance for
    cloud-init (which applies them), so its generation steps; back, it steps back. Idempotent."""
    payload = op["payload"]
    addresses, network = ((payload["new_addresses"], payload["destination_network"]) if forward
                          else (payload["old_addresses"], payload["source_network"]))
    await cur.execute(
        """UPDATE vms SET public_ipv4 = %s, public_ipv6 = %s, network_name = %s, generation = generation + %s
           WHERE id = %s AND (host(public_ipv4), network_name) IS DISTINCT FROM (%s, %s)""",
        (addresses["ipv4"], addresses["ipv6"], network, 1 if forward else -1, op["vm_id"], addresses["ipv4"], network))


async def undo(cur, op: dict, reason: str, *, words: str, state: str | None = None) -> None:
    """The move did not happen: the capsul is as it was (or in `state`, as its host says), on the same host."""
    await vms.set_state(cur, op["vm_id"], state or op["payload"]["before"]["state"], from_states=(vm_states.MIGRATING,),
                        reason=words, host_id=op["payload"]["source"])
    await ops_db.record_answer(cur, op["id"], op["payload"]["source"], "error", {"error": reason})
    await ops_db.finish_operation(cur, op["id"], error=reason)


async def notify_progress(cur, op: dict, progress: dict) -> None:
    """Tell open pages how the move goes (libvirt's job stats), without a timeline entry."""
    await cur.execute(
        """SELECT pg_notify(%s, json_build_object('vm_id', %s::text, 'account', %s::text, 'state', 'move',
                                                  'timeline', false, 'move', %s::json)::text)""",
        (vms.NOTIFY_CHANNEL, op["vm_id"], op["account"],
         json.dumps({"operation": str(op["id"]), **progress})))  # no host named: that is the operator's


async def unfinished(cur, older_than_seconds: float, limit: int = 100) -> list[dict]:
    """Moves begun longer ago than that and not ended (their hub stopped, or a host did not answer)."""
    await cur.execute(
        """SELECT id, vm_id FROM operations WHERE type = 'move' AND status IN ('pending', 'assigned')
             AND created_at < now() - make_interval(secs => %s) ORDER BY created_at LIMIT %s""",
        (older_than_seconds, limit))
    return await cur.fetchall()


async def live_on(cur, host_id: str) -> list[dict]:
    """The host's live capsuls with their sizes, the largest first (an evacuation packs them so)."""
    await cur.execute(
        f"""SELECT v.id, v.state, v.host_id, v.network_name, s.vcpus, s.memory_mb FROM vms v
            JOIN vm_sizes s ON s.id = v.size WHERE v.host_id = %s AND {vm_states.live_sql('v.state')}
            ORDER BY s.memory_mb DESC, s.vcpus DESC, v.id""", (host_id,))
    return await cur.fetchall()


async def moved_from(cur, host_id: str) -> list[dict]:
    """Live capsuls an evacuation moved off that host."""
    await cur.execute(
        f"""SELECT v.id, v.state, v.host_id FROM vms v WHERE v.moved_from = %s AND {vm_states.live_sql('v.state')}
            ORDER BY v.id""", (host_id,))
    return await cur.fetchall()


async def destinations(cur, vm: dict, *, exclude: set[str], cpu_ratio: float, memory_ratio: float) -> list[str]:
    """Hosts the capsul can move to, best first by the placement rules (hub/db/placement.py): active,
    online, with room, and on the capsul's segment."""
    await cur.execute("""SELECT n.host_id FROM host_network n JOIN host_network mine ON mine.segment = n.segment
                         WHERE mine.host_id = %s AND mine.network_name = %s""", (vm["host_id"], vm["network_name"]))
    on_segment = {r["host_id"] for r in await cur.fetchall()}
    ranked = await placement.rank_hosts(cur, cpu_ratio=cpu_ratio, memory_ratio=memory_ratio, exclude=exclude,
                                        room_for=(vm["vcpus"], vm["memory_mb"]))
    return [r["id"] for r in ranked if r["id"] in on_segment]


async def evacuation_progress(cur, host_ids: list[str]) -> dict[str, tuple[int, int]]:
    """host -> (moved off, moved off + still there) for hosts being emptied: "n of m moved"."""
    await cur.execute(
        f"""SELECT h.id,
                   (SELECT count(*) FROM vms v WHERE v.moved_from = h.id AND {vm_states.live_sql('v.state')}) AS moved,
                   (SELECT count(*) FROM vms v WHERE v.host_id = h.id AND {vm_states.live_sql('v.state')}) AS left_
            FROM hosts h WHERE h.id = ANY(%s) AND h.state <> 'active'""", (host_ids,))
    return {r["id"]: (r["moved"], r["moved"] + r["left_"]) for r in await cur.fetchall()}
