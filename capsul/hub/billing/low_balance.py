"""Running low: mails when the balance will reach zero within a week, within a day, and when it
has; at zero the person's capsuls are shut down; ZERO_BALANCE_GRACE_DAYS later (with a last
mail the run before) they are deleted. Each mail goes once per episode; a top-up above a
week's worth ends the episode, and any top-up above zero stops the shutdown/deletion path.

Runs after each metering run, on the hub holding the metering lock; `now` comes from the
metering clock, so tests walk through days without sleeping.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from capsul.hub import capsuls, db
from capsul.hub.capsuls import Hub
from capsul.hub.db import billing_state, ledger
from capsul.hub.mailer import MailFailed, Mailer

log = logging.getLogger(__name__)
WEEK, DAY = Decimal(24 * 7), Decimal(24)


async def check_all(hub: Hub, mailer: Mailer, now: datetime) -> None:
    async with db.cursor(hub.pool) as cur:
        accounts = await billing_state.accounts_to_check(cur)
    for account in accounts:
        try:
            await check_account(hub, mailer, account, now)
        except MailFailed:
            pass  # logged by the mailer; retried at the next run (nothing was marked sent)


async def _mark(hub: Hub, account: str, column: str, now: datetime | None) -> None:
    async with db.cursor(hub.pool) as cur:
        await billing_state.mark_step(cur, account, column, now)


async def check_account(hub: Hub, mailer: Mailer, account: str, now: datetime) -> str | None:
    """Take the next step for one account, if one is due; returns which ("week", "day", "zero",
    "deletion-warning", "deleted", "ended"), for the log and the tests."""
    async with db.cursor(hub.pool) as cur:
        balance = await ledger.balance(cur, account)
        rate = await ledger.hourly_rate(cur, account)
        episode = await billing_state.episode(cur, account)
    if balance > rate * WEEK:
        if episode:  # topped up: the sequence ends here
            async with db.cursor(hub.pool) as cur:
                await billing_state.end_episode(cur, account)
            return "ended"
        return None
    if balance > 0 and episode.get("zero_at"):  # topped up after zero: no shutdown or deletion now
        async with db.cursor(hub.pool) as cur:
            await billing_state.clear_zero(cur, account)
        episode = {**episode, "zero_at": None, "deletion_warned_at": None}
    grace = timedelta(days=hub.config.zero_balance_grace_days)
    if balance <= 0:
        if not episode.get("zero_at"):
            await mailer.send(account, "Your capsul balance is used up: your capsuls are shut down",
                              f"Your balance is ${balance.quantize(ledger.CENT)}. Your capsuls have been shut "
                              f"down; they will be deleted after {grace.days} days unless you add funds.")
            await _mark(hub, account, "zero_at", now)
            await _shut_down_all(hub, account)
            return "zero"
        if episode.get("deleted_at"):
            return None
        if not episode.get("deletion_warned_at") and now >= episode["zero_at"] + grace - timedelta(days=1):
            await mailer.send(account, "Your capsuls will be deleted",
                              "Your balance has been used up since "
                              f"{episode['zero_at']:%Y-%m-%d}. Your capsuls will be deleted within a day "
                              "unless you add funds now.")
            await _mark(hub, account, "deletion_warned_at", now)
            return "deletion-warning"
        if episode.get("deletion_warned_at") and now >= episode["zero_at"] + grace:
            await _delete_all(hub, account)
            await _mark(hub, account, "deleted_at", now)
            await mailer.send(account, "Your capsuls were deleted",
                              "Your balance stayed used up, so your capsuls were deleted. Add funds to create new "
                              "ones.")
            return "deleted"
        return None
    hours_left = balance / rate if rate > 0 else None
    if hours_left is not None and hours_left <= DAY and not episode.get("warned_day_at"):
        await mailer.send(account, "Your capsul balance runs out within a day",
                          f"Your balance of ${balance.quantize(ledger.CENT)} lasts about {int(hours_left)} more "
                          "hours at your capsuls' current rate. Add funds to keep them running.")
        await _mark(hub, account, "warned_day_at", now)
        return "day"
    if hours_left is not None and hours_left <= WEEK and not episode.get("warned_week_at"):
        await mailer.send(account, "Your capsul balance runs out within a week",
                          f"Your balance of ${balance.quantize(ledger.CENT)} lasts about "
                          f"{hours_left / 24:.1f} more days at your capsuls' current rate.")
        await _mark(hub, account, "warned_week_at", now)
        return "week"
    return None


async def _shut_down_all(hub: Hub, account: str) -> None:
    for vm in await capsuls.list_capsuls(hub, account):
        if vm["state"] in ("running", "paused"):
            try:
                await capsuls.capsul_action(hub, account, vm["id"], "force-stop")
            except capsuls.CapsulError as e:
                log.error("could not shut down %s of %s (balance used up): %s", vm["id"], account, e.message)


async def _delete_all(hub: Hub, account: str) -> None:
    for vm in await capsuls.list_capsuls(hub, account):
        try:
            await capsuls.destroy_capsul(hub, account, vm["id"])
            log.warning("deleted %s of %s: the balance stayed used up", vm["id"], account)
        except capsuls.CapsulError as e:
            log.error("could not delete %s of %s (balance used up): %s", vm["id"], account, e.message)
