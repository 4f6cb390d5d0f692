"""`python run.py watch`: print a person's capsul events as they happen, for scripts and terminals.

Reads CAPSUL_URL (the console's URL, e.g. https://capsul.example) and CAPSUL_TOKEN (a personal
API token). Connects to GET /ws with the token, prints the snapshot and then one line per
event, and reconnects by itself with back-off (each reconnection starts with a fresh
snapshot, so nothing is missed). A refused token ends it with status 1.

    2026-11-25T10:00:00+00:00 capsul-abcde12345 running
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import datetime, timezone
from urllib.parse import urlsplit

import aiohttp

from capsul.backoff import Backoff

MAX_BACKOFF = 15.0


class TokenRefused(Exception):
    pass


def settings(environ: dict[str, str], path: str = "/ws") -> tuple[str, str]:
    """(websocket URL of `path` on the hub, token), or ValueError naming what is missing or wrong."""
    url, token = environ.get("CAPSUL_URL", "").strip().rstrip("/"), environ.get("CAPSUL_TOKEN", "").strip()
    if not url or not token:
        raise ValueError("set CAPSUL_URL (the console's URL) and CAPSUL_TOKEN (an API token from the console)")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"CAPSUL_URL: expected an http(s):// URL, got {url!r}")
    return ("wss" if parts.scheme == "https" else "ws") + f"://{parts.netloc}{path}", token


ENDED_LOGIN = {4002: "the token expired", 4003: "the token was revoked"}  # hub/connections.py CLOSE_CODES


def describe(message: dict) -> list[str]:
    """The lines a message prints (none for pings)."""
    kind, data = message.get("type"), message.get("data") or {}
    when = datetime.fromtimestamp(message.get("ts", 0), timezone.utc).isoformat(timespec="seconds")
    if kind == "snapshot":
        return [f"{when} {c['id']} {c['state']} (now)" for c in data.get("capsuls", [])]
    if kind == "capsul.state":
        capsul, event = data["capsul"], data.get("event") or {}
        if event.get("timeline") is False:
            return [f"{when} {capsul['id']} {capsul['state']} (SSH host keys known)"]
        reason = f" — {event['reason']}" if event.get("reason") else ""
        return [f"{when} {capsul['id']} {capsul['state']}{reason}"]
    return []


async def watch_once(session: aiohttp.ClientSession, url: str, token: str, out) -> None:
    try:
        ws = await session.ws_connect(url, headers={"Authorization": f"Bearer {token}"}, heartbeat=60)
    except aiohttp.WSServerHandshakeError as e:
        if e.status in (401, 403):
            raise TokenRefused(f"the hub refused the token ({e.status}): make a new one in the console") from None
        raise
    async with ws:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            for line in describe(json.loads(msg.data)):
                print(line, file=out, flush=True)
    if ws.close_code in ENDED_LOGIN:  # the token behind it was revoked or expired: no use reconnecting
        raise TokenRefused(f"the hub closed the connection: {ENDED_LOGIN[ws.close_code]}")


async def watch(url: str, token: str, out=sys.stdout, err=sys.stderr) -> int:
    backoff = Backoff(first=0.5, ceiling=MAX_BACKOFF)
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                await watch_once(session, url, token, out)
                problem = "the hub closed the connection"
                backoff.reset()
            except TokenRefused as e:
                print(f"capsul watch: {e}", file=err, flush=True)
                return 1
            except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as e:
                problem = f"{type(e).__name__}: {e}"
            print(f"capsul watch: {problem}; reconnecting in {backoff.delay:.1f} s", file=err, flush=True)
            await backoff.wait()


def main() -> int:
    try:
        url, token = settings(dict(os.environ))
    except ValueError as e:
        print(f"capsul watch: {e}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(watch(url, token))
    except KeyboardInterrupt:
        return 0
