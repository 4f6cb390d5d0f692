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


# What one account may hold at once (capsul/hub/capsuls.py checks it at create): the configured
# ACCOUNT_MAX_* unless an admin set the account's own (NULL: the configured one; 0: no limit).
LIMITS = {"capsuls": "max_capsuls", "vcpus": "max_vcpus", "memory_mb": "max_memory_mb"}


async def own_limits(cur, email: str) -> dict[str, int | None]:
    """The limits set for this account alone: {"capsuls", "vcpus", "memory_mb"} -> int, or None
    where it has the configured one."""
    await cur.execute(f"SELECT {', '.join(LIMITS.values())} FROM accounts WHERE email = %s", (email,))
    row = await cur.fetchone() or {}
    return {kind: row.get(column) for kind, column in LIMITS.items()}


async def set_own_limits(cur, email: str, limits: dict[str, int | None]) -> bool:
    """Set (an int, 0: none) or clear (None: the configured one) each limit; False: no such account."""
    await cur.execute(f"UPDATE accounts SET {', '.join(f'{c} = %s' for c in LIMITS.values())} WHERE email = %s "
                      "RETURNING email", (*(limits[k] for k in LIMITS), email))
    return await cur.fetchone() is not None


def effective_limits(own: dict[str, int | None], config) -> dict[str, int]:
    """What applies: the account's own where set, else the configured ACCOUNT_MAX_* (0: no limit)."""
    configured = {"capsuls": config.account_max_capsuls, "vcpus": config.account_max_vcpus,
                  "memory_mb": config.account_max_memory_mb}
    return {kind: configured[kind] if own.get(kind) is None else own[kind] for kind in LIMITS}
