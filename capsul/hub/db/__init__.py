"""The hub's database: pool, schema, and one module of hand-written SQL per table family.

Every query function takes a cursor first (`async def verb_noun(cur, ...)`), uses %s
parameters and returns dict rows; the caller owns the connection and, for several
statements, the transaction (`async with cur.begin():`).
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiopg
import psycopg2.extras


class NotFound(Exception):
    """The row asked for does not exist."""


class Conflict(Exception):
    """The change would break a uniqueness rule."""


async def create_pool(dsn: str, *, minsize: int = 1, maxsize: int = 10, timeout: float = 10) -> aiopg.Pool:
    # Times in UTC whatever the server's default, so every page and log agrees.
    return await aiopg.create_pool(dsn, minsize=minsize, maxsize=maxsize, timeout=timeout,
                                   cursor_factory=psycopg2.extras.RealDictCursor,
                                   options="-c timezone=UTC")


@asynccontextmanager
async def cursor(pool: aiopg.Pool) -> AsyncIterator[aiopg.Cursor]:
    async with pool.acquire() as conn:
        async with conn.cursor() as cur:
            yield cur


async def bring_schema_up_to_date(pool: aiopg.Pool, *, auto_migrate: bool = True) -> list[str]:
    """Install the schema on an empty database or apply the migrations it lacks (migrations/);
    migrations.Refused, with the database unchanged, when this code may not run on it."""
    from capsul.hub.db import migrations

    _, told = await migrations.upgrade(pool, apply=auto_migrate)
    return told


async def is_reachable(pool: aiopg.Pool, timeout: float = 2.0) -> bool:
    try:
        async with asyncio.timeout(timeout):
            async with cursor(pool) as cur:
                await cur.execute("SELECT 1")
                return (await cur.fetchone()) is not None
    except (TimeoutError, psycopg2.Error, OSError):
        return False


async def listen(cur, *channels: str) -> None:
    """LISTEN on each channel (names are ours, never a person's input)."""
    for channel in channels:
        if not channel.replace("_", "").isalnum():
            raise ValueError(f"not a channel name: {channel!r}")
    await cur.execute("; ".join(f"LISTEN {channel}" for channel in channels))
