"""GET /healthz, served by the web console and by the hub↔spoke API alike."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiopg
from aiohttp import web

from capsul.config import Config
from capsul.prometheus_http import bearer_matches
from capsul.hub import db
from capsul.hub.db import hosts
from capsul.hub.spokes.heartbeats import SweepStatus
from capsul.spoke.state import SpokeState
from capsul.version import VERSION

if TYPE_CHECKING:  # only for the annotation: the console must not load libvirt
    from capsul.spoke.virt import Hypervisor


@dataclass
class HealthCheck:
    """What this process depends on: the database and spokes for a hub; libvirt and the hub for a spoke."""
    config: Config
    pool: aiopg.Pool | None = None
    hypervisor: Hypervisor | None = None
    spoke_state: SpokeState | None = None
    sweeps: SweepStatus | None = None
    draining: bool = False  # SIGTERM came: a load balancer should send elsewhere (capsul/node.py drains)
    firewall: object | None = None  # the spoke's FirewallKeeper (capsul/spoke/firewall/keeper.py): its report()

    async def report(self) -> tuple[bool, dict]:
        report: dict = {"role": self.config.role.value, "version": VERSION}
        healthy = not self.draining
        if self.draining:
            report["status"] = "draining"
        if self.pool is not None:
            reachable = await db.is_reachable(self.pool)
            report["database"] = {"reachable": reachable}
            spokes = None
            if reachable:
                async with db.cursor(self.pool) as cur:
                    spokes = {"online": [], "offline": []}
                    for host in await hosts.list_hosts(cur):
                        spokes["online" if host["online"] else "offline"].append(host["id"])
            report["spokes"] = spokes
            if self.sweeps is not None:
                report["heartbeats"] = self.sweeps.as_dict()
            healthy = healthy and reachable
        if self.hypervisor is not None and self.spoke_state is not None:
            connected = self.hypervisor.connected
            report["spoke"] = {
                "host_id": self.spoke_state.host_id,
                "libvirt": {"uri": self.hypervisor.uri, "connected": connected},
                "hub": {"announced": self.spoke_state.hub_announced, "error": self.spoke_state.hub_error,
                        "version": self.spoke_state.hub_version},
                "events": {"acknowledged_through": self.spoke_state.last_event_seq,
                           "waiting": self.spoke_state.events_waiting},
                "networks": {"named_by_pools": self.spoke_state.networks,
                             "missing": self.spoke_state.missing_networks},
            }
            if self.firewall is not None:  # enforcing, the document in force, an nft refusal, repairs made
                report["spoke"]["firewall"] = self.firewall.report()
            healthy = healthy and connected
        report["ok"] = healthy
        return healthy, report


health_check = web.AppKey("health_check", HealthCheck)


async def healthz(request: web.Request, *, details: bool | None = None) -> web.Response:
    """Up (200) or down (503) for anyone, a load balancer say: `{"ok": …}` only. The report, which
    names spokes, the libvirt URI and errors between hub and spoke, only with the METRICS_TOKEN
    (or `details`, which the console gives its admins)."""
    check = request.app[health_check]
    healthy, report = await check.report()
    if not (details or bearer_matches(request, check.config.metrics_token)):
        report = {"ok": healthy, **({"status": "draining"} if check.draining else {})}
    return web.json_response(report, status=200 if healthy else 503)
