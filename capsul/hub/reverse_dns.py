"""Reverse DNS: the PTR name of each of a capsul's addresses, set by its owner, pushed to the
provider's PowerDNS (hub/powerdns.py).

    view = await list_names(hub, account, vm_id)                 # each address: name, default, push state
    await set_name(hub, account, vm_id, address, "www.example.org")  # refused unless it resolves to it
    await reset_name(hub, account, vm_id, address)               # back to the default name
    await sync_forever(hub, session)                             # pushes, retries, released addresses

A name is accepted only when it resolves forward to that address (an A record for IPv4, AAAA for
IPv6), looked up with dnspython through RDNS_RESOLVERS: nobody can point an address at a name they
do not control the forward records of. An address no live capsul holds any more (deleted, failed,
moved to new addresses) gets its default name back, since addresses are handed out again: each
round resets those first. A push that fails is tried again with a growing wait (up to
RDNS_RETRY_MAX); admins see the failures (admin page). Each push holds its row's lock, so two pushes
of one address never cross.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import re

import dns.asyncresolver
import dns.exception
import dns.resolver
import dns.reversename

from capsul.config import Config
from capsul.hub import db
from capsul.hub.capsuls import CapsulNotFound, Hub, InvalidRequest, Unavailable
from capsul.hub.db import reverse_dns as rdns_db
from capsul.hub.db import vms
from capsul.hub.powerdns import PowerDns, PowerDnsError
from capsul.hub.spokes import leases
from capsul.vm_ids import is_vm_id

log = logging.getLogger(__name__)
LOOKUP_TIMEOUT = 5  # seconds
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_NAME_RE = re.compile(rf"({_LABEL}\.)+[a-z][a-z0-9-]{{0,62}}(?<!-)")


class NotOffered(InvalidRequest):
    status = 404


def offered(config: Config) -> bool:
    return bool(config.rdns_pdns_url)


def default_name(config: Config, address: str) -> str:
    """203-0-113-5.DOMAIN. / 2001-db8--5.DOMAIN.: unique per address, and what a released one returns to."""
    return address.replace(".", "-").replace(":", "-") + f".{config.rdns_default_domain}."


def valid_name(name: object) -> str:
    """A host name, lower-cased, with its final dot; InvalidRequest in words otherwise."""
    name = name.strip().lower().rstrip(".") if isinstance(name, str) else ""
    if len(name) > 253 or not _NAME_RE.fullmatch(name):
        raise InvalidRequest("a PTR name is a host name such as www.example.org (letters, digits and hyphens)")
    return name + "."


async def _capsul(cur, account: str | None, vm_id: str, config: Config) -> dict:
    if not offered(config):
        raise NotOffered("reverse DNS is not offered by this provider")
    if not is_vm_id(vm_id):
        raise CapsulNotFound(f"no capsul {vm_id!r:.60}")
    vm = await rdns_db.capsul_addresses(cur, vm_id, account)
    if vm is None:
        raise CapsulNotFound(f"no capsul {vm_id}")
    return vm


def _own_address(vm: dict, address: object) -> str:
    try:
        parsed = str(ipaddress.ip_address(address)) if isinstance(address, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed not in (vm["ipv4"], vm["ipv6"]):
        raise CapsulNotFound(f"{str(address)[:60]!r} is not an address of {vm['id']}")
    return parsed


async def list_names(hub: Hub, account: str | None, vm_id: str) -> list[dict]:
    async with db.cursor(hub.pool) as cur:
        vm = await _capsul(cur, account, vm_id, hub.config)
        addresses = [a for a in (vm["ipv4"], vm["ipv6"]) if a]
        rows = await rdns_db.of_addresses(cur, addresses)
    listed = []
    for address in addresses:
        row = rows.get(address) if rows.get(address, {}).get("vm_id") == vm_id else None
        listed.append({"address": address, "name": (row or {}).get("name") or default_name(hub.config, address),
                       "default": default_name(hub.config, address), "custom": bool(row and row["name"]),
                       "state": row["state"] if row else "default",
                       "error": row["last_error"] if row else None})
    return listed


async def forward_addresses(config: Config, name: str, version: int) -> set[str]:
    """What `name` resolves to (A or AAAA); empty if nothing. Unavailable when DNS cannot answer."""
    resolver = dns.asyncresolver.Resolver(configure=not config.rdns_resolvers)
    if config.rdns_resolvers:
        resolver.nameservers = list(config.rdns_resolvers)
    resolver.lifetime = LOOKUP_TIMEOUT
    try:
        answer = await resolver.resolve(name, "A" if version == 4 else "AAAA")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return set()
    except (dns.exception.Timeout, dns.resolver.NoNameservers) as e:
        raise Unavailable(f"{name} could not be looked up just now ({type(e).__name__}); try again in a minute") \
            from None
    return {str(ipaddress.ip_address(r.address)) for r in answer}


async def set_name(hub: Hub, account: str | None, vm_id: str, address: object, name: object) -> dict:
    name = valid_name(name)
    async with db.cursor(hub.pool) as cur:
        vm = await _capsul(cur, account, vm_id, hub.config)
    address = _own_address(vm, address)
    found = await forward_addresses(hub.config, name, ipaddress.ip_address(address).version)
    if address not in found:
        record = "A" if ipaddress.ip_address(address).version == 4 else "AAAA"
        raise InvalidRequest(f"{name} does not resolve to {address} (its {record} records: "
                             f"{', '.join(sorted(found)) or 'none'}); set that record first, then the PTR name")
    return await _want(hub, vm_id, address, name, f"reverse DNS: {address} is {name}")


async def reset_name(hub: Hub, account: str | None, vm_id: str, address: object) -> dict:
    async with db.cursor(hub.pool) as cur:
        vm = await _capsul(cur, account, vm_id, hub.config)
    address = _own_address(vm, address)
    return await _want(hub, vm_id, address, None,
                       f"reverse DNS: {address} is back to {default_name(hub.config, address)}")


async def _want(hub: Hub, vm_id: str, address: str, name: str | None, words: str) -> dict:
    async with db.cursor(hub.pool) as cur:
        async with cur.begin():
            # the capsul must still hold it (a delete may have come in meanwhile)
            if await rdns_db.capsul_addresses(cur, vm_id, None) is None:
                raise CapsulNotFound(f"no capsul {vm_id}")
            await rdns_db.want(cur, address, vm_id, name)
            await vms.add_event(cur, vm_id, "reverse_dns", reason=words)
    _push_soon(hub, address)
    return {"address": address, "name": name or default_name(hub.config, address), "custom": name is not None,
            "state": "pending"}


# --- pushing ---------------------------------------------------------------------------------------------

def _powerdns(hub: Hub) -> PowerDns:
    config = hub.config
    return PowerDns(hub.dispatcher.client.session, config.rdns_pdns_url, config.rdns_pdns_api_key,
                    config.rdns_pdns_server)


async def push_one(hub: Hub, address: str, *, even_if_not_due: bool = False) -> bool | None:
    """Push the address's wanted name if it is still to push and nobody else is at it; None: nothing to do."""
    config = hub.config
    async with db.cursor(hub.pool) as cur:
        async with cur.begin():
            row = await rdns_db.lock_due(cur, address, even_if_not_due=even_if_not_due)
            if row is None:
                return None
            record = dns.reversename.from_address(address).to_text()
            target = row["name"] or default_name(config, address)
            try:
                api = _powerdns(hub)
                zone = await api.zone_for(record)
                if zone is None:
                    raise PowerDnsError(f"PowerDNS holds no zone for {record}: add the reverse zone of this network")
                await api.set_ptr(zone, record, target, ttl=config.rdns_ttl)
            except PowerDnsError as e:
                retry_in = min(config.rdns_retry_max, config.rdns_sync_interval * 2 ** min(row["attempts"], 16))
                await rdns_db.failed(cur, address, str(e), retry_in)
                log.warning("reverse DNS of %s not pushed (try %d; again in %.0f s): %s", address,
                            row["attempts"] + 1, retry_in, e)
                return False
            await rdns_db.pushed(cur, address)
            return True


_pushing: set[asyncio.Task] = set()


def _push_soon(hub: Hub, address: str) -> None:
    task = asyncio.get_running_loop().create_task(push_one(hub, address))
    _pushing.add(task)
    task.add_done_callback(_pushing.discard)


async def sync_round(hub: Hub) -> None:
    async with db.cursor(hub.pool) as cur:
        async with cur.begin():
            for released in await rdns_db.release_unheld(cur):
                log.info("reverse DNS: %s is no longer held by %s; back to its default name", released["address"],
                         released["vm_id"])
        due = await rdns_db.due(cur)
    for address in due:
        await push_one(hub, address)


async def sync_forever(hub: Hub) -> None:
    every = hub.config.rdns_sync_interval
    while True:
        try:
            if await leases.take_turn(hub.pool, "reverse-dns", every):
                await sync_round(hub)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.error("reverse DNS round failed: %s", e)
        await asyncio.sleep(every)


async def failures(hub: Hub) -> list[dict]:
    async with db.cursor(hub.pool) as cur:
        return await rdns_db.failures(cur)
