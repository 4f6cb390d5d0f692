"""Periodic repairs the hub does on its own, taken in turns by the hubs (spokes/leases.py)."""
from __future__ import annotations

import asyncio
import logging

import aiopg
import psycopg2

from capsul.config import Config
from capsul.hub import db
from capsul.hub.accounts import api_tokens, login_sessions, login_tokens
from capsul.hub.db import operations as ops_db
from capsul.hub.spokes import leases

log = logging.getLogger(__name__)

EVERY = 30.0  # seconds


def abandoned_after(config: Config) -> float:
    """How old an unclaimed create must be before no hub can still be placing it."""
    return max(600.0, 20 * config.create_offer_timeout)


async def fail_abandoned_creates(pool: aiopg.Pool, older_than: float) -> int:
    """Creates that no host claimed and no hub is placing any more (the hub placing them
    stopped): failed cleanly, so the VM does not stay pending and offers are closed."""
    async with db.cursor(pool) as cur:
        stale = await ops_db.pending_creates_older_than(cur, older_than)
        failed = 0
        for op_id in stale:
            if await ops_db.fail_create(cur, op_id, "no host claimed it before the hub placing it stopped") is None:
                failed += 1
    if failed:
        log.warning("failed %d abandoned create(s)", failed)
    return failed


LOGIN_RECORDS_KEPT = 30 * 24 * 3600  # seconds ended sessions, used/expired login links and dead API tokens are kept


async def forget_old_logins(pool: aiopg.Pool, kept_for: float = LOGIN_RECORDS_KEPT) -> int:
    """Delete login links, sessions and API tokens over (used, ended, revoked or expired) for
    longer than `kept_for`; how many rows."""
    return (await login_tokens.forget_expired(pool, kept_for) + await login_sessions.forget_over(pool, kept_for)
            + await api_tokens.forget_over(pool, kept_for))


async def run_housekeeping(pool: aiopg.Pool, config: Config) -> None:
    while True:
        try:
            if await leases.take_turn(pool, "housekeeping", EVERY):
                await fail_abandoned_creates(pool, abandoned_after(config))
                await forget_old_logins(pool)
        except (psycopg2.Error, OSError, TimeoutError) as e:
            log.error("housekeeping failed: %s", e)
        await asyncio.sleep(EVERY)
