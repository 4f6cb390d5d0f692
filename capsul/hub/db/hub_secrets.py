"""Queries on `hub_secrets`: secrets every hub process must share, made once by the first."""
from __future__ import annotations


async def get_or_make(cur, name: str, make) -> str:
    """The secret `name`; `make()` gives its value if no hub has made it yet."""
    await cur.execute("INSERT INTO hub_secrets (name, value) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
                      (name, make()))
    await cur.execute("SELECT value FROM hub_secrets WHERE name = %s", (name,))
    return (await cur.fetchone())["value"]
