"""Pages anyone can read: landing, pricing (from vm_sizes), FAQ, changelog, support; and the
older capsul's addresses (/console/…), redirected so that bookmarks keep working."""
from __future__ import annotations

from aiohttp import web

from capsul.hub import db
from capsul.hub.console import changelog as changelog_file
from capsul.hub.console.keys import config_key
from capsul.hub.console.render import render
from capsul.hub.db import catalog
from capsul.vm_ids import is_vm_id
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
    return await render("changelog.html", request, {"releases": changelog_file.releases()})


@routes.get("/support", name="support")
async def support(request: web.Request) -> web.Response:
    config = request.app[config_key]
    contact = config.support_email or (config.mail_default_sender if config.mail_server else None)
    return await render("support.html", request, {"contact": contact})


# The older capsul served its pages under /console: the list at /console/, a capsul at
# /console/<id>, and create, keys and account-balance beside them.
OLD_CONSOLE_PAGES = {"": "/capsuls", "create": "/capsuls/create", "keys": "/ssh-keys", "ssh": "/ssh-keys",
                     "account-balance": "/account"}


@routes.get("/console", name="old_console")
@routes.get("/console/{rest:.*}", name="old_console_page")
async def old_console(request: web.Request) -> web.Response:
    rest = request.match_info.get("rest", "").strip("/")
    first = rest.split("/", 1)[0]
    if is_vm_id(first):
        target = str(request.app.router["capsul"].url_for(vm_id=first))
    else:
        target = OLD_CONSOLE_PAGES.get(first, "/capsuls")
    raise web.HTTPMovedPermanently(target)
