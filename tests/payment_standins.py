"""Local stand-ins for the payment providers' servers (they cannot be reached from here),
following their documented APIs, and webhooks signed the way each documents.

The signing below is written from the providers' documentation, independently of
capsul/hub/billing/providers.py, so a test compares two readings of the scheme.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time

from aiohttp import web

STRIPE_SECRET_KEY = "sk_test_capsul"
STRIPE_WEBHOOK_SECRET = "whsec_test_capsul"
BTCPAY_API_KEY = "btcpay-test-key"
BTCPAY_STORE = "store-test"
BTCPAY_WEBHOOK_SECRET = "btcpay-webhook-secret"


class StripeStandIn:
    """POST /v1/checkout/sessions, form-encoded, Bearer secret key (Stripe API reference)."""

    def __init__(self):
        self.sessions: dict[str, dict] = {}
        self._ids = itertools.count(1)
        self.app = web.Application()
        self.app.router.add_post("/v1/checkout/sessions", self.create_session)

    async def create_session(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {STRIPE_SECRET_KEY}":
            return web.json_response({"error": {"message": "Invalid API Key provided"}}, status=401)
        form = await request.post()
        session_id = f"cs_test_{next(self._ids):06d}"
        self.sessions[session_id] = {
            "id": session_id, "object": "checkout.session", "mode": form["mode"],
            "client_reference_id": form["client_reference_id"], "metadata": {"account": form["metadata[account]"]},
            "currency": form["line_items[0][price_data][currency]"],
            "amount_total": int(form["line_items[0][price_data][unit_amount]"]) * int(form["line_items[0][quantity]"]),
            "success_url": form["success_url"], "url": f"https://checkout.stripe.test/c/pay/{session_id}"}
        return web.json_response(self.sessions[session_id])

    def event(self, kind: str, session_id: str, *, payment_status: str = "paid", event_id: str | None = None,
              **changes) -> bytes:
        session = {**self.sessions.get(session_id, {"id": session_id, "amount_total": 1000, "currency": "usd"}),
                   "payment_status": payment_status, **changes}
        return json.dumps({"id": event_id or f"evt_{session_id}_{kind}", "object": "event", "type": kind,
                           "data": {"object": session}}).encode()


def stripe_signature(body: bytes, *, secret: str = STRIPE_WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe-Signature as Stripe documents it: t=<unix>,v1=HMAC-SHA256(secret, "<t>.<payload>")."""
    t = int(time.time()) if timestamp is None else timestamp
    v1 = hmac.new(secret.encode(), f"{t}.{body.decode()}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={v1}"


class BTCPayStandIn:
    """Greenfield API: create and read invoices of a store, `Authorization: token <key>`."""

    def __init__(self):
        self.invoices: dict[str, dict] = {}
        self._ids = itertools.count(1)
        self.app = web.Application()
        self.app.router.add_post("/api/v1/stores/{store}/invoices", self.create_invoice)
        self.app.router.add_get("/api/v1/stores/{store}/invoices/{invoice}", self.get_invoice)

    def _authorized(self, request: web.Request) -> bool:
        return (request.headers.get("Authorization") == f"token {BTCPAY_API_KEY}"
                and request.match_info["store"] == BTCPAY_STORE)

    async def create_invoice(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"code": "unauthenticated"}, status=401)
        body = await request.json()
        invoice_id = f"INV{next(self._ids):05d}"
        self.invoices[invoice_id] = {"id": invoice_id, "storeId": BTCPAY_STORE, "amount": body["amount"],
                                     "currency": body["currency"], "status": "New", "metadata": body["metadata"],
                                     "checkoutLink": f"https://btcpay.test/i/{invoice_id}"}
        return web.json_response(self.invoices[invoice_id])

    async def get_invoice(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"code": "unauthenticated"}, status=401)
        invoice = self.invoices.get(request.match_info["invoice"])
        if invoice is None:
            return web.json_response({"code": "invoice-not-found"}, status=404)
        return web.json_response(invoice)

    def event(self, kind: str, invoice_id: str, delivery: str | None = None) -> bytes:
        return json.dumps({"deliveryId": delivery or f"d-{invoice_id}-{kind}", "webhookId": "wh1",
                           "originalDeliveryId": delivery or f"d-{invoice_id}-{kind}", "isRedelivery": False,
                           "type": kind, "timestamp": int(time.time()), "storeId": BTCPAY_STORE,
                           "invoiceId": invoice_id, "metadata": {}}).encode()


def btcpay_signature(body: bytes, *, secret: str = BTCPAY_WEBHOOK_SECRET) -> str:
    """BTCPay-Sig as BTCPay documents it: sha256=HMAC-SHA256(secret, body) in hex."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
