"""What a libvirt lifecycle event means, in words a person reads on a capsul's timeline.

Keyed by libvirt's (event, detail) numbers, which are part of its stable API, so the hub can
also put words on reasons stored as "libvirt event E/D" before the spoke sent words itself,
without importing libvirt.
"""
from __future__ import annotations

import re

# (event, detail) -> words. Events: 1 undefined, 2 started, 3 suspended, 4 resumed, 5 stopped,
# 7 pmsuspended, 8 crashed (virDomainEventType); details per event (virDomainEvent*DetailType).
WORDS = {
    (1, 0): "removed", (1, 1): "renamed",
    (2, 0): "started (booted)", (2, 1): "started (migrated here)", (2, 2): "started (restored)",
    (2, 3): "started (from a snapshot)", (2, 4): "woke up",
    (3, 0): "paused", (3, 1): "paused (migrating)", (3, 2): "paused: a disk error", (3, 3): "paused by its watchdog",
    (3, 4): "paused (restored)", (3, 5): "paused (from a snapshot)", (3, 6): "paused: a hypervisor error",
    (4, 0): "resumed", (4, 1): "resumed (migrated)", (4, 2): "resumed (from a snapshot)",
    (5, 0): "shut down", (5, 1): "forced off", (5, 2): "crashed", (5, 3): "migrated away", (5, 4): "saved",
    (5, 5): "failed on its host", (5, 6): "stopped (from a snapshot)",
    (7, 0): "suspended to memory", (7, 1): "suspended to disk",
    (8, 0): "crashed (kernel panic)", (8, 1): "crashed (crash kernel loaded)",
}
# The SHUTDOWN event (6) that comes before STOPPED/shut down says who asked for it.
SHUTDOWN_BY = {1: "shut down from inside", 2: "shut down (asked by its host)"}
EVENT_NAMES = {1: "removed", 2: "started", 3: "paused", 4: "resumed", 5: "stopped", 7: "suspended", 8: "crashed"}

# A person's action, in the words its host's event uses: the hub enters the action when the host
# answers, and the event that follows is that same entry (hub/db/vms.py attach_host_event).
ACTION_WORDS = {"start": WORDS[(2, 0)], "force-stop": WORDS[(5, 1)], "shutdown": SHUTDOWN_BY[2],
                "reboot": "rebooted"}

_CODE_RE = re.compile(r"^libvirt event (\d+)/(\d+)$")


def describe(event: int, detail: int, shutdown_by: int | None = None) -> str:
    if (event, detail) == (5, 0) and shutdown_by in SHUTDOWN_BY:
        return SHUTDOWN_BY[shutdown_by]
    return WORDS.get((event, detail)) or EVENT_NAMES.get(event, f"libvirt event {event}/{detail}")


def readable(reason: str | None) -> str | None:
    """A stored reason for people: a raw "libvirt event E/D" becomes words; others stay."""
    match = _CODE_RE.match(reason or "")
    return describe(int(match.group(1)), int(match.group(2))) if match else reason
