"""A person's SSH public keys: add (name defaults to the key's comment), list, delete."""
from __future__ import annotations


from aiohttp import web

from capsul.hub import db

from capsul.hub.accounts import ssh_keys
from capsul.hub.console import sessions
from capsul.hub.console.render import render
from capsul.hub.keys import db_pool

routes = web.RouteTableDef()


async def _page(request: web.Request, account: str, *, error: str | None = None, form: dict | None = None,
                status: int = 200) -> web.Response:
    keys = await ssh_keys.list_ssh_keys(request.app[db_pool], account)
    return await render("ssh_keys.html", request, {
        "keys": keys, "error": error, "form": form or {"name": "", "content": ""},
        "max_keys": ssh_keys.MAX_KEYS_PER_ACCOUNT}, status=status)


@routes.get("/ssh-keys", name="ssh_keys")
@sessions.login_required
async def key_list(request: web.Request, account: str) -> web.StreamResponse:
    return await _page(request, account)


@routes.post("/ssh-keys")
@sessions.login_required
async def add(request: web.Request, account: str) -> web.StreamResponse:
    form = await request.post()
    entered = {"name": str(form.get("name", "")), "content": str(form.get("content", ""))}
    try:
        key = await ssh_keys.add_ssh_key(request.app[db_pool], account, entered["content"], entered["name"] or None)
    except ssh_keys.InvalidKey as e:
        if ssh_keys.looks_private(entered["content"]):  # NOTE: a secret is never put back into a page
            entered["content"] = ""
        return await _page(request, account, error=str(e), form=entered, status=400)
    await sessions.flash(request, f"Added the key {key['name']!r} ({key['fingerprint']}).")
    raise web.HTTPSeeOther(request.app.router["ssh_keys"].url_for())


@routes.post("/ssh-keys/delete", name="ssh_key_delete")
@sessions.login_required
async def delete(request: web.Request, account: str) -> web.StreamResponse:
    name = str((await request.post()).get("name", ""))
    try:
        await ssh_keys.delete_ssh_key(request.app[db_pool], account, name)
    except db.NotFound as e:
        return await _page(request, account, error=str(e), status=404)
    await sessions.flash(request, f"Deleted the key {name!r}. Capsuls made with it keep it.")
    raise web.HTTPSeeOther(request.app.router["ssh_keys"].url_for())
