"""The spoke's outbox of VM events, pushed to the hub's /hub/events in batches.

libvirt callbacks only append to it (`emit` never blocks); one task pushes batches and
retries with back-off while the hub is unreachable, so events are delivered in order.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import time

from capsul import signing
from capsul.spoke.state import SpokeState

log = logging.getLogger(__name__)

MAX_BATCH = 500


class EventOutbox:
    def __init__(self, state: SpokeState):
        self.state = state
        self._next_seq = state.last_event_seq + 1
        self._pending: collections.deque[dict] = collections.deque()
        self._wakeup = asyncio.Event()

    def emit(self, vm_id: str, vm_state: str, reason: str | None = None) -> None:
        """Queue one event. Runs on libvirt's event dispatch (the loop thread): must not block."""
        self._pending.append({"seq": self._next_seq, "vm_id": vm_id, "state": vm_state, "reason": reason,
                              "ts": time.time()})
        self._next_seq += 1
        self._wakeup.set()

    def __len__(self) -> int:
        return len(self._pending)

    async def push_forever(self, hub, *, timeout: float, max_backoff: float = 10.0) -> None:
        delay = 0.1
        while True:
            if not self._pending:
                self._wakeup.clear()
                await self._wakeup.wait()
            batch = list(self._pending)[:MAX_BATCH]
            try:
                await hub.call("/hub/events", {"events": batch}, timeout=timeout)
            except signing.CallFailed as e:
                log.warning("cannot push %d events to the hub: %s (retrying)", len(batch), e)
                await asyncio.sleep(delay)
                delay = min(delay * 2, max_backoff)
                continue
            delay = 0.1
            for _ in batch:
                self._pending.popleft()
            self.state.last_event_seq = batch[-1]["seq"]
