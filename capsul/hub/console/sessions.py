"""Who is asking: encrypted cookie sessions, CSRF tokens, login and admin checks.

The session cookie (aiohttp-session's Fernet-encrypted storage) holds the account's email,
a per-session CSRF token and one-shot flash messages. Every hub process must decrypt the
cookies of every other one, so the key is SECRET_KEY or, unset, one kept in the database.
"""
from __future__ import annotations

import functools
import hmac
import secrets
import time
import warnings

import aiohttp_session
from aiohttp import web
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet

from capsul.config import Config
from capsul.hub import db

COOKIE_NAME = "capsul_session"
SESSION_MAX_AGE = 30 * 24 * 3600  # seconds a login lasts
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

config_key = web.AppKey("config", Config)

# aiohttp-session keeps its storage under plain string request keys, which aiohttp 3.14 warns about.
warnings.filterwarnings("ignore", category=web.NotAppKeyWarning, module="aiohttp_session")


async def session_key(pool, config: Config) -> str:
    """SECRET_KEY, or the key every hub shares through the database (made by the first)."""
    if config.secret_key:
        return config.secret_key
    async with db.cursor(pool) as cur:
        await cur.execute(
            "INSERT INTO hub_secrets (name, value) VALUES ('session_key', %s) ON CONFLICT (name) DO NOTHING",
            (Fernet.generate_key().decode(),))
        await cur.execute("SELECT value FROM hub_secrets WHERE name = 'session_key'")
        return (await cur.fetchone())["value"]


def session_middleware(key: str, base_url: str | None):
    storage = EncryptedCookieStorage(
        Fernet(key), cookie_name=COOKIE_NAME, max_age=SESSION_MAX_AGE, httponly=True, samesite="Lax",
        secure=bool(base_url and base_url.startswith("https://")))
    return aiohttp_session.session_middleware(storage)


async def get_session(request: web.Request) -> aiohttp_session.Session:
    return await aiohttp_session.get_session(request)


async def csrf_token(request: web.Request) -> str:
    session = await get_session(request)
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


class CsrfRefused(web.HTTPForbidden):
    def __init__(self):
        super().__init__(reason="This form has expired or did not come from this site. "
                                "Go back, reload the page and try again.")


@web.middleware
async def csrf_middleware(request: web.Request, handler):
    """Every state-changing request must carry the session's CSRF token (form field). The JSON
    API is exempt (it takes no cookies, only bearer tokens, which another site cannot send), and
    so are payment webhooks (each is verified by its provider's signature)."""
    if request.method in UNSAFE_METHODS and not request.path.startswith(("/api/", "/webhooks/")):
        session = await get_session(request)
        expected = session.get(CSRF_FIELD)
        sent = None
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            try:
                sent = (await request.post()).get(CSRF_FIELD)
            except ValueError:
                sent = None
        if not (isinstance(expected, str) and isinstance(sent, str)
                and hmac.compare_digest(expected.encode(), sent.encode())):
            raise CsrfRefused()
    return await handler(request)


async def current_account(request: web.Request) -> str | None:
    session = await get_session(request)
    account = session.get("account")
    return account if isinstance(account, str) else None


def is_admin(request: web.Request, account: str | None) -> bool:
    return account is not None and account in request.app[config_key].admin_emails


async def log_in(request: web.Request, email: str) -> None:
    session = await get_session(request)
    session.invalidate()  # a fresh session (and CSRF token) at login: no fixation
    session = await aiohttp_session.new_session(request)
    session["account"] = email
    session["login_at"] = int(time.time())
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


async def log_out(request: web.Request) -> None:
    (await get_session(request)).invalidate()


async def flash(request: web.Request, message: str) -> None:
    session = await get_session(request)
    session["flash"] = (session.get("flash") or [])[-4:] + [message]


async def take_flashes(request: web.Request) -> list[str]:
    session = await get_session(request)
    return session.pop("flash", None) or []


def _to_login(request: web.Request) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(request.app.router["login"].url_for().with_query(next=request.rel_url.path))


def login_required(handler):
    """The handler gets `account`; a visitor is sent to the login page and back."""
    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        account = await current_account(request)
        if account is None:
            raise _to_login(request)
        return await handler(request, account)
    return wrapper


def admin_required(handler):
    """Admins only; anyone else logged in gets the same 404 as a page that does not exist."""
    @login_required
    @functools.wraps(handler)
    async def wrapper(request: web.Request, account: str) -> web.StreamResponse:
        if not is_admin(request, account):
            raise web.HTTPNotFound()
        return await handler(request, account)
    return wrapper
