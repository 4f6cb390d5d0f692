"""A capsul's firewall and anti-spoofing, proven with packets: the real Debian cloud image on the
tests' libvirtd (in its network namespace), on a public bridge as docs/networks.md sets one up, and a
client in a namespace of its own on that bridge (its uplink), which is also the guests' router.

The guest runs TCP (8080, 9090) and UDP echo (5000, 6000) listeners on IPv4 and IPv6, started over
SSH. With the operator's ssh-only default only SSH answers; with the capsul's own rules what they allow
answers and nothing else does, over both families; a rule removed stops answering without a restart;
the rules stay when the spoke restarts, and come back from its stored document when the host's
tables are gone; drift is repaired. A guest that gives itself another address and sends from it
(IPv4 and IPv6) reaches nothing, while its own address still does.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import aiohttp
import pytest

from capsul.config import Role
from capsul.hub import db
from capsul.hub.accounts import api_tokens
from tests import cloud_image, libvirtd
from tests.conftest import ALICE, eventually, networks_present, shared_tmpdir
from tests.processes import run_cli, run_command
from tests.spoke_cluster import SpokeSpec, start_spokes
from tests.test_reachable_capsul import Ssh

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="runs a system libvirtd")]
SUBNET, SUBNET6 = ipaddress.IPv4Network("10.79.0.0/24"), ipaddress.IPv6Network("2001:db8:79::/64")
CLIENT, CLIENT6 = "10.79.0.1", "2001:db8:79::1"  # the client is the guests' router too
LISTENERS = """
import socket, threading
def tcp(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port)); s.listen()
    while True:
        c, _ = s.accept(); c.sendall(b"hi\\n"); c.close()
def udp(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    while True:
        data, peer = s.recvfrom(100); s.sendto(data, peer)
for p in (8080, 9090): threading.Thread(target=tcp, args=(p,)).start()
for p in (5000, 6000): threading.Thread(target=udp, args=(p,)).start()
"""
PROBE = """
import socket, sys
kind, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
family = socket.AF_INET6 if ":" in address else socket.AF_INET
s = socket.socket(family, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM); s.settimeout(2)
try:
    if kind == "tcp":
        s.connect((address, port)); print("answered" if s.recv(10) == b"hi\\n" else "odd")
    else:
        s.sendto(b"ping", (address, port)); print("answered" if s.recvfrom(10)[0] == b"ping" else "odd")
except OSError:
    print("silent")
"""
RECEIVER = """
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 7000))
with open(sys.argv[1], "a") as log:
    while True:
        data, peer = s.recvfrom(100); log.write(f"{data.decode()} {peer[0]}\\n"); log.flush()
"""


@contextlib.contextmanager
def bridged_lab():
    """A bridge in the tests' namespace with a libvirt network on it (forward mode bridge), and a client
    namespace whose veth is on the same bridge; all removed after."""
    tag = uuid.uuid4().hex[:4]
    ns, client, bridge, network = libvirtd.NETNS, f"capsul-fwc-{tag}", f"cfw{tag}", f"capsul-fw-{tag}"
    path = Path(f"/tmp/{network}.xml")

    def run(*args):
        subprocess.run(args, check=True, capture_output=True, timeout=60)
    try:
        run("ip", "netns", "add", client)
        run("ip", "-n", ns, "link", "add", bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0")
        run("ip", "-n", ns, "link", "add", f"cfwh{tag}", "type", "veth", "peer", "name", "uplink", "netns", client)
        run("ip", "-n", ns, "link", "set", f"cfwh{tag}", "master", bridge, "up")
        run("ip", "-n", ns, "link", "set", bridge, "up")
        run("ip", "-n", client, "link", "set", "lo", "up")
        run("ip", "-n", client, "addr", "add", f"{CLIENT}/24", "dev", "uplink")
        run("ip", "-n", client, "addr", "add", f"{CLIENT6}/64", "dev", "uplink", "nodad")
        run("ip", "-n", client, "link", "set", "uplink", "up")
        path.write_text(f"<network><name>{network}</name><forward mode='bridge'/><bridge name='{bridge}'/></network>")
        libvirtd.virsh("net-define", str(path))
        libvirtd.virsh("net-start", network)
        yield network, client
    finally:
        libvirtd.virsh("net-destroy", network, check=False)
        libvirtd.virsh("net-undefine", network, check=False)
        path.unlink(missing_ok=True)
        subprocess.run(["ip", "-n", ns, "link", "delete", bridge], check=False, capture_output=True)
        subprocess.run(["ip", "-n", ns, "link", "delete", f"cfwh{tag}"], check=False, capture_output=True)
        for pid in subprocess.run(["ip", "netns", "pids", client], capture_output=True, text=True).stdout.split():
            subprocess.run(["kill", "-9", pid], check=False)
        subprocess.run(["ip", "netns", "delete", client], check=False)


def nft(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(libvirtd.in_netns("nft", *args), capture_output=True, text=True, timeout=30)


async def test_rules_answer_deny_change_survive_restarts_and_spoofed_packets_reach_nothing(
        start_node, pool, tls_files, test_env):
    image = await asyncio.to_thread(cloud_image.build)
    folder = shared_tmpdir("capsul-test-fw-")
    cluster = vm_id = receiver = None
    with libvirtd.running_libvirtd(), bridged_lab() as (network, client):
        try:
            in_client = lambda *command: ["ip", "netns", "exec", client, *command]  # noqa: E731
            (folder / "probe.py").write_text(PROBE)
            (folder / "receiver.py").write_text(RECEIVER)

            async def probe(kind: str, address: str, port: int) -> str:
                status, out, err = await run_command(in_client(sys.executable, str(folder / "probe.py"), kind, address,
                                                               str(port)), timeout=30)
                assert status == 0, err
                return out.strip()

            hub = await start_node(Role.HUB, HEARTBEAT_INTERVAL="1", HEARTBEAT_TIMEOUT="1", RESYNC_INTERVAL="3600",
                                   FIREWALL_DEFAULT="ssh-only", FIREWALL_RESYNC_INTERVAL="3600")
            cluster = await start_spokes(
                pool, hub.api_url, [SpokeSpec("fw1", 0, 0, "198.18.79.0/24")], folder, tls_files,
                extra_env={"LIBVIRT_URI": libvirtd.URI, "LIBVIRT_DOMAIN_TYPE": "qemu",
                           "OS_IMAGES_DIR": str(image.disk.parent), "VM_STORAGE_DIR": str(folder / "vms"),
                           "FIREWALL": "nftables", "FIREWALL_NETNS": libvirtd.NETNS, "FIREWALL_CHECK_INTERVAL": "1",
                           "FIREWALL_TABLE": "capsultest"})
            cli_env = {k: v for k, v in test_env.items() if k not in ("CONSOLE_LISTEN", "API_LISTEN")}
            async with db.cursor(pool) as cur:
                await cur.execute("DELETE FROM host_network WHERE host_id = 'fw1'")
            for args in (["add-network", "--id", "fw1", "--network", network, "--cidr", str(SUBNET),
                          "--gateway", CLIENT, "--first", "10.79.0.10", "--last", "10.79.0.20", "--dns", CLIENT,
                          "--ipv6-cidr", str(SUBNET6), "--ipv6-gateway", CLIENT6],
                         ["add-image", "debian12-real", "--file", image.disk.name, "--description", "Debian 12 (test)",
                          "--kernel", image.kernel.name, "--initrd", image.initrd.name, "--cmdline", image.cmdline],
                         ["add-size", "fw-s", "--price", "1", "--vcpus", "1", "--memory-mb", "1024", "--disk-gb", "3"]):
                status, out, err = await run_cli(args, cli_env)
                assert status == 0, (args, out, err)
            await networks_present(pool, "fw1")
            ssh = Ssh(folder, netns_prefix=in_client)
            async with db.cursor(pool) as cur:
                await cur.execute("INSERT INTO accounts (email) VALUES (%s) ON CONFLICT DO NOTHING", (ALICE,))
            token, _ = await api_tokens.create_token(pool, ALICE, "fw", "write", None)
            async with aiohttp.ClientSession(base_url=hub.console_url,
                                             headers={"Authorization": f"Bearer {token}"}) as http:
                async def call(method: str, path: str, body=None) -> dict:
                    async with http.request(method, "/api/v1" + path, json=body) as r:
                        assert r.status < 300, await r.text()
                        return await r.json()

                await call("POST", "/ssh-keys", {"name": "laptop", "content": ssh.public_key})
                capsul = (await call("POST", "/capsuls", {"size": "fw-s", "os": "debian12-real",
                                                          "ssh_keys": ["laptop"]}))["capsul"]
                vm_id, ipv4, ipv6 = capsul["id"], capsul["public_ipv4"], capsul["public_ipv6"]

                async def sshd_answers():
                    return await ssh.scan(ipv4)
                host_key = await eventually(sshd_answers, within=400, every=2)
                ssh.known_hosts.write_text(host_key + "\n" + host_key.replace(ipv4, ipv6, 1) + "\n")
                await ssh.run(ipv4, "cloud-init status --wait >/dev/null; echo " + base64.b64encode(LISTENERS.encode()).decode()
                              + " | base64 -d > /tmp/listen.py && setsid nohup python3 /tmp/listen.py "
                                "</dev/null >/dev/null 2>&1 & echo started")

                # the operator's default, ssh-only: SSH answers (it did), 8080 does not, on either family
                async def answers(kind, address, port):
                    return await probe(kind, address, port) == "answered"
                for address in (ipv4, ipv6):
                    assert await probe("tcp", address, 8080) == "silent"
                # the capsul's own rules: TCP 22 and 8080 and UDP 5000 from anywhere, ICMP from the client only
                for rule in ({"protocol": "tcp", "port_from": 22}, {"protocol": "tcp", "port_from": 8080},
                             {"protocol": "udp", "port_from": 5000}):
                    await call("POST", f"/capsuls/{vm_id}/firewall/rules", rule)
                await call("PUT", f"/capsuls/{vm_id}/firewall", {"mode": "rules"})
                for address in (ipv4, ipv6):
                    await eventually(lambda: answers("tcp", address, 8080), within=30, every=0.5)
                    await eventually(lambda: answers("udp", address, 5000), within=30, every=0.5)
                    assert await probe("tcp", address, 9090) == "silent"
                    assert await probe("udp", address, 6000) == "silent"

                async with db.cursor(pool) as cur:  # the admin page's source: the spoke enforces, unrefused
                    await cur.execute("SELECT firewall FROM hosts WHERE id = 'fw1'")
                    reported = (await cur.fetchone())["firewall"]
                assert reported["enforcing"] is True and reported["error"] is None, reported
                # a rule removed: 8080 stops answering without any restart
                rules = (await call("GET", f"/capsuls/{vm_id}/firewall"))["firewall"]["rules"]
                await call("DELETE", f"/capsuls/{vm_id}/firewall/rules/{next(r['id'] for r in rules if r['port_from'] == 8080)}")

                async def silent(kind, address, port):
                    return await probe(kind, address, port) == "silent"
                await eventually(lambda: silent("tcp", ipv4, 8080), within=30, every=0.5)
                assert await probe("tcp", ipv6, 8080) == "silent" and await probe("udp", ipv6, 5000) == "answered"

                # drift: the capsul's chain flushed by hand is written back by the spoke's check
                chain = "c_" + vm_id.replace("-", "_")
                assert nft("flush", "chain", "inet", "capsultest", chain).returncode == 0
                await eventually(lambda: asyncio.to_thread(
                    lambda: "udp dport 5000 accept" in nft("list", "chain", "inet", "capsultest", chain).stdout))

                # the spoke restarts: the rules stay in force meanwhile and after
                spoke = cluster.processes["fw1"]
                await spoke.stop()
                assert await probe("tcp", ipv4, 9090) == "silent" and await probe("udp", ipv4, 5000) == "answered"
                # and the host's tables are gone (a host restart): the spoke puts back its stored document
                assert nft("delete", "table", "inet", "capsultest").returncode == 0
                assert await probe("tcp", ipv4, 9090) == "answered"  # nothing filters now
                await spoke.start()
                await eventually(lambda: silent("tcp", ipv4, 9090), within=30, every=0.5)
                assert await probe("udp", ipv4, 5000) == "answered" and await probe("tcp", ipv6, 9090) == "silent"

                # anti-spoofing: from its own address the guest reaches the client; from another, nothing
                log = folder / "received.log"
                log.touch()
                receiver = await asyncio.create_subprocess_exec(*in_client(sys.executable, str(folder / "receiver.py"),
                                                                           str(log)))
                await ssh.run(ipv4, "sudo ip addr add 10.79.0.99/24 dev eth0; "
                                    "sudo ip addr add 2001:db8:79::99/64 dev eth0 nodad; echo added")
                send = ("python3 -c \"import socket,sys; f=socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET; "
                        "s=socket.socket(f, socket.SOCK_DGRAM); s.bind((sys.argv[1], 0)); "
                        "s.sendto(sys.argv[3].encode(), (sys.argv[2], 7000))\"")
                for own, spoofed, client_address in ((ipv4, "10.79.0.99", CLIENT), (ipv6, "2001:db8:79::99", CLIENT6)):
                    for n in range(3):  # the spoofed first: it would arrive before the marker sent after it
                        await ssh.run(ipv4, f"{send} {spoofed} {client_address} spoofed{n}")
                    await ssh.run(ipv4, f"{send} {own} {client_address} own")

                    async def own_arrived():
                        return f"own {'::ffff:' + own if ':' not in own else own}" in log.read_text()
                    await eventually(own_arrived, within=15, every=0.2)
                    assert "spoofed" not in log.read_text(), log.read_text()
                    log.write_text("")
                await call("DELETE", f"/capsuls/{vm_id}")
                await eventually(lambda: asyncio.to_thread(lambda: libvirtd.virsh("domstate", vm_id, check=False).returncode != 0),
                                 within=120, every=1)
                vm_id = None
        except BaseException:
            if cluster is not None:
                print(f"--- spoke fw1's log ---\n{cluster.processes['fw1'].log()[-20000:]}")
            raise
        finally:
            if receiver is not None:
                receiver.kill()
                await receiver.wait()
            if cluster is not None:
                await cluster.stop()
            if vm_id:
                libvirtd.remove_domains([vm_id])
            nft("delete", "table", "inet", "capsultest")
            nft("delete", "table", "bridge", "capsultest")
            shutil.rmtree(folder, ignore_errors=True)
