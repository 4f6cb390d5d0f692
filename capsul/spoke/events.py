"""The spoke's outbox of VM events, pushed to the hub's /hub/events in batches.

libvirt callbacks only append to it (`emit` never blocks); one task pushes batches and
retries with back-off while the hub is unreachable, so events are delivered in order.
A `stopped` is held back for STOPPED_DEBOUNCE seconds and dropped if the VM starts
again meanwhile, so a reboot does not show as stopped.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import time

from capsul import signing
from capsul.backoff import Backoff
from capsul.spoke.journal import SeqJournal
from capsul.spoke.state import SpokeState

log = logging.getLogger(__name__)

MAX_BATCH = 500
HOST_KEYS_EVENT = "ssh_host_keys"  # not a state: carries the VM's SSH host key fingerprints


class EventOutbox:
    def __init__(self, state: SpokeState, journal: SeqJournal, *, stopped_debounce: float = 0.5):
        self.state = state
        self.journal = journal
        self.stopped_debounce = stopped_debounce
        self._pending: collections.deque[dict] = collections.deque()
        self._held_stops: dict[str, asyncio.TimerHandle] = {}
        self._wakeup = asyncio.Event()

    @property
    def last_seq(self) -> int:
        """The sequence number of the last event queued (sent or not)."""
        return self.journal.last

    def emit(self, vm_id: str, vm_state: str, reason: str | None = None) -> None:
        """Queue one event. Runs on libvirt's event dispatch (the loop thread): must not block."""
        held = self._held_stops.pop(vm_id, None)
        if held is not None:
            held.cancel()
            if vm_state == "running":
                return  # stopped and started again within the window: a reboot, nothing to show
            self._queue(vm_id, "stopped", "stopped")  # keep the order of what happened
        if vm_state == "stopped" and self.stopped_debounce > 0:
            self._held_stops[vm_id] = asyncio.get_running_loop().call_later(
                self.stopped_debounce, self._release_stop, vm_id, reason)
            return
        self._queue(vm_id, vm_state, reason)

    def emit_host_keys(self, vm_id: str, keys: list[dict]) -> None:
        """The VM's SSH host key fingerprints, found in its console log (delivered like an event)."""
        self._queue(vm_id, HOST_KEYS_EVENT, None, ssh_host_keys=keys)

    def _release_stop(self, vm_id: str, reason: str | None) -> None:
        if self._held_stops.pop(vm_id, None) is not None:
            self._queue(vm_id, "stopped", reason)

    def _queue(self, vm_id: str, vm_state: str, reason: str | None, **extra) -> None:
        self._pending.append({"seq": self.journal.take(), "vm_id": vm_id, "state": vm_state, "reason": reason,
                              "ts": time.time(), **extra})
        self.state.events_waiting = len(self._pending)
        self._wakeup.set()

    def __len__(self) -> int:
        return len(self._pending)

    async def push_forever(self, hub, *, timeout: float, max_backoff: float = 10.0) -> None:
        backoff = Backoff(first=0.1, ceiling=max_backoff)
        while True:
            if not self._pending:
                self._wakeup.clear()
                await self._wakeup.wait()
            batch = list(self._pending)[:MAX_BATCH]
            try:
                await hub.call("/hub/events", {"events": batch}, timeout=timeout)
            except signing.CallFailed as e:
                log.warning("cannot push %d events to the hub: %s (retrying)", len(batch), e)
                await backoff.wait()
                continue
            backoff.reset()
            for _ in batch:
                self._pending.popleft()
            self.state.last_event_seq = batch[-1]["seq"]
            self.state.events_waiting = len(self._pending)
