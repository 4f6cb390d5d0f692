"""Taking payments: start one with a provider, and credit it when its signed webhook says so.

Credits come only from verified webhooks, once per provider id (the unique index on
payments); a payment the hub never started (no intent) credits nothing.
"""
from __future__ import annotations

import logging
from decimal import Decimal

import aiohttp

from capsul.numbers import parse_money
from capsul.hub import db
from capsul.hub.billing.providers import Outcome
from capsul.hub.db import billing_state, ledger

log = logging.getLogger(__name__)
MIN_PAYMENT, MAX_PAYMENT = Decimal("5"), Decimal("1000")


class PaymentRefused(Exception):
    """Refused before anything was asked of a provider; str() says why."""


def parse_amount(text: str) -> Decimal:
    amount = parse_money(text)
    if amount is None:
        raise PaymentRefused("Enter an amount in dollars, such as 20 or 12.50.")
    if not MIN_PAYMENT <= amount <= MAX_PAYMENT:
        raise PaymentRefused(f"An amount is between ${MIN_PAYMENT} and ${MAX_PAYMENT}.")
    return amount


async def start_payment(pool, provider, session: aiohttp.ClientSession, account: str, amount: Decimal,
                        return_url: str) -> str:
    """Ask the provider for a checkout page; remember who pays how much; its URL."""
    external_id, url = await provider.start(session, account, amount, return_url)
    async with db.cursor(pool) as cur:
        await billing_state.add_intent(cur, provider.name, external_id, account, amount)
    log.info("%s started a %s payment of $%s (%s)", account, provider.name, amount, external_id)
    return url


async def apply_outcome(pool, provider_name: str, outcome: Outcome) -> str:
    """Record what the verified webhook says; credit a paid one once. Returns what was done."""
    if outcome.status == "ignored":
        return "ignored"
    async with db.cursor(pool) as cur:
        async with cur.begin():
            intent = await billing_state.lock_intent(cur, provider_name, outcome.external_id)
            if intent is None:
                log.warning("%s webhook for %s, which this hub never started: nothing credited", provider_name,
                            outcome.external_id)
                return "unknown"
            if intent["status"] == "paid":
                return "already credited"
            if outcome.status == "paid":
                if outcome.amount != intent["amount"]:
                    log.warning("%s %s paid $%s for an intent of $%s: crediting what was paid", provider_name,
                                outcome.external_id, outcome.amount, intent["amount"])
                credited = await ledger.credit_payment(cur, intent["account"], outcome.amount, provider_name,
                                                       outcome.external_id)
                status = "credited" if credited else "already credited"
            else:
                status = outcome.status  # processing (held until settled), expired, invalid
            await billing_state.set_intent_status(cur, provider_name, outcome.external_id,
                                                  "paid" if outcome.status == "paid" else outcome.status)
    if status == "credited":
        log.info("credited $%s to %s (%s %s)", outcome.amount, intent["account"], provider_name, outcome.external_id)
    return status

