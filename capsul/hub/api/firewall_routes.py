"""The public API's firewall routes (docs/firewall.md): a capsul's inbound rules and its mode.
Kept apart from routes.py, which holds the rest of the API; the same helpers and error shape."""
from __future__ import annotations

from aiohttp import web

from capsul.hub import firewall
from capsul.hub.api.routes import account_of, field, json_body, reply
from capsul.hub.keys import hub_service
from capsul.numbers import parse_int

routes = web.RouteTableDef()


@routes.get("/capsuls/{vm_id}/firewall")
async def capsul_firewall(request: web.Request) -> web.Response:
    return reply({"firewall": await firewall.list_rules(request.app[hub_service], account_of(request),
                                                         request.match_info["vm_id"])})


@routes.put("/capsuls/{vm_id}/firewall")
async def set_firewall_mode(request: web.Request) -> web.Response:
    body = await json_body(request)
    view = await firewall.set_mode(request.app[hub_service], account_of(request), request.match_info["vm_id"],
                                   field(body, "mode", str))
    return reply({"firewall": view})


@routes.post("/capsuls/{vm_id}/firewall/rules")
async def add_firewall_rule(request: web.Request) -> web.Response:
    rule = await firewall.add_rule(request.app[hub_service], account_of(request), request.match_info["vm_id"],
                                   await json_body(request))
    return reply({"rule": rule}, status=201)


@routes.delete("/capsuls/{vm_id}/firewall/rules/{rule_id}")
async def remove_firewall_rule(request: web.Request) -> web.Response:
    await firewall.remove_rule(request.app[hub_service], account_of(request), request.match_info["vm_id"],
                               parse_int(request.match_info["rule_id"], 1))
    return reply({"ok": True})
