"""The single way the hub gets work done on spokes (docs/architecture.md §3).

Immediate operations (list, capacity_available, get, destroy, vm_state_command) are
answered by the call itself; `create` is offered to ranked candidates until exactly
one claims it. Every operation has a UUID, a row in `operations` and one row per host
in `host_operation`. Every call has a timeout and a bounded retry with the same
operation id (spokes are idempotent on it), and runs concurrently with everything else.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field

import aiopg

from capsul import protocol, signing
from capsul.backoff import Backoff
from capsul.config import Config
from capsul.hub import db
from capsul.hub.db import hosts, vm_events, vms
from capsul.hub.db import operations as ops_db
from capsul.hub.spokes.client import SpokeClient
from capsul.hub.spokes.placement_decisions import PlacementDecisions

log = logging.getLogger(__name__)


class OperationFailed(Exception):
    """An operation could not be done; str() is a reason a person can read."""


class NoCapacity(OperationFailed):
    """No online host has room (memory, vCPUs or IPv4 addresses) for the capsul."""


@dataclass
class FanOut:
    """The answers of every spoke asked, and why the others did not answer."""
    operation_id: uuid.UUID
    answers: dict[str, dict] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # host id -> "offline" / "timeout: …" / …


def _describe(e: signing.CallFailed) -> str:
    labels = {"timeout": "timeout", "unreachable": "unreachable", "error": "error answer",
              "invalid": "invalid answer"}
    return f"{labels.get(e.kind, e.kind)}: {e}"


class Dispatcher:
    def __init__(self, pool: aiopg.Pool, client: SpokeClient, config: Config):
        self.pool = pool
        self.client = client
        self.config = config
        self.placement = PlacementDecisions(pool, config)  # where creates are offered, in batches

    async def _call(self, host: dict, path: str, payload: dict, *, timeout: float, retries: int) -> dict:
        """One spoke call; retried (same body, same operation id) when there was no answer."""
        backoff = Backoff(first=0.1, ceiling=5.0)
        for attempt in range(retries + 1):
            try:
                return await self.client.call(host, path, payload, timeout=timeout)
            except signing.CallFailed as e:
                if e.kind not in ("timeout", "unreachable") or attempt == retries:
                    raise
                log.info("no answer from %s for %s (%s); retrying", host["id"], path, e)
                await backoff.wait()
        raise AssertionError("the loop always returns or raises")

    # --- immediate ------------------------------------------------------------------------

    async def to_all(self, op_type: str, payload: dict, *, validate=None) -> FanOut:
        """Ask every online spoke; succeeds when at least one answers."""
        op_id = uuid.uuid4()
        async with db.cursor(self.pool) as cur:
            targets = await hosts.list_hosts_to_call(cur)
            await ops_db.insert_operation(cur, op_id, op_type, payload)
            online = [h for h in targets if h["online"]]
            await ops_db.record_sent(cur, op_id, [h["id"] for h in online])
        result = FanOut(op_id)
        for host in targets:
            if not host["online"]:
                result.missing[host["id"]] = "offline"

        async def ask(host: dict) -> None:
            try:
                answer = await self._call(host, "/spoke/operation", {"id": str(op_id), "type": op_type, **payload},
                                          timeout=self.config.operation_timeout,
                                          retries=self.config.operation_retries)
                answer = answer.get("result")
                if not isinstance(answer, dict) or (validate and not validate(answer)):
                    raise signing.CallFailed(f"{op_type} answer is not what was asked for", kind="invalid")
            except signing.CallFailed as e:
                result.missing[host["id"]] = _describe(e)
                status, recorded = e.kind, {"error": str(e)}
            else:
                result.answers[host["id"]] = answer
                status, recorded = "answered", answer
            async with db.cursor(self.pool) as cur:
                await ops_db.record_answer(cur, op_id, host["id"], "answered" if status == "answered" else "error",
                                           recorded)

        await asyncio.gather(*(ask(h) for h in online))
        async with db.cursor(self.pool) as cur:
            if result.answers:
                await ops_db.finish_operation(cur, op_id, result={"answers": result.answers,
                                                                  "missing": result.missing})
            else:
                await ops_db.finish_operation(cur, op_id, error=_no_answer(result.missing))
        if not result.answers:
            raise OperationFailed(_no_answer(result.missing))
        return result

    async def to_owner(self, op_type: str, payload: dict, vm: dict, *, account: str | None = None) -> dict:
        """An immediate operation on one VM, sent to the host that owns it."""
        if vm["host_id"] is None:
            raise OperationFailed(f"capsul {vm['id']} has no host yet")
        return await self.to_host(op_type, payload, vm["host_id"], account=account, vm_id=vm["id"])

    async def to_host(self, op_type: str, payload: dict, host_id: str, *, account: str | None = None,
                      vm_id: str | None = None) -> dict:
        """An immediate operation on one host; fails at once when the host is unknown or offline."""
        op_id = uuid.uuid4()
        what = f" of capsul {vm_id}" if vm_id else ""
        async with db.cursor(self.pool) as cur:
            await ops_db.insert_operation(cur, op_id, op_type, payload, account=account, vm_id=vm_id)
            host = await hosts.get_host_to_call(cur, host_id)
            reason = None
            if host is None:
                reason = f"host {host_id}{what} is not registered"
            elif not host["online"]:
                reason = f"host {host_id}{what} is offline; try again when it is back"
            if reason:
                await ops_db.finish_operation(cur, op_id, error=reason)
                raise OperationFailed(reason)
            await ops_db.record_sent(cur, op_id, [host_id])
        body = {"id": str(op_id), "type": op_type, **({"vm_id": vm_id} if vm_id else {}), **payload}
        try:
            answer = await self._call(host, "/spoke/operation", body, timeout=self.config.operation_timeout,
                                      retries=self.config.operation_retries)
            result = answer.get("result")
            if not isinstance(result, dict):
                raise signing.CallFailed("answer has no result", kind="invalid")
        except signing.CallFailed as e:
            reason = (f"host {host_id} does not have capsul {vm_id}" if e.status == 404 and vm_id
                      else f"host {host_id}: {_describe(e)}")
            async with db.cursor(self.pool) as cur:
                await ops_db.record_answer(cur, op_id, host_id, "error", {"error": str(e)})
                await ops_db.finish_operation(cur, op_id, error=reason)
            raise OperationFailed(reason) from None
        async with db.cursor(self.pool) as cur:
            await ops_db.record_answer(cur, op_id, host_id, "answered", result)
            await ops_db.finish_operation(cur, op_id, result=result)
        return result

    async def send_change(self, host: dict, body: dict, *, timeout: float) -> dict:
        """A rebuild or resize (capsul/hub/capsul_changes.py) or a backup's ask (capsul/hub/backups/)
        to the capsul's host; its result, or CallFailed (a 4xx: refused, nothing changed; else no
        answer: it may still be done)."""
        result = await self.ask(host, body, timeout=timeout)
        if result.get("vm_id") != body["vm_id"]:
            raise signing.CallFailed("answer has no result for this capsul", kind="invalid")
        return result

    async def ask(self, host: dict, body: dict, *, timeout: float) -> dict:
        """One operation (its id in `body`) sent to one host, kept nowhere: its result, or CallFailed."""
        answer = await self._call(host, "/spoke/operation", body, timeout=timeout,
                                  retries=self.config.operation_retries)
        result = answer.get("result")
        if not isinstance(result, dict):
            raise signing.CallFailed("answer has no result", kind="invalid")
        return result

    async def list_everywhere(self) -> FanOut:
        """Every capsul domain on every online spoke; ownership conflicts are recorded."""
        result = await self.to_all("list", {}, validate=_valid_list)
        async with db.cursor(self.pool) as cur:
            owners = await vms.owners(cur, [vm["vm_id"] for a in result.answers.values() for vm in a["vms"]])
            for host_id, answer in result.answers.items():
                for vm in answer["vms"]:
                    if vm["vm_id"] in owners and owners[vm["vm_id"]] != host_id:
                        await vm_events.record_conflict(cur, vm["vm_id"], owners[vm["vm_id"]], host_id,
                                                        result.operation_id)
        return result

    # --- create ---------------------------------------------------------------------------

    async def place_create(self, op_id: uuid.UUID, vm_id: str, size: dict, image: dict | None = None) -> str:
        """Offer the create to the best candidates until one claims it; returns the owner.

        Raises NoCapacity / OperationFailed after failing the create cleanly (VM failed,
        address released, offers closed) when no host claims it.
        """
        tried: set[str] = set()
        refusals: dict[str, str] = {}
        unplaceable: set[str] = set()  # no room: ruled out by the hub (room, pool, network) or by the spoke
        offer_body = {"type": "create", "vm_id": vm_id, "vcpus": size["vcpus"], "memory_mb": size["memory_mb"]}
        while True:
            decision = await self.placement.decide(op_id, size["vcpus"], size["memory_mb"], tried, image)
            batch = decision.hosts
            for host_id, why in decision.reasons.items():
                refusals.setdefault(host_id, why)
                unplaceable.add(host_id)
            if not batch:
                break
            tried.update(h["id"] for h in batch)
            outcomes = await asyncio.gather(*(self._offer(op_id, h, offer_body) for h in batch))
            owner = None
            async with db.cursor(self.pool) as cur:
                for host, (status, answer) in zip(batch, outcomes):
                    if status == "claimed":
                        continue
                    refusals[host["id"]] = answer.get("reason") or answer.get("error") or status
                    if answer.get("kind") == protocol.REFUSED_NO_ROOM:
                        unplaceable.add(host["id"])
                    owner = await ops_db.close_offer(cur, op_id, host["id"], status, answer) or owner
                owner = owner or await ops_db.owner(cur, op_id)
            if owner:
                return owner
        no_room = unplaceable & set(refusals)
        reason = _no_host_reason(size, refusals, no_room)
        for_person = ("there was no room for it on our hosts" if no_room == set(refusals)
                      else "no host could take it just then")
        async with db.cursor(self.pool) as cur:
            owner = await ops_db.fail_create(cur, op_id, reason, for_person)
        if owner:  # a claim got in just before the create was failed
            return owner
        log.warning("create %s of %s failed: %s", op_id, vm_id, reason)
        if no_room == set(refusals):
            raise NoCapacity(reason)
        raise OperationFailed(reason)

    async def _offer(self, op_id: uuid.UUID, host: dict, body: dict) -> tuple[str, dict]:
        """(status, answer) of one offer: claimed, refused, timeout or error."""
        try:
            answer = await self.client.call(host, f"/spoke/operation/{op_id}", body,
                                            timeout=self.config.create_offer_timeout)
        except signing.CallFailed as e:
            return ("timeout" if e.kind in ("timeout", "unreachable") else "error"), {"error": _describe(e)}
        if answer.get("accepted") is True and answer.get("claimed") is True:
            return "claimed", answer
        if answer.get("accepted") is False:
            kind = answer.get("kind") if answer.get("kind") in protocol.REFUSAL_KINDS else "refused"
            return "refused", {"reason": str(answer.get("reason") or "refused")[:500], "kind": kind}
        return "error", {"error": "invalid answer: expected accepted and claimed"}


def _no_host_reason(size: dict, refusals: dict[str, str], no_room: set[str]) -> str:
    what = f"{size['id']} ({size['vcpus']} vCPU, {size['memory_mb']} MB)"
    if not refusals:
        return f"no capacity: no host is online to take a {what}"
    details = "; ".join(f"{host}: {why}" for host, why in sorted(refusals.items()))
    if no_room == set(refusals):
        return f"no capacity: no host has room for a {what} right now ({details})"
    return f"no host took the {what} ({details})"


def _no_answer(missing: dict[str, str]) -> str:
    if not missing:
        return "no spoke is registered"
    return "no spoke answered: " + "; ".join(f"{h}: {why}" for h, why in sorted(missing.items()))


def _valid_list(answer: dict) -> bool:
    vms = answer.get("vms")
    return isinstance(vms, list) and all(
        isinstance(v, dict) and isinstance(v.get("vm_id"), str) and isinstance(v.get("state"), str) for v in vms)
