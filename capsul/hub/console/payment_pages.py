"""Adding funds: the account page's form sends the person to a provider's checkout; the
provider's signed webhook (POST /webhooks/<provider>) credits the payment."""
from __future__ import annotations

import logging

import aiohttp
from aiohttp import web

from capsul import errors
from capsul.hub.billing import payments
from capsul.hub.billing.providers import ProviderFailed, WebhookRefused
from capsul.hub.console import sessions
from capsul.hub.console.client_address import client_address
from capsul.hub.console.keys import client_session, payment_providers, public_url
from capsul.hub.keys import db_pool

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
MAX_WEBHOOK_BODY = 256 * 1024


@routes.post("/account/pay", name="pay")
@sessions.login_required
async def pay(request: web.Request, account: str) -> web.StreamResponse:
    form = await request.post()
    provider = request.app[payment_providers].get(str(form.get("provider", "")))
    try:
        if provider is None:
            raise payments.PaymentRefused("choose one of the payment methods offered")
        amount = payments.parse_amount(str(form.get("amount", "")))
        url = await payments.start_payment(request.app[db_pool], provider, _outside(request), account, amount,
                                           request.app[public_url] + "/account")
    except (payments.PaymentRefused, ProviderFailed) as e:
        await sessions.flash(request, f"No payment was started: {e}.")
        raise web.HTTPSeeOther(request.app.router["account"].url_for()) from None
    raise web.HTTPSeeOther(url)


def _outside(request: web.Request) -> aiohttp.ClientSession:
    return request.app[client_session]


@routes.post("/webhooks/{provider}", name="webhook")
async def webhook(request: web.Request) -> web.Response:
    """Answers 400 (and writes nothing) for anything the provider did not sign; 503 when the
    provider must be asked about it and cannot be (it retries the delivery)."""
    name = request.match_info["provider"]
    provider = request.app[payment_providers].get(name)
    if provider is None:
        raise errors.json_error(404, f"no payment provider {name!r} is configured here")
    if request.content_length is not None and request.content_length > MAX_WEBHOOK_BODY:
        raise errors.json_error(413, "webhook body too large")
    body = await request.read()
    try:
        event = provider.verify(request.headers, body)
    except WebhookRefused as e:
        log.warning("refused a %s webhook from %s: %s", name, client_address(request), e)
        raise errors.json_error(400, str(e)) from None
    try:
        outcome = await provider.outcome(_outside(request), event)
    except ProviderFailed as e:
        raise errors.json_error(503, str(e)) from None
    done = await payments.apply_outcome(request.app[db_pool], name, outcome)
    return web.json_response({"ok": True, "result": done})

