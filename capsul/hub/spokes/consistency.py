"""The admin's consistency check: every difference between the database and what spokes report.

Read-only (the periodic resync is what corrects state; ownership conflicts found by the
listing are recorded as always). A VM whose row changed while the spokes were being asked
is left out: the check cannot tell which side is newer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from capsul import vm_states
from capsul.hub import db
from capsul.hub.capsuls import Hub
from capsul.hub.db import hosts, vms
from capsul.hub.spokes.dispatcher import OperationFailed

ON_HOST = vm_states.ON_HOST  # rows a host should list


@dataclass
class Difference:
    vm_id: str
    host_id: str
    problem: str  # a sentence for the admin
    database: str | None  # the state the database holds (None: no row)
    reported: str | None  # the state the host reports (None: not listed)


@dataclass
class ConsistencyReport:
    checked_at: datetime
    checked_hosts: list[str] = field(default_factory=list)
    unchecked_hosts: dict[str, str] = field(default_factory=dict)  # host -> why it was not asked/answered
    differences: list[Difference] = field(default_factory=list)
    vms_compared: int = 0


def compare(rows: list[dict], answers: dict[str, list[dict]], started: datetime) -> list[Difference]:
    """rows: every VM row (id, host_id, state, state_changed_at); answers: host -> [{vm_id, state}]."""
    by_id = {r["id"]: r for r in rows}
    differences = []
    listed: set[tuple[str, str]] = set()
    for host_id, listing in sorted(answers.items()):
        for item in sorted(listing, key=lambda v: v["vm_id"]):
            vm_id, reported = item["vm_id"], item["state"]
            listed.add((host_id, vm_id))
            row = by_id.get(vm_id)
            if row is not None and row["state_changed_at"] >= started:
                continue
            if row is None:
                differences.append(Difference(vm_id, host_id, "on the host, unknown to the database", None, reported))
            elif row["host_id"] != host_id:
                differences.append(Difference(
                    vm_id, host_id, f"on this host, but the database says it belongs to {row['host_id'] or 'no host'}",
                    row["state"], reported))
            elif row["state"] not in ON_HOST:
                differences.append(Difference(vm_id, host_id, f"still on the host, but {row['state']} in the database",
                                              row["state"], reported))
            elif row["state"] != reported and row["state"] not in ("deleting", "creating"):
                differences.append(Difference(vm_id, host_id, "states differ", row["state"], reported))
    for row in rows:
        if (row["host_id"] in answers and row["state"] in ON_HOST and row["state"] != "creating"
                and (row["host_id"], row["id"]) not in listed and row["state_changed_at"] < started):
            differences.append(Difference(row["id"], row["host_id"], "in the database, missing from its host",
                                          row["state"], None))
    return differences


async def check(hub: Hub) -> ConsistencyReport:
    started = datetime.now(timezone.utc)
    report = ConsistencyReport(checked_at=started)
    try:
        fan_out = await hub.dispatcher.list_everywhere()
    except OperationFailed as e:  # no spoke answered
        async with db.cursor(hub.pool) as cur:
            report.unchecked_hosts = {host_id: str(e) for host_id in await hosts.list_ids(cur)}
        return report
    report.checked_hosts = sorted(fan_out.answers)
    report.unchecked_hosts = dict(sorted(fan_out.missing.items()))
    async with db.cursor(hub.pool) as cur:
        # NOTE: read after the listing, so a change made meanwhile is seen (and then skipped).
        rows = await vms.on_hosts_or_named(cur, [v["vm_id"] for a in fan_out.answers.values() for v in a["vms"]])
    answers = {h: a["vms"] for h, a in fan_out.answers.items()}
    report.vms_compared = len(rows)
    report.differences = compare(rows, answers, started)
    return report
