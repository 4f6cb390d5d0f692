"""The hub's heartbeat sweep: every spoke, concurrently, every HEARTBEAT_INTERVAL seconds.

Each call has its own timeout, so a hung or unreachable spoke delays neither the
others nor any web request. A spoke is offline after HEARTBEAT_MISSES misses in a row
and online again at its next answer (or when it announces itself at /hub/heartbeat).
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field

import aiopg
import psycopg2

from capsul import signing
from capsul import version as versions
from capsul.config import Config
from capsul.hub import db
from capsul.hub.db import hosts
from capsul.hub.spokes import leases
from capsul.hub.spokes.client import SpokeClient
from capsul.limits import INT4_MAX, INT8_MAX, is_int

log = logging.getLogger(__name__)
# Heartbeats in flight at once. All 1,000 of a large fleet at once put 1,000 answers in the event
# loop's queue together, ahead of every web request (console p99 9.5× its idle value while
# sweeping); 20 at a time keep that to 3.6× and the sweep no slower (bench/heartbeat_sweep.py).
IN_FLIGHT = 20
DIGEST = re.compile(r"[0-9a-f]{64}")


class Refused(Exception):
    """The spoke answered, but runs a version this hub does not work with."""

    def __init__(self, version: str | None, reason: str):
        super().__init__(reason)
        self.version, self.reason = version, reason


async def ask_one(client: SpokeClient, config: Config,
                  host: dict) -> tuple[dict, int, dict, str | None, dict | None] | str | Refused:
    """One spoke's heartbeat: (capacity, last event seq, missing networks, version, images), why it did not
    answer, or Refused. The spoke is told which libvirt networks its pools name, and says which are
    missing; and this hub's version."""
    try:
        answer = await client.call(host, "/spoke/heartbeat", {"networks": host.get("networks") or [],
                                                              "version": versions.VERSION},
                                   timeout=config.heartbeat_timeout)
        return _parse_answer(answer)
    except signing.CallFailed as e:
        return str(e)
    except Refused as e:
        return e


CAPACITY_KEYS = ("cpus", "memory_mb", "committed_cpus", "committed_memory_mb")


def _parse_answer(answer: dict) -> tuple[dict, int, dict, str | None, dict | None]:
    capacity, seq = answer.get("capacity"), answer.get("last_event_seq")
    version = spoke_version(answer.get("version"))
    if version is False:
        raise signing.CallFailed(f"invalid heartbeat answer: version must be a version such as {versions.VERSION}")
    if why := versions.spoke_refusal(version):
        raise Refused(version, why)
    missing = answer.get("missing_networks", {})
    keys = CAPACITY_KEYS
    if (not isinstance(capacity, dict) or not all(is_int(capacity.get(k), 0, INT4_MAX) for k in keys)
            or not is_int(seq)):
        raise signing.CallFailed("invalid heartbeat answer: expected capacity and last_event_seq in range")
    if not isinstance(missing, dict) or not all(isinstance(k, str) and isinstance(v, str) and len(k) <= 200
                                                and len(v) <= 200 for k, v in missing.items()):
        raise signing.CallFailed("invalid heartbeat answer: missing_networks must map names to reasons")
    return {k: capacity[k] for k in keys}, seq, missing, version, images_held(answer.get("images"))


MAX_IMAGES = 1000
IMAGE_STATES = ("present", "fetching", "failed")


def images_held(reported) -> dict | None:
    """What a spoke says of its OS images ({sha256: {state, ...}}, capsul/spoke/images/fetcher.py
    `report`), kept to the fields the hub shows and checked; None from a spoke that says nothing
    (a release before images by digest)."""
    if reported is None:
        return None
    if not isinstance(reported, dict) or len(reported) > MAX_IMAGES:
        raise signing.CallFailed(f"invalid heartbeat answer: images must map at most {MAX_IMAGES} digests")
    held = {}
    for digest, about in reported.items():
        if not (isinstance(digest, str) and DIGEST.fullmatch(digest) and isinstance(about, dict)
                and about.get("state") in IMAGE_STATES):
            raise signing.CallFailed("invalid heartbeat answer: an image is a SHA-256 and its state")
        kept = {"state": about["state"]}
        for key in ("bytes", "done", "total", "at"):
            if is_int(about.get(key), 0, INT8_MAX):
                kept[key] = about[key]
        if isinstance(about.get("error"), str):
            kept["error"] = about["error"][:300]
        files = about.get("files")
        if isinstance(files, list):
            kept["files"] = [f for f in files[:10] if isinstance(f, str) and len(f) <= 200]
        held[digest] = kept
    return held


def spoke_version(value) -> str | None | bool:
    """The version a spoke says it runs: the text, None when it says none (releases before
    0.8.0), or False when what it says is not a version."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > versions.MAX_LENGTH:
        return False
    try:
        versions.parse(value)
    except ValueError:
        return False
    return value


async def sweep(pool: aiopg.Pool, client: SpokeClient, config: Config) -> dict[str, bool]:
    """One heartbeat to every host at once, then one write for them all; returns {host id: answered}."""
    async with db.cursor(pool) as cur:
        targets = await hosts.list_hosts_to_call(cur)
    if not targets:
        return {}
    in_flight = asyncio.Semaphore(IN_FLIGHT)

    async def ask(host: dict):
        async with in_flight:
            return await ask_one(client, config, host)
    answers = await asyncio.gather(*(ask(h) for h in targets), return_exceptions=True)
    for host, answer in zip(targets, answers):
        # a bug of ours, not the spoke's silence: counted as a miss, never fatal
        if isinstance(answer, BaseException) and not isinstance(answer, Refused):
            log.error("heartbeat to %s failed unexpectedly: %r", host["id"], answer)
    answers = [a if isinstance(a, (tuple, str, Refused)) else f"heartbeat failed: {a!r}" for a in answers]
    answered = {h["id"]: a for h, a in zip(targets, answers) if isinstance(a, tuple)}
    missed = {h["id"]: a for h, a in zip(targets, answers) if isinstance(a, str)}
    refused = {h["id"]: (a.version, a.reason) for h, a in zip(targets, answers) if isinstance(a, Refused)}
    async with db.cursor(pool) as cur:
        async with cur.begin():
            came_online, went_offline = await hosts.record_sweep(cur, answered, missed, config.heartbeat_misses,
                                                                 refused)
            await hosts.notify_changed(cur)
    for host_id in came_online:
        log.info("spoke %s is online", host_id)
    for host_id in went_offline:
        log.warning("spoke %s is offline: %s", host_id, missed[host_id] if host_id in missed else refused[host_id][1])
    for host_id in set(missed) - set(went_offline):
        log.debug("spoke %s missed a heartbeat: %s", host_id, missed[host_id])
    for host in targets:
        missing = answered.get(host["id"], (None, None, {}, None, None))[2]
        if missing and missing != host.get("missing_networks"):
            log.warning("spoke %s: %s; nothing is placed on it until that is fixed", host["id"],
                        "; ".join(f"libvirt network {n} is {why}" for n, why in sorted(missing.items())))
    return {h["id"]: h["id"] in answered for h in targets}


@dataclass
class SweepStatus:
    """How the heartbeat loop is doing, for /healthz."""
    sweeps: int = 0  # completed sweeps since this hub started
    skipped: int = 0  # rounds another hub took (one hub sweeps per interval)
    last_duration: float | None = None  # seconds the last completed sweep took
    last_error: str | None = None
    started_at: list[float] = field(default_factory=list)  # monotonic starts of the last sweeps (tests)

    @property
    def rounds(self) -> int:
        """Intervals this hub has been through: swept by it or by another hub."""
        return self.sweeps + self.skipped

    def as_dict(self) -> dict:
        return {"sweeps": self.sweeps, "skipped_for_another_hub": self.skipped, "last_duration_s": self.last_duration,
                "last_error": self.last_error}


async def run_heartbeats(pool: aiopg.Pool, client: SpokeClient, config: Config, status: SweepStatus) -> None:
    """Sweep every interval (when this hub gets the turn: one hub sweeps per interval); a sweep
    that fails (database down) is logged and retried next interval."""
    while True:
        started = time.monotonic()
        try:
            if await leases.take_turn(pool, "heartbeat-sweep", config.heartbeat_interval):
                status.started_at = status.started_at[-50:] + [started]
                await sweep(pool, client, config)
                status.sweeps += 1
                status.last_duration = round(time.monotonic() - started, 4)
            else:
                status.skipped += 1
        except (psycopg2.Error, OSError, TimeoutError) as e:
            log.error("heartbeat sweep failed: %s", e)
            status.last_error = str(e)
        else:
            status.last_error = None
        await asyncio.sleep(max(0.0, config.heartbeat_interval - (time.monotonic() - started)))
