"""Moving capsuls between hosts (docs/moves.md): a live move within the capsul's network segment, and
evacuating a host.

A move is an operation with an id, driven by whichever hub holds it (resume_forever() drives again
those whose hub stopped), in steps each host answers the same when asked again:

1. begin: the capsul's row locked, it must be running; the destination active, online, reaching the
   capsul's segment, with room (under the placement lock; the room stays counted as taken until
   the move ends). The capsul is `migrating` from here on: never `stopped`.
2. `move_in` at the destination: its files made ready (capsul/spoke/moves.py).
3. `move_out` at the source: libvirt's live migration, asked again every PROGRESS_EVERY seconds for
   its progress (pushed to open pages as `capsul.move`) until it ends.
4. Done: the source is asked whether it still has the capsul (it must not), the destination must
   run it (`move_in_end` done, with the downtime libvirt measured); only then, in one transaction,
   the capsul's host becomes the destination. Failed: the destination drops what it prepared and
   the capsul is `running` where it was, on the same host, as before.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field

import psycopg2

from capsul import signing
from capsul.hub import db, firewall
from capsul.hub.capsuls import (CapsulError, CapsulNotFound, Hub, InvalidRequest, NoCapacityError, Unavailable,
                                WrongState)
from capsul.hub.db import catalog, changes, hosts, networks, placement, vms
from capsul.hub.db import moves as moves_db
from capsul.hub.db import operations as ops_db
from capsul.hub.mailer import Mailer, MailFailed
from capsul.hub.spokes import leases
from capsul.vm_ids import is_vm_id

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5  # seconds between asks of the source while libvirt moves the capsul
RESUME_EVERY = 10.0
MOVE_DEADLINE = 1800.0  # seconds a hub drives one move before leaving it to resume_forever()
RESUME_AFTER = 120.0  # seconds after its start a move not ended is driven again by any hub


class MoveFailed(CapsulError):
    """The move did not happen; the capsul runs where it was. str() says why."""


async def move_capsul(hub: Hub, vm_id: str, destination: str, *, operation_id: uuid.UUID | None = None,
                      evacuation: bool = False, returning: bool = False, cold: bool = False,
                      new_addresses: bool = False) -> dict:
    """Move a capsul to `destination`, on its segment: live when it runs (unless `cold`), cold when it
    is stopped (or `cold`: shut down, its disk copied, started there if it ran). The operation's
    outcome: {"status": "done", "downtime_ms", ...} or MoveFailed / another CapsulError (nothing moved).
    To a host that is not on its segment it moves only with `new_addresses`: cold, with addresses of
    the destination's segment, and its owner told which before anything is done."""
    op_id = operation_id or uuid.uuid4()
    async with db.cursor(hub.pool) as cur:
        if not await ops_db.operation_exists(cur, op_id):
            told = await _begin(hub, cur, vm_id, destination, op_id, evacuation=evacuation, returning=returning,
                                cold=cold, new_addresses=new_addresses)
            if told is not None:
                await _tell_owner(hub, *told)
    return await drive(hub, op_id)


async def _tell_owner(hub: Hub, account: str, vm_id: str, words: str) -> None:
    try:
        await Mailer(hub.config).send(account, f"Your capsul {vm_id} gets new addresses",
                                      f"Hello,\n\nyour capsul {vm_id} is {words}.\n\nIt is moved to another host, on "
                                      "another network: it is shut down for the move and started there. Its disk, "
                                      "SSH host keys and everything on it stay as they are; whatever reaches it by "
                                      "its old addresses (DNS records, firewall rules) needs its new ones.\n")
    except MailFailed:
        log.error("%s was not mailed about the new addresses of %s", account, vm_id)


async def _begin(hub: Hub, cur, vm_id: str, destination: str, op_id: uuid.UUID, *, evacuation: bool,
                 returning: bool, cold: bool, new_addresses: bool) -> tuple[str, str, str] | None:
    """The move begun, or refused in words; (account, capsul, words) when its owner must be told of
    new addresses."""
    if not is_vm_id(vm_id):
        raise CapsulNotFound(f"no capsul {vm_id!r:.60}")
    told = None
    try:
        async with cur.begin():
            vm = await changes.lock_for_change(cur, vm_id, None)
            if vm["state"] not in moves_db.MOVE_STATES:
                raise WrongState(f"{vm_id} is {vm['state']}: only a running or stopped capsul moves")
            cold = cold or vm["state"] != "running"
            source, network = vm["host_id"], vm["network_name"]
            await _check_hosts(cur, vm_id, source, destination)
            pool = await networks.pool_of(cur, source, network)
            dest_pool = await networks.segment_pool(cur, destination, pool["segment"]) if pool else None
            across = {}
            if dest_pool is None:
                if not new_addresses:
                    raise WrongState(f"host {destination} is not on {vm_id}'s network segment "
                                     f"{pool['segment'] if pool else '(none)'}, so it cannot keep its addresses there; "
                                     "move it with new addresses of that host's segment (--new-addresses), its owner "
                                     "told first")
                dest_pool, across = await _addresses_across(cur, vm_id, destination)
                cold = True
            size = await catalog.get_size(cur, vm["size"], include_deprecated=True)
            await placement.lock_placement(cur)  # NOTE: the room checked is the room taken, as for a create
            if not await placement.host_has_room(cur, destination, size["vcpus"], size["memory_mb"],
                                                 cpu_ratio=hub.config.overcommit_cpu_ratio,
                                                 memory_ratio=hub.config.overcommit_memory_ratio):
                raise NoCapacityError(f"host {destination} has no room for {vm_id} ({size['vcpus']} vCPUs, "
                                      f"{size['memory_mb']} MB)")
            words = ("moving to another host: it is shut down for the move and started there" if cold and
                     vm["state"] == "running" else "moving to another host" if cold else
                     "moving to another host; it keeps running")
            if across:
                new, old = across["new_addresses"], across["old_addresses"]
                words += (f", and its addresses change from {' and '.join(a for a in old.values() if a)} to "
                          f"{' and '.join(a for a in new.values() if a)}")
                told = (vm["account"], vm_id, words)
            await moves_db.begin(cur, vm, op_id, {
                "source": source, "destination": destination, "segment": dest_pool["segment"],
                "source_network": network, "destination_network": dest_pool["network_name"],
                "evacuation": evacuation, "returning": returning, "cold": cold, **across}, words=words)
    except db.NotFound as e:
        raise CapsulNotFound(str(e)) from None
    log.info("moving %s from %s to %s%s (operation %s)", vm_id, source, destination, " cold" if cold else "", op_id)
    return told


async def _check_hosts(cur, vm_id: str, source: str, destination: str) -> None:
    """Both hosts there and online, the destination active; refused in words otherwise."""
    if destination == source:
        raise InvalidRequest(f"{vm_id} is on {destination} already")
    dest_host = await hosts.get_host_to_call(cur, destination)
    if dest_host is None:
        raise InvalidRequest(f"there is no host {destination!r}")
    if not dest_host["online"]:
        raise Unavailable(f"host {destination} is offline")
    if (state := await hosts.state_of(cur, destination)) != "active":
        raise NoCapacityError(f"host {destination} is {state}: nothing moves to it")
    src_host = await hosts.get_host_to_call(cur, source)
    if src_host is None or not src_host["online"]:
        raise Unavailable(f"host {source}, where {vm_id} runs, is offline")


async def _addresses_across(cur, vm_id: str, destination: str) -> tuple[dict, dict]:
    """A move to another segment: addresses of the destination's segment, and both sets held for the
    move (hub/db/networks.py HELD_BY_MOVES); (the destination's pool, the move's payload for it)."""
    fresh = await networks.allocate_addresses(cur, destination)
    if fresh is None:
        raise NoCapacityError(f"host {destination} has no free address for {vm_id}")
    old = await vms.get_vm(cur, vm_id)
    return await networks.pool_of(cur, destination, fresh.network_name), {
        "new_addresses": {"ipv4": fresh.ipv4, "ipv6": fresh.ipv6},
        "old_addresses": {"ipv4": old["public_ipv4"], "ipv6": old["public_ipv6"]},
        "held_ipv4": [a for a in (old["public_ipv4"], fresh.ipv4) if a],
        "held_ipv6": [a for a in (old["public_ipv6"], fresh.ipv6) if a]}


async def drive(hub: Hub, op_id: uuid.UUID) -> dict:
    """Take the move through its steps (again, after a hub restart: each host answers a step it did
    already as it did the first time)."""
    _DRIVING.add(str(op_id))
    try:
        return await _drive(hub, op_id)
    finally:
        _DRIVING.discard(str(op_id))
        await _firewalls_after(hub, op_id)


async def _firewalls_after(hub: Hub, op_id: uuid.UUID) -> None:
    """Both hosts' firewalls as the move left them: the capsul's rules (with its new addresses, across
    segments) where it runs, none where it does not. Awaited: `run.py move` drives a move in a process
    that ends with it."""
    try:
        async with db.cursor(hub.pool) as cur:
            op = await ops_db.get_operation(cur, op_id)
        await asyncio.gather(*(firewall.push_host(hub, h) for h in (op["payload"]["source"],
                                                                      op["payload"]["destination"])))
    except Exception as e:  # the periodic resync puts them right
        log.warning("move %s: firewalls not pushed after it (%s); the resync does", op_id, e)


async def _drive(hub: Hub, op_id: uuid.UUID) -> dict:
    async with db.cursor(hub.pool) as cur:
        op = await ops_db.get_operation(cur, op_id)
    if op["status"] not in ("pending", "assigned"):
        if op["error"]:
            raise MoveFailed(op["error"])
        return op["result"]
    payload, vm_id = op["payload"], op["vm_id"]
    source, destination = payload["source"], payload["destination"]
    # the capsul's firewall and anti-spoofing on the destination before it runs there
    await firewall.push_host(hub, destination)
    if payload.get("cold"):
        return await _drive_cold(hub, op)
    async with db.cursor(hub.pool) as cur:
        move_payload = await vms.create_payload(cur, vm_id, pool=(destination, payload["destination_network"]))
    move_payload["network_name"] = payload["destination_network"]
    try:
        ready = await _ask(hub, destination, {"type": "move_in", "payload": move_payload}, op)
    except signing.CallFailed as e:
        if e.status is not None and e.status < 500:
            return await _failed(hub, op, f"host {destination} refused it: {_error(e)}")
        return await _failed(hub, op, f"host {destination} did not answer ({_error(e)})", clean=True)
    out = {"type": "move_out", "migration_uri": ready["migration_uri"], "tls": bool(ready.get("tls")),
           "files": ready["files"], "network_name": ready.get("network_name"),
           "source_network": payload["source_network"]}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MOVE_DEADLINE
    while True:
        try:
            answer = await _ask(hub, source, out, op)
        except signing.CallFailed as e:
            if e.status is not None and e.status < 500:
                return await _failed(hub, op, f"host {source} refused it: {_error(e)}", clean=True)
            if loop.time() > deadline:
                raise MoveFailed(f"host {source} has not answered: the move is left under way and asked again")
            log.warning("move of %s: no answer from %s (%s); asking again", vm_id, source, e)
            await asyncio.sleep(2.0)
            continue
        if answer.get("status") == "migrating":
            if answer.get("progress"):
                async with db.cursor(hub.pool) as cur:
                    await moves_db.notify_progress(cur, op, answer["progress"])
            await asyncio.sleep(PROGRESS_EVERY)
            continue
        break
    if answer.get("status") != "done":
        return await _failed(hub, op, str(answer.get("error") or "the migration failed"), clean=True)
    return await _arrived(hub, op)


async def _drive_cold(hub: Hub, op: dict) -> dict:
    """Shut down at the source, the disk fetched by the destination over signed HTTPS and checked
    against its digest, defined there (started if it ran), let go at the source; only then the owner
    changes. Refused or failed before the destination has it: started again where it was."""
    payload, vm_id = op["payload"], op["vm_id"]
    source, destination = payload["source"], payload["destination"]
    started = asyncio.get_running_loop().time()
    try:
        stopped = await _ask_again(hub, source, {"type": "move_out", "cold": True,
                                                 "source_network": payload["source_network"]}, op)
    except signing.CallFailed as e:
        return await _failed(hub, op, f"host {source} refused it: {_error(e)}")
    async with db.cursor(hub.pool) as cur:
        source_host = await hosts.get_host_to_call(cur, source)
        if payload.get("new_addresses"):  # it is off: its row takes the addresses it will have there
            await moves_db.swap_addresses(cur, op, forward=True)
        move_payload = await vms.create_payload(cur, vm_id, pool=(destination, payload["destination_network"]))
    move_payload["network_name"] = payload["destination_network"]
    if payload.get("new_addresses"):  # a new instance for cloud-init (it applies the new addresses), the same host keys
        move_payload["keep_host_keys"] = True
    download = {"url": source_host["https_url"], "start": bool(stopped["was_running"]), **stopped["disk"]}
    try:
        ready = await _ask_again(hub, destination, {"type": "move_in", "payload": move_payload,
                                                    "download": download}, op)
    except signing.CallFailed as e:
        if e.status is None or e.status >= 500:  # it may yet define it there: never start it here meanwhile
            raise MoveFailed(f"host {destination} has not answered ({_error(e)}): the move is left under way, with "
                             "the capsul shut down, and asked again") from None
        why = f"host {destination} could not take it: {_error(e)}"
        if payload.get("new_addresses"):  # it stays where it was, with the addresses it had there
            async with db.cursor(hub.pool) as cur:
                await moves_db.swap_addresses(cur, op, forward=False)
        try:
            back = await _ask_again(hub, source, {"type": "move_out_end", "outcome": "undone"}, op)
        except signing.CallFailed as again:
            why += f"; and host {source} could not start it again: {_error(again)}"
            back = {"state": "stopped"}
        return await _failed(hub, op, why, state=back.get("state"))
    await _ask_again(hub, source, {"type": "move_out_end", "outcome": "done"}, op)
    outage = int((asyncio.get_running_loop().time() - started) * 1000)
    result = {"status": "done", "cold": True, "state": ready.get("state"), "outage_ms": outage,
              "disk_bytes": stopped["disk"]["size"]}
    async with db.cursor(hub.pool) as cur:
        async with cur.begin():
            locked = await moves_db.lock_operation(cur, op["id"])
            if locked is not None:
                await moves_db.finish(cur, locked, result, words="moved to another host (shut down, copied, "
                                      + ("started there)" if stopped["was_running"] else "defined there)"),
                                      state=ready.get("state") if ready.get("state") in ("running", "stopped")
                                      else "stopped")
    log.info("moved %s cold from %s to %s: %s", vm_id, source, destination, result)
    return result


async def _ask_again(hub: Hub, host_id: str, body: dict, op: dict) -> dict:
    """A step asked until its host answers (the same id each time: it is done once) or MOVE_DEADLINE;
    a refusal (4xx) is raised at once."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MOVE_DEADLINE
    while True:
        try:
            return await _ask(hub, host_id, body, op)
        except signing.CallFailed as e:
            if (e.status is not None and e.status < 500) or loop.time() > deadline:
                raise
            log.warning("move of %s: no answer from %s to %s (%s); asking again", op["vm_id"], host_id,
                        body["type"], e)
        await asyncio.sleep(2.0)


async def _arrived(hub: Hub, op: dict) -> dict:
    """The source says it is done: the source must not have the capsul, the destination must run it.
    A host that does not answer (its spoke restarting, say) is asked again until MOVE_DEADLINE."""
    payload, vm_id = op["payload"], op["vm_id"]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MOVE_DEADLINE
    while True:
        try:
            await _ask(hub, payload["source"], {"type": "get"}, op, own_id=False)
            raise MoveFailed(f"host {payload['source']} says the move is done but still has {vm_id}: left under way")
        except signing.CallFailed as e:
            if e.status == 404:
                break
            if loop.time() > deadline:
                raise MoveFailed(f"host {payload['source']} cannot say it let {vm_id} go ({_error(e)}): "
                                 "the move is left under way and asked again") from None
        await asyncio.sleep(2.0)
    try:
        result = await _ask_again(hub, payload["destination"], {"type": "move_in_end", "outcome": "done"}, op)
    except signing.CallFailed as e:
        raise MoveFailed(f"host {payload['destination']} cannot say it runs {vm_id} ({_error(e)}): "
                         "the move is left under way and asked again") from None
    downtime = result.get("downtime_ms")
    words = "moved to another host" + (f" ({downtime} ms without service)" if downtime is not None else "")
    async with db.cursor(hub.pool) as cur:
        async with cur.begin():
            locked = await moves_db.lock_operation(cur, op["id"])
            if locked is not None:
                await moves_db.finish(cur, locked, {"status": "done", **result}, words=words)
    log.info("moved %s from %s to %s: %s", vm_id, payload["source"], payload["destination"], result)
    return {"status": "done", **result}


async def _failed(hub: Hub, op: dict, reason: str, *, clean: bool = False, state: str | None = None) -> dict:
    """The move did not happen: the destination drops what it made ready (unless the capsul arrived
    there after all: then it is finished as done), and the capsul is running where it was."""
    payload = op["payload"]
    if clean:
        try:
            answer = await _ask(hub, payload["destination"], {"type": "move_in_end", "outcome": "undone"}, op)
            if answer.get("has_it"):
                return await _arrived(hub, op)
        except signing.CallFailed as e:
            log.warning("move of %s: %s could not drop what it made ready (%s); its next move_in does",
                        op["vm_id"], payload["destination"], e)
    async with db.cursor(hub.pool) as cur:
        async with cur.begin():
            locked = await moves_db.lock_operation(cur, op["id"])
            if locked is not None:
                await moves_db.undo(cur, locked, reason, words=f"not moved: {reason}; it is where it was",
                                    state=state if state in ("running", "stopped") else None)
    log.warning("move of %s from %s to %s failed: %s", op["vm_id"], payload["source"], payload["destination"], reason)
    raise MoveFailed(reason)


async def _ask(hub: Hub, host_id: str, body: dict, op: dict, *, own_id: bool = True) -> dict:
    async with db.cursor(hub.pool) as cur:
        host = await hosts.get_host_to_call(cur, host_id)
    if host is None:
        raise signing.CallFailed(f"host {host_id} is not registered", status=404)
    request = {"id": str(op["id"]) if own_id else str(uuid.uuid4()), "vm_id": op["vm_id"], **body}
    return await hub.dispatcher.ask(host, request, timeout=hub.config.operation_timeout + 60)


def _error(e: signing.CallFailed) -> str:
    return str(e.body.get("error") or e)


_DRIVING: set[str] = set()  # moves this process drives now: its own resumer leaves them be


async def resume_unfinished(hub: Hub, older_than: float) -> int:
    """Drive again the moves left under way (another hub stopped mid-way, or a host did not answer).
    A move another live hub still drives is then driven twice: harmless, as every host answers a
    step again as it did, and only the first ending ends it."""
    async with db.cursor(hub.pool) as cur:
        stale = [op for op in await moves_db.unfinished(cur, older_than) if str(op["id"]) not in _DRIVING]
    for op in stale:
        try:
            await drive(hub, op["id"])
        except CapsulError as e:
            log.info("move of %s, driven again: %s", op["vm_id"], e)
    return len(stale)


async def resume_forever(hub: Hub) -> None:
    """Moves whose hub stopped in the middle are driven again (one hub a round)."""
    while True:
        try:
            if await leases.take_turn(hub.pool, "unfinished-moves", RESUME_EVERY):
                await resume_unfinished(hub, older_than=RESUME_AFTER)
        except (psycopg2.Error, OSError, TimeoutError) as e:
            log.error("driving unfinished moves again failed: %s", e)
        await asyncio.sleep(RESUME_EVERY)



# --- evacuation ------------------------------------------------------------------------------------


@dataclass
class Evacuation:
    """What an evacuation (or a return) did: capsuls moved, and those not moved with why."""
    host_id: str
    total: int = 0
    moved: list[str] = field(default_factory=list)
    not_moved: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        return f"{len(self.moved)} of {self.total} moved"


async def evacuate(hub: Hub, host_id: str, *, told=lambda line: None) -> Evacuation:
    """Move every capsul off a draining host, each to the host the placement rules pick among those on
    its segment with room (the largest first, so they pack), never over-committing one: the room
    is checked again, and taken, when each move begins. A capsul no host has room for, or whose
    move fails, is said and left running where it is; the others go on."""
    async with db.cursor(hub.pool) as cur:
        state = await hosts.state_of(cur, host_id)
        if state is None:
            raise InvalidRequest(f"there is no host {host_id!r}")
        if state == "active":
            raise WrongState(f"host {host_id} is active: drain it first (run.py drain {host_id}), so that nothing "
                             "new is placed on it while it is emptied")
        on_host = await moves_db.live_on(cur, host_id)
    report = Evacuation(host_id, total=len(on_host))
    for vm in on_host:
        if vm["state"] not in moves_db.MOVE_STATES:
            report.not_moved[vm["id"]] = f"it is {vm['state']}: only a running or stopped capsul moves"
            told(f"{vm['id']}: not moved: {report.not_moved[vm['id']]}")
            continue
        await _move_somewhere(hub, vm, report, told, evacuation=True)
    told(f"{host_id}: {report.summary()}")
    return report


async def return_to(hub: Hub, host_id: str, *, told=lambda line: None) -> Evacuation:
    """Move back to `host_id` (active again) the capsuls an evacuation moved off it."""
    async with db.cursor(hub.pool) as cur:
        state = await hosts.state_of(cur, host_id)
        if state is None:
            raise InvalidRequest(f"there is no host {host_id!r}")
        if state != "active":
            raise WrongState(f"host {host_id} is {state}: activate it first (run.py activate {host_id})")
        away = await moves_db.moved_from(cur, host_id)
    report = Evacuation(host_id, total=len(away))
    for vm in away:
        try:
            result = await move_capsul(hub, vm["id"], host_id, returning=True)
        except CapsulError as e:
            report.not_moved[vm["id"]] = str(e)
            told(f"{vm['id']}: not moved back: {e}")
            continue
        report.moved.append(vm["id"])
        told(f"{vm['id']}: moved back from {vm['host_id']} ({describe_outcome(result)})")
    told(f"{host_id}: {report.summary()}")
    return report


async def _move_somewhere(hub: Hub, vm: dict, report: Evacuation, told, *, evacuation: bool) -> None:
    tried: set[str] = set()
    while True:
        async with db.cursor(hub.pool) as cur:
            candidates = await moves_db.destinations(cur, vm, exclude={vm["host_id"], *tried},
                                                     cpu_ratio=hub.config.overcommit_cpu_ratio,
                                                     memory_ratio=hub.config.overcommit_memory_ratio)
        if not candidates:
            why = (f"no other active host on its segment has room for it ({vm['vcpus']} vCPUs, {vm['memory_mb']} MB)"
                   if not tried else f"every host with room refused it, last: {report.not_moved.get(vm['id'])}")
            report.not_moved[vm["id"]] = why
            told(f"{vm['id']}: not moved: {why}")
            return
        destination = candidates[0]
        try:
            result = await move_capsul(hub, vm["id"], destination, evacuation=evacuation)
        except NoCapacityError as e:  # taken meanwhile: the next best
            tried.add(destination)
            report.not_moved[vm["id"]] = str(e)
            continue
        except CapsulError as e:
            report.not_moved[vm["id"]] = str(e)
            told(f"{vm['id']}: not moved to {destination}: {e}")
            return
        report.not_moved.pop(vm["id"], None)
        report.moved.append(vm["id"])
        told(f"{vm['id']}: moved to {destination} ({describe_outcome(result)})")
        return


def describe_outcome(result: dict) -> str:
    if result.get("cold"):
        return f"cold: {result['outage_ms']} ms from its shutdown to {result.get('state')} there"
    downtime = result.get("downtime_ms")
    return f"{downtime} ms without service" if downtime is not None else "done"
