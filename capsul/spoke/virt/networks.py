"""libvirt networks (only those the hub names: the networks of this host's pools) and the DHCP
host reservations that give a capsul its IPv4 address."""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import xml.etree.ElementTree as ET

import libvirt

from capsul.spoke.virt.common import HypervisorError, _message

log = logging.getLogger(__name__)


class Networks:
    """The network calls of Hypervisor (capsul/spoke/virt/__init__.py)."""

    async def network_problems(self, names: list[str]) -> dict[str, str]:
        """{name: "missing" | "inactive"} for each named libvirt network that cannot take a guest."""
        def run():
            conn = self._conn_or_raise()
            problems = {}
            for name in names:
                try:
                    if not conn.networkLookupByName(name).isActive():
                        problems[name] = "inactive"
                except libvirt.libvirtError as e:
                    if e.get_error_code() != libvirt.VIR_ERR_NO_NETWORK:
                        raise HypervisorError(f"libvirt: {_message(e)}") from None
                    problems[name] = "missing"
            return problems
        return await asyncio.to_thread(run)

    async def network_xml(self, name: str) -> str:
        """The live definition of a libvirt network (operators' views and the tests)."""
        def run():
            try:
                return self._conn_or_raise().networkLookupByName(name).XMLDesc(0)
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt network {name}: {_message(e)}") from None
        return await asyncio.to_thread(run)

    async def reserve_dhcp(self, network: str, mac: str, ipv4: str, name: str) -> str:
        """A DHCP host entry (MAC -> IPv4, named after the capsul) on the libvirt network, live and
        persistent, when the network serves DHCP for that address. Idempotent: an entry already
        there is kept, a stale one holding the MAC, address or name is replaced. Returns what was
        done, for the log: "added", "present", or "no DHCP" when the network serves none for it."""
        return await asyncio.to_thread(self._update_dhcp, network, name, (mac, ipv4))

    async def release_dhcp(self, network: str, name: str) -> bool:
        """Remove the entries named `name` (live and persistent); True if there were any."""
        return await asyncio.to_thread(self._update_dhcp, network, name, None) == "removed"

    def _update_dhcp(self, network: str, name: str, wanted: tuple[str, str] | None) -> str:
        conn = self._conn_or_raise()
        try:
            net = conn.networkLookupByName(network)

            def live_xml():
                return net.XMLDesc(0)

            def config_xml():
                try:
                    return net.XMLDesc(libvirt.VIR_NETWORK_XML_INACTIVE)
                except libvirt.libvirtError:  # the test driver keeps one definition only
                    return net.XMLDesc(0)

            # Each view is read just before it is changed: on some drivers they are one and the same.
            views = ([(libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE, live_xml)] if net.isActive() else []) + \
                    ([(libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG, config_xml)] if net.isPersistent() else [])
            outcome = "present" if wanted else "absent"
            for flag, read in views:
                plan = dhcp_plan(read(), name, wanted)
                if isinstance(plan, str):
                    return plan  # no DHCP for this address here: nothing to do
                index, stale, add = plan
                for entry in stale:
                    net.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST,
                               index, entry, flag)
                    outcome = "removed" if wanted is None else outcome
                if add:
                    net.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST,
                               index, add, flag)
                    outcome = "added"
            return outcome
        except libvirt.libvirtError as e:
            if e.get_error_code() == libvirt.VIR_ERR_NO_NETWORK:
                if wanted is None:
                    return "absent"
                raise HypervisorError(f"libvirt network {network} is missing") from None
            raise HypervisorError(f"libvirt network {network}: {_message(e)}") from None


def dhcp_plan(network_xml: str, name: str, wanted: tuple[str, str] | None) -> str | tuple[int, list[str], str | None]:
    """What to change in one view of a network so that exactly `wanted` (mac, ipv4) is reserved
    under `name` (or nothing, when None): (index of the <ip> element, host entries to delete as
    XML, entry to add or None); or "no DHCP" when the network serves none for that address."""
    root = ET.fromstring(network_xml)
    ips = root.findall("ip")
    if wanted is not None:
        address = ipaddress.IPv4Address(wanted[1])
    for index, ip in enumerate(ips):
        dhcp = ip.find("dhcp")
        if ip.get("family", "ipv4") != "ipv4" or dhcp is None or not ip.get("address"):
            continue
        subnet = ipaddress.IPv4Network(f"{ip.get('address')}/{ip.get('prefix') or ip.get('netmask') or 24}",
                                       strict=False)
        hosts = dhcp.findall("host")
        if wanted is None:
            stale = [h for h in hosts if h.get("name") == name]
            if stale:
                return index, [ET.tostring(h, encoding="unicode").strip() for h in stale], None
            continue
        if address not in subnet:
            continue
        mac, ipv4 = wanted[0].lower(), wanted[1]
        exact = [h for h in hosts if (h.get("mac") or "").lower() == mac and h.get("ip") == ipv4
                 and h.get("name") == name]
        stale = [h for h in hosts if h not in exact and ((h.get("mac") or "").lower() == mac or h.get("ip") == ipv4
                                                         or h.get("name") == name)]
        add = None if exact else ET.tostring(ET.Element("host", mac=mac, name=name, ip=ipv4), encoding="unicode")
        return index, [ET.tostring(h, encoding="unicode").strip() for h in stale], add
    if wanted is None:
        return 0, [], None  # nothing reserved under that name
    return "no DHCP"
