"""What a running spoke knows about itself, shown by /spoke/heartbeat and /healthz."""
from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class SpokeState:
    host_id: str
    started_at: float = field(default_factory=time.time)
    last_event_seq: int = 0  # the last event the hub has acknowledged (its sequence number)
    events_waiting: int = 0  # events in the outbox, not yet acknowledged by the hub
    hub_announced: bool = False  # the hub has acknowledged our start
    hub_error: str | None = None  # why the last call to the hub failed
    hub_version: str | None = None  # the capsul version the hub says it runs (hubs before 0.8.0 say none)
    networks: list[str] = field(default_factory=list)  # the libvirt networks this host's pools name (from the hub)
    missing_networks: dict[str, str] = field(default_factory=dict)  # of those: name -> "missing" / "inactive"
