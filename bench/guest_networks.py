"""A libvirt network for the benchmarks' real guests, inside the tests' network namespace
(tests/libvirtd.py), and the bench node's address pool on it."""
from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from capsul.hub import db
from capsul.hub.db import networks
from tests import libvirtd

NETWORK_XML = """<network><name>{name}</name><bridge name='cvb{tag}' stp='off'/>
  <ip address='{prefix}.1' prefix='24'><dhcp><range start='{prefix}.200' end='{prefix}.250'/></dhcp></ip>
</network>"""


class guest_network:
    """`async with guest_network("10.79.0") as name`: a /24 with DHCP (.200-.250), destroyed afterwards."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    async def __aenter__(self) -> str:
        tag = uuid.uuid4().hex[:4]
        self.name = f"capsul-bench-{tag}"
        path = Path(f"/tmp/{self.name}.xml")
        path.write_text(NETWORK_XML.format(name=self.name, tag=tag, prefix=self.prefix))
        libvirtd.virsh("net-create", str(path))
        path.unlink()
        return self.name

    async def __aexit__(self, *_exc) -> None:
        libvirtd.virsh("net-destroy", self.name, check=False)


async def use_network(bench, network: str, prefix: str) -> None:
    """The bench node's only pool: .10-.99 of the network, gateway .1; returns once a heartbeat
    has found the network."""
    async with db.cursor(bench.pool) as cur:
        async with cur.begin():
            await cur.execute("DELETE FROM host_network")
            await networks.add_host_network(cur, "local", networks.parse_pool(
                f"{prefix}.0/24", f"{prefix}.10", f"{prefix}.99", gateway=f"{prefix}.1"), network_name=network)
    while True:
        async with db.cursor(bench.pool) as cur:
            await cur.execute("SELECT missing_networks FROM hosts WHERE id = 'local'")
            if (await cur.fetchone())["missing_networks"] == {}:
                return
        await asyncio.sleep(0.2)
