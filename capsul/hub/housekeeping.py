"""Periodic repairs the hub does on its own, on one hub at a time (an advisory lock)."""
from __future__ import annotations

import asyncio
import logging

import aiopg
import psycopg2

from capsul.config import Config
from capsul.hub import db
from capsul.hub.accounts import login_sessions
from capsul.hub.db import locks
from capsul.hub.db import operations as ops_db

log = logging.getLogger(__name__)

HOUSEKEEPING_LOCK = locks.HOUSEKEEPING
EVERY = 30.0  # seconds


def abandoned_after(config: Config) -> float:
    """How old an unclaimed create must be before no hub can still be placing it."""
    return max(600.0, 20 * config.create_offer_timeout)


async def fail_abandoned_creates(pool: aiopg.Pool, older_than: float) -> int:
    """Creates that no host claimed and no hub is placing any more (the hub placing them
    stopped): failed cleanly, so the VM does not stay pending and offers are closed."""
    async with db.cursor(pool) as cur:
        await cur.execute(
            """SELECT id FROM operations WHERE type = 'create' AND status = 'pending'
               AND created_at < now() - make_interval(secs => %s)""", (older_than,))
        stale = [row["id"] for row in await cur.fetchall()]
        failed = 0
        for op_id in stale:
            if await ops_db.fail_create(cur, op_id, "no host claimed it before the hub placing it stopped") is None:
                failed += 1
    if failed:
        log.warning("failed %d abandoned create(s)", failed)
    return failed


LOGIN_RECORDS_KEPT = 30 * 24 * 3600  # seconds ended sessions and used/expired login links are kept


async def forget_old_logins(pool: aiopg.Pool, kept_for: float = LOGIN_RECORDS_KEPT) -> int:
    """Delete login links and sessions over for longer than `kept_for`; how many rows."""
    async with db.cursor(pool) as cur:
        await cur.execute("DELETE FROM login_tokens WHERE expires_at < now() - make_interval(secs => %s)",
                          (kept_for,))
        deleted = cur.rowcount
        await cur.execute(
            """DELETE FROM login_sessions
               WHERE coalesce(ended_at, created_at + make_interval(secs => %s)) < now() - make_interval(secs => %s)""",
            (login_sessions.SESSION_MAX_AGE, kept_for))
        return deleted + cur.rowcount


async def run_housekeeping(pool: aiopg.Pool, config: Config) -> None:
    while True:
        try:
            async with pool.acquire() as conn, conn.cursor() as cur:
                await cur.execute("SELECT pg_try_advisory_lock(%s)", (HOUSEKEEPING_LOCK,))
                (locked,) = await cur.fetchone()
                if locked:
                    try:
                        await fail_abandoned_creates(pool, abandoned_after(config))
                        await forget_old_logins(pool)
                    finally:
                        await cur.execute("SELECT pg_advisory_unlock(%s)", (HOUSEKEEPING_LOCK,))
        except (psycopg2.Error, OSError, TimeoutError) as e:
            log.error("housekeeping failed: %s", e)
        await asyncio.sleep(EVERY)
