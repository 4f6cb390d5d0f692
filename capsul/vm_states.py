"""A capsul's states, and the named sets of them every rule is written with: one place, as
Nova's compute/vm_states.py is. `schema.sql` lists ALL in the CHECK on vms.state, and its
partial indexes use the same "gone" test as `live_sql()`.

    pending -> (fetching-image ->) creating -> running / stopped / paused / crashed -> deleting -> deleted
                  \\-> failed (with a reason; never placed, or its host could not build it)
    running / stopped -> rebuilding, resizing or restoring -> the state its host reports after it
"""
from __future__ import annotations

PENDING = "pending"    # accepted, no host owns it yet
CREATING = "creating"  # owned; its host is building disk and domain
RUNNING = "running"
STOPPED = "stopped"
PAUSED = "paused"
CRASHED = "crashed"
DELETING = "deleting"  # its host was asked to delete it
DELETED = "deleted"
FAILED = "failed"
REBUILDING = "rebuilding"  # its host is putting a fresh disk under it (capsul/hub/capsul_changes.py)
RESIZING = "resizing"  # its host is changing its vCPUs, memory or disk
RESTORING = "restoring"  # its host is putting a backup's disk under it (capsul/hub/capsul_changes.py)
FETCHING_IMAGE = "fetching-image"  # owned; its host is fetching its OS image first (capsul/spoke/images/)
MIGRATING = "migrating"  # running, being moved to another host

ALL = (PENDING, CREATING, RUNNING, STOPPED, PAUSED, CRASHED, DELETING, DELETED, FAILED, REBUILDING, RESIZING,
       RESTORING, FETCHING_IMAGE, MIGRATING)
GONE = (DELETED, FAILED)  # holds no host, no address, no charge
LIVE = tuple(s for s in ALL if s not in GONE)
REPORTED = (RUNNING, STOPPED, PAUSED, CRASHED)  # what libvirt can say of a capsul its host has
BUILDING = (FETCHING_IMAGE, CREATING)  # what a spoke says of a capsul it is making, before libvirt has it
OWNED = (*BUILDING, *REPORTED)  # on its host and not being deleted: libvirt's word is taken
CHANGING = (REBUILDING, RESIZING, RESTORING)  # one change under way: no other action, no delete, until it ends
CHANGEABLE = (RUNNING, STOPPED)  # what a rebuild or resize starts from
ON_HOST = (*OWNED, DELETING, *CHANGING, MIGRATING)  # a host holds (or held until moments ago) its domain
EVENT_STATES = (*BUILDING, *REPORTED, *GONE)  # what a spoke's event may say
NEVER_BUILT = (PENDING, FAILED)  # cost nothing: billing charges every other capsul by the hour

# What a person may do, and from which states.
ACTIONS = {
    "start": (STOPPED, CRASHED, PAUSED),
    "shutdown": (RUNNING,),
    "force-stop": (RUNNING, PAUSED, CRASHED),
    "reboot": (RUNNING,),
}
DESTROYABLE = (*OWNED, DELETING)

# Why a capsul crashed when its host's listing lacks it (a resync found it gone): no action can
# reach it, only a delete, and it is not billed while so (hub/db/ledger.py).
MISSING_ON_HOST = "its host does not have it"


def actions_for(state: str, problem: str | None) -> list[str]:
    """What a person may do now with a capsul in `state` whose problem (hub/db/vms.py PROBLEM_SQL) is
    `problem`."""
    if problem == MISSING_ON_HOST:
        return []
    return [action for action, states in ACTIONS.items() if state in states]


def changes_for(state: str, problem: str | None) -> list[str]:
    """Whether a person may rebuild or resize it now: only from CHANGEABLE states, on its host."""
    if problem == MISSING_ON_HOST or state not in CHANGEABLE:
        return []
    return ["rebuild", "resize"]


def live_sql(column: str = "state") -> str:
    """`<column> NOT IN ('deleted', 'failed')`, built from GONE: spelled as the partial indexes
    in schema.sql are, so that PostgreSQL can use them."""
    return f"{column} NOT IN ({', '.join(repr(s) for s in GONE)})"
