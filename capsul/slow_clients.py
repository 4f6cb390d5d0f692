"""What both listeners (the console's and the hub↔spoke API's) allow a connection, so that slow
or many connections from one address cannot hold a hub's sockets and memory:

- its request's head must arrive within REQUEST_HEAD_TIMEOUT, and an idle keep-alive connection
  is closed after as long (aiohttp's keep-alive check closes a connection whose handler waits for
  a request, whether or not part of one has come);
- its request's body must arrive within REQUEST_BODY_TIMEOUT (`body_deadline`), else 408;
- one address may hold at most CONNECTIONS_PER_ADDRESS connections at once (`GuardedSite`); the
  TRUSTED_PROXIES, which carry many people's connections, are exempt.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections import Counter

from aiohttp import web

log = logging.getLogger(__name__)

BODIED_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def body_deadline(seconds: float, *, skip: tuple[str, ...] = ()):
    """A middleware: the body is read within `seconds` (aiohttp keeps it: the handler's read() or
    post() gets it), else 408. Paths under `skip` are a sub-app's, which answers in its own error
    shape and has this middleware of its own."""
    @web.middleware
    async def middleware(request: web.Request, handler):
        if request.method in BODIED_METHODS and request.body_exists and not request.path.startswith(skip):
            try:
                async with asyncio.timeout(seconds):
                    await request.read()
            except TimeoutError:
                log.warning("%s %s: the body did not arrive within %g s", request.method, request.path, seconds)
                raise web.HTTPRequestTimeout(reason="The request's body took too long to arrive.") from None
            except web.HTTPRequestEntityTooLarge:
                raise web.HTTPRequestEntityTooLarge(
                    max_size=request.client_max_size, actual_size=request.content_length or 0,
                    text=f"the request body is larger than {request.client_max_size} bytes") from None
        return await handler(request)
    return middleware


class AddressCap:
    """Open connections per peer address, at most `limit` each, but for the `exempt` networks."""

    def __init__(self, limit: int, exempt: tuple = ()):
        self.limit = limit
        self.exempt = exempt
        self.open: Counter[str] = Counter()
        self.refused = 0

    def admit(self, transport: asyncio.BaseTransport) -> str | None:
        """The address now counted for this connection; None when it is over the cap."""
        peer = transport.get_extra_info("peername")
        address = peer[0] if isinstance(peer, tuple) and peer else ""
        if self._exempt(address):
            return ""
        if self.open[address] >= self.limit:
            self.refused += 1
            if self.refused % 100 == 1:
                log.warning("refused a connection from %s: it holds %d already (CONNECTIONS_PER_ADDRESS)", address,
                            self.limit)
            return None
        self.open[address] += 1
        return address

    def release(self, address: str) -> None:
        if address:
            self.open[address] -= 1
            if self.open[address] <= 0:
                del self.open[address]

    def _exempt(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return True  # a Unix socket: nothing to count by
        return any(ip in network for network in self.exempt)


class _CountedConnection:
    """asyncio's protocol for one connection: counts it against its address, then hands every
    callback to aiohttp's own handler (which never sees a connection over the cap)."""

    __slots__ = ("handler", "cap", "address")

    def __init__(self, handler: asyncio.Protocol, cap: AddressCap):
        self.handler, self.cap, self.address = handler, cap, None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.address = self.cap.admit(transport)
        if self.address is None:
            transport.abort()
            return
        self.handler.connection_made(transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self.address is not None:
            self.cap.release(self.address)
            self.handler.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.address is not None:
            self.handler.data_received(data)

    def eof_received(self) -> bool | None:
        return self.handler.eof_received() if self.address is not None else None

    def pause_writing(self) -> None:
        self.handler.pause_writing()

    def resume_writing(self) -> None:
        self.handler.resume_writing()


class GuardedSite(web.SockSite):
    """A SockSite whose connections are counted per address (AddressCap)."""

    __slots__ = ("cap",)

    def __init__(self, runner: web.BaseRunner, sock, *, cap: AddressCap, **kwargs):
        super().__init__(runner, sock, **kwargs)
        self.cap = cap

    async def start(self) -> None:
        await web.BaseSite.start(self)  # registers the site with its runner (SockSite.start would listen)
        server = self._runner.server
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _CountedConnection(server(), self.cap), sock=self._sock, ssl=self._ssl_context,
            backlog=self._backlog)
