"""The /spoke/* endpoints that the hub calls, all signed hub->spoke (DESIGN.md §2)."""
from __future__ import annotations

import logging

from aiohttp import web

from capsul import errors, signing
from capsul.config import Config
from capsul.spoke.keys import hypervisor, state
from capsul.spoke.virt import HypervisorError

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


@routes.post("/heartbeat", name="spoke_heartbeat")
async def heartbeat(request: web.Request) -> web.Response:
    """Liveness: answers with this host's capacity and the last event sequence number sent."""
    try:
        capacity = await request.config_dict[hypervisor].capacity()
    except HypervisorError as e:
        raise errors.json_error(503, str(e)) from None
    spoke = request.config_dict[state]
    return web.json_response({"ok": True, "host_id": spoke.host_id, "capacity": capacity.as_dict(),
                              "last_event_seq": spoke.last_event_seq})


def create_spoke_endpoints(config: Config) -> web.Application:
    """`config` must carry HUB_TOKEN: the only token that may sign requests to this spoke."""
    own_id, hub_token = config.spoke_host_id, config.hub_token

    async def tokens_for(host_id: str) -> list[str]:
        return [hub_token] if host_id == own_id and hub_token else []

    verifier = signing.Verifier(signing.HUB_TO_SPOKE, tokens_for)
    app = web.Application(middlewares=[signing.signed_api_middleware(verifier)])
    app.add_routes(routes)
    return app
