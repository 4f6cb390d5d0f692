"""The address a person is shown is the address the guest has, proven with a real
Debian 12 cloud image under software emulation.

A person creates a capsul through the public API with their SSH key. The test then logs in
with SSH as `cyberian` at the IPv4 address the API answered (and at the IPv6 one), from inside
the network namespace where the test's libvirtd keeps its bridge, and checks the hostname,
both addresses and default routes, the grown root filesystem, and that the host key SSH was
shown has the fingerprint the hub shows. `sudo poweroff` in the guest reaches the person's
websocket as `stopped`; delete removes the disk, seed, console log and DHCP reservation.
"""
from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

from capsul.config import Role
from capsul.hub import db
from capsul.hub.accounts import api_tokens
from capsul.spoke.cloud_init import mac_for_ipv4
from tests import cloud_image, libvirtd
from tests.conftest import ALICE, eventually, networks_present, shared_tmpdir
from tests.processes import run_cli, run_command
from tests.spoke_cluster import SpokeSpec, start_spokes

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="runs a system libvirtd")]
SUBNET = ipaddress.IPv4Network("10.77.0.0/24")  # exists only inside the tests' namespace
SUBNET6 = ipaddress.IPv6Network("2001:db8:77::/64")
GATEWAY, GATEWAY6 = SUBNET.network_address + 1, SUBNET6.network_address + 1
DISK_GB = 3


def network_xml(name: str, bridge: str) -> str:
    """NAT-less, DHCP-serving network: its bridge holds the gateways, dnsmasq hands out leases."""
    return f"""<network>
  <name>{name}</name>
  <bridge name='{bridge}' stp='off'/>
  <ip address='{GATEWAY}' prefix='{SUBNET.prefixlen}'>
    <dhcp><range start='{SUBNET.network_address + 200}' end='{SUBNET.network_address + 250}'/></dhcp>
  </ip>
  <ip family='ipv6' address='{GATEWAY6}' prefix='{SUBNET6.prefixlen}'/>
</network>"""


@contextlib.contextmanager
def guest_network():
    """A persistent libvirt network inside the tests' namespace; destroyed and undefined after."""
    tag = uuid.uuid4().hex[:4]
    name, path = f"capsul-reach-{tag}", Path(f"/tmp/capsul-reach-{tag}.xml")
    path.write_text(network_xml(name, f"cvr{tag}"))
    try:
        libvirtd.virsh("net-define", str(path))
    finally:
        path.unlink()
    try:
        libvirtd.virsh("net-start", name)
        yield name
    finally:
        libvirtd.virsh("net-destroy", name, check=False)
        libvirtd.virsh("net-undefine", name, check=False)


def dhcp_hosts(network: str, *, inactive: bool = False) -> str:
    args = ["net-dumpxml", network] + (["--inactive"] if inactive else [])
    return "\n".join(line.strip() for line in libvirtd.virsh(*args).stdout.splitlines() if "<host " in line)


async def in_netns(*command: str, timeout: float = 60) -> tuple[int, str, str]:
    return await run_command(libvirtd.in_netns(*command), timeout=timeout)


class Ssh:
    """OpenSSH's client, run inside the namespace, trusting only the host key it was first shown."""

    def __init__(self, folder: Path, netns_prefix=None):
        self.folder = folder
        self.prefix = netns_prefix or libvirtd.in_netns  # (*command) -> the command line run in the namespace
        self.key = folder / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", ALICE, "-f", str(self.key)],
                       check=True)
        self.known_hosts = folder / "known_hosts"

    @property
    def public_key(self) -> str:
        return self.key.with_suffix(".pub").read_text().strip()

    async def scan(self, address: str) -> str | None:
        """The ed25519 host key line the guest's sshd presents, or None while it does not answer."""
        status, out, _ = await run_command(self.prefix("ssh-keyscan", "-T", "3", "-t", "ed25519", address), timeout=20)
        lines = [line for line in out.splitlines() if line and not line.startswith("#")]
        return lines[0] if status == 0 and lines else None

    async def fingerprint(self, key_line: str) -> str:
        """SHA256:… of a host key line, as ssh-keygen prints it."""
        path = self.folder / "scanned"
        path.write_text(key_line + "\n")
        out = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(path)], check=True,
                             capture_output=True, text=True).stdout
        return out.split()[1]

    # cloud-init restarts sshd while it configures the guest (its config stage), so a guest that
    # answered once may refuse a connection for a moment afterwards. Only failures before the
    # session starts are retried: the command has not run, so running it again is safe.
    NOT_CONNECTED = ("Connection refused", "kex_exchange_identification", "Connection timed out")

    async def run(self, address: str, command: str, *, reconnect_within: float = 60, read_only: bool = False) -> str:
        """`read_only`: the command changes nothing, so a session cut mid-way (sshd restarted by
        cloud-init: status 255, nothing said) is run again too."""
        deadline = time.monotonic() + reconnect_within
        while True:
            status, out, err = await run_command(self.prefix(
                "ssh", "-i", str(self.key), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                "-o", f"UserKnownHostsFile={self.known_hosts}", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
                f"cyberian@{address}", command), timeout=60)
            cut = read_only and status == 255 and not err.strip()
            if status == 255 and (cut or any(s in err for s in self.NOT_CONNECTED)) and time.monotonic() < deadline:
                await asyncio.sleep(1)
                continue
            assert status == 0, f"ssh cyberian@{address} {command!r} failed ({status}): {err}"
            return out


POOL_RANGE = (SUBNET.network_address + 10, SUBNET.network_address + 99)


async def start_real_spoke(hub, pool, folder: Path, tls_files, test_env: dict, network: str, image,
                           sizes: list[tuple[str, int, int, int]] = (("reach-s", 1, 1024, DISK_GB),),
                           spoke_env: dict | None = None):
    """Spoke reach1 on the tests' libvirtd, its capsuls' files under folder/vms, set up by the
    operator's steps as docs/networks.md gives them: the pool on the libvirt network, the image
    (debian12-real), the sizes (id, vCPUs, memory MB, disk GB). Returns its SpokeCluster."""
    cli_env = {k: v for k, v in test_env.items() if k not in ("CONSOLE_LISTEN", "API_LISTEN")}
    cluster = await start_spokes(
        pool, hub.api_url, [SpokeSpec("reach1", 0, 0, "198.18.77.0/24")], folder, tls_files,
        extra_env={"LIBVIRT_URI": libvirtd.URI, "LIBVIRT_DOMAIN_TYPE": "qemu",
                   "OS_IMAGES_DIR": str(image.disk.parent), "VM_STORAGE_DIR": str(folder / "vms"),
                   **(spoke_env or {})})
    try:
        async with db.cursor(pool) as cur:
            await cur.execute("DELETE FROM host_network WHERE host_id = 'reach1'")
        first, last = POOL_RANGE
        steps = [["add-network", "--id", "reach1", "--network", network, "--cidr", str(SUBNET),
                  "--gateway", str(GATEWAY), "--first", str(first), "--last", str(last), "--dns", str(GATEWAY),
                  "--ipv6-cidr", str(SUBNET6), "--ipv6-gateway", str(GATEWAY6)],
                 ["add-image", "debian12-real", "--file", image.disk.name, "--description", "Debian 12 (test)",
                  "--kernel", image.kernel.name, "--initrd", image.initrd.name, "--cmdline", image.cmdline]]
        steps += [["add-size", name, "--price", "1", "--vcpus", str(vcpus), "--memory-mb", str(memory_mb),
                   "--disk-gb", str(disk_gb)] for name, vcpus, memory_mb, disk_gb in sizes]
        for args in steps:
            status, out, err = await run_cli(args, cli_env)
            assert status == 0, (args, out, err)
        await networks_present(pool, "reach1")  # the spoke has told the hub that the pool's network exists
    except BaseException:
        await cluster.stop()
        raise
    return cluster


def resolvers_shown(resolv_conf: str, resolvectl: str) -> set[str]:
    """The DNS servers the guest uses: /etc/resolv.conf's, or, where it names only
    systemd-resolved's stub (127.0.0.53: Debian 13, Ubuntu), what resolvectl says."""
    listed = {line.split()[1] for line in resolv_conf.splitlines() if line.startswith("nameserver ")}
    if listed <= {"127.0.0.53", "127.0.0.54"}:
        listed = {word for line in resolvectl.splitlines() for word in line.split(":", 1)[-1].split()}
    return listed


@pytest.fixture(scope="module")
def namespaced_libvirt():
    with libvirtd.running_libvirtd():
        if not libvirtd.libvirtd_in_netns():
            pytest.fail(f"a libvirtd runs outside the tests' namespace {libvirtd.NETNS}: stop it first, so that "
                        f"guest networks never reach the root namespace")
        with guest_network() as name:
            yield name


async def test_a_person_logs_in_at_the_address_they_are_shown(namespaced_libvirt, start_node, pool, tls_files,
                                                              test_env):
    network = namespaced_libvirt
    image = await asyncio.to_thread(cloud_image.build)
    folder = shared_tmpdir("capsul-test-reach-")
    cluster = vm_id = None
    try:
        hub = await start_node(Role.HUB, HEARTBEAT_INTERVAL="1", HEARTBEAT_TIMEOUT="1", RESYNC_INTERVAL="3600")
        storage = folder / "vms"
        cluster = await start_real_spoke(hub, pool, folder, tls_files, test_env, network, image)
        first, last = POOL_RANGE
        ssh = Ssh(folder)
        async with db.cursor(pool) as cur:
            await cur.execute("INSERT INTO accounts (email) VALUES (%s) ON CONFLICT DO NOTHING", (ALICE,))
        token, _ = await api_tokens.create_token(pool, ALICE, "reach", "write", None)
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(base_url=hub.console_url, headers=headers) as http:
            async with http.post("/api/v1/ssh-keys", json={"name": "laptop", "content": ssh.public_key}) as r:
                assert r.status == 201, await r.text()
            started = time.monotonic()
            async with http.post("/api/v1/capsuls", json={"size": "reach-s", "os": "debian12-real",
                                                          "ssh_keys": ["laptop"]}) as r:
                assert r.status == 201, await r.text()
                capsul = (await r.json())["capsul"]
            vm_id, ipv4, ipv6 = capsul["id"], capsul["public_ipv4"], capsul["public_ipv6"]
            assert ipaddress.IPv4Address(ipv4) in SUBNET and first <= ipaddress.IPv4Address(ipv4) <= last
            assert ipaddress.IPv6Address(ipv6) in SUBNET6 and ipaddress.IPv6Address(ipv6) != GATEWAY6
            mac = mac_for_ipv4(ipv4)
            reservation = f"<host mac='{mac}' name='{vm_id}' ip='{ipv4}'/>"

            async def reserved():  # live, and in the persistent definition, once the spoke builds it
                return dhcp_hosts(network) == reservation and dhcp_hosts(network, inactive=True) == reservation
            await eventually(reserved, within=60, every=0.5)

            async def sshd_answers():
                return await ssh.scan(ipv4)
            host_key = await eventually(sshd_answers, within=400, every=2)
            print(f"SSH answered {time.monotonic() - started:.1f} s after the create request")
            ssh.known_hosts.write_text(host_key + "\n")
            shown = await ssh.fingerprint(host_key)

            async def hub_fingerprints():
                async with http.get(f"/api/v1/capsuls/{vm_id}") as r:
                    return [k["fingerprint"] for k in (await r.json())["capsul"]["ssh_host_keys"]]
            assert shown in await eventually(hub_fingerprints, within=120, every=1)

            facts = await ssh.run(ipv4, "hostname; echo ---; ip -o addr show dev eth0; echo ---; "
                                        "df -B1 --output=size / | tail -1; echo ---; ip route show default; "
                                        "echo ---; ip -6 route show default; echo ---; cat /etc/resolv.conf; "
                                        "echo ---; resolvectl dns 2>/dev/null; echo ---; "
                                        "cat /sys/class/net/eth0/address; echo ---; cloud-init status --wait --long")
            hostname, addresses, root_size, route4, route6, resolv, resolvectl, nic_mac, cloud = facts.split("---\n")
            assert hostname.strip() == vm_id
            assert f"inet {ipv4}/{SUBNET.prefixlen}" in addresses and f"inet6 {ipv6}/{SUBNET6.prefixlen}" in addresses
            assert int(root_size) > (DISK_GB - 0.5) * 1024 ** 3, f"root filesystem not grown: {root_size} bytes"
            assert f"via {GATEWAY}" in route4 and f"via {GATEWAY6}" in route6, (route4, route6)
            assert str(GATEWAY) in resolvers_shown(resolv, resolvectl), (resolv, resolvectl)
            assert "status: done" in cloud, cloud  # and `cloud-init status` exited 0: no error
            assert nic_mac.strip() == mac
            # the same guest at its IPv6 address: the same host key, the same hostname
            host_key6 = await ssh.scan(ipv6)
            assert host_key6 is not None and host_key6.split()[1:] == host_key.split()[1:]
            ssh.known_hosts.write_text(f"{host_key}\n{host_key6}\n")
            assert (await ssh.run(ipv6, "hostname")).strip() == vm_id

            # the guest powers itself off: the person's websocket hears of it
            async with http.ws_connect("/ws") as ws:
                snapshot = json.loads((await ws.receive(timeout=10)).data)
                assert snapshot["type"] == "snapshot"
                await in_netns("ssh", "-i", str(ssh.key), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                               "-o", f"UserKnownHostsFile={ssh.known_hosts}", f"cyberian@{ipv4}",
                               "sudo poweroff", timeout=60)

                async def stopped_pushed():
                    message = json.loads((await ws.receive(timeout=180)).data)
                    return message["type"] == "capsul.state" and message["data"]["capsul"]["id"] == vm_id \
                        and message["data"]["capsul"]["state"] == "stopped"
                await eventually(stopped_pushed, within=180, every=0)

            async with http.delete(f"/api/v1/capsuls/{vm_id}") as r:
                assert r.status == 200 and (await r.json())["capsul"]["state"] == "deleted", await r.text()
        assert list(storage.iterdir()) == []  # disk, seed and console log
        assert dhcp_hosts(network) == "" and dhcp_hosts(network, inactive=True) == ""
        assert libvirtd.virsh("domstate", vm_id, check=False).returncode != 0
    except BaseException:
        if cluster is not None:
            print(f"--- spoke reach1's log ---\n{cluster.processes['reach1'].log()[-20000:]}")
        if vm_id and (storage / f"{vm_id}-console.log").exists():
            print(f"--- {vm_id}'s console ---\n{(storage / f'{vm_id}-console.log').read_text(errors='replace')[-20000:]}")
        raise
    finally:
        if cluster is not None:
            await cluster.stop()
        if vm_id:
            libvirtd.remove_domains([vm_id])
        shutil.rmtree(folder, ignore_errors=True)
