"""The /hub/* endpoints that spokes call, all signed spoke->hub (docs/architecture.md §3)."""
from __future__ import annotations

import logging
import math
import uuid
from datetime import datetime

import aiopg
from aiohttp import web

from capsul import errors, signing
from capsul import version as versions
from capsul.hub import db
from capsul.hub.db import hosts, networks, operations, vm_events
from capsul.hub.db import usage as usage_db
from capsul.vm_ids import is_vm_id
from capsul.hub.keys import db_pool, resyncer
from capsul.hub.spokes.heartbeats import CAPACITY_KEYS, spoke_version
from capsul.limits import INT4_MAX, INT8_MAX, is_int

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


@routes.post("/heartbeat", name="hub_heartbeat")
async def heartbeat(request: web.Request) -> web.Response:
    """A spoke says it is alive (sent when it starts): online at once, with its capacity."""
    signed = request[signing.SIGNED]
    capacity = signed.body.get("capacity")
    seq = signed.body.get("last_event_seq")
    if capacity is not None and not (isinstance(capacity, dict)
                                     and all(is_int(capacity.get(k), 0, INT4_MAX) for k in CAPACITY_KEYS)):
        raise errors.json_error(400, f"capacity must be an object of {', '.join(CAPACITY_KEYS)}: whole numbers "
                                     f"from 0 to {INT4_MAX}")
    if seq is not None and not is_int(seq):
        raise errors.json_error(400, f"last_event_seq must be a whole number from 0 to {INT8_MAX}")
    reports_usage = signed.body.get("reports_usage")
    if reports_usage is not None and not isinstance(reports_usage, bool):
        raise errors.json_error(400, "reports_usage must be true or false")
    version = spoke_version(signed.body.get("version"))
    if version is False:
        raise errors.json_error(400, f"version must be a version such as {versions.VERSION}")
    if why := versions.spoke_refusal(version):
        async with db.cursor(request.config_dict[db_pool]) as cur:
            async with cur.begin():
                await hosts.record_refused(cur, signed.host_id, version, why)
                await hosts.notify_changed(cur)
        log.warning("spoke %s announced itself and is refused: %s", signed.host_id, why)
        raise errors.json_error(409, why)
    async with db.cursor(request.config_dict[db_pool]) as cur:
        came_online = await hosts.record_heartbeat(cur, signed.host_id, capacity, seq, reports_usage, version)
        names = await networks.pool_network_names(cur, signed.host_id)
    if came_online:
        log.info("spoke %s announced itself and is online", signed.host_id)
    request.config_dict[resyncer].request(signed.host_id)  # it (re)started: its VMs may have changed
    if signed.token_index:
        log.warning("spoke %s signs with its previous token; update its SPOKE_HOST_TOKEN and HUB_TOKEN",
                    signed.host_id)
    # the libvirt networks its pools name: the spoke checks at once that they exist
    return web.json_response({"ok": True, "host_id": signed.host_id, "networks": names, "version": versions.VERSION})


USAGE_FIELDS = ("memory_bytes", *usage_db.FIGURES)
MAX_SAMPLES = 5_000


def _valid_sample(sample) -> bool:
    return (isinstance(sample, dict) and is_vm_id(sample.get("vm_id"))
            and isinstance(sample.get("at"), str) and _is_timestamp(sample["at"])
            and _is_number(sample.get("seconds"), 0.001, 86400) and is_int(sample.get("vcpus"), 1, INT4_MAX)
            and _is_number(sample.get("cpu_seconds"), 0, 1e12)
            and all(is_int(sample.get(f), 0, INT8_MAX) for f in USAGE_FIELDS))


def _is_number(value, low: float, high: float) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            and low <= value <= high)


def _is_timestamp(text: str) -> bool:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return False
    return when.tzinfo is not None and 2000 <= when.year <= 9999


@routes.post("/usage", name="hub_usage")
async def usage(request: web.Request) -> web.Response:
    """A batch of usage samples (capsul/spoke/usage.py): stored in one statement; samples of
    capsuls this host does not own are ignored, and so are ones already stored."""
    signed = request[signing.SIGNED]
    samples = signed.body.get("samples")
    if not isinstance(samples, list) or len(samples) > MAX_SAMPLES:
        raise errors.json_error(400, f"samples must be a list of at most {MAX_SAMPLES}")
    if not all(_valid_sample(s) for s in samples):
        raise errors.json_error(400, "each sample needs vm_id, at (ISO 8601 with a time zone), seconds (> 0), "
                                     f"vcpus, cpu_seconds, and whole numbers from 0 to {INT8_MAX} for "
                                     f"{', '.join(USAGE_FIELDS)}")
    stored = 0
    if samples:
        async with db.cursor(request.config_dict[db_pool]) as cur:
            async with cur.begin():
                stored = await usage_db.ingest(cur, signed.host_id, samples)
                await usage_db.notify_sampled(cur, signed.host_id)
    return web.json_response({"ok": True, "stored": stored})


@routes.post("/claim-operation/{op_id}", name="hub_claim_operation")
async def claim_operation(request: web.Request) -> web.Response:
    """A spoke claims an offered create: 200 with the full payload for the one winner, else 409."""
    signed = request[signing.SIGNED]
    try:
        op_id = str(uuid.UUID(request.match_info["op_id"]))
    except ValueError:
        raise errors.json_error(404, "operation id must be a UUID") from None
    async with db.cursor(request.config_dict[db_pool]) as cur:
        try:
            payload = await operations.claim(cur, op_id, signed.host_id)
        except operations.ClaimRefused as e:
            raise errors.json_error(404 if e.unknown else 409, e.reason) from None
    log.info("host %s claimed create %s (%s at %s%s)", signed.host_id, op_id, payload["vm_id"],
             payload["public_ipv4"], f", {payload['public_ipv6']}" if payload["public_ipv6"] else "")
    return web.json_response({"ok": True, "operation": {"id": op_id, **payload}})


@routes.post("/events", name="hub_events")
async def events(request: web.Request) -> web.Response:
    """A batch of VM events from a spoke, applied in sequence order."""
    signed = request[signing.SIGNED]
    batch = signed.body.get("events")
    if not isinstance(batch, list) or not all(_valid_event(e) for e in batch):
        raise errors.json_error(400, f"events must be a list of {{seq, vm_id, state, reason, ts}}; seq a whole "
                                     f"number from 1 to {INT8_MAX}")
    async with db.cursor(request.config_dict[db_pool]) as cur:
        applied, last_seq, gap = await vm_events.apply_events(cur, signed.host_id, batch)
    if gap:
        log.info("events from %s skipped numbers before %d: resyncing", signed.host_id, last_seq)
        request.config_dict[resyncer].request(signed.host_id)
    return web.json_response({"ok": True, "applied": applied, "last_seq": last_seq})


def _valid_event(event) -> bool:
    return (isinstance(event, dict) and is_int(event.get("seq"), 1) and isinstance(event.get("vm_id"), str)
            and len(event["vm_id"]) <= 64
            and (event.get("state") in vm_events.EVENT_STATES
                 or (event.get("state") == vm_events.HOST_KEYS_EVENT and _valid_host_keys(event.get("ssh_host_keys"))))
            and (event.get("reason") is None or (isinstance(event["reason"], str) and len(event["reason"]) <= 1000)))


def _valid_host_keys(keys) -> bool:
    return isinstance(keys, list) and 0 < len(keys) <= 10 and all(
        isinstance(k, dict) and is_int(k.get("bits"), 0, 65536) and isinstance(k.get("fingerprint"), str)
        and isinstance(k.get("type"), str) and len(k["fingerprint"]) <= 100 and len(k["type"]) <= 20
        for k in keys)


def create_hub_endpoints(pool: aiopg.Pool) -> web.Application:
    async def tokens_for(host_id: str) -> list[str]:
        async with db.cursor(pool) as cur:
            return await hosts.spoke_signing_tokens(cur, host_id)

    verifier = signing.Verifier(signing.SPOKE_TO_HUB, tokens_for)
    app = web.Application(middlewares=[signing.signed_api_middleware(verifier)])
    app.add_routes(routes)
    return app
