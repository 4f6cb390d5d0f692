"""Several spokes as separate `run.py --spoke` processes, each on its own libvirt test host."""
from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from pathlib import Path

from capsul.hub import db
from capsul.hub.db import hosts, networks
from tests.conftest import REPO, checked_pool, eventually
from tests.processes import CapsulProcess

HOST_XML = """<?xml version="1.0"?>
<node>
  <cpu><mhz>2000</mhz><model>x86_64</model><active>{cpus}</active><nodes>1</nodes>
       <sockets>1</sockets><cores>{cpus}</cores><threads>1</threads></cpu>
  <memory>{memory_kib}</memory>
  <network>
    <name>default</name><bridge name='virbr0'/><forward mode='nat'/>
    <ip address='192.168.122.1' netmask='255.255.255.0'>
      <dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp>
    </ip>
  </network>
</node>
"""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class SpokeSpec:
    host_id: str
    memory_mb: int
    cpus: int
    cidr: str
    listen: str = "127.0.0.1"


@dataclass
class SpokeCluster:
    folder: Path
    processes: dict[str, CapsulProcess] = field(default_factory=dict)

    async def stop(self) -> None:
        await asyncio.gather(*(p.kill() for p in self.processes.values()))


async def start_spokes(pool, hub_api_url: str, specs: list[SpokeSpec], folder: Path, tls_files,
                       *, prefix: list[str] | None = None, extra_env: dict | None = None,
                       tls_for=None, env_for=None, host_xml: str = HOST_XML, cwd: Path = REPO) -> SpokeCluster:
    """Register each spoke (tokens, IPv4 pool), start its process, wait until the hub sees it online.

    `prefix` runs each spoke under a wrapper (e.g. `ip netns exec NS`), given as a callable of the spec;
    `tls_for(spec)` gives the spoke's TLS_* settings (default: the shared test certificate);
    `host_xml` is the libvirt test host file, with {cpus} and {memory_kib} filled in;
    `cwd` is the tree whose run.py runs (another release's, for tests of mixed versions);
    `env_for(spec)` gives settings of that spoke's own (its libvirtd, say).
    """
    cluster = SpokeCluster(folder)
    for spec in specs:
        port = free_port() if spec.listen == "127.0.0.1" else 5443
        async with db.cursor(pool) as cur:
            token, hub_token = await hosts.add_host(cur, spec.host_id, f"https://{spec.listen}:{port}")
            await networks.add_host_network(cur, spec.host_id, checked_pool(spec.cidr))
        host_file = folder / f"{spec.host_id}.xml"
        host_file.write_text(host_xml.format(cpus=spec.cpus, memory_kib=spec.memory_mb * 1024))
        tls_env = tls_for(spec) if tls_for else {"TLS_CERT_FILE": str(tls_files.cert),
                                                 "TLS_KEY_FILE": str(tls_files.key),
                                                 "TLS_CA_FILE": str(tls_files.ca)}
        # NOTE: FIREWALL off unless a test turns it on with the namespace its libvirtd's bridges are in
        # (tests/test_firewall_guest.py, test_moves_guest.py): a spoke on the tests' shared libvirtd would
        # write its nftables tables into the root namespace, and two spokes would overwrite each other's
        env = {"FIREWALL": "off", "HUB_URL": hub_api_url, "SPOKE_HOST_ID": spec.host_id, "SPOKE_HOST_TOKEN": token,
               "HUB_TOKEN": hub_token, "API_LISTEN": f"{spec.listen}:{port}",
               "LIBVIRT_URI": f"test://{host_file}", "CAPSUL_VAR_DIR": str(folder / spec.host_id),
               **tls_env, **(extra_env or {}), **(env_for(spec) if env_for else {})}
        cluster.processes[spec.host_id] = CapsulProcess(["--spoke"], env, folder / f"{spec.host_id}.log",
                                                        prefix=prefix(spec) if prefix else None, cwd=cwd)
    try:
        await asyncio.gather(*(p.start() for p in cluster.processes.values()))

        async def all_online():
            async with db.cursor(pool) as cur:
                await cur.execute("SELECT count(*) AS n FROM hosts WHERE online AND capacity IS NOT NULL "
                                  "AND id = ANY(%s)", ([s.host_id for s in specs],))
                return (await cur.fetchone())["n"] == len(specs)

        await eventually(all_online, within=60)
    except BaseException:
        await cluster.stop()
        raise
    return cluster
