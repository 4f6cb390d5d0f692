"""Queries on `login_sessions`: logged-in browsers (the service is hub/accounts/login_sessions.py)."""
from __future__ import annotations

ENDED_CHANNEL = "login_session_ended"  # payload: the session id; hubs close its websockets


async def insert(cur, secret_hash: str, account: str, client_address: str | None, user_agent: str | None,
                 second_factor: bool = False) -> int:
    """`second_factor`: the login used one (second_factor_at is now)."""
    await cur.execute(
        """INSERT INTO login_sessions (secret_hash, account, client_address, user_agent, second_factor_at)
           VALUES (%s, %s, %s, %s, CASE WHEN %s THEN now() END) RETURNING id""",
        (secret_hash, account, client_address, user_agent, second_factor))
    return (await cur.fetchone())["id"]


async def find_live(cur, secret_hash: str, *, max_age: float, seen_precision: float) -> dict | None:
    """The live session holding this secret (id, account, expires_at), its last_seen_at refreshed when older
    than `seen_precision` seconds; None if it ended or is older than `max_age`."""
    await cur.execute(
        """SELECT id, account, last_seen_at < now() - make_interval(secs => %s) AS stale,
                  created_at + make_interval(secs => %s) AS expires_at
           FROM login_sessions
           WHERE secret_hash = %s AND ended_at IS NULL AND created_at > now() - make_interval(secs => %s)""",
        (seen_precision, max_age, secret_hash, max_age))
    row = await cur.fetchone()
    if row is not None and row["stale"]:
        await cur.execute("UPDATE login_sessions SET last_seen_at = now() WHERE id = %s", (row["id"],))
    return row


async def is_live(cur, session_id: int) -> bool:
    await cur.execute("SELECT 1 FROM login_sessions WHERE id = %s AND ended_at IS NULL", (session_id,))
    return await cur.fetchone() is not None


async def list_live(cur, account: str, *, max_age: float) -> list[dict]:
    await cur.execute(
        """SELECT id, created_at, last_seen_at, host(client_address) AS client_address, user_agent
           FROM login_sessions
           WHERE account = %s AND ended_at IS NULL AND created_at > now() - make_interval(secs => %s)
           ORDER BY last_seen_at DESC, id DESC""", (account, max_age))
    return list(await cur.fetchall())


async def end(cur, account: str, session_id: int, *, all_but_it: bool = False) -> list[int]:
    """End the account's session `session_id` (or every other one); the ids ended, each NOTIFYd
    on ENDED_CHANNEL (delivered at commit, to every hub). Must run inside a transaction."""
    await cur.execute(
        f"""UPDATE login_sessions SET ended_at = now()
            WHERE ended_at IS NULL AND account = %s AND id {'<>' if all_but_it else '='} %s RETURNING id""",
        (account, session_id))
    ended = [r["id"] for r in await cur.fetchall()]
    for ended_id in ended:
        await cur.execute("SELECT pg_notify(%s, %s)", (ENDED_CHANNEL, str(ended_id)))
    return ended


async def delete_over(cur, *, max_age: float, kept_for: float) -> int:
    """Delete sessions over (ended, or past `max_age`) for longer than `kept_for` seconds; how many."""
    await cur.execute(
        """DELETE FROM login_sessions
           WHERE coalesce(ended_at, created_at + make_interval(secs => %s)) < now() - make_interval(secs => %s)""",
        (max_age, kept_for))
    return cur.rowcount
