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

PREFIX = "capsul_"
SCOPES = ("read", "write")
MAX_TOKENS_PER_ACCOUNT = 50
MAX_EXPIRY_DAYS = 3650
LAST_USED_PRECISION = 60  # seconds: last_used_at is written at most this often per token
REVOKED_CHANNEL = "api_token_revoked"
_NAME_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")
_SECRET_RE = re.compile(r"^capsul_[A-Za-z0-9_-]{43}$")
PUBLIC_COLUMNS = "id, name, scope, created_at, expires_at, last_used_at"


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
                await cur.execute("SELECT email FROM accounts WHERE email = %s FOR UPDATE", (account,))
                if await cur.fetchone() is None:
                    raise TokenRefused("no such account", 404)
                await cur.execute("SELECT count(*) AS n FROM api_tokens WHERE account = %s AND revoked_at IS NULL",
                                  (account,))
                if (await cur.fetchone())["n"] >= MAX_TOKENS_PER_ACCOUNT:
                    raise TokenRefused(f"you have {MAX_TOKENS_PER_ACCOUNT} tokens, the most an account can hold; "
                                       "revoke one first")
                await cur.execute(
                    f"""INSERT INTO api_tokens (account, name, token_hash, scope, expires_at)
                        VALUES (%s, %s, %s, %s, now() + make_interval(days => %s))
                        RETURNING {PUBLIC_COLUMNS}""",
                    (account, name, secret_hash(secret), scope, expires_in_days))
                return secret, await cur.fetchone()
        except psycopg2.errors.UniqueViolation:
            raise TokenRefused(f"you already have a token named {name!r}; choose another name") from None


async def list_tokens(pool, account: str) -> list[dict]:
    """Live tokens (not revoked), expired ones included so people see why a script stopped."""
    async with db.cursor(pool) as cur:
        await cur.execute(f"""SELECT {PUBLIC_COLUMNS}, expires_at IS NOT NULL AND expires_at <= now() AS expired
                              FROM api_tokens WHERE account = %s AND revoked_at IS NULL
                              ORDER BY created_at, id""", (account,))
        return await cur.fetchall()


async def revoke_token(pool, account: str, token_id: int) -> dict:
    async with db.cursor(pool) as cur:
        async with cur.begin():
            await cur.execute(
                f"""UPDATE api_tokens SET revoked_at = now()
                    WHERE id = %s AND account = %s AND revoked_at IS NULL RETURNING {PUBLIC_COLUMNS}""",
                (token_id, account))
            row = await cur.fetchone()
            if row is None:
                raise TokenRefused("you have no such token", 404)
            await cur.execute("SELECT pg_notify(%s, %s)", (REVOKED_CHANNEL, str(token_id)))
    return row


async def authenticate(pool, secret: str) -> TokenIdentity:
    """Who the token speaks for. Refused (401) if malformed, unknown, revoked or expired."""
    if not isinstance(secret, str) or not _SECRET_RE.match(secret):
        raise TokenRefused("this API token is not valid", 401)
    async with db.cursor(pool) as cur:
        await cur.execute(
            """SELECT id, account, scope, expires_at,
                      last_used_at IS NULL OR last_used_at < now() - make_interval(secs => %s) AS stale
               FROM api_tokens
               WHERE token_hash = %s AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())""",
            (LAST_USED_PRECISION, secret_hash(secret)))
        row = await cur.fetchone()
        if row is not None and row["stale"]:  # a busy script must not cost a write per request
            await cur.execute("UPDATE api_tokens SET last_used_at = now() WHERE id = %s", (row["id"],))
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
