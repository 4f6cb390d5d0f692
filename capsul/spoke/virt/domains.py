"""Capsul domains: capacity, listing, define and start, state commands, destroy; and the build
mark a spoke killed mid-build leaves. Every call runs in a worker thread."""
from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
import logging
from dataclasses import dataclass

import libvirt

from capsul.spoke.domain_xml import BUILD_MARK_NS
from capsul.spoke.virt.common import (_STATES, CAPSUL_PREFIX, HypervisorError, VmNotFound, _message,
                                      _of_each_capsul, _vanished)

log = logging.getLogger(__name__)


def _has_build_mark(dom: libvirt.virDomain) -> bool:
    try:
        dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, BUILD_MARK_NS, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
    except libvirt.libvirtError as e:
        if e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN_METADATA:
            return False
        raise
    return True


def _remove_build_mark(dom: libvirt.virDomain) -> None:
    """From the persistent definition (what an inactive domain is started from)."""
    dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, None, None, BUILD_MARK_NS,
                    libvirt.VIR_DOMAIN_AFFECT_CONFIG)


def _start_unmarked(dom: libvirt.virDomain) -> str:
    """Start the domain unless it runs, then remove its build mark; its state afterwards."""
    if not dom.isActive():
        dom.create()
    if _has_build_mark(dom):
        _remove_build_mark(dom)
    return _STATES.get(dom.state()[0], "stopped")


@dataclass(frozen=True)
class Capacity:
    cpus: int
    memory_mb: int
    committed_cpus: int
    committed_memory_mb: int

    def as_dict(self) -> dict:
        return {"cpus": self.cpus, "memory_mb": self.memory_mb,
                "committed_cpus": self.committed_cpus, "committed_memory_mb": self.committed_memory_mb}


class Domains:
    """The domain calls of Hypervisor (capsul/spoke/virt/__init__.py)."""

    async def capacity(self) -> Capacity:
        capacity = await asyncio.to_thread(self._capacity)
        self.last_capacity = capacity
        return capacity

    async def capacity_quickly(self, wait: float = 0.25) -> Capacity:
        """A fresh figure if libvirt gives one within `wait` seconds, else the last known one.

        For heartbeats: a libvirt job in progress (a 2 s destroy holds a domain's lock) must
        not make the spoke look dead. The slow query goes on and refreshes the figure.
        """
        query = asyncio.ensure_future(self.capacity())
        done, _ = await asyncio.wait([query], timeout=wait)
        if query in done or self.last_capacity is None:
            return await query
        query.add_done_callback(lambda q: q.cancelled() or q.exception())  # retrieved: no warning
        return self.last_capacity

    def _capacity(self) -> Capacity:
        """Runs in a worker thread. Committed = what every defined capsul domain may use,
        whether running or not: capsul's own accounting (libvirt's test driver enforces
        nothing), matching the hub's. Domains not named capsul-* are not counted."""
        conn = self._conn_or_raise()
        try:
            _model, memory_mb, cpus, *_ = conn.getInfo()
            sizes = _of_each_capsul(conn, lambda dom: dom.info())  # (state, max KiB, KiB, vCPUs, CPU time)
            committed_cpus = sum(info[3] for info in sizes)
            committed_kib = sum(info[1] for info in sizes)
        except libvirt.libvirtError as e:
            raise HypervisorError(f"libvirt: {_message(e)}") from None
        return Capacity(cpus=cpus, memory_mb=memory_mb, committed_cpus=committed_cpus,
                        committed_memory_mb=committed_kib // 1024)

    # --- domains: every call runs in a worker thread ----------------------------------------

    async def list_capsuls(self) -> list[dict]:
        return await asyncio.to_thread(self._list_capsuls)

    def _list_capsuls(self) -> list[dict]:
        conn = self._conn_or_raise()
        try:
            return _of_each_capsul(conn, lambda dom: {"vm_id": dom.name(),
                                                      "state": _STATES.get(dom.state()[0], "stopped")})
        except libvirt.libvirtError as e:
            raise HypervisorError(f"libvirt: {_message(e)}") from None

    async def interface_devices(self) -> dict[str, str]:
        """{capsul id: the host side of its network interface} of every running capsul (the firewall
        matches a guest's traffic by it; domains defined before 0.11.0 have libvirt's vnetN names)."""
        def read(dom) -> tuple[str, str | None]:
            if dom.isActive() != 1:
                return dom.name(), None
            target = ET.fromstring(dom.XMLDesc(0)).find("devices/interface/target")
            return dom.name(), target.get("dev") if target is not None else None
        try:
            found = await asyncio.to_thread(lambda: _of_each_capsul(self._conn_or_raise(), read))
        except libvirt.libvirtError as e:
            raise HypervisorError(f"libvirt: {_message(e)}") from None
        return {name: dev for name, dev in found if dev}

    async def describe_capsul_domains(self) -> list[dict]:
        """[{name, xml, running}] of every capsul domain (for the test driver, which forgets them)."""
        def run():
            return _of_each_capsul(self._conn_or_raise(), lambda dom: {
                "name": dom.name(), "xml": dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE), "running": dom.isActive() == 1})
        try:
            return await asyncio.to_thread(run)
        except libvirt.libvirtError as e:
            raise HypervisorError(f"libvirt: {_message(e)}") from None

    async def define_kept(self, kept: list[dict]) -> list[str]:
        """Define each of describe_capsul_domains()'s domains that is not defined, starting those that
        ran; the names defined. One that cannot be defined is logged and left out."""
        def run():
            conn = self._conn_or_raise()
            try:
                present = {d.name() for d in conn.listAllDomains()}  # running and shut off alike
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
            defined = []
            for domain in kept:
                name = domain.get("name") if isinstance(domain, dict) else None
                if not isinstance(name, str) or not name.startswith(CAPSUL_PREFIX) or name in present:
                    continue
                try:
                    dom = conn.defineXML(domain["xml"])
                    if domain.get("running"):
                        dom.create()
                    defined.append(name)
                except (libvirt.libvirtError, KeyError, TypeError) as e:
                    log.error("cannot define %s again: %s", name, e)
            return defined
        return await asyncio.to_thread(run)

    async def finish_interrupted_builds(self) -> list[str]:
        """Finish what a killed spoke left half done; returns the names of the domains started.

        - defined but never started (the build mark is still on it): start it;
        - paused "starting up" (the start's caller never saw it through): resume it;
        - started, mark left (killed before removing it): remove the mark only, so a capsul
          its owner stops later is never started again by a spoke restart.
        """
        def run():
            conn = self._conn_or_raise()
            started = []
            for dom in conn.listAllDomains():
                name = dom.name()
                if not name.startswith(CAPSUL_PREFIX):
                    continue
                try:
                    unfinished = _has_build_mark(dom)
                    state, reason = dom.state()
                    if unfinished and not dom.isActive():
                        dom.create()
                        started.append(name)
                    elif state == libvirt.VIR_DOMAIN_PAUSED and reason == libvirt.VIR_DOMAIN_PAUSED_STARTING_UP:
                        try:
                            dom.resume()
                            started.append(name)
                        except libvirt.libvirtError:
                            if dom.state()[0] != libvirt.VIR_DOMAIN_RUNNING:  # else libvirtd finished it itself
                                raise
                    if unfinished:
                        _remove_build_mark(dom)
                except libvirt.libvirtError as e:
                    if not _vanished(e):  # deleted meanwhile: nothing to finish
                        log.error("cannot finish the interrupted build of %s: %s", name, _message(e))
            return started
        try:
            return await asyncio.to_thread(run)
        except libvirt.libvirtError as e:
            raise HypervisorError(f"libvirt: {_message(e)}") from None

    def _lookup(self, vm_id: str) -> libvirt.virDomain:
        try:
            return self._conn_or_raise().lookupByName(vm_id)
        except libvirt.libvirtError as e:
            if e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                raise VmNotFound(f"no capsul {vm_id} on this host") from None
            raise HypervisorError(f"libvirt: {_message(e)}") from None

    async def state(self, vm_id: str) -> str:
        def run():
            try:
                return _STATES.get(self._lookup(vm_id).state()[0], "stopped")
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
        return await asyncio.to_thread(run)

    async def xml(self, vm_id: str) -> str:
        def run():
            try:
                return self._lookup(vm_id).XMLDesc()
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
        return await asyncio.to_thread(run)

    async def exists(self, vm_id: str) -> bool:
        try:
            await self.state(vm_id)
        except VmNotFound:
            return False
        return True

    async def define_and_start(self, vm_id: str, domain_xml: str) -> str:
        """Define and start the domain unless a domain of that name exists (then leave it be)."""
        def run():
            conn = self._conn_or_raise()
            try:
                dom = conn.lookupByName(vm_id)
            except libvirt.libvirtError as e:
                if e.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
                    raise HypervisorError(f"libvirt: {_message(e)}") from None
                dom = None
            try:
                if dom is None:
                    dom = conn.defineXML(domain_xml)
                return _start_unmarked(dom)
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
        return await asyncio.to_thread(run)

    async def destroy(self, vm_id: str) -> bool:
        """Stop and undefine the domain; True if it existed. Harmless to repeat."""
        def run():
            try:
                dom = self._lookup(vm_id)
            except VmNotFound:
                return False
            try:
                if dom.isActive():
                    dom.destroy()
                dom.undefine()
            except libvirt.libvirtError as e:
                if e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                    return False  # gone meanwhile
                raise HypervisorError(f"libvirt: {_message(e)}") from None
            return True
        return await asyncio.to_thread(run)

    async def command(self, vm_id: str, command: str) -> str:
        """start, shutdown (ACPI), force-stop or reboot; returns the state afterwards."""
        def run():
            dom = self._lookup(vm_id)
            try:
                active = dom.isActive()
                if command == "start":
                    if not active:
                        dom.create()
                    elif dom.state()[0] == libvirt.VIR_DOMAIN_PAUSED:
                        dom.resume()  # a paused capsul starts by carrying on
                elif command == "shutdown":
                    if active:
                        dom.shutdown()
                elif command == "force-stop":
                    if active:
                        dom.destroy()
                elif command == "reboot":
                    if not active:
                        raise HypervisorError(f"capsul {vm_id} is not running")
                    dom.reboot()
                elif command == "suspend":  # not offered to users; the benchmarks use it
                    dom.suspend()
                elif command == "resume":
                    dom.resume()
                else:
                    raise HypervisorError(f"unknown command {command!r}")
                return _STATES.get(dom.state()[0], "stopped")
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
        return await asyncio.to_thread(run)
