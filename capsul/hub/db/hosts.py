"""Queries on `hosts`: registration, token rotation, heartbeats, online state."""
from __future__ import annotations

import logging
import secrets

import psycopg2.errors
from psycopg2.extras import Json

from capsul.hub.db import Conflict, NotFound

log = logging.getLogger(__name__)

# Columns safe to show (no tokens).
# What the hub needs to call a host: its URL and hub tokens (the previous one only in its grace period).
CALL_COLUMNS = ("id, https_url, online, hub_token, missing_networks, "
                "CASE WHEN previous_valid_until > now() THEN previous_hub_token END AS previous_hub_token, "
                # the libvirt networks its pools name: the heartbeat asks the spoke whether they exist
                "array(SELECT n.network_name FROM host_network n WHERE n.host_id = hosts.id ORDER BY 1) AS networks")
PUBLIC_COLUMNS = ("id, https_url, online, missed_heartbeats, last_heartbeat_at, last_error, "
                  "capacity, last_event_seq, created_at, missing_networks, version")


def new_token() -> str:
    return secrets.token_hex(32)


def new_token_pair() -> tuple[str, str]:
    """(SPOKE_HOST_TOKEN, HUB_TOKEN): never equal."""
    return new_token(), new_token()


async def add_host(cur, host_id: str, https_url: str) -> tuple[str, str]:
    token, hub_token = new_token_pair()
    try:
        await cur.execute(
            "INSERT INTO hosts (id, https_url, token, hub_token) VALUES (%s, %s, %s, %s)",
            (host_id, https_url, token, hub_token))
    except psycopg2.errors.UniqueViolation:
        raise Conflict(f"host {host_id!r} exists already; use rotate-token to issue new tokens") from None
    return token, hub_token


async def register_local_host(cur, host_id: str, https_url: str) -> tuple[str, str]:
    """The spoke sharing the hub's process: fresh tokens at every start, no previous ones."""
    token, hub_token = new_token_pair()
    await cur.execute(
        """INSERT INTO hosts (id, https_url, token, hub_token) VALUES (%s, %s, %s, %s)
           ON CONFLICT (id) DO UPDATE SET https_url = EXCLUDED.https_url, token = EXCLUDED.token,
               hub_token = EXCLUDED.hub_token, previous_token = NULL, previous_hub_token = NULL,
               previous_valid_until = NULL, online = false, missed_heartbeats = 0""",
        (host_id, https_url, token, hub_token))
    return token, hub_token


async def rotate_tokens(cur, host_id: str, grace_seconds: float) -> tuple[str, str]:
    """New tokens; the current ones stay valid for `grace_seconds`."""
    token, hub_token = new_token_pair()
    await cur.execute(
        """UPDATE hosts SET previous_token = token, previous_hub_token = hub_token,
               previous_valid_until = now() + make_interval(secs => %s),
               token = %s, hub_token = %s
           WHERE id = %s RETURNING id""",
        (grace_seconds, token, hub_token, host_id))
    if await cur.fetchone() is None:
        raise NotFound(f"no host {host_id!r}")
    return token, hub_token


async def spoke_signing_tokens(cur, host_id: str) -> list[str]:
    """Tokens a spoke may sign spoke->hub requests with: current, then previous within grace."""
    await cur.execute(
        """SELECT token, CASE WHEN previous_valid_until > now() THEN previous_token END AS previous
           FROM hosts WHERE id = %s""", (host_id,))
    row = await cur.fetchone()
    if row is None:
        return []
    return [t for t in (row["token"], row["previous"]) if t]


async def list_hosts(cur) -> list[dict]:
    await cur.execute(f"SELECT {PUBLIC_COLUMNS} FROM hosts ORDER BY id")
    return await cur.fetchall()


async def list_hosts_to_call(cur) -> list[dict]:
    """Hosts with what the hub needs to call them: URL and hub tokens (current, previous in grace)."""
    await cur.execute(f"SELECT {CALL_COLUMNS} FROM hosts ORDER BY id")
    return await cur.fetchall()


async def get_host_to_call(cur, host_id: str) -> dict | None:
    """One row as list_hosts_to_call() gives them, or None."""
    await cur.execute(f"SELECT {CALL_COLUMNS} FROM hosts WHERE id = %s", (host_id,))
    return await cur.fetchone()


async def record_heartbeat(cur, host_id: str, capacity: dict | None, last_event_seq: int | None,
                           reports_usage: bool | None = None, version: str | None = None) -> bool:
    """The spoke answered (or announced itself): online now. Returns whether it was offline before."""
    await cur.execute(
        """UPDATE hosts h SET online = true, missed_heartbeats = 0, last_heartbeat_at = now(),
               last_error = NULL, capacity = COALESCE(%s, h.capacity),
               last_event_seq = COALESCE(%s, h.last_event_seq), reports_usage = COALESCE(%s, h.reports_usage),
               version = %s
           FROM hosts old WHERE h.id = old.id AND h.id = %s
           RETURNING old.online AS was_online""",
        (Json(capacity) if capacity is not None else None, last_event_seq, reports_usage, version, host_id))
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no host {host_id!r}")
    return not row["was_online"]


async def record_refused(cur, host_id: str, version: str | None, reason: str) -> bool:
    """The spoke runs a version this hub does not work with: offline at once, with the reason the
    admin page shows. Returns whether it was online before."""
    await cur.execute(
        """UPDATE hosts h SET online = false, last_heartbeat_at = now(), last_error = %s, version = %s
           FROM hosts old WHERE h.id = old.id AND h.id = %s
           RETURNING old.online AS was_online""", (reason[:500], version, host_id))
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no host {host_id!r}")
    return row["was_online"]


async def record_missed_heartbeat(cur, host_id: str, error: str, misses_allowed: int) -> bool:
    """One more missed heartbeat; offline at `misses_allowed` in a row. Returns whether it just went offline."""
    await cur.execute(
        """UPDATE hosts h SET missed_heartbeats = old.missed_heartbeats + 1, last_error = %s,
               online = old.online AND old.missed_heartbeats + 1 < %s
           FROM hosts old WHERE h.id = old.id AND h.id = %s
           RETURNING old.online AS was_online, h.online""",
        (error[:500], misses_allowed, host_id))
    row = await cur.fetchone()
    if row is None:
        return False  # removed meanwhile
    return row["was_online"] and not row["online"]


async def record_sweep(cur, answered: dict[str, tuple[dict, int, dict, str | None, dict | None]],
                       missed: dict[str, str],
                       misses_allowed: int, refused: dict[str, tuple[str | None, str]] | None = None
                       ) -> tuple[list[str], list[str]]:
    """A whole heartbeat sweep in at most three statements (not some per host: a sweep of many
    spokes must not take the pool's connections from web requests). `answered`: host id ->
    (capacity, last event seq, missing networks {name: why}, version, images held); `missed`: host id -> error;
    `refused`: host id -> (version, why this hub does not work with it): offline at once. Returns
    (came online, went offline)."""
    came_online, went_offline = [], []
    if answered:
        ids = list(answered)
        await cur.execute(
            """UPDATE hosts h SET online = true, missed_heartbeats = 0, last_heartbeat_at = now(),
                   last_error = NULL, capacity = a.capacity, last_event_seq = a.seq, missing_networks = a.missing,
                   version = a.version, images = a.images
               FROM hosts old, unnest(%s::text[], %s::jsonb[], %s::bigint[], %s::jsonb[], %s::text[], %s::jsonb[])
                    AS a(id, capacity, seq, missing, version, images)
               WHERE h.id = old.id AND h.id = a.id
               RETURNING h.id, old.online AS was_online""",
            (ids, [Json(answered[i][0]) for i in ids], [answered[i][1] for i in ids],
             [Json(answered[i][2]) for i in ids], [answered[i][3] for i in ids],
             [None if answered[i][4] is None else Json(answered[i][4]) for i in ids]))
        came_online = sorted(r["id"] for r in await cur.fetchall() if not r["was_online"])
        await adopt_images(cur, {i: answered[i][4] for i in ids if answered[i][4]})
    if missed:
        ids = list(missed)
        await cur.execute(
            """UPDATE hosts h SET missed_heartbeats = old.missed_heartbeats + 1, last_error = a.error,
                   online = old.online AND old.missed_heartbeats + 1 < %s
               FROM hosts old, unnest(%s::text[], %s::text[]) AS a(id, error)
               WHERE h.id = old.id AND h.id = a.id
               RETURNING h.id, old.online AS was_online, h.online""",
            (misses_allowed, ids, [missed[i][:500] for i in ids]))
        went_offline = sorted(r["id"] for r in await cur.fetchall() if r["was_online"] and not r["online"])
    if refused:
        ids = list(refused)
        await cur.execute(
            """UPDATE hosts h SET online = false, last_heartbeat_at = now(), last_error = a.error, version = a.version
               FROM hosts old, unnest(%s::text[], %s::text[], %s::text[]) AS a(id, version, error)
               WHERE h.id = old.id AND h.id = a.id
               RETURNING h.id, old.online AS was_online""",
            (ids, [refused[i][0] for i in ids], [refused[i][1][:500] for i in ids]))
        went_offline = sorted(went_offline + [r["id"] for r in await cur.fetchall() if r["was_online"]])
    return came_online, went_offline


async def adopt_images(cur, held: dict[str, dict]) -> None:
    """Images known only by a file name get the digest of the first spoke's file of that name
    (docs/images.md: a hand-placed image is adopted by hashing it). One statement for the sweep."""
    files, digests, sizes = [], [], []
    for images in held.values():
        for digest, about in images.items():
            for name in about.get("files", ()):
                files.append(name)
                digests.append(digest)
                sizes.append(about.get("bytes") or None)
    if not files:
        return
    await cur.execute(
        """UPDATE os_images o SET sha256 = a.sha256, size_bytes = coalesce(o.size_bytes, a.bytes)
           FROM (SELECT DISTINCT ON (file_name) file_name, sha256, bytes
                 FROM unnest(%s::text[], %s::text[], %s::bigint[]) AS r(file_name, sha256, bytes) ORDER BY file_name) a
           WHERE o.sha256 IS NULL AND o.file_name = a.file_name
             AND NOT EXISTS (SELECT 1 FROM os_images other WHERE other.sha256 = a.sha256)
           RETURNING o.id, o.sha256""", (files, digests, sizes))
    for row in await cur.fetchall():
        log.info("OS image %s is sha256 %s, as a spoke's file of its name hashes", row["id"], row["sha256"])


async def set_last_applied_seq(cur, host_id: str, seq: int) -> None:
    """Events up to `seq` count as applied (after the spoke's numbering started over)."""
    await cur.execute("UPDATE hosts SET last_applied_seq = %s WHERE id = %s", (seq, host_id))


CHANGED_CHANNEL = "hosts_changed"  # admin pages refresh their host table


async def notify_changed(cur) -> None:
    """Tell every hub's admin pages (delivered when the transaction commits)."""
    await cur.execute("SELECT pg_notify(%s, '')", (CHANGED_CHANNEL,))


async def list_ids(cur) -> list[str]:
    await cur.execute("SELECT id FROM hosts ORDER BY id")
    return [r["id"] for r in await cur.fetchall()]


async def lock_for_events(cur, host_id: str) -> int | None:
    """Lock the host's row (orders event batches and resyncs of one host) and return the last event
    number applied from it; None for an unknown host. Must run inside a transaction."""
    await cur.execute("SELECT last_applied_seq FROM hosts WHERE id = %s FOR UPDATE", (host_id,))
    row = await cur.fetchone()
    return row["last_applied_seq"] if row else None


async def reports_usage(cur, host_id: str) -> bool | None:
    """Whether the host's spoke samples usage (libvirt's test driver does not); None: no such host."""
    await cur.execute("SELECT reports_usage FROM hosts WHERE id = %s", (host_id,))
    row = await cur.fetchone()
    return row["reports_usage"] if row else None


async def with_event_lag(cur) -> list[dict]:
    """Every host: id, online, capacity, and `lag`, the seconds since its newest event applied."""
    await cur.execute(
        """SELECT h.id, h.online, h.capacity,
                  extract(epoch FROM now() - (SELECT max(at) FROM vm_events e WHERE e.host_id = h.id
                                              AND e.seq IS NOT NULL)) AS lag
           FROM hosts h ORDER BY h.id""")
    return await cur.fetchall()


# --- host states (docs/hosts.md): active, draining (no new capsuls, no growth in place), maintenance ---

HOST_STATES = ("active", "draining", "maintenance")


async def state_of(cur, host_id: str) -> str | None:
    await cur.execute("SELECT state FROM hosts WHERE id = %s", (host_id,))
    row = await cur.fetchone()
    return row["state"] if row else None


async def set_host_state(cur, host_id: str, state: str, reason: str | None, maintenance_from=None) -> dict:
    """Set a host's state; returns {before, after: the row's state columns}. NotFound for no host."""
    assert state in HOST_STATES
    await cur.execute(
        """UPDATE hosts h SET state = %s, state_reason = %s, state_changed_at = now(),
               maintenance_from = CASE WHEN %s = 'maintenance' THEN coalesce(%s, now()) END
           FROM hosts old WHERE h.id = old.id AND h.id = %s
           RETURNING old.state AS before, h.state, h.state_reason, h.state_changed_at, h.maintenance_from""",
        (state, reason, state, maintenance_from, host_id))
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no host {host_id!r} (run.py hosts lists them)")
    return dict(row)


async def people_on(cur, host_id: str) -> list[dict]:
    """Each account with live capsuls on the host, and those capsuls' ids."""
    await cur.execute(
        """SELECT account, array_agg(id ORDER BY id) AS capsuls FROM vms
           WHERE host_id = %s AND state NOT IN ('deleted', 'failed') GROUP BY account ORDER BY account""",
        (host_id,))
    return await cur.fetchall()
