"""Pages anyone can read: landing, pricing (from vm_sizes), FAQ, changelog, support."""
from __future__ import annotations

from aiohttp import web

from capsul.hub import db
from capsul.hub.console.render import render
from capsul.hub.db import catalog
from capsul.hub.keys import db_pool

routes = web.RouteTableDef()


@routes.get("/", name="index")
async def landing(request: web.Request) -> web.Response:
    async with db.cursor(request.app[db_pool]) as cur:
        sizes = await catalog.list_sizes(cur)
    return await render("landing.html", request, {"cheapest": sizes[0] if sizes else None})


@routes.get("/pricing", name="pricing")
async def pricing(request: web.Request) -> web.Response:
    async with db.cursor(request.app[db_pool]) as cur:
        sizes, images = await catalog.list_sizes(cur), await catalog.list_images(cur)
    return await render("pricing.html", request, {"sizes": sizes, "images": images})


@routes.get("/faq", name="faq")
async def faq(request: web.Request) -> web.Response:
    return await render("faq.html", request, {})


@routes.get("/changelog", name="changelog")
async def changelog(request: web.Request) -> web.Response:
    return await render("changelog.html", request, {})


@routes.get("/support", name="support")
async def support(request: web.Request) -> web.Response:
    return await render("support.html", request, {})
