"""A person's capsuls: list, create, detail (with its timeline), actions, delete.

Every rule lives in the service layer (capsul/hub/capsuls.py); these handlers turn its
refusals into the page the person was on, with what they chose kept.
"""
from __future__ import annotations


from aiohttp import web

from capsul.hub import capsuls, db, usage

from capsul.hub.accounts import ssh_keys
from capsul.hub.console import backup_pages, sessions, vendor
from capsul.hub.console.render import render
from capsul.hub.db import catalog, ledger, vms
from capsul.hub.keys import db_pool
from capsul.hub.keys import hub_service
from capsul.hub.live import capsul_view

routes = web.RouteTableDef()

ACTION_LABELS = {"start": "Start", "shutdown": "Shut down", "force-stop": "Force off", "reboot": "Reboot"}


@routes.get("/capsuls", name="capsuls")
@sessions.login_required
async def capsul_list(request: web.Request, account: str) -> web.StreamResponse:
    hub = request.app[hub_service]
    rows = await capsuls.list_capsuls(hub, account)
    first_steps = None
    if not rows:  # a newcomer: what to do first, and what is done already
        async with db.cursor(request.app[db_pool]) as cur:
            balance = await ledger.balance(cur, account) if hub.config.billing_enabled else None
        first_steps = {"has_key": bool(await ssh_keys.list_ssh_keys(request.app[db_pool], account)),
                       "billing": hub.config.billing_enabled, "has_credit": balance is None or balance > 0}
    return await render("capsuls.html", request, {"capsuls": [capsul_view(r) for r in rows],
                                                  "transfer": await usage.transfers(request.app[db_pool], rows),
                                                  "first_steps": first_steps})


async def _create_form(request: web.Request, account: str, *, chosen: dict, error: str | None = None,
                       error_link: tuple[str, str] | None = None, status: int = 200) -> web.Response:
    hub = request.app[hub_service]
    async with db.cursor(request.app[db_pool]) as cur:
        sizes, images = await catalog.list_sizes(cur), await catalog.list_images(cur)
        balance = await ledger.balance(cur, account) if hub.config.billing_enabled else None
    keys = await ssh_keys.list_ssh_keys(request.app[db_pool], account)
    if len(keys) == 1 and not chosen["keys"]:
        chosen = {**chosen, "keys": [keys[0]["name"]]}  # a lone key: the one to log in with
    return await render("create.html", request, {
        "sizes": sizes, "images": images, "keys": keys, "chosen": chosen, "error": error, "error_link": error_link,
        "with_room": await capsuls.sizes_with_room(hub, sizes), "balance": balance}, status=status)


@routes.get("/capsuls/create", name="create")
@sessions.login_required
async def create_form(request: web.Request, account: str) -> web.StreamResponse:
    return await _create_form(request, account, chosen={"size": "", "os": "", "keys": []})


@routes.post("/capsuls/create")
@sessions.login_required
async def create(request: web.Request, account: str) -> web.StreamResponse:
    form = await request.post()
    chosen = {"size": str(form.get("size", "")), "os": str(form.get("os", "")),
              "keys": [str(k) for k in form.getall("ssh_key", [])]}
    if not chosen["size"]:
        return await _create_form(request, account, chosen=chosen, error="Choose a size.", status=400)
    if not chosen["os"]:
        return await _create_form(request, account, chosen=chosen, error="Choose an operating system.", status=400)
    try:
        vm = await capsuls.create_capsul(request.app[hub_service], account, chosen["size"], chosen["os"],
                                         chosen["keys"])
    except capsuls.CapsulError as e:
        return await _create_form(request, account, chosen=chosen, error=e.message, error_link=e.link,
                                  status=e.status)
    raise web.HTTPSeeOther(request.app.router["capsul"].url_for(vm_id=vm["id"]))


async def _detail(request: web.Request, account: str, *, error: str | None = None,
                  status: int = 200) -> web.Response:
    vm_id = request.match_info["vm_id"]
    admin = sessions.is_admin(request, account)  # an admin sees any capsul; acts on others' from their account page
    vm = await capsuls.get_capsul(request.app[hub_service], None if admin else account, vm_id)  # else 404
    async with db.cursor(request.app[db_pool]) as cur:
        events = await vms.events(cur, vm_id)
        size = await catalog.get_size(cur, vm["size"], include_deprecated=True)
        image = await catalog.get_image(cur, vm["os"], include_deprecated=True)
    glance = await usage.at_a_glance(request.app[db_pool], vm)
    backups = await backup_pages.backups_section(request, vm)
    return await render("capsul.html", request, {
        "backups": backups,
        "vm": capsul_view(vm), "events": events, "size": size, "image": image, "error": error,
        # libvirt's test driver reports no usage, and has no console nor SSH host keys either
        "test_driver": glance["usage_reported"] is False,
        "others_owner": vm["account"] if vm["account"] != account else None,
        "action_labels": ACTION_LABELS, "usage": glance,
        "usage_ranges": usage.RANGES, "charts_installed": vendor.installed("uPlot.js", "uPlot.css"),
        "vendor": vendor.url}, status=status)


@routes.get("/capsuls/{vm_id}", name="capsul")
@sessions.login_required
async def detail(request: web.Request, account: str) -> web.StreamResponse:
    return await _detail(request, account)


@routes.post("/capsuls/{vm_id}/actions", name="capsul_action")
@sessions.login_required
async def action(request: web.Request, account: str) -> web.StreamResponse:
    form = await request.post()
    vm_id = request.match_info["vm_id"]
    try:
        await capsuls.capsul_action(request.app[hub_service], account, vm_id, str(form.get("action", "")))
    except capsuls.CapsulNotFound:
        raise
    except capsuls.CapsulError as e:
        return await _detail(request, account, error=e.message, status=e.status)
    raise web.HTTPSeeOther(request.app.router["capsul"].url_for(vm_id=vm_id))


@routes.get("/capsuls/{vm_id}/delete", name="capsul_delete")
@sessions.login_required
async def delete_confirm(request: web.Request, account: str) -> web.StreamResponse:
    vm = await capsuls.get_capsul(request.app[hub_service], account, request.match_info["vm_id"])
    if not capsul_view(vm)["deletable"]:  # deleted already (say, "Back" after deleting): nothing to ask
        raise web.HTTPSeeOther(request.app.router["capsul"].url_for(vm_id=vm["id"]))
    return await render("delete.html", request, {"vm": capsul_view(vm)})


@routes.post("/capsuls/{vm_id}/delete")
@sessions.login_required
async def delete(request: web.Request, account: str) -> web.StreamResponse:
    vm_id = request.match_info["vm_id"]
    try:
        await capsuls.destroy_capsul(request.app[hub_service], account, vm_id)
    except capsuls.CapsulNotFound:
        raise
    except capsuls.CapsulError as e:
        return await _detail(request, account, error=e.message, status=e.status)
    await sessions.flash(request, f"{vm_id} is deleted.")
    raise web.HTTPSeeOther(request.app.router["capsuls"].url_for())


@web.middleware
async def not_found_middleware(request: web.Request, handler):
    """Another person's capsul, or none: the same 404 page."""
    try:
        return await handler(request)
    except capsuls.CapsulNotFound:
        raise web.HTTPNotFound() from None
