"""The public API's reverse DNS routes (docs/reverse-dns.md): each of a capsul's addresses' PTR name.
Kept apart from routes.py; the same helpers and error shape."""
from __future__ import annotations

from aiohttp import web

from capsul.hub import reverse_dns
from capsul.hub.api.routes import account_of, field, json_body, reply
from capsul.hub.keys import hub_service

routes = web.RouteTableDef()


@routes.get("/capsuls/{vm_id}/reverse-dns")
async def capsul_reverse_dns(request: web.Request) -> web.Response:
    return reply({"reverse_dns": await reverse_dns.list_names(request.app[hub_service], account_of(request),
                                                               request.match_info["vm_id"])})


@routes.put("/capsuls/{vm_id}/reverse-dns/{address}")
async def set_reverse_dns(request: web.Request) -> web.Response:
    body = await json_body(request)
    entry = await reverse_dns.set_name(request.app[hub_service], account_of(request), request.match_info["vm_id"],
                                       request.match_info["address"], field(body, "name", str))
    return reply({"reverse_dns": entry})


@routes.delete("/capsuls/{vm_id}/reverse-dns/{address}")
async def reset_reverse_dns(request: web.Request) -> web.Response:
    entry = await reverse_dns.reset_name(request.app[hub_service], account_of(request), request.match_info["vm_id"],
                                         request.match_info["address"])
    return reply({"reverse_dns": entry})
