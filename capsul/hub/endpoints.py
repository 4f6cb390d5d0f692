"""The /hub/* endpoints that spokes call, all signed spoke->hub (DESIGN.md §2)."""
from __future__ import annotations

import logging

import aiopg
from aiohttp import web

from capsul import errors, signing
from capsul.hub import db
from capsul.hub.db import hosts
from capsul.hub.keys import db_pool

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


@routes.post("/heartbeat", name="hub_heartbeat")
async def heartbeat(request: web.Request) -> web.Response:
    """A spoke says it is alive (sent when it starts): online at once, with its capacity."""
    signed = request[signing.SIGNED]
    capacity = signed.body.get("capacity")
    seq = signed.body.get("last_event_seq")
    if capacity is not None and not isinstance(capacity, dict):
        raise errors.json_error(400, "capacity must be an object")
    if seq is not None and (not isinstance(seq, int) or isinstance(seq, bool) or seq < 0):
        raise errors.json_error(400, "last_event_seq must be a non-negative integer")
    async with db.cursor(request.config_dict[db_pool]) as cur:
        came_online = await hosts.record_heartbeat(cur, signed.host_id, capacity, seq)
    if came_online:
        log.info("spoke %s announced itself and is online", signed.host_id)
    if signed.token_index:
        log.warning("spoke %s signs with its previous token; update its SPOKE_HOST_TOKEN and HUB_TOKEN",
                    signed.host_id)
    return web.json_response({"ok": True, "host_id": signed.host_id})


def create_hub_endpoints(pool: aiopg.Pool) -> web.Application:
    async def tokens_for(host_id: str) -> list[str]:
        async with db.cursor(pool) as cur:
            return await hosts.spoke_signing_tokens(cur, host_id)

    verifier = signing.Verifier(signing.SPOKE_TO_HUB, tokens_for)
    app = web.Application(middlewares=[signing.signed_api_middleware(verifier)])
    app.add_routes(routes)
    return app
