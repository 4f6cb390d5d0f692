"""Queries on what can be bought: `vm_sizes` and `os_images`."""
from __future__ import annotations

import psycopg2.errors

from capsul import vm_states
from capsul.hub.db import Conflict, NotFound


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


# --- operators' edits (run.py sizes / add-size / deprecate-size, images / add-image / deprecate-image) ---

ID_RE = r"^[a-z0-9][a-z0-9_.-]{0,62}$"


async def list_everything(cur, table: str) -> list[dict]:
    """Every size or image, deprecated ones too, with how many live capsuls use each."""
    column = {"vm_sizes": "size", "os_images": "os"}[table]
    order = "t.dollars_per_month, t.id" if table == "vm_sizes" else "t.id"
    await cur.execute(
        f"""SELECT t.*, (SELECT count(*) FROM vms v WHERE v.{column} = t.id
                         AND {vm_states.live_sql('v.state')}) AS capsuls
            FROM {table} t ORDER BY {order}""")
    return await cur.fetchall()


async def add_size(cur, size_id: str, dollars_per_month, vcpus: int, memory_mb: int, disk_gb: int,
                   bandwidth_gb: int) -> dict:
    await cur.execute(
        """INSERT INTO vm_sizes (id, dollars_per_month, vcpus, memory_mb, disk_gb, bandwidth_gb)
           VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING RETURNING *""",
        (size_id, dollars_per_month, vcpus, memory_mb, disk_gb, bandwidth_gb))
    row = await cur.fetchone()
    if row is None:
        raise Conflict(f"size {size_id!r} exists already (prices of sizes in use are not changed: "
                       "deprecate it and add another)")
    return row


async def add_image(cur, image_id: str, description: str, file_name: str | None, kernel_file: str | None,
                    initrd_file: str | None, kernel_cmdline: str | None, *, url: str | None = None,
                    sha256: str | None = None, size_bytes: int | None = None) -> dict:
    """A new image. Its digest is its identity: one already offered under another id is a Conflict."""
    if sha256:
        await cur.execute("SELECT id FROM os_images WHERE sha256 = %s", (sha256,))
        if (same := await cur.fetchone()) is not None:
            raise Conflict(f"that file (sha256 {sha256}) is the OS image {same['id']!r} already")
    try:
        await cur.execute(
            """INSERT INTO os_images (id, description, file_name, kernel_file, initrd_file, kernel_cmdline, url,
                                      sha256, size_bytes)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING RETURNING *""",
            (image_id, description, file_name, kernel_file, initrd_file, kernel_cmdline, url, sha256, size_bytes))
    except psycopg2.errors.UniqueViolation:
        raise Conflict(f"that file (sha256 {sha256}) was just offered as another OS image") from None
    row = await cur.fetchone()
    if row is None:
        raise Conflict(f"OS image {image_id!r} exists already (an image is never edited: add one with a new id)")
    return row


async def set_deprecated(cur, table: str, item_id: str, deprecated: bool) -> None:
    """Deprecated sizes and images are no longer offered; capsuls already using them go on."""
    assert table in ("vm_sizes", "os_images")
    await cur.execute(f"UPDATE {table} SET deprecated = %s WHERE id = %s", (deprecated, item_id))
    if cur.rowcount == 0:
        raise NotFound(f"no {'size' if table == 'vm_sizes' else 'OS image'} {item_id!r}")


async def bandwidth_by_size(cur) -> dict[str, int]:
    """Every size's monthly transfer allowance in GB, deprecated sizes included."""
    await cur.execute("SELECT id, bandwidth_gb FROM vm_sizes")
    return {r["id"]: r["bandwidth_gb"] for r in await cur.fetchall()}
