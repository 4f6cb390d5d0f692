"""The web console (plain HTTP; production puts a TLS proxy in front)."""
from __future__ import annotations

import logging

import aiohttp_jinja2
import aiopg
import jinja2
from aiohttp import web

from capsul import errors, health
from capsul.config import REPO_ROOT, Config
from capsul.hub import db
from capsul.hub.db import hosts
from capsul.hub.keys import db_pool

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


@routes.get("/", name="index")
@aiohttp_jinja2.template("index.html")
async def index(request: web.Request) -> dict:
    async with db.cursor(request.app[db_pool]) as cur:
        return {"hosts": await hosts.list_hosts(cur)}


@web.middleware
async def html_errors_middleware(request: web.Request, handler):
    """Errors as a page a person can read; never a traceback."""
    try:
        return await handler(request)
    except web.HTTPException as e:
        if e.status < 400 or e.content_type == "application/json":
            raise
        return _error_page(request, e.status, e.reason)
    except errors.DATABASE_DOWN as e:
        log.error("database unavailable in %s %s: %s", request.method, request.rel_url.raw_path, e)
        return _error_page(request, 503, "The database is unavailable right now; try again shortly.")
    except Exception:
        log.exception("unexpected error in %s %s", request.method, request.rel_url.raw_path)
        return _error_page(request, 500, "Something went wrong on our side; it has been logged.")


def _error_page(request: web.Request, status: int, message: str) -> web.Response:
    return aiohttp_jinja2.render_template("error.html", request, {"status": status, "message": message},
                                          status=status)


def create_console_app(config: Config, pool: aiopg.Pool, check: health.HealthCheck) -> web.Application:
    app = web.Application(middlewares=[html_errors_middleware])
    app[db_pool] = pool
    app[health.health_check] = check
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(REPO_ROOT / "templates"), autoescape=True)
    app.add_routes(routes)
    app.router.add_get("/healthz", health.healthz, name="healthz")
    return app
