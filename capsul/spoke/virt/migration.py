"""What moves (capsul/spoke/moves.py) ask of libvirt: a running domain migrated live, peer to peer,
to another host's libvirtd, its disk overlay copied on the way, with the job's progress; and a
domain moved cold, defined on its new host. Every call runs in a worker thread.

The source's libvirtd dials the destination's itself (VIR_MIGRATE_PEER2PEER), over the URI the
destination spoke gives (MIGRATION_URI: `qemu+tls://…` in production, authenticated by the
certificates of the hub's CA, docs/moves.md). The domain's definition is the source's own,
migratable, with only what differs on the destination replaced (its files and libvirt network),
so libvirt's check that the guest sees the same machine passes.
"""
from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import libvirt

from capsul.spoke.virt.common import HypervisorError, VmNotFound, _message
from capsul.spoke.virt.domains import _remove_build_mark, _start_unmarked

LIVE_FLAGS = (libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER | libvirt.VIR_MIGRATE_PERSIST_DEST
              | libvirt.VIR_MIGRATE_UNDEFINE_SOURCE | libvirt.VIR_MIGRATE_NON_SHARED_INC)


@dataclass(frozen=True)
class MoveProgress:
    running: bool
    memory_total: int = 0
    memory_remaining: int = 0
    disk_total: int = 0
    disk_remaining: int = 0
    downtime_ms: int | None = None
    elapsed_ms: int | None = None

    def as_dict(self) -> dict:
        return {"running": self.running, "memory_total": self.memory_total, "memory_remaining": self.memory_remaining,
                "disk_total": self.disk_total, "disk_remaining": self.disk_remaining,
                "downtime_ms": self.downtime_ms, "elapsed_ms": self.elapsed_ms}


def destination_xml(source_xml: str, files: dict, network_name: str | None) -> str:
    """The source's migratable definition with the destination's own files (disk, seed, console
    log, kernel and initrd) and libvirt network put in, and the rest left exactly as it is."""
    root = ET.fromstring(source_xml)
    for disk in root.findall("devices/disk"):
        target, source = disk.find("target"), disk.find("source")
        if target is None or source is None:
            continue
        wanted = {"vda": files.get("disk"), "vdb": files.get("seed")}.get(target.get("dev"))
        if wanted:
            source.set("file", wanted)
            # a destination's overlay has its own backing chain: libvirt reads it there
            backing = disk.find("backingStore")
            if backing is not None:
                disk.remove(backing)
    for tag, name in (("kernel", "kernel"), ("initrd", "initrd")):
        element = root.find(f"os/{tag}")
        if element is not None and files.get(name):
            element.text = files[name]
    for log in root.findall("devices/serial/log"):
        if files.get("console_log"):
            log.set("file", files["console_log"])
    for source in root.findall("devices/interface[@type='network']/source"):
        if network_name:
            source.set("network", network_name)
            source.attrib.pop("portid", None)
            source.attrib.pop("bridge", None)
    return ET.tostring(root, encoding="unicode")


class Migration:
    """The move calls of Hypervisor (capsul/spoke/virt/__init__.py)."""

    async def migrate_live(self, vm_id: str, uri: str, files: dict, network_name: str | None, *,
                           tls: bool, bandwidth_mib: int | None = None) -> None:
        """Move the running domain to the libvirtd at `uri`; returns once the destination runs it and
        this host has let it go (libvirt then undefines it here: VIR_MIGRATE_UNDEFINE_SOURCE), or
        raises HypervisorError with the domain still running here."""
        def run():
            try:
                dom = self._lookup(vm_id)
                if not dom.isActive():
                    raise HypervisorError("it is not running here, so it cannot move live")
                xml = destination_xml(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_MIGRATABLE | libvirt.VIR_DOMAIN_XML_SECURE),
                                      files, network_name)
                params = {libvirt.VIR_MIGRATE_PARAM_MIGRATE_DISKS: ["vda"],
                          libvirt.VIR_MIGRATE_PARAM_DEST_XML: xml,
                          libvirt.VIR_MIGRATE_PARAM_PERSIST_XML: xml}
                if bandwidth_mib:
                    params[libvirt.VIR_MIGRATE_PARAM_BANDWIDTH] = int(bandwidth_mib)
                flags = LIVE_FLAGS | (libvirt.VIR_MIGRATE_TLS if tls else 0)
                dom.migrateToURI3(uri, params, flags)
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
        await asyncio.to_thread(run)

    async def move_progress(self, vm_id: str) -> MoveProgress:
        """Where the domain's migration job is (libvirt's job stats); `running` False when none runs."""
        def run():
            try:
                dom = self._lookup(vm_id)
            except VmNotFound:
                return MoveProgress(False)
            try:
                stats = dom.jobStats()
            except libvirt.libvirtError:
                return MoveProgress(False)
            return _progress(stats)
        return await asyncio.to_thread(run)

    async def completed_move(self, vm_id: str) -> MoveProgress | None:
        """The figures (downtime, time) of the migration that brought the domain here, or None."""
        def run():
            try:
                return _progress(self._lookup(vm_id).jobStats(libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED))
            except (VmNotFound, libvirt.libvirtError):
                return None
        return await asyncio.to_thread(run)

    async def define_cold(self, vm_id: str, domain_xml: str, *, start: bool) -> str:
        """A capsul moved cold: defined here (without a build mark: it was built already), and started
        if it ran where it was; its state afterwards."""
        def run():
            try:
                dom = self._conn_or_raise().defineXML(domain_xml)
                if start:
                    return _start_unmarked(dom)
                _remove_build_mark(dom)
                return "stopped"
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
        return await asyncio.to_thread(run)


def _progress(stats: dict) -> MoveProgress:
    running = stats.get("type", libvirt.VIR_DOMAIN_JOB_NONE) not in (libvirt.VIR_DOMAIN_JOB_NONE,
                                                                     libvirt.VIR_DOMAIN_JOB_COMPLETED)
    return MoveProgress(running, memory_total=int(stats.get("memory_total", 0)),
                        memory_remaining=int(stats.get("memory_remaining", 0)),
                        disk_total=int(stats.get("disk_total", 0)), disk_remaining=int(stats.get("disk_remaining", 0)),
                        downtime_ms=stats.get("downtime"), elapsed_ms=stats.get("time_elapsed"))

