"""The spoke's libvirt connection: the only package that imports libvirt. One class, Hypervisor,
whose calls are split by what they are about:

    connection.py  the connection itself, its reconnects, libvirt's event thread, lifecycle callbacks
    domains.py     capsul domains: capacity, listing, define and start, commands, destroy, build marks
    changes.py     what rebuild and resize need: defined again, vCPUs and memory changed, disks grown
    backups.py     what backups need: the guest agent's freeze and thaw, libvirt's push-mode backup
    migration.py   what moves need: live migration peer to peer with the disk copied, its progress
    consoles.py    serial consoles on libvirt streams
    usage.py       every running capsul's counters in one call
    networks.py    libvirt networks and DHCP reservations
    common.py      errors, which domains are capsul's, states in capsul's words
"""
from __future__ import annotations

from capsul.spoke.virt.backups import Backups, BackupProgress
from capsul.spoke.virt.changes import Changes
from capsul.spoke.virt.common import CAPSUL_PREFIX, HypervisorError, VmNotFound, _of_each_capsul
from capsul.spoke.virt.connection import Connection, lifecycle_state
from capsul.spoke.virt.consoles import Consoles, ConsoleUnsupported, SerialStream
from capsul.spoke.virt.domains import Capacity, Domains
from capsul.spoke.virt.migration import Migration, MoveProgress
from capsul.spoke.virt.networks import Networks, dhcp_plan
from capsul.spoke.virt.usage import Usage

__all__ = ["BackupProgress", "CAPSUL_PREFIX", "Capacity", "ConsoleUnsupported", "Hypervisor", "HypervisorError", "MoveProgress", "SerialStream",
           "VmNotFound", "_of_each_capsul", "dhcp_plan", "lifecycle_state"]


class Hypervisor(Connection, Domains, Changes, Backups, Migration, Consoles, Usage, Networks):
    """One libvirt connection, kept open and reopened when lost, and everything the spoke asks of it."""
