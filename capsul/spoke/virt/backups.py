"""What backups (capsul/spoke/backups/jobs.py) ask of libvirt: the guest's filesystems frozen and
thawed through qemu-guest-agent, and libvirt's push-mode backup of a running domain's disk into a
standalone qcow2 file (its backing chain flattened), with the job's progress. Every call runs in
a worker thread."""
from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import libvirt

from capsul.spoke.virt.common import HypervisorError, _message

# What libvirt says when the agent is not there or not answering: the backup is crash-consistent.
_NO_AGENT = {libvirt.VIR_ERR_AGENT_UNRESPONSIVE, libvirt.VIR_ERR_OPERATION_UNSUPPORTED,
             libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED, libvirt.VIR_ERR_NO_SUPPORT,
             getattr(libvirt, "VIR_ERR_AGENT_COMMAND_TIMEOUT", -1), getattr(libvirt, "VIR_ERR_AGENT_COMMAND_FAILED", -1)}


@dataclass(frozen=True)
class BackupProgress:
    running: bool
    done_bytes: int
    total_bytes: int


class Backups:
    """The backup calls of Hypervisor (capsul/spoke/virt/__init__.py)."""

    async def freeze(self, vm_id: str) -> bool:
        """Freeze the guest's filesystems; False when its agent does not answer (then nothing is frozen)."""
        def run():
            try:
                return self._lookup(vm_id).fsFreeze() >= 0
            except libvirt.libvirtError as e:
                if e.get_error_code() in _NO_AGENT or "agent" in _message(e).lower():
                    return False
                raise HypervisorError(f"libvirt: {_message(e)}") from None
        return await asyncio.to_thread(run)

    async def thaw(self, vm_id: str) -> None:
        """Thaw what freeze() froze; a guest that is not frozen, or has no agent, is left as it is."""
        def run():
            try:
                self._lookup(vm_id).fsThaw()
            except libvirt.libvirtError as e:
                if e.get_error_code() not in _NO_AGENT and "agent" not in _message(e).lower():
                    raise HypervisorError(f"libvirt: {_message(e)}") from None
        await asyncio.to_thread(run)

    async def begin_backup(self, vm_id: str, disk: str, target: Path) -> None:
        """Start a full push-mode backup of `disk` (such as vda) into `target`, which libvirt makes;
        it returns once the backup's point in time is fixed, and the copy goes on in QEMU."""
        xml = (f"<domainbackup mode='push'><disks><disk name={quoteattr(disk)} backup='yes' type='file'>"
               f"<driver type='qcow2'/><target file={quoteattr(str(target))}/></disk></disks></domainbackup>")

        def run():
            try:
                self._lookup(vm_id).backupBegin(xml, None, 0)
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
        await asyncio.to_thread(run)

    async def backup_progress(self, vm_id: str) -> BackupProgress:
        """The backup job's progress; running=False once it has ended (then the figures are its last)."""
        def run():
            try:
                dom = self._lookup(vm_id)
                stats = dom.jobStats()
                if stats.get("type", libvirt.VIR_DOMAIN_JOB_NONE) != libvirt.VIR_DOMAIN_JOB_NONE:
                    return BackupProgress(True, int(stats.get("disk_processed", 0)), int(stats.get("disk_total", 0)))
                done = dom.jobStats(libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED)
                return BackupProgress(False, int(done.get("disk_processed", 0)), int(done.get("disk_total", 0)))
            except libvirt.libvirtError as e:
                if "not running" in _message(e):  # the job ended as the domain stopped
                    return BackupProgress(False, 0, 0)
                raise HypervisorError(f"libvirt: {_message(e)}") from None
        return await asyncio.to_thread(run)

    async def abort_backup(self, vm_id: str) -> None:
        def run():
            try:
                self._lookup(vm_id).abortJob()
            except libvirt.libvirtError:
                pass  # no job, or no domain: nothing to stop
        await asyncio.to_thread(run)

    async def main_disk(self, vm_id: str) -> tuple[str, Path]:
        """(target name, file) of the capsul's own disk: its first disk that is not read-only."""
        def run():
            try:
                root = ET.fromstring(self._lookup(vm_id).XMLDesc(0))
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
            for disk in root.findall("devices/disk[@device='disk']"):
                if disk.find("readonly") is None and disk.find("source") is not None:
                    return disk.find("target").get("dev"), Path(disk.find("source").get("file"))
            raise HypervisorError(f"{vm_id} has no disk to back up")
        return await asyncio.to_thread(run)
