"""Retrying with back-off: the one helper every reconnect and retry loop uses.

    backoff = Backoff(first=0.2, ceiling=5)
    while True:
        try: ...; backoff.reset()
        except SomeError: await backoff.wait()
"""
from __future__ import annotations

import asyncio


class Backoff:
    """Delays that double from `first` up to `ceiling`; `reset()` after a success."""

    def __init__(self, first: float = 0.2, ceiling: float = 10.0):
        self.first = first
        self.ceiling = ceiling
        self.delay = first  # what the next wait() sleeps: for log lines ("retrying in …")

    def reset(self) -> None:
        self.delay = self.first

    async def wait(self) -> None:
        """Sleep the current delay, then double it (up to the ceiling)."""
        await asyncio.sleep(self.delay)
        self.delay = min(self.delay * 2, self.ceiling)
