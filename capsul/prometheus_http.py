"""GET /metrics in Prometheus' text format, as hub and spokes both serve it: the bearer-token
check (METRICS_TOKEN) and the answer built from prometheus-client registries."""
from __future__ import annotations

import hmac

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from capsul import errors


def bearer_matches(request: web.Request, token: str | None) -> bool:
    """The request carries `Authorization: Bearer <token>` (never, when there is no token)."""
    if not token:
        return False
    given = request.headers.get("Authorization", "")
    # NOTE: a header may carry any bytes (aiohttp keeps them as surrogates): never .encode() plainly.
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), f"Bearer {token}".encode())


def token_checked(request: web.Request, token: str | None) -> None:
    """404 when /metrics is off (no METRICS_TOKEN), 401 without the right bearer token."""
    if not token:
        raise errors.json_error(404, "metrics are off: set METRICS_TOKEN to turn them on")
    if not bearer_matches(request, token):
        raise errors.json_error(401, "GET /metrics needs Authorization: Bearer <METRICS_TOKEN>")


def exposition(*registries: CollectorRegistry) -> web.Response:
    body = b"".join(generate_latest(r) for r in registries)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
