"""Passwordless login: ask for a link by email, open it, press "Log in"; and log out.

Opening the link shows a button rather than logging in at once: mail scanners that
fetch every link in a message would otherwise use up the single-use token.
"""
from __future__ import annotations


from aiohttp import web

from capsul.hub.accounts import login_tokens, second_factors
from capsul.hub.console import sessions
from capsul.hub.console.client_address import client_address
from capsul.hub.console.keys import config_key, mailer, public_url
from capsul.hub.console.redirects import safe_next
from capsul.hub.console.render import render
from capsul.hub.keys import db_pool
from capsul.hub.mailer import MailFailed

routes = web.RouteTableDef()


def _mails(request: web.Request) -> bool:
    """Whether login links are mailed (else written to the log: the pages must not say "we sent")."""
    return request.app[config_key].mail_server is not None


@routes.get("/login", name="login")
async def login_form(request: web.Request) -> web.StreamResponse:
    if await sessions.current_account(request):
        raise web.HTTPSeeOther(safe_next(request.query.get("next")))
    return await render("login.html", request, {"email": "", "next": safe_next(request.query.get("next")),
                                                "mails": _mails(request)})


@routes.post("/login")
async def request_link(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    email, next_path = str(form.get("email", "")), safe_next(str(form.get("next", "")))
    try:
        token = await login_tokens.issue(request.app[db_pool], email, client_address(request))
        address = login_tokens.normalize_email(email)
        link = request.app[public_url] + str(
            request.app.router["login_link"].url_for(token=token).with_query(next=next_path))
        await request.app[mailer].send_login_link(address, link)
    except login_tokens.LoginRefused as e:
        return await render("login.html", request, {"email": email, "next": next_path, "error": str(e),
                                                    "mails": _mails(request)}, status=e.status)
    except MailFailed as e:
        return await render("login.html", request, {"email": email, "next": next_path, "error": str(e),
                                                    "mails": _mails(request)}, status=503)
    return await render("login_sent.html", request, {"email": address, "mails": _mails(request)})


# NOTE: only the shape issue() makes matches (anything else is a 404), and the confirm page's form
# posts to url_for(token): a path-like "token" (%2F, ..) can never turn into another route's action.
LINK_PATH = "/login/{token:" + login_tokens.TOKEN_PATTERN + "}"


@routes.get(LINK_PATH, name="login_link")
async def link_opened(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    return await render(
        "login_confirm.html", request, {"token": token, "for_email": await login_tokens.peek(request.app[db_pool], token),
                                        "next": safe_next(request.query.get("next"))})


@routes.post(LINK_PATH)
async def redeem_link(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    try:
        email = await login_tokens.redeem(request.app[db_pool], request.match_info["token"])
    except login_tokens.LoginRefused as e:
        return await render("login.html", request, {"email": "", "next": "/capsuls", "error": str(e),
                                                    "mails": _mails(request)}, status=e.status)
    next_path = safe_next(str(form.get("next", "")))
    if (await second_factors.standing(request.app[db_pool], email, None))["has_factors"]:
        # NOTE: the link alone is never a login for an account with second factors
        await sessions.start_pending(request, email, next_path)
        raise web.HTTPSeeOther(request.app.router["second_factor"].url_for())
    await sessions.log_in(request, email)
    raise web.HTTPSeeOther(next_path)


@routes.post("/logout", name="logout")
async def logout(request: web.Request) -> web.StreamResponse:
    await sessions.log_out(request)
    raise web.HTTPSeeOther(request.app.router["index"].url_for())
