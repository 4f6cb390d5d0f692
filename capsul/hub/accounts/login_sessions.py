"""Logged-in browsers, kept in the database so that logging out means it.

    secret, session_id = await start(pool, account, client_address, user_agent)   # at login
    found = await check(pool, secret)        # (session id, account) or None, on each request
    await end(pool, account, session_id)      # log out one browser; NOTIFYs its websockets away

The encrypted session cookie holds `secret`; only its SHA-256 is stored. A session counts
while its row is not ended and younger than SESSION_MAX_AGE, so a copied cookie dies with the
logout, and a person can end the sessions of browsers they no longer hold. (Like every service
module, these take the pool; the SQL is hub/db/login_sessions.py's, which takes a cursor.)
"""
from __future__ import annotations

import secrets
from datetime import datetime

from capsul.hub import db
from capsul.hub.accounts.stored_secrets import secret_hash
from capsul.hub.db import login_sessions as sessions_db

SESSION_MAX_AGE = 30 * 24 * 3600  # seconds a login lasts
LAST_SEEN_PRECISION = 300  # seconds: last_seen_at is written at most this often per session
MAX_USER_AGENT = 300
ENDED_CHANNEL = sessions_db.ENDED_CHANNEL


async def start(pool, account: str, client_address: str | None, user_agent: str | None, *,
                second_factor: bool = False) -> tuple[str, int]:
    secret = secrets.token_urlsafe(32)
    async with db.cursor(pool) as cur:
        session_id = await sessions_db.insert(cur, secret_hash(secret), account, client_address,
                                              (user_agent or "")[:MAX_USER_AGENT] or None, second_factor)
    return secret, session_id


async def check(pool, secret: str) -> tuple[int, str, datetime] | None:
    """The live session holding this secret, as (id, account, when it expires); None if it ended
    or expired."""
    if not isinstance(secret, str) or len(secret) > 100:
        return None
    async with db.cursor(pool) as cur:
        row = await sessions_db.find_live(cur, secret_hash(secret), max_age=SESSION_MAX_AGE,
                                          seen_precision=LAST_SEEN_PRECISION)
    return (row["id"], row["account"], row["expires_at"]) if row else None


async def is_live(pool, session_id: int) -> bool:
    async with db.cursor(pool) as cur:
        return await sessions_db.is_live(cur, session_id)


async def list_sessions(pool, account: str) -> list[dict]:
    async with db.cursor(pool) as cur:
        return await sessions_db.list_live(cur, account, max_age=SESSION_MAX_AGE)


async def end(pool, account: str, session_id: int) -> bool:
    """End one of the account's sessions (False: no such live session of theirs)."""
    return bool(await _end(pool, account, session_id, all_but_it=False))


async def end_others(pool, account: str, keep_session_id: int) -> int:
    """End every session of the account but this one; how many."""
    return len(await _end(pool, account, keep_session_id, all_but_it=True))


async def _end(pool, account: str, session_id: int, *, all_but_it: bool) -> list[int]:
    async with db.cursor(pool) as cur:
        async with cur.begin():
            return await sessions_db.end(cur, account, session_id, all_but_it=all_but_it)


async def forget_over(pool, kept_for: float) -> int:
    """Delete logins over (ended, or past their age limit) for longer than `kept_for` seconds; how many."""
    async with db.cursor(pool) as cur:
        return await sessions_db.delete_over(cur, max_age=SESSION_MAX_AGE, kept_for=kept_for)
