"""Logged-in browsers, kept in the database so that logging out means it.

    secret, session_id = await start(cur, account, client_address, user_agent)   # at login
    found = await check(pool, secret)        # (session id, account) or None, on each request
    await end(pool, account, session_id)      # log out one browser; NOTIFYs its websockets away

The encrypted session cookie holds `secret`; only its SHA-256 is stored. A session counts
while its row is not ended and younger than SESSION_MAX_AGE, so a copied cookie dies with the
logout, and a person can end the sessions of browsers they no longer hold.
"""
from __future__ import annotations

import secrets

from capsul.hub import db
from capsul.hub.accounts.stored_secrets import secret_hash

SESSION_MAX_AGE = 30 * 24 * 3600  # seconds a login lasts
LAST_SEEN_PRECISION = 300  # seconds: last_seen_at is written at most this often per session
MAX_USER_AGENT = 300
ENDED_CHANNEL = "login_session_ended"  # payload: the session id; hubs close its websockets


async def start(cur, account: str, client_address: str | None, user_agent: str | None) -> tuple[str, int]:
    secret = secrets.token_urlsafe(32)
    await cur.execute(
        """INSERT INTO login_sessions (secret_hash, account, client_address, user_agent)
           VALUES (%s, %s, %s, %s) RETURNING id""",
        (secret_hash(secret), account, client_address, (user_agent or "")[:MAX_USER_AGENT] or None))
    return secret, (await cur.fetchone())["id"]


async def check(pool, secret: str) -> tuple[int, str] | None:
    """The live session holding this secret, as (id, account); None if it ended or expired."""
    if not isinstance(secret, str) or len(secret) > 100:
        return None
    async with db.cursor(pool) as cur:
        await cur.execute(
            """SELECT id, account, last_seen_at < now() - make_interval(secs => %s) AS stale
               FROM login_sessions
               WHERE secret_hash = %s AND ended_at IS NULL
                 AND created_at > now() - make_interval(secs => %s)""",
            (LAST_SEEN_PRECISION, secret_hash(secret), SESSION_MAX_AGE))
        row = await cur.fetchone()
        if row is None:
            return None
        if row["stale"]:
            await cur.execute("UPDATE login_sessions SET last_seen_at = now() WHERE id = %s", (row["id"],))
    return row["id"], row["account"]


async def is_live(pool, session_id: int) -> bool:
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT 1 FROM login_sessions WHERE id = %s AND ended_at IS NULL", (session_id,))
        return await cur.fetchone() is not None


async def list_sessions(pool, account: str) -> list[dict]:
    async with db.cursor(pool) as cur:
        await cur.execute(
            """SELECT id, created_at, last_seen_at, host(client_address) AS client_address, user_agent
               FROM login_sessions
               WHERE account = %s AND ended_at IS NULL AND created_at > now() - make_interval(secs => %s)
               ORDER BY last_seen_at DESC, id DESC""",
            (account, SESSION_MAX_AGE))
        return list(await cur.fetchall())


async def end(pool, account: str, session_id: int) -> bool:
    """End one of the account's sessions (False: no such live session of theirs)."""
    return bool(await _end(pool, "account = %s AND id = %s", (account, session_id)))


async def end_others(pool, account: str, keep_session_id: int) -> int:
    """End every session of the account but this one; how many."""
    return len(await _end(pool, "account = %s AND id <> %s", (account, keep_session_id)))


async def _end(pool, where: str, params: tuple) -> list[int]:
    async with db.cursor(pool) as cur:
        async with cur.begin():
            await cur.execute(f"UPDATE login_sessions SET ended_at = now() WHERE ended_at IS NULL AND {where} "
                              "RETURNING id", params)
            ended = [r["id"] for r in await cur.fetchall()]
            for session_id in ended:  # delivered at commit, to every hub
                await cur.execute("SELECT pg_notify(%s, %s)", (ENDED_CHANNEL, str(session_id)))
    return ended


async def forget_over(cur, kept_for: float) -> int:
    """Delete logins over (ended, or past their age limit) for longer than `kept_for` seconds; how many."""
    await cur.execute(
        """DELETE FROM login_sessions
           WHERE coalesce(ended_at, created_at + make_interval(secs => %s)) < now() - make_interval(secs => %s)""",
        (SESSION_MAX_AGE, kept_for))
    return cur.rowcount
