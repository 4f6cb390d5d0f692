"""What a person may ask of their capsul's backups (docs/backups.md), for the console and the API
alike: the list with the schedule, a new schedule, protecting a backup from pruning."""
from __future__ import annotations

from capsul.hub import db
from capsul.hub.backups import jobs
from capsul.hub.capsuls import CapsulNotFound, Hub, InvalidRequest
from capsul.hub.db import backups as catalogue
from capsul.hub.db import vms
from capsul.limits import is_int

SCHEDULE_FIELDS = {"window_start": (0, 23), "window_hours": (1, 24), "keep_last": (0, 1000),
                   "keep_daily": (0, 1000), "keep_weekly": (0, 1000), "keep_monthly": (0, 1000)}


async def _vm(cur, account: str | None, vm_id: str) -> dict:
    try:
        return await vms.get_vm(cur, vm_id, account)
    except db.NotFound:
        raise CapsulNotFound(f"no capsul {vm_id}") from None


async def list_backups(hub: Hub, account: str | None, vm_id: str) -> dict:
    async with db.cursor(hub.pool) as cur:
        await _vm(cur, account, vm_id)
        rows = await catalogue.of_capsul(cur, vm_id)
        schedule = await catalogue.schedule_of(cur, vm_id)
    return {"enabled": jobs.enabled(hub), "backups": [catalogue.view_of(r) for r in rows], "schedule": schedule,
            "limit": hub.config.backups_per_capsul,
            "price_per_gb_month": hub.config.backup_price_per_gb_month if hub.config.billing_enabled else None}


def parse_schedule(given: dict, current: dict) -> dict:
    """The schedule `given` asks for (fields left out stay as they are); InvalidRequest in words."""
    if not isinstance(given, dict):
        raise InvalidRequest("the schedule is an object")
    unknown = sorted(set(given) - {"daily", *SCHEDULE_FIELDS})
    if unknown:
        raise InvalidRequest(f"unknown schedule field {unknown[0]!r:.60}")
    schedule = dict(current)
    if "daily" in given:
        if not isinstance(given["daily"], bool):
            raise InvalidRequest("daily is true or false")
        schedule["daily"] = given["daily"]
    for name, (low, high) in SCHEDULE_FIELDS.items():
        if name in given:
            if not is_int(given[name], low, high):
                raise InvalidRequest(f"{name} is a whole number from {low} to {high}")
            schedule[name] = given[name]
    if not any(schedule[k] for k in ("keep_last", "keep_daily", "keep_weekly", "keep_monthly")):
        raise InvalidRequest("keep at least one backup: set keep_last, keep_daily, keep_weekly or keep_monthly")
    return schedule


async def set_schedule(hub: Hub, account: str | None, vm_id: str, given: dict) -> dict:
    async with db.cursor(hub.pool) as cur:
        await _vm(cur, account, vm_id)
        schedule = parse_schedule(given, await catalogue.schedule_of(cur, vm_id))
        return await catalogue.set_schedule(cur, vm_id, schedule)


async def protect(hub: Hub, account: str | None, vm_id: str, backup_id: str, protected: bool) -> dict:
    if not isinstance(protected, bool):
        raise InvalidRequest("protected is true or false")
    async with db.cursor(hub.pool) as cur:
        await _vm(cur, account, vm_id)
        try:
            row = await catalogue.get(cur, backup_id, account)
        except db.NotFound:
            raise CapsulNotFound(f"no backup {backup_id:.60}") from None
        if row["vm_id"] != vm_id or row["status"] != "done":
            raise CapsulNotFound(f"capsul {vm_id} has no finished backup {backup_id:.60}")
        return catalogue.view_of(await catalogue.set_protected(cur, backup_id, account, protected))
