"""Metering: charge every capsul for every started hour it existed in, once.

One SQL statement inserts the missing (capsul, hour) rows up to `now`; the primary key makes a
repeated or concurrent run charge nothing more, and a run after downtime catches up. Runs on
one hub at a time (an advisory lock), every METERING_INTERVAL seconds; `now` is injectable so
tests meter a simulated week without sleeping.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timezone

import aiopg
import psycopg2

from capsul.hub import db
from capsul.hub.db import ledger
from capsul.hub.db import locks

log = logging.getLogger(__name__)
METERING_LOCK = locks.METERING


async def meter(pool: aiopg.Pool, now: datetime) -> int | None:
    """Charge what is due up to `now`; how many hours were charged (None: another hub is metering)."""
    async with db.cursor(pool) as cur:
        async with cur.begin():
            if not await locks.try_transaction_lock(cur, METERING_LOCK):
                return None
            return await ledger.charge_due_hours(cur, now)


async def run_metering(pool: aiopg.Pool, interval: float,
                       clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                       after_run: Callable[[datetime], object] | None = None) -> None:
    """Meter now and then every `interval` seconds; `after_run(now)` (the running-low checks) follows."""
    while True:
        now = clock()
        try:
            charged = await meter(pool, now)
            if charged:
                log.info("metering charged %d capsul-hours up to %s", charged, now.isoformat(timespec="minutes"))
            if charged is not None and after_run is not None:
                await after_run(now)
        except (psycopg2.Error, OSError, TimeoutError) as e:
            log.error("metering failed (it catches up next time): %s", e)
        await asyncio.sleep(interval)
