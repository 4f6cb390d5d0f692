"""Rebuild, resize and restore (docs/rebuild-and-resize.md, docs/backups.md): changes to a capsul
that exists, made by its own host.

Each is an operation with an id (an Idempotency-Key gives the same id, as for a create), sent to
the capsul's host only, which does it, journaled, and answers the outcome (capsul/spoke/changes.py).
While it is under way the capsul is `rebuilding`, `resizing` or `restoring`, pushed live like every state, and
no other action or change is taken. The host's answer ends it:

- done: the capsul takes the state its host reports; a rebuild also its new image, keys and
  generation (a new NoCloud instance-id: cloud-init runs again), its old host keys forgotten;
- refused (4xx: nothing was changed): the capsul is put back as it was, size and state;
- no answer (its host is down, or slow): it stays under way, and resume_unfinished() sends it
  again, with the same id, until the host answers; any hub may, and a hub restarted in the middle
  does. The host answers a repeated id from its journal, so nothing is done twice.

A resize takes its new size when it begins, under the placement lock with the host's room
checked, so the kept host load and the price move in the same transaction: charges follow
from the next hour (hourly metering), and an undo moves them back.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from decimal import Decimal

import psycopg2

from capsul import signing, vm_states
from capsul.hub import db
from capsul.hub.backups import jobs as backup_jobs
from capsul.hub.capsuls import (CapsulError, Hub, InsufficientBalance, InvalidRequest, NoCapacityError,
                                OverAccountLimit, Unavailable, WrongState, get_capsul)
from capsul.hub.db import accounts, catalog, changes, hosts, ledger, placement, vms
from capsul.hub.db import backups as backups_db
from capsul.hub.db import operations as ops_db
from capsul.hub.spokes import leases

log = logging.getLogger(__name__)

RESTART_NOW, AT_NEXT_STOP = "now", "next-stop"
RESUME_EVERY = 5.0  # seconds between looks for changes left unfinished


def call_timeout(hub: Hub) -> float:
    """How long a host may take to answer a change: a resize may wait SHUTDOWN_TIMEOUT for its guest."""
    return hub.config.operation_timeout + hub.config.shutdown_timeout


async def rebuild_capsul(hub: Hub, account: str | None, vm_id: str, *, image: str | None = None,
                         ssh_keys: list[str] | None = None, operation_id: uuid.UUID | None = None,
                         back_up_first: bool = False) -> dict:
    """Reinstall the capsul from `image` (default: its own) with `ssh_keys` (names of the
    account's keys; default: the capsul's own). Returns the capsul as its host left it, or
    `rebuilding` if its host has not answered yet. `back_up_first`: a backup is taken, and must
    be in the store, before anything is erased (docs/backups.md); one that fails refuses the
    rebuild, in its words."""
    vm = await get_capsul(hub, account, vm_id)
    op_id = operation_id or uuid.uuid4()
    if not isinstance(back_up_first, bool):
        raise InvalidRequest("back_up_first is true or false")
    if back_up_first:
        async with db.cursor(hub.pool) as cur:
            if await ops_db.operation_exists(cur, op_id):
                return await _earlier(hub, cur, op_id, vm, "rebuild")
            await _can_change_now(cur, vm, "rebuild")
        await _backed_up(hub, account, vm_id)
    if ssh_keys is not None and (not isinstance(ssh_keys, list) or not ssh_keys
                                 or not all(isinstance(k, str) for k in ssh_keys)):
        raise InvalidRequest("choose at least one SSH key, or you could not log in to the rebuilt capsul")
    async with db.cursor(hub.pool) as cur:
        if await ops_db.operation_exists(cur, op_id):
            return await _earlier(hub, cur, op_id, vm, "rebuild")
        await _can_change_now(cur, vm, "rebuild")
        try:
            image_row = await catalog.get_image(cur, image or vm["os"], include_deprecated=True)
        except db.NotFound as e:
            raise InvalidRequest(str(e)) from None
        if image_row["deprecated"]:
            raise WrongState(f"The image {image_row['id']} is no longer offered: choose another.")
        if ssh_keys is None:
            keys = await vms.ssh_keys_of(cur, vm_id)
        else:
            keys = await accounts.ssh_keys_by_name(cur, vm["account"], list(dict.fromkeys(ssh_keys)))
            missing = sorted(set(ssh_keys) - {k["name"] for k in keys})
            if missing:
                raise InvalidRequest(f"you have no SSH key named {', '.join(map(repr, missing))}")
        keys = [{"name": k["name"], "content": k["content"]} for k in keys]
        if not keys:
            raise InvalidRequest("choose at least one SSH key, or you could not log in to the rebuilt capsul")
        try:
            async with cur.begin():
                row = await changes.lock_for_change(cur, vm_id, vm["account"])
                spoke = await vms.create_payload(cur, vm_id)
                spoke.update(os_image=image_row["id"], os_image_file=image_row["file_name"],
                             os_image_sha256=image_row["sha256"], os_image_url=image_row["url"],
                             os_image_size=image_row["size_bytes"], kernel_file=image_row["kernel_file"], initrd_file=image_row["initrd_file"],
                             kernel_cmdline=image_row["kernel_cmdline"], generation=row["generation"] + 1,
                             ssh_public_keys=[k["content"] for k in keys])
                await changes.begin(cur, row, op_id, "rebuild",
                                    {"os": image_row["id"], "keys": keys, "generation": row["generation"] + 1,
                                     "spoke": {"payload": spoke}},
                                    words=f"rebuilding with {image_row['id']}: everything on its disk is erased")
        except changes.ChangeRefused as e:
            raise WrongState(str(e)) from None
    log.info("rebuilding %s with %s (operation %s)", vm_id, image_row["id"], op_id)
    return await send(hub, op_id)


async def _backed_up(hub: Hub, account: str | None, vm_id: str, within: float = 1800.0) -> None:
    """A backup of the capsul, taken now and waited for until it is in the store."""
    backup = await backup_jobs.back_up(hub, account, vm_id, reason="before-rebuild")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while backup["status"] not in ("done", "failed") and loop.time() < deadline:
        await asyncio.sleep(1.0)  # the hub's follower (backups/jobs.py) moves it on; read where it is
        async with db.cursor(hub.pool) as cur:
            backup = backups_db.view_of(await backups_db.get(cur, backup["id"]))
    if backup["status"] != "done":
        why = backup["error"] or "it did not finish in time"
        raise WrongState(f"The backup before the rebuild did not succeed ({why}), so nothing was erased.")


async def resize_capsul(hub: Hub, account: str | None, vm_id: str, size: str, *, restart: str = RESTART_NOW,
                        force: bool = False, operation_id: uuid.UUID | None = None) -> dict:
    """Give the capsul another size: vCPUs and memory at a restart (`now`: an ACPI shutdown,
    forced off after SHUTDOWN_TIMEOUT only with `force`; `next-stop`: when it next stops), the
    disk grown (never shrunk)."""
    vm = await get_capsul(hub, account, vm_id)
    op_id = operation_id or uuid.uuid4()
    if restart not in (RESTART_NOW, AT_NEXT_STOP):
        raise InvalidRequest(f"restart is {RESTART_NOW!r} or {AT_NEXT_STOP!r}")
    if not isinstance(force, bool):
        raise InvalidRequest("force is true or false")
    async with db.cursor(hub.pool) as cur:
        if await ops_db.operation_exists(cur, op_id):
            return await _earlier(hub, cur, op_id, vm, "resize")
        await _can_change_now(cur, vm, "resize")
        try:
            new = await catalog.get_size(cur, size)
            old = await catalog.get_size(cur, vm["size"], include_deprecated=True)
        except db.NotFound as e:
            raise InvalidRequest(str(e)) from None
        if new["id"] == old["id"]:
            raise InvalidRequest(f"this capsul is a {old['id']} already")
        if new["disk_gb"] < old["disk_gb"]:
            raise WrongState(f"A disk only grows: a {new['id']} has {new['disk_gb']} GB, less than this capsul's "
                             f"{old['disk_gb']} GB. Choose a size with a disk of {old['disk_gb']} GB or more.")
        try:
            async with cur.begin():
                row = await changes.lock_for_change(cur, vm_id, vm["account"])
                await _check_account_for(cur, hub, row, old, new)
                await placement.lock_placement(cur)  # NOTE: the room checked is the room taken, as for a create
                grows = (new["vcpus"] > old["vcpus"] or new["memory_mb"] > old["memory_mb"]
                         or new["disk_gb"] > old["disk_gb"])
                if grows and (state := await hosts.state_of(cur, row["host_id"])) != "active":
                    raise NoCapacityError(f"This capsul's host is {'being emptied' if state == 'draining' else 'in maintenance'}"
                                          f", so it cannot grow where it is now. Choose a size no larger, or try "
                                          "again once the host is back in service.")
                if not await placement.host_has_room(cur, row["host_id"], new["vcpus"] - old["vcpus"],
                                                     new["memory_mb"] - old["memory_mb"],
                                                     cpu_ratio=hub.config.overcommit_cpu_ratio,
                                                     memory_ratio=hub.config.overcommit_memory_ratio):
                    raise NoCapacityError(f"There is no room for a {new['id']} where this capsul is right now. "
                                          "Choose a smaller size, or try again later: we have been told.")
                when = "now" if restart == RESTART_NOW else "at its next stop"
                await changes.begin(cur, row, op_id, "resize",
                                    {"size": new["id"], "restart": restart, "force": force,
                                     "spoke": {"vcpus": new["vcpus"], "memory_mb": new["memory_mb"],
                                               "disk_gb": new["disk_gb"], "restart": restart, "force": force}},
                                    words=f"resizing from {old['id']} to {new['id']} ({when})", new_size=new["id"])
        except changes.ChangeRefused as e:
            raise WrongState(str(e)) from None
    log.info("resizing %s from %s to %s (operation %s)", vm_id, old["id"], new["id"], op_id)
    return await send(hub, op_id)


async def restore_capsul(hub: Hub, account: str | None, vm_id: str, backup_id: str, *,
                         operation_id: uuid.UUID | None = None) -> dict:
    """Put one of the capsul's own backups back under it (docs/backups.md): its host fetches the
    image from the backup store and checks its digest, and only then stops the capsul, swaps the
    disk in (its seed, so its addresses and keys, kept), and starts it."""
    vm = await get_capsul(hub, account, vm_id)
    op_id = operation_id or uuid.uuid4()
    async with db.cursor(hub.pool) as cur:
        if await ops_db.operation_exists(cur, op_id):
            return await _earlier(hub, cur, op_id, vm, "restore")
        await _can_change_now(cur, vm, "restore")
        try:
            backup = await backups_db.get(cur, backup_id, vm["account"])
        except db.NotFound as e:
            raise InvalidRequest(str(e)) from None
        if backup["vm_id"] != vm_id:
            raise InvalidRequest(f"backup {backup_id} is of another capsul: restore it into a new capsul instead")
        if backup["status"] != "done":
            raise WrongState(f"Backup {backup_id} is {backup['status']}: only a finished backup can be restored.")
        size = await catalog.get_size(cur, vm["size"], include_deprecated=True)
        taken = backup["taken_at"].strftime("%Y-%m-%d %H:%M UTC")
        try:
            async with cur.begin():
                row = await changes.lock_for_change(cur, vm_id, vm["account"])
                await changes.begin(cur, row, op_id, "restore",
                                    {"backup": str(backup["id"]), "taken_at": taken,
                                     "spoke": {"backup_id": str(backup["id"]), "snapshot": backup["snapshot"],
                                               "digest": backup["digest"], "disk_gb": size["disk_gb"]}},
                                    words=f"restoring the backup of {taken}: what was written since is replaced")
        except changes.ChangeRefused as e:
            raise WrongState(str(e)) from None
    log.info("restoring backup %s into %s (operation %s)", backup_id, vm_id, op_id)
    return await send(hub, op_id)


async def _can_change_now(cur, vm: dict, op_type: str) -> None:
    """Refused before anything is written: a capsul in no state to change, or its host offline."""
    if vm["state"] not in vm_states.CHANGEABLE:
        raise WrongState(changes.why_not(vm["state"], op_type))
    if await backups_db.has_one_under_way(cur, vm["id"]):  # its disk is being read: nothing swaps it meanwhile
        raise WrongState("A backup of this capsul is under way: it can be changed once that has finished.")
    host = await hosts.get_host_to_call(cur, vm["host_id"]) if vm["host_id"] else None
    if host is None or not host["online"]:
        raise Unavailable("This capsul's host cannot be reached right now, so nothing was changed: try again in a "
                          "few minutes.")


async def _check_account_for(cur, hub: Hub, vm: dict, old: dict, new: dict) -> None:
    """The account's limits and, with billing, its balance, counted with the new size instead of the old."""
    limits = accounts.effective_limits(await accounts.own_limits(cur, vm["account"]), hub.config)
    await accounts.lock_account(cur, vm["account"])
    held = await vms.account_holdings(cur, vm["account"])
    for what, have, adding, limit in (("vCPUs", held["vcpus"], new["vcpus"] - old["vcpus"], limits["vcpus"]),
                                      ("MB of memory", held["memory_mb"], new["memory_mb"] - old["memory_mb"],
                                       limits["memory_mb"])):
        if limit and adding > 0 and have + adding > limit:
            raise OverAccountLimit(f"An account may have at most {limit} {what} at once, and yours has {have}: a "
                                   f"{new['id']} would take it past that. Ask support for a higher limit.")
    if hub.config.billing_enabled:
        rate = (await ledger.hourly_rate(cur, vm["account"]) - ledger.hourly_price(old["dollars_per_month"])
                + ledger.hourly_price(new["dollars_per_month"]))
        needed = (rate * 24 * Decimal(str(hub.config.min_balance_days))).quantize(ledger.CENT)
        have = await ledger.balance(cur, vm["account"])
        if have < needed:
            raise InsufficientBalance(
                f"With this capsul as a {new['id']} your capsuls would cost ${rate * 24:.2f} a day, and a change needs a "
                f"balance of {hub.config.min_balance_days:g} day(s) of that, ${needed}; yours is "
                f"${have.quantize(ledger.CENT)}.")


async def _earlier(hub: Hub, cur, op_id: uuid.UUID, vm: dict, op_type: str) -> dict:
    """A repeated request (the same Idempotency-Key): the first one's capsul, nothing new."""
    op = await ops_db.get_operation(cur, op_id)
    if op["type"] != op_type or op["vm_id"] != vm["id"]:
        raise InvalidRequest("this operation id was already used for something else")
    return await get_capsul(hub, vm["account"], vm["id"])


async def send(hub: Hub, op_id: uuid.UUID) -> dict:
    """Send the change to its capsul's host and end it by the answer (or leave it under way when
    there is none); the capsul afterwards."""
    async with db.cursor(hub.pool) as cur:
        op = await ops_db.get_operation(cur, op_id)
        vm = await vms.get_vm(cur, op["vm_id"], None)
        host = await hosts.get_host_to_call(cur, vm["host_id"])
    body = {"id": str(op_id), "type": op["type"], "vm_id": vm["id"], **op["payload"]["spoke"]}
    try:
        result = await hub.dispatcher.send_change(host, body, timeout=call_timeout(hub))
    except signing.CallFailed as e:
        if e.status is None or e.status >= 500:  # no answer: its host may still do it, and says so when asked again
            log.warning("%s of %s: no answer from %s yet (%s); it is asked again", op["type"], vm["id"],
                        vm["host_id"], e)
            return await get_capsul(hub, None, vm["id"])
        reason = str(e.body.get("error") or e)
        await _end(hub, op_id, vm["host_id"], error=reason)
        raise WrongState(_refusal_words(op["type"], reason)) from None
    await _end(hub, op_id, vm["host_id"], result=result)
    return await get_capsul(hub, None, vm["id"])


def _refusal_words(op_type: str, reason: str) -> str:
    what = {"rebuild": "rebuilt", "resize": "resized", "restore": "restored"}[op_type]
    return f"It could not be {what}: {reason[0].lower() + reason[1:]}"


async def _end(hub: Hub, op_id: uuid.UUID, host_id: str, *, result: dict | None = None,
               error: str | None = None) -> None:
    async with db.cursor(hub.pool) as cur:
        async with cur.begin():
            op = await changes.lock_operation(cur, op_id)
            if op is None:
                return  # another hub ended it
            payload = op["payload"]
            if error is not None:
                what = {"rebuild": "rebuild", "restore": f"restore of the backup of {payload.get('taken_at')}"}.get(
                    op["type"], f"resize to {payload.get('size')}")
                await changes.undo(cur, op, host_id, error, words=f"{what} not done: {error}")
                log.info("%s of %s not done: %s", op["type"], op["vm_id"], error)
            elif op["type"] == "restore":
                await changes.finish(cur, op, host_id, result, words=f"restored from the backup of {payload['taken_at']}")
            elif op["type"] == "rebuild":
                await changes.finish(cur, op, host_id, result, words=f"rebuilt with {payload['os']}",
                                     rebuilt={"os": payload["os"], "keys": payload["keys"],
                                              "generation": payload["generation"]})
            else:
                later = result.get("applies") == "at the next start"
                words = f"resized to {payload['size']}" + (": its vCPUs and memory change at its next start" if later
                                                           else "")
                await changes.finish(cur, op, host_id, result, words=words)


async def resume_unfinished(hub: Hub, older_than: float) -> int:
    """Send again every change left under way longer than `older_than` seconds; how many."""
    async with db.cursor(hub.pool) as cur:
        stale = await changes.unfinished(cur, older_than)
    for op in stale:
        try:
            await send(hub, op["id"])
        except CapsulError as e:
            log.info("%s of %s, sent again: %s", op["type"], op["vm_id"], e)
    return len(stale)


async def resume_forever(hub: Hub) -> None:
    """Changes whose hub stopped in the middle, or whose host did not answer, are sent again
    (one hub a round; any hub may)."""
    while True:
        try:
            if await leases.take_turn(hub.pool, "unfinished-changes", RESUME_EVERY):
                await resume_unfinished(hub, older_than=call_timeout(hub))
        except (psycopg2.Error, OSError, TimeoutError) as e:
            log.error("sending unfinished changes again failed: %s", e)
        await asyncio.sleep(RESUME_EVERY)
