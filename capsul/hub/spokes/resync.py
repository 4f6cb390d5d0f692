"""Full resyncs: the hub's picture of a spoke's VMs made to match what its libvirt reports.

One is run for a spoke when it (re)starts, when its events show a gap, when the hub
starts, and every RESYNC_INTERVAL seconds, so whatever was missed, hub state converges.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import aiopg
import psycopg2

from capsul import vm_states
from capsul.config import Config
from capsul.hub import db
from capsul.hub.db import hosts as hosts_db
from capsul.hub.db import vm_events, vms
from capsul.hub.spokes import leases
from capsul.hub.spokes.dispatcher import Dispatcher, OperationFailed
from capsul.limits import is_int

log = logging.getLogger(__name__)



@dataclass
class ResyncReport:
    host_id: str
    changed: dict[str, str] = field(default_factory=dict)  # vm id -> new state
    strays: list[str] = field(default_factory=list)  # on the host, unknown to the hub (or deleted)
    conflicts: list[str] = field(default_factory=list)  # on the host, owned by another


async def resync_host(pool: aiopg.Pool, dispatcher: Dispatcher, config: Config, host_id: str) -> ResyncReport:
    """Ask the host for every capsul domain and its state, and correct the database to match."""
    answer = await dispatcher.to_host("list", {}, host_id)
    listed, seq = answer.get("vms"), answer.get("last_event_seq")
    if not isinstance(listed, list) or not is_int(seq):
        raise OperationFailed(f"host {host_id}: invalid list answer")
    reported = {vm["vm_id"]: vm["state"] for vm in listed}
    report = ResyncReport(host_id)
    async with db.cursor(pool) as cur:
        async with cur.begin():
            # NOTE: the host row lock orders this against apply_events for the same host.
            last_applied = await hosts_db.lock_for_events(cur, host_id)
            if last_applied is None:
                return report
            # VMs whose events after the listing were applied meanwhile: those events are newer.
            newer = await vm_events.with_events_after(cur, host_id, seq)
            # claimed this recently: its host may still be building it
            still_building = config.claim_retry_window + config.operation_timeout
            for vm in await vms.on_host(cur, host_id, recent_seconds=still_building):
                if vm["id"] in newer:
                    continue
                await _reconcile(cur, report, vm, reported.get(vm["id"]))
            owned = {vm["id"] for vm in await vms.on_host(cur, host_id)}
            for vm_id in (v for v in reported if v not in owned):
                other = await vms.owner_and_state(cur, vm_id)
                if other is not None and other["state"] == vm_states.MIGRATING:
                    continue  # moving here: the move's end makes this host its owner (hub/moves.py)
                if other is not None and other["host_id"] not in (None, host_id):
                    await vm_events.record_conflict(cur, vm_id, other["host_id"], host_id)
                    report.conflicts.append(vm_id)
                else:
                    log.warning("host %s has %s, which the hub does not count as live there", host_id, vm_id)
                    report.strays.append(vm_id)
            # NOTE: the applied sequence is left alone: events the spoke still holds (say, queued
            # while the hub was down) then arrive in order for the audit trail, ending in the
            # state listed here. Only a spoke whose numbering started over resets it.
            if seq < last_applied:
                log.warning("host %s numbers its events from %d again (was at %d): its journal was reset",
                            host_id, seq, last_applied)
                await hosts_db.set_last_applied_seq(cur, host_id, seq)
    if report.changed or report.strays or report.conflicts:
        log.info("resync of %s: changed %s, strays %s, conflicts %s", host_id, report.changed, report.strays,
                 report.conflicts)
    return report


async def _reconcile(cur, report: ResyncReport, vm: dict, actual: str | None) -> None:
    vm_id, state = vm["id"], vm["state"]
    if actual is not None:
        if state != "deleting" and actual != state and actual in vm_states.REPORTED:
            await vms.set_state(cur, vm_id, actual, from_states=vm_states.OWNED, reason="resync: as its host reports")
            report.changed[vm_id] = actual
        return
    if state == "deleting":  # the delete went through but was not recorded
        await vms.set_state(cur, vm_id, "deleted", from_states=("deleting",), reason="resync: gone from its host")
        report.changed[vm_id] = "deleted"
    elif state == vm_states.MIGRATING:
        return  # gone from its source mid-move: the move's end says where it is (hub/moves.py)
    elif state in vm_states.BUILDING:
        if vm["recent"]:
            return  # claimed moments ago: its host may still be building it
        await vms.mark_failed(cur, vm_id, "its host never built it")
        report.changed[vm_id] = "failed"
    elif state != "crashed" or vm["problem"] != vm_states.MISSING_ON_HOST:
        log.error("capsul %s is not on its host %s any more", vm_id, report.host_id)
        await vms.set_state(cur, vm_id, "crashed", from_states=vm_states.OWNED, reason=vm_states.MISSING_ON_HOST)
        report.changed[vm_id] = "crashed"


class Resyncer:
    """Runs resyncs: those asked for (spoke start, event gap), all at hub start, all periodically."""

    def __init__(self, pool: aiopg.Pool, dispatcher: Dispatcher, config: Config):
        self.pool = pool
        self.dispatcher = dispatcher
        self.config = config
        self._asked: set[str] = set()
        self._wakeup = asyncio.Event()
        self.completed = 0  # resyncs done since start

    def request(self, host_id: str) -> None:
        self._asked.add(host_id)
        self._wakeup.set()

    async def _all_online(self) -> set[str]:
        async with db.cursor(self.pool) as cur:
            return {h["id"] for h in await hosts_db.list_hosts(cur) if h["online"]}

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        next_full = loop.time()  # everything once at start (whatever other hubs did)
        first = True
        while True:
            try:
                if loop.time() >= next_full:
                    # periodic ones: one hub per interval does them for all
                    if first or await leases.take_turn(self.pool, "full-resync", self.config.resync_interval):
                        self._asked |= await self._all_online()
                    first = False
                    next_full = loop.time() + self.config.resync_interval
                hosts, self._asked = self._asked, set()
                self._wakeup.clear()
                await asyncio.gather(*(self._one(h) for h in sorted(hosts)))
            except (psycopg2.Error, OSError, TimeoutError) as e:
                log.error("resync failed: %s", e)
            try:
                await asyncio.wait_for(self._wakeup.wait(), max(0.0, next_full - loop.time()))
            except TimeoutError:
                pass

    async def _one(self, host_id: str) -> None:
        try:
            await resync_host(self.pool, self.dispatcher, self.config, host_id)
            self.completed += 1
        except OperationFailed as e:
            log.info("resync of %s not possible now: %s", host_id, e)
        except (psycopg2.Error, OSError) as e:
            log.error("resync of %s failed: %s", host_id, e)
