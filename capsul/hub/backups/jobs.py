"""Backups as the hub runs them (docs/backups.md): asked for (by a person, a schedule, or before a
rebuild), followed, pruned and billed.

The hub keeps the catalogue (hub/db/backups.py); the capsul's host does the work
(capsul/spoke/backups/jobs.py). A backup's id is also its operation id at the host: the hub asks
"backup <id> of <capsul>" once to start it and again, every FOLLOW_EVERY seconds, for its
progress, until the host says done or failed. Any hub may ask (one a round, by lease), and a
host restarted in the middle answers from its journal. Progress goes to open pages live.

Retention (retention.py) runs every PRUNE_EVERY seconds: the hub chooses what goes, a host with
the store carries it out (`forget_backups`), and only then are the rows marked pruned.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timezone
from decimal import Decimal

import psycopg2

from capsul import signing, vm_states
from capsul.hub import db
from capsul.hub.backups import retention
from capsul.hub.capsuls import CapsulNotFound, Hub, InvalidRequest, Unavailable, WrongState, create_capsul
from capsul.hub.db import backups as catalogue
from capsul.hub.db import hosts, vms
from capsul.hub.spokes import leases

log = logging.getLogger(__name__)

FOLLOW_EVERY = 2.0  # seconds between asks of each backup under way
PRUNE_EVERY = 60.0
REASONS = ("asked", "scheduled", "before-rebuild")
HOURS_PER_MONTH = 730


def enabled(hub: Hub) -> bool:
    return bool(hub.config.backup_store)


async def back_up(hub: Hub, account: str | None, vm_id: str, *, reason: str = "asked",
                  backup_id: uuid.UUID | None = None) -> dict:
    """Ask for a backup of the capsul now; the backup as it stands after its host's first answer."""
    if not enabled(hub):
        raise WrongState("Backups are not set up on this capsul service: ask its operator.")
    async with db.cursor(hub.pool) as cur:
        try:
            vm = await vms.get_vm(cur, vm_id, account)
        except db.NotFound:
            raise CapsulNotFound(f"no capsul {vm_id}") from None
        if backup_id is not None:
            try:
                earlier = await catalogue.get(cur, str(backup_id))
            except db.NotFound:
                earlier = None
            if earlier is not None:
                if earlier["vm_id"] != vm_id:
                    raise InvalidRequest("this backup id was already used for another capsul")
                return catalogue.view_of(earlier)
        if vm["state"] not in (vm_states.RUNNING, vm_states.STOPPED, vm_states.PAUSED):
            raise WrongState(f"A capsul that is {vm['state']} cannot be backed up: wait until it is running or stopped.")
        host = await hosts.get_host_to_call(cur, vm["host_id"]) if vm["host_id"] else None
        if host is None or not host["online"]:
            raise Unavailable("This capsul's host cannot be reached right now, so no backup was started: try again "
                              "in a few minutes.")
        try:
            row = await catalogue.request(cur, vm, reason, backup_id)
        except catalogue.AlreadyUnderWay as e:
            raise WrongState(str(e)) from None
    log.info("backup %s of %s asked for (%s)", row["id"], vm_id, reason)
    return catalogue.view_of(await ask(hub, row) or row)


async def ask(hub: Hub, row: dict) -> dict | None:
    """Ask the backup's host how it stands (the first ask starts it); the row afterwards."""
    async with db.cursor(hub.pool) as cur:
        host = await hosts.get_host_to_call(cur, row["host_id"]) if row["host_id"] else None
    if host is None:
        async with db.cursor(hub.pool) as cur:
            await catalogue.fail(cur, str(row["id"]), "its host is gone")
        return None
    body = {"id": str(row["id"]), "type": "backup", "vm_id": row["vm_id"]}
    try:
        answer = await hub.dispatcher.send_change(host, body, timeout=hub.config.operation_timeout)
    except signing.CallFailed as e:
        if e.status is not None and 400 <= e.status < 500:
            async with db.cursor(hub.pool) as cur:
                await catalogue.fail(cur, str(row["id"]), str((e.body or {}).get("error") or e))
        else:
            log.info("backup %s: no answer from %s yet (%s)", row["id"], row["host_id"], e)
        return None
    if not _valid_answer(answer):
        log.warning("backup %s: %s answered something that is not a backup's status", row["id"], row["host_id"])
        return None
    async with db.cursor(hub.pool) as cur:
        async with cur.begin():
            return await catalogue.record_progress(cur, str(row["id"]), answer)


def _valid_answer(answer: dict) -> bool:
    status = answer.get("status")
    if status not in (*catalogue.UNDER_WAY, "done", "failed"):
        return False
    try:
        if status == "done":
            ok = (answer.get("consistency") in ("application", "crash", "stopped")
                  and all(isinstance(answer.get(k), int) and 0 <= answer[k] < 2**63
                          for k in ("disk_bytes", "image_bytes", "stored_bytes"))
                  and isinstance(answer.get("digest"), str) and len(answer["digest"]) == 64
                  and isinstance(answer.get("snapshot"), str) and 8 <= len(answer["snapshot"]) <= 64
                  and isinstance(answer.get("taken_at"), (int, float)))
            int(answer["digest"], 16), int(answer["snapshot"], 16)
            return ok
        return isinstance(answer.get("done_bytes", 0), int) and 0 <= answer.get("done_bytes", 0) < 2**63
    except (ValueError, TypeError, KeyError):
        return False


async def follow_all(hub: Hub) -> int:
    """Ask after every backup under way, and start those schedules make due; how many were asked."""
    now = datetime.now(timezone.utc)
    async with db.cursor(hub.pool) as cur:
        due = await catalogue.due_for_schedule(cur, now)
    for vm in due:
        try:
            await back_up(hub, None, vm["id"], reason="scheduled")
        except (WrongState, Unavailable, CapsulNotFound) as e:
            log.info("scheduled backup of %s not started: %s", vm["id"], e)
    async with db.cursor(hub.pool) as cur:
        rows = await catalogue.under_way(cur)
    await asyncio.gather(*(ask(hub, row) for row in rows))
    return len(rows)


async def prune(hub: Hub) -> list[str]:
    """Apply each capsul's retention, and BACKUPS_PER_CAPSUL; the backup ids pruned."""
    async with db.cursor(hub.pool) as cur:
        by_capsul = await catalogue.done_by_capsul(cur)
        schedules = {vm_id: await catalogue.schedule_of(cur, vm_id) for vm_id in by_capsul}
    pruned: list[str] = []
    for vm_id, rows in by_capsul.items():
        s = schedules[vm_id]
        policy = retention.Policy(keep_last=s["keep_last"], keep_daily=s["keep_daily"],
                                  keep_weekly=s["keep_weekly"], keep_monthly=s["keep_monthly"])
        kept, gone = retention.plan([retention.Backup(str(r["id"]), r["taken_at"], r["protected"]) for r in rows],
                                    policy)
        protected = {str(r["id"]) for r in rows if r["protected"]}
        unprotected_kept = [b for b in kept if b not in protected]
        gone += unprotected_kept[hub.config.backups_per_capsul:]  # newest first: the oldest go
        if gone:
            snapshots = {str(r["id"]): r["snapshot"] for r in rows}
            if await forget(hub, [snapshots[b] for b in gone]):
                async with db.cursor(hub.pool) as cur:
                    await catalogue.mark_pruned(cur, gone)
                pruned += gone
    if pruned:
        log.info("pruned %d backups by their capsuls' retention", len(pruned))
    return pruned


async def forget(hub: Hub, snapshots: list[str]) -> bool:
    """Have a host with the backup store forget these snapshots; whether it did."""
    async with db.cursor(hub.pool) as cur:
        candidates = [h for h in await hosts.list_hosts_to_call(cur) if h["online"]]
    for host in candidates:
        try:
            answer = await hub.dispatcher.ask(host, {"id": str(uuid.uuid4()), "type": "forget_backups",
                                                     "snapshots": snapshots},
                                              timeout=hub.config.operation_timeout * 6)
            if answer.get("forgotten") == len(snapshots):
                return True
            log.warning("%s forgot %r of %d backups", host["id"], answer.get("forgotten"), len(snapshots))
        except signing.CallFailed as e:
            log.warning("%s could not forget backups: %s", host["id"], e)
    return False


async def bill_storage(hub: Hub, hour: datetime) -> int:
    """One charge per account for the backup storage it holds in this hour; idempotent."""
    price = Decimal(str(hub.config.backup_price_per_gb_month))
    async with db.cursor(hub.pool) as cur:
        stored = await catalogue.stored_bytes_by_account(cur)
        for account, size in stored.items():
            amount = (Decimal(size) / Decimal(2**30) * price / HOURS_PER_MONTH).quantize(Decimal("0.000001"))
            await catalogue.charge_storage(cur, account, hour, size, amount)
    return len(stored)


async def run_forever(hub: Hub) -> None:
    """Follow backups, start scheduled ones, prune, bill: one hub a round (any hub may)."""
    last_prune = 0.0
    loop = asyncio.get_running_loop()
    while True:
        try:
            if await leases.take_turn(hub.pool, "backups", FOLLOW_EVERY):
                await follow_all(hub)
                if loop.time() - last_prune > PRUNE_EVERY:
                    last_prune = loop.time()
                    await prune(hub)
                    if hub.config.billing_enabled:
                        await bill_storage(hub, datetime.now(timezone.utc))
        except (psycopg2.Error, OSError, TimeoutError) as e:
            log.error("following backups failed: %s", e)
        await asyncio.sleep(FOLLOW_EVERY)


async def restore_as_new(hub: Hub, account: str, backup_id: str, *, size: str | None = None,
                         ssh_keys: list[str] | None = None, operation_id: uuid.UUID | None = None) -> dict:
    """A new capsul whose disk is this backup's: placed like a create (new addresses), of `size`
    (default: the backed-up capsul's), with `ssh_keys` (default: the backed-up capsul's). The
    image inside is the backup's; cloud-init sees a new instance and gives it the new addresses."""
    async with db.cursor(hub.pool) as cur:
        try:
            backup = await catalogue.get(cur, backup_id, account)
            source = await vms.get_vm(cur, backup["vm_id"], account)
        except db.NotFound:
            raise CapsulNotFound(f"no backup {backup_id:.60}") from None
        if backup["status"] != "done":
            raise WrongState(f"Backup {backup_id} is {backup['status']}: only a finished backup can be restored.")
        keys = ssh_keys if ssh_keys is not None else [k["name"] for k in await vms.ssh_keys_of(cur, source["id"])]
    return await create_capsul(hub, account, size or source["size"], backup["os_image"] or source["os"], keys,
                               operation_id=operation_id,
                               restore={"backup_id": str(backup["id"]), "snapshot": backup["snapshot"],
                                        "digest": backup["digest"], "disk_bytes": backup["disk_bytes"]})
