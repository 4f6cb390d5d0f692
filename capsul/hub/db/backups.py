"""Queries of the backup catalogue (capsul/hub/backups/, docs/backups.md): a backup asked for,
its progress as its host reports it, its end, the list a person sees, schedules, retention and
the storage billed.

A backup is offered for restore only once it is `done`: its image is in the backup store with
the digest recorded. Each change NOTIFYs `vm_changed` with state `backup` (no timeline entry), so
an open capsul page shows the progress live (hub/live.py)."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import psycopg2

from capsul.hub.db import NotFound, vms

UNDER_WAY = ("queued", "taking", "uploading", "waiting-for-store")
COLUMNS = """id, vm_id, account, host_id, reason, status, consistency, os_image, disk_bytes, image_bytes,
             stored_bytes, digest, snapshot, done_bytes, protected, error, requested_at, taken_at, finished_at,
             pruned_at"""
SCHEDULE_DEFAULTS = {"daily": False, "window_start": 2, "window_hours": 4, "keep_last": 3, "keep_daily": 7,
                     "keep_weekly": 4, "keep_monthly": 3}


class AlreadyUnderWay(Exception):
    """This capsul has a backup under way; str() says so."""


async def _notify(cur, backup: dict) -> None:
    view = view_of(backup)
    await cur.execute(
        """SELECT pg_notify(%s, json_build_object('vm_id', %s::text, 'account', %s::text, 'state', 'backup',
                                                  'timeline', false, 'backup', %s::json)::text)""",
        (vms.NOTIFY_CHANNEL, backup["vm_id"], backup["account"], json.dumps(view)))


def view_of(row: dict, total_bytes: int | None = None) -> dict:
    """A backup as pages, the API and live updates show it."""
    def at(value):
        return value.isoformat() if isinstance(value, datetime) else value
    return {"id": str(row["id"]), "capsul": row["vm_id"], "status": row["status"], "reason": row["reason"],
            "consistency": row["consistency"], "os_image": row["os_image"], "disk_bytes": row["disk_bytes"],
            "image_bytes": row["image_bytes"], "stored_bytes": row["stored_bytes"], "digest": row["digest"],
            "protected": row["protected"], "error": row["error"], "done_bytes": row["done_bytes"],
            "total_bytes": total_bytes if total_bytes is not None else row.get("total_bytes"),
            "requested_at": at(row["requested_at"]), "taken_at": at(row["taken_at"]),
            "finished_at": at(row["finished_at"])}


async def request(cur, vm: dict, reason: str, backup_id: uuid.UUID | None = None) -> dict:
    """A backup of `vm` asked for (queued, on its host); AlreadyUnderWay when one is."""
    backup_id = backup_id or uuid.uuid4()
    try:  # NOTE: not inside a transaction: a unique violation ends only this statement
        await cur.execute(
            f"""INSERT INTO backups (id, vm_id, account, host_id, reason, os_image)
                VALUES (%s, %s, %s, %s, %s, %s) RETURNING {COLUMNS}""",
            (str(backup_id), vm["id"], vm["account"], vm["host_id"], reason, vm["os"]))
    except psycopg2.errors.UniqueViolation:
        raise AlreadyUnderWay("A backup of this capsul is under way already: wait until it has finished.") from None
    row = await cur.fetchone()
    await _notify(cur, row)
    return row


async def get(cur, backup_id: str, account: str | None = None) -> dict:
    try:
        uuid.UUID(str(backup_id))
    except ValueError:
        raise NotFound(f"no backup {backup_id}") from None
    await cur.execute(f"SELECT {COLUMNS} FROM backups WHERE id = %s AND (%s::text IS NULL OR account = %s)",
                      (str(backup_id), account, account))
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no backup {backup_id}")
    return row


async def of_capsul(cur, vm_id: str, *, include_pruned: bool = False) -> list[dict]:
    """Newest first: done, under way and failed ones (pruned ones too when asked)."""
    await cur.execute(f"""SELECT {COLUMNS} FROM backups WHERE vm_id = %s AND (%s OR status <> 'pruned')
                          ORDER BY requested_at DESC LIMIT 200""", (vm_id, include_pruned))
    return await cur.fetchall()


async def under_way(cur, limit: int = 200) -> list[dict]:
    await cur.execute(f"""SELECT {COLUMNS} FROM backups WHERE status = ANY(%s) ORDER BY requested_at LIMIT %s""",
                      (list(UNDER_WAY), limit))
    return await cur.fetchall()


async def has_one_under_way(cur, vm_id: str) -> bool:
    await cur.execute("SELECT 1 FROM backups WHERE vm_id = %s AND status = ANY(%s)", (vm_id, list(UNDER_WAY)))
    return await cur.fetchone() is not None


async def record_progress(cur, backup_id: str, answer: dict) -> dict | None:
    """The host's answer to "how is it going": the row moved on (and NOTIFYd when it changed)."""
    status = answer.get("status")
    await cur.execute(f"SELECT {COLUMNS} FROM backups WHERE id = %s FOR UPDATE", (backup_id,))
    row = await cur.fetchone()
    if row is None or row["status"] not in UNDER_WAY:
        return row
    if status == "done":
        taken = datetime.fromtimestamp(float(answer["taken_at"]), timezone.utc)
        await cur.execute(
            f"""UPDATE backups SET status = 'done', consistency = %s, disk_bytes = %s, image_bytes = %s,
                    stored_bytes = %s, digest = %s, snapshot = %s, taken_at = %s, finished_at = now(),
                    done_bytes = %s, error = NULL
                WHERE id = %s RETURNING {COLUMNS}""",
            (answer["consistency"], int(answer["disk_bytes"]), int(answer["image_bytes"]),
             int(answer["stored_bytes"]), answer["digest"], answer["snapshot"], taken, int(answer["image_bytes"]),
             backup_id))
    elif status == "failed":
        await cur.execute(f"""UPDATE backups SET status = 'failed', error = %s, finished_at = now()
                              WHERE id = %s RETURNING {COLUMNS}""", (str(answer.get("error"))[:500], backup_id))
    else:
        error = answer.get("waiting_because") if status == "waiting-for-store" else None
        if (status, answer.get("done_bytes"), error) == (row["status"], row["done_bytes"], row["error"]):
            return row
        await cur.execute(f"""UPDATE backups SET status = %s, done_bytes = %s, error = %s
                              WHERE id = %s RETURNING {COLUMNS}""",
                          (status, int(answer.get("done_bytes") or 0), error, backup_id))
    row = await cur.fetchone()
    await _notify(cur, {**row, "total_bytes": answer.get("total_bytes")})
    return row


async def fail(cur, backup_id: str, error: str) -> None:
    await cur.execute(f"""UPDATE backups SET status = 'failed', error = %s, finished_at = now()
                          WHERE id = %s AND status = ANY(%s) RETURNING {COLUMNS}""",
                      (error[:500], backup_id, list(UNDER_WAY)))
    row = await cur.fetchone()
    if row is not None:
        await _notify(cur, row)


async def set_protected(cur, backup_id: str, account: str | None, protected: bool) -> dict:
    row = await get(cur, backup_id, account)
    await cur.execute(f"UPDATE backups SET protected = %s WHERE id = %s RETURNING {COLUMNS}",
                      (protected, row["id"]))
    row = await cur.fetchone()
    await _notify(cur, row)
    return row


async def mark_pruned(cur, backup_ids: list[str]) -> None:
    await cur.execute(f"""UPDATE backups SET status = 'pruned', pruned_at = now()
                          WHERE id = ANY(%s::uuid[]) AND status = 'done' AND NOT protected RETURNING {COLUMNS}""",
                      (backup_ids,))
    for row in await cur.fetchall():
        await _notify(cur, row)


async def schedule_of(cur, vm_id: str) -> dict:
    await cur.execute("""SELECT daily, window_start, window_hours, keep_last, keep_daily, keep_weekly, keep_monthly
                         FROM backup_schedules WHERE vm_id = %s""", (vm_id,))
    return dict(await cur.fetchone() or SCHEDULE_DEFAULTS)


async def set_schedule(cur, vm_id: str, schedule: dict) -> dict:
    values = {**SCHEDULE_DEFAULTS, **schedule}
    await cur.execute(
        """INSERT INTO backup_schedules (vm_id, daily, window_start, window_hours, keep_last, keep_daily,
                                         keep_weekly, keep_monthly)
           VALUES (%(vm_id)s, %(daily)s, %(window_start)s, %(window_hours)s, %(keep_last)s, %(keep_daily)s,
                   %(keep_weekly)s, %(keep_monthly)s)
           ON CONFLICT (vm_id) DO UPDATE SET daily = EXCLUDED.daily, window_start = EXCLUDED.window_start,
               window_hours = EXCLUDED.window_hours, keep_last = EXCLUDED.keep_last, keep_daily = EXCLUDED.keep_daily,
               keep_weekly = EXCLUDED.keep_weekly, keep_monthly = EXCLUDED.keep_monthly, updated_at = now()""",
        {**values, "vm_id": vm_id})
    return await schedule_of(cur, vm_id)


async def due_for_schedule(cur, now: datetime) -> list[dict]:
    """Live capsuls with daily backups whose window is open at `now` and that have had no scheduled
    backup asked for since this window opened (windows are hours of the day in UTC)."""
    await cur.execute(
        """SELECT v.id, v.account, v.host_id, v.os, s.window_start, s.window_hours,
                  (SELECT max(b.requested_at) FROM backups b WHERE b.vm_id = v.id AND b.reason = 'scheduled') AS last
           FROM backup_schedules s JOIN vms v ON v.id = s.vm_id
           WHERE s.daily AND v.state IN ('running', 'stopped') AND v.host_id IS NOT NULL""")
    now = now.astimezone(timezone.utc)
    due = []
    for row in await cur.fetchall():
        opened = window_opened(now, row["window_start"], row["window_hours"])
        if opened is not None and (row["last"] is None or row["last"] < opened):
            due.append(row)
    return due


def window_opened(now: datetime, start_hour: int, hours: int) -> datetime | None:
    """When the window of `hours` hours from `start_hour` (UTC) that holds `now` opened; None when
    `now` is outside it."""
    into = (now.hour - start_hour) % 24
    if into >= hours:
        return None
    return now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=into)


async def done_by_capsul(cur) -> dict[str, list[dict]]:
    """Every done backup, by capsul: what retention looks at."""
    await cur.execute("""SELECT id, vm_id, taken_at, protected, snapshot, host_id FROM backups
                         WHERE status = 'done' ORDER BY vm_id, taken_at DESC""")
    found: dict[str, list[dict]] = {}
    for row in await cur.fetchall():
        found.setdefault(row["vm_id"], []).append(row)
    return found


async def stored_bytes_by_account(cur) -> dict[str, int]:
    await cur.execute("""SELECT account, sum(stored_bytes)::bigint AS stored FROM backups
                         WHERE status = 'done' GROUP BY account""")
    return {r["account"]: int(r["stored"] or 0) for r in await cur.fetchall()}


async def per_host(cur) -> list[dict]:
    """The admin page's backup jobs by host: under way now, done and failed in the last day, the
    last failure or store wait in words, and what the store holds for each host's capsuls."""
    await cur.execute(
        """SELECT coalesce(host_id, '(gone)') AS host_id,
                  count(*) FILTER (WHERE status = ANY(%s)) AS under_way,
                  count(*) FILTER (WHERE status = 'done' AND finished_at > now() - interval '1 day') AS done_day,
                  count(*) FILTER (WHERE status = 'failed' AND finished_at > now() - interval '1 day') AS failed_day,
                  coalesce(sum(stored_bytes) FILTER (WHERE status = 'done'), 0)::bigint AS stored_bytes,
                  (array_agg(error ORDER BY coalesce(finished_at, requested_at) DESC)
                     FILTER (WHERE error IS NOT NULL))[1] AS last_error
           FROM backups GROUP BY 1 ORDER BY 1""", (list(UNDER_WAY),))
    return await cur.fetchall()


async def totals(cur) -> dict:
    """For Prometheus (hub/prometheus.py): backups by status, and the bytes the store holds."""
    await cur.execute("""SELECT status, count(*) AS n, coalesce(sum(stored_bytes), 0)::bigint AS stored
                         FROM backups GROUP BY status""")
    rows = await cur.fetchall()
    return {"by_status": {r["status"]: r["n"] for r in rows},
            "stored_bytes": sum(r["stored"] for r in rows if r["status"] == "done")}


async def charge_storage(cur, account: str, hour: datetime, stored_bytes: int, amount) -> None:
    """This hour's charge for the account's backup storage; a second one for the hour is ignored."""
    await cur.execute("""INSERT INTO backup_charges (account, hour, stored_bytes, amount)
                         VALUES (%s, date_trunc('hour', %s::timestamptz), %s, %s)
                         ON CONFLICT (account, hour) DO NOTHING""", (account, hour, stored_bytes, amount))


async def storage_of_account(cur, account: str) -> dict:
    """The account page's backup storage: bytes held now, and what it has been charged in all."""
    await cur.execute(
        """SELECT coalesce((SELECT sum(stored_bytes) FROM backups WHERE account = %s AND status = 'done'), 0)::bigint
                  AS stored_bytes,
                  coalesce((SELECT sum(amount) FROM backup_charges WHERE account = %s), 0) AS charged""",
        (account, account))
    return dict(await cur.fetchone())
