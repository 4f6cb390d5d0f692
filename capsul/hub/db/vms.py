"""Queries on `vms`, their keys and their audit trail (`vm_events`)."""
from __future__ import annotations

import json
import secrets
import string

from capsul import vm_states
from capsul import lifecycle_words
from capsul.hub.db import NotFound

_ID_ALPHABET = string.ascii_lowercase + string.digits

# What is wrong with a capsul, if anything: a failed one's reason, or why a crashed one crashed (the
# reason of its last `crashed` event, read through vm_events' (vm_id, id) index).
PROBLEM_SQL = """CASE WHEN v.state = 'failed' THEN v.failure_reason
                      WHEN v.state = 'crashed' THEN (SELECT e.reason FROM vm_events e WHERE e.vm_id = v.id
                                                     AND e.state = 'crashed' ORDER BY e.id DESC LIMIT 1) END"""
VM_COLUMNS = f"""v.id, v.account, v.size, v.os, v.host_id, v.network_name, host(v.public_ipv4) AS public_ipv4,
                host(v.public_ipv6) AS public_ipv6,
                v.state, v.failure_reason, {PROBLEM_SQL} AS problem, v.created_at, v.state_changed_at, v.deleted_at,
                v.ssh_host_keys"""


def new_vm_id() -> str:
    return "capsul-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))


async def account_holdings(cur, account: str, *, at_most: int | None = None) -> dict:
    """{capsuls, vcpus, memory_mb} of the account's live capsuls (of at most `at_most` of them)."""
    await cur.execute(
        f"""SELECT count(*) AS capsuls, coalesce(sum(s.vcpus), 0) AS vcpus, coalesce(sum(s.memory_mb), 0) AS memory_mb
            FROM (SELECT v.size FROM vms v WHERE v.account = %s AND {vm_states.live_sql('v.state')} LIMIT %s) v
            JOIN vm_sizes s ON s.id = v.size""", (account, at_most))
    return await cur.fetchone()


async def insert_pending_vm(cur, vm_id: str, account: str, size: str, os: str, keys: list[dict]) -> None:
    await cur.execute("INSERT INTO vms (id, account, size, os) VALUES (%s, %s, %s, %s)",
                      (vm_id, account, size, os))
    for key in keys:
        await cur.execute(
            "INSERT INTO vm_ssh_public_key (vm_id, account, key_name, content) VALUES (%s, %s, %s, %s)",
            (vm_id, account, key["name"], key["content"]))
    await add_event(cur, vm_id, "pending")


async def get_vm(cur, vm_id: str, account: str | None = None, *, for_update: bool = False) -> dict:
    """The VM (of `account`, when given); NotFound otherwise: another person's VM does not exist."""
    await cur.execute(
        f"SELECT {VM_COLUMNS} FROM vms v WHERE v.id = %s AND (%s::text IS NULL OR v.account = %s)"
        + (" FOR UPDATE" if for_update else ""), (vm_id, account, account))
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no capsul {vm_id}")
    return row


async def list_vms(cur, account: str | None = None, *, include_gone: bool = False) -> list[dict]:
    await cur.execute(
        f"""SELECT {VM_COLUMNS} FROM vms v WHERE (%s::text IS NULL OR v.account = %s)
            AND (%s OR {vm_states.live_sql('v.state')}) ORDER BY v.created_at, v.id""",
        (account, account, include_gone))
    return await cur.fetchall()


NOTIFY_CHANNEL = "vm_changed"


async def add_event(cur, vm_id: str, state: str, *, reason: str | None = None, host_id: str | None = None,
                    seq: int | None = None, notify: bool = True) -> None:
    """One entry on the VM's timeline (its audit row), and a NOTIFY every hub process can LISTEN
    for (delivered when the transaction commits, so listeners only see committed states), so that
    an open page shows the same entries as a reload. `notify=False`: nobody is shown it live (an
    admin's console use)."""
    await cur.execute("""INSERT INTO vm_events (vm_id, host_id, seq, state, reason) VALUES (%s, %s, %s, %s, %s)
                         RETURNING at""", (vm_id, host_id, seq, state, reason))
    at = (await cur.fetchone())["at"]
    if notify:
        # NOTE: stamped as stored, so the open page shows the time a reload shows
        await cur.execute(
            """SELECT pg_notify(%s, json_build_object('vm_id', id, 'account', account, 'state', %s,
                                                      'host_id', host_id, 'reason', %s::text, 'at', %s::timestamptz)::text)
               FROM vms WHERE id = %s""", (NOTIFY_CHANNEL, state, reason, at, vm_id))


async def set_state(cur, vm_id: str, state: str, *, from_states: tuple[str, ...], reason: str | None = None,
                    host_id: str | None = None, seq: int | None = None) -> bool:
    """Move the VM to `state` if it is in one of `from_states`; True when it moved."""
    await cur.execute(
        """UPDATE vms SET state = %s, state_changed_at = now(),
               deleted_at = CASE WHEN %s = 'deleted' THEN now() ELSE deleted_at END
           WHERE id = %s AND state = ANY(%s) AND state <> %s RETURNING id""",
        (state, state, vm_id, list(from_states), state))
    moved = await cur.fetchone() is not None
    if moved:
        await add_event(cur, vm_id, state, reason=reason, host_id=host_id, seq=seq)
    return moved


MERGE_WINDOW = 60  # seconds: a host's event this soon after the hub's own entry of the same state is that entry


async def attach_host_event(cur, vm_id: str, state: str, *, host_id: str, seq: int) -> bool:
    """The host's event of a change the hub has already entered on the timeline (a person's action,
    answered before the event came): the same entry, now numbered; True if there was one. So the
    timeline has one entry per event, in one wording, live as on a reload."""
    await cur.execute(
        """UPDATE vm_events SET seq = %s, host_id = %s
           WHERE id = (SELECT id FROM vm_events WHERE vm_id = %s ORDER BY id DESC LIMIT 1)
             AND state = %s AND seq IS NULL AND at > now() - make_interval(secs => %s) RETURNING id""",
        (seq, host_id, vm_id, state, MERGE_WINDOW))
    return await cur.fetchone() is not None


async def mark_failed(cur, vm_id: str, reason: str) -> bool:
    """A create that did not happen: failed with a reason, its address given back."""
    await cur.execute(
        """UPDATE vms SET state = 'failed', failure_reason = %s, public_ipv4 = NULL, public_ipv6 = NULL,
               state_changed_at = now()
           WHERE id = %s AND state = ANY(%s) RETURNING id""", (reason, vm_id, [vm_states.PENDING, *vm_states.BUILDING]))
    failed = await cur.fetchone() is not None
    if failed:
        await add_event(cur, vm_id, "failed", reason=reason)
    return failed


async def dismiss_failed(cur, vm_id: str) -> bool:
    """A failed capsul its owner dismissed: deleted (its reason stays on its timeline)."""
    await cur.execute(
        """UPDATE vms SET state = 'deleted', failure_reason = NULL, deleted_at = now(), state_changed_at = now()
           WHERE id = %s AND state = 'failed' RETURNING id""", (vm_id,))
    dismissed = await cur.fetchone() is not None
    if dismissed:
        await add_event(cur, vm_id, "deleted", reason="dismissed")
    return dismissed


async def events(cur, vm_id: str) -> list[dict]:
    """The VM's timeline, reasons in words (older rows hold libvirt's raw codes)."""
    await cur.execute("SELECT host_id, seq, state, reason, at FROM vm_events WHERE vm_id = %s ORDER BY id",
                      (vm_id,))
    return [{**row, "reason": lifecycle_words.readable(row["reason"])} for row in await cur.fetchall()]


async def create_payload(cur, vm_id: str, *, pool: tuple[str, str] | None = None) -> dict:
    """Everything a spoke needs to build the VM (the answer to a winning claim), its network
    included: the addresses with their prefix lengths and gateways, and the DNS servers; with
    `pool` (host, libvirt network), its network as that pool has it (a move's destination)."""
    await cur.execute(
        """SELECT v.id AS vm_id, host(v.public_ipv4) AS public_ipv4, v.network_name,
                  masklen(n.cidr) AS ipv4_prefix, host(n.gateway) AS ipv4_gateway,
                  host(v.public_ipv6) AS public_ipv6, masklen(n.ipv6_cidr) AS ipv6_prefix,
                  host(n.ipv6_gateway) AS ipv6_gateway, n.segment, n.cpu_model, v.generation,
                  coalesce(array(SELECT host(d) FROM unnest(n.dns_servers) AS d), '{}') AS dns_servers,
                  s.id AS size, s.vcpus, s.memory_mb, s.disk_gb,
                  o.id AS os_image, o.file_name AS os_image_file, o.sha256 AS os_image_sha256,
                  o.url AS os_image_url, o.size_bytes AS os_image_size, o.kernel_file, o.initrd_file,
                  o.kernel_cmdline,
                  coalesce((SELECT array_agg(k.content ORDER BY k.key_name) FROM vm_ssh_public_key k
                            WHERE k.vm_id = v.id), '{}') AS ssh_public_keys
           FROM vms v JOIN vm_sizes s ON s.id = v.size JOIN os_images o ON o.id = v.os
                LEFT JOIN host_network n ON n.host_id = coalesce(%s, v.host_id)
                                         AND n.network_name = coalesce(%s, v.network_name)
           WHERE v.id = %s""", (*(pool or (None, None)), vm_id))
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no capsul {vm_id}")
    return dict(row)


async def ssh_keys_of(cur, vm_id: str) -> list[dict]:
    """The keys put in the capsul (copies: name and content), by name."""
    await cur.execute("SELECT key_name AS name, content FROM vm_ssh_public_key WHERE vm_id = %s ORDER BY key_name",
                      (vm_id,))
    return await cur.fetchall()


async def count_by_host(cur) -> dict[str, int]:
    """Live VMs per host (the admin view)."""
    await cur.execute("""SELECT host_id, count(*) AS n FROM vms
                         WHERE host_id IS NOT NULL AND state <> ALL(%s) GROUP BY host_id""",
                      (list(vm_states.GONE),))
    return {r["host_id"]: r["n"] for r in await cur.fetchall()}


async def set_ssh_host_keys(cur, vm_id: str, keys: list[dict]) -> None:
    """Keys its host read from its console; pages showing the VM are told (no state changes)."""
    await cur.execute("UPDATE vms SET ssh_host_keys = %s::jsonb WHERE id = %s RETURNING state",
                      (json.dumps([{"bits": k["bits"], "fingerprint": k["fingerprint"], "type": k["type"]}
                                   for k in keys]), vm_id))
    row = await cur.fetchone()
    if row is not None:
        await cur.execute(
            """SELECT pg_notify(%s, json_build_object('vm_id', id, 'account', account, 'state', 'ssh_host_keys',
                                                      'host_id', host_id, 'reason', NULL, 'timeline', false)::text)
               FROM vms WHERE id = %s""", (NOTIFY_CHANNEL, vm_id))


async def on_hosts_or_named(cur, vm_ids: list[str]) -> list[dict]:
    """Capsuls a host holds (or held until moments ago) and those named: (id, host, state, since)."""
    await cur.execute("""SELECT id, host_id, state, state_changed_at FROM vms
                         WHERE state = ANY(%s) OR id = ANY(%s)""", (list(vm_states.ON_HOST), vm_ids))
    return await cur.fetchall()


async def owners(cur, vm_ids: list[str]) -> dict[str, str | None]:
    """The owning host of each of these capsuls the hub knows."""
    await cur.execute("SELECT id, host_id FROM vms WHERE id = ANY(%s)", (vm_ids,))
    return {row["id"]: row["host_id"] for row in await cur.fetchall()}


async def on_host(cur, host_id: str, *, recent_seconds: float = 0) -> list[dict]:
    """The capsuls the host holds: id, state, and whether it changed within `recent_seconds`."""
    await cur.execute(
        f"""SELECT v.id, v.state, {PROBLEM_SQL} AS problem,
                   v.state_changed_at > now() - make_interval(secs => %s) AS recent
            FROM vms v WHERE v.host_id = %s AND v.state = ANY(%s)""",
        (recent_seconds, host_id, list(vm_states.ON_HOST)))
    return await cur.fetchall()


async def owner_and_state(cur, vm_id: str) -> dict | None:
    await cur.execute("SELECT host_id, state FROM vms WHERE id = %s", (vm_id,))
    return await cur.fetchone()


async def count_by_state(cur) -> dict[str, int]:
    """How many capsuls are in each state, deleted ones not counted."""
    await cur.execute("SELECT state, count(*) AS n FROM vms WHERE state <> 'deleted' GROUP BY state")
    return {r["state"]: r["n"] for r in await cur.fetchall()}
