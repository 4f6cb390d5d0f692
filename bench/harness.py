"""What every benchmark starts from: a private PostgreSQL, self-signed TLS, and one capsul
node (hub + spoke on a roomy test:/// host) with an account that has an SSH key and a
logged-in console session (its cookie), all removed afterwards.

    async with bench_node() as bench:
        bench.node, bench.pool, bench.cookie, bench.account ...
"""
from __future__ import annotations

import asyncio
import ipaddress
import re
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: E402

from capsul import tls  # noqa: E402
from capsul.config import Role, load_config  # noqa: E402
from capsul.embedded_postgres import EmbeddedPostgres  # noqa: E402
from capsul.hub import db  # noqa: E402
from capsul.hub.accounts import login_tokens, ssh_keys  # noqa: E402
from capsul.hub.db import accounts, networks  # noqa: E402
from capsul.hub.db import hosts as hosts_db  # noqa: E402
from capsul.node import Node  # noqa: E402

ACCOUNT = "bench@example.org"
HOST_XML = ("<node><cpu><mhz>2000</mhz><model>x86_64</model><active>64</active><nodes>1</nodes>"
            "<sockets>1</sockets><cores>64</cores><threads>1</threads></cpu>"
            "<memory>268435456</memory>"  # 64 CPUs, 256 GiB: test:///default has 3 GiB
            # the libvirt network the pools name, as on a real host (test:///default has it too)
            "<network><name>default</name><bridge name='virbr0'/><forward mode='nat'/>"
            "<ip address='192.168.122.1' netmask='255.255.255.0'/></network></node>")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values: list[float], digits: int = 2) -> dict:
    return {"count": len(values), "p50_ms": round(percentile(values, 50), digits),
            "p95_ms": round(percentile(values, 95), digits), "p99_ms": round(percentile(values, 99), digits),
            "max_ms": round(max(values), digits)}


@dataclass
class Bench:
    node: Node
    folder: Path
    dsn: str
    cookie: str  # the capsul_session cookie of ACCOUNT, logged in through the console

    @property
    def pool(self):
        return self.node.pool

    @property
    def console_url(self) -> str:
        return self.node.console_url


async def log_in(console_url: str, pool, email: str) -> str:
    """Log in through the console's own forms (token issued as the login form would) -> cookie."""
    token = await login_tokens.issue(pool, email, None)
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        async with session.get(f"{console_url}/login/{token}") as r:
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', await r.text()).group(1)
        async with session.post(f"{console_url}/login/{token}", data={"csrf_token": csrf, "next": "/capsuls"}) as r:
            assert r.status == 200 and r.url.path == "/capsuls", (r.status, r.url)
        return next(c.value for c in jar if c.key == "capsul_session")


@asynccontextmanager
async def bench_node(**env_overrides: str) -> AsyncIterator[Bench]:
    folder = Path(tempfile.mkdtemp(prefix="capsul-bench-"))
    folder.chmod(0o755)
    # a private PostgreSQL, unless the bench names its own (bench/failover.py: a replicated pair)
    pg = None if "DATABASE_URL" in env_overrides else EmbeddedPostgres(folder / "pg", database="bench")
    dsn = env_overrides["DATABASE_URL"] if pg is None else pg.dsn
    if pg is not None:
        await pg.ensure_running()
    node = None
    try:
        files = tls.ensure_self_signed(folder / "tls", ["127.0.0.1", "localhost"])
        host_file = folder / "host.xml"
        host_file.write_text(HOST_XML)
        env = {"DATABASE_URL": dsn, "CONSOLE_LISTEN": "127.0.0.1:0", "API_LISTEN": "127.0.0.1:0",
               "TLS_CERT_FILE": str(files.cert), "TLS_KEY_FILE": str(files.key), "TLS_CA_FILE": str(files.ca),
               "CAPSUL_VAR_DIR": str(folder / "var"), "HEARTBEAT_INTERVAL": "5", "RESYNC_INTERVAL": "3600",
               "LIBVIRT_URI": f"test://{host_file}", "LOG_LEVEL": "WARNING",
               "FIREWALL": "off",  # a bench on the tests' libvirtd must not write tables into the root namespace
               "BILLING_ENABLED": "false",
               # the benches open thousands of websockets as few people
               "LIVE_CONNECTIONS_PER_ACCOUNT": "100000", "LIVE_CONNECTIONS_PER_TOKEN": "100000",
               "CONNECTIONS_PER_ADDRESS": "100000", "ACCOUNT_MAX_CAPSULS": "0", "ACCOUNT_MAX_VCPUS": "0",
               "ACCOUNT_MAX_MEMORY_MB": "0", **env_overrides}  # no account limits: one account makes them all
        node = Node(load_config(Role.BOTH, env, Path("/dev/null")))
        await node.start()
        async with db.cursor(node.pool) as cur:
            await networks.add_host_network(cur, "local", networks.parse_pool("10.64.0.0/16", gateway="10.64.0.1"))
            await accounts.ensure_account(cur, ACCOUNT)
        key = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
        await ssh_keys.add_ssh_key(node.pool, ACCOUNT, key, "k")
        while True:  # the spoke has announced itself with its capacity
            async with db.cursor(node.pool) as cur:
                await cur.execute("SELECT 1 FROM hosts WHERE id = 'local' AND online AND capacity IS NOT NULL")
                if await cur.fetchone():
                    break
            await asyncio.sleep(0.05)
        cookie = await log_in(node.console_url, node.pool, ACCOUNT)
        yield Bench(node, folder, dsn, cookie)
    finally:
        if node is not None:
            await node.stop()
        if pg is not None:
            await pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


async def wait_all_running(pool, count: int) -> None:
    while True:
        async with db.cursor(pool) as cur:
            await cur.execute("SELECT count(*) AS n FROM vms WHERE state = 'running'")
            if (await cur.fetchone())["n"] >= count:
                return
        await asyncio.sleep(0.05)


def free_port(taken: set[int] | None = None) -> int:
    """A port free now, below the ephemeral range: the hub's own outgoing connections (hundreds,
    with many spokes) take ephemeral ports and could grab it before the spoke binds it. Not one of
    `taken` (given out already but not bound yet), which it joins."""
    import random
    import socket
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    while True:
        port = random.randrange(10_000, low)
        if taken is not None and port in taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        if taken is not None:
            taken.add(port)
        return port


@asynccontextmanager
async def spoke_swarm(bench: Bench, count: int, *, prefix: str = "swarm", env: dict | None = None,
                      pool_cidrs: list[str] | None = None, own_hosts: bool = False) -> AsyncIterator[list[str]]:
    """`count` more spokes (real Nodes in one separate process, see spoke_swarm.py), registered
    with the hub and online; stopped afterwards. They share test:///default, or with
    `own_hosts` each gets a test host of its own (64 CPUs, 256 GiB), as spokes holding VMs must."""
    import json
    ids, spokes, ports = [], [], set()
    async with db.cursor(bench.pool) as cur:
        for i in range(count):
            host_id, port = f"{prefix}{i:03d}", free_port(ports)
            token, hub_token = await hosts_db.add_host(cur, host_id, f"https://127.0.0.1:{port}")
            if pool_cidrs:
                await networks.add_host_network(cur, host_id, networks.parse_pool(
                    pool_cidrs[i], gateway=str(ipaddress.IPv4Network(pool_cidrs[i]).network_address + 1)))
            spoke = {"id": host_id, "port": port, "token": token, "hub_token": hub_token}
            if own_hosts:
                host_file = bench.folder / f"{host_id}.xml"
                host_file.write_text(HOST_XML)
                spoke["libvirt_uri"] = f"test://{host_file}"
            spokes.append(spoke)
            ids.append(host_id)
    config = bench.node.config
    spec = {"hub_url": bench.node.api_url, "var_dir": str(bench.folder / prefix), "spokes": spokes,
            "env": env or {}, "tls": {"TLS_CERT_FILE": str(config.tls_cert_file),
                                      "TLS_KEY_FILE": str(config.tls_key_file),
                                      "TLS_CA_FILE": str(config.tls_ca_file)}}
    spec_file = bench.folder / f"{prefix}.json"
    spec_file.write_text(json.dumps(spec))
    swarm = await asyncio.create_subprocess_exec(
        sys.executable, str(Path(__file__).with_name("spoke_swarm.py")), str(spec_file),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    try:
        assert (await asyncio.wait_for(swarm.stdout.readline(), 300)).strip() == b"ready"
        while True:  # every one online, with its capacity known
            async with db.cursor(bench.pool) as cur:
                await cur.execute("SELECT count(*) AS n FROM hosts WHERE id = ANY(%s) AND online "
                                  "AND capacity IS NOT NULL", (ids,))
                if (await cur.fetchone())["n"] == count:
                    break
            await asyncio.sleep(0.2)
        yield ids
    finally:
        swarm.stdin.close()
        try:
            await asyncio.wait_for(swarm.wait(), 120)
        except TimeoutError:
            swarm.kill()
            await swarm.wait()
