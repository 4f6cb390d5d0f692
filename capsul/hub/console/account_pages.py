"""A person's account: balance, payments, charges per capsul, and how long the balance lasts."""
from __future__ import annotations

from aiohttp import web

from capsul.hub import db
from capsul.hub.billing import ledger, payments
from capsul.hub.console import sessions
from capsul.hub.console.keys import payment_providers
from capsul.hub.console.render import render
from capsul.hub.keys import db_pool

routes = web.RouteTableDef()


@routes.get("/account", name="account")
@sessions.login_required
async def account_page(request: web.Request, account: str) -> web.StreamResponse:
    async with db.cursor(request.app[db_pool]) as cur:
        statement = await ledger.statement(cur, account)
        pending = await payments.open_intents(cur, account)
    return await render("account.html", request, {
        "statement": statement, "email": account, "pending": pending,
        "billing": request.app[sessions.config_key].billing_enabled,
        "providers": request.app[payment_providers], "min_payment": payments.MIN_PAYMENT,
        "max_payment": payments.MAX_PAYMENT})
