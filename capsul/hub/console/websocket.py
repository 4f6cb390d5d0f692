"""GET /ws: a logged-in person's live capsul states (docs/architecture.md §6).

Browsers authenticate with their session cookie (and Origin is checked); scripts with
`Authorization: Bearer <API token>`. Query: `capsul=<id>` adds that capsul's timeline to each
snapshot (the detail page); `scope=all` (admins only) watches every capsul and host.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, WSMsgType, web

from capsul.hub import capsuls, live

from capsul.hub import connections
from capsul.hub.accounts import api_tokens
from capsul.hub.connections import Login
from capsul.hub.console.sessions import config_key, current_login, is_admin
from capsul.hub.keys import broadcaster, connections_key, db_pool, hub_service
from capsul.vm_ids import is_vm_id

log = logging.getLogger(__name__)

WS_HEARTBEAT = 30  # seconds between protocol pings; a client that does not answer is dropped
MAX_INCOMING = 4096  # bytes: clients have nothing big to say
CLOSE_WAIT = 1.0  # seconds a page has to take the close frame of an ended login before it is cut off


def origin_allowed(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser: cross-site websocket hijacking needs one
    # NOTE: with BASE_URL set, its origin only: the request's own Host is whatever the client wrote.
    base_url = request.app[config_key].base_url
    allowed = base_url or f"{request.scheme}://{request.host}"
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}" == allowed


async def _token_identity(request: web.Request) -> api_tokens.TokenIdentity | None:
    """Scripts authenticate with `Authorization: Bearer <API token>` (browsers cannot send it)."""
    try:
        return await api_tokens.from_authorization(request.app[db_pool], request.headers.get("Authorization"))
    except api_tokens.TokenRefused as e:
        raise web.HTTPUnauthorized(reason=str(e)) from None


async def websocket(request: web.Request) -> web.StreamResponse:
    """Who may connect, and to what; then the connection runs until either side ends it."""
    identity = await _token_identity(request)
    if identity is not None:
        login = Login(identity.account, token_id=identity.token_id, expires_at=identity.expires_at)
    else:
        if not origin_allowed(request):
            log.warning("refused a websocket from origin %r", request.headers.get("Origin"))
            raise web.HTTPForbidden(reason="This page's origin may not open capsul's live updates.")
        login = await current_login(request)
        if login is None:
            raise web.HTTPUnauthorized(reason="Log in to see live updates.")
    account = login.account
    see_all = request.query.get("scope") == "all"
    if see_all and not is_admin(request, account):
        raise web.HTTPForbidden(reason="Only admins can watch every capsul.")
    watched = request.query.get("capsul") or None
    if watched is not None and not is_vm_id(watched):
        raise web.HTTPBadRequest(reason="No such capsul.")
    connection = LiveConnection(request, account, see_all=see_all, watched=watched)
    if request.query.get("usage") == "1":  # new usage points of the watched capsul: only one's own
        if watched is None:
            raise web.HTTPBadRequest(reason="usage=1 needs capsul=<id>.")
        await capsuls.get_capsul(request.app[hub_service], None if see_all else account, watched)  # else 404
        connection.client.usage_of = watched
    return await connection.run(login)


class LiveConnection:
    """One websocket's whole life, as Home Assistant's WebSocketHandler has it: one bounded queue
    (its LiveClient) drained by one writer task, `cancel()` to end it from anywhere (fallen
    behind, token revoked or expired, logged out), `close_going_away()` when the hub stops, and
    one `finally` that undoes everything."""

    __slots__ = ("request", "client", "watched", "ws", "writer", "closing")  # thousands per hub: no __dict__ each

    def __init__(self, request: web.Request, account: str, *, see_all: bool, watched: str | None):
        self.request = request
        self.client = live.LiveClient(account, see_all=see_all, on_drop=self._dropped)
        self.watched = watched
        # NOTE: no permessage-deflate: frames are small, and compressing each one once per client
        # (browsers ask for it) costs more CPU on a broadcast than it saves in bytes.
        self.ws = web.WebSocketResponse(heartbeat=WS_HEARTBEAT, max_msg_size=MAX_INCOMING, compress=False)
        self.writer: asyncio.Task | None = None
        self.closing: asyncio.Task | None = None

    def _dropped(self, _client: live.LiveClient) -> None:
        self.cancel()

    def cancel(self) -> None:
        """End it now. Not a close handshake: a client that fell behind would have the close frame
        queued behind everything it has not read, and reading that is what it cannot do."""
        if self.writer is not None:
            self.writer.cancel()
        if self.request.transport is not None:
            self.request.transport.abort()

    def end(self, why: str) -> None:
        """What it stood on ended (hub/connections.py): nothing more is sent, and the page is told
        why with a close code it reads as "you were logged out", within CLOSE_WAIT or cut off."""
        self.client.dropped = True
        if self.writer is not None:
            self.writer.cancel()
        if self.closing is None and self.ws.prepared:  # else run() answers 401 instead
            self.closing = asyncio.get_running_loop().create_task(self._close(connections.CLOSE_CODES[why], why))

    async def _close(self, code: int, why: str) -> None:
        try:
            async with asyncio.timeout(CLOSE_WAIT):
                await self.ws.close(code=code, message=why.encode())
        except (TimeoutError, ConnectionError):  # the page did not take the close frame in time
            self.cancel()

    async def close_going_away(self) -> None:
        """The hub is stopping: say so (1001), so the page reconnects at once, to another hub."""
        await self.ws.close(code=WSCloseCode.GOING_AWAY, message=b"this hub is stopping")

    async def run(self, login: Login) -> web.WebSocketResponse:
        app = self.request.app
        open_connections = self.request.config_dict[connections_key]
        try:
            held = await open_connections.open(app[db_pool], connections.LIVE, login, end=self.end)
        except connections.TooManyConnections as e:
            raise web.HTTPTooManyRequests(reason=str(e)) from None
        try:
            if self.client.dropped:  # ended while it was being registered
                raise web.HTTPUnauthorized(reason="Log in to see live updates.")
            await self.ws.prepare(self.request)
            await self._run()
        finally:
            open_connections.close(held)
            if self.closing is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self.closing
        return self.ws

    async def _run(self) -> None:
        app = self.request.app
        live_set, hub_broadcaster = app[live_connections], app[broadcaster]
        live_set.add(self)
        hub_broadcaster.add(self.client)
        try:
            if not self.client.dropped:
                self.writer = asyncio.create_task(
                    live.run_writer(self.client, self._send, app[db_pool], self.watched, hub_broadcaster),
                    name=f"ws writer {self.client.account}")
                self.writer.add_done_callback(self._writer_ended)
            async for msg in self.ws:
                if msg.type == WSMsgType.ERROR:
                    break
                if msg.type == WSMsgType.TEXT:
                    self._heard(msg.data)
        finally:
            hub_broadcaster.remove(self.client)
            live_set.discard(self)
            if self.writer is not None:
                self.writer.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):  # reported by _writer_ended
                    await self.writer

    async def _send(self, message: bytes | str) -> None:
        if isinstance(message, bytes):  # the broadcaster's frame, encoded once for every client
            await self.ws.send_frame(message, WSMsgType.TEXT)
        else:
            await self.ws.send_str(message)

    def _heard(self, text: str) -> None:
        """Clients say one thing: {"type": "usage", "visible": bool} when their page is hidden or
        shown (no usage points go to a hidden page). Anything else is ignored."""
        try:
            message = json.loads(text)
        except ValueError:
            return
        if isinstance(message, dict) and message.get("type") == "usage" and isinstance(message.get("visible"), bool):
            self.client.usage_visible = message["visible"]

    def _writer_ended(self, task: asyncio.Task) -> None:
        if task.cancelled() or task.exception() is None:
            return
        if not isinstance(task.exception(), ConnectionError):
            log.warning("live updates for %s stopped: %r; the page reconnects", self.client.account, task.exception())
        asyncio.get_running_loop().create_task(self.ws.close(code=WSCloseCode.TRY_AGAIN_LATER))


live_connections = web.AppKey("live_connections", set)  # this hub's open LiveConnections


async def close_all_going_away(app: web.Application) -> None:
    """on_shutdown: every open websocket is told the hub is going (1001)."""
    connections = list(app[live_connections])
    if connections:
        log.info("closing %d websocket(s): this hub is stopping", len(connections))
    await asyncio.gather(*(c.close_going_away() for c in connections), return_exceptions=True)
