"""Usage sampling on a spoke (docs/architecture.md §10): every METRICS_INTERVAL, one bulk
libvirt call for every capsul's counters, turned into per-interval samples here, and pushed
to the hub in signed batches.

A sample is what happened in one interval: its length, CPU seconds used, memory in use at
its end, and bytes and operations read, written, received and sent. Deltas, not rates:
the hub's roll-ups sum them exactly. A counter that went down (the domain was restarted)
counts from zero. While the hub cannot be reached, rounds wait in a bounded backlog
(BACKLOG_ROUNDS, at most BACKLOG_SAMPLES samples; the oldest are dropped past that) and go
out oldest first once it answers. Each sample is sent until the hub acknowledges it; the
hub ignores one it already has.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from capsul import signing
from capsul.spoke.virt import Hypervisor, HypervisorError

log = logging.getLogger(__name__)

BACKLOG_ROUNDS = 360  # an hour at the default 10 s
BACKLOG_SAMPLES = 100_000
SAMPLES_PER_POST = 2_000  # ~300 KB of JSON, well under the 1 MiB body limit


@dataclass(frozen=True)
class Counters:
    """One domain's cumulative counters at one moment (libvirt's getAllDomainStats)."""
    at: float  # monotonic seconds
    wall: float  # unix seconds
    vcpus: int
    cpu_ns: int
    memory_bytes: int
    disk_read_bytes: int
    disk_write_bytes: int
    disk_read_ops: int
    disk_write_ops: int
    net_rx_bytes: int
    net_tx_bytes: int

    CUMULATIVE = ("cpu_ns", "disk_read_bytes", "disk_write_bytes", "disk_read_ops", "disk_write_ops",
                  "net_rx_bytes", "net_tx_bytes")


def counters_from(stats: dict, *, at: float, wall: float) -> Counters | None:
    """A domain's record from getAllDomainStats -> Counters; None when it holds no usage (libvirt's
    test driver returns only state.*, and a domain that is not running has no cpu.time)."""
    if "cpu.time" not in stats:
        return None

    def total(kind: str, field: str) -> int:
        return sum(int(stats.get(f"{kind}.{i}.{field}", 0)) for i in range(int(stats.get(f"{kind}.count", 0))))

    if "balloon.available" in stats and "balloon.unused" in stats:  # what the guest itself says it uses
        memory = (int(stats["balloon.available"]) - int(stats["balloon.unused"])) * 1024
    else:  # no balloon driver in the guest: the QEMU process's resident memory
        memory = int(stats.get("balloon.rss", stats.get("balloon.current", 0))) * 1024
    return Counters(at=at, wall=wall, vcpus=int(stats.get("vcpu.current", 1)) or 1, cpu_ns=int(stats["cpu.time"]),
                    memory_bytes=max(0, memory),
                    disk_read_bytes=total("block", "rd.bytes"), disk_write_bytes=total("block", "wr.bytes"),
                    disk_read_ops=total("block", "rd.reqs"), disk_write_ops=total("block", "wr.reqs"),
                    net_rx_bytes=total("net", "rx.bytes"), net_tx_bytes=total("net", "tx.bytes"))


def sample(vm_id: str, before: Counters, now: Counters) -> dict | None:
    """What happened between two readings, as the hub stores it; None for an empty interval."""
    seconds = now.at - before.at
    if seconds <= 0:
        return None

    def delta(name: str) -> int:
        later, earlier = getattr(now, name), getattr(before, name)
        return later - earlier if later >= earlier else later  # restarted: counted from zero

    return {
        "vm_id": vm_id,
        "at": datetime.fromtimestamp(now.wall, timezone.utc).isoformat(timespec="milliseconds"),
        "seconds": round(seconds, 3),
        "vcpus": now.vcpus,
        "cpu_seconds": round(delta("cpu_ns") / 1e9, 6),
        "memory_bytes": now.memory_bytes,
        **{name: delta(name) for name in Counters.CUMULATIVE if name != "cpu_ns"},
    }


class UsageSampler:
    """Reads every capsul's counters each round and keeps the samples until the hub has them."""

    def __init__(self, virt: Hypervisor, *, backlog_rounds: int = BACKLOG_ROUNDS,
                 backlog_samples: int = BACKLOG_SAMPLES):
        self.virt = virt
        self.last: dict[str, Counters] = {}  # newest reading per capsul (also the spoke's /metrics)
        self.backlog: collections.deque[list[dict]] = collections.deque()
        self.backlog_rounds, self.backlog_samples = backlog_rounds, backlog_samples
        self.dropped = 0  # samples dropped from a full backlog
        self.sent = 0

    @property
    def supported(self) -> bool:
        """Whether this hypervisor reports usage: libvirt's test driver returns only state."""
        return self.virt.reports_usage

    def backlog_size(self) -> int:
        return sum(len(r) for r in self.backlog)

    async def take_round(self) -> int:
        """One bulk read; the new samples join the backlog. Returns how many."""
        readings = await self.virt.usage_counters()
        at, wall = time.monotonic(), time.time()
        current: dict[str, Counters] = {}
        for vm_id, stats in readings.items():
            counters = counters_from(stats, at=at, wall=wall)
            if counters is not None:
                current[vm_id] = counters
        new = [s for vm_id, c in current.items() if vm_id in self.last
               and (s := sample(vm_id, self.last[vm_id], c)) is not None]
        self.last = current
        if new:
            self.backlog.append(new)
            self._bound()
        return len(new)

    def _bound(self) -> None:
        while self.backlog and (len(self.backlog) > self.backlog_rounds or self.backlog_size() > self.backlog_samples):
            lost = self.backlog.popleft()
            self.dropped += len(lost)
            log.warning("usage backlog full: dropped %d samples of the oldest round (hub unreachable too long)",
                        len(lost))

    async def push(self, hub, *, timeout: float) -> None:
        """Send the backlog, oldest first, in batches; stops at the first failure (kept for next time)."""
        while self.backlog:
            batch: list[dict] = []
            rounds = 0
            for round_samples in self.backlog:
                if batch and len(batch) + len(round_samples) > SAMPLES_PER_POST:
                    break
                batch.extend(round_samples)
                rounds += 1
            await hub.call("/hub/usage", {"samples": batch}, timeout=timeout)
            for _ in range(rounds):
                self.backlog.popleft()
            self.sent += len(batch)

    async def run(self, hub, *, interval: float, timeout: float) -> None:
        """Forever: a round every `interval` seconds, then push what is waiting."""
        if not self.supported:
            log.info("this hypervisor reports no usage (libvirt's test driver): no usage samples are taken")
            return
        failing = False
        next_round = time.monotonic()
        while True:
            try:
                await self.take_round()
            except HypervisorError as e:
                log.warning("usage round skipped: %s", e)
            try:
                await self.push(hub, timeout=timeout)
                if failing:
                    log.info("usage samples reach the hub again")
                failing = False
            except signing.CallFailed as e:
                if not failing:
                    log.warning("cannot send usage samples to the hub (%s); keeping up to %d rounds", e,
                                self.backlog_rounds)
                failing = True
            next_round += interval
            await asyncio.sleep(max(0.0, next_round - time.monotonic()))
