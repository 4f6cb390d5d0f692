"""Payment providers: a small interface, Stripe Checkout and BTCPay Server (Greenfield API).

    provider.start(session, account, amount, return_url) -> (external id, URL to send the person to)
    provider.verify(headers, body, now)                  -> the signed event, or WebhookRefused
    await provider.outcome(session, event)               -> Outcome(external_id, status, amount?)

Money is credited only from a verified webhook, once per external id (ledger.credit_payment):
a replayed webhook credits nothing more; a bad or missing signature is refused and writes nothing.
Each provider is off unless configured.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import time
from dataclasses import dataclass
from decimal import Decimal

import aiohttp

from capsul.numbers import parse_int
from capsul.config import Config
from capsul.limits import is_int

STRIPE_TOLERANCE = 300  # seconds: Stripe's documented default timestamp tolerance
API_TIMEOUT = aiohttp.ClientTimeout(total=20)
# Providers are on the public internet: their certificates are checked against the system's CAs
# (the process's one client session trusts only the hub↔spoke CA by default).
PUBLIC_TLS = ssl.create_default_context()


class WebhookRefused(Exception):
    """The webhook is not what the provider signed; str() says why (answered with 400)."""


class ProviderFailed(Exception):
    """The provider's API did not do what was asked; str() is safe to show."""


@dataclass(frozen=True)
class Outcome:
    external_id: str
    status: str  # "paid" (credit it), "processing" (held), "expired", "invalid", or "ignored"
    amount: Decimal | None = None


class StripeCheckout:
    name = "stripe"
    label = "Card (Stripe)"

    def __init__(self, config: Config):
        self.api = config.stripe_api_url
        self.secret_key = config.stripe_secret_key
        self.webhook_secret = config.stripe_webhook_secret

    async def start(self, session: aiohttp.ClientSession, account: str, amount: Decimal,
                    return_url: str) -> tuple[str, str]:
        form = {"mode": "payment", "success_url": return_url, "cancel_url": return_url,
                "client_reference_id": account, "metadata[account]": account,
                "line_items[0][quantity]": "1",
                "line_items[0][price_data][currency]": "usd",
                "line_items[0][price_data][unit_amount]": str(int(amount * 100)),
                "line_items[0][price_data][product_data][name]": "capsul credit"}
        answer = await _call(session, "POST", f"{self.api}/v1/checkout/sessions", "Stripe", ("id", "url"),
                             data=form, headers={"Authorization": f"Bearer {self.secret_key}"})
        return answer["id"], answer["url"]

    def verify(self, headers, body: bytes, now: float | None = None) -> dict:
        """Stripe's scheme: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]`, each v1 the HMAC-SHA256
        of "<t>.<body>" with the endpoint secret; t within the tolerance."""
        header = headers.get("Stripe-Signature")
        if not header:
            raise WebhookRefused("missing Stripe-Signature header")
        parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
        stamps = [v for k, v in parts if k.strip() == "t"]
        signatures = [v.strip() for k, v in parts if k.strip() == "v1"]
        stamp = parse_int(stamps[0]) if len(stamps) == 1 else None
        if stamp is None or not signatures:
            raise WebhookRefused("malformed Stripe-Signature header")
        if abs((now if now is not None else time.time()) - stamp) > STRIPE_TOLERANCE:
            raise WebhookRefused("Stripe-Signature timestamp is outside the tolerance")
        expected = hmac.new(self.webhook_secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        if not any(_same(expected, s) for s in signatures):
            raise WebhookRefused("Stripe-Signature does not match")
        return _json_object(body)

    async def outcome(self, session: aiohttp.ClientSession, event: dict) -> Outcome:
        kind = event.get("type")
        obj = (event.get("data") or {}).get("object") or {}
        session_id = obj.get("id")
        if not isinstance(session_id, str):
            return Outcome("", "ignored")
        if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
            if obj.get("payment_status") != "paid":
                return Outcome(session_id, "processing")  # paid later: async_payment_succeeded
            total = obj.get("amount_total")
            if not is_int(total, 1, 10**11 - 1) or obj.get("currency") != "usd":  # fits numeric(12, 2) dollars
                return Outcome(session_id, "invalid")
            return Outcome(session_id, "paid", Decimal(total) / 100)
        if kind == "checkout.session.expired":
            return Outcome(session_id, "expired")
        if kind == "checkout.session.async_payment_failed":
            return Outcome(session_id, "invalid")
        return Outcome(session_id, "ignored")


class BTCPayGreenfield:
    name = "btcpay"
    label = "Bitcoin (BTCPay)"

    def __init__(self, config: Config):
        self.url = config.btcpay_url
        self.api_key = config.btcpay_api_key
        self.store = config.btcpay_store_id
        self.webhook_secret = config.btcpay_webhook_secret

    def _headers(self) -> dict:
        return {"Authorization": f"token {self.api_key}"}

    async def start(self, session: aiohttp.ClientSession, account: str, amount: Decimal,
                    return_url: str) -> tuple[str, str]:
        body = {"amount": str(amount), "currency": "USD", "metadata": {"account": account},
                "checkout": {"redirectURL": return_url}}
        answer = await _call(session, "POST", f"{self.url}/api/v1/stores/{self.store}/invoices", "BTCPay",
                             ("id", "checkoutLink"), json=body, headers=self._headers())
        return answer["id"], answer["checkoutLink"]

    def verify(self, headers, body: bytes, now: float | None = None) -> dict:
        """BTCPay's scheme: `BTCPay-Sig: sha256=<hex>`, the HMAC-SHA256 of the body with the
        webhook's secret."""
        header = headers.get("BTCPay-Sig")
        if not header:
            raise WebhookRefused("missing BTCPay-Sig header")
        algorithm, _, signature = header.partition("=")
        if algorithm != "sha256" or not signature:
            raise WebhookRefused("malformed BTCPay-Sig header")
        expected = hmac.new(self.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        if not _same(expected, signature.strip().lower()):
            raise WebhookRefused("BTCPay-Sig does not match")
        return _json_object(body)

    async def outcome(self, session: aiohttp.ClientSession, event: dict) -> Outcome:
        invoice_id = event.get("invoiceId")
        if not isinstance(invoice_id, str) or event.get("storeId") not in (None, self.store):
            return Outcome("", "ignored")
        kind = event.get("type")
        if kind in ("InvoiceProcessing", "InvoiceReceivedPayment"):
            return Outcome(invoice_id, "processing")  # paid, not confirmed yet: held until settled
        if kind == "InvoiceExpired":
            return Outcome(invoice_id, "expired")
        if kind == "InvoiceInvalid":
            return Outcome(invoice_id, "invalid")
        if kind != "InvoiceSettled":
            return Outcome(invoice_id, "ignored")
        # The event carries no amount: ask the server what this invoice is for, and whether it is settled.
        invoice = await _call(session, "GET", f"{self.url}/api/v1/stores/{self.store}/invoices/{invoice_id}",
                              "BTCPay", (), headers=self._headers())
        if invoice.get("currency") != "USD":
            return Outcome(invoice_id, "invalid")
        if invoice.get("status") != "Settled":  # not what the server says (yet): keep holding it
            return Outcome(invoice_id, "processing")
        try:
            amount = Decimal(str(invoice.get("amount")))
        except ArithmeticError:
            return Outcome(invoice_id, "invalid")
        if not amount.is_finite() or amount <= 0:
            return Outcome(invoice_id, "invalid")
        return Outcome(invoice_id, "paid", amount)


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison of a signature with what a header carried (which may hold any
    bytes: compare_digest refuses non-ASCII str with a TypeError)."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogateescape"))


async def _call(session: aiohttp.ClientSession, method: str, url: str, provider: str, required: tuple[str, ...],
                **kwargs) -> dict:
    """One call to a provider's API: its JSON object answer, holding `required` string fields;
    ProviderFailed (safe to show) for anything else."""
    try:
        async with session.request(method, url, timeout=API_TIMEOUT, ssl=PUBLIC_TLS, **kwargs) as r:
            answer = await r.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as e:
        raise ProviderFailed(f"{provider} could not be reached ({type(e).__name__})") from None
    if r.status != 200 or not isinstance(answer, dict) or not all(isinstance(answer.get(k), str) for k in required):
        raise ProviderFailed(f"{provider} answered {r.status}")
    return answer


def _json_object(body: bytes) -> dict:
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise WebhookRefused("the body is not JSON") from None
    if not isinstance(event, dict):
        raise WebhookRefused("the body is not a JSON object")
    return event


def configured(config: Config) -> dict[str, StripeCheckout | BTCPayGreenfield]:
    providers = {}
    if config.stripe_secret_key:
        providers["stripe"] = StripeCheckout(config)
    if config.btcpay_url:
        providers["btcpay"] = BTCPayGreenfield(config)
    return providers
