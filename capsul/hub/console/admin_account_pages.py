"""An admin's page per account (/admin/accounts/{email}): its balance, capsuls and ledger, the limits
it has (the configured ones, or its own that the admin sets here), and stopping or deleting one of
its capsuls with a reason kept on the capsul's timeline."""
from __future__ import annotations

import logging

from aiohttp import web

from capsul.hub import capsuls, db
from capsul.hub.accounts import second_factors
from capsul.hub.console import sessions
from capsul.hub.console.render import render
from capsul.hub.db import accounts as accounts_db
from capsul.hub.db import ledger, vms
from capsul.hub.keys import db_pool, hub_service
from capsul.hub.live import capsul_view
from capsul.limits import INT4_MAX
from capsul.numbers import parse_int

log = logging.getLogger(__name__)

routes = web.RouteTableDef()
ADMIN_ACTIONS = {"force-stop": "Force off", "delete": "Delete"}


@routes.get("/admin/accounts/{email}", name="admin_account")
@sessions.admin_required
async def account_page(request: web.Request, admin: str) -> web.StreamResponse:
    return await page(request)


async def page(request: web.Request, *, error: str | None = None, status: int = 200,
                limits_form: dict | None = None) -> web.Response:
    """`limits_form`: what was typed in the limits form, with its error, shown again."""
    email = request.match_info["email"].strip().lower()
    async with db.cursor(request.app[db_pool]) as cur:
        if not await accounts_db.exists(cur, email):
            raise web.HTTPNotFound()
        statement = await ledger.statement(cur, email, for_admin=True)
        rows = await vms.list_vms(cur, email, include_gone=True)
        held = await vms.account_holdings(cur, email)
        own = await accounts_db.own_limits(cur, email)
    config = request.app[sessions.config_key]
    second = await second_factors.overview(request.app[db_pool], email)
    return await render("admin_account.html", request, {
        "second_factors": second, "kind_words": second_factors.KIND_WORDS,
        "email": email, "statement": statement, "capsuls": [capsul_view(r) for r in reversed(rows)],
        "held": held, "limits": accounts_db.effective_limits(own, config), "own_limits": own,
        "configured_limits": accounts_db.effective_limits({}, config),
        "limits_form": limits_form or {k: "" if v is None else str(v) for k, v in own.items()},
        "admin_actions": ADMIN_ACTIONS, "error": error}, status=status)


LIMIT_WORDS = {"capsuls": "capsuls", "vcpus": "vCPUs", "memory_mb": "MB of memory"}


@routes.post("/admin/accounts/{email}/limits", name="admin_account_limits")
@sessions.admin_required
async def set_limits(request: web.Request, admin: str) -> web.StreamResponse:
    """This account's own limits; a field left empty gives it the configured one again, 0 no limit."""
    form = await request.post()
    email = request.match_info["email"].strip().lower()
    typed = {kind: str(form.get(kind, "")).strip() for kind in accounts_db.LIMITS}
    limits = {}
    for kind, text in typed.items():
        limits[kind] = None if text == "" else parse_int(text, 0, INT4_MAX)
        if text != "" and limits[kind] is None:
            return await page(request, status=400, limits_form={
                **typed, "error": f"Nothing changed: the limit on {LIMIT_WORDS[kind]} is a whole number from 0 (no "
                                  f"limit) to {INT4_MAX}, or empty for the configured one."})
    async with db.cursor(request.app[db_pool]) as cur:
        if not await accounts_db.set_own_limits(cur, email, limits):
            raise web.HTTPNotFound()
    log.info("admin %s set %s's limits: %s", admin, email,
             ", ".join(f"{kind} {'configured' if v is None else v}" for kind, v in limits.items()))
    await sessions.flash(request, f"Limits of {email}: " + ", ".join(
        f"{LIMIT_WORDS[kind]} {'as configured' if v is None else ('none' if v == 0 else v)}"
        for kind, v in limits.items()) + ".")
    raise web.HTTPSeeOther(request.app.router["admin_account"].url_for(email=email))


@routes.post("/admin/accounts/{email}/capsuls/{vm_id}", name="admin_capsul_action")
@sessions.admin_required
async def capsul_action(request: web.Request, admin: str) -> web.StreamResponse:
    """Force a capsul off, or delete it, with the admin's reason on its timeline (its owner reads it)."""
    form = await request.post()
    action, reason = str(form.get("action", "")), str(form.get("reason", "")).strip()
    email, vm_id = request.match_info["email"].strip().lower(), request.match_info["vm_id"]
    if action not in ADMIN_ACTIONS:
        return await page(request, error="Choose force off or delete.", status=400)
    if not reason or len(reason) > 300:
        return await page(request, error="Give a reason (up to 300 characters): it is kept on the capsul's "
                                          "timeline, where its owner reads it.", status=400)
    hub = request.app[hub_service]
    vm = await capsuls.get_capsul(hub, None, vm_id)
    if vm["account"] != email:
        raise web.HTTPNotFound()
    by = f"admin {admin}: {reason}"
    try:
        if action == "delete":
            await capsuls.destroy_capsul(hub, None, vm_id, by=by)
        else:
            await capsuls.capsul_action(hub, None, vm_id, action, by=by)
    except capsuls.CapsulError as e:
        return await page(request, error=e.message, status=e.status)
    await sessions.flash(request, f"{ADMIN_ACTIONS[action]}: {vm_id} ({reason}).")
    raise web.HTTPSeeOther(request.app.router["admin_account"].url_for(email=email))
