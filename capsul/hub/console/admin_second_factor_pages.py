"""An admin and second factors: unlocking an account's locked factors (with a reason kept in its
history), and requiring second factors of every account after a grace period (admin page)."""
from __future__ import annotations

from aiohttp import web

from capsul.hub.accounts import second_factors as factors
from capsul.hub.console import admin_account_pages, sessions
from capsul.hub.db import accounts as accounts_db
from capsul.hub import db
from capsul.hub.keys import db_pool
from capsul.numbers import parse_int

routes = web.RouteTableDef()
MAX_GRACE_DAYS = 365


@routes.post("/admin/accounts/{email}/second-factors/unlock", name="admin_second_factor_unlock")
@sessions.admin_required
async def unlock(request: web.Request, admin: str) -> web.StreamResponse:
    email = request.match_info["email"].strip().lower()
    async with db.cursor(request.app[db_pool]) as cur:
        if not await accounts_db.exists(cur, email):
            raise web.HTTPNotFound()
    try:
        await factors.unlock(request.app[db_pool], email, admin, (await request.post()).get("reason"))
    except factors.FactorRefused as e:
        return await admin_account_pages.page(request, error=str(e), status=e.status)
    await sessions.flash(request, f"Unlocked the second factors of {email}.")
    raise web.HTTPSeeOther(request.app.router["admin_account"].url_for(email=email))


@routes.post("/admin/second-factors/requirement", name="admin_second_factor_requirement")
@sessions.admin_required
async def requirement(request: web.Request, admin: str) -> web.StreamResponse:
    form = await request.post()
    if form.get("required") == "no":
        await factors.set_requirement(request.app[db_pool], admin, None)
        await sessions.flash(request, "Second factors are no longer required.")
    else:
        days = parse_int(form.get("grace_days"), 0, MAX_GRACE_DAYS)
        if days is None:
            raise web.HTTPBadRequest(reason=f"The grace period is a number of days from 0 to {MAX_GRACE_DAYS}.")
        await factors.set_requirement(request.app[db_pool], admin, days)
        await sessions.flash(request, f"Every account must have a second factor {'from now on' if days == 0 else f'in {days} days'}.")
    raise web.HTTPSeeOther(request.app.router["admin"].url_for())
