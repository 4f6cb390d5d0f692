"""The public JSON API under /api/v1/, for scripts: `Authorization: Bearer <personal API token>`.

The same service layer as the console (hub/capsuls.py, hub/accounts/ssh_keys.py): no rule is implemented
twice. Every failure is the one JSON error shape {"ok": false, "error": "...", "status": N}
(capsul/errors.py). Read-only tokens may only GET. The routes are described, and checked
against, the OpenAPI document in openapi.py (GET /api/v1/openapi.json).
"""
from __future__ import annotations

import functools
import json
import re
import uuid
from datetime import datetime

from aiohttp import web

from capsul import errors, slow_clients, vm_states
from capsul.hub import capsul_changes, capsuls, db, serial_console, usage
from capsul.hub.connections import Login, TooManyConnections
from capsul.hub.accounts import api_tokens, ssh_keys
from capsul.hub.backups import jobs as backup_jobs
from capsul.hub.backups import service as backup_service
from capsul.hub.api.openapi import openapi_document
from capsul.hub.capsuls import Hub
from capsul.hub.db import backups as backups_db
from capsul.hub.db import catalog
from capsul.hub.db import operations as ops_db
from capsul.hub.keys import db_pool, hub_service
from capsul.hub.live import capsul_view

routes = web.RouteTableDef()
identity_key = web.RequestKey("identity", api_tokens.TokenIdentity)
MAX_BODY = 64 * 1024
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1c2a8e-3d4b-4c5e-9a7f-0b1c2d3e4f50")
_IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,200}$")
PUBLIC_PATHS = ("/openapi.json",)


def _default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


_dumps = functools.partial(json.dumps, default=_default)


def reply(data, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps, headers=headers)


@web.middleware
async def token_auth_middleware(request: web.Request, handler):
    if request.path.removeprefix("/api/v1") in PUBLIC_PATHS:
        return await handler(request)
    try:
        identity = await api_tokens.from_authorization(request.app[db_pool], request.headers.get("Authorization"))
    except api_tokens.TokenRefused as e:
        raise errors.json_error(e.status, str(e)) from None
    if identity is None:
        raise errors.json_error(401, api_tokens.BEARER_HINT)
    if request.method not in ("GET", "HEAD") and not identity.can_write:
        raise errors.json_error(403, "this token is read-only; make a read-write token to change things")
    request[identity_key] = identity
    return await handler(request)


@web.middleware
async def service_errors_middleware(request: web.Request, handler):
    """The service layer's refusals, as the one error shape."""
    try:
        return await handler(request)
    except capsuls.CapsulError as e:
        raise errors.json_error(e.status, e.message) from None
    except ssh_keys.InvalidKey as e:
        raise errors.json_error(400, str(e)) from None
    except db.NotFound as e:
        raise errors.json_error(404, str(e)) from None


async def json_body(request: web.Request) -> dict:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise errors.json_error(400, "the request body must be JSON") from None
    except RecursionError:
        raise errors.json_error(400, "the request body is nested too deeply") from None
    if not isinstance(body, dict):
        raise errors.json_error(400, "the request body must be a JSON object")
    return body


def field(body: dict, name: str, kind: type, *, required: bool = True):
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        what = {str: "a string", list: "a list", int: "a whole number"}.get(kind, kind.__name__)
        raise errors.json_error(400, f"'{name}' must be {what}")
    return value


def account_of(request: web.Request) -> str:
    return request[identity_key].account


# --- catalog ---------------------------------------------------------------------------------

@routes.get("/sizes")
async def sizes(request: web.Request) -> web.Response:
    async with db.cursor(request.app[db_pool]) as cur:
        rows = await catalog.list_sizes(cur)
    return reply({"sizes": [{"id": r["id"], "dollars_per_month": str(r["dollars_per_month"]), "vcpus": r["vcpus"],
                             "memory_mb": r["memory_mb"], "disk_gb": r["disk_gb"],
                             "bandwidth_gb": r["bandwidth_gb"]} for r in rows]})


@routes.get("/images")
async def images(request: web.Request) -> web.Response:
    async with db.cursor(request.app[db_pool]) as cur:
        rows = await catalog.list_images(cur)
    return reply({"images": [{"id": r["id"], "description": r["description"]} for r in rows]})


# --- SSH keys --------------------------------------------------------------------------------

def key_view(row: dict) -> dict:
    return {"name": row["name"], "content": row["content"], "fingerprint": row["fingerprint"],
            "created_at": row["created_at"]}


@routes.get("/ssh-keys")
async def list_keys(request: web.Request) -> web.Response:
    rows = await ssh_keys.list_ssh_keys(request.app[db_pool], account_of(request))
    return reply({"ssh_keys": [key_view(r) for r in rows]})


@routes.post("/ssh-keys")
async def add_key(request: web.Request) -> web.Response:
    body = await json_body(request)
    row = await ssh_keys.add_ssh_key(request.app[db_pool], account_of(request), field(body, "content", str),
                                     field(body, "name", str, required=False))
    return reply({"ssh_key": key_view(row)}, status=201)


@routes.delete("/ssh-keys/{name}")
async def delete_key(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    await ssh_keys.delete_ssh_key(request.app[db_pool], account_of(request), name)
    return reply({"deleted": name})


# --- capsuls ---------------------------------------------------------------------------------

@routes.get("/capsuls")
async def list_capsuls(request: web.Request) -> web.Response:
    rows = await capsuls.list_capsuls(request.app[hub_service], account_of(request))
    return reply({"capsuls": [capsul_view(r) for r in rows]})


@routes.post("/capsuls")
async def create_capsul(request: web.Request) -> web.Response:
    """Returns once one host owns the capsul (201); `running` follows, on /ws or by GET.
    With an Idempotency-Key, a retry returns the first result (200) and makes nothing new."""
    account = account_of(request)
    body = await json_body(request)
    size, os_image = field(body, "size", str), field(body, "os", str)
    keys = field(body, "ssh_keys", list)
    if not all(isinstance(k, str) for k in keys):
        raise errors.json_error(400, "'ssh_keys' must be a list of your SSH key names")
    key = _idempotency_key(request)
    replay = False
    if key is None:
        op_id = uuid.uuid4()
    else:
        op_id = uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{account}\n{key}")
        async with db.cursor(request.app[db_pool]) as cur:
            try:
                earlier = await ops_db.get_operation(cur, op_id)
            except db.NotFound:
                earlier = None
        if earlier is not None:
            if earlier["type"] != "create" or earlier["payload"] != {"size": size, "os": os_image}:
                raise errors.json_error(409, "this Idempotency-Key was used for a different request")
            replay = True
    vm = await capsuls.create_capsul(request.app[hub_service], account, size, os_image, keys, operation_id=op_id)
    return reply({"capsul": capsul_view(vm), "operation_id": op_id}, status=200 if replay else 201,
                 headers={"Idempotent-Replayed": "true"} if replay else None)


@routes.get("/capsuls/{vm_id}")
async def get_capsul(request: web.Request) -> web.Response:
    vm = await capsuls.get_capsul(request.app[hub_service], account_of(request), request.match_info["vm_id"])
    return reply({"capsul": capsul_view(vm)})


@routes.delete("/capsuls/{vm_id}")
async def delete_capsul(request: web.Request) -> web.Response:
    vm = await capsuls.destroy_capsul(request.app[hub_service], account_of(request), request.match_info["vm_id"])
    return reply({"capsul": capsul_view(vm)})


@routes.post("/capsuls/{vm_id}/actions")
async def capsul_action(request: web.Request) -> web.Response:
    body = await json_body(request)
    vm = await capsuls.capsul_action(request.app[hub_service], account_of(request), request.match_info["vm_id"],
                                     field(body, "action", str))
    return reply({"capsul": capsul_view(vm)})


def _idempotency_key(request: web.Request) -> str | None:
    """The request's Idempotency-Key header, checked; None without one."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not _IDEMPOTENCY_KEY_RE.match(key):
        raise errors.json_error(400, "Idempotency-Key must be 1 to 200 printable ASCII characters")
    return key


def _change_operation_id(request: web.Request, kind: str) -> uuid.UUID | None:
    """The operation id an Idempotency-Key names for a rebuild or resize of this capsul (None: a new one)."""
    key = _idempotency_key(request)
    if key is None:
        return None
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{account_of(request)}\n{kind}\n{request.match_info['vm_id']}\n{key}")


def _changed(vm: dict) -> web.Response:
    """200 once its host has done it; 202 while it is still under way (its host has not answered yet)."""
    return reply({"capsul": capsul_view(vm)}, status=202 if vm["state"] in vm_states.CHANGING else 200)


@routes.post("/capsuls/{vm_id}/rebuild")
async def rebuild_capsul(request: web.Request) -> web.Response:
    """Reinstall from `os` (default: its own image) with `ssh_keys` (default: its own keys): the
    disk is erased, id, addresses and size stay. Ends running."""
    body = await json_body(request)
    vm = await capsul_changes.rebuild_capsul(
        request.app[hub_service], account_of(request), request.match_info["vm_id"],
        image=field(body, "os", str, required=False), ssh_keys=field(body, "ssh_keys", list, required=False),
        operation_id=_change_operation_id(request, "rebuild"),
        back_up_first=bool(field(body, "back_up_first", bool, required=False)))
    return _changed(vm)


@routes.post("/capsuls/{vm_id}/resize")
async def resize_capsul(request: web.Request) -> web.Response:
    """Another `size`: vCPUs and memory at a restart (`restart`: now, the default, or next-stop;
    `force`: whether a guest that ignores the shutdown is forced off), the disk grown."""
    body = await json_body(request)
    force = field(body, "force", bool, required=False)
    vm = await capsul_changes.resize_capsul(
        request.app[hub_service], account_of(request), request.match_info["vm_id"], field(body, "size", str),
        restart=field(body, "restart", str, required=False) or capsul_changes.RESTART_NOW,
        force=bool(force), operation_id=_change_operation_id(request, "resize"))
    return _changed(vm)


# --- backups (docs/backups.md) -----------------------------------------------------------------

@routes.get("/capsuls/{vm_id}/backups")
async def capsul_backups(request: web.Request) -> web.Response:
    """The capsul's backups, newest first (done, under way, failed), and its schedule."""
    return reply(await backup_service.list_backups(request.app[hub_service], account_of(request),
                                                   request.match_info["vm_id"]))


@routes.post("/capsuls/{vm_id}/backups")
async def back_up_capsul(request: web.Request) -> web.Response:
    """Back up now: 202 with the backup under way (follow it with GET …/backups, or live)."""
    if request.can_read_body:
        await json_body(request)  # no fields yet; still JSON, as every body here
    key = _idempotency_key(request)
    backup_id = uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{account_of(request)}\nbackup\n{request.match_info['vm_id']}\n"
                                                  f"{key}") if key else None
    backup = await backup_jobs.back_up(request.app[hub_service], account_of(request), request.match_info["vm_id"],
                                       backup_id=backup_id)
    return reply({"backup": backup}, status=200 if backup["status"] in ("done", "failed") else 202)


@routes.put("/capsuls/{vm_id}/backups/schedule")
async def set_backup_schedule(request: web.Request) -> web.Response:
    """Daily backups on or off, their window (hours of the day, UTC), and what is kept."""
    body = await json_body(request)
    schedule = await backup_service.set_schedule(request.app[hub_service], account_of(request),
                                                 request.match_info["vm_id"], body)
    return reply({"schedule": schedule})


@routes.post("/capsuls/{vm_id}/backups/{backup_id}/protect")
async def protect_backup(request: web.Request) -> web.Response:
    """`protected`: true keeps the backup whatever the retention says; false lets it be pruned."""
    body = await json_body(request)
    backup = await backup_service.protect(request.app[hub_service], account_of(request), request.match_info["vm_id"],
                                          request.match_info["backup_id"], field(body, "protected", bool))
    return reply({"backup": backup})


@routes.post("/capsuls/{vm_id}/backups/{backup_id}/restore")
async def restore_backup(request: web.Request) -> web.Response:
    """Put the backup back under the capsul: stopped, disk replaced (addresses and keys kept),
    started. 200 once done, 202 while under way."""
    vm = await capsul_changes.restore_capsul(
        request.app[hub_service], account_of(request), request.match_info["vm_id"], request.match_info["backup_id"],
        operation_id=_change_operation_id(request, "restore"))
    return _changed(vm)


@routes.post("/capsuls/{vm_id}/backups/{backup_id}/new-capsul")
async def restore_backup_as_new(request: web.Request) -> web.Response:
    """A new capsul from the backup (201 once a host owns it): placed like a create, new addresses;
    `size` and `ssh_keys` default to the backed-up capsul's."""
    body = await json_body(request) if request.can_read_body else {}
    keys = field(body, "ssh_keys", list, required=False)
    if keys is not None and not all(isinstance(k, str) for k in keys):
        raise errors.json_error(400, "'ssh_keys' must be a list of your SSH key names")
    key = _idempotency_key(request)
    op_id = uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{account_of(request)}\nnew-capsul\n"
                                              f"{request.match_info['backup_id']}\n{key}") if key else uuid.uuid4()
    hub = request.app[hub_service]
    async with db.cursor(request.app[db_pool]) as cur:
        replay = await ops_db.operation_exists(cur, op_id)
    source = await capsuls.get_capsul(hub, account_of(request), request.match_info["vm_id"])
    async with db.cursor(request.app[db_pool]) as cur:
        try:
            backup = await backups_db.get(cur, request.match_info["backup_id"], account_of(request))
        except db.NotFound:
            backup = None
    if backup is None or backup["vm_id"] != source["id"]:
        raise errors.json_error(404, f"capsul {source['id']} has no backup {request.match_info['backup_id']:.60}")
    vm = await backup_jobs.restore_as_new(hub, account_of(request), str(backup["id"]),
                                          size=field(body, "size", str, required=False), ssh_keys=keys,
                                          operation_id=op_id)
    return reply({"capsul": capsul_view(vm), "operation_id": op_id}, status=200 if replay else 201)


@routes.get("/capsuls/{vm_id}/metrics")
async def capsul_metrics(request: web.Request) -> web.Response:
    """Usage series over ?range=1h|1d|7d|30d (hub/usage.py)."""
    graph = await usage.graph(request.app[hub_service], account_of(request), request.match_info["vm_id"],
                              request.query.get("range", "1h"))
    return reply(graph)


@routes.get("/capsuls/{vm_id}/console")
async def serial_console_ws(request: web.Request) -> web.StreamResponse:
    """The capsul's serial console as a websocket (frames: capsul/serial_console.py). Typing
    changes things, so a read-only token is refused even though this is a GET."""
    identity = request[identity_key]
    if not identity.can_write:
        raise errors.json_error(403, "this token is read-only; opening a console needs a read-write token")
    hub = request.app[hub_service]
    login = Login(identity.account, token_id=identity.token_id, expires_at=identity.expires_at)
    try:
        return await serial_console.relay(request, hub, login, request.match_info["vm_id"],
                                          is_admin=identity.account in hub.config.admin_emails)
    except TooManyConnections as e:
        raise errors.json_error(429, str(e)) from None


# --- operations ------------------------------------------------------------------------------

@routes.get("/operations/{op_id}")
async def get_operation(request: web.Request) -> web.Response:
    try:
        op_id = uuid.UUID(request.match_info["op_id"])
    except ValueError:
        raise errors.json_error(404, "no such operation") from None
    async with db.cursor(request.app[db_pool]) as cur:
        try:
            op = await ops_db.get_operation(cur, op_id)
        except db.NotFound:
            op = None
    if op is None or op["account"] != account_of(request):
        raise errors.json_error(404, "no such operation")  # another person's is not there either
    return reply({"operation": {k: op[k] for k in ("id", "type", "vm_id", "status", "error", "created_at",
                                                     "assigned_at", "completed_at")}})


async def openapi(request: web.Request) -> web.Response:
    return reply(openapi_document())


def create_public_api(pool, hub: Hub) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY, middlewares=[
        errors.json_errors_middleware, slow_clients.body_deadline(hub.config.request_body_timeout),
        token_auth_middleware, service_errors_middleware])
    app[db_pool] = pool
    app[hub_service] = hub
    app.add_routes(routes)
    from capsul.hub.api import firewall_routes, reverse_dns_routes  # NOTE: they import this module's helpers
    app.add_routes(firewall_routes.routes)
    app.add_routes(reverse_dns_routes.routes)
    app.router.add_get("/openapi.json", openapi, name="openapi")
    return app
