"""Signed hub↔spoke requests (docs/architecture.md §3): the one implementation both sides use.

    Authorization: Capsul-HMAC-SHA256 host=<host id>, ts=<unix seconds>, nonce=<32 hex>, sig=<64 hex>

`sig` = hex HMAC-SHA256(token, "\\n".join([direction, METHOD, target, ts, nonce, sha256hex(body)])).

`target` is the request's path with its query string (`/spoke/operation?x=1`), or the path alone
when there is none. Releases before the query was signed sent none and signed the path: the same
line, so older and newer hubs and spokes keep verifying each other during a rolling upgrade, and a
query appended to a request signed without it is refused.

Server side: `signed_api_middleware(direction, lookup)` guards a sub-app; a request it
lets through carries its verified `SignedRequest` under `request[SIGNED]`. Client
side: `signed_post()` signs and sends one request through the process's single
aiohttp session; `signed_websocket()` opens a websocket whose upgrade request is signed
the same way (GET, empty body). Tokens never appear in logs or errors.
"""
from __future__ import annotations

import asyncio
import collections
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from capsul import errors

log = logging.getLogger(__name__)

SCHEME = "Capsul-HMAC-SHA256"
HUB_TO_SPOKE = "hub->spoke"
SPOKE_TO_HUB = "spoke->hub"
SPOKE_TO_SPOKE = "spoke->spoke"  # a cold move's disk, signed with the move's one-time secret (capsul/spoke/moves.py)
DIRECTIONS = (HUB_TO_SPOKE, SPOKE_TO_HUB, SPOKE_TO_SPOKE)
MAX_SKEW = 60  # seconds a timestamp may be away from the receiver's clock
MAX_BODY = 1024 * 1024  # bytes

_HEADER_RE = re.compile(
    r"^Capsul-HMAC-SHA256 host=([a-z0-9][a-z0-9_.-]{0,62}), ts=([0-9]{1,12}), "
    r"nonce=([0-9a-f]{32}), sig=([0-9a-f]{64})$")


class SignatureInvalid(Exception):
    """A request that must be refused with 401; str() is safe to show the caller."""


@dataclass(frozen=True)
class Authorization:
    host: str
    ts: int
    nonce: str
    sig: str


@dataclass(frozen=True)
class SignedRequest:
    """What a verified request carries to its handler."""
    host_id: str
    body: dict[str, Any]
    token_index: int  # 0: the current token, 1: the previous one (still in its grace period)


SIGNED = web.RequestKey("signed_request", SignedRequest)


def string_to_sign(direction: str, method: str, path: str, ts: int, nonce: str, body: bytes) -> bytes:
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}")
    return "\n".join([direction, method.upper(), path, str(ts), nonce,
                      hashlib.sha256(body).hexdigest()]).encode()


def signature(token: str, direction: str, method: str, path: str, ts: int, nonce: str, body: bytes) -> str:
    message = string_to_sign(direction, method, path, ts, nonce, body)
    return hmac.new(token.encode(), message, hashlib.sha256).hexdigest()


def authorization_header(token: str, host_id: str, direction: str, method: str, path: str,
                         body: bytes, *, ts: int | None = None, nonce: str | None = None) -> str:
    ts = int(time.time()) if ts is None else ts
    nonce = secrets.token_hex(16) if nonce is None else nonce
    sig = signature(token, direction, method, path, ts, nonce, body)
    return f"{SCHEME} host={host_id}, ts={ts}, nonce={nonce}, sig={sig}"


def parse_authorization(value: str | None) -> Authorization:
    if not value:
        raise SignatureInvalid("missing Authorization header")
    match = _HEADER_RE.match(value)
    if not match:
        raise SignatureInvalid(f"malformed Authorization header: expected '{SCHEME} host=…, ts=…, "
                               f"nonce=<32 hex>, sig=<64 hex>'")
    host, ts, nonce, sig = match.groups()
    return Authorization(host, int(ts), nonce, sig)


class NonceCache:
    """Nonces seen within the timestamp window, bounded in memory.

    Entries expire once their timestamp leaves the window. When full, the oldest entry
    is dropped and the cache stops accepting any timestamp at or before the dropped
    one, so a dropped nonce can still never be replayed; honest requests carry fresh
    timestamps and are not affected unless the cache is overrun within one second.
    """

    def __init__(self, max_entries: int = 100_000, window: int = MAX_SKEW):
        self.max_entries = max_entries
        self.window = window
        self._seen: collections.OrderedDict[tuple[str, str], int] = collections.OrderedDict()
        self._floor = 0  # timestamps <= floor are refused

    def __len__(self) -> int:
        return len(self._seen)

    def check_and_add(self, host: str, nonce: str, ts: int, now: float) -> bool:
        """False if (host, nonce) was seen, or cannot be proven unseen; else remember it."""
        self._expire(now)
        key = (host, nonce)
        if ts <= self._floor or key in self._seen:
            return False
        while len(self._seen) >= self.max_entries:
            _, dropped_ts = self._seen.popitem(last=False)
            self._floor = max(self._floor, dropped_ts)
        self._seen[key] = ts
        return True

    def _expire(self, now: float) -> None:
        # Arrival order is close to timestamp order; stop at the first entry still inside.
        horizon = now - self.window
        while self._seen:
            key, ts = next(iter(self._seen.items()))
            if ts >= horizon:
                break
            del self._seen[key]


# Returns the tokens that may sign for `host_id` (current first), or [] for an unknown host.
TokenLookup = Callable[[str], Awaitable[Sequence[str]]]


class Verifier:
    def __init__(self, direction: str, lookup: TokenLookup, *, nonces: NonceCache | None = None,
                 clock: Callable[[], float] = time.time):
        if direction not in DIRECTIONS:
            raise ValueError(direction)
        self.direction = direction
        self.lookup = lookup
        self.nonces = nonces or NonceCache()
        self.clock = clock

    async def verify(self, method: str, path: str, header: str | None, read_body: Callable[[], Awaitable[bytes]]
                     ) -> tuple[Authorization, int, bytes]:
        """Check one request; returns (authorization, index of the token that matched, body)."""
        auth = parse_authorization(header)
        now = self.clock()
        if abs(now - auth.ts) > MAX_SKEW:
            raise SignatureInvalid(f"timestamp is more than {MAX_SKEW} s away from the receiver's clock")
        tokens = await self.lookup(auth.host)
        if not tokens:
            raise SignatureInvalid(f"unknown host {auth.host!r}")
        body = await read_body()
        message = string_to_sign(self.direction, method, path, auth.ts, auth.nonce, body)
        matched = -1
        for index, token in enumerate(tokens):
            expected = hmac.new(token.encode(), message, hashlib.sha256).hexdigest()
            if hmac.compare_digest(expected, auth.sig):
                matched = index
                break
        if matched < 0:
            raise SignatureInvalid("signature does not match")
        # Only after the signature holds, so strangers cannot fill the cache.
        if not self.nonces.check_and_add(auth.host, auth.nonce, auth.ts, now):
            raise SignatureInvalid("nonce already used (replayed request)")
        return auth, matched, body


def signed_api_middleware(verifier: Verifier):
    """Refuses every request to the sub-app that is not signed for `verifier.direction`."""

    @web.middleware
    async def middleware(request: web.Request, handler):
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise errors.json_error(413, f"request body is larger than {MAX_BODY} bytes")
        try:
            auth, token_index, body = await verifier.verify(
                request.method, request.rel_url.raw_path_qs, request.headers.get("Authorization"),
                request.read)
        except SignatureInvalid as e:
            log.warning("refused %s %s from %s: %s", request.method, request.rel_url.raw_path,
                        request.remote, e)
            raise errors.json_error(401, str(e)) from None
        except ConnectionResetError:  # the caller gave up (its timeout) before its body arrived: no traceback
            log.info("%s %s from %s: the caller went away before its body arrived", request.method,
                     request.rel_url.raw_path, request.remote)
            raise errors.json_error(400, "the request body did not arrive") from None
        try:
            parsed = json.loads(body) if body else {}
        except (UnicodeDecodeError, ValueError):
            raise errors.json_error(400, "request body is not valid JSON") from None
        except RecursionError:  # json.loads recurses once per nesting level
            raise errors.json_error(400, "request body is nested too deeply") from None
        if not isinstance(parsed, dict):
            raise errors.json_error(400, "request body must be a JSON object")
        request[SIGNED] = SignedRequest(auth.host, parsed, token_index)
        return await handler(request)

    return middleware


class CallFailed(Exception):
    """A signed call got no usable answer. `kind` says why, for the operator:
    "timeout", "unreachable", "error" (an error status) or "invalid" (not the JSON expected)."""

    def __init__(self, reason: str, status: int | None = None, body: dict | None = None, *,
                 kind: str = "error"):
        super().__init__(reason)
        self.status = status
        self.body = body or {}
        self.kind = kind


async def signed_post(session: aiohttp.ClientSession, base_url: str, path: str, payload: dict,
                      *, host_id: str, token: str, direction: str, timeout: float) -> dict:
    """POST `payload` as JSON to base_url+path, signed; returns the JSON answer.

    Raises CallFailed for anything but a 2xx JSON object (with the status and error
    body when there is one), including timeouts and connection errors.
    """
    body = json.dumps(payload, separators=(",", ":")).encode()
    url = URL(base_url).with_path(path)
    headers = {
        "Authorization": authorization_header(token, host_id, direction, "POST", url.raw_path_qs, body),
        "Content-Type": "application/json",
    }
    try:
        async with asyncio.timeout(timeout):
            async with session.post(url, data=body, headers=headers) as resp:
                text = await resp.read()
                try:
                    answer = json.loads(text)
                except ValueError:
                    answer = None
                if not isinstance(answer, dict):
                    raise CallFailed(f"invalid answer: HTTP {resp.status}, not a JSON object", resp.status,
                                     kind="invalid")
                if resp.status >= 300:
                    raise CallFailed(f"HTTP {resp.status}: {answer.get('error', 'no reason given')}",
                                     resp.status, answer)
                return answer
    except TimeoutError:
        raise CallFailed(f"no answer within {timeout:g} s", kind="timeout") from None
    except aiohttp.ClientError as e:
        raise CallFailed(f"cannot reach {url.host}:{url.port}: {e.__class__.__name__}: {e}",
                         kind="unreachable") from None


async def signed_websocket(session: aiohttp.ClientSession, base_url: str, path: str, *, host_id: str, token: str,
                           direction: str, timeout: float, **options) -> aiohttp.ClientWebSocketResponse:
    """Open a websocket at base_url+path whose upgrade request is signed like any other request
    (method GET, empty body). Raises CallFailed as signed_post does; `options` go to ws_connect."""
    url = URL(base_url).with_path(path)
    headers = {"Authorization": authorization_header(token, host_id, direction, "GET", url.raw_path_qs, b"")}
    try:
        async with asyncio.timeout(timeout):
            return await session.ws_connect(url, headers=headers, compress=0, **options)
    except aiohttp.WSServerHandshakeError as e:
        raise CallFailed(f"HTTP {e.status}: {e.message}", e.status) from None
    except TimeoutError:
        raise CallFailed(f"no answer within {timeout:g} s", kind="timeout") from None
    except aiohttp.ClientError as e:
        raise CallFailed(f"cannot reach {url.host}:{url.port}: {e.__class__.__name__}: {e}",
                         kind="unreachable") from None
