"""The web console (plain HTTP; production puts a TLS proxy in front).

Server-rendered pages (aiohttp-jinja2, templates/) that work without JavaScript; one small
script (static/live.js) keeps them current over GET /ws. Modules, one per part of the site:

    sessions.py        cookies, CSRF, login_required / admin_required
    public_pages.py    landing, pricing, FAQ, changelog, support
    login_pages.py     magic-link login and logout
    second_factor_pages.py  confirming a second factor (after the link, before sensitive actions); managing them
    capsul_pages.py    list, create, detail, actions, delete
    change_pages.py    rebuild and resize forms
    firewall_pages.py  a capsul's inbound firewall rules and mode
    reverse_dns_pages.py  the PTR names of a capsul's addresses
    backup_pages.py    back up now, schedule and retention, protect, restore (same or new capsul)
    ssh_key_pages.py   add, list, delete keys
    api_token_pages.py make (secret shown once), list, revoke personal API tokens
    account_pages.py   balance, payments, charges per capsul
    payment_pages.py   adding funds through a provider, and its signed webhooks
    admin_pages.py     hosts, operations, conflicts, consistency check
    admin_account_pages.py  an account as an admin sees it: balance, capsuls, ledger, limits, stop/delete
    admin_second_factor_pages.py  unlocking an account's second factors; requiring them of everyone
    serial_console_pages.py  a capsul's serial console: the terminal page and its websocket
    usage_pages.py     the series a capsul's usage graphs draw
    vendor.py          browser libraries from npm (xterm.js), served under /static/vendor/
    websocket.py       GET /ws
"""
from __future__ import annotations

import logging

import aiohttp
import aiohttp_jinja2
import aiopg
import jinja2
from aiohttp import web

from capsul import errors, health, slow_clients
from capsul.config import REPO_ROOT, Config
from capsul.version import UNSAID_LABEL, VERSION
from capsul.hub.capsuls import Hub
from capsul.hub import prometheus, serial_console, usage
from capsul.hub.console import (account_pages, admin_account_pages, admin_pages, admin_second_factor_pages, api_token_pages, backup_pages,
                                capsul_pages, change_pages, firewall_pages, login_pages, reverse_dns_pages, payment_pages, public_pages,
                                second_factor_pages, serial_console_pages, sessions, ssh_key_pages, usage_pages, vendor)
from capsul.hub.api.routes import create_public_api
from capsul.hub.billing import providers
from capsul.hub.console.keys import client_session, mailer, payment_providers, public_url
from capsul.hub.console.render import render, sentence
from capsul.hub.console.websocket import close_all_going_away, live_connections, websocket
from capsul.hub.connections import Connections
from capsul.hub.keys import hub_service, broadcaster, connections_key, db_pool
from capsul.hub.live import Broadcaster
from capsul.hub.mailer import Mailer

log = logging.getLogger(__name__)
STATIC_DIR = REPO_ROOT / "capsul" / "hub" / "console" / "static"
MAX_FORM_BODY = 64 * 1024  # bytes: the biggest form is an SSH key
COMPRESS_FROM = 1024  # bytes
COMPRESSED_TYPES = ("text/html", "application/json", "text/css", "text/javascript", "application/javascript")
API_PREFIX = "/api/"
# The forms a person may fill with too much (a pasted file): their page is shown again, saying so.
FORM_PAGES = {"/ssh-keys": "ssh_keys", "/capsuls/create": "create", "/api-tokens": "api_tokens",
              "/admin/ledger": "admin", "/login": "login"}  # the public JSON API (hub/api/routes.py): its own auth and error shape


@web.middleware
async def html_errors_middleware(request: web.Request, handler):
    """Errors as a page a person can read; never a traceback."""
    try:
        return await handler(request)
    except web.HTTPException as e:
        if e.status < 400 or e.content_type == "application/json" or request.path == "/ws" \
                or request.path.startswith((API_PREFIX, "/webhooks/")):
            raise
        message = e.reason if e.status != 404 else "There is no such page here."
        if e.status == 413:
            if request.method == "POST" and request.path in FORM_PAGES:  # back to the form, not a dead end
                raise web.HTTPSeeOther(request.app.router[FORM_PAGES[request.path]].url_for().with_query(too_big="1"))
            message = "What you sent is too big."
        return await _error_page(request, e.status, message)
    except errors.DATABASE_DOWN as e:
        if request.path.startswith(API_PREFIX):
            raise
        log.error("database unavailable in %s %s: %s", request.method, request.rel_url.raw_path, e)
        return await _error_page(request, 503, "The database is unavailable right now; try again shortly.")
    except ValueError as e:
        if not errors.is_nul_refusal(e):
            log.exception("unexpected error in %s %s", request.method, request.rel_url.raw_path)
            return await _error_page(request, 500, "Something went wrong on our side; it has been logged.")
        return await _error_page(request, 400, "What you sent contains a NUL character, which is never valid here.")
    except Exception:
        log.exception("unexpected error in %s %s", request.method, request.rel_url.raw_path)
        return await _error_page(request, 500, "Something went wrong on our side; it has been logged.")


# An error page's title and heading, in words (the status code alone told a person nothing).
ERROR_TITLES = {400: "That request could not be used", 401: "Log in first", 402: "A balance is needed",
                403: "Not allowed", 404: "Page not found", 405: "Not done that way", 408: "That took too long",
                409: "Not now", 413: "Too big", 429: "Too many at once", 500: "Something went wrong",
                503: "Not available right now"}


async def _error_page(request: web.Request, status: int, message: str) -> web.Response:
    context = {"status": status, "message": message, "title": ERROR_TITLES.get(status, f"Error {status}")}
    try:
        try:
            return await render("error.html", request, context, status=status)
        except errors.DATABASE_DOWN:  # who is logged in cannot be looked up: the page without it
            return await render("error.html", request, context, status=status, anonymous=True)
    except Exception:  # the page itself failed (say, the session cannot be read): plain text then
        log.exception("cannot render the error page")
        return web.Response(status=status, text=f"{status}: {message}\n")


@web.middleware
async def security_headers_middleware(request: web.Request, handler):
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    # NOTE: login links carry a secret in their path: never cache pages, never send them on.
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    elif "v" in request.query:  # a versioned static file (static()'s ?v=<hash>): a new file is a new URL
        response.headers.setdefault("Cache-Control", vendor.IMMUTABLE)
    # Pages and JSON compress well (a console page was 503 KB); websockets, files and small bodies are left be.
    if (type(response) is web.Response and response.body is not None and len(response.body) > COMPRESS_FROM
            and response.content_type in COMPRESSED_TYPES and "Content-Encoding" not in response.headers):
        response.enable_compression()
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'")
    return response


async def _favicon(request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently(request.app.router["static"].url_for(filename="favicon.svg"))


async def _healthz(request: web.Request) -> web.Response:
    """The console's /healthz: its whole report for admins too (capsul/health.py)."""
    try:
        details = sessions.is_admin(request, await sessions.current_account(request))
    except errors.DATABASE_DOWN:  # who is asking cannot be looked up: the answer for anyone
        details = False
    return await health.healthz(request, details=details)


async def _metrics(request: web.Request) -> web.Response:
    """Prometheus' scrape of this hub (hub/prometheus.py)."""
    return await prometheus.hub_metrics(request, hub=request.app[hub_service], broadcaster=request.app[broadcaster],
                                        relays=request.app[serial_console.open_relays])


def create_console_app(config: Config, pool: aiopg.Pool, check: health.HealthCheck, hub: Hub,
                       live: Broadcaster, connections: Connections, session_key: str, console_url: str,
                       client: aiohttp.ClientSession) -> web.Application:
    app = web.Application(client_max_size=MAX_FORM_BODY, middlewares=[
        security_headers_middleware,
        html_errors_middleware,
        # NOTE: before anything reads the body (CSRF does); the API sub-app has its own, in its error shape
        slow_clients.body_deadline(config.request_body_timeout, skip=(API_PREFIX,)),
        sessions.session_middleware(session_key, config.base_url),
        sessions.csrf_middleware,
        capsul_pages.not_found_middleware,
    ])
    app[db_pool] = pool
    app[live_connections] = set()
    app.on_shutdown.append(close_all_going_away)
    app[serial_console.open_relays] = set()
    app.on_shutdown.append(serial_console.end_all_on_shutdown)
    vendor.warn_if_missing()
    app[health.health_check] = check
    app[sessions.config_key] = config
    app[hub_service] = hub
    app[broadcaster] = live
    app[connections_key] = connections
    app[mailer] = Mailer(config)
    app[public_url] = config.base_url or console_url
    app[client_session] = client
    app[payment_providers] = providers.configured(config) if config.billing_enabled else {}
    env = aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(REPO_ROOT / "templates"), autoescape=True)
    env.filters["when"] = lambda t: t.strftime("%Y-%m-%d %H:%M UTC") if t else "—"
    env.filters["when_seconds"] = lambda t: t.strftime("%Y-%m-%d %H:%M:%S UTC") if t else "—"
    env.filters["iso"] = lambda t: t.isoformat() if t else ""
    env.filters["bytes"] = usage.human_bytes
    env.filters["sentence"] = sentence
    env.globals["capsul_version"] = VERSION
    env.globals["unsaid_version"] = UNSAID_LABEL  # what a spoke too old to say its version shows
    env.globals["static"] = lambda name: str(app.router["static"].url_for(filename=name))
    for module in (public_pages, login_pages, second_factor_pages, capsul_pages, change_pages, firewall_pages, reverse_dns_pages, backup_pages, ssh_key_pages,
                   api_token_pages, account_pages, payment_pages, admin_pages, admin_account_pages, admin_second_factor_pages, serial_console_pages, usage_pages,
                   vendor):
        app.add_routes(module.routes)
    app.add_subapp("/api/v1/", create_public_api(pool, hub))
    app.router.add_get("/ws", websocket, name="ws")
    app.router.add_get("/healthz", _healthz, name="healthz")
    app.router.add_get("/metrics", _metrics, name="metrics")
    app.router.add_static("/static/", STATIC_DIR, name="static", append_version=True)
    app.router.add_get("/favicon.ico", _favicon, name="favicon")  # what browsers ask for by themselves
    return app
