"""The /spoke/* endpoints that the hub calls, all signed hub->spoke (docs/architecture.md §3)."""
from __future__ import annotations

import asyncio
import logging
import re

from aiohttp import web

from capsul import errors, signing
from capsul.config import Config
from capsul.spoke import serial_console
from capsul.spoke.firewall.keeper import DocumentRefused
from capsul.spoke.keys import hypervisor, operations, state
from capsul.spoke.operations import OperationError
from capsul.spoke.state import SpokeState
from capsul.spoke.virt import Hypervisor, HypervisorError
from capsul.version import VERSION

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


MAX_NETWORKS = 64
NETWORK_NAME = re.compile(r"[^\x00-\x1f\x7f/]{1,100}")  # what libvirt takes as a network's name (no NUL, no /)


@routes.post("/heartbeat", name="spoke_heartbeat")
async def heartbeat(request: web.Request) -> web.Response:
    """Liveness: answers with this host's capacity, the last event sequence number sent, and which
    of the libvirt networks its pools name (`networks` in the body) are missing or inactive."""
    body = request[signing.SIGNED].body
    names = body.get("networks", [])
    if (not isinstance(names, list) or len(names) > MAX_NETWORKS
            or not all(isinstance(n, str) and NETWORK_NAME.fullmatch(n) for n in names)):
        raise errors.json_error(400, f"networks must be a list of at most {MAX_NETWORKS} libvirt network names")
    virt, spoke = request.config_dict[hypervisor], request.config_dict[state]
    if isinstance(body.get("version"), str) and len(body["version"]) <= 20:
        spoke.hub_version = body["version"]
    try:
        capacity = await virt.capacity_quickly()
    except HypervisorError as e:
        raise errors.json_error(503, str(e)) from None
    await check_networks(virt, spoke, names)
    return web.json_response({"ok": True, "host_id": spoke.host_id, "capacity": capacity.as_dict(),
                              "last_event_seq": spoke.last_event_seq,
                              "missing_networks": spoke.missing_networks, "version": VERSION,
                              "images": request.config_dict[operations].images.report()})


async def check_networks(virt: Hypervisor, spoke: SpokeState, names: list[str], *, wait: float = 0.5) -> None:
    """Refresh which named networks are missing; a libvirt slower than `wait` keeps the last
    answer (a heartbeat must not look dead because libvirt is busy)."""
    spoke.networks = list(names)
    try:
        spoke.missing_networks = await asyncio.wait_for(virt.network_problems(names), wait)
    except (TimeoutError, HypervisorError) as e:
        log.debug("checking libvirt networks %s: %s; keeping the last answer", names, str(e) or "no answer in time")


@routes.post("/operation", name="spoke_operation")
async def operation(request: web.Request) -> web.Response:
    """An immediate operation: the answer is the completion."""
    body = request[signing.SIGNED].body
    try:
        result = await request.config_dict[operations].run_immediate(body)
    except OperationError as e:
        raise errors.json_error(e.status, str(e)) from None
    except HypervisorError as e:
        raise errors.json_error(503, str(e)) from None
    return web.json_response({"ok": True, "result": result})


@routes.post("/operation/{op_id}", name="spoke_offer")
async def offer(request: web.Request) -> web.Response:
    """An offered create: accepted only once this host has claimed it at the hub."""
    body = request[signing.SIGNED].body
    try:
        answer = await request.config_dict[operations].offer_create(request.match_info["op_id"], body)
    except OperationError as e:
        raise errors.json_error(e.status, str(e)) from None
    except HypervisorError as e:
        raise errors.json_error(503, str(e)) from None
    return web.json_response({"ok": True, **answer})


@routes.post("/firewall", name="spoke_firewall")
async def firewall(request: web.Request) -> web.Response:
    """The hub's firewall document for every capsul here (hub/firewall.py); applied only when it changed."""
    keeper = request.config_dict[operations].firewall
    try:
        changed = await keeper.update(request[signing.SIGNED].body)
    except DocumentRefused as e:
        raise errors.json_error(400, f"firewall document refused: {e}") from None
    if keeper.error:
        raise errors.json_error(503, keeper.error)
    return web.json_response({"ok": True, "changed": changed, **keeper.report()})


def create_spoke_endpoints(config: Config) -> web.Application:
    """`config` must carry HUB_TOKEN: the only token that may sign requests to this spoke."""
    own_id, hub_token = config.spoke_host_id, config.hub_token

    async def tokens_for(host_id: str) -> list[str]:
        return [hub_token] if host_id == own_id and hub_token else []

    verifier = signing.Verifier(signing.HUB_TO_SPOKE, tokens_for)
    app = web.Application(middlewares=[signing.signed_api_middleware(verifier)])
    app.add_routes(routes)
    app.router.add_get("/console/{vm_id}", serial_console.console_endpoint, name="spoke_console")
    return app
