"""The spoke's keeper of its capsuls' firewalls: the hub's document kept on disk, written to
nftables (capsul/spoke/firewall/rules.py), and checked against what nftables holds.

    keeper = FirewallKeeper(config, virt)
    await keeper.start()                   # the stored document applied again: rules survive restarts
    changed = await keeper.update(doc)     # POST /spoke/firewall; DocumentRefused for a bad one
    await keeper.check_forever()           # drift (a table edited or flushed by hand) is rewritten

The document is stored before it is applied, so a spoke (or host) restarted while the hub is away
puts back the last rules it was given. After each write the keeper reads both tables back
(`nft -s`: no counters) and keeps their digest; a check that finds another digest writes them
again, and says so. With FIREWALL=off (or auto on libvirt's test driver) documents are kept and
reported but nothing is written.
"""
from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import logging
import os
import time
from pathlib import Path

from capsul.config import Config
from capsul.limits import is_int
from capsul.spoke.domain_xml import tap_name
from capsul.spoke.firewall import rules as nft_rules
from capsul.vm_ids import is_vm_id

log = logging.getLogger(__name__)
MAX_CAPSULS = 20_000
MAX_RULES = 50
NFT_TIMEOUT = 60  # seconds


class DocumentRefused(Exception):
    """The hub's document is not one this spoke can enforce; str() says why."""


class FirewallKeeper:
    def __init__(self, config: Config, virt=None):
        self.config = config
        self.virt = virt  # None: devices are the names capsul gives them (bench/firewall.py)
        self.enforcing = config.enforces_firewall
        self.path = config.spoke_dir / "firewall.json"
        self.document: dict | None = None
        self.devices: dict[str, str] = {}  # capsul id -> host side of its interface, where libvirt named it
        self.applied_digest: str | None = None  # the document's digest last written to nftables
        self.written: str | None = None  # the digest of the tables as read back after that write
        self.error: str | None = None
        self.applied_at: float | None = None
        self.repairs = 0
        self.bridge_warning: str | None = None
        self._bridge_checked = False  # br_netfilter's switches set once per start (and at each drift check)
        self._in_tables: dict | None = None  # what the last write put in nftables, per capsul: the next writes only changes
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()

    def report(self) -> dict:
        return {"enforcing": self.enforcing, "digest": self.applied_digest,
                "error": self.error, "repairs": self.repairs, "warning": self.bridge_warning}

    async def start(self) -> None:
        try:
            stored = await asyncio.to_thread(self.path.read_text)
        except FileNotFoundError:
            return
        try:
            self.document = _checked(json.loads(stored))
        except (ValueError, DocumentRefused) as e:
            log.error("firewall: the stored document %s cannot be used (%s); waiting for the hub's", self.path, e)
            return
        await self._refresh_devices()
        await self._apply("as stored before this spoke started")

    async def update(self, document: object) -> bool:
        """Enforce the hub's document; False when it is the one in force already."""
        document = _checked(document)
        async with self._lock:
            if self.document is not None and document["as_of"] < self.document["as_of"]:
                return False  # older than the one in force: two pushes crossed
            if document["digest"] == self.applied_digest and self.error is None:
                self.document = {**self.document, "as_of": document["as_of"]}
                return False
            await asyncio.to_thread(_write_atomically, self.path, json.dumps(document))
            self.document = document
        await self._apply("from the hub")
        return True

    def domain_changed(self, vm_id: str, state: str, *_reason) -> None:
        """libvirt's lifecycle event: a capsul started may have an interface named by libvirt (vnetN)."""
        if state == "running" and self.enforcing and self.virt is not None and self.document is not None:
            task = asyncio.get_running_loop().create_task(self._device_check(vm_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _device_check(self, vm_id: str) -> None:
        before = self.devices.get(vm_id, tap_name(vm_id))
        await self._refresh_devices()
        if self.devices.get(vm_id, tap_name(vm_id)) != before:
            await self._apply(f"{vm_id} started with its interface named {self.devices.get(vm_id)}")

    async def _refresh_devices(self) -> None:
        if self.virt is None or not self.enforcing:
            return
        try:
            self.devices = await self.virt.interface_devices()
        except Exception as e:  # libvirt away: capsul's own names meanwhile
            log.warning("firewall: cannot list the capsuls' interfaces (%s); using capsul's names", e)

    async def _apply(self, why: str) -> None:
        async with self._lock:
            document = self.document
            if document is None:
                return
            if not self.enforcing:
                self.applied_digest, self.error = document["digest"], None
                return
            capsuls = {c["id"]: nft_rules.Capsul(
                vm_id=c["id"], device=self.devices.get(c["id"], tap_name(c["id"])),
                ipv4=ipaddress.IPv4Address(c["ipv4"]) if c["ipv4"] else None,
                ipv6=ipaddress.IPv6Address(c["ipv6"]) if c["ipv6"] else None,
                rules=None if c["rules"] is None else tuple(
                    nft_rules.Rule(r["protocol"], r["port_from"], r["port_to"],
                                   ipaddress.ip_network(r["source"]) if r["source"] else None) for r in c["rules"]))
                for c in document["capsuls"]}
            if self.bridge_warning is None and not self._bridge_checked:
                await self._bridged_traffic_to_ip_hooks()
            status, err = 1, ""
            if self._in_tables is not None and self.error is None:  # only what changed, in one transaction
                script = nft_rules.changes_script(self.config.firewall_table, self._in_tables, capsuls)
                status, _, err = (0, "", "") if script is None else await self._nft(["-f", "-"], script)
                if status != 0:
                    log.warning("firewall: a change alone was refused (%s); writing the whole tables", err.strip()[:200])
            if status != 0:
                status, _, err = await self._nft(["-f", "-"], nft_rules.script(self.config.firewall_table,
                                                                               list(capsuls.values())))
            if status != 0:
                self.error = f"nft refused the rules: {err.strip()[:500]}"
                self._in_tables = None
                log.error("firewall: %s", self.error)
                return
            self._in_tables = capsuls
            self.written = await self._tables_digest()
            self.applied_digest, self.error, self.applied_at = document["digest"], None, time.time()
            log.info("firewall: %d capsuls' rules in force (%s)", len(capsuls), why)

    async def _bridged_traffic_to_ip_hooks(self) -> None:
        """Bridged guests (a public bridge, docs/networks.md) are reached without routing: their inbound
        traffic meets the inet table's forward hook, with connection tracking, only through br_netfilter.
        The kernel has no conntrack of its own for the bridge family here, so this is what makes
        "established traffic is allowed" possible on a bridge."""
        status, _, err = await self._run(["sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=1",
                                          "net.bridge.bridge-nf-call-ip6tables=1"])
        if status != 0 and not self.bridge_warning:
            self.bridge_warning = ("bridged capsuls' inbound rules are not enforced: br_netfilter is not loaded "
                                   f"(modprobe br_netfilter; docs/firewall.md): {err.strip()[:200]}")
            log.warning("firewall: %s", self.bridge_warning)
        elif status == 0:
            self.bridge_warning = None
        self._bridge_checked = True

    async def _tables_digest(self) -> str | None:
        """A digest of the spoke's two tables as nftables holds them (`-s`: without counters); None if one
        is missing. (Listing the two tables: a tenth of the time of the whole ruleset at 1,000 capsuls.)"""
        listing = []
        for family in ("inet", "bridge"):
            status, out, _ = await self._nft(["-s", "list", "table", family, self.config.firewall_table])
            if status != 0:
                return None
            listing.append(out)
        return hashlib.sha256("".join(listing).encode()).hexdigest()

    async def check(self) -> bool:
        """Whether nftables holds what was written; if not, it is written again (True: it was repaired)."""
        if not self.enforcing or self.document is None:
            return False
        await self._bridged_traffic_to_ip_hooks()
        async with self._lock:  # NOTE: never between a write and its read-back, which would look like drift
            if self.error is None and await self._tables_digest() == self.written:
                return False
            log.warning("firewall: the nftables tables %s differ from what this spoke wrote; writing them again",
                        self.config.firewall_table)
            self.repairs += 1
            self._in_tables = None  # the whole tables, not changes to what is no longer there
        await self._apply("repaired")
        return True

    async def check_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.firewall_check_interval)
            try:
                await self.check()
            except Exception as e:
                log.error("firewall: check failed: %s", e)

    async def _nft(self, args: list[str], stdin: str | None = None) -> tuple[int, str, str]:
        return await self._run(["nft", *args], stdin)

    async def _run(self, argv: list[str], stdin: str | None = None) -> tuple[int, str, str]:
        """A command in the namespace of libvirt's bridges (FIREWALL_NETNS), never blocking the loop."""
        if self.config.firewall_netns:
            argv = ["ip", "netns", "exec", self.config.firewall_netns, *argv]
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.PIPE if stdin is not None else None,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        except OSError as e:
            return 127, "", f"cannot run {argv[0]}: {e}"
        try:
            out, err = await asyncio.wait_for(proc.communicate(stdin.encode() if stdin is not None else None), NFT_TIMEOUT)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            return 124, "", f"nft did not finish in {NFT_TIMEOUT} s"
        return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(text)
    os.replace(partial, path)


def _checked(document: object) -> dict:
    """The hub's document with every value checked (it becomes nftables syntax)."""
    if not isinstance(document, dict) or not isinstance(document.get("capsuls"), list) \
            or not isinstance(document.get("digest"), str) or len(document["digest"]) != 64:
        raise DocumentRefused("expected {capsuls: [...], digest}")
    if len(document["capsuls"]) > MAX_CAPSULS:
        raise DocumentRefused(f"at most {MAX_CAPSULS} capsuls")
    capsuls = []
    for c in document["capsuls"]:
        if not isinstance(c, dict) or not is_vm_id(c.get("id")):
            raise DocumentRefused("each capsul needs its id")
        ipv4, ipv6 = _address(c.get("ipv4"), 4), _address(c.get("ipv6"), 6)
        rules = c.get("rules")
        if rules is not None:
            if not isinstance(rules, list) or len(rules) > MAX_RULES:
                raise DocumentRefused(f"rules are a list of at most {MAX_RULES}")
            rules = [_rule(r) for r in rules]
        capsuls.append({"id": c["id"], "ipv4": ipv4, "ipv6": ipv6, "rules": rules})
    as_of = document.get("as_of", 0)
    if not isinstance(as_of, (int, float)) or isinstance(as_of, bool) or not 0 <= as_of < 1e11:
        raise DocumentRefused("as_of must be the time of the document, in seconds")
    return {"capsuls": capsuls, "digest": document["digest"], "as_of": float(as_of)}


def _address(value: object, version: int) -> str | None:
    if value is None:
        return None
    try:
        address = ipaddress.ip_address(value) if isinstance(value, str) else None
    except ValueError:
        address = None
    if address is None or address.version != version:
        raise DocumentRefused(f"ipv{version} must be an IPv{version} address or null")
    return str(address)


def _rule(rule: object) -> dict:
    if not isinstance(rule, dict) or rule.get("protocol") not in ("tcp", "udp", "icmp"):
        raise DocumentRefused("a rule's protocol is tcp, udp or icmp")
    port_from, port_to = rule.get("port_from"), rule.get("port_to")
    if rule["protocol"] == "icmp":
        if port_from is not None or port_to is not None:
            raise DocumentRefused("an ICMP rule has no ports")
    elif not (is_int(port_from, 1, 65535) and is_int(port_to, 1, 65535) and port_from <= port_to):
        raise DocumentRefused("a TCP or UDP rule has ports from 1 to 65535, the first not above the last")
    source = rule.get("source")
    if source is not None:
        try:
            source = str(ipaddress.ip_network(source)) if isinstance(source, str) else None
        except ValueError:
            source = None
        if source is None:
            raise DocumentRefused("a rule's source is a network or null")
    return {"protocol": rule["protocol"], "port_from": port_from, "port_to": port_to, "source": source}
