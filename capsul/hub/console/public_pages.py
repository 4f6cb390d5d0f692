"""Pages anyone can read: landing, pricing (from vm_sizes), FAQ, changelog, support."""
from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from capsul.hub import db
from capsul.hub.db import catalog
from capsul.hub.keys import db_pool

routes = web.RouteTableDef()


@routes.get("/", name="index")
@aiohttp_jinja2.template("landing.html")
async def landing(request: web.Request) -> dict:
    async with db.cursor(request.app[db_pool]) as cur:
        sizes = await catalog.list_sizes(cur)
    return {"cheapest": sizes[0] if sizes else None}


@routes.get("/pricing", name="pricing")
@aiohttp_jinja2.template("pricing.html")
async def pricing(request: web.Request) -> dict:
    async with db.cursor(request.app[db_pool]) as cur:
        return {"sizes": await catalog.list_sizes(cur), "images": await catalog.list_images(cur)}


@routes.get("/faq", name="faq")
@aiohttp_jinja2.template("faq.html")
async def faq(request: web.Request) -> dict:
    return {}


@routes.get("/changelog", name="changelog")
@aiohttp_jinja2.template("changelog.html")
async def changelog(request: web.Request) -> dict:
    return {}


@routes.get("/support", name="support")
@aiohttp_jinja2.template("support.html")
async def support(request: web.Request) -> dict:
    return {}
