"""The hub's service layer for capsuls: what the web console and the JSON API call.

    create_capsul(hub, account, size, image, ssh_keys)  -> the VM, once one spoke owns it
    capsul_action(hub, account, vm_id, action)           -> the VM after start/shutdown/force-stop/reboot
    destroy_capsul(hub, account, vm_id)                  -> the VM, deleted
    get_capsul / list_capsuls                            -> from the database (kept current by events)

Every refusal is a CapsulError with an HTTP status and a message a person understands.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import aiopg

from capsul.vm_ids import is_vm_id
from capsul import lifecycle_words, vm_states
from capsul.config import Config
from capsul.hub import db
from capsul.hub.db import placement as placement_db
from capsul.hub.db import accounts, catalog, vms
from capsul.hub.db import ledger
from capsul.hub.db import operations as ops_db
from capsul.hub.prometheus import HubMetrics, measured
from capsul.hub.spokes.client import SpokeClient
from capsul.hub.spokes.dispatcher import Dispatcher, NoCapacity, OperationFailed

log = logging.getLogger(__name__)

ACTIONS = vm_states.ACTIONS  # action -> the states it is allowed from
DESTROYABLE = vm_states.DESTROYABLE


class CapsulError(Exception):
    status = 400
    link: tuple[str, str] | None = None  # (route name, words): the page where the person can fix it

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidRequest(CapsulError):
    status = 400


class CapsulNotFound(CapsulError):
    status = 404


class WrongState(CapsulError):
    status = 409


class NoCapacityError(CapsulError):
    status = 503


class InsufficientBalance(CapsulError):
    status = 402
    link = ("account", "Add funds on your account page")


class Unavailable(CapsulError):
    status = 503


class OverAccountLimit(CapsulError):
    """More capsuls, vCPUs or memory than one account may hold (ACCOUNT_MAX_*)."""
    status = 403


@dataclass
class Hub:
    """What the service layer works with; one per hub process."""
    pool: aiopg.Pool
    dispatcher: Dispatcher
    config: Config
    metrics: HubMetrics = field(default_factory=HubMetrics)  # this process's instruments (GET /metrics)

    @classmethod
    def create(cls, pool: aiopg.Pool, client: SpokeClient, config: Config) -> Hub:
        return cls(pool, Dispatcher(pool, client, config), config)


async def get_capsul(hub: Hub, account: str | None, vm_id: str) -> dict:
    if not is_vm_id(vm_id):
        raise CapsulNotFound(f"no capsul {vm_id!r:.60}")
    async with db.cursor(hub.pool) as cur:
        try:
            return await vms.get_vm(cur, vm_id, account)
        except db.NotFound:
            raise CapsulNotFound(f"no capsul {vm_id}") from None


async def list_capsuls(hub: Hub, account: str | None) -> list[dict]:
    async with db.cursor(hub.pool) as cur:
        return await vms.list_vms(cur, account)


@measured("create")
async def create_capsul(hub: Hub, account: str, size: str, image: str, ssh_keys: list[str], *,
                        operation_id: uuid.UUID | None = None, restore: dict | None = None) -> dict:
    """Validate, insert the VM as pending, and return once exactly one spoke owns it.

    A retry with the same operation_id returns the first request's VM and makes nothing new.
    """
    if not isinstance(ssh_keys, (list, tuple)) or not ssh_keys:
        raise InvalidRequest("choose at least one SSH key, or you could not log in to your capsul")
    op_id = operation_id or uuid.uuid4()
    async with db.cursor(hub.pool) as cur:
        try:
            size_row = await catalog.get_size(cur, size)
            image_row = await catalog.get_image(cur, image, include_deprecated=restore is not None)
        except db.NotFound as e:
            raise InvalidRequest(str(e)) from None
        if restore is not None and size_row["disk_gb"] * 2**30 < restore["disk_bytes"]:
            raise InvalidRequest(f"the backup's disk is {restore['disk_bytes'] / 2**30:g} GB and a {size_row['id']} has "
                                 f"{size_row['disk_gb']} GB: choose a size whose disk holds it")
        keys = await accounts.ssh_keys_by_name(cur, account, list(dict.fromkeys(ssh_keys)))
        missing = sorted(set(ssh_keys) - {k["name"] for k in keys})
        if missing:
            raise InvalidRequest(f"you have no SSH key named {', '.join(map(repr, missing))}")
        vm_id = vms.new_vm_id()
        try:
            async with cur.begin():
                if await ops_db.operation_exists(cur, op_id):
                    raise _AlreadyRequested()
                await _check_account_limits(cur, hub.config, account, size_row)
                if hub.config.billing_enabled:
                    await _check_balance(cur, hub.config, account, size_row)
                await vms.insert_pending_vm(cur, vm_id, account, size, image, keys)
                payload = {"size": size, "os": image}
                if restore is not None:
                    payload["restore"] = {k: restore[k] for k in ("backup_id", "snapshot", "digest")}
                if not await ops_db.insert_operation(cur, op_id, "create", payload, account=account, vm_id=vm_id):
                    raise _AlreadyRequested()
        except _AlreadyRequested:
            return await _earlier_create(cur, op_id, account)
    try:
        owner = await hub.dispatcher.place_create(op_id, vm_id, size_row, image_row)
    except NoCapacity:  # NOTE: which hosts and how full they are is the operator's (log, admin page)
        raise NoCapacityError(no_room_words(size_row["id"])) from None
    except OperationFailed:
        raise Unavailable(NOT_PLACED_WORDS) from None
    log.info("capsul %s (%s, %s) for %s is owned by %s", vm_id, size, image, account, owner)
    return await get_capsul(hub, account, vm_id)


def no_room_words(size: str) -> str:
    return (f"There is no room for a {size} on our hosts right now. Choose a smaller size, or try again later: "
            "we have been told.")


NOT_PLACED_WORDS = "Your capsul could not be created just now. Nothing is charged; try again in a few minutes."


async def _check_account_limits(cur, config: Config, account: str, size_row: dict) -> None:
    """One account may not take a whole host (or every host): at most ACCOUNT_MAX_CAPSULS live
    capsuls, ACCOUNT_MAX_VCPUS vCPUs and ACCOUNT_MAX_MEMORY_MB of memory, this one counted (0: no
    limit), or what an admin set for this account (its admin page)."""
    limits = accounts.effective_limits(await accounts.own_limits(cur, account), config)
    if not any(limits.values()):
        return
    await accounts.lock_account(cur, account)  # NOTE: one create at a time sees what the account holds
    # NOTE: an account over its capsul limit is refused whatever its sums: read no more rows than that
    held = await vms.account_holdings(cur, account, at_most=limits["capsuls"] + 1 if limits["capsuls"] else None)
    for what, have, adding, limit in (
            ("capsuls", held["capsuls"], 1, limits["capsuls"]),
            ("vCPUs", held["vcpus"], size_row["vcpus"], limits["vcpus"]),
            ("MB of memory", held["memory_mb"], size_row["memory_mb"], limits["memory_mb"])):
        if limit and have + adding > limit:
            raise OverAccountLimit(f"An account may have at most {limit} {what} at once, and yours has {have}: "
                                   f"a {size_row['id']} would take it past that. Delete a capsul first, or ask "
                                   f"support for a higher limit.")


async def _check_balance(cur, config: Config, account: str, size_row: dict) -> None:
    """A create needs MIN_BALANCE_DAYS of the account's whole hourly rate, its new capsul included,
    so neither create-and-delete-before-billing nor a pile of capsuls on one small balance is free.
    The account's row lock makes one create at a time see the balance."""
    await accounts.lock_account(cur, account)
    rate = await ledger.hourly_rate(cur, account) + ledger.hourly_price(size_row["dollars_per_month"])
    needed = (rate * 24 * Decimal(str(config.min_balance_days))).quantize(ledger.CENT)
    have = await ledger.balance(cur, account)
    if have < needed:
        raise InsufficientBalance(
            f"Your capsuls with this {size_row['id']} would cost ${rate * 24:.2f} a day, and a create needs a balance "
            f"of {config.min_balance_days:g} day(s) of that, ${needed}; yours is ${have.quantize(ledger.CENT)}.")


class _AlreadyRequested(Exception):
    """Rolls back the insert of a create whose operation id exists already."""


async def _earlier_create(cur, op_id: uuid.UUID, account: str) -> dict:
    op = await ops_db.get_operation(cur, op_id)
    if op["type"] != "create" or op["account"] != account:
        raise InvalidRequest("this operation id was already used for something else")
    return await vms.get_vm(cur, op["vm_id"], account)


@measured("action")
async def capsul_action(hub: Hub, account: str | None, vm_id: str, action: str, *, by: str | None = None) -> dict:
    """start, shutdown, force-stop or reboot; returns the VM with the state its host reports. `by`:
    who did it and why, when not its owner (an admin), kept on its timeline."""
    if action not in ACTIONS:
        raise InvalidRequest(f"unknown action {action!r}; use one of {', '.join(ACTIONS)}")
    vm = await get_capsul(hub, account, vm_id)
    if vm["problem"] == vm_states.MISSING_ON_HOST:
        raise WrongState("Its host no longer has this capsul, so it cannot be started or stopped; you are not "
                         "charged for it. Delete it, or ask support.")
    if action not in vm_states.actions_for(vm["state"], vm["problem"]):
        raise WrongState(f"a capsul that is {vm['state']} cannot {action.replace('-', ' ')}")
    if action == "start" and hub.config.billing_enabled:
        async with db.cursor(hub.pool) as cur:
            if await ledger.balance(cur, vm["account"]) <= 0:
                raise InsufficientBalance("Your balance is used up: add funds to start it.")
    try:
        result = await hub.dispatcher.to_owner("vm_state_command", {"command": action}, vm, account=account)
    except OperationFailed as e:
        raise Unavailable(str(e)) from None
    state = result.get("state")
    if state in vm_states.REPORTED:
        async with db.cursor(hub.pool) as cur:
            words = lifecycle_words.ACTION_WORDS[action]  # as the host's event will say it (one entry)
            if by:
                words = f"{words} by {by}"
            if action == "reboot":  # libvirt reports no lifecycle event for it (nor the spoke, debounced)
                await vms.add_event(cur, vm_id, state, reason=words, host_id=vm["host_id"])
            else:
                await vms.set_state(cur, vm_id, state, from_states=vm_states.REPORTED, reason=words,
                                    host_id=vm["host_id"])
    return await get_capsul(hub, account, vm_id)


@measured("delete")
async def destroy_capsul(hub: Hub, account: str | None, vm_id: str, *, by: str | None = None) -> dict:
    """Delete the VM on its host, then in the database (its address is free again). `by`: who and
    why, when not its owner (an admin), kept on its timeline."""
    vm = await get_capsul(hub, account, vm_id)
    if vm["state"] == vm_states.FAILED:  # never built: nothing on a host to delete; off the person's page
        async with db.cursor(hub.pool) as cur:
            await vms.dismiss_failed(cur, vm_id)
        return await get_capsul(hub, account, vm_id)
    if vm["state"] not in DESTROYABLE:
        if vm["state"] == "pending":
            raise WrongState("this capsul is still being placed on a host; try again in a moment")
        raise WrongState(f"this capsul is {vm['state']} already")
    async with db.cursor(hub.pool) as cur:
        await vms.set_state(cur, vm_id, "deleting", from_states=DESTROYABLE,
                            reason=f"delete requested by {by}" if by else "delete requested")
    try:
        await hub.dispatcher.to_owner("destroy", {"network_name": vm["network_name"]}, vm, account=account)
    except OperationFailed as e:
        async with db.cursor(hub.pool) as cur:  # nothing happened: back to where it was
            await vms.set_state(cur, vm_id, vm["state"], from_states=("deleting",), reason=f"delete failed: {e}")
        raise Unavailable(str(e)) from None
    async with db.cursor(hub.pool) as cur:
        await vms.set_state(cur, vm_id, "deleted", from_states=("deleting",), host_id=vm["host_id"])
    return await get_capsul(hub, account, vm_id)


async def sizes_with_room(hub: Hub, sizes: list[dict]) -> set[str]:
    """The ids of `sizes` some online host has room for now, as placement sees it (the create
    form marks the others; a create of one may still be refused in between)."""
    async with db.cursor(hub.pool) as cur:
        hosts = await placement_db.rank_hosts(cur, cpu_ratio=hub.config.overcommit_cpu_ratio,
                                              memory_ratio=hub.config.overcommit_memory_ratio)
    return {size["id"] for size in sizes
            if any(placement_db.why_not(h, size["vcpus"], size["memory_mb"]) is None for h in hosts)}


async def capacity_available(hub: Hub, size: str) -> dict:
    """Which online spokes say they have room for `size` now, and which did not answer."""
    async with db.cursor(hub.pool) as cur:
        try:
            size_row = await catalog.get_size(cur, size)
        except db.NotFound as e:
            raise InvalidRequest(str(e)) from None
    try:
        fan_out = await hub.dispatcher.to_all(
            "capacity_available", {"vcpus": size_row["vcpus"], "memory_mb": size_row["memory_mb"]},
            validate=lambda a: isinstance(a.get("available"), bool) and isinstance(a.get("capacity"), dict))
    except OperationFailed as e:
        raise Unavailable(str(e)) from None
    return {"size": size, "hosts": {h: {"available": a["available"], "reason": a.get("reason")}
                                    for h, a in sorted(fan_out.answers.items())},
            "missing": fan_out.missing}


async def refresh_capsul(hub: Hub, account: str | None, vm_id: str) -> dict:
    """Ask the VM's host for its state now (the `get` operation) and record what it says."""
    vm = await get_capsul(hub, account, vm_id)
    try:
        result = await hub.dispatcher.to_owner("get", {}, vm, account=account)
    except OperationFailed as e:
        raise Unavailable(str(e)) from None
    if result.get("state") in vm_states.REPORTED:
        async with db.cursor(hub.pool) as cur:
            await vms.set_state(cur, vm_id, result["state"], from_states=vm_states.OWNED,
                                reason="reported by its host", host_id=vm["host_id"])
    return await get_capsul(hub, account, vm_id)
