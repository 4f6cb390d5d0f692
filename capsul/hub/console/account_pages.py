"""A person's account: balance, payments, charges per capsul, and how long the balance lasts."""
from __future__ import annotations

from aiohttp import web

from capsul.hub import db
from capsul.hub.billing import ledger
from capsul.hub.console import sessions
from capsul.hub.console.render import render
from capsul.hub.keys import db_pool

routes = web.RouteTableDef()


@routes.get("/account", name="account")
@sessions.login_required
async def account_page(request: web.Request, account: str) -> web.StreamResponse:
    async with db.cursor(request.app[db_pool]) as cur:
        statement = await ledger.statement(cur, account)
    return await render("account.html", request, {"statement": statement, "email": account,
                                                  "billing": request.app[sessions.config_key].billing_enabled})
