"""The admin view (ADMIN_EMAIL_ADDRESSES): hosts, VMs per host, operations, conflicts, consistency."""
from __future__ import annotations


from aiohttp import web

from decimal import Decimal, InvalidOperation

from capsul.hub import db, usage

from capsul.hub.console import sessions
from capsul.hub.console.render import render
from capsul.hub.db import hosts, networks, operations, vm_events, vms
from capsul.hub.db import ledger
from capsul.hub.db import usage as usage_db
from capsul.hub.keys import db_pool
from capsul.hub.keys import hub_service
from capsul.hub.spokes import consistency

routes = web.RouteTableDef()


@routes.get("/admin", name="admin")
@sessions.admin_required
async def overview(request: web.Request, account: str) -> web.Response:
    async with db.cursor(request.app[db_pool]) as cur:
        context = {"hosts": await hosts.list_hosts(cur), "vm_counts": await vms.count_by_host(cur),
                   "pools": await networks.list_pools(cur),
                   "vms": await vms.list_vms(cur), "operations": await operations.recent_operations(cur),
                   "conflicts": await vm_events.open_conflicts(cur), "ledger": await ledger.recent_manual(cur),
                   "top_transfer": await usage_db.top_consumers(cur, usage.utc_now())}
    return await render("admin.html", request, context)


@routes.post("/admin/ledger", name="admin_ledger")
@sessions.admin_required
async def manual_entry(request: web.Request, account: str) -> web.StreamResponse:
    """A manual credit or debit, with a reason; kept in the ledger with the admin's email."""
    form = await request.post()
    target, reason = str(form.get("account", "")).strip().lower(), str(form.get("reason", ""))
    try:
        amount = Decimal(str(form.get("amount", "")).strip())
        if not amount.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        await sessions.flash(request, "Nothing recorded: the amount must be a number of dollars, e.g. 20 or -5.50.")
        raise web.HTTPSeeOther(request.app.router["admin"].url_for()) from None
    try:
        async with db.cursor(request.app[db_pool]) as cur:
            entry = await ledger.add_manual_entry(cur, target, amount, reason, account)
    except ledger.LedgerRefused as e:
        await sessions.flash(request, f"Nothing recorded: {e}.")
    else:
        await sessions.flash(request, f"Recorded ${entry['amount']} for {entry['account']}: {entry['reason']}.")
    raise web.HTTPSeeOther(request.app.router["admin"].url_for())


@routes.get("/admin/consistency", name="admin_consistency")
@sessions.admin_required
async def consistency_check(request: web.Request, account: str) -> web.Response:
    report = await consistency.check(request.app[hub_service])
    return await render("consistency.html", request, {"report": report})
