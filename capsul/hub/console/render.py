"""Rendering a page with what every template uses: who is logged in, the CSRF token, messages."""
from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from capsul.hub.console import sessions


async def render(template: str, request: web.Request, context: dict, *, status: int = 200,
                 anonymous: bool = False) -> web.Response:
    """`anonymous`: without looking up who is logged in (an error page while the database is down)."""
    account = None if anonymous else await sessions.current_account(request)
    page = {"account": account, "is_admin": sessions.is_admin(request, account),
            "csrf_token": await sessions.csrf_token(request),
            "flashes": [] if anonymous else await sessions.take_flashes(request),
            "too_big": request.query.get("too_big") == "1",
            "factor_due": _factor_due(request)}  # sent back here by a form POST over the size limit
    return aiohttp_jinja2.render_template(template, request, {**page, **context}, status=status)


def sentence(text: object) -> str:
    """A refusal as a person reads it: a capital first, a full stop last (the service layer's
    messages are also the API's, which start lower-case)."""
    text = str(text or "").strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?)" else text + "."


def _factor_due(request: web.Request):
    """When this account must have a second factor by, if it has none and that is still ahead."""
    standing = sessions.known_standing(request)
    if standing and standing["required_from"] and not standing["has_factors"] and not standing["required_now"]:
        return standing["required_from"]
    return None
