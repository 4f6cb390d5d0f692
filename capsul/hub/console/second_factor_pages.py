"""Second factors in the console: confirming one (after a login link, or before a sensitive action),
and managing them (add TOTP or a passkey, recovery codes, remove). The rules live in
hub/accounts/second_factors.py.

Passkeys need JavaScript (static/passkeys.js): the page carries the WebAuthn options, the script
asks the browser's authenticator and posts its answer with the page's form, CSRF token included.
The challenge is kept in the encrypted session cookie until that post.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from aiohttp import web

from capsul.numbers import parse_int
from capsul.hub.accounts import second_factors as factors
from capsul.hub.console import sessions
from capsul.hub.console.keys import config_key, mailer, public_url
from capsul.hub.console.redirects import safe_next
from capsul.hub.console.render import render
from capsul.hub.keys import db_pool
from capsul.hub.mailer import MailFailed

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
ASSERTION_STATE = "passkey_assertion"
REGISTRATION_STATE = "passkey_registration"
TOTP_SETUP = "totp_setup"


def relying_party(request: web.Request) -> factors.RelyingParty:
    """Passkeys belong to the site's host name: BASE_URL's, else the address this page was opened at
    (a browser accepts a domain name or localhost, never an IP address)."""
    base = request.app[config_key].base_url
    if base:
        parts = urlsplit(base)
        return factors.RelyingParty(id=parts.hostname or "", origin=f"{parts.scheme}://{parts.netloc}")
    return factors.RelyingParty(id=request.url.host or "", origin=f"{request.scheme}://{request.host}")


async def _who(request: web.Request) -> tuple[str, bool, str]:
    """(account, whether it is a login waiting for its factor, where to go after). Anyone else is sent
    to log in."""
    account = await sessions.current_account(request)
    if account is not None:
        return account, False, safe_next(request.query.get("next"))
    pending = await sessions.pending_login(request)
    if pending is None:
        await sessions.flash(request, "Your login waited too long for its second factor; ask for a new link.")
        raise web.HTTPSeeOther(request.app.router["login"].url_for())
    return pending[0], True, safe_next(pending[1])


async def _confirm_page(request: web.Request, account: str, pending: bool, next_path: str, *,
                        error: str | None = None, status: int = 200) -> web.Response:
    overview = await factors.overview(request.app[db_pool], account)
    kinds = {f["kind"] for f in overview["factors"]}
    session = await sessions.get_session(request)
    assertion = await factors.passkey_assertion(request.app[db_pool], account, relying_party(request))
    if assertion is not None:
        session[ASSERTION_STATE] = assertion[1]
    return await render("second_factor.html", request, {
        "for_account": account, "pending": pending, "next": next_path, "error": error,
        "has_totp": "totp" in kinds, "passkey_options": assertion[0] if assertion else None,
        "codes_left": overview["codes_left"], "has_factors": bool(kinds)}, status=status)


@routes.get("/login/second-factor", name="second_factor")
async def confirm_form(request: web.Request) -> web.StreamResponse:
    account, pending, next_path = await _who(request)
    return await _confirm_page(request, account, pending, next_path)


@routes.post("/login/second-factor", name="second_factor_check")
async def confirm(request: web.Request) -> web.StreamResponse:
    account, pending, next_path = await _who(request)
    form = await request.post()
    if not pending:
        next_path = safe_next(str(form.get("next", "")))
    pool = request.app[db_pool]
    method = form.get("method")
    if method == "totp":
        result = await factors.check_totp(pool, await factors.factor_key(pool), account, form.get("code"))
    elif method == "passkey":
        state = (await sessions.get_session(request)).pop(ASSERTION_STATE, None)
        result = await factors.check_passkey(pool, account, relying_party(request), state, form.get("credential"))
    elif method == "recovery":
        result = await factors.check_recovery_code(pool, account, form.get("code"))
    else:
        result = factors.Checked(False, "Choose a second factor.")
    await _mail_lockouts(request, account, result.lockouts)
    if not result.ok:
        locked = result.lockouts or "locked" in result.message
        return await _confirm_page(request, account, pending, next_path, error=result.message,
                                   status=429 if locked else 400)
    if pending:
        await sessions.log_in(request, account, second_factor=True)
    else:
        await factors.used_now(pool, await sessions.current_session_id(request))
    if result.message:
        await sessions.flash(request, result.message)
    raise web.HTTPSeeOther(next_path)


async def _mail_lockouts(request: web.Request, account: str, lockouts: list[str]) -> None:
    for lockout in lockouts:
        subject, body = factors.LOCKOUT_MAILS[lockout]
        try:
            await request.app[mailer].send(account, subject, body)
        except MailFailed:  # logged by the mailer; the lockout stands and is on the admin's page
            pass


# --- managing ------------------------------------------------------------------------------------------

async def _manage_page(request: web.Request, account: str, *, error: str | None = None, codes: list[str] | None = None,
                       status: int = 200, name: str = "") -> web.Response:
    pool = request.app[db_pool]
    overview = await factors.overview(pool, account)
    session = await sessions.get_session(request)
    rp = relying_party(request)
    if TOTP_SETUP not in session or not isinstance(session[TOTP_SETUP], str):
        session[TOTP_SETUP] = factors.new_totp_secret()
    totp_secret = session[TOTP_SETUP]
    issuer = urlsplit(request.app[public_url]).hostname or "capsul"
    registration = factors.passkey_registration(
        account, rp, await factors.passkey_ids(pool, account))
    session[REGISTRATION_STATE] = registration[1]
    standing = await sessions.factor_standing(request, account)
    return await render("second_factors.html", request, {
        **overview, "error": error, "codes": codes, "name": name,
        "has_totp": any(f["kind"] == "totp" for f in overview["factors"]),
        "totp_secret": totp_secret, "totp_qr": factors.qr_svg_data_uri(factors.totp_uri(totp_secret, account, issuer)),
        "registration_options": registration[0], "passkeys_possible": _passkeys_possible(rp),
        "required_from": standing["required_from"], "required_now": standing["required_now"],
        "kind_words": factors.KIND_WORDS}, status=status)


def _passkeys_possible(rp: factors.RelyingParty) -> bool:
    """Browsers refuse passkeys for an IP address; the page says to open it by name instead."""
    return not all(c.isdigit() or c == "." for c in rp.id) and ":" not in rp.id


@routes.get("/account/second-factors", name="second_factors")
@sessions.login_required
async def manage(request: web.Request, account: str) -> web.StreamResponse:
    return await _manage_page(request, account)


@routes.post("/account/second-factors/totp", name="second_factor_add_totp")
@sessions.login_required
async def add_totp(request: web.Request, account: str) -> web.StreamResponse:
    await sessions.recent_factor_needed(request, account, factors.RECENT, _ADD_WHY, back=_MANAGE)
    form = await request.post()
    pool = request.app[db_pool]
    session = await sessions.get_session(request)
    try:
        codes = await factors.add_totp(pool, await factors.factor_key(pool), account, form.get("name"),
                                       session.get(TOTP_SETUP), form.get("code"))
    except factors.FactorRefused as e:
        return await _manage_page(request, account, error=str(e), status=e.status, name=str(form.get("name", "")))
    session.pop(TOTP_SETUP, None)
    return await _added(request, account, codes, "Your authenticator app is set up.")


@routes.post("/account/second-factors/passkey", name="second_factor_add_passkey")
@sessions.login_required
async def add_passkey(request: web.Request, account: str) -> web.StreamResponse:
    await sessions.recent_factor_needed(request, account, factors.RECENT, _ADD_WHY, back=_MANAGE)
    form = await request.post()
    state = (await sessions.get_session(request)).pop(REGISTRATION_STATE, None)
    try:
        codes = await factors.add_passkey(request.app[db_pool], account, form.get("name"), relying_party(request),
                                          state, form.get("credential"))
    except factors.FactorRefused as e:
        return await _manage_page(request, account, error=str(e), status=e.status, name=str(form.get("name", "")))
    return await _added(request, account, codes, "Your passkey is registered.")


async def _added(request: web.Request, account: str, codes: list[str], said: str) -> web.StreamResponse:
    # the factor just proven counts as used by this login
    await factors.used_now(request.app[db_pool], await sessions.current_session_id(request))
    if codes:  # rendered, not redirected: this response is the only place the codes ever appear
        await sessions.flash(request, said)
        return await _manage_page(request, account, codes=codes, status=201)
    await sessions.flash(request, said)
    raise web.HTTPSeeOther(request.app.router["second_factors"].url_for())


_MANAGE = "/account/second-factors"
_ADD_WHY = "Confirm with one of your second factors to add another."
_FRESH_WHY = "Confirm with one of your second factors first: removing one, or making new recovery codes, needs it."


@routes.post("/account/second-factors/remove", name="second_factor_remove")
@sessions.login_required
async def remove(request: web.Request, account: str) -> web.StreamResponse:
    await sessions.recent_factor_needed(request, account, factors.FRESH, _FRESH_WHY, back=_MANAGE)
    factor_id = parse_int((await request.post()).get("id"))
    try:
        if factor_id is None:
            raise factors.FactorRefused("You have no such second factor.", 404)
        removed = await factors.remove(request.app[db_pool], account, factor_id)
    except factors.FactorRefused as e:
        return await _manage_page(request, account, error=str(e), status=e.status)
    await sessions.flash(request, f"Removed the {factors.KIND_WORDS[removed['kind']]} {removed['name']!r}.")
    raise web.HTTPSeeOther(request.app.router["second_factors"].url_for())


@routes.post("/account/second-factors/recovery-codes", name="second_factor_codes")
@sessions.login_required
async def new_codes(request: web.Request, account: str) -> web.StreamResponse:
    await sessions.recent_factor_needed(request, account, factors.FRESH, _FRESH_WHY, back=_MANAGE)
    try:
        codes = await factors.new_recovery_codes(request.app[db_pool], account)
    except factors.FactorRefused as e:
        return await _manage_page(request, account, error=str(e), status=e.status)
    await sessions.flash(request, "New recovery codes: the old ones no longer work.")
    return await _manage_page(request, account, codes=codes, status=201)
