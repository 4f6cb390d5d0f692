"""The admin view (ADMIN_EMAIL_ADDRESSES): hosts, VMs per host, operations, conflicts, consistency."""
from __future__ import annotations


from aiohttp import web

from capsul.hub import consistency, db
from capsul.hub.console import sessions
from capsul.hub.console.render import render
from capsul.hub.console.keys import hub_service
from capsul.hub.db import hosts, operations, vm_events, vms
from capsul.hub.keys import db_pool

routes = web.RouteTableDef()


@routes.get("/admin", name="admin")
@sessions.admin_required
async def overview(request: web.Request, account: str) -> web.Response:
    async with db.cursor(request.app[db_pool]) as cur:
        context = {"hosts": await hosts.list_hosts(cur), "vm_counts": await vms.count_by_host(cur),
                   "vms": await vms.list_vms(cur), "operations": await operations.recent_operations(cur),
                   "conflicts": await vm_events.open_conflicts(cur)}
    return await render("admin.html", request, context)


@routes.get("/admin/consistency", name="admin_consistency")
@sessions.admin_required
async def consistency_check(request: web.Request, account: str) -> web.Response:
    report = await consistency.check(request.app[hub_service])
    return await render("consistency.html", request, {"report": report})
