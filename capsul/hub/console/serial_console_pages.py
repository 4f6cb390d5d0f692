"""A capsul's serial console in the browser: the page (xterm.js) and its websocket.

The websocket needs a logged-in session and this site's Origin; the capsul must be the
person's own (anyone else's is a 404) unless they are an admin. The session itself runs in
hub/serial_console.py.
"""
from __future__ import annotations

from aiohttp import web

from capsul import serial_console as wire
from capsul.hub import capsuls
from capsul.hub import serial_console
from capsul.hub.accounts import second_factors
from capsul.hub.connections import TooManyConnections
from capsul.hub.console import sessions, vendor
from capsul.hub.console.render import render
from capsul.hub.console.websocket import origin_allowed
from capsul.hub.keys import hub_service
from capsul.hub.live import capsul_view

routes = web.RouteTableDef()


@routes.get("/capsuls/{vm_id}/console", name="serial_console")
@sessions.login_required
async def console_page(request: web.Request, account: str) -> web.StreamResponse:
    await sessions.recent_factor_needed(request, account, second_factors.RECENT,
                                        "Confirm with one of your second factors to open a console.")
    admin = sessions.is_admin(request, account)
    vm = await capsuls.get_capsul(request.app[hub_service], None if admin else account, request.match_info["vm_id"])
    response = await render("serial_console.html", request, {
        "vm": capsul_view(vm), "terminal_installed": vendor.installed("xterm.js", "xterm.css"), "vendor": vendor.url,
        "not_running": wire.MESSAGES[wire.NOT_RUNNING], "others_capsul": vm["account"] != account})
    # xterm.js styles its rows with a <style> element it makes: allow inline styles on this page only.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; img-src 'self' data:; "
        "frame-ancestors 'none'")
    return response


@routes.get("/capsuls/{vm_id}/console/ws", name="serial_console_ws")
async def console_websocket(request: web.Request) -> web.StreamResponse:
    if not origin_allowed(request):
        raise web.HTTPForbidden(reason="This page's origin may not open a capsul's console.")
    login = await sessions.current_login(request)
    if login is None:
        raise web.HTTPUnauthorized(reason="Log in to open a console.")
    standing = await sessions.factor_standing(request, login.account)
    if standing["has_factors"] and (standing["factor_age"] is None or standing["factor_age"] > second_factors.RECENT):
        raise web.HTTPForbidden(reason="Confirm with one of your second factors (on the console's page) to open a console.")
    try:
        return await serial_console.relay(request, request.app[hub_service], login, request.match_info["vm_id"],
                                          is_admin=sessions.is_admin(request, login.account))
    except TooManyConnections as e:
        raise web.HTTPTooManyRequests(reason=str(e)) from None
