"""GET /metrics on a spoke's API listener, in Prometheus' text format, behind METRICS_TOKEN:
its own capsuls' usage counters, as a libvirt exporter would serve them per hypervisor (so no
single endpoint grows with the whole fleet), plus the spoke's own: the usage backlog and
console sessions. The counters are those of the sampler's last round (capsul/spoke/usage.py).
"""
from __future__ import annotations

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge

from capsul.prometheus_http import exposition, token_checked
from capsul.spoke.keys import metrics_token, operations, state, usage_sampler
from capsul.spoke.serial_console import consoles

# metric name, help, Counters field, scale
COUNTERS = [
    ("capsul_cpu_seconds", "CPU time the capsul has used", "cpu_ns", 1e-9),
    ("capsul_disk_read_bytes", "Bytes the capsul has read from its disks", "disk_read_bytes", 1),
    ("capsul_disk_written_bytes", "Bytes the capsul has written to its disks", "disk_write_bytes", 1),
    ("capsul_disk_read_operations", "Read operations on the capsul's disks", "disk_read_ops", 1),
    ("capsul_disk_write_operations", "Write operations on the capsul's disks", "disk_write_ops", 1),
    ("capsul_network_received_bytes", "Bytes the capsul has received", "net_rx_bytes", 1),
    ("capsul_network_sent_bytes", "Bytes the capsul has sent", "net_tx_bytes", 1),
]


async def spoke_metrics(request: web.Request) -> web.Response:
    token_checked(request, request.app[metrics_token])
    sampler = request.app[usage_sampler]
    registry = CollectorRegistry(auto_describe=True)
    for name, text, field, scale in COUNTERS:
        counter = Counter(name, text, ["capsul"], registry=registry)
        for vm_id, counters in sampler.last.items():
            counter.labels(vm_id).inc(getattr(counters, field) * scale)
    memory = Gauge("capsul_memory_bytes", "Memory the capsul uses", ["capsul"], registry=registry)
    vcpus = Gauge("capsul_vcpus", "The capsul's vCPUs", ["capsul"], registry=registry)
    for vm_id, counters in sampler.last.items():
        memory.labels(vm_id).set(counters.memory_bytes)
        vcpus.labels(vm_id).set(counters.vcpus)
    Gauge("capsul_spoke_usage_backlog_samples", "Usage samples waiting for the hub", registry=registry).set(
        sampler.backlog_size())
    Counter("capsul_spoke_usage_dropped_samples", "Usage samples dropped from a full backlog",
            registry=registry).inc(sampler.dropped)
    Counter("capsul_spoke_usage_sent_samples", "Usage samples the hub has acknowledged",
            registry=registry).inc(sampler.sent)
    spoke = request.app[state]
    Gauge("capsul_spoke_events_acknowledged_seq", "Sequence number of the last event the hub has acknowledged",
          registry=registry).set(spoke.last_event_seq)
    Gauge("capsul_spoke_events_waiting", "Events in the outbox not yet acknowledged by the hub",
          registry=registry).set(spoke.events_waiting)
    jobs = request.app[operations].backups
    Gauge("capsul_spoke_backup_jobs", "Backup jobs this spoke runs now (queued, taking, uploading, waiting)",
          registry=registry).set(len(jobs.running()))
    Counter("capsul_spoke_backups_done", "Backups this spoke has put in the store since it started",
            registry=registry).inc(jobs.counts["done"])
    Counter("capsul_spoke_backups_failed", "Backups that failed on this spoke since it started",
            registry=registry).inc(jobs.counts["failed"])
    Counter("capsul_spoke_backup_bytes", "Bytes of backup images this spoke has put in the store since it started",
            registry=registry).inc(jobs.counts["bytes"])
    Gauge("capsul_spoke_console_sessions", "Serial console sessions open on this spoke", registry=registry).set(
        len(request.app[consoles]))
    return exposition(registry)
