"""A capsul's usage graphs: the series the detail page draws (GET /capsuls/{id}/usage?range=1h),
the same as the API's /api/v1/capsuls/{id}/metrics, read with the person's session."""
from __future__ import annotations

from aiohttp import web

from capsul.hub import capsuls, usage
from capsul.hub.console import sessions
from capsul.hub.keys import hub_service

routes = web.RouteTableDef()


@routes.get("/capsuls/{vm_id}/usage", name="capsul_usage")
@sessions.login_required
async def usage_series(request: web.Request, account: str) -> web.StreamResponse:
    try:
        graph = await usage.graph(request.app[hub_service], account, request.match_info["vm_id"],
                                  request.query.get("range", "1h"))
    except capsuls.InvalidRequest as e:
        raise web.HTTPBadRequest(reason=e.message) from None
    return web.json_response(graph)
