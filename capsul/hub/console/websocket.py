"""GET /ws: a logged-in person's live capsul states (docs/architecture.md §6).

Browsers authenticate with their session cookie (and Origin is checked); scripts with
`Authorization: Bearer <API token>`. Query: `capsul=<id>` adds that capsul's timeline to each snapshot (the detail page);
`scope=all` (admins only) watches every capsul and host.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, WSMsgType, web

from capsul.hub import live

from capsul.hub.accounts import api_tokens, login_sessions
from capsul.hub.console.sessions import config_key, current_account, current_session_id, is_admin
from capsul.hub.keys import broadcaster, db_pool

log = logging.getLogger(__name__)

WS_HEARTBEAT = 30  # seconds between protocol pings; a client that does not answer is dropped
MAX_INCOMING = 4096  # bytes: clients have nothing big to say


def _origin_allowed(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser: cross-site websocket hijacking needs one
    allowed = {f"{request.scheme}://{request.host}"}
    base_url = request.app[config_key].base_url
    if base_url:
        allowed.add(base_url)
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}" in allowed


async def _token_identity(request: web.Request) -> api_tokens.TokenIdentity | None:
    """Scripts authenticate with `Authorization: Bearer <API token>` (browsers cannot send it)."""
    try:
        return await api_tokens.from_authorization(request.app[db_pool], request.headers.get("Authorization"))
    except api_tokens.TokenRefused as e:
        raise web.HTTPUnauthorized(reason=str(e)) from None


async def websocket(request: web.Request) -> web.StreamResponse:
    identity = await _token_identity(request)
    session_id = None
    if identity is not None:
        account = identity.account
    else:
        if not _origin_allowed(request):
            log.warning("refused a websocket from origin %r", request.headers.get("Origin"))
            raise web.HTTPForbidden(reason="This page's origin may not open capsul's live updates.")
        account = await current_account(request)
        if account is None:
            raise web.HTTPUnauthorized(reason="Log in to see live updates.")
        session_id = await current_session_id(request)
    see_all = request.query.get("scope") == "all"
    if see_all and not is_admin(request, account):
        raise web.HTTPForbidden(reason="Only admins can watch every capsul.")
    watched = request.query.get("capsul") or None
    if watched is not None and len(watched) > 64:
        raise web.HTTPBadRequest(reason="No such capsul.")

    # NOTE: no permessage-deflate: frames are small, and compressing each one once per client
    # (browsers ask for it) costs more CPU on a broadcast than it saves in bytes.
    ws = web.WebSocketResponse(heartbeat=WS_HEARTBEAT, max_msg_size=MAX_INCOMING, compress=False)
    await ws.prepare(request)
    hub_broadcaster = request.app[broadcaster]
    writer: asyncio.Task | None = None

    def kick(_client: live.LiveClient) -> None:
        if writer is not None:
            writer.cancel()
        _drop(request)

    client = live.LiveClient(account, see_all=see_all, on_overflow=kick,
                             token_id=identity.token_id if identity else None, session_id=session_id)
    hub_broadcaster.add(client)
    if identity is not None and identity.expires_at is not None:  # refused at once when it expires
        expiry = asyncio.get_running_loop().call_later(
            max(0.0, identity.expires_at.timestamp() - time.time()), kick, client)  # before the snapshot is read: nothing falls between them
    if session_id is not None and not await login_sessions.is_live(request.app[db_pool], session_id):
        kick(client)  # logged out between the check above and joining the broadcast: its NOTIFY is missed
    writer = asyncio.create_task(
        live.run_writer(client, ws.send_str, request.app[db_pool], watched, hub_broadcaster),
        name=f"ws writer {account}")

    def writer_ended(task: asyncio.Task) -> None:
        if task.cancelled() or task.exception() is None:
            return
        if not isinstance(task.exception(), ConnectionError):
            log.warning("live updates for %s stopped: %r; the page reconnects", account, task.exception())
        asyncio.get_running_loop().create_task(ws.close(code=WSCloseCode.TRY_AGAIN_LATER))

    writer.add_done_callback(writer_ended)
    try:
        async for msg in ws:
            if msg.type == WSMsgType.ERROR:
                break  # clients only listen; whatever they send is ignored
    finally:
        if identity is not None and identity.expires_at is not None:
            expiry.cancel()
        hub_broadcaster.remove(client)
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):  # reported by writer_ended
            await writer
    return ws


def _drop(request: web.Request) -> None:
    """Drop a client that fell behind. Not a close handshake: its close frame would queue
    behind everything it has not read, and flushing that is what it cannot do."""
    if request.transport is not None:
        request.transport.abort()
