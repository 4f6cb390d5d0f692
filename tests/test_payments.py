"""Payments against local stand-ins of Stripe and BTCPay Server: checkout started from the
account page, webhooks verified with the providers' documented signatures (valid, tampered,
stale, replayed, missing, wrong secret), crediting once, held until settled, nothing for
expired or invalid ones."""
from __future__ import annotations

import time
from decimal import Decimal

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from capsul.hub import db
from capsul.hub.db import ledger
from tests import payment_standins as standins
from tests.test_console import ALICE, BOB, logged_in


async def served(standin):
    """The stand-in on a loopback port of its own; its base URL as standin.url."""
    server = TestServer(standin.app, host="127.0.0.1")
    await server.start_server()
    standin.url = str(server.make_url("")).rstrip("/")
    try:
        yield standin
    finally:
        await server.close()


@pytest.fixture
async def stripe():
    async for standin in served(standins.StripeStandIn()):
        yield standin


@pytest.fixture
async def btcpay():
    async for standin in served(standins.BTCPayStandIn()):
        yield standin


@pytest.fixture
async def billing_node(start_node, mail, stripe, btcpay, pool):
    from tests.conftest import ADMIN_EMAIL, spoke_ready
    node = await start_node(BILLING_ENABLED="true", ADMIN_EMAIL_ADDRESSES=ADMIN_EMAIL, **mail.env(),
                            STRIPE_SECRET_KEY=standins.STRIPE_SECRET_KEY,
                            STRIPE_WEBHOOK_SECRET=standins.STRIPE_WEBHOOK_SECRET, STRIPE_API_URL=stripe.url,
                            BTCPAY_URL=btcpay.url, BTCPAY_API_KEY=standins.BTCPAY_API_KEY,
                            BTCPAY_STORE_ID=standins.BTCPAY_STORE, BTCPAY_WEBHOOK_SECRET=standins.BTCPAY_WEBHOOK_SECRET)
    await spoke_ready(pool)
    return node


@pytest.fixture
async def people(billing_node):
    """People using the billing node's console (this file's own `people`)."""
    from tests.console_client import ConsoleClient
    made = []

    def make() -> ConsoleClient:
        made.append(ConsoleClient(billing_node.console_url))
        return made[-1]
    yield make
    for person in made:
        await person.close()


async def balance(pool, email: str) -> Decimal:
    async with db.cursor(pool) as cur:
        return await ledger.balance(cur, email)


async def payment_rows(pool) -> int:
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT count(*) AS n FROM payments")
        return (await cur.fetchone())["n"]


async def post_webhook(node, provider: str, body: bytes, headers: dict) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{node.console_url}/webhooks/{provider}", data=body,
                                headers={"Content-Type": "application/json", **headers}) as r:
            return r.status, await r.json()


async def start_checkout(person, provider: str, amount: str) -> str:
    """Press "Continue to payment" on the account page; where the console sends the person."""
    status, text = await person.get("/account")
    assert status == 200 and 'value="stripe"' in text and 'value="btcpay"' in text, text[text.find("<main>"):][:1500]
    async with person.session.post(person.url("/account/pay"), allow_redirects=False,
                                   data={"csrf_token": person.csrf, "amount": amount, "provider": provider}) as r:
        assert r.status == 303, await r.text()
        return r.headers["Location"]


async def test_stripe_checkout_and_its_webhook(billing_node, stripe, mail, people, pool):
    alice = await logged_in(people, mail, ALICE)
    location = await start_checkout(alice, "stripe", "20")
    session_id = location.rsplit("/", 1)[1]
    assert location.startswith("https://checkout.stripe.test/") and stripe.sessions[session_id]["amount_total"] == 2000
    assert stripe.sessions[session_id]["client_reference_id"] == ALICE
    status, text = await alice.get("/account")
    assert "$20.00 by stripe: started, not paid yet" in text

    body = stripe.event("checkout.session.completed", session_id)
    # refused, nothing written: no signature, another secret, a changed body, a stale timestamp
    for headers, words in (({}, "missing"),
                           ({"Stripe-Signature": standins.stripe_signature(body, secret="whsec_other")}, "match"),
                           ({"Stripe-Signature": "v1=abc"}, "malformed"),
                           ({"Stripe-Signature": standins.stripe_signature(body, timestamp=int(time.time()) - 301)},
                            "tolerance")):
        status, answer = await post_webhook(billing_node, "stripe", body, headers)
        assert status == 400 and words in answer["error"] and answer["ok"] is False
    tampered = body.replace(b'"amount_total": 2000', b'"amount_total": 200000')
    assert tampered != body
    status, _ = await post_webhook(billing_node, "stripe", tampered, {"Stripe-Signature": standins.stripe_signature(body)})
    assert status == 400
    assert await payment_rows(pool) == 0 and await balance(pool, ALICE) == 0

    status, answer = await post_webhook(billing_node, "stripe", body, {"Stripe-Signature": standins.stripe_signature(body)})
    assert status == 200 and answer["result"] == "credited"
    assert await balance(pool, ALICE) == Decimal("20.00")
    for _ in range(2):  # replayed (a retry of the same delivery, freshly signed or not)
        status, answer = await post_webhook(billing_node, "stripe", body,
                                            {"Stripe-Signature": standins.stripe_signature(body)})
        assert status == 200 and answer["result"] == "already credited"
    assert await balance(pool, ALICE) == Decimal("20.00") and await payment_rows(pool) == 1
    status, text = await alice.get("/account")
    assert "card (Stripe)" in text and "started, not paid yet" not in text


async def test_stripe_async_payment_is_held_until_it_succeeds_and_unknown_sessions_credit_nothing(
        billing_node, stripe, mail, people, pool):
    alice = await logged_in(people, mail, ALICE)
    session_id = (await start_checkout(alice, "stripe", "12.50")).rsplit("/", 1)[1]
    body = stripe.event("checkout.session.completed", session_id, payment_status="unpaid")
    status, answer = await post_webhook(billing_node, "stripe", body, {"Stripe-Signature": standins.stripe_signature(body)})
    assert answer["result"] == "processing" and await balance(pool, ALICE) == 0
    body = stripe.event("checkout.session.async_payment_succeeded", session_id)
    status, answer = await post_webhook(billing_node, "stripe", body, {"Stripe-Signature": standins.stripe_signature(body)})
    assert answer["result"] == "credited" and await balance(pool, ALICE) == Decimal("12.50")
    # a session this hub never started (someone else's Stripe account, say): nothing credited
    body = stripe.event("checkout.session.completed", "cs_test_elsewhere", client_reference_id=BOB)
    status, answer = await post_webhook(billing_node, "stripe", body, {"Stripe-Signature": standins.stripe_signature(body)})
    assert status == 200 and answer["result"] == "unknown" and await payment_rows(pool) == 1


async def test_btcpay_invoice_held_until_settled_then_credited_once(billing_node, btcpay, mail, people, pool):
    alice = await logged_in(people, mail, ALICE)
    location = await start_checkout(alice, "btcpay", "15")
    invoice_id = location.rsplit("/", 1)[1]
    assert btcpay.invoices[invoice_id]["amount"] == "15.00" and btcpay.invoices[invoice_id]["currency"] == "USD"

    btcpay.invoices[invoice_id]["status"] = "Processing"  # paid, waiting for confirmations
    body = btcpay.event("InvoiceProcessing", invoice_id)
    status, answer = await post_webhook(billing_node, "btcpay", body, {"BTCPay-Sig": standins.btcpay_signature(body)})
    assert status == 200 and answer["result"] == "processing" and await balance(pool, ALICE) == 0
    status, text = await alice.get("/account")
    assert "paid, waiting for confirmation" in text
    # a settled event before the server says so: still held
    body = btcpay.event("InvoiceSettled", invoice_id)
    status, answer = await post_webhook(billing_node, "btcpay", body, {"BTCPay-Sig": standins.btcpay_signature(body)})
    assert answer["result"] == "processing" and await balance(pool, ALICE) == 0

    for headers in ({}, {"BTCPay-Sig": standins.btcpay_signature(body, secret="other")},
                    {"BTCPay-Sig": "sha1=" + standins.btcpay_signature(body)[7:]}):
        status, answer = await post_webhook(billing_node, "btcpay", body, headers)
        assert status == 400 and answer["ok"] is False
    btcpay.invoices[invoice_id]["status"] = "Settled"
    status, _ = await post_webhook(billing_node, "btcpay", body + b" ", {"BTCPay-Sig": standins.btcpay_signature(body)})
    assert status == 400  # tampered (one byte added)
    status, answer = await post_webhook(billing_node, "btcpay", body, {"BTCPay-Sig": standins.btcpay_signature(body)})
    assert status == 200 and answer["result"] == "credited" and await balance(pool, ALICE) == Decimal("15.00")
    status, answer = await post_webhook(billing_node, "btcpay", body, {"BTCPay-Sig": standins.btcpay_signature(body)})
    assert answer["result"] == "already credited" and await payment_rows(pool) == 1


@pytest.mark.parametrize("kind, status_after", [("InvoiceExpired", "expired"), ("InvoiceInvalid", "invalid")])
async def test_expired_and_invalid_invoices_credit_nothing(billing_node, btcpay, mail, people, pool, kind,
                                                           status_after):
    alice = await logged_in(people, mail, ALICE)
    invoice_id = (await start_checkout(alice, "btcpay", "9.99")).rsplit("/", 1)[1]
    body = btcpay.event(kind, invoice_id)
    status, answer = await post_webhook(billing_node, "btcpay", body, {"BTCPay-Sig": standins.btcpay_signature(body)})
    assert status == 200 and answer["result"] == status_after
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT status FROM payment_intents WHERE external_id = %s", (invoice_id,))
        assert (await cur.fetchone())["status"] == status_after
    assert await payment_rows(pool) == 0
    status, text = await alice.get("/account")
    assert "9.99" not in text  # neither pending nor paid


@pytest.mark.parametrize("amount, provider, words", [
    ("4.99", "stripe", "between $5 and $1000"), ("1000.01", "stripe", "between"), ("abc", "stripe", "such as 20"),
    ("10.001", "stripe", "such as 20 or 12.50"), ("NaN", "btcpay", "such as 20"), ("1e3", "stripe", "such as 20"),
    ("\u0662\u0660", "stripe", "such as 20"), ("9" * 4400, "stripe", "such as 20"), ("20", "paypal", "choose one"),
])
async def test_bad_payment_requests_start_nothing(billing_node, stripe, btcpay, mail, people, pool, amount, provider,
                                                  words):
    alice = await logged_in(people, mail, ALICE)
    await alice.get("/account")
    status, text, url = await alice.post("/account/pay", {"amount": amount, "provider": provider})
    assert url.path == "/account" and "No payment was started" in text and words in text
    assert stripe.sessions == {} and btcpay.invoices == {}
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT count(*) AS n FROM payment_intents")
        assert (await cur.fetchone())["n"] == 0


async def test_webhooks_for_providers_not_configured_are_404(start_node, pool):
    node = await start_node(BILLING_ENABLED="true")
    status, answer = await post_webhook(node, "stripe", b"{}", {"Stripe-Signature": "t=1,v1=00"})
    assert status == 404 and answer["ok"] is False
