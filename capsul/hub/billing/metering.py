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
from capsul.hub.billing.ledger import HOURS_PER_MONTH
from capsul.hub.db import locks

log = logging.getLogger(__name__)
METERING_LOCK = locks.METERING


async def meter(pool: aiopg.Pool, now: datetime) -> int | None:
    """Charge what is due up to `now`; how many hours were charged (None: another hub is metering)."""
    async with db.cursor(pool) as cur:
        async with cur.begin():
            await cur.execute("SELECT pg_try_advisory_xact_lock(%s) AS locked", (METERING_LOCK,))
            if not (await cur.fetchone())["locked"]:
                return None
            # From the hour after the last charged one (or the creation hour) to the hour of
            # deletion or of `now`; capsuls that were never built (failed, pending) cost nothing.
            await cur.execute(
                """INSERT INTO charges (vm_id, account, hour, amount)
                   SELECT v.id, v.account, h.hour, round(s.dollars_per_month / %(hours)s, 6)
                   FROM vms v
                   JOIN vm_sizes s ON s.id = v.size
                   CROSS JOIN LATERAL generate_series(
                       coalesce((SELECT max(c.hour) + interval '1 hour' FROM charges c WHERE c.vm_id = v.id),
                                date_trunc('hour', v.created_at)),
                       date_trunc('hour', least(coalesce(v.deleted_at, %(now)s), %(now)s)),
                       interval '1 hour') AS h(hour)
                   WHERE v.state NOT IN ('pending', 'failed') AND v.created_at <= %(now)s
                     AND (v.deleted_at IS NULL OR v.deleted_at > now() - interval '400 days')
                   ON CONFLICT (vm_id, hour) DO NOTHING""",
                {"hours": HOURS_PER_MONTH, "now": now})
            return cur.rowcount


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
