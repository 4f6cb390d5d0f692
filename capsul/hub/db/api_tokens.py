"""Queries on `api_tokens`: personal API tokens, stored as hashes (the service is hub/accounts/api_tokens.py)."""
from __future__ import annotations

REVOKED_CHANNEL = "api_token_revoked"  # payload: the token id; hubs drop its websockets
PUBLIC_COLUMNS = "id, name, scope, created_at, expires_at, last_used_at"


async def count_live(cur, account: str) -> int:
    await cur.execute("SELECT count(*) AS n FROM api_tokens WHERE account = %s AND revoked_at IS NULL", (account,))
    return (await cur.fetchone())["n"]


async def insert(cur, account: str, name: str, token_hash: str, scope: str, expires_in_days: int | None) -> dict:
    """The new token's public columns; UniqueViolation when the account has a live one of that name."""
    await cur.execute(
        f"""INSERT INTO api_tokens (account, name, token_hash, scope, expires_at)
            VALUES (%s, %s, %s, %s, now() + make_interval(days => %s))
            RETURNING {PUBLIC_COLUMNS}""", (account, name, token_hash, scope, expires_in_days))
    return await cur.fetchone()


async def list_live(cur, account: str) -> list[dict]:
    """Tokens not revoked, expired ones included (with `expired`)."""
    await cur.execute(f"""SELECT {PUBLIC_COLUMNS}, expires_at IS NOT NULL AND expires_at <= now() AS expired
                          FROM api_tokens WHERE account = %s AND revoked_at IS NULL
                          ORDER BY created_at, id""", (account,))
    return await cur.fetchall()


async def revoke(cur, account: str, token_id: int) -> dict | None:
    """Revoke it and NOTIFY every hub (at commit); None when the account has no such live token."""
    await cur.execute(
        f"""UPDATE api_tokens SET revoked_at = now()
            WHERE id = %s AND account = %s AND revoked_at IS NULL RETURNING {PUBLIC_COLUMNS}""", (token_id, account))
    row = await cur.fetchone()
    if row is not None:
        await cur.execute("SELECT pg_notify(%s, %s)", (REVOKED_CHANNEL, str(token_id)))
    return row


async def find_usable(cur, token_hash: str, *, used_precision: float) -> dict | None:
    """The live, unexpired token with this hash (id, account, scope, expires_at); its last_used_at
    refreshed when older than `used_precision` seconds, so a busy script costs no write per request."""
    await cur.execute(
        """SELECT id, account, scope, expires_at,
                  last_used_at IS NULL OR last_used_at < now() - make_interval(secs => %s) AS stale
           FROM api_tokens
           WHERE token_hash = %s AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())""",
        (used_precision, token_hash))
    row = await cur.fetchone()
    if row is not None and row["stale"]:
        await cur.execute("UPDATE api_tokens SET last_used_at = now() WHERE id = %s", (row["id"],))
    return row


async def is_usable(cur, token_id: int) -> bool:
    await cur.execute("""SELECT 1 FROM api_tokens
                         WHERE id = %s AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())""",
                      (token_id,))
    return await cur.fetchone() is not None


async def count_made_since(cur, account: str, seconds: float) -> int:
    """Tokens the account made within the last `seconds`, revoked ones included."""
    await cur.execute("""SELECT count(*) AS n FROM api_tokens
                         WHERE account = %s AND created_at > now() - make_interval(secs => %s)""", (account, seconds))
    return (await cur.fetchone())["n"]


async def delete_over(cur, kept_for: float) -> int:
    """Delete tokens revoked or expired for longer than `kept_for` seconds; how many."""
    await cur.execute("""DELETE FROM api_tokens
                         WHERE coalesce(revoked_at, expires_at) < now() - make_interval(secs => %s)""", (kept_for,))
    return cur.rowcount
