"""Queries on `accounts` and their `ssh_public_keys`."""
from __future__ import annotations

import psycopg2.errors

from capsul.hub.db import Conflict


async def ensure_account(cur, email: str) -> dict:
    await cur.execute(
        """INSERT INTO accounts (email) VALUES (lower(%s))
           ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING *""", (email,))
    return await cur.fetchone()


async def add_ssh_key(cur, account: str, name: str, content: str) -> None:
    try:
        await cur.execute("INSERT INTO ssh_public_keys (account, name, content) VALUES (%s, %s, %s)",
                          (account, name, content))
    except psycopg2.errors.UniqueViolation:
        raise Conflict(f"you already have a key named {name!r} or with the same content") from None


async def ssh_keys_by_name(cur, account: str, names: list[str]) -> list[dict]:
    await cur.execute(
        "SELECT name, content FROM ssh_public_keys WHERE account = %s AND name = ANY(%s) ORDER BY name",
        (account, list(names)))
    return await cur.fetchall()
