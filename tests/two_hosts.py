"""Two hypervisor hosts on one machine for the move tests (docs/moves.md): two real libvirtds, each in
a network namespace and a private mount namespace of its own (its own /run/libvirt, /etc/libvirt,
/var/lib/libvirt, /var/cache/libvirt and /var/log/libvirt, bind-mounted from the lab's folder, and
its own host UUID), and a client in a third namespace.

    client ns   198.51.100.100/24, 2001:db8:51::100/64 ──veth── bridge capbr0 in host a
    host a      capbr0 (no address) ══ veth trunk ══ capbr0 (no address)      host b
                198.19.0.1 ═══════════ migration link ═══════════ 198.19.0.2
    the segment 198.51.100.0/24 and 2001:db8:51::/64 is one L2 segment across both bridges; each
    libvirtd carries it as a libvirt network of its own name (seg-a, seg-b) in bridge mode.

libvirtd listens for TLS only (listen_tls, auth_tls none: the certificate is the credential), on the
migration link; its certificates and QEMU's (the migration stream and the disk copy, VIR_MIGRATE_TLS)
come from the tests' CA, as the hub's CA signs them in production. A source libvirtd is a TLS client of
the destination's (peer to peer): the client certificate is in one folder the MIGRATION_URI names
(`?pkipath=`). Nothing leaves the namespaces; everything the lab made goes when it is taken down.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from capsul import tls

LINK = {"a": "198.19.0.1", "b": "198.19.0.2"}
HOST_UUID = {"a": "5a1e0000-0000-4000-8000-00000000000a", "b": "5a1e0000-0000-4000-8000-00000000000b"}
CLIENT_V4, CLIENT_V6 = "198.51.100.100", "2001:db8:51::100"
SEGMENT_V4, SEGMENT_V6 = "198.51.100.0/24", "2001:db8:51::/64"
BRIDGE = "capbr0"
MOUNTS = {"run": "/run/libvirt", "lib": "/var/lib/libvirt", "etc": "/etc/libvirt", "cache": "/var/cache/libvirt",
          "log": "/var/log/libvirt"}


def _run(*args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=check, timeout=timeout)


@dataclass
class Host:
    name: str  # a or b
    netns: str
    folder: Path

    @property
    def socket_uri(self) -> str:
        """How a spoke in the root namespace reaches this libvirtd: its Unix socket, a file."""
        return f"qemu+unix:///system?socket={self.folder / 'run' / 'libvirt-sock'}"

    def migration_uri(self, client_pki: Path) -> str:
        return f"qemu+tls://{LINK[self.name]}/system?pkipath={client_pki}"

    def virsh(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return _run("virsh", "-c", self.socket_uri, *args, check=check, timeout=120)

    def pid(self, daemon: str) -> int | None:
        try:
            pid = int((self.folder / "run" / f"lab-{daemon}.pid").read_text().strip())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        try:  # a pid of this lab's namespace only, never another process that took the number
            if os.stat(f"/proc/{pid}/ns/net").st_ino != os.stat(f"/run/netns/{self.netns}").st_ino:
                return None
        except OSError:
            return None
        return pid


class TwoHosts:
    def __init__(self, folder: Path, ca_cert: Path, ca_key: Path):
        tag = secrets.token_hex(2)
        self.folder, self.ca_cert, self.ca_key = folder, ca_cert, ca_key
        self.hosts = {n: Host(n, f"capsul-mv{n}-{tag}", folder / n) for n in ("a", "b")}
        self.client_ns = f"capsul-mvc-{tag}"
        self.client_pki = folder / "client-pki"

    # --- up ------------------------------------------------------------------------------------

    def up(self) -> None:
        self._network()
        self._certificates()
        for host in self.hosts.values():
            self._daemon(host)
        for host in self.hosts.values():
            xml = (f"<network><name>seg-{host.name}</name><forward mode='bridge'/>"
                   f"<bridge name='{BRIDGE}'/></network>")
            path = host.folder / "seg.xml"
            path.write_text(xml)
            host.virsh("net-create", str(path))

    def _network(self) -> None:
        a, b = self.hosts["a"].netns, self.hosts["b"].netns
        for ns in (a, b, self.client_ns):
            _run("ip", "netns", "add", ns)
            _run("ip", "-n", ns, "link", "set", "lo", "up")
        for ns in (a, b):
            _run("ip", "-n", ns, "link", "add", BRIDGE, "type", "bridge", "stp_state", "0", "forward_delay", "0")
            _run("ip", "-n", ns, "link", "set", BRIDGE, "up")
        # both ends made inside their namespaces: nothing ever appears in the root namespace
        _run("ip", "-n", a, "link", "add", "seg-a", "type", "veth", "peer", "name", "seg-b", "netns", b)
        _run("ip", "-n", a, "link", "set", "seg-a", "master", BRIDGE, "up")
        _run("ip", "-n", b, "link", "set", "seg-b", "master", BRIDGE, "up")
        _run("ip", "-n", a, "link", "add", "mig-a", "type", "veth", "peer", "name", "mig-b", "netns", b)
        for ns, end, name in ((a, "mig-a", "a"), (b, "mig-b", "b")):
            _run("ip", "-n", ns, "addr", "add", f"{LINK[name]}/24", "dev", end)
            _run("ip", "-n", ns, "link", "set", end, "up")
        c = self.client_ns
        _run("ip", "-n", c, "link", "add", "cli-c", "type", "veth", "peer", "name", "cli-a", "netns", a)
        _run("ip", "-n", c, "addr", "add", f"{CLIENT_V4}/24", "dev", "cli-c")
        _run("ip", "-n", c, "addr", "add", f"{CLIENT_V6}/64", "dev", "cli-c", "nodad")
        _run("ip", "-n", c, "link", "set", "cli-c", "up")
        _run("ip", "-n", a, "link", "set", "cli-a", "master", BRIDGE, "up")

    def _certificates(self) -> None:
        """Each libvirtd's server certificate (its link address) and QEMU's, and one client certificate."""
        self.client_pki.mkdir(parents=True)
        shutil.copy(self.ca_cert, self.client_pki / "cacert.pem")
        tls.issue_certificate(self.ca_cert, self.ca_key, ["capsul-lab-client", *LINK.values()],
                              self.client_pki / "clientcert.pem", self.client_pki / "clientkey.pem", client=True)
        for host in self.hosts.values():
            pki = host.folder / "pki"
            pki.mkdir(parents=True)
            tls.issue_certificate(self.ca_cert, self.ca_key, [LINK[host.name]], pki / "servercert.pem",
                                  pki / "serverkey.pem", client=True)
            qemu = host.folder / "qemu-pki"  # QEMU's names for the same files (qemu.conf's cert dir)
            qemu.mkdir()
            for theirs, ours in (("ca-cert.pem", self.ca_cert), ("server-cert.pem", pki / "servercert.pem"),
                                 ("server-key.pem", pki / "serverkey.pem"), ("client-cert.pem", pki / "servercert.pem"),
                                 ("client-key.pem", pki / "serverkey.pem")):
                shutil.copy(ours, qemu / theirs)

    def _daemon(self, host: Host) -> None:
        s = host.folder
        for sub in ("run", "lib/images", "etc", "cache", "log/qemu"):
            (s / sub).mkdir(parents=True, exist_ok=True)
        shutil.copytree("/etc/libvirt", s / "etc", dirs_exist_ok=True)
        shutil.rmtree(s / "etc" / "qemu" / "networks", ignore_errors=True)  # no default network (192.168.122.x)
        shutil.rmtree(s / "etc" / "qemu" / "autostart", ignore_errors=True)
        for stale in (s / "etc" / "qemu").glob("*.xml"):
            stale.unlink()
        (s / "etc" / "qemu" / "networks" / "autostart").mkdir(parents=True)
        pki = s / "pki"
        with open(s / "etc" / "libvirtd.conf", "a") as conf:
            conf.write(f'\nlisten_tls = 1\nlisten_tcp = 0\nlisten_addr = "{LINK[host.name]}"\nauth_tls = "none"\n'
                       f'auth_unix_ro = "none"\nauth_unix_rw = "none"\nhost_uuid = "{HOST_UUID[host.name]}"\n'
                       f'ca_file = "{self.ca_cert}"\ncert_file = "{pki / "servercert.pem"}"\n'
                       f'key_file = "{pki / "serverkey.pem"}"\n'
                       f'log_outputs = "3:file:/var/log/libvirt/libvirtd.log"\n')
        with open(s / "etc" / "qemu.conf", "a") as conf:
            # QEMU runs as root in the lab, so it reads the lab's certificates and files where they are
            conf.write(f'\nmigration_address = "{LINK[host.name]}"\nmigration_host = "{LINK[host.name]}"\n'
                       f'migrate_tls_x509_cert_dir = "{s / "qemu-pki"}"\nmigrate_tls_x509_verify = 1\n'
                       f'default_tls_x509_cert_dir = "{s / "qemu-pki"}"\nuser = "root"\ngroup = "root"\n')
        if Path("/var/cache/libvirt").is_dir():  # QEMU's capabilities, probed once already: no 40 s probe
            shutil.copytree("/var/cache/libvirt", s / "cache", dirs_exist_ok=True)
        binds = " && ".join(f"mount --bind {s / sub} {target}" for sub, target in MOUNTS.items())
        _run("ip", "netns", "exec", host.netns, "unshare", "--mount", "--propagation", "private", "sh", "-c",
             f"set -e; {binds}; virtlogd -d --pid-file /run/libvirt/lab-virtlogd.pid; "
             f"libvirtd -d -l --pid-file /run/libvirt/lab-libvirtd.pid", timeout=120)
        deadline = time.monotonic() + 120
        while host.virsh("uri", check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"libvirtd of host {host.name} did not answer: "
                                   f"{(s / 'log' / 'libvirtd.log').read_text(errors='replace')[-2000:]}")
            time.sleep(0.25)

    def second_segment(self, host: str, network: str, client_v4: str, client_v6: str) -> None:
        """Another L2 segment that only `host` reaches (bridge capbr1, libvirt network `network`), with
        the client on it at `client_v4`: a capsul moved there from the other host gets new addresses."""
        ns = self.hosts[host].netns
        _run("ip", "-n", ns, "link", "add", "capbr1", "type", "bridge", "stp_state", "0", "forward_delay", "0")
        _run("ip", "-n", ns, "link", "set", "capbr1", "up")
        _run("ip", "-n", self.client_ns, "link", "add", "cli2-c", "type", "veth", "peer", "name", "cli2-h", "netns", ns)
        _run("ip", "-n", self.client_ns, "addr", "add", client_v4, "dev", "cli2-c")
        _run("ip", "-n", self.client_ns, "addr", "add", client_v6, "dev", "cli2-c", "nodad")
        _run("ip", "-n", self.client_ns, "link", "set", "cli2-c", "up")
        _run("ip", "-n", ns, "link", "set", "cli2-h", "master", "capbr1", "up")
        path = self.hosts[host].folder / f"{network}.xml"
        path.write_text(f"<network><name>{network}</name><forward mode='bridge'/><bridge name='capbr1'/></network>")
        self.hosts[host].virsh("net-create", str(path))

    # --- use -----------------------------------------------------------------------------------

    def in_client(self, *command: str) -> list[str]:
        return ["ip", "netns", "exec", self.client_ns, *command]

    def answers_ping(self, address: str) -> bool:
        return _run(*self.in_client("busybox", "ping", "-c", "1", "-W", "1", address), check=False,
                    timeout=10).returncode == 0

    def domains(self, name: str) -> list[str]:
        out = self.hosts[name].virsh("list", "--all", "--name", check=False).stdout
        return [line.strip() for line in out.splitlines() if line.strip()]

    # --- down ----------------------------------------------------------------------------------

    def down(self) -> None:
        """Every domain, daemon, namespace and mount of the lab, gone; its folder is the caller's."""
        for host in self.hosts.values():
            if host.pid("libvirtd") is not None:
                for vm in self.domains(host.name):
                    host.virsh("destroy", vm, check=False)
                    host.virsh("undefine", vm, "--checkpoints-metadata", check=False)
            for daemon in ("libvirtd", "virtlogd"):
                pid = host.pid(daemon)
                if pid is not None:
                    os.kill(pid, signal.SIGTERM)
                    deadline = time.monotonic() + 20
                    while host.pid(daemon) is not None and time.monotonic() < deadline:
                        time.sleep(0.1)
        for ns in (*(h.netns for h in self.hosts.values()), self.client_ns):
            listed = _run("ip", "netns", "pids", ns, check=False).stdout.split()
            for pid in listed:  # what is still in it (QEMU of a domain libvirt could not stop)
                with contextlib.suppress(OSError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            _run("ip", "netns", "delete", ns, check=False)


@contextlib.contextmanager
def two_hosts(folder: Path, ca_cert: Path, ca_key: Path):
    lab = TwoHosts(folder, ca_cert, ca_key)
    try:
        lab.up()
        yield lab
    finally:
        lab.down()
