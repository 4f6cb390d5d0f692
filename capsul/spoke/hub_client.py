"""The spoke's signed calls to its hub."""
from __future__ import annotations

import logging

import aiohttp

from capsul import signing
from capsul.backoff import Backoff
from capsul.config import Config
from capsul.spoke.state import SpokeState
from capsul.spoke.virt import Hypervisor, HypervisorError
from capsul.version import UNSAID_LABEL, VERSION

log = logging.getLogger(__name__)


class HubClient:
    def __init__(self, session: aiohttp.ClientSession, config: Config):
        if not (config.hub_url and config.spoke_host_token):
            raise ValueError("a spoke needs HUB_URL and SPOKE_HOST_TOKEN")
        self.session = session
        self.hub_url = config.hub_url
        self.host_id = config.spoke_host_id
        self.token = config.spoke_host_token

    async def call(self, path: str, payload: dict, *, timeout: float) -> dict:
        return await signing.signed_post(self.session, self.hub_url, path, payload, host_id=self.host_id,
                                         token=self.token, direction=signing.SPOKE_TO_HUB, timeout=timeout)


async def announce(hub: HubClient, virt: Hypervisor, spoke: SpokeState, *, timeout: float,
                   max_backoff: float = 10.0) -> None:
    """Tell the hub this spoke has started; retry with back-off until the hub acknowledges."""
    backoff = Backoff(first=0.2, ceiling=max_backoff)
    while True:
        try:
            capacity = (await virt.capacity()).as_dict()
        except HypervisorError:
            capacity = None
        try:
            answer = await hub.call("/hub/heartbeat", {"capacity": capacity, "last_event_seq": spoke.last_event_seq,
                                                       "started_at": spoke.started_at,
                                                       "reports_usage": virt.reports_usage, "version": VERSION},
                                    timeout=timeout)
        except signing.CallFailed as e:
            if str(e) != spoke.hub_error:  # say each distinct problem once, not every retry
                log.warning("cannot announce this spoke to the hub at %s: %s (retrying)", hub.hub_url, e)
            spoke.hub_error = str(e)
            await backoff.wait()
            continue
        spoke.hub_announced, spoke.hub_error = True, None
        spoke.hub_version = answer.get("version") if isinstance(answer.get("version"), str) else None
        log.info("announced spoke %s (capsul %s) to the hub at %s (capsul %s)", hub.host_id, VERSION, hub.hub_url,
                 spoke.hub_version or UNSAID_LABEL)
        await _check_networks_at_start(virt, spoke, answer.get("networks"))
        return


async def _check_networks_at_start(virt: Hypervisor, spoke: SpokeState, names) -> None:
    """Say at once, in this spoke's log, which libvirt networks its pools name but libvirt lacks
    (the hub hears of them with the next heartbeat and places nothing here until they exist)."""
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return
    spoke.networks = names
    try:
        spoke.missing_networks = await virt.network_problems(names)
    except HypervisorError as e:
        log.warning("cannot check libvirt networks %s: %s", ", ".join(names), e)
        return
    for name, why in sorted(spoke.missing_networks.items()):
        log.warning("libvirt network %s, named by this host's pool, is %s: the hub places no capsul here until it "
                    "exists and is active (virsh net-define / net-start / net-autostart)", name, why)
    if not names:
        log.warning("this host has no address pool yet: the hub places no capsul here (run.py add-network)")
