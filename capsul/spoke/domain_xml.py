"""Domain XML for a capsul, built from the create payload the hub's claim returns.

The same XML serves every hypervisor: on libvirt's test driver the disk, seed and log
paths simply point at files that were never made.
"""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

from capsul.spoke.cloud_init import mac_for_ipv4
from capsul.spoke.storage import GuestFiles

UUID_NAMESPACE = uuid.UUID("7f0e4c1e-2b7c-4c53-9f4c-6361707375c1")
# A domain is defined carrying <build>unfinished</build> in this namespace; the spoke removes it
# once the domain has started for the first time. A spoke killed in between finds the mark at
# its next start and finishes the build (virt.finish_interrupted_builds).
BUILD_MARK_NS = "urn:capsul:build:1"
BUILD_MARK_PREFIX = "capsul"


def domain_uuid(vm_id: str) -> str:
    """The same VM always gets the same libvirt UUID (a retried create cannot make a twin)."""
    return str(uuid.uuid5(UUID_NAMESPACE, vm_id))


def build_domain_xml(payload: dict, files: GuestFiles, *, domain_type: str) -> str:
    """domain_type: kvm, qemu (software emulation), or test (libvirt's test driver)."""
    domain = ET.Element("domain", type=domain_type)
    ET.SubElement(domain, "name").text = payload["vm_id"]
    ET.SubElement(domain, "uuid").text = domain_uuid(payload["vm_id"])
    ET.register_namespace(BUILD_MARK_PREFIX, BUILD_MARK_NS)
    ET.SubElement(ET.SubElement(domain, "metadata"), f"{{{BUILD_MARK_NS}}}build").text = "unfinished"
    ET.SubElement(domain, "memory", unit="MiB").text = str(int(payload["memory_mb"]))
    ET.SubElement(domain, "vcpu").text = str(int(payload["vcpus"]))
    os_el = ET.SubElement(domain, "os")
    ET.SubElement(os_el, "type", arch="x86_64").text = "hvm"
    if files.kernel:
        ET.SubElement(os_el, "kernel").text = str(files.kernel)
        if files.initrd:
            ET.SubElement(os_el, "initrd").text = str(files.initrd)
        if payload.get("kernel_cmdline"):
            ET.SubElement(os_el, "cmdline").text = payload["kernel_cmdline"]
    else:
        ET.SubElement(os_el, "boot", dev="hd")
    features = ET.SubElement(domain, "features")
    ET.SubElement(features, "acpi")  # so `shutdown` reaches the guest
    ET.SubElement(features, "apic")
    if payload.get("cpu_model"):
        # a named model, the same on every host of the capsul's segment, so that it can move live
        # between them (docs/moves.md); host-passthrough would tie it to one host's CPU
        cpu = ET.SubElement(domain, "cpu", mode="custom", match="exact", check="none")
        ET.SubElement(cpu, "model", fallback="forbid").text = payload["cpu_model"]
    elif domain_type == "kvm":
        ET.SubElement(domain, "cpu", mode="host-passthrough")
    for event, action in (("on_poweroff", "destroy"), ("on_reboot", "restart"), ("on_crash", "destroy")):
        ET.SubElement(domain, event).text = action

    devices = ET.SubElement(domain, "devices")
    disk = ET.SubElement(devices, "disk", type="file", device="disk")
    ET.SubElement(disk, "driver", name="qemu", type="qcow2")
    ET.SubElement(disk, "source", file=str(files.disk))
    ET.SubElement(disk, "target", dev="vda", bus="virtio")
    # The NoCloud seed as a read-only virtio disk: cloud-init finds it by its label, cidata.
    seed = ET.SubElement(devices, "disk", type="file", device="disk")
    ET.SubElement(seed, "driver", name="qemu", type="raw")
    ET.SubElement(seed, "source", file=str(files.seed))
    ET.SubElement(seed, "target", dev="vdb", bus="virtio")
    ET.SubElement(seed, "readonly")
    if payload.get("public_ipv4"):
        nic = ET.SubElement(devices, "interface", type="network")
        ET.SubElement(nic, "source", network=payload.get("network_name") or "default")
        ET.SubElement(nic, "mac", address=mac_for_ipv4(payload["public_ipv4"]))
        ET.SubElement(nic, "model", type="virtio")
        # a name of our own, so the firewall's rules for it exist before the guest starts
        ET.SubElement(nic, "target", dev=tap_name(payload["vm_id"]))
    serial = ET.SubElement(devices, "serial", type="pty")
    ET.SubElement(serial, "log", file=str(files.console_log), append="off")
    ET.SubElement(serial, "target", port="0")
    console = ET.SubElement(devices, "console", type="pty")
    ET.SubElement(console, "target", type="serial", port="0")
    if domain_type != "test":
        # qemu-guest-agent's virtio channel: a backup freezes the guest's filesystems through it
        # (capsul/spoke/backups/jobs.py). libvirt adds the virtio-serial controller it needs.
        channel = ET.SubElement(devices, "channel", type="unix")
        ET.SubElement(channel, "target", type="virtio", name="org.qemu.guest_agent.0")
    return ET.tostring(domain, encoding="unicode")


def tap_name(vm_id: str) -> str:
    """The host side of a capsul's network interface: `cp-` and its id's ten characters (15 at most,
    and never libvirt's own vnetN); capsul/spoke/firewall/rules.py matches the guest's traffic by it."""
    return "cp-" + vm_id[-10:]


def interface_networks(domain_xml: str) -> list[str]:
    """The libvirt networks a domain's interfaces attach to."""
    root = ET.fromstring(domain_xml)
    return [source.get("network") for source in root.findall("devices/interface[@type='network']/source")
            if source.get("network")]
