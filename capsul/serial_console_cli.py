"""`python run.py console CAPSUL`: a capsul's serial console in this terminal.

Reads CAPSUL_URL (the console's URL) and CAPSUL_TOKEN (a read-write API token), opens
GET /api/v1/capsuls/CAPSUL/console (frames: capsul/serial_console.py), puts the local tty in
raw mode so every key goes to the capsul, and restores it on the way out. Ctrl-] leaves.
Exit status: 0 when you left, 1 when the console ended for another reason (printed), 2 for
missing settings.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import termios
import tty
from urllib.parse import quote

import aiohttp

from capsul import serial_console as wire
from capsul import watch

LEAVE = b"\x1d"  # Ctrl-]
HANDSHAKE_REFUSALS = {
    401: "the hub refused the token: make a new one in the console",
    403: "the token is read-only (make a read-write one), or this address may not open consoles",
    404: "there is no such capsul of yours",
}


class Terminal:
    """The local tty in raw mode for as long as the `with` lasts (nothing happens if it is not a tty)."""

    def __init__(self, fd: int):
        self.fd = fd
        self.saved = termios.tcgetattr(fd) if os.isatty(fd) else None

    def __enter__(self) -> Terminal:
        if self.saved is not None:
            tty.setraw(self.fd, termios.TCSANOW)
        return self

    def __exit__(self, *_exc) -> None:
        if self.saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)


async def attach(url: str, token: str, stdin_fd: int, out) -> tuple[int, str]:
    """(exit status, the line to print) once the console ends."""
    loop = asyncio.get_running_loop()
    typed: asyncio.Queue[bytes | None] = asyncio.Queue()
    leaving = asyncio.Event()  # Ctrl-] (or the end of input)

    def readable() -> None:
        data = os.read(stdin_fd, 4096)
        if not data or LEAVE in data:
            leaving.set()
            typed.put_nowait(data.split(LEAVE, 1)[0] if data else b"")
            typed.put_nowait(None)
            loop.remove_reader(stdin_fd)
        else:
            typed.put_nowait(data)

    async with aiohttp.ClientSession() as session:
        try:
            ws = await session.ws_connect(url, headers={"Authorization": f"Bearer {token}"}, heartbeat=30)
        except aiohttp.WSServerHandshakeError as e:
            return 1, HANDSHAKE_REFUSALS.get(e.status, f"the hub answered HTTP {e.status}")
        except (aiohttp.ClientError, OSError) as e:
            return 1, f"cannot reach the hub: {e}"

        async def send_typed() -> None:
            while (data := await typed.get()) is not None:
                if data:
                    await ws.send_bytes(data)
            await ws.close()

        async with ws:
            with Terminal(stdin_fd):
                loop.add_reader(stdin_fd, readable)
                sender = asyncio.create_task(send_typed())
                ended = None
                try:
                    async for msg in ws:
                        if msg.type == aiohttp.WSMsgType.BINARY:
                            out.write(msg.data)
                            out.flush()
                        elif msg.type == aiohttp.WSMsgType.TEXT:
                            control = wire.parse_control(msg.data)
                            if control.get("type") == "end":
                                ended = control
                finally:
                    with contextlib.suppress(ValueError, OSError):
                        loop.remove_reader(stdin_fd)
                    sender.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await sender
    if leaving.is_set() and (ended is None or ended.get("reason") == wire.CLOSED):
        return 0, "left the console"
    if ended is None:
        return 1, "the connection to the hub was lost"
    return 1, str(ended.get("message") or json.dumps(ended))


def main(vm_id: str) -> int:
    try:
        url, token = watch.settings(dict(os.environ), f"/api/v1/capsuls/{quote(vm_id, safe='')}/console")
    except ValueError as e:
        print(f"capsul console: {e}", file=sys.stderr)
        return 2
    print(f"capsul console: attached to {vm_id}'s serial console; Ctrl-] leaves", file=sys.stderr, flush=True)
    try:
        status, line = asyncio.run(attach(url, token, sys.stdin.fileno(), sys.stdout.buffer))
    except KeyboardInterrupt:
        status, line = 0, "left the console"
    print(f"\r\ncapsul console: {line}", file=sys.stderr, flush=True)
    return status
