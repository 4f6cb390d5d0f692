"""Live state for browsers: PostgreSQL LISTEN → this hub process's websocket clients.

Every state change NOTIFYs `vm_changed` when its transaction commits (db/vms.add_event), and
the heartbeat sweep NOTIFYs `hosts_changed`, a token revocation `api_token_revoked` and a
logout `login_session_ended` (whose websockets are then closed). Each hub process runs one ChangeListener on a
connection of its own; it turns a notification into one envelope, serialized once, and the
Broadcaster offers it to the clients allowed to see it (the capsul's owner; admins watching
everything). Each client has a bounded queue drained by one writer: a client that cannot keep
up is disconnected, never allowed to grow memory or hold up the others.

Envelope (docs/architecture.md §6): {"type": ..., "ts": <unix seconds>, "data": {...}}
    snapshot        {"capsuls": [capsul, ...], "events": [...] (when watching one capsul)}
    capsul.state    {"capsul": capsul, "event": {"state", "reason", "host_id", "at", "timeline"}}
    hosts.changed   {}  (admins watching everything)
    capsul.usage    {"capsul": id, "point": {"t", "cpu_percent", ...}}  (a detail page asking for usage, while visible)
    capsul.backup   {"capsul": id, "backup": backup}  (hub/db/backups.py view_of: status, progress, sizes)
    capsul.move     {"capsul": id, "move": {operation, memory_total, memory_remaining, disk_total,
                     disk_remaining, ...}}  (a live move's progress, hub/db/moves.py)
    ping            {}
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from datetime import datetime

import aiopg
import psycopg2

from capsul import vm_states
from capsul.vm_ids import is_vm_id
from capsul import lifecycle_words
from capsul.backoff import Backoff
from capsul.hub import capsuls, db
from capsul.hub.accounts import api_tokens, login_sessions
from capsul.hub.connections import Connections
from capsul.hub.db import hosts, vms
from capsul.hub.db import usage as usage_db

log = logging.getLogger(__name__)

HOSTS_CHANNEL = hosts.CHANGED_CHANNEL
QUEUE_BOUND = 256  # messages a client may have waiting before it is disconnected
PING_INTERVAL = 25  # seconds between application-level pings (also keep proxies from timing out)
PING = "ping"  # a queue item asking the writer for a ping
PING_SLICES = 25  # a round of pings is spread over its interval, one slice of the clients at a time


def envelope(kind: str, data: dict) -> str:
    return json.dumps({"type": kind, "ts": time.time(), "data": data}, default=_json_default)


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def capsul_view(vm: dict, *, with_owner: bool = False) -> dict:
    """What a page shows of a capsul, and which buttons it may offer now (one rule, from capsuls.py)."""
    view = {
        "id": vm["id"], "state": vm["state"], "size": vm["size"], "os": vm["os"],
        "public_ipv4": vm["public_ipv4"], "public_ipv6": vm.get("public_ipv6"), "created_at": vm["created_at"],
        "failure_reason": vm["failure_reason"],
        "problem": lifecycle_words.readable(vm.get("problem")),
        "state_changed_at": vm["state_changed_at"],
        "actions": vm_states.actions_for(vm["state"], vm.get("problem")),
        "changes": vm_states.changes_for(vm["state"], vm.get("problem")),  # rebuild, resize
        "deletable": vm["state"] in capsuls.DESTROYABLE or vm["state"] == vm_states.FAILED,  # a failed one: dismissed
        # a gone capsul's addresses were given back, and may be someone else's now
        "released": vm["state"] in vm_states.GONE,
        "ssh_host_keys": vm.get("ssh_host_keys") or [],
    }
    if with_owner:
        view["account"], view["host_id"] = vm["account"], vm["host_id"]
    return view


def _stored_time(value: object) -> datetime:
    """The time a notification carries (as the database stored the event), else now."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    return datetime.now().astimezone()


class LiveClient:
    """One websocket connection's side of the fan-out: what is waiting for its writer.

    A list and one wake-up future rather than an asyncio.Queue: the queue's four deques were
    3 KB of every connection's ~25 (bench/many_clients.py), and the writer is its only reader."""

    __slots__ = ("account", "see_all", "bound", "waiting", "_wakeup", "dropped", "_on_drop",
                 "usage_of", "usage_visible", "usage_sent_at", "sent_lately", "ping_slice")

    def __init__(self, account: str, *, see_all: bool, on_drop: Callable[[LiveClient], None],
                 bound: int = QUEUE_BOUND):
        self.account = account
        self.see_all = see_all
        self.bound = bound
        self.waiting: list[tuple[int, bytes | str]] = []  # (number, frame encoded once), oldest first
        self._wakeup: asyncio.Future | None = None  # the writer's, while it waits for a message
        self.dropped = False  # cut off (fallen behind, token revoked, logged out): nothing more is queued
        self._on_drop = on_drop
        self.usage_of: str | None = None  # the capsul whose new usage points it gets (checked to be theirs)
        self.usage_visible = True  # the page says whether it is visible: nothing is sent while hidden
        self.usage_sent_at = 0.0  # the newest point's time sent
        self.sent_lately = False  # a message went out since the last ping round (then no ping is needed)
        self.ping_slice = 0  # which slice of a ping round it is in (set by the Broadcaster)

    def offer(self, number: int, text: bytes | str) -> None:
        if self.dropped:
            return
        if len(self.waiting) >= self.bound:
            log.warning("websocket client of %s fell %d messages behind; disconnecting it", self.account, self.bound)
            self.drop()
            return
        self.waiting.append((number, text))
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    async def next_message(self) -> tuple[int, bytes | str]:
        """The oldest message waiting; waits for one (the writer is the only caller)."""
        while not self.waiting:
            self._wakeup = asyncio.get_running_loop().create_future()
            try:
                await self._wakeup
            finally:
                self._wakeup = None
        return self.waiting.pop(0)

    def drop(self) -> None:
        """Cut it off (fallen behind, token revoked or expired, logged out): its connection ends."""
        self.dropped = True
        self._on_drop(self)


class Broadcaster:
    """This process's websocket clients, and what each may see."""

    RESYNC = "resync"  # a queue item asking the writer for a fresh snapshot

    def __init__(self):
        self.clients: set[LiveClient] = set()
        # Who gets a person's events, found by lookup rather than by scanning every client.
        self._by_account: dict[str, set[LiveClient]] = {}
        self._seeing_all: set[LiveClient] = set()
        self.published = 0  # numbers every message, so a writer can drop what its snapshot covers
        self._joined = 0  # clients ever added: spreads them over the ping round's slices

    def add(self, client: LiveClient) -> None:
        client.ping_slice = self._joined % PING_SLICES
        self._joined += 1
        self.clients.add(client)
        if client.see_all:
            self._seeing_all.add(client)
        else:
            self._by_account.setdefault(client.account, set()).add(client)

    def remove(self, client: LiveClient) -> None:
        self.clients.discard(client)
        self._seeing_all.discard(client)
        mine = self._by_account.get(client.account)
        if mine is not None:
            mine.discard(client)
            if not mine:
                del self._by_account[client.account]

    def publish(self, text: str, *, account: str | None, text_for_all: str | None = None) -> int:
        """To the owner's clients and those watching everything (account None: those only);
        `text_for_all`, when given, is what those watching everything get instead. Each text is
        encoded once; every client gets the same bytes."""
        self.published += 1
        frame = text.encode()
        frame_for_all = text_for_all.encode() if text_for_all is not None else frame
        for client in list(self._seeing_all):
            client.offer(self.published, frame_for_all)
        if account is not None:
            for client in list(self._by_account.get(account, ())):
                client.offer(self.published, frame)
        return self.published

    def publish_to(self, client: LiveClient, text: str) -> None:
        """To one client (a message only it asked for)."""
        self.published += 1
        client.offer(self.published, text.encode())

    def usage_watchers(self) -> list[LiveClient]:
        return [c for c in self.clients if c.usage_of and c.usage_visible and not c.dropped]

    async def run_pings(self) -> None:
        """Every PING_INTERVAL, a ping to each client that was sent nothing since the last round
        (so an idle one hears from the hub every one or two intervals). One loop for all
        clients, not a timer or a timeout per connection: with thousands connected those were
        memory and CPU of their own (bench/many_clients.py). A round goes a slice of the clients
        at a time, so thousands of writers never wake at once for it."""
        tick = 0
        while True:
            await asyncio.sleep(PING_INTERVAL / PING_SLICES)
            tick = (tick + 1) % PING_SLICES
            for client in list(self.clients):
                if client.ping_slice == tick:
                    if not client.sent_lately:
                        client.offer(0, PING)
                    client.sent_lately = False

    def resync_all(self) -> None:
        """After notifications may have been missed (the listener reconnected)."""
        self.published += 1
        for client in list(self.clients):
            client.offer(self.published, self.RESYNC)


class ChangeListener:
    """LISTENs on its own connection and publishes; reconnects with back-off, then resyncs everyone."""

    def __init__(self, dsn: str, pool: aiopg.Pool, broadcaster: Broadcaster, connections: Connections):
        self.dsn = dsn
        self.pool = pool
        self.broadcaster = broadcaster
        self.connections = connections  # ended when their login session ends or API token is revoked
        self.listening = asyncio.Event()  # set while LISTEN is active (tests wait for it)
        self.delivered = 0

    async def run(self) -> None:
        backoff = Backoff(first=0.2, ceiling=5.0)
        first = True
        while True:
            try:
                async with aiopg.connect(self.dsn, timeout=10) as conn:
                    async with conn.cursor() as cur:
                        await db.listen(cur, vms.NOTIFY_CHANNEL, HOSTS_CHANNEL, api_tokens.REVOKED_CHANNEL,
                                        login_sessions.ENDED_CHANNEL, usage_db.SAMPLED_CHANNEL)
                    self.listening.set()
                    if not first:
                        log.info("listening for changes again; asking every live page to resync")
                        self.broadcaster.resync_all()
                    first = False
                    backoff.reset()
                    while True:
                        notification = await conn.notifies.get()
                        await self._handle(notification.channel, notification.payload)
            except (psycopg2.Error, OSError, TimeoutError) as e:
                self.listening.clear()
                log.error("change listener lost its database connection (%s); retrying in %.1f s", e,
                          backoff.delay)
            self.listening.clear()
            await backoff.wait()

    async def _handle(self, channel: str, payload: str) -> None:
        self.delivered += 1
        if channel == api_tokens.REVOKED_CHANNEL:
            if payload.isascii() and payload.isdigit():
                self.connections.end_token(int(payload))
            return
        if channel == login_sessions.ENDED_CHANNEL:
            if payload.isascii() and payload.isdigit():
                self.connections.end_session(int(payload))
            return
        if channel == HOSTS_CHANNEL:
            self.broadcaster.publish(envelope("hosts.changed", {}), account=None)
            return
        if channel == usage_db.SAMPLED_CHANNEL:
            await self._send_usage()
            return
        try:
            change = json.loads(payload)
            vm_id = change["vm_id"]
        except (ValueError, KeyError, TypeError):
            log.error("ignoring a malformed %s notification: %.200r", channel, payload)
            return
        if change.get("state") == "backup":  # a backup moved on (hub/db/backups.py): no capsul to read
            self.broadcaster.publish(envelope("capsul.backup", {"capsul": vm_id, "backup": change.get("backup")}),
                                     account=change.get("account"))
            return
        if change.get("state") == "move":  # a move's progress (hub/db/moves.py): no capsul to read
            self.broadcaster.publish(envelope("capsul.move", {"capsul": vm_id, "move": change.get("move")}),
                                     account=change.get("account"))
            return
        try:
            async with db.cursor(self.pool) as cur:
                vm = await vms.get_vm(cur, vm_id)
        except db.NotFound:
            return
        except (psycopg2.Error, OSError, TimeoutError) as e:
            log.error("cannot read %s for its live update (%s); pages resync", vm_id, e)
            self.broadcaster.resync_all()
            return
        event = {"state": change.get("state"), "reason": lifecycle_words.readable(change.get("reason")),
                 "host_id": change.get("host_id"),
                 "at": _stored_time(change.get("at")),
                 # SSH host keys learnt: the capsul changed, but its timeline did not
                 "timeline": change.get("timeline", True) and change.get("state") != "ssh_host_keys"}
        self.broadcaster.publish(
            envelope("capsul.state", {"capsul": capsul_view(vm), "event": event}), account=vm["account"],
            text_for_all=envelope("capsul.state", {"capsul": capsul_view(vm, with_owner=True), "event": event}))


    async def _send_usage(self) -> None:
        """New samples arrived (from some spoke): each visible detail page asking for usage gets its
        capsul's newest point, once. One query for all of them."""
        watchers = self.broadcaster.usage_watchers()
        if not watchers:
            return
        try:
            async with db.cursor(self.pool) as cur:
                points = await usage_db.latest(cur, sorted({c.usage_of for c in watchers}))
        except (psycopg2.Error, OSError, TimeoutError) as e:
            log.error("cannot read usage for live graphs (%s)", e)
            return
        for client in watchers:
            point = points.get(client.usage_of)
            if point is not None and float(point["t"]) > client.usage_sent_at:
                client.usage_sent_at = float(point["t"])
                self.broadcaster.publish_to(client, envelope("capsul.usage", {
                    "capsul": client.usage_of, "point": {k: float(v) for k, v in point.items()}}))


async def snapshot(pool: aiopg.Pool, client: LiveClient, watched_capsul: str | None) -> str:
    """Every capsul the client may see (and one capsul's timeline, when a page watches one)."""
    async with db.cursor(pool) as cur:
        rows = await vms.list_vms(cur, None if client.see_all else client.account)
        data: dict = {"capsuls": [capsul_view(r, with_owner=client.see_all) for r in rows]}
        if watched_capsul and not is_vm_id(watched_capsul):
            data["watched"] = None
        elif watched_capsul:
            try:
                vm = await vms.get_vm(cur, watched_capsul, None if client.see_all else client.account)
            except db.NotFound:
                data["watched"] = None  # gone, or never theirs: the same answer
            else:
                data["watched"] = capsul_view(vm, with_owner=client.see_all)
                data["events"] = await vms.events(cur, watched_capsul)
    return envelope("snapshot", data)


async def run_writer(client: LiveClient, send: Callable[[bytes | str], asyncio.Future], pool: aiopg.Pool,
                     watched_capsul: str | None, broadcaster: Broadcaster) -> None:
    """The one task writing to a connection: a snapshot, then what is offered to it, in order
    (pings included: Broadcaster.run_pings). `send` takes text, or a message's bytes already
    encoded (written as a text frame)."""
    covered = broadcaster.published  # messages numbered up to here are older than the snapshot
    await send(await snapshot(pool, client, watched_capsul))
    client.sent_lately = True
    while True:
        number, text = await client.next_message()
        if text is PING:
            await send(envelope("ping", {}))
            continue
        client.sent_lately = True
        if text == Broadcaster.RESYNC:
            covered = broadcaster.published
            with contextlib.suppress(psycopg2.Error, OSError, TimeoutError):
                await send(await snapshot(pool, client, watched_capsul))
            continue
        if number <= covered:
            continue  # read from the database before the snapshot was: the snapshot has it
        await send(text)
