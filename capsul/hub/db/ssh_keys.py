"""Queries on `ssh_public_keys` (the service, which checks keys, is hub/accounts/ssh_keys.py)."""
from __future__ import annotations

COLUMNS = "name, content, fingerprint, created_at"


async def names_and_fingerprints(cur, account: str) -> list[dict]:
    await cur.execute("SELECT name, fingerprint FROM ssh_public_keys WHERE account = %s", (account,))
    return await cur.fetchall()


async def insert(cur, account: str, name: str, content: str, fingerprint: str) -> dict:
    """UniqueViolation when the account has this name or key already."""
    await cur.execute(
        f"""INSERT INTO ssh_public_keys (account, name, content, fingerprint)
            VALUES (%s, %s, %s, %s) RETURNING {COLUMNS}""", (account, name, content, fingerprint))
    return await cur.fetchone()


async def list_keys(cur, account: str) -> list[dict]:
    await cur.execute(f"SELECT {COLUMNS} FROM ssh_public_keys WHERE account = %s ORDER BY created_at, name",
                      (account,))
    return await cur.fetchall()


async def delete(cur, account: str, name: str) -> bool:
    await cur.execute("DELETE FROM ssh_public_keys WHERE account = %s AND name = %s RETURNING name", (account, name))
    return await cur.fetchone() is not None
