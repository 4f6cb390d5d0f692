"""Usage counters of every running capsul, in one getAllDomainStats call."""
from __future__ import annotations

import asyncio

import libvirt

from capsul.spoke.virt.common import CAPSUL_PREFIX, HypervisorError, _message


class Usage:
    """The usage calls of Hypervisor (capsul/spoke/virt/__init__.py)."""

    @property
    def reports_usage(self) -> bool:
        """libvirt's test driver answers getAllDomainStats with state only."""
        return not self.uri.startswith("test:")

    USAGE_STATS = (libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_CPU_TOTAL | libvirt.VIR_DOMAIN_STATS_BALLOON
                   | libvirt.VIR_DOMAIN_STATS_VCPU | libvirt.VIR_DOMAIN_STATS_INTERFACE | libvirt.VIR_DOMAIN_STATS_BLOCK)

    async def usage_counters(self) -> dict[str, dict]:
        """Every running capsul's counters, in one getAllDomainStats call: {vm_id: {stat: value}}."""
        def run():
            try:
                records = self._conn_or_raise().getAllDomainStats(
                    self.USAGE_STATS, libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_RUNNING)
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
            return {dom.name(): stats for dom, stats in records if dom.name().startswith(CAPSUL_PREFIX)}
        return await asyncio.to_thread(run)
