"""Which backups a capsul keeps, in Proxmox's terms (docs/backups.md "Retention").

The options are taken in this order: keep-last, keep-hourly, keep-daily, keep-weekly,
keep-monthly, keep-yearly. Each keeps the newest backup of each of its last N periods (hours,
days, ISO weeks from Monday, months, years) that have a backup; periods without one do not
count. A period that an earlier option already kept a backup in is skipped: the next option
only reaches further back. Protected backups are always kept and take no place in any count.
With no option set, everything is kept. Periods are read in UTC, so a hub's time zone never
changes what is pruned.

Pure: given (id, taken_at, protected) it answers which ids to keep and which to prune.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable

OPTIONS = ("keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly")


@dataclass(frozen=True)
class Backup:
    id: str
    taken_at: datetime
    protected: bool = False


@dataclass(frozen=True)
class Policy:
    keep_last: int = 0
    keep_hourly: int = 0
    keep_daily: int = 0
    keep_weekly: int = 0
    keep_monthly: int = 0
    keep_yearly: int = 0

    def keeps_everything(self) -> bool:
        return not any(getattr(self, name) for name in OPTIONS)


def _utc(at: datetime) -> datetime:
    return at.astimezone(timezone.utc) if at.tzinfo else at.replace(tzinfo=timezone.utc)


def _period(option: str) -> Callable[[Backup], object]:
    if option == "keep_last":
        return lambda b: b.id  # every backup is a period of its own
    if option == "keep_hourly":
        return lambda b: _utc(b.taken_at).strftime("%Y-%m-%d %H")
    if option == "keep_daily":
        return lambda b: _utc(b.taken_at).date()
    if option == "keep_weekly":
        return lambda b: _utc(b.taken_at).isocalendar()[:2]  # (ISO year, week): the year's end is right
    if option == "keep_monthly":
        return lambda b: (_utc(b.taken_at).year, _utc(b.taken_at).month)
    if option == "keep_yearly":
        return lambda b: _utc(b.taken_at).year
    raise ValueError(option)


def plan(backups: Iterable[Backup], policy: Policy) -> tuple[list[str], list[str]]:
    """(ids kept, ids pruned), each newest first."""
    newest_first = sorted(backups, key=lambda b: (_utc(b.taken_at), b.id), reverse=True)
    if policy.keeps_everything():
        return [b.id for b in newest_first], []
    kept: set[str] = {b.id for b in newest_first if b.protected}
    decided: set[str] = set(kept)
    for option in OPTIONS:
        count = getattr(policy, option)
        if not count:
            continue
        period_of = _period(option)
        covered = {period_of(b) for b in newest_first if b.id in kept and not b.protected}
        taken: set[object] = set()
        for b in newest_first:
            if b.id in decided:
                continue
            period = period_of(b)
            if period in covered:
                continue  # an earlier option kept this period's newest: reach further back
            if period in taken:
                decided.add(b.id)  # an older backup of a period this option already keeps
                continue
            if len(taken) >= count:
                break
            taken.add(period)
            kept.add(b.id)
            decided.add(b.id)
    return ([b.id for b in newest_first if b.id in kept],
            [b.id for b in newest_first if b.id not in kept])
