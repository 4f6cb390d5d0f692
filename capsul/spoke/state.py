"""What a running spoke knows about itself, shown by /spoke/heartbeat and /healthz."""
from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class SpokeState:
    host_id: str
    started_at: float = field(default_factory=time.time)
    last_event_seq: int = 0  # the last event sent to the hub (its sequence number)
    hub_announced: bool = False  # the hub has acknowledged our start
    hub_error: str | None = None  # why the last call to the hub failed
