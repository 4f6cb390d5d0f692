"""Reading a pseudo-terminal's output from asyncio (run.py console, ssh) without blocking the loop."""
from __future__ import annotations

import asyncio
import os


async def read_until(fd: int, wanted: bytes, within: float = 60) -> bytes:
    """What the terminal printed up to and including `wanted` (TimeoutError after `within` s)."""
    loop = asyncio.get_running_loop()
    seen = b""
    async with asyncio.timeout(within):
        while wanted not in seen:
            readable = asyncio.Event()
            loop.add_reader(fd, readable.set)
            try:
                await readable.wait()
            finally:
                loop.remove_reader(fd)
            seen += os.read(fd, 65536)
    return seen
