"""Retention (capsul/hub/backups/retention.py) over synthetic timestamps. Each case is one of the
rules Proxmox documents for its prune options (pbs.proxmox.com, "Maintenance Tasks: Pruning" and
its prune simulator), worked by hand from that text."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from capsul.hub.backups.retention import Backup, Policy, plan


def at(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def named(*stamps: str, protected=()) -> list[Backup]:
    return [Backup(s, at(s), s in protected) for s in stamps]


def test_keep_last_keeps_the_newest_n():
    backups = named("2026-12-01T02:00", "2026-11-30T02:00", "2026-11-29T02:00", "2026-11-28T02:00", "2026-11-27T02:00")
    kept, pruned = plan(backups, Policy(keep_last=3))
    assert kept == ["2026-12-01T02:00", "2026-11-30T02:00", "2026-11-29T02:00"]
    assert pruned == ["2026-11-28T02:00", "2026-11-27T02:00"]


def test_no_option_keeps_everything():
    backups = named("2026-12-01T02:00", "2025-01-01T02:00")
    assert plan(backups, Policy()) == (["2026-12-01T02:00", "2025-01-01T02:00"], [])


def test_keep_daily_keeps_only_the_latest_of_each_day():
    backups = named("2026-12-01T14:00", "2026-12-01T12:00", "2026-12-01T10:00",
                    "2026-11-30T20:00", "2026-11-30T12:00", "2026-11-29T12:00")
    kept, pruned = plan(backups, Policy(keep_daily=2))
    assert kept == ["2026-12-01T14:00", "2026-11-30T20:00"]
    assert set(pruned) == {"2026-12-01T12:00", "2026-12-01T10:00", "2026-11-30T12:00", "2026-11-29T12:00"}


def test_days_without_backups_do_not_count():
    backups = named("2026-12-01T02:00", "2026-11-20T02:00", "2026-11-10T02:00")
    kept, _ = plan(backups, Policy(keep_daily=2))
    assert kept == ["2026-12-01T02:00", "2026-11-20T02:00"]


def test_weeks_are_iso_weeks_from_monday_across_the_year_end():
    # 2020-12-31 (Thursday) and 2021-01-03 (Sunday) are both in ISO week 53 of 2020;
    # 2021-01-04 (Monday) starts week 1 of 2021.
    backups = named("2021-01-04T02:00", "2021-01-03T02:00", "2020-12-31T02:00")
    kept, pruned = plan(backups, Policy(keep_weekly=2))
    assert kept == ["2021-01-04T02:00", "2021-01-03T02:00"]
    assert pruned == ["2020-12-31T02:00"]


def test_an_option_skips_periods_an_earlier_one_covered_and_reaches_further_back():
    # Daily backups from Tuesday 10 November to Tuesday 1 December 2026.
    days = [date(2026, 11, 10) + timedelta(days=n) for n in range(22)]
    backups = named(*(f"{d.isoformat()}T02:00" for d in days))
    kept, pruned = plan(backups, Policy(keep_daily=3, keep_weekly=2))
    # keep-daily: 1 Dec, 30 Nov (week 49), 29 Nov (Sunday of week 48). keep-weekly does not count
    # weeks 49 and 48 again: it keeps the newest of week 47 (Sunday 22 Nov) and of week 46 (15 Nov).
    assert kept == ["2026-12-01T02:00", "2026-11-30T02:00", "2026-11-29T02:00",
                    "2026-11-22T02:00", "2026-11-15T02:00"]
    assert len(pruned) == 22 - 5


def test_keep_last_then_keep_daily_within_the_same_day():
    backups = named("2026-12-01T14:00", "2026-12-01T12:00", "2026-12-01T10:00",
                    "2026-11-30T20:00", "2026-11-30T12:00", "2026-11-29T12:00")
    kept, pruned = plan(backups, Policy(keep_last=2, keep_daily=2))
    # keep-last takes today's two newest; today is then covered, so keep-daily keeps the newest of
    # the two days before it, and 10:00 today and 12:00 on 30 Nov go.
    assert kept == ["2026-12-01T14:00", "2026-12-01T12:00", "2026-11-30T20:00", "2026-11-29T12:00"]
    assert pruned == ["2026-12-01T10:00", "2026-11-30T12:00"]


def test_monthly_then_yearly():
    month_ends = ["2026-11-30", "2026-10-31", "2026-09-30", "2026-01-31", "2025-12-31", "2025-06-30", "2024-12-31"]
    backups = named(*(f"{d}T02:00" for d in month_ends))
    kept, _ = plan(backups, Policy(keep_monthly=2, keep_yearly=2))
    # keep-monthly: November and October 2026; 2026 is covered, so keep-yearly keeps the newest
    # of 2025 and of 2024.
    assert kept == ["2026-11-30T02:00", "2026-10-31T02:00", "2025-12-31T02:00", "2024-12-31T02:00"]


def test_keep_hourly():
    backups = named("2026-12-01T14:50", "2026-12-01T14:10", "2026-12-01T13:30", "2026-12-01T11:00")
    kept, _ = plan(backups, Policy(keep_hourly=2))
    assert kept == ["2026-12-01T14:50", "2026-12-01T13:30"]


def test_protected_backups_are_never_pruned_and_take_no_place():
    backups = named("2026-12-01T02:00", "2026-11-30T02:00", "2026-11-29T02:00", "2025-01-01T02:00",
                    protected={"2026-12-01T02:00", "2025-01-01T02:00"})
    kept, pruned = plan(backups, Policy(keep_last=1))
    assert kept == ["2026-12-01T02:00", "2026-11-30T02:00", "2025-01-01T02:00"]
    assert pruned == ["2026-11-29T02:00"]


def test_days_are_read_in_utc():
    # 23:30 at UTC-2 on 1 December is 01:30 UTC on 2 December; 21:00 at UTC-2 is still 1 December.
    backups = [Backup("a", at("2026-12-01T23:30:00-02:00")), Backup("b", at("2026-12-01T21:00:00-02:00"))]
    kept, _ = plan(backups, Policy(keep_daily=2))
    assert kept == ["a", "b"]
