"""Rebuild and resize a capsul from the console (/capsuls/{id}/rebuild, /resize): a form each,
saying plainly what will happen, that calls the service (capsul/hub/capsul_changes.py). A
refusal comes back as the form with what was chosen kept."""
from __future__ import annotations

from aiohttp import web

from capsul import vm_states
from capsul.hub import capsul_changes, capsuls, db
from capsul.hub.accounts import ssh_keys
from capsul.hub.console import sessions
from capsul.hub.console.render import render
from capsul.hub.db import catalog, vms
from capsul.hub.keys import db_pool, hub_service
from capsul.hub.live import capsul_view

routes = web.RouteTableDef()


async def _rebuild_form(request: web.Request, account: str, *, chosen: dict | None = None, error: str | None = None,
                        status: int = 200) -> web.Response:
    vm = await capsuls.get_capsul(request.app[hub_service], account, request.match_info["vm_id"])
    async with db.cursor(request.app[db_pool]) as cur:
        images = await catalog.list_images(cur)
        own = [k["name"] for k in await vms.ssh_keys_of(cur, vm["id"])]
    keys = await ssh_keys.list_ssh_keys(request.app[db_pool], account)
    chosen = chosen or {"os": vm["os"], "keys": [k["name"] for k in keys if k["name"] in own], "confirm": ""}
    return await render("rebuild.html", request, {"vm": capsul_view(vm), "images": images, "keys": keys,
                                                  "chosen": chosen, "error": error,
                                                  "backups": bool(request.app[hub_service].config.backup_store)},
                        status=status)


@routes.get("/capsuls/{vm_id}/rebuild", name="capsul_rebuild")
@sessions.login_required
async def rebuild_form(request: web.Request, account: str) -> web.StreamResponse:
    return await _rebuild_form(request, account)


@routes.post("/capsuls/{vm_id}/rebuild")
@sessions.login_required
async def rebuild(request: web.Request, account: str) -> web.StreamResponse:
    form = await request.post()
    vm_id = request.match_info["vm_id"]
    chosen = {"os": str(form.get("os", "")), "keys": [str(k) for k in form.getall("ssh_key", [])],
              "confirm": str(form.get("confirm", "")).strip(), "back_up_first": form.get("back_up_first") == "on"}
    if chosen["confirm"] != vm_id:
        return await _rebuild_form(request, account, chosen=chosen, status=400,
                                   error=f"Type {vm_id} in the box to confirm: everything on its disk is erased.")
    try:
        vm = await capsul_changes.rebuild_capsul(request.app[hub_service], account, vm_id,
                                                 image=chosen["os"] or None, ssh_keys=chosen["keys"],
                                                 back_up_first=chosen["back_up_first"])
    except capsuls.CapsulNotFound:
        raise
    except capsuls.CapsulError as e:
        return await _rebuild_form(request, account, chosen=chosen, error=e.message, status=e.status)
    await sessions.flash(request, f"{vm_id} is rebuilt with {chosen['os']}." if vm["state"] != vm_states.REBUILDING
                         else f"{vm_id} is being rebuilt: this page shows when it is done.")
    raise web.HTTPSeeOther(request.app.router["capsul"].url_for(vm_id=vm_id))


async def _resize_form(request: web.Request, account: str, *, chosen: dict | None = None, error: str | None = None,
                       status: int = 200) -> web.Response:
    hub = request.app[hub_service]
    vm = await capsuls.get_capsul(hub, account, request.match_info["vm_id"])
    async with db.cursor(request.app[db_pool]) as cur:
        sizes = await catalog.list_sizes(cur)
        current = await catalog.get_size(cur, vm["size"], include_deprecated=True)
    chosen = chosen or {"size": "", "restart": capsul_changes.RESTART_NOW, "force": False}
    return await render("resize.html", request, {
        "vm": capsul_view(vm), "sizes": sizes, "current": current, "chosen": chosen, "error": error,
        "shutdown_timeout": hub.config.shutdown_timeout}, status=status)


@routes.get("/capsuls/{vm_id}/resize", name="capsul_resize")
@sessions.login_required
async def resize_form(request: web.Request, account: str) -> web.StreamResponse:
    return await _resize_form(request, account)


@routes.post("/capsuls/{vm_id}/resize")
@sessions.login_required
async def resize(request: web.Request, account: str) -> web.StreamResponse:
    form = await request.post()
    vm_id = request.match_info["vm_id"]
    chosen = {"size": str(form.get("size", "")), "restart": str(form.get("restart", capsul_changes.RESTART_NOW)),
              "force": form.get("force") == "1"}
    if not chosen["size"]:
        return await _resize_form(request, account, chosen=chosen, error="Choose a size.", status=400)
    try:
        vm = await capsul_changes.resize_capsul(request.app[hub_service], account, vm_id, chosen["size"],
                                                restart=chosen["restart"], force=chosen["force"])
    except capsuls.CapsulNotFound:
        raise
    except capsuls.CapsulError as e:
        return await _resize_form(request, account, chosen=chosen, error=e.message, status=e.status)
    if vm["state"] == vm_states.RESIZING:
        words = f"{vm_id} is being resized: this page shows when it is done."
    elif chosen["restart"] == capsul_changes.AT_NEXT_STOP and vm["state"] == vm_states.RUNNING:
        words = f"{vm_id} is a {chosen['size']}: its vCPUs and memory change when it is next stopped and started."
    else:
        words = f"{vm_id} is a {chosen['size']} now."
    await sessions.flash(request, words)
    raise web.HTTPSeeOther(request.app.router["capsul"].url_for(vm_id=vm_id))
