"""A real libvirtd (qemu:///system) for the tests: started if it is not running, stopped
afterwards only if the tests started it; plus libvirt networks of their own.

The tests start libvirtd inside a network namespace of their own (NETNS), so the bridges and
dnsmasq of the networks it makes live there: guests are reachable only from inside it, never
through a bridge in the root namespace. Its Unix socket is a file, so the spokes (in the root
namespace) reach it as usual."""
from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

URI = "qemu:///system"
NETNS = "capsul-test-virt"
PID_FILES = {"libvirtd": Path("/run/libvirtd.pid"), "virtlogd": Path("/run/virtlogd.pid")}


def virsh(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["virsh", "-c", URI, *args], capture_output=True, text=True, timeout=120, check=check)


def responding() -> bool:
    try:
        return virsh("uri", check=False).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def _pid(name: str) -> int | None:
    try:
        pid = int(PID_FILES[name].read_text().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def start_daemons() -> list[str]:
    """Start what is not running; returns the names of the daemons started."""
    kvm = Path("/dev/kvm")
    if kvm.exists():  # no udev here: without this libvirt re-probes QEMU at every start (~40 s)
        subprocess.run(["chgrp", "kvm", str(kvm)], check=False)
        kvm.chmod(0o660)
    started = []
    for name in ("virtlogd", "libvirtd"):
        if _pid(name) is None:
            ensure_netns()
            subprocess.run(["ip", "netns", "exec", NETNS, name, "-d"], check=True, timeout=60)
            started.append(name)
    deadline = time.monotonic() + 120  # the first start probes QEMU
    while not responding():
        if time.monotonic() > deadline:
            raise RuntimeError("libvirtd did not answer within 120 s")
        time.sleep(0.25)
    return started


def ensure_netns() -> None:
    if not Path(f"/run/netns/{NETNS}").exists():
        subprocess.run(["ip", "netns", "add", NETNS], check=True, timeout=30)
        subprocess.run(["ip", "netns", "exec", NETNS, "ip", "link", "set", "lo", "up"], check=True, timeout=30)


def remove_netns() -> None:
    subprocess.run(["ip", "netns", "delete", NETNS], check=False, capture_output=True, timeout=30)


def libvirtd_in_netns() -> bool:
    """Whether the running libvirtd lives in the tests' namespace (one started by hand may not)."""
    pid = _pid("libvirtd")
    try:
        return pid is not None and os.stat(f"/proc/{pid}/ns/net").st_ino == os.stat(f"/run/netns/{NETNS}").st_ino
    except OSError:
        return False


def in_netns(*command: str) -> list[str]:
    """A command line run inside the tests' namespace, where the guests' networks are."""
    return ["ip", "netns", "exec", NETNS, *command]


def stop_daemon(name: str) -> None:
    pid = _pid(name)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while _pid(name) is not None and time.monotonic() < deadline:
        time.sleep(0.1)


@contextlib.contextmanager
def running_libvirtd():
    """libvirtd for a test module: what the tests start they stop afterwards, namespace included."""
    started = start_daemons()
    try:
        yield
    finally:
        for name in reversed(started):
            stop_daemon(name)
        if started and _pid("libvirtd") is None and _pid("virtlogd") is None:
            remove_netns()


@dataclass
class TestNetwork:
    name: str

    @classmethod
    def create(cls) -> TestNetwork:
        tag = secrets.token_hex(2)
        name = f"capsul-test-{tag}"
        xml = f"<network><name>{name}</name><bridge name='cvt{tag}' stp='off'/></network>"
        path = Path(f"/tmp/{name}.xml")
        path.write_text(xml)
        try:
            virsh("net-create", str(path))
        finally:
            path.unlink()
        return cls(name)

    def remove(self) -> None:
        virsh("net-destroy", self.name, check=False)


def remove_domains(prefix_ids: list[str]) -> None:
    for vm_id in prefix_ids:
        virsh("destroy", vm_id, check=False)
        virsh("undefine", vm_id, check=False)
