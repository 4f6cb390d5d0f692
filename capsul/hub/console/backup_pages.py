"""A capsul's backups from the console (docs/backups.md): back up now, the daily schedule and its
retention, protect, and restore (into this capsul, or into a new one) after a confirmation page
that says what will happen. The list itself is the Backups section of the capsul's page
(capsul_pages.py); progress reaches it live (static/live.js, `capsul.backup`). Everything calls
the same service as the JSON API (capsul/hub/backups/)."""
from __future__ import annotations

from aiohttp import web

from capsul import vm_states
from capsul.hub import capsul_changes, capsuls, db
from capsul.hub.backups import jobs, service
from capsul.hub.console import sessions
from capsul.hub.console.render import render
from capsul.hub.db import backups as catalogue
from capsul.hub.db import catalog
from capsul.hub.keys import db_pool, hub_service
from capsul.hub.live import capsul_view

routes = web.RouteTableDef()


def _to_capsul(request: web.Request, vm_id: str):
    return web.HTTPSeeOther(str(request.app.router["capsul"].url_for(vm_id=vm_id)) + "#backups")


@routes.post("/capsuls/{vm_id}/backups", name="capsul_back_up")
@sessions.login_required
async def back_up(request: web.Request, account: str) -> web.StreamResponse:
    vm_id = request.match_info["vm_id"]
    try:
        await jobs.back_up(request.app[hub_service], account, vm_id)
    except capsuls.CapsulNotFound:
        raise
    except capsuls.CapsulError as e:
        await sessions.flash(request, e.message)
        raise _to_capsul(request, vm_id) from None
    await sessions.flash(request, f"A backup of {vm_id} is under way: its progress shows below.")
    raise _to_capsul(request, vm_id)


@routes.post("/capsuls/{vm_id}/backups/schedule", name="capsul_backup_schedule")
@sessions.login_required
async def schedule(request: web.Request, account: str) -> web.StreamResponse:
    vm_id = request.match_info["vm_id"]
    form = await request.post()
    given: dict = {"daily": form.get("daily") == "on"}
    for name in service.SCHEDULE_FIELDS:
        text = str(form.get(name, "")).strip()
        if text:
            given[name] = int(text) if text.isascii() and text.isdigit() and len(text) < 6 else text
    try:
        done = await service.set_schedule(request.app[hub_service], account, vm_id, given)
    except capsuls.CapsulNotFound:
        raise
    except capsuls.CapsulError as e:
        await sessions.flash(request, f"The schedule was not changed: {e.message}")
        raise _to_capsul(request, vm_id) from None
    await sessions.flash(request, f"Daily backups are on, between {done['window_start']:02d}:00 and "
                                  f"{(done['window_start'] + done['window_hours']) % 24:02d}:00 UTC."
                         if done["daily"] else "Daily backups are off; backups you ask for are still kept as set.")
    raise _to_capsul(request, vm_id)


@routes.post("/capsuls/{vm_id}/backups/{backup_id}/protect", name="capsul_backup_protect")
@sessions.login_required
async def protect(request: web.Request, account: str) -> web.StreamResponse:
    vm_id = request.match_info["vm_id"]
    form = await request.post()
    try:
        await service.protect(request.app[hub_service], account, vm_id, request.match_info["backup_id"],
                              form.get("protected") == "true")
    except capsuls.CapsulError as e:
        raise web.HTTPNotFound(text=e.message) from None
    raise _to_capsul(request, vm_id)


async def _restore_form(request: web.Request, account: str, *, error: str | None = None, chosen: dict | None = None,
                        status: int = 200) -> web.Response:
    vm = await capsuls.get_capsul(request.app[hub_service], account, request.match_info["vm_id"])
    async with db.cursor(request.app[db_pool]) as cur:
        try:
            backup = await catalogue.get(cur, request.match_info["backup_id"], account)
        except db.NotFound:
            raise web.HTTPNotFound(text="no such backup") from None
        sizes = await catalog.list_sizes(cur)
    if backup["vm_id"] != vm["id"] or backup["status"] != "done":
        raise web.HTTPNotFound(text="no such finished backup of this capsul")
    chosen = chosen or {"into": "same", "size": vm["size"], "confirm": ""}
    fits = [s for s in sizes if s["disk_gb"] * 2**30 >= (backup["disk_bytes"] or 0)]
    return await render("restore.html", request, {"vm": capsul_view(vm), "backup": catalogue.view_of(backup),
                                                  "taken_at": backup["taken_at"], "sizes": fits, "chosen": chosen,
                                                  "error": error}, status=status)


@routes.get("/capsuls/{vm_id}/backups/{backup_id}/restore", name="capsul_backup_restore")
@sessions.login_required
async def restore_form(request: web.Request, account: str) -> web.StreamResponse:
    return await _restore_form(request, account)


@routes.post("/capsuls/{vm_id}/backups/{backup_id}/restore")
@sessions.login_required
async def restore(request: web.Request, account: str) -> web.StreamResponse:
    vm_id, backup_id = request.match_info["vm_id"], request.match_info["backup_id"]
    form = await request.post()
    chosen = {"into": str(form.get("into", "same")), "size": str(form.get("size", "")),
              "confirm": str(form.get("confirm", "")).strip()}
    hub = request.app[hub_service]
    try:
        if chosen["into"] == "new":
            vm = await jobs.restore_as_new(hub, account, backup_id, size=chosen["size"] or None)
            await sessions.flash(request, f"{vm['id']} is made from the backup of {vm_id}: it starts with its own "
                                          "addresses.")
            raise web.HTTPSeeOther(request.app.router["capsul"].url_for(vm_id=vm["id"]))
        if chosen["confirm"] != vm_id:
            return await _restore_form(request, account, chosen=chosen, status=400,
                                       error=f"Type {vm_id} in the box to confirm: what was written on it since the "
                                             "backup is lost.")
        vm = await capsul_changes.restore_capsul(hub, account, vm_id, backup_id)
    except capsuls.CapsulNotFound:
        raise
    except capsuls.CapsulError as e:
        return await _restore_form(request, account, chosen=chosen, error=e.message, status=e.status)
    await sessions.flash(request, f"{vm_id} is restored." if vm["state"] != vm_states.RESTORING
                         else f"{vm_id} is being restored: this page shows when it is done.")
    raise web.HTTPSeeOther(request.app.router["capsul"].url_for(vm_id=vm_id))


async def backups_section(request: web.Request, vm: dict) -> dict:
    """What the capsul page's Backups section shows."""
    return await service.list_backups(request.app[hub_service], None, vm["id"])
