"""Domain XML for a capsul, built from the create payload the hub's claim returns."""
from __future__ import annotations

import ipaddress
import uuid
import xml.etree.ElementTree as ET

UUID_NAMESPACE = uuid.UUID("7f0e4c1e-2b7c-4c53-9f4c-6361707375c1")


def mac_for_ipv4(ipv4: str) -> str:
    """A stable, locally administered MAC per address, so a VM's MAC maps back to its IPv4."""
    octets = ipaddress.IPv4Address(ipv4).packed
    return "52:54:" + ":".join(f"{b:02x}" for b in octets)


def domain_uuid(vm_id: str) -> str:
    """The same VM always gets the same libvirt UUID (a retried create cannot make a twin)."""
    return str(uuid.uuid5(UUID_NAMESPACE, vm_id))


def build_domain_xml(payload: dict, *, domain_type: str) -> str:
    domain = ET.Element("domain", type=domain_type)
    ET.SubElement(domain, "name").text = payload["vm_id"]
    ET.SubElement(domain, "uuid").text = domain_uuid(payload["vm_id"])
    ET.SubElement(domain, "memory", unit="MiB").text = str(int(payload["memory_mb"]))
    ET.SubElement(domain, "vcpu").text = str(int(payload["vcpus"]))
    os_el = ET.SubElement(domain, "os")
    ET.SubElement(os_el, "type").text = "hvm"
    devices = ET.SubElement(domain, "devices")
    if payload.get("public_ipv4"):
        nic = ET.SubElement(devices, "interface", type="network")
        ET.SubElement(nic, "source", network=payload.get("network_name") or "default")
        ET.SubElement(nic, "mac", address=mac_for_ipv4(payload["public_ipv4"]))
    return ET.tostring(domain, encoding="unicode")
