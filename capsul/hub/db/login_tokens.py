"""Queries on `login_tokens`: login links, stored as hashes (the service is hub/accounts/login_tokens.py)."""
from __future__ import annotations


async def lock_email(cur, email: str) -> None:
    """Serialise link requests for one address until the transaction ends (a lock per address)."""
    await cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (email,))


async def recent_counts(cur, email: str, client_ip: str | None, email_window: float, client_window: float) -> dict:
    """{by_email, by_client}: links asked for this address / from this client within the windows."""
    await cur.execute(
        """SELECT count(*) FILTER (WHERE email = %s AND created_at > now() - make_interval(secs => %s)) AS by_email,
                  count(*) FILTER (WHERE requested_by = %s AND created_at > now() - make_interval(secs => %s))
                      AS by_client
           FROM login_tokens WHERE email = %s OR requested_by = %s""",
        (email, email_window, client_ip, client_window, email, client_ip))
    return await cur.fetchone()


async def insert(cur, token_hash: str, email: str, client_ip: str | None, ttl: float) -> None:
    await cur.execute(
        """INSERT INTO login_tokens (token_hash, email, requested_by, expires_at)
           VALUES (%s, %s, %s, now() + make_interval(secs => %s))""", (token_hash, email, client_ip, ttl))


async def use(cur, token_hash: str) -> str | None:
    """Mark the link used; its email, or None when it is unknown, used already or expired."""
    await cur.execute(
        """UPDATE login_tokens SET used_at = now()
           WHERE token_hash = %s AND used_at IS NULL AND expires_at > now() RETURNING email""", (token_hash,))
    row = await cur.fetchone()
    return row["email"] if row else None


async def usable_email(cur, token_hash: str) -> str | None:
    """The email of a link not used and not expired, or None; the link stays as it is."""
    await cur.execute("SELECT email FROM login_tokens WHERE token_hash = %s AND used_at IS NULL AND expires_at > now()",
                      (token_hash,))
    row = await cur.fetchone()
    return row["email"] if row else None


async def delete_expired(cur, kept_for: float) -> int:
    """Delete links expired for longer than `kept_for` seconds; how many."""
    await cur.execute("DELETE FROM login_tokens WHERE expires_at < now() - make_interval(secs => %s)", (kept_for,))
    return cur.rowcount
