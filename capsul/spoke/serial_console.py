"""GET /spoke/console/{vm_id}: a capsul's serial console, for a hub (docs/architecture.md §9).

The upgrade request is signed hub->spoke like every /spoke/* request (the sub-app's
middleware refuses it with 401 otherwise). One session per capsul on this host: a new one
takes over and the old one is told. The session first sends the end of the console log,
then live output; output that the hub does not take fast enough ends the session (the
guest never waits on a slow reader).
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from aiohttp import WSMsgType, web

from capsul.vm_ids import is_vm_id
from capsul import serial_console as wire
from capsul.spoke.storage import Storage
from capsul.spoke.virt import ConsoleUnsupported, Hypervisor, HypervisorError, SerialStream, VmNotFound

log = logging.getLogger(__name__)

STOP_NOTICE = 3.0  # seconds a hung-up console waits for libvirt to report the domain stopped
CLOSE_WAIT = 2.0  # seconds to deliver the end frame before the connection is cut


def read_tail(path: Path, size: int = wire.TAIL_BYTES) -> bytes:
    """The last `size` bytes of the console log (nothing if there is none yet)."""
    try:
        with path.open("rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - size))
            return f.read(size)
    except FileNotFoundError:
        return b""


class ConsoleSession:
    """One hub's attachment to one capsul's console; `end(reason)` from anywhere stops it."""

    def __init__(self, vm_id: str, request: web.Request, ws: web.WebSocketResponse):
        self.vm_id, self.request, self.ws = vm_id, request, ws
        self.output = wire.OutputBuffer()
        self.reason: str | None = None
        self._done = asyncio.Event()
        self._stream: SerialStream | None = None

    def end(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
            self._done.set()

    def _on_data(self, data: bytes) -> None:
        if self.reason is None and not self.output.put(data):
            self.end(wire.TOO_SLOW)

    async def run(self, virt: Hypervisor, storage: Storage) -> None:
        try:
            await self._attach(virt, storage)
        finally:
            if self._stream is not None:
                await self._stream.close()
            await self._say_end()

    async def _attach(self, virt: Hypervisor, storage: Storage) -> None:
        try:
            if await virt.state(self.vm_id) != "running":
                return self.end(wire.NOT_RUNNING)
            self._stream = await virt.open_console(
                self.vm_id, self._on_data, lambda why: asyncio.ensure_future(self._stream_ended(virt, why)))
        except ConsoleUnsupported:
            return self.end(wire.UNSUPPORTED)
        except VmNotFound:
            return self.end(wire.NOT_RUNNING)
        except HypervisorError as e:
            log.warning("console of %s: %s", self.vm_id, e)
            return self.end(wire.UNAVAILABLE)
        if self.reason is not None:
            return  # taken over while opening
        tail = await asyncio.to_thread(read_tail, storage.paths(self.vm_id).console_log)
        for start in range(0, len(tail), wire.MAX_OUTPUT_FRAME):
            await self.ws.send_bytes(tail[start:start + wire.MAX_OUTPUT_FRAME])
        await self.ws.send_str(wire.ATTACHED_FRAME)
        await wire.run_until(self._done, self._send_output(), self._take_input())

    async def _stream_ended(self, virt: Hypervisor, why: str) -> None:
        """The console hung up: the capsul stopped, or another console client forced it away."""
        log.info("console of %s hung up (%s)", self.vm_id, why)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STOP_NOTICE
        while self.reason is None:
            try:
                running = await virt.state(self.vm_id) == "running"
            except VmNotFound:
                running = False
            except HypervisorError:  # libvirtd went away: the guest may well run on
                return self.end(wire.UNAVAILABLE)
            if not running:
                return self.end(wire.STOPPED)
            if loop.time() > deadline:
                return self.end(wire.TAKEN_OVER)
            await asyncio.sleep(0.2)  # libvirt notices QEMU's exit a moment after the pty closes

    async def _send_output(self) -> None:
        try:
            while True:
                for frame in await self.output.get():
                    await self.ws.send_bytes(frame)
        except ConnectionError:
            self.end(wire.CLOSED)

    async def _take_input(self) -> None:
        try:
            async for msg in self.ws:
                if msg.type == WSMsgType.BINARY:
                    await self._stream.send(msg.data)
                elif msg.type == WSMsgType.TEXT:
                    await self._stream.send(msg.data.encode())
        except HypervisorError as e:
            log.warning("console of %s: %s", self.vm_id, e)
        self.end(wire.CLOSED)

    async def _say_end(self) -> None:
        """The end frame, then close; a hub that reads nothing is cut off."""
        if self.ws.closed:
            return
        try:
            async with asyncio.timeout(CLOSE_WAIT):
                await self.ws.send_str(wire.end_frame(self.reason or wire.CLOSED))
                await self.ws.close()
        except (TimeoutError, ConnectionError):
            if self.request.transport is not None:
                self.request.transport.abort()


class ConsoleSessions:
    """This spoke's open console sessions, one per capsul."""

    def __init__(self, virt: Hypervisor, storage: Storage):
        self._virt, self._storage = virt, storage
        self._open: dict[str, ConsoleSession] = {}

    def __len__(self) -> int:
        return len(self._open)

    async def attach(self, vm_id: str, request: web.Request, ws: web.WebSocketResponse) -> None:
        session = ConsoleSession(vm_id, request, ws)
        previous, self._open[vm_id] = self._open.get(vm_id), session
        if previous is not None:
            previous.end(wire.TAKEN_OVER)
        log.info("console of %s opened by hub %s", vm_id, request.remote)
        try:
            await session.run(self._virt, self._storage)
        finally:
            if self._open.get(vm_id) is session:
                del self._open[vm_id]
            log.info("console of %s closed: %s", vm_id, session.reason)

    def end_all(self, reason: str) -> None:
        for session in list(self._open.values()):
            session.end(reason)


consoles = web.AppKey("serial_consoles", ConsoleSessions)


async def console_endpoint(request: web.Request) -> web.StreamResponse:
    vm_id = request.match_info["vm_id"]
    if not is_vm_id(vm_id):
        raise web.HTTPNotFound(text="no such capsul")
    ws = web.WebSocketResponse(heartbeat=wire.WS_HEARTBEAT, max_msg_size=wire.MAX_INPUT_FRAME, compress=False)
    wire.bound_socket_buffer(request)
    await ws.prepare(request)
    await request.config_dict[consoles].attach(vm_id, request, ws)
    return ws


async def end_all_on_shutdown(app: web.Application) -> None:
    """on_shutdown: every hub attached here is told the host is going away."""
    app[consoles].end_all(wire.SPOKE_GONE)
