"""A capsul's inbound firewall in the console (/capsuls/{id}/firewall): its rules, adding and
removing one, and whether the provider's default or only its rules apply. The rules live in
capsul/hub/firewall.py; a refusal comes back as the page with what was typed kept."""
from __future__ import annotations

from aiohttp import web

from capsul.hub import capsuls, firewall
from capsul.hub.console import sessions
from capsul.hub.console.render import render
from capsul.hub.keys import hub_service
from capsul.hub.live import capsul_view
from capsul.numbers import parse_int

routes = web.RouteTableDef()


async def _page(request: web.Request, account: str, *, error: str | None = None, typed: dict | None = None,
                status: int = 200) -> web.Response:
    hub = request.app[hub_service]
    owner = None if sessions.is_admin(request, account) else account
    vm = await capsuls.get_capsul(hub, owner, request.match_info["vm_id"])
    view = await firewall.list_rules(hub, owner, vm["id"])
    return await render("firewall.html", request, {
        "vm": capsul_view(vm), "firewall": view, "error": error,
        "typed": typed or {"protocol": "tcp", "ports": "", "source": "", "note": ""}}, status=status)


@routes.get("/capsuls/{vm_id}/firewall", name="capsul_firewall")
@sessions.login_required
async def firewall_page(request: web.Request, account: str) -> web.StreamResponse:
    return await _page(request, account)


def _ports(text: str) -> tuple[int | None, int | None] | None:
    text = text.strip()
    if not text:
        return None, None
    low, dash, high = text.partition("-")
    port_from, port_to = parse_int(low, 1, 65535), parse_int(high if dash else low, 1, 65535)
    return None if port_from is None or port_to is None else (port_from, port_to)


@routes.post("/capsuls/{vm_id}/firewall/rules", name="capsul_firewall_add")
@sessions.login_required
async def add(request: web.Request, account: str) -> web.StreamResponse:
    form = await request.post()
    typed = {k: str(form.get(k, "")) for k in ("protocol", "ports", "source", "note")}
    ports = _ports(typed["ports"])
    try:
        if ports is None:
            raise capsuls.InvalidRequest("ports are a number from 1 to 65535, or a range such as 8000-8080")
        rule = await firewall.add_rule(
            request.app[hub_service], None if sessions.is_admin(request, account) else account,
            request.match_info["vm_id"], {"protocol": typed["protocol"], "port_from": ports[0], "port_to": ports[1],
                                          "source": typed["source"], "note": typed["note"]})
    except capsuls.CapsulNotFound:
        raise
    except capsuls.CapsulError as e:
        return await _page(request, account, error=e.message, typed=typed, status=e.status)
    await sessions.flash(request, f"Allowed {rule['words']}.")
    raise web.HTTPSeeOther(request.app.router["capsul_firewall"].url_for(vm_id=request.match_info["vm_id"]))


@routes.post("/capsuls/{vm_id}/firewall/rules/remove", name="capsul_firewall_remove")
@sessions.login_required
async def remove(request: web.Request, account: str) -> web.StreamResponse:
    form = await request.post()
    try:
        rule = await firewall.remove_rule(request.app[hub_service], None if sessions.is_admin(request, account) else account,
                                          request.match_info["vm_id"], parse_int(form.get("id"), 1))
    except capsuls.CapsulError as e:
        return await _page(request, account, error=e.message, status=e.status)
    await sessions.flash(request, f"No longer allows {firewall.rule_words(rule)}.")
    raise web.HTTPSeeOther(request.app.router["capsul_firewall"].url_for(vm_id=request.match_info["vm_id"]))


@routes.post("/capsuls/{vm_id}/firewall/mode", name="capsul_firewall_mode")
@sessions.login_required
async def mode(request: web.Request, account: str) -> web.StreamResponse:
    form = await request.post()
    try:
        await firewall.set_mode(request.app[hub_service], None if sessions.is_admin(request, account) else account,
                                request.match_info["vm_id"], form.get("mode"))
    except capsuls.CapsulNotFound:
        raise
    except capsuls.CapsulError as e:
        return await _page(request, account, error=e.message, status=e.status)
    await sessions.flash(request, "The firewall now uses only its rules." if form.get("mode") == "rules"
                         else "The firewall now uses the provider's default.")
    raise web.HTTPSeeOther(request.app.router["capsul_firewall"].url_for(vm_id=request.match_info["vm_id"]))
