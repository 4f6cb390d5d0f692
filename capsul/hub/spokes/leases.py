"""Turns at periodic work for several hubs on one database (docs/architecture.md §7).

Each hub runs its own loop; before each run it asks for the turn. The first hub in an
interval gets it (one row per kind of work, updated only when the last run is old enough);
the others skip that run. A hub that stops simply stops taking turns: another takes the
next one. No lock is held while the work itself runs.
"""
from __future__ import annotations

from capsul.hub import db
from capsul.hub.db import periodic_runs

EARLY = 0.8  # a turn may be taken this fraction of the interval after the last: loops drift


async def take_turn(pool, name: str, every: float) -> bool:
    """True if this hub should run `name` now (at most about once per `every` seconds, all hubs)."""
    async with db.cursor(pool) as cur:
        return await periodic_runs.take_turn(cur, name, every * EARLY)
