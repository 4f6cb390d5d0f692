"""A person's account: balance, payments, charges per capsul, how long the balance lasts, and
the browsers logged in to it (each can be logged out from here)."""
from __future__ import annotations

from aiohttp import web

from capsul.numbers import parse_int
from capsul.hub import db, usage

from capsul.hub.accounts import login_sessions
from capsul.hub.billing import payments
from capsul.hub.console import sessions
from capsul.hub.console.keys import payment_providers
from capsul.hub.console.render import render
from capsul.hub.db import backups as backups_db
from capsul.hub.db import billing_state, ledger, vms
from capsul.hub.keys import db_pool

routes = web.RouteTableDef()


@routes.get("/account", name="account")
@sessions.login_required
async def account_page(request: web.Request, account: str) -> web.StreamResponse:
    return await _page(request, account)


async def _page(request: web.Request, account: str, *, error: str | None = None,
                status: int = 200) -> web.StreamResponse:
    async with db.cursor(request.app[db_pool]) as cur:
        statement = await ledger.statement(cur, account)
        pending = await billing_state.pending_intents(cur, account)  # payments started, not settled
        live_capsuls = await vms.list_vms(cur, account)
        backup_storage = await backups_db.storage_of_account(cur, account)
    config = request.app[sessions.config_key]
    if config.backup_store:
        backup_storage["monthly"] = (backup_storage["stored_bytes"] / 2**30) * config.backup_price_per_gb_month
        backup_storage["price_per_gb_month"] = config.backup_price_per_gb_month
    else:
        backup_storage = None
    return await render("account.html", request, {
        "backup_storage": backup_storage,
        "live_capsuls": live_capsuls, "transfer": await usage.transfers(request.app[db_pool], live_capsuls),
        "error": error, "login_sessions": await login_sessions.list_sessions(request.app[db_pool], account),
        "this_session": await sessions.current_session_id(request),
        "statement": statement, "email": account, "pending": pending,
        "billing": request.app[sessions.config_key].billing_enabled,
        "providers": request.app[payment_providers], "min_payment": payments.MIN_PAYMENT,
        "max_payment": payments.MAX_PAYMENT}, status=status)


@routes.post("/account/sessions/end", name="end_login_session")
@sessions.login_required
async def end_login_session(request: web.Request, account: str) -> web.StreamResponse:
    """Log out one browser (another one, or this one), or with `others`, every other browser."""
    form = await request.post()
    this_session = await sessions.current_session_id(request)
    if form.get("others"):
        ended = await login_sessions.end_others(request.app[db_pool], account, this_session)
        await sessions.flash(request, f"Logged out {ended} other browser{'s' if ended != 1 else ''}.")
        raise web.HTTPSeeOther(request.app.router["account"].url_for())
    session_id = parse_int(form.get("id"))
    if session_id is None or not await login_sessions.end(request.app[db_pool], account, session_id):
        return await _page(request, account, error="You have no such login session (already logged out?).",
                           status=404)
    if session_id == this_session:
        await sessions.log_out(request)
        raise web.HTTPSeeOther(request.app.router["index"].url_for())
    await sessions.flash(request, "Logged out that browser; its open pages stop updating.")
    raise web.HTTPSeeOther(request.app.router["account"].url_for())
