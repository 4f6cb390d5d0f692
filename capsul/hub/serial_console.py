"""A person's serial console session, relayed between them and the capsul's spoke
(docs/architecture.md §9, frames in capsul/serial_console.py).

The console page's websocket (hub/console/serial_console_pages.py) and the API's
(GET /api/v1/capsuls/{id}/console, hub/api/routes.py) check who is asking and hand over to
`relay()`. The hub opens a websocket to the owning spoke, signed hub->spoke, and copies
frames both ways. Output the person does not read fast enough piles up to a bound, and
then they are cut off; the spoke applies the same bound to this hub. The hub closes a
session that had no input for CONSOLE_IDLE_TIMEOUT.
"""
from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiohttp import WSMsgType, web

from capsul import serial_console as wire
from capsul import signing
from capsul.hub import capsuls, connections, db
from capsul.hub.connections import Login
from capsul.hub.keys import connections_key
from capsul.hub.db import hosts, vms

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0  # seconds to reach the spoke
CLOSE_WAIT = 2.0  # seconds to deliver the end frame before the connection is cut


class ConsoleRelay:
    """One person's console connection; `end(reason)` from anywhere stops it."""

    def __init__(self, request: web.Request, hub: capsuls.Hub, vm: dict, *, login: Login):
        self.request, self.hub, self.vm, self.login = request, hub, vm, login
        self.opened_by = login.account
        self.ws = web.WebSocketResponse(heartbeat=wire.WS_HEARTBEAT, max_msg_size=wire.MAX_INPUT_FRAME,
                                        compress=False)
        self.output = wire.OutputBuffer()
        self.reason: str | None = None
        self.message: str | None = None
        self._done = asyncio.Event()
        self._last_input = asyncio.get_running_loop().time()

    def end(self, reason: str, message: str | None = None) -> None:
        if self.reason is None:
            self.reason, self.message = reason, message
            self._done.set()

    async def run(self) -> web.WebSocketResponse:
        """TooManyConnections (before anything is answered) over the caps of hub/connections.py."""
        open_connections = self.request.config_dict[connections_key]
        held = await open_connections.open(self.hub.pool, connections.CONSOLE, self.login, end=self.end)
        try:
            return await self._run()
        finally:
            open_connections.close(held)

    async def _run(self) -> web.WebSocketResponse:
        wire.bound_socket_buffer(self.request)
        await self.ws.prepare(self.request)
        relays = self.request.config_dict[open_relays]
        relays.add(self)
        log.info("console of %s opened by %s", self.vm["id"], self.opened_by)
        try:
            if self.reason is not None:  # its login ended while it was being registered
                return self.ws
            spoke = await self._connect()
            if spoke is not None:
                try:
                    await self._relay(spoke)
                finally:
                    await _close_quietly(spoke)
        finally:
            relays.discard(self)
            await self._say_end()
            log.info("console of %s closed: %s", self.vm["id"], self.reason)
        return self.ws

    async def _connect(self) -> aiohttp.ClientWebSocketResponse | None:
        if self.vm["state"] != "running" or not self.vm.get("host_id"):
            self.end(wire.NOT_RUNNING)
            return None
        async with db.cursor(self.hub.pool) as cur:
            host = await hosts.get_host_to_call(cur, self.vm["host_id"])
        if host is None:
            self.end(wire.UNAVAILABLE)
            return None
        try:
            return await self.hub.dispatcher.client.open_console(host, self.vm["id"], timeout=CONNECT_TIMEOUT)
        except signing.CallFailed as e:
            log.warning("console of %s: cannot open it on host %s: %s", self.vm["id"], host["id"], e)
            self.end(wire.UNAVAILABLE)
            return None

    async def _relay(self, spoke: aiohttp.ClientWebSocketResponse) -> None:
        await wire.run_until(self._done, self._from_spoke(spoke), self._to_spoke(spoke), self._to_person(),
                             self._watch_idle())

    async def _from_spoke(self, spoke: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in spoke:
            if msg.type == WSMsgType.BINARY:
                frame = msg.data
            elif msg.type == WSMsgType.TEXT:
                control = wire.parse_control(msg.data)
                if control.get("type") == "end":
                    return self.end(str(control.get("reason")))
                if control.get("type") != "attached":
                    continue
                frame = wire.ATTACHED_FRAME
            else:
                break
            if not self.output.put(frame):
                return self.end(wire.TOO_SLOW)
        self.end(wire.SPOKE_GONE)  # closed without saying why: the spoke stopped or the link broke

    async def _to_spoke(self, spoke: aiohttp.ClientWebSocketResponse) -> None:
        loop = asyncio.get_running_loop()
        try:
            async for msg in self.ws:
                if msg.type in (WSMsgType.BINARY, WSMsgType.TEXT):
                    self._last_input = loop.time()
                    await spoke.send_bytes(msg.data if msg.type == WSMsgType.BINARY else msg.data.encode())
        except ConnectionError:
            return self.end(wire.SPOKE_GONE)
        self.end(wire.CLOSED)

    async def _to_person(self) -> None:
        try:
            while True:
                for frame in await self.output.get():
                    if isinstance(frame, bytes):
                        await self.ws.send_bytes(frame)
                    else:
                        await self.ws.send_str(frame)
        except ConnectionError:
            self.end(wire.CLOSED)

    async def _watch_idle(self) -> None:
        timeout = self.hub.config.console_idle_timeout
        if not timeout:
            return
        loop = asyncio.get_running_loop()
        while (left := self._last_input + timeout - loop.time()) > 0:
            await asyncio.sleep(left)
        self.end(wire.IDLE, f"Closed after {_duration(timeout)} without input.")

    async def _say_end(self) -> None:
        """The end frame, then close; a person who reads nothing is cut off."""
        if self.ws.closed:
            return
        try:
            async with asyncio.timeout(CLOSE_WAIT):
                await self.ws.send_str(wire.end_frame(self.reason or wire.CLOSED, self.message))
                await self.ws.close()
        except (TimeoutError, ConnectionError):
            if self.request.transport is not None:
                self.request.transport.abort()


def _duration(seconds: float) -> str:
    return f"{seconds:g} seconds" if seconds < 120 else f"{round(seconds / 60)} minutes"


async def _close_quietly(spoke: aiohttp.ClientWebSocketResponse) -> None:
    try:
        async with asyncio.timeout(CLOSE_WAIT):
            await spoke.close()
    except (TimeoutError, ConnectionError, aiohttp.ClientError):
        pass


async def relay(request: web.Request, hub: capsuls.Hub, login: Login, vm_id: str, *,
                is_admin: bool) -> web.WebSocketResponse:
    """Check the capsul is the person's (or that an admin opens it: recorded on its timeline),
    then run the session until it ends, or its login does. Raises CapsulNotFound for anyone
    else's, TooManyConnections over the caps."""
    account = login.account
    vm = await capsuls.get_capsul(hub, None if is_admin else account, vm_id)
    if vm["account"] != account:
        async with db.cursor(hub.pool) as cur:
            await vms.add_event(cur, vm_id, "console", reason=f"console opened by admin {account}", notify=False)
    return await ConsoleRelay(request, hub, vm, login=login).run()


open_relays = web.AppKey("open_console_relays", set)  # this hub's open ConsoleRelays


async def end_all_on_shutdown(app: web.Application) -> None:
    """on_shutdown: every open console is told this hub is going."""
    for console in list(app[open_relays]):
        console.end(wire.HUB_STOPPING)
