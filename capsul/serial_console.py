"""What the serial console's three hops share (docs/console.md, docs/architecture.md §9).

Every hop (person ↔ hub ↔ spoke) is a websocket carrying the same frames:
- binary: console bytes, either way (what the guest printed; what the person typed);
- text, from the hub or spoke only: one JSON object, {"type": "attached"} once the end of
  the console log has been sent and live output follows, and {"type": "end", "reason": ...,
  "message": ...} just before the hop closes, saying why.
Text frames from a person are typed input too (a browser may send either kind).

Nothing typed or shown is ever logged: only that a session opened or ended, and why.
"""
from __future__ import annotations

import asyncio
import collections
import json
import socket

TAIL_BYTES = 64 * 1024  # of the console log, shown first: boot messages and the login prompt
MAX_INPUT_FRAME = 16 * 1024  # bytes a person may send in one frame (a paste is split by the page)
MAX_OUTPUT_FRAME = 64 * 1024  # bytes the spoke puts in one frame
BUFFER_BYTES = 256 * 1024  # output queued for one reader at one hop; more than this and it is cut off
SOCKET_SEND_BUFFER = 64 * 1024  # the kernel's share of the bound (it doubles what it is given)
WS_HEARTBEAT = 15.0  # seconds between pings on every hop: a peer gone silent is noticed

# Why a console session ended; every hop passes the reason on, the hub words the message.
STOPPED = "stopped"
NOT_RUNNING = "not_running"
TAKEN_OVER = "taken_over"
SPOKE_GONE = "spoke_gone"
IDLE = "idle"
TOO_SLOW = "too_slow"
UNSUPPORTED = "unsupported"
UNAVAILABLE = "unavailable"
HUB_STOPPING = "hub_stopping"
LOGGED_OUT = "logged_out"  # the login session or API token it was opened with ended (hub/connections.py)
TOKEN_REVOKED = "token_revoked"
EXPIRED = "expired"
CLOSED = "closed"

MESSAGES = {
    STOPPED: "The capsul stopped.",
    NOT_RUNNING: "This capsul is not running: start it to use its console.",
    TAKEN_OVER: "The console was opened somewhere else, which closed it here.",
    SPOKE_GONE: "The connection to the capsul's host was lost.",
    IDLE: "Closed after a long time without input.",
    TOO_SLOW: "This connection could not keep up with the console's output, so it was closed.",
    UNSUPPORTED: "This capsul's host has no serial console (it runs libvirt's test driver).",
    UNAVAILABLE: "The capsul's host cannot be reached right now; try again in a minute.",
    HUB_STOPPING: "This server is restarting; open the console again.",
    LOGGED_OUT: "You were logged out, which closed the console. Log in again to open it.",
    TOKEN_REVOKED: "The API token this console was opened with was revoked.",
    EXPIRED: "The login or API token this console was opened with expired.",
    CLOSED: "The console was closed.",
}


def end_frame(reason: str, message: str | None = None) -> str:
    """The text frame that ends a session (an unknown reason is sent as `closed`)."""
    reason = reason if reason in MESSAGES else CLOSED
    return json.dumps({"type": "end", "reason": reason, "message": message or MESSAGES[reason]})


ATTACHED_FRAME = json.dumps({"type": "attached"})


def bound_socket_buffer(request) -> None:
    """Cap the kernel's send buffer of this connection: left to autotuning it grows to megabytes
    for a reader that stops reading, all of it output held for nobody."""
    sock = request.transport.get_extra_info("socket") if request.transport is not None else None
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_SEND_BUFFER)


async def run_until(done: asyncio.Event, *coroutines) -> None:
    """Run the hop's pumps until `done` is set, then cancel them and wait for them to end."""
    tasks = [asyncio.create_task(c) for c in coroutines]
    try:
        await done.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def parse_control(text: str) -> dict:
    """A text frame from the hub or a spoke; {} when it is not one of ours."""
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) and isinstance(value.get("type"), str) else {}


class OutputBuffer:
    """Frames waiting for one slow reader, bounded in bytes: `put` answers False when the bound
    would be passed, and the caller ends the session (the guest never waits on a reader)."""

    def __init__(self, limit: int = BUFFER_BYTES):
        self.limit = limit
        self.size = 0
        self._frames: collections.deque[bytes | str] = collections.deque()
        self._ready = asyncio.Event()

    def put(self, frame: bytes | str) -> bool:
        if self.size + len(frame) > self.limit:
            return False
        self._frames.append(frame)
        self.size += len(frame)
        self._ready.set()
        return True

    async def get(self) -> list[bytes | str]:
        """Everything queued, in order, runs of console bytes joined into one frame."""
        while not self._frames:
            self._ready.clear()
            await self._ready.wait()
        frames: list[bytes | str] = []
        for frame in self._frames:
            if frames and isinstance(frame, bytes) and isinstance(frames[-1], bytes):
                frames[-1] += frame
            else:
                frames.append(frame)
        self._frames.clear()
        self.size = 0
        return frames
