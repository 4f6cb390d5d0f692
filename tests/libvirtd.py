"""A real libvirtd (qemu:///system) for the tests: started if it is not running, stopped
afterwards only if the tests started it; plus an isolated libvirt network of their own."""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

URI = "qemu:///system"
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
            subprocess.run([name, "-d"], check=True, timeout=60)
            started.append(name)
    deadline = time.monotonic() + 120  # the first start probes QEMU
    while not responding():
        if time.monotonic() > deadline:
            raise RuntimeError("libvirtd did not answer within 120 s")
        time.sleep(0.25)
    return started


def stop_daemon(name: str) -> None:
    pid = _pid(name)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while _pid(name) is not None and time.monotonic() < deadline:
        time.sleep(0.1)


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
