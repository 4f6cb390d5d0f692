"""Usage on the hub (docs/architecture.md §10): samples pushed by spokes are stored
(hub/db/usage.py), rolled up into 5-minute and hourly buckets and pruned by one hub at a time,
shown as graphs (console, API, live over /ws), and counted against each size's monthly
bandwidth allowance, with a mail to the owner at 80 % and at 100 % (once each a month).

Past the allowance nothing is throttled or billed: the pages show it, the owner is told,
admins see the top consumers. Transfer is received + sent bytes on the capsul's interfaces,
in GB of 10^9 bytes, per calendar month in UTC.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timezone

import aiopg
import psycopg2

from capsul.hub import capsuls, db
from capsul.hub.db import catalog, locks
from capsul.hub.db import hosts as hosts_db
from capsul.hub.db import usage as usage_db
from capsul.hub.mailer import MailFailed, Mailer
from capsul.hub.spokes import leases

log = logging.getLogger(__name__)

ROLLUP_EVERY = 60.0  # seconds
RANGES = tuple(usage_db.RANGES)  # 1h, 1d, 7d, 30d
SERIES = ("cpu_percent", "memory_bytes", "disk_read_bytes_per_s", "disk_write_bytes_per_s",
          "net_rx_bytes_per_s", "net_tx_bytes_per_s")
NOTICE_LEVELS = (80, 100)
GB = 1_000_000_000


def human_bytes(value: float | None) -> str:
    """1234567 -> "1.2 MB" (powers of 1000, as the allowance is counted)."""
    if value is None:
        return "—"
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(value) < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def columns(points: list[dict]) -> dict:
    """Rows -> one list per figure (what the chart library draws), rounded."""
    out = {"t": [round(float(p["t"]), 3) for p in points]}
    for name in SERIES:
        out[name] = [None if p[name] is None else round(float(p[name]), 2) for p in points]
    return out


async def graph(hub: capsuls.Hub, account: str | None, vm_id: str, range_name: str, now: datetime | None = None
                ) -> dict:
    """A capsul's series over a range (CapsulNotFound for anyone else's), with what the page
    needs to say about it: whether its host reports usage at all, and this month's transfer."""
    vm = await capsuls.get_capsul(hub, account, vm_id)
    if range_name not in usage_db.RANGES:
        raise capsuls.InvalidRequest(f"range must be one of {', '.join(RANGES)}")
    now = now or utc_now()
    async with db.cursor(hub.pool) as cur:
        points = await usage_db.series(cur, vm_id, range_name, now)
    glance = await at_a_glance(hub.pool, vm, now)
    return {"capsul": vm_id, "range": range_name, "step_seconds": usage_db.RANGES[range_name][3],
            "usage_reported": glance["usage_reported"], "series": columns(points), "transfer": glance["transfer"]}


async def at_a_glance(pool: aiopg.Pool, vm: dict, now: datetime | None = None) -> dict:
    """What the detail page shows without JavaScript: the newest point, this month's transfer,
    and whether the capsul's host reports usage at all."""
    now = now or utc_now()
    async with db.cursor(pool) as cur:
        latest = (await usage_db.latest(cur, [vm["id"]])).get(vm["id"])
        reports = await hosts_db.reports_usage(cur, vm["host_id"]) if vm.get("host_id") else None
        transfer = (await usage_db.transfer_this_month(cur, [vm["id"]], now)).get(vm["id"], 0)
        size = await catalog.get_size(cur, vm["size"], include_deprecated=True)
    return {"latest": latest, "usage_reported": reports, "transfer": allowance_view(transfer, size["bandwidth_gb"])}


def allowance_view(transfer_bytes: int, bandwidth_gb: int) -> dict:
    percent = round(100 * transfer_bytes / (bandwidth_gb * GB), 1) if bandwidth_gb else None
    return {"bytes": transfer_bytes, "gb": round(transfer_bytes / GB, 2), "allowance_gb": bandwidth_gb,
            "percent": percent}


async def transfers(pool: aiopg.Pool, vms: list[dict], now: datetime | None = None) -> dict[str, dict]:
    """This month's transfer against the allowance, for a list of capsul rows (list and account pages)."""
    if not vms:
        return {}
    async with db.cursor(pool) as cur:
        used = await usage_db.transfer_this_month(cur, [v["id"] for v in vms], now or utc_now())
        allowance = await catalog.bandwidth_by_size(cur)
    return {v["id"]: allowance_view(used.get(v["id"], 0), allowance.get(v["size"], 0)) for v in vms}


async def roll_up_once(pool: aiopg.Pool, now: datetime) -> dict | None:
    """Roll-ups and pruning, in one transaction, by whichever hub holds the lock (None if another does)."""
    async with db.cursor(pool) as cur:
        async with cur.begin():
            if not await locks.try_transaction_lock(cur, locks.USAGE):
                return None
            done = {level: await usage_db.roll_up(cur, level, now) for level in usage_db.LEVELS}
            done["pruned"] = await usage_db.prune(cur, now)
    return done


async def send_allowance_notices(pool: aiopg.Pool, mailer: Mailer, now: datetime) -> int:
    """Mail each owner once per capsul, month and level (80 %, 100 %); how many mails went out."""
    sent = 0
    for percent in NOTICE_LEVELS:
        async with db.cursor(pool) as cur:
            due = await usage_db.over_allowance(cur, now, percent)
        for row in due:
            async with db.cursor(pool) as cur:
                async with cur.begin():
                    if not await usage_db.record_notice(cur, row["vm_id"], row["month"], percent):
                        continue  # another hub sent it
                    try:
                        await mailer.send(row["account"], _notice_subject(row, percent), _notice_body(row, percent))
                    except MailFailed:
                        raise _Retry() from None  # rolls the record back: tried again next run
            sent += 1
    return sent


class _Retry(Exception):
    pass


def _notice_subject(row: dict, percent: int) -> str:
    if percent >= 100:
        return f"{row['vm_id']} has used its monthly transfer allowance"
    return f"{row['vm_id']} has used {percent}% of its monthly transfer allowance"


def _notice_body(row: dict, percent: int) -> str:
    used = row["transfer_bytes"] / GB
    month = row["month"].strftime("%B %Y")
    return (f"Hello,\n\nyour capsul {row['vm_id']} has transferred {used:.1f} GB in {month} (received and sent), "
            f"{percent}% or more of the {row['bandwidth_gb']} GB its size includes each month.\n\n"
            f"Nothing is slowed down or charged for going over: the allowance is what we plan capacity on. If your "
            f"capsul keeps going well past it we may ask you about it.\n")


async def run_rollups(pool: aiopg.Pool, mailer: Mailer, *, every: float = ROLLUP_EVERY,
                      clock: Callable[[], datetime] = utc_now) -> None:
    """Forever: every `every` seconds one hub rolls up, prunes and sends allowance mails."""
    while True:
        try:
            if await leases.take_turn(pool, "usage_rollup", every):
                now = clock()
                await roll_up_once(pool, now)
                try:
                    await send_allowance_notices(pool, mailer, now)
                except _Retry:
                    pass  # the mailer logged why
        except (psycopg2.Error, OSError, TimeoutError) as e:
            log.error("usage roll-up failed (it catches up next time): %s", e)
        await asyncio.sleep(every)
