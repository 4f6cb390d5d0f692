"""Queries on what can be bought: `vm_sizes` and `os_images`."""
from __future__ import annotations

from capsul.hub.db import NotFound


async def get_size(cur, size_id: str, *, include_deprecated: bool = False) -> dict:
    await cur.execute("SELECT * FROM vm_sizes WHERE id = %s AND (%s OR NOT deprecated)",
                      (size_id, include_deprecated))
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"unknown size {size_id!r}")
    return row


async def get_image(cur, image_id: str, *, include_deprecated: bool = False) -> dict:
    await cur.execute("SELECT * FROM os_images WHERE id = %s AND (%s OR NOT deprecated)",
                      (image_id, include_deprecated))
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"unknown OS image {image_id!r}")
    return row


async def list_sizes(cur) -> list[dict]:
    """What can be bought now, cheapest first."""
    await cur.execute("SELECT * FROM vm_sizes WHERE NOT deprecated ORDER BY dollars_per_month, id")
    return await cur.fetchall()


async def list_images(cur) -> list[dict]:
    await cur.execute("SELECT * FROM os_images WHERE NOT deprecated ORDER BY description, id")
    return await cur.fetchall()
