"""GET /metrics on the hub, in Prometheus' text format, behind METRICS_TOKEN (docs/usage.md).

The service figures: hosts online and their capacity, capsuls by state, event lag per host
(read from the database at each scrape, so every hub answers the same), and this hub
process's own: websocket clients, open consoles, operations by type and outcome with their
latency, heartbeat sweeps, metering runs. Per-capsul usage is not here: each spoke serves
its own capsuls' (capsul/spoke/prometheus.py), so no endpoint grows with the whole fleet.
"""
from __future__ import annotations

import functools
import time

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from capsul.hub import db
from capsul.hub.db import backups as backups_db
from capsul.hub.db import hosts as hosts_db
from capsul.hub.db import vms as vms_db
from capsul.prometheus_http import exposition, token_checked

OPERATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class HubMetrics:
    """This hub process's own instruments, in a registry of its own (one per hub, so tests can
    run several hubs in one process)."""

    def __init__(self):
        self.registry = CollectorRegistry(auto_describe=True)
        self.operations = Histogram("capsul_operation_seconds", "Capsul operations (create, action, delete) by "
                                    "type and outcome, from request to answer", ["type", "outcome"],
                                    buckets=OPERATION_BUCKETS, registry=self.registry)
        self.metering_runs = Counter("capsul_metering_runs", "Metering runs this hub made", registry=self.registry)
        self.sweep_seconds = Gauge("capsul_heartbeat_sweep_last_seconds", "How long this hub's last heartbeat "
                                   "sweep took", registry=self.registry)
        self.sweeps = Gauge("capsul_heartbeat_sweeps", "Heartbeat sweeps this hub made since it started",
                            registry=self.registry)
        self.websocket_clients = Gauge("capsul_websocket_clients", "Live-update websockets open on this hub",
                                       registry=self.registry)
        self.consoles = Gauge("capsul_console_sessions", "Serial console sessions open on this hub",
                              registry=self.registry)
        self.sweep_status = None  # the node's heartbeats.SweepStatus, when it runs the heartbeat loop


def measured(kind: str):
    """Decorator for a service function taking the Hub first: its latency and outcome are recorded
    (outcome: ok, or the refusal's class name)."""
    def wrap(function):
        @functools.wraps(function)
        async def run(hub, *args, **kwargs):
            started, outcome = time.monotonic(), "error"
            try:
                result = await function(hub, *args, **kwargs)
                outcome = "ok"
                return result
            except Exception as e:
                outcome = type(e).__name__
                raise
            finally:
                hub.metrics.operations.labels(kind, outcome).observe(time.monotonic() - started)
        return run
    return wrap


async def _fleet_registry(pool) -> CollectorRegistry:
    """The figures every hub shares, read now."""
    registry = CollectorRegistry(auto_describe=True)
    online = Gauge("capsul_host_online", "Whether the hub hears the host's spoke", ["host"], registry=registry)
    capacity = Gauge("capsul_host_capacity", "A host's capacity as its spoke reports it", ["host", "resource"],
                     registry=registry)
    lag = Gauge("capsul_host_event_lag_seconds", "Now minus the time the newest event applied from the host "
                "arrived", ["host"], registry=registry)
    states = Gauge("capsul_capsuls", "Capsuls by state (deleted ones not counted)", ["state"], registry=registry)
    backups = Gauge("capsul_backups", "Backups in the catalogue by status (failed: jobs that failed)", ["status"],
                    registry=registry)
    stored = Gauge("capsul_backup_store_bytes", "Bytes the finished backups added to the backup store",
                   registry=registry)
    async with db.cursor(pool) as cur:
        for host in await hosts_db.with_event_lag(cur):
            online.labels(host["id"]).set(1 if host["online"] else 0)
            for resource, value in (host["capacity"] or {}).items():
                if isinstance(value, (int, float)):
                    capacity.labels(host["id"], resource).set(value)
            if host["lag"] is not None:
                lag.labels(host["id"]).set(float(host["lag"]))
        for state, n in (await vms_db.count_by_state(cur)).items():
            states.labels(state).set(n)
        totals = await backups_db.totals(cur)
        for status, n in totals["by_status"].items():
            backups.labels(status).set(n)
        stored.set(totals["stored_bytes"])
    return registry


async def hub_metrics(request: web.Request, *, hub, broadcaster, relays: set) -> web.Response:
    token_checked(request, hub.config.metrics_token)
    metrics: HubMetrics = hub.metrics
    metrics.websocket_clients.set(len(broadcaster.clients))
    metrics.consoles.set(len(relays))
    if metrics.sweep_status is not None:
        metrics.sweeps.set(metrics.sweep_status.sweeps)
        if metrics.sweep_status.last_duration is not None:
            metrics.sweep_seconds.set(metrics.sweep_status.last_duration)
    return exposition(metrics.registry, await _fleet_registry(hub.pool))
