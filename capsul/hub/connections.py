"""This hub's long-lived connections (live updates on /ws and serial consoles) and what each
stands on: a login session or an API token (docs/architecture.md §6).

Every such connection is opened here and closed here, so that one place

- caps them per account and per token, for each kind (a 429 beyond the cap: one cookie opening
  a thousand sockets holds a thousand connections' memory);
- ends them when what they stand on ends: a logout (this browser, or "every other browser"), a
  token revoked (both NOTIFYd to every hub, hub/live.py's ChangeListener calls `end_session` and
  `end_token`), or the session or token reaching its expiry (a timer per connection).

    held = await connections.open(pool, LIVE, login, end=connection.end)   # TooManyConnections
    ...
    connections.close(held)          # in the connection's own `finally`
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from capsul.hub import db
from capsul.hub.db import api_tokens as tokens_db
from capsul.hub.db import login_sessions as sessions_db

log = logging.getLogger(__name__)

LIVE = "live"  # /ws: live updates of a person's capsuls (or `run.py watch`)
CONSOLE = "console"  # a capsul's serial console (the console page, or `run.py console`)
KIND_WORDS = {LIVE: "live-update connections", CONSOLE: "console connections"}

# Why a connection was ended here (the console's end frames use the same words), and the
# websocket close code each gets on /ws, which a page reads as "you were logged out".
LOGGED_OUT = "logged_out"
TOKEN_REVOKED = "token_revoked"
EXPIRED = "expired"
CLOSE_CODES = {LOGGED_OUT: 4001, EXPIRED: 4002, TOKEN_REVOKED: 4003}


@dataclass(frozen=True, slots=True)
class Login:
    """What a connection stands on: a browser's login session or a script's API token."""
    account: str
    session_id: int | None = None
    token_id: int | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Caps:
    per_account: int
    per_token: int


def connection_caps(config) -> dict[str, Caps]:
    return {LIVE: Caps(config.live_connections_per_account, config.live_connections_per_token),
            CONSOLE: Caps(config.consoles_per_account, config.consoles_per_token)}


class TooManyConnections(Exception):
    """Over a cap; str() is the person's sentence (answered with 429)."""


@dataclass(eq=False, slots=True)
class Held:
    kind: str
    login: Login
    end: Callable[[str], None]  # ends the connection; given LOGGED_OUT, TOKEN_REVOKED or EXPIRED
    expiry: asyncio.TimerHandle | None = field(default=None)


class Connections:
    def __init__(self, caps: dict[str, Caps]):
        self.caps = caps
        self._by_account: dict[tuple[str, str], set[Held]] = {}
        self._by_token: dict[tuple[str, int], set[Held]] = {}
        self._by_session: dict[int, set[Held]] = {}

    def count(self, kind: str, account: str) -> int:
        return len(self._by_account.get((kind, account), ()))

    async def open(self, pool, kind: str, login: Login, *, end: Callable[[str], None]) -> Held:
        """Register a connection about to run. TooManyConnections over a cap; `end` is called at
        once when its session or token ended before it was registered (its NOTIFY came too early)."""
        caps = self.caps[kind]
        if len(self._by_account.get((kind, login.account), ())) >= caps.per_account:
            raise TooManyConnections(f"You have {caps.per_account} {KIND_WORDS[kind]} open, the most an account "
                                     "may have at once. Close one (another tab or script) and try again.")
        if login.token_id is not None and len(self._by_token.get((kind, login.token_id), ())) >= caps.per_token:
            raise TooManyConnections(f"This API token has {caps.per_token} {KIND_WORDS[kind]} open, the most a "
                                     "token may have at once. Close one and try again.")
        held = Held(kind, login, end)
        self._by_account.setdefault((kind, login.account), set()).add(held)
        if login.token_id is not None:
            self._by_token.setdefault((kind, login.token_id), set()).add(held)
        if login.session_id is not None:
            self._by_session.setdefault(login.session_id, set()).add(held)
        if login.expires_at is not None:
            held.expiry = asyncio.get_running_loop().call_later(
                max(0.0, login.expires_at.timestamp() - time.time()), self._end, held, EXPIRED)
        # NOTE: registered first, then checked: an end NOTIFYd between the caller's check and now
        # found nothing to end, so look once more.
        if not await _still_valid(pool, login):
            self._end(held, LOGGED_OUT if login.session_id is not None else TOKEN_REVOKED)
        return held

    def close(self, held: Held) -> None:
        """The connection has ended (its own `finally`); safe to call twice."""
        if held.expiry is not None:
            held.expiry.cancel()
        login = held.login
        _discard(self._by_account, (held.kind, login.account), held)
        if login.token_id is not None:
            _discard(self._by_token, (held.kind, login.token_id), held)
        if login.session_id is not None:
            _discard(self._by_session, login.session_id, held)

    def end_session(self, session_id: int) -> int:
        """A login session ended (logged out): end its connections; how many."""
        return self._end_all(self._by_session.get(session_id, ()), LOGGED_OUT)

    def end_token(self, token_id: int) -> int:
        """An API token was revoked: end its connections; how many."""
        return self._end_all([h for kind in self.caps for h in self._by_token.get((kind, token_id), ())],
                             TOKEN_REVOKED)

    def _end_all(self, holders, why: str) -> int:
        chosen = list(holders)
        for held in chosen:
            self._end(held, why)
        return len(chosen)

    def _end(self, held: Held, why: str) -> None:
        log.info("ending a %s connection of %s: %s", held.kind, held.login.account, why)
        self.close(held)
        held.end(why)


def _discard(index: dict, key, held: Held) -> None:
    holders = index.get(key)
    if holders is not None:
        holders.discard(held)
        if not holders:
            del index[key]


async def _still_valid(pool, login: Login) -> bool:
    async with db.cursor(pool) as cur:
        if login.session_id is not None:
            return await sessions_db.is_live(cur, login.session_id)
        if login.token_id is not None:
            return await tokens_db.is_usable(cur, login.token_id)
    return True
