"""Queries on `accounts` and their `ssh_public_keys`."""
from __future__ import annotations


async def ensure_account(cur, email: str) -> dict:
    await cur.execute(
        """INSERT INTO accounts (email) VALUES (lower(%s))
           ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING *""", (email,))
    return await cur.fetchone()


async def ssh_keys_by_name(cur, account: str, names: list[str]) -> list[dict]:
    await cur.execute(
        "SELECT name, content FROM ssh_public_keys WHERE account = %s AND name = ANY(%s) ORDER BY name",
        (account, list(names)))
    return await cur.fetchall()


async def lock_account(cur, email: str) -> bool:
    """Hold the account's row until the transaction ends (one decision about it at a time); False
    when there is no such account."""
    await cur.execute("SELECT 1 FROM accounts WHERE email = %s FOR UPDATE", (email,))
    return await cur.fetchone() is not None


async def exists(cur, email: str) -> bool:
    await cur.execute("SELECT 1 FROM accounts WHERE email = %s", (email,))
    return await cur.fetchone() is not None
