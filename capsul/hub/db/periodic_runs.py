"""Queries on `periodic_runs`: which hub takes the next turn at a kind of periodic work."""
from __future__ import annotations


async def take_turn(cur, name: str, not_before_seconds: float) -> bool:
    """True (and the turn recorded) if the last run of `name` is at least that old, or there was none."""
    await cur.execute(
        """INSERT INTO periodic_runs (name, last_run_at) VALUES (%s, now())
           ON CONFLICT (name) DO UPDATE SET last_run_at = now()
           WHERE periodic_runs.last_run_at <= now() - make_interval(secs => %s)
           RETURNING name""", (name, not_before_seconds))
    return await cur.fetchone() is not None
