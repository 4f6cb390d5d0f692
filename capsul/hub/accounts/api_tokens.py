"""Personal API tokens: named, read-only or read-write, optionally expiring, revocable.

    secret, token = await create_token(pool, account, name, scope, expires_in_days)  # secret shown once
    identity = await authenticate(pool, secret)      # TokenRefused if unknown, revoked or expired
    await revoke_token(pool, account, token_id)      # open websockets using it are closed (NOTIFY)

Only the SHA-256 of a secret is stored. A revocation NOTIFYs `api_token_revoked`, which every
hub process LISTENs for, so a websocket authenticated with the token closes within moments.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import psycopg2

from capsul.hub import db
from capsul.hub.accounts.stored_secrets import secret_hash
from capsul.hub.db import accounts as accounts_db
from capsul.hub.db import api_tokens as tokens_db

PREFIX = "capsul_"
SCOPES = ("read", "write")
MAX_TOKENS_PER_ACCOUNT = 50
MADE_PER_HOUR = 20  # tokens an account may make in an hour, revoked ones included
MAX_EXPIRY_DAYS = 3650
LAST_USED_PRECISION = 60  # seconds: last_used_at is written at most this often per token
REVOKED_CHANNEL = tokens_db.REVOKED_CHANNEL
_NAME_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")
_SECRET_RE = re.compile(r"^capsul_[A-Za-z0-9_-]{43}$")


class TokenRefused(Exception):
    """A token (or a request to make one) refused; str() says why, for the person."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class TokenIdentity:
    account: str
    scope: str
    token_id: int
    expires_at: datetime | None

    @property
    def can_write(self) -> bool:
        return self.scope == "write"


async def create_token(pool, account: str, name: str, scope: str, expires_in_days: int | None) -> tuple[str, dict]:
    name = (name or "").strip()
    if not _NAME_RE.match(name):
        raise TokenRefused("a token name is 1 to 100 characters, without control characters")
    if scope not in SCOPES:
        raise TokenRefused("choose read-only or read-write")
    if expires_in_days is not None and not (1 <= expires_in_days <= MAX_EXPIRY_DAYS):
        raise TokenRefused(f"a token expires after 1 to {MAX_EXPIRY_DAYS} days, or never")
    secret = PREFIX + secrets.token_urlsafe(32)
    async with db.cursor(pool) as cur:
        try:
            async with cur.begin():
                if not await accounts_db.lock_account(cur, account):
                    raise TokenRefused("no such account", 404)
                if await tokens_db.count_live(cur, account) >= MAX_TOKENS_PER_ACCOUNT:
                    raise TokenRefused(f"You have {MAX_TOKENS_PER_ACCOUNT} tokens, the most an account can hold. "
                                       "Revoke one first.")
                if await tokens_db.count_made_since(cur, account, 3600) >= MADE_PER_HOUR:
                    raise TokenRefused(f"You made {MADE_PER_HOUR} tokens in the last hour, the most an account may. "
                                       "Try again later.", 429)
                return secret, await tokens_db.insert(cur, account, name, secret_hash(secret), scope, expires_in_days)
        except psycopg2.errors.UniqueViolation:
            raise TokenRefused(f"you already have a token named {name!r}; choose another name") from None


async def list_tokens(pool, account: str) -> list[dict]:
    """Live tokens (not revoked), expired ones included so people see why a script stopped."""
    async with db.cursor(pool) as cur:
        return await tokens_db.list_live(cur, account)


async def revoke_token(pool, account: str, token_id: int) -> dict:
    async with db.cursor(pool) as cur:
        async with cur.begin():
            row = await tokens_db.revoke(cur, account, token_id)
    if row is None:
        raise TokenRefused("you have no such token", 404)
    return row


async def forget_over(pool, kept_for: float) -> int:
    """Delete tokens revoked or expired for longer than `kept_for` seconds; how many."""
    async with db.cursor(pool) as cur:
        return await tokens_db.delete_over(cur, kept_for)


async def authenticate(pool, secret: str) -> TokenIdentity:
    """Who the token speaks for. Refused (401) if malformed, unknown, revoked or expired."""
    if not isinstance(secret, str) or not _SECRET_RE.match(secret):
        raise TokenRefused("this API token is not valid", 401)
    async with db.cursor(pool) as cur:
        row = await tokens_db.find_usable(cur, secret_hash(secret), used_precision=LAST_USED_PRECISION)
    if row is None:
        raise TokenRefused("this API token is not valid, or was revoked, or has expired", 401)
    return TokenIdentity(row["account"], row["scope"], row["id"], row["expires_at"])


BEARER_HINT = "send your API token as 'Authorization: Bearer <token>'"


async def from_authorization(pool, header: str | None) -> TokenIdentity | None:
    """Who an `Authorization: Bearer <token>` header speaks for; None without the header.
    Refused (TokenRefused, 401) for another scheme, an empty token, or a token not valid."""
    if header is None:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise TokenRefused(BEARER_HINT, 401)
    return await authenticate(pool, secret.strip())
