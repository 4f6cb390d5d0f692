"""Passwordless login: single-use magic-link tokens, stored hashed, expiring, rate-limited.

    token = await issue(pool, email, client_ip)     # mail https://…/login/<token>
    email = await redeem(pool, token)               # once; the account is made on first login
"""
from __future__ import annotations

import re
import secrets

from capsul.hub import db
from capsul.hub.accounts.stored_secrets import secret_hash
from capsul.hub.db import accounts
from capsul.hub.db import login_tokens as tokens_db

TOKEN_TTL = 15 * 60  # seconds
PER_EMAIL = (5, 15 * 60)  # at most 5 links per email per 15 minutes
PER_CLIENT = (20, 15 * 60)  # at most 20 links per client address per 15 minutes
# One mailbox, plainly written: a dot-atom local part and a host name. No lists (`,` `;`), no
# display names or angle brackets, no comments, no quoted local parts: each of those let one form
# mail several addresses, or one mailbox under several spellings past the per-address limit.
_EMAIL_RE = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                       r"@(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])")
TOKEN_PATTERN = r"[A-Za-z0-9_-]{43}"  # secrets.token_urlsafe(32), the only shape issue() makes
_TOKEN_RE = re.compile(TOKEN_PATTERN)


class LoginRefused(Exception):
    """Refused with a message for the person; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def normalize_email(email: object) -> str:
    """The one address `email` names, lower-cased; LoginRefused for anything else."""
    email = email.strip().lower() if isinstance(email, str) else ""
    local = email.partition("@")[0]
    if len(email) > 254 or len(local) > 64 or not _EMAIL_RE.fullmatch(email):
        raise LoginRefused("Enter one email address, such as you@example.org.")
    return email


async def issue(pool, email: str, client_ip: str | None) -> str:
    """A new token for `email` (raw: only its hash is kept). LoginRefused when rate-limited."""
    email = normalize_email(email)
    token = secrets.token_urlsafe(32)
    async with db.cursor(pool) as cur:
        async with cur.begin():
            # NOTE: serialize per email so two quick requests cannot both slip under the limit.
            await tokens_db.lock_email(cur, email)
            counts = await tokens_db.recent_counts(cur, email, client_ip, PER_EMAIL[1], PER_CLIENT[1])
            if counts["by_email"] >= PER_EMAIL[0]:
                raise LoginRefused("Too many login links were sent to this address lately. "
                                   "Use the last one, or try again in 15 minutes.", 429)
            if client_ip and counts["by_client"] >= PER_CLIENT[0]:
                raise LoginRefused("Too many login requests came from your address. Try again in 15 minutes.", 429)
            await tokens_db.insert(cur, secret_hash(token), email, client_ip, TOKEN_TTL)
    return token


def well_formed(token: object) -> bool:
    return isinstance(token, str) and _TOKEN_RE.fullmatch(token) is not None


async def peek(pool, token: str) -> str | None:
    """The email a usable token would log in, without using it (the confirm page names it)."""
    if not well_formed(token):
        return None
    async with db.cursor(pool) as cur:
        return await tokens_db.usable_email(cur, secret_hash(token))


async def redeem(pool, token: str) -> str:
    """The email the token was issued for; the token can never be used again."""
    if not well_formed(token):
        raise LoginRefused("This login link is not valid; ask for a new one.", 400)
    async with db.cursor(pool) as cur:
        async with cur.begin():
            email = await tokens_db.use(cur, secret_hash(token))
            if email is None:
                raise LoginRefused("This login link has expired or was used already; ask for a new one.", 400)
            await accounts.ensure_account(cur, email)  # made on first login
    return email


async def forget_expired(pool, kept_for: float) -> int:
    """Delete login links expired for longer than `kept_for` seconds; how many."""
    async with db.cursor(pool) as cur:
        return await tokens_db.delete_expired(cur, kept_for)
