"""Who is asking: encrypted cookie sessions, CSRF tokens, login and admin checks.

The session cookie (aiohttp-session's Fernet-encrypted storage) holds the account's email,
the secret of its row in login_sessions (capsul/hub/accounts/login_sessions.py: a logout ends it
everywhere), a per-session CSRF token and one-shot flash messages. Every hub process must
decrypt the cookies of every other one, so the key is SECRET_KEY or, unset, one kept in
the database.
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
from capsul.hub.accounts import login_sessions, second_factors
from capsul.hub.connections import Login
from capsul.hub.console.client_address import client_address
from capsul.hub.console.keys import config_key  # noqa: F401 - where the pages look for it
from capsul.hub.db import hub_secrets
from capsul.hub.keys import db_pool

COOKIE_NAME = "capsul_session"
SESSION_MAX_AGE = login_sessions.SESSION_MAX_AGE
SECRET_FIELD = "sid"  # the login_sessions secret
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


# aiohttp-session keeps its storage under plain string request keys, which aiohttp 3.14 warns about.
warnings.filterwarnings("ignore", category=web.NotAppKeyWarning, module="aiohttp_session")


async def session_key(pool, config: Config) -> str:
    """SECRET_KEY, or the key every hub shares through the database (made by the first)."""
    if config.secret_key:
        return config.secret_key
    async with db.cursor(pool) as cur:
        return await hub_secrets.get_or_make(cur, "session_key", lambda: Fernet.generate_key().decode())


class _CookieStorage(EncryptedCookieStorage):
    def load_cookie(self, request: web.Request) -> str | None:
        """A session cookie is a Fernet token, which is ASCII: any other bytes are no session (the
        storage would .encode() them and fail)."""
        cookie = super().load_cookie(request)
        return cookie if isinstance(cookie, str) and cookie.isascii() else None

    def save_cookie(self, response: web.StreamResponse, cookie_data: str, *, max_age: int | None = None) -> None:
        """A session without a max_age (a visitor's) gets a cookie that ends with the browser session:
        the base class would give every cookie the storage's 30 days."""
        if cookie_data and max_age is None:
            response.set_cookie(self.cookie_name, cookie_data, **{**self._cookie_params, "max_age": None})
            return
        super().save_cookie(response, cookie_data, max_age=max_age)


def session_middleware(key: str, base_url: str | None):
    storage = _CookieStorage(
        Fernet(key), cookie_name=COOKIE_NAME, max_age=SESSION_MAX_AGE, httponly=True, samesite="Lax",
        secure=bool(base_url and base_url.startswith("https://")))
    return aiohttp_session.session_middleware(storage)


async def get_session(request: web.Request) -> aiohttp_session.Session:
    return await aiohttp_session.get_session(request)


async def csrf_token(request: web.Request) -> str:
    session = await get_session(request)
    if "account" not in session:
        # NOTE: a visitor's cookie (a CSRF token and flashes) ends with the browser session; only a
        # login is kept for SESSION_MAX_AGE.
        session.max_age = None
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
                and hmac.compare_digest(expected.encode(), sent.encode("utf-8", "surrogateescape"))):
            raise CsrfRefused()
    return await handler(request)


_who = web.RequestKey("capsul_who", tuple)  # (session id, account, expires at) or (), found once per request


async def _identify(request: web.Request) -> tuple:
    if _who not in request:
        session = await get_session(request)
        found = None
        if isinstance(session.get("account"), str):
            found = await login_sessions.check(request.config_dict[db_pool], session.get(SECRET_FIELD))
            if found is None or found[1] != session["account"]:
                found = None
                session.invalidate()  # logged out elsewhere, or expired: drop the stale cookie
        request[_who] = found or ()
    return request[_who]


async def current_account(request: web.Request) -> str | None:
    who = await _identify(request)
    return who[1] if who else None


async def current_session_id(request: web.Request) -> int | None:
    who = await _identify(request)
    return who[0] if who else None


async def current_login(request: web.Request) -> Login | None:
    """What a long-lived connection opened by this browser stands on (hub/connections.py)."""
    who = await _identify(request)
    return Login(who[1], session_id=who[0], expires_at=who[2]) if who else None


def is_admin(request: web.Request, account: str | None) -> bool:
    return account is not None and account in request.config_dict[config_key].admin_emails


async def log_in(request: web.Request, email: str, *, second_factor: bool = False) -> None:
    """`second_factor`: the login used one just now."""
    secret, session_id = await login_sessions.start(request.config_dict[db_pool], email, client_address(request),
                                                    request.headers.get("User-Agent"), second_factor=second_factor)
    session = await get_session(request)
    session.invalidate()  # a fresh session (and CSRF token) at login: no fixation
    session = await aiohttp_session.new_session(request)
    session["account"] = email
    session[SECRET_FIELD] = secret
    session["login_at"] = int(time.time())
    session[CSRF_FIELD] = secrets.token_urlsafe(32)
    request[_who] = (session_id, email, None)


async def log_out(request: web.Request) -> None:
    """End this browser's session everywhere (copies of the cookie stop working too)."""
    who = await _identify(request)
    if who:
        await login_sessions.end(request.config_dict[db_pool], who[1], who[0])
    (await get_session(request)).invalidate()
    request[_who] = ()


async def flash(request: web.Request, message: str) -> None:
    session = await get_session(request)
    session["flash"] = (session.get("flash") or [])[-4:] + [message]


async def take_flashes(request: web.Request) -> list[str]:
    session = await get_session(request)
    return session.pop("flash", None) or []


# --- second factors (hub/accounts/second_factors.py) -------------------------------------------------

PENDING_FIELD = "pending_login"  # a login link used by an account with second factors: (email, until, next)
PENDING_FOR = 10 * 60  # seconds to enter the second factor after the link
_standing = web.RequestKey("capsul_factor_standing", dict)
# What an account that must add a second factor may still open.
SETUP_PATHS = ("/account/second-factors", "/login/second-factor", "/logout")


async def start_pending(request: web.Request, email: str, next_path: str) -> None:
    """The link was right; the login waits for the account's second factor."""
    session = await get_session(request)
    session.invalidate()
    session = await aiohttp_session.new_session(request)
    session.max_age = None
    session[PENDING_FIELD] = [email, int(time.time()) + PENDING_FOR, next_path]
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


async def pending_login(request: web.Request) -> tuple[str, str] | None:
    """(email, next) of a login waiting for its second factor in this browser, if not expired."""
    pending = (await get_session(request)).get(PENDING_FIELD)
    if isinstance(pending, list) and len(pending) == 3 and isinstance(pending[1], int) and pending[1] > time.time():
        return pending[0], pending[2]
    return None


async def factor_standing(request: web.Request, account: str) -> dict:
    """has_factors, factor_age (seconds since this login last used one, or None), required_from and
    required_now, looked up once per request."""
    if _standing not in request:
        request[_standing] = await second_factors.standing(request.config_dict[db_pool], account,
                                                          await current_session_id(request))
    return request[_standing]


def known_standing(request: web.Request) -> dict | None:
    return request.get(_standing)


async def recent_factor_needed(request: web.Request, account: str, within: float, why: str,
                               back: str | None = None) -> None:
    """Send the person to confirm with a second factor (and then to `back`, else this page) unless this
    login used one within `within` seconds; accounts without second factors pass."""
    standing = await factor_standing(request, account)
    if standing["has_factors"] and (standing["factor_age"] is None or standing["factor_age"] > within):
        await flash(request, why)
        raise web.HTTPSeeOther(request.app.router["second_factor"].url_for().with_query(
            next=back or request.rel_url.path))


def _to_login(request: web.Request) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(request.app.router["login"].url_for().with_query(next=request.rel_url.path))


def login_required(handler):
    """The handler gets `account`; a visitor is sent to the login page and back."""
    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        account = await current_account(request)
        if account is None:
            raise _to_login(request)
        standing = await factor_standing(request, account)
        if standing["required_now"] and not standing["has_factors"] and not request.path.startswith(SETUP_PATHS):
            await flash(request, "Your provider requires a second factor for every account: add one to go on.")
            raise web.HTTPSeeOther(request.app.router["second_factors"].url_for())
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
