"""Capsuls' inbound firewalls: the rules people set, and what each spoke is told to enforce.

    view = await list_rules(hub, account, vm_id)                   # {"mode", "default", "rules"}
    rule = await add_rule(hub, account, vm_id, body)               # CapsulError subclasses, in words
    await remove_rule(hub, account, vm_id, rule_id); await set_mode(hub, account, vm_id, "rules")
    document = await host_document(pool, config, host_id)          # what POST /spoke/firewall carries
    await push_host(hub, host_id)                                  # now; resync_forever repairs later

A rule allows inbound traffic: TCP or UDP to a port or range, or ICMP, from a source network
(IPv4 or IPv6; none: anywhere). A capsul's mode is `default` (the operator's FIREWALL_DEFAULT:
`allow-all`, or `ssh-only`, which is one rule, TCP 22 from anywhere) or `rules` (only its own).
Established and related traffic is always allowed, and every capsul may send only from its own
MAC and addresses (the spoke's anti-spoofing, capsul/spoke/firewall/rules.py). Each change is on
the capsul's timeline. The hub pushes a host's whole document after a change and every
FIREWALL_RESYNC_INTERVAL seconds; the spoke applies it atomically, and only when it differs.
"""
from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import logging

from capsul import signing
from capsul.config import Config
from capsul.hub import db
from capsul.hub.capsuls import CapsulNotFound, Hub, InvalidRequest
from capsul.hub.db import firewall as firewall_db
from capsul.hub.db import hosts, vms
from capsul.hub.spokes import leases
from capsul.limits import is_int
from capsul.vm_ids import is_vm_id

log = logging.getLogger(__name__)
PROTOCOLS = ("tcp", "udp", "icmp")
MODES = ("default", "rules")
MAX_RULES = 50  # per capsul
SSH_ONLY = [{"protocol": "tcp", "port_from": 22, "port_to": 22, "source": None}]
PUSH_TIMEOUT = 10  # seconds
MODE_WORDS = {"default": "the provider's default", "rules": "only its rules"}


def rule_words(rule: dict) -> str:
    """'TCP 80-443 from 203.0.113.0/24', as the timeline and pages say it."""
    what = rule["protocol"].upper()
    if rule.get("port_from") is not None:
        what += f" {rule['port_from']}" + (f"-{rule['port_to']}" if rule["port_to"] != rule["port_from"] else "")
    return f"{what} from {rule.get('source') or 'anywhere'}"


def default_words(config: Config) -> str:
    return "all inbound traffic allowed" if config.firewall_default == "allow-all" else "only SSH (TCP 22) allowed"


def valid_rule(body: object) -> dict:
    """The rule a request asks for, checked; InvalidRequest saying what is wrong."""
    if not isinstance(body, dict):
        raise InvalidRequest("a rule is an object with protocol, ports and source")
    protocol = body.get("protocol")
    if protocol not in PROTOCOLS:
        raise InvalidRequest("protocol must be tcp, udp or icmp")
    port_from, port_to = body.get("port_from"), body.get("port_to")
    if protocol == "icmp":
        if port_from not in (None, "") or port_to not in (None, ""):
            raise InvalidRequest("ICMP has no ports: leave them out")
        port_from = port_to = None
    else:
        if port_to in (None, ""):
            port_to = port_from
        if not (is_int(port_from, 1, 65535) and is_int(port_to, 1, 65535)) or port_to < port_from:
            raise InvalidRequest("a TCP or UDP rule needs a port from 1 to 65535, or a range such as 8000-8080")
    source = body.get("source")
    if source in (None, "", "any", "anywhere"):
        source = None
    elif not isinstance(source, str) or len(source) > 60:
        raise InvalidRequest("source must be a network such as 203.0.113.0/24 or 2001:db8::/32, or empty for anywhere")
    else:
        try:
            source = str(ipaddress.ip_network(source.strip(), strict=False))
        except ValueError:
            raise InvalidRequest(f"{source.strip()[:60]!r} is not a network such as 203.0.113.0/24 or 2001:db8::/32") from None
    note = body.get("note")
    if note in (None, ""):
        note = None
    elif not isinstance(note, str) or len(note) > 100 or any(ord(c) < 32 for c in note):
        raise InvalidRequest("a note is up to 100 characters on one line")
    return {"protocol": protocol, "port_from": port_from, "port_to": port_to, "source": source, "note": note}


async def _capsul(cur, account: str | None, vm_id: str) -> dict:
    if not is_vm_id(vm_id):
        raise CapsulNotFound(f"no capsul {vm_id!r:.60}")
    vm = await firewall_db.lock_capsul(cur, vm_id, account)
    if vm is None:
        raise CapsulNotFound(f"no capsul {vm_id}")
    return vm


def _view(config: Config, mode: str, rules: list[dict]) -> dict:
    return {"mode": mode, "default": config.firewall_default, "default_words": default_words(config),
            "rules": [{**r, "words": rule_words(r)} for r in rules]}


async def list_rules(hub: Hub, account: str | None, vm_id: str) -> dict:
    async with db.cursor(hub.pool) as cur:
        async with cur.begin():
            vm = await _capsul(cur, account, vm_id)
            return _view(hub.config, vm["firewall"], await firewall_db.rules_of(cur, vm_id))


async def add_rule(hub: Hub, account: str | None, vm_id: str, body: object) -> dict:
    rule = valid_rule(body)
    async with db.cursor(hub.pool) as cur:
        async with cur.begin():
            vm = await _capsul(cur, account, vm_id)
            if await firewall_db.count(cur, vm_id) >= MAX_RULES:
                raise InvalidRequest(f"a capsul has at most {MAX_RULES} rules: remove one, or widen one")
            added = await firewall_db.add(cur, vm_id, **rule)
            await vms.add_event(cur, vm_id, "firewall", reason=f"firewall: allowed {rule_words(added)}"
                                + ("" if vm["firewall"] == "rules" else " (enforced once the firewall uses only its rules)"))
    push_soon(hub, vm["host_id"])
    return {**added, "words": rule_words(added)}


async def remove_rule(hub: Hub, account: str | None, vm_id: str, rule_id: object) -> dict:
    if not is_int(rule_id, 1):
        raise CapsulNotFound("no such rule")
    async with db.cursor(hub.pool) as cur:
        async with cur.begin():
            vm = await _capsul(cur, account, vm_id)
            removed = await firewall_db.remove(cur, vm_id, rule_id)
            if removed is None:
                raise CapsulNotFound("no such rule")
            await vms.add_event(cur, vm_id, "firewall", reason=f"firewall: no longer allows {rule_words(removed)}")
    push_soon(hub, vm["host_id"])
    return removed


async def set_mode(hub: Hub, account: str | None, vm_id: str, mode: object) -> dict:
    if mode not in MODES:
        raise InvalidRequest("mode must be default (the provider's) or rules (only this capsul's rules)")
    async with db.cursor(hub.pool) as cur:
        async with cur.begin():
            vm = await _capsul(cur, account, vm_id)
            if vm["firewall"] != mode:
                await firewall_db.set_mode(cur, vm_id, mode)
                await vms.add_event(cur, vm_id, "firewall", reason=f"firewall: {MODE_WORDS[mode]}"
                                    + (f" ({default_words(hub.config)})" if mode == "default" else ""))
            view = _view(hub.config, mode, await firewall_db.rules_of(cur, vm_id))
    push_soon(hub, vm["host_id"])
    return view


# --- what spokes enforce ----------------------------------------------------------------------------------

async def host_document(pool, config: Config, host_id: str) -> dict:
    """Every capsul of the host with its addresses and the inbound rules in force (None: allow all)."""
    async with db.cursor(pool) as cur:
        # NOTE: read before the rows: a document's rows are never older than its as_of, so a spoke
        # can drop one that arrives after a newer one (two pushes, or two hubs, crossing)
        as_of = await firewall_db.database_time(cur)
        capsuls = await firewall_db.host_capsuls(cur, host_id)
    listed = []
    for c in capsuls:
        if c["firewall"] == "rules":
            rules = c["rules"]
        else:
            rules = None if config.firewall_default == "allow-all" else SSH_ONLY
        listed.append({"id": c["id"], "ipv4": c["ipv4"], "ipv6": c["ipv6"], "rules": rules})
    document = {"capsuls": listed}
    document["digest"] = digest(document)
    document["as_of"] = as_of
    return document


def digest(document: dict) -> str:
    body = {k: v for k, v in document.items() if k not in ("digest", "as_of")}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


async def push_host(hub: Hub, host_id: str | None) -> bool:
    """Send the host its document now; False (logged) when it cannot be reached: the resync retries."""
    if host_id is None:
        return False
    async with db.cursor(hub.pool) as cur:
        host = await hosts.get_host_to_call(cur, host_id)
    if host is None:
        return False
    document = await host_document(hub.pool, hub.config, host_id)
    try:
        answer = await hub.dispatcher.client.call(host, "/spoke/firewall", document, timeout=PUSH_TIMEOUT)
        report, pushed = {k: answer.get(k) for k in REPORTED}, True
    except signing.CallFailed as e:
        log.warning("firewall of host %s not pushed (%s); the resync tries again", host_id, e)
        report, pushed = {"error": f"not pushed: {str(e)[:300]}"}, False
    async with db.cursor(hub.pool) as cur:  # for the admin page
        await firewall_db.record_report(cur, host_id, {k: v for k, v in report.items()
                                                       if v is None or isinstance(v, (bool, int, str))})
    return pushed


REPORTED = ("enforcing", "error", "warning", "repairs")  # of the spoke's answer (capsul/spoke/firewall/keeper.py)


_pushing: dict[str, asyncio.Task] = {}  # host id -> its push loop in this process
_again: set[str] = set()  # hosts changed while their push was under way


def push_soon(hub: Hub, host_id: str | None) -> None:
    """Push after the change committed, without holding the person's request on a slow spoke. One push
    per host at a time; changes meanwhile make one more push, of the newest document."""
    if host_id is None:
        return
    if host_id in _pushing:
        _again.add(host_id)
        return

    async def push_until_current() -> None:
        try:
            while True:
                _again.discard(host_id)
                await push_host(hub, host_id)
                if host_id not in _again:
                    return
        finally:
            _pushing.pop(host_id, None)
    _pushing[host_id] = asyncio.get_running_loop().create_task(push_until_current())


async def resync_forever(hub: Hub) -> None:
    """Every FIREWALL_RESYNC_INTERVAL (one hub at a time), every host with capsuls gets its document:
    a spoke that missed a push, restarted or drifted converges. The spoke skips an unchanged one."""
    every = hub.config.firewall_resync_interval
    while True:
        try:
            if await leases.take_turn(hub.pool, "firewall-resync", every):
                async with db.cursor(hub.pool) as cur:
                    host_ids = await firewall_db.hosts_with_capsuls(cur)
                await asyncio.gather(*(push_host(hub, h) for h in host_ids))
        except asyncio.CancelledError:
            raise
        except Exception as e:  # the database away for a moment: the next round tries again
            log.error("firewall resync failed: %s", e)
        await asyncio.sleep(every)
