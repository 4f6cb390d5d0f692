"""A person's API tokens: make one (its secret shown once), list, revoke."""
from __future__ import annotations

from aiohttp import web

from capsul.numbers import parse_int
from capsul.hub.accounts import api_tokens, second_factors
from capsul.hub.console import sessions
from capsul.hub.console.render import render
from capsul.hub.keys import db_pool

routes = web.RouteTableDef()


async def _page(request: web.Request, account: str, *, error: str | None = None, form: dict | None = None,
                secret: str | None = None, status: int = 200) -> web.Response:
    tokens = await api_tokens.list_tokens(request.app[db_pool], account)
    return await render("api_tokens.html", request, {
        "tokens": tokens, "error": error, "secret": secret,
        "form": form or {"name": "", "scope": "read", "expires_in_days": ""}}, status=status)


@routes.get("/api-tokens", name="api_tokens")
@sessions.login_required
async def token_list(request: web.Request, account: str) -> web.StreamResponse:
    return await _page(request, account)


@routes.post("/api-tokens")
@sessions.login_required
async def create(request: web.Request, account: str) -> web.StreamResponse:
    await sessions.recent_factor_needed(
        request, account, second_factors.RECENT,
        "Confirm with one of your second factors to make a token (one used in the last 15 minutes counts); "
        "no token was made.", back=str(request.app.router["api_tokens"].url_for()))
    form = await request.post()
    entered = {"name": str(form.get("name", "")), "scope": str(form.get("scope", "")),
               "expires_in_days": str(form.get("expires_in_days", "")).strip()}
    days = None
    if entered["expires_in_days"]:
        days = parse_int(entered["expires_in_days"], 1, api_tokens.MAX_EXPIRY_DAYS)
        if days is None:
            return await _page(request, account, form=entered, status=400,
                               error=f"The expiry is a number of days from 1 to {api_tokens.MAX_EXPIRY_DAYS}, "
                                     "or empty for never.")
    try:
        secret, token = await api_tokens.create_token(request.app[db_pool], account, entered["name"],
                                                      entered["scope"], days)
    except api_tokens.TokenRefused as e:
        return await _page(request, account, error=str(e), form=entered, status=e.status)
    # NOTE: rendered, not redirected: this response is the only place the secret ever appears.
    return await _page(request, account, secret={"name": token["name"], "value": secret}, status=201)


@routes.post("/api-tokens/revoke", name="api_token_revoke")
@sessions.login_required
async def revoke(request: web.Request, account: str) -> web.StreamResponse:
    token_id = parse_int((await request.post()).get("id"))
    try:
        if token_id is None:
            raise api_tokens.TokenRefused("You have no such token.", 404)
        token = await api_tokens.revoke_token(request.app[db_pool], account, token_id)
    except api_tokens.TokenRefused as e:
        return await _page(request, account, error=str(e), status=e.status)
    await sessions.flash(request, f"Revoked the token {token['name']!r}; scripts using it are refused from now on.")
    raise web.HTTPSeeOther(request.app.router["api_tokens"].url_for())
