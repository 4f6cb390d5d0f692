"""Usage samples, their roll-ups, monthly transfer and allowance notices (schema.sql, usage_*)."""
from __future__ import annotations

from datetime import datetime

from psycopg2.extras import Json

SAMPLED_CHANNEL = "usage_sampled"  # NOTIFY after a batch, payload the host's id (live graphs)
FIGURES = ("disk_read_bytes", "disk_write_bytes", "disk_read_ops", "disk_write_ops", "net_rx_bytes", "net_tx_bytes")
# Each level: its table, bucket width, where it is rolled up from, how long it is kept.
LEVELS = {
    "5min": ("usage_5min", "5 minutes", "usage_samples", "31 days"),
    "hourly": ("usage_hourly", "1 hour", "usage_5min", "395 days"),  # 13 months
}
RAW_KEPT = "24 hours"


async def ingest(cur, host_id: str, samples: list[dict]) -> int:
    """One statement for the whole batch: samples of capsuls this host owns are stored (one it
    already has is ignored, so a resent batch changes nothing), their transfer is added to the
    month, and a roll-up bucket already done is marked to be done again. Returns how many were new."""
    await cur.execute(
        f"""WITH batch AS (
              SELECT * FROM jsonb_to_recordset(%s) AS s(
                vm_id text, at timestamptz, seconds double precision, vcpus integer, cpu_seconds double precision,
                memory_bytes bigint, {', '.join(f'{f} bigint' for f in FIGURES)})),
            new AS (
              INSERT INTO usage_samples (vm_id, at, seconds, vcpus, cpu_seconds, memory_bytes, {', '.join(FIGURES)})
              SELECT b.vm_id, b.at, b.seconds, b.vcpus, b.cpu_seconds, b.memory_bytes, {', '.join(f'b.{f}' for f in FIGURES)}
              FROM batch b JOIN vms v ON v.id = b.vm_id AND v.host_id = %s
              ON CONFLICT (vm_id, at) DO NOTHING
              RETURNING vm_id, at, net_rx_bytes + net_tx_bytes AS transfer),
            monthly AS (
              INSERT INTO usage_monthly (vm_id, month, transfer_bytes)
              SELECT vm_id, date_trunc('month', (at - interval '1 microsecond') AT TIME ZONE 'UTC')::date, sum(transfer)
              FROM new GROUP BY 1, 2  -- an interval ending at midnight belongs to the month before
              ON CONFLICT (vm_id, month) DO UPDATE
                SET transfer_bytes = usage_monthly.transfer_bytes + EXCLUDED.transfer_bytes),
            late AS (
              UPDATE usage_rollup_marks m SET dirty_from = LEAST(m.dirty_from, e.earliest)
              FROM (SELECT min(at) - interval '1 microsecond' AS earliest FROM new) e
              WHERE m.level = '5min' AND e.earliest < m.done_until)
            SELECT count(*) AS n FROM new""",
        (Json(samples), host_id))
    return (await cur.fetchone())["n"]


def _rollup_sql(level: str) -> str:
    table, width, source, _ = LEVELS[level]
    if source == "usage_samples":
        sums = ("count(*), sum(seconds), sum(seconds * vcpus), sum(cpu_seconds), sum(memory_bytes * seconds), "
                "max(memory_bytes)")
        # a sample is stamped with its interval's end: one ending on a bucket's edge belongs to the bucket before
        bucket_of, span = "at - interval '1 microsecond'", "at > %(start)s AND at <= %(end)s"
    else:
        sums = ("sum(samples), sum(seconds), sum(vcpu_seconds), sum(cpu_seconds), sum(memory_byte_seconds), "
                "max(memory_max_bytes)")
        bucket_of, span = "bucket", "bucket >= %(start)s AND bucket < %(end)s"
    return f"""
        INSERT INTO {table} (vm_id, bucket, samples, seconds, vcpu_seconds, cpu_seconds, memory_byte_seconds,
                             memory_max_bytes, {', '.join(FIGURES)})
        SELECT vm_id, date_bin('{width}', {bucket_of}, timestamptz '2000-01-01 00:00:00+00') AS b, {sums},
               {', '.join(f'sum({f})' for f in FIGURES)}
        FROM {source}
        WHERE {span}
        GROUP BY vm_id, b
        ON CONFLICT (vm_id, bucket) DO UPDATE SET
          samples = EXCLUDED.samples, seconds = EXCLUDED.seconds, vcpu_seconds = EXCLUDED.vcpu_seconds,
          cpu_seconds = EXCLUDED.cpu_seconds, memory_byte_seconds = EXCLUDED.memory_byte_seconds,
          memory_max_bytes = EXCLUDED.memory_max_bytes, {', '.join(f'{f} = EXCLUDED.{f}' for f in FIGURES)}"""


async def roll_up(cur, level: str, now: datetime) -> tuple[datetime, datetime] | None:
    """Roll up every complete bucket not yet done (or redone after late samples); the span done,
    or None when there was nothing to do. Run by one hub at a time (the caller's advisory lock)."""
    table, width, source, _ = LEVELS[level]
    end_expr = ("date_bin(%(width)s, %(now)s, timestamptz '2000-01-01 00:00:00+00')" if level == "5min"
                else "(SELECT done_until FROM usage_rollup_marks WHERE level = '5min')")  # complete 5-min buckets only
    first_source = ("(SELECT min(at) - interval '1 microsecond' FROM usage_samples)" if level == "5min"
                    else "(SELECT min(bucket) FROM usage_5min)")
    await cur.execute(
        f"""SELECT date_bin(%(width)s, LEAST(m.dirty_from, COALESCE(m.done_until, {first_source})),
                            timestamptz '2000-01-01 00:00:00+00') AS start,
                   date_bin(%(width)s, {end_expr}, timestamptz '2000-01-01 00:00:00+00') AS end
            FROM (VALUES (%(level)s)) l(level) LEFT JOIN usage_rollup_marks m USING (level)""",
        {"width": width, "now": now, "level": level})
    row = await cur.fetchone()
    start, end = row["start"], row["end"]
    if start is None or end is None or start >= end:
        return None
    await cur.execute(_rollup_sql(level), {"start": start, "end": end})
    await cur.execute(
        """INSERT INTO usage_rollup_marks (level, done_until, dirty_from) VALUES (%s, %s, NULL)
           ON CONFLICT (level) DO UPDATE SET done_until = EXCLUDED.done_until, dirty_from = NULL""", (level, end))
    if level == "5min":  # the hours these buckets belong to are redone too
        await cur.execute(
            """INSERT INTO usage_rollup_marks (level, dirty_from) VALUES ('hourly', date_trunc('hour', %s))
               ON CONFLICT (level) DO UPDATE SET dirty_from = LEAST(usage_rollup_marks.dirty_from, EXCLUDED.dirty_from)
               WHERE usage_rollup_marks.done_until IS NOT NULL AND EXCLUDED.dirty_from < usage_rollup_marks.done_until""",
            (start,))
    return start, end


async def prune(cur, now: datetime) -> dict[str, int]:
    """Drop what is past its keeping time; how many rows of each table."""
    removed = {}
    for table, kept in [("usage_samples", RAW_KEPT)] + [(t, k) for t, _, _, k in LEVELS.values()]:
        column = "at" if table == "usage_samples" else "bucket"
        await cur.execute(f"DELETE FROM {table} WHERE {column} < %s - %s::interval", (now, kept))
        removed[table] = cur.rowcount
    return removed


# What each range of a graph reads: the table, its time column, the bucket width in seconds.
RANGES = {
    "1h": ("usage_samples", "at", "1 hour", None),
    "1d": ("usage_5min", "bucket", "1 day", 300),
    "7d": ("usage_5min", "bucket", "7 days", 300),
    "30d": ("usage_hourly", "bucket", "30 days", 3600),
}


async def series(cur, vm_id: str, range_name: str, now: datetime) -> list[dict]:
    """One capsul's points over a range, oldest first, as rates: CPU % of its vCPUs, memory
    (average over the point), and bytes per second."""
    table, column, span, _ = RANGES[range_name]
    if table == "usage_samples":
        figures = ("100 * cpu_seconds / (seconds * vcpus) AS cpu_percent, memory_bytes::double precision AS memory_bytes, "
                   + ", ".join(f"{f} / seconds AS {f}_per_s" for f in ("disk_read_bytes", "disk_write_bytes",
                                                                       "net_rx_bytes", "net_tx_bytes")))
    else:
        figures = ("100 * cpu_seconds / NULLIF(vcpu_seconds, 0) AS cpu_percent, "
                   "memory_byte_seconds / NULLIF(seconds, 0) AS memory_bytes, "
                   + ", ".join(f"{f} / NULLIF(seconds, 0) AS {f}_per_s" for f in ("disk_read_bytes", "disk_write_bytes",
                                                                                  "net_rx_bytes", "net_tx_bytes")))
    await cur.execute(
        f"""SELECT extract(epoch FROM {column}) AS t, {figures} FROM {table}
            WHERE vm_id = %s AND {column} > %s - %s::interval ORDER BY {column}""", (vm_id, now, span))
    return await cur.fetchall()


async def latest(cur, vm_ids: list[str]) -> dict[str, dict]:
    """Each capsul's newest raw sample, as series() gives points."""
    await cur.execute(
        """SELECT DISTINCT ON (vm_id) vm_id, extract(epoch FROM at) AS t,
                  100 * cpu_seconds / (seconds * vcpus) AS cpu_percent, memory_bytes::double precision AS memory_bytes,
                  disk_read_bytes / seconds AS disk_read_bytes_per_s, disk_write_bytes / seconds AS disk_write_bytes_per_s,
                  net_rx_bytes / seconds AS net_rx_bytes_per_s, net_tx_bytes / seconds AS net_tx_bytes_per_s
           FROM usage_samples WHERE vm_id = ANY(%s) AND at > now() - interval '1 hour'
           ORDER BY vm_id, at DESC""", (vm_ids,))
    return {row.pop("vm_id"): row for row in await cur.fetchall()}


async def notify_sampled(cur, host_id: str) -> None:
    """Every hub's pages watching a capsul fetch its newest point (hub/live.py)."""
    await cur.execute("SELECT pg_notify(%s, %s)", (SAMPLED_CHANNEL, host_id))


async def transfer_this_month(cur, vm_ids: list[str], now: datetime) -> dict[str, int]:
    await cur.execute(
        """SELECT vm_id, transfer_bytes FROM usage_monthly
           WHERE vm_id = ANY(%s) AND month = date_trunc('month', %s AT TIME ZONE 'UTC')::date""", (vm_ids, now))
    return {r["vm_id"]: r["transfer_bytes"] for r in await cur.fetchall()}


async def top_consumers(cur, now: datetime, limit: int = 10) -> list[dict]:
    await cur.execute(
        """SELECT m.vm_id, v.account, v.size, m.transfer_bytes, s.bandwidth_gb
           FROM usage_monthly m JOIN vms v ON v.id = m.vm_id JOIN vm_sizes s ON s.id = v.size
           WHERE m.month = date_trunc('month', %s AT TIME ZONE 'UTC')::date
           ORDER BY m.transfer_bytes DESC LIMIT %s""", (now, limit))
    return await cur.fetchall()


async def over_allowance(cur, now: datetime, percent: int) -> list[dict]:
    """Capsuls past `percent` of their allowance this month whose owner has not been told yet."""
    await cur.execute(
        """SELECT m.vm_id, v.account, m.transfer_bytes, s.bandwidth_gb, m.month
           FROM usage_monthly m JOIN vms v ON v.id = m.vm_id JOIN vm_sizes s ON s.id = v.size
           WHERE m.month = date_trunc('month', %s AT TIME ZONE 'UTC')::date AND s.bandwidth_gb > 0
             AND m.transfer_bytes >= s.bandwidth_gb * 1000000000::bigint * %s / 100
             AND NOT EXISTS (SELECT 1 FROM bandwidth_notices n
                             WHERE n.vm_id = m.vm_id AND n.month = m.month AND n.percent = %s)
           ORDER BY m.vm_id""", (now, percent, percent))
    return await cur.fetchall()


async def record_notice(cur, vm_id: str, month, percent: int) -> bool:
    """True if this notice was not recorded before (whoever records it sends the mail)."""
    await cur.execute(
        """INSERT INTO bandwidth_notices (vm_id, month, percent) VALUES (%s, %s, %s)
           ON CONFLICT DO NOTHING RETURNING vm_id""", (vm_id, month, percent))
    return await cur.fetchone() is not None
