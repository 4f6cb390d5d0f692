"""What every part of the libvirt connection shares: its errors, which domains are capsul's, the
states libvirt reports in capsul's words, and walking capsul domains."""
from __future__ import annotations

import libvirt

class HypervisorError(Exception):
    """libvirt refused or failed; str() is a message for the operator."""


class VmNotFound(HypervisorError):
    """No domain of that name on this host."""


CAPSUL_PREFIX = "capsul-"  # only domains named like this are capsul's; others are left alone

# virDomainState -> the state users see
_STATES = {
    libvirt.VIR_DOMAIN_NOSTATE: "stopped",
    libvirt.VIR_DOMAIN_RUNNING: "running",
    libvirt.VIR_DOMAIN_BLOCKED: "running",
    libvirt.VIR_DOMAIN_PAUSED: "paused",
    libvirt.VIR_DOMAIN_SHUTDOWN: "running",  # shutting down, still running
    libvirt.VIR_DOMAIN_SHUTOFF: "stopped",
    libvirt.VIR_DOMAIN_CRASHED: "crashed",
    libvirt.VIR_DOMAIN_PMSUSPENDED: "paused",
}


def _vanished(e: libvirt.libvirtError) -> bool:
    """The domain was undefined between being listed and being asked (a delete going on)."""
    return e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN


def _of_each_capsul(conn: libvirt.virConnect, read) -> list:
    """read(domain) for every capsul domain, skipping one that vanished after the listing: a delete
    at that moment must not fail the whole call (a create's offer was refused so, 24 in 10,000)."""
    results = []
    for dom in conn.listAllDomains():
        if dom.name().startswith(CAPSUL_PREFIX):  # name() is kept client-side: no call to libvirtd
            try:
                results.append(read(dom))
            except libvirt.libvirtError as e:
                if not _vanished(e):
                    raise
    return results


def _message(e: libvirt.libvirtError) -> str:
    return e.get_error_message() or str(e)
