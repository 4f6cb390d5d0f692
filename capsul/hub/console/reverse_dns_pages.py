"""Reverse DNS in the console (/capsuls/{id}/reverse-dns): each address's PTR name, set or reset.
The rules live in capsul/hub/reverse_dns.py; a refusal comes back as the page with what was typed."""
from __future__ import annotations

from aiohttp import web

from capsul.hub import capsuls, reverse_dns
from capsul.hub.console import sessions
from capsul.hub.console.render import render
from capsul.hub.keys import hub_service
from capsul.hub.live import capsul_view

routes = web.RouteTableDef()


def _owner(request: web.Request, account: str) -> str | None:
    return None if sessions.is_admin(request, account) else account


async def _page(request: web.Request, account: str, *, error: str | None = None, typed: dict | None = None,
                status: int = 200) -> web.Response:
    hub = request.app[hub_service]
    vm = await capsuls.get_capsul(hub, _owner(request, account), request.match_info["vm_id"])
    try:
        names = await reverse_dns.list_names(hub, _owner(request, account), vm["id"])
    except reverse_dns.NotOffered:
        names = None
    return await render("reverse_dns.html", request, {"vm": capsul_view(vm), "names": names, "error": error,
                                                      "typed": typed or {}}, status=status)


@routes.get("/capsuls/{vm_id}/reverse-dns", name="capsul_reverse_dns")
@sessions.login_required
async def page(request: web.Request, account: str) -> web.StreamResponse:
    return await _page(request, account)


@routes.post("/capsuls/{vm_id}/reverse-dns", name="capsul_reverse_dns_set")
@sessions.login_required
async def change(request: web.Request, account: str) -> web.StreamResponse:
    form = await request.post()
    address, name = str(form.get("address", "")), str(form.get("name", ""))
    hub, vm_id = request.app[hub_service], request.match_info["vm_id"]
    try:
        if form.get("reset") == "yes":
            entry = await reverse_dns.reset_name(hub, _owner(request, account), vm_id, address)
        else:
            entry = await reverse_dns.set_name(hub, _owner(request, account), vm_id, address, name)
    except capsuls.CapsulNotFound:
        raise
    except capsuls.CapsulError as e:
        return await _page(request, account, error=e.message, typed={address: name}, status=e.status)
    await sessions.flash(request, f"{entry['address']} is {entry['name']} from now on (pushed to the DNS server).")
    raise web.HTTPSeeOther(request.app.router["capsul_reverse_dns"].url_for(vm_id=vm_id))
