"""What rebuild and resize (capsul/spoke/changes.py) ask of libvirt: a domain defined again from
new XML, its vCPUs and memory changed in its persistent definition (they apply at its next
start), and its disk grown while it runs. Every call runs in a worker thread."""
from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET

import libvirt

from capsul.spoke.virt.common import HypervisorError, _message
from capsul.spoke.virt.domains import _start_unmarked


class Changes:
    """The change calls of Hypervisor (capsul/spoke/virt/__init__.py)."""

    async def redefine_and_start(self, vm_id: str, domain_xml: str) -> str:
        """Force the domain off, replace its definition (its name and UUID stay), start it and
        remove its build mark; the state afterwards. Idempotent."""
        def run():
            try:
                dom = self._lookup(vm_id)  # VmNotFound: there is nothing to redefine
                if dom.isActive():
                    dom.destroy()
                return _start_unmarked(self._conn_or_raise().defineXML(domain_xml))
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
        return await asyncio.to_thread(run)

    async def defined_size(self, vm_id: str) -> tuple[int, int]:
        """(vCPUs, memory in MB) of the domain's persistent definition: what its next start gets."""
        def run():
            try:
                root = ET.fromstring(self._lookup(vm_id).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
            return int(root.findtext("vcpu")), _mib(root.find("memory"))
        return await asyncio.to_thread(run)

    async def set_defined_size(self, vm_id: str, vcpus: int, memory_mb: int) -> None:
        """Give the persistent definition `vcpus` and `memory_mb`; a running domain keeps what it
        has until it next starts. Idempotent."""
        def run():
            try:
                root = ET.fromstring(self._lookup(vm_id).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
                root.find("vcpu").text = str(int(vcpus))
                for tag in ("memory", "currentMemory"):
                    element = root.find(tag)
                    if element is not None:
                        element.text, element.attrib = str(int(memory_mb)), {"unit": "MiB"}
                for maximum in root.findall("maxMemory"):
                    root.remove(maximum)
                self._conn_or_raise().defineXML(ET.tostring(root, encoding="unicode"))
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
        await asyncio.to_thread(run)

    async def grow_disk_live(self, vm_id: str, disk_path: str, disk_gb: int) -> None:
        """Grow a running domain's disk (the guest sees it at once; growpart uses it at next boot)."""
        def run():
            try:
                self._lookup(vm_id).blockResize(disk_path, int(disk_gb) * 2**30,
                                                libvirt.VIR_DOMAIN_BLOCK_RESIZE_BYTES)
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
        await asyncio.to_thread(run)


def _mib(element) -> int:
    units = {"KiB": 1 / 1024, "k": 1 / 1024, "MiB": 1, "M": 1, "GiB": 1024, "G": 1024, "b": 1 / 2**20,
             "bytes": 1 / 2**20}
    return int(int(element.text) * units.get(element.get("unit", "KiB"), 1 / 1024))
