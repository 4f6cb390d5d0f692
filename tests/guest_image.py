"""A tiny bootable guest for the tests: a Debian cloud kernel and a busybox initramfs.

Its init loads the virtio and ISO 9660 modules, mounts the NoCloud seed (the disk
labelled cidata), prints the hostname and SSH keys it finds to the serial console, and
powers off; or, booted with SHELL_FLAG on its kernel command line, runs a shell on the
serial console (ttyS0) for the console tests; with NET_FLAG too, it takes the addresses of its
seed's network-config and answers pings (the move tests). Built once per machine into var/test-cache (the kernel package comes from
Debian's archive with `apt-get download`).
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO

CACHE = REPO / "var" / "test-cache" / "guest"
MODULES = ["virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci",
           "virtio_blk", "cdrom", "isofs", "failover", "net_failover", "virtio_net"]
MARK = "capsul-guest"
SHELL_FLAG = "capsul.shell"
NET_FLAG = "capsul.net"  # the guest takes its addresses from the seed's network-config and answers pings
# What cloud-init prints at first boot, as a syslog-prefixed block; the guest prints it with this
# fixed fingerprint (busybox has no ssh-keygen), so the spoke's console scanner can be tested.
HOST_KEY_FINGERPRINT = "SHA256:" + base64.b64encode(hashlib.sha256(b"capsul test guest").digest()).decode().rstrip("=")

INIT = f"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in {' '.join(MODULES)}; do insmod /lib/modules/$m.ko 2>/dev/null; done
mkdir -p /seed
for i in $(seq 1 50); do
  for dev in /dev/vd*; do
    mount -t iso9660 -o ro "$dev" /seed 2>/dev/null && break 2
  done
  sleep 0.1
done
echo "{MARK} hostname: $(sed -n 's/^local-hostname: //p' /seed/meta-data)"
grep -o 'ssh-[a-z0-9-]* [A-Za-z0-9+/=]*' /seed/user-data | sed 's/^/{MARK} key: /'
echo "<14>Nov 25 00:00:01 ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----"
echo "<14>Nov 25 00:00:01 ec2: 256 {HOST_KEY_FINGERPRINT} root@$(sed -n 's/^local-hostname: //p' /seed/meta-data) (ED25519)"
echo "<14>Nov 25 00:00:01 ec2: -----END SSH HOST KEY FINGERPRINTS-----"
echo "{MARK} done"
if grep -q {NET_FLAG} /proc/cmdline; then
  ip link set lo up
  for i in $(seq 1 100); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
  for address in $(sed -n 's/^ *- "\\(.*\\/.*\\)"$/\\1/p' /seed/network-config); do ip addr add "$address" dev eth0; done
  ip link set eth0 up
  echo "{MARK} network up: $(ip -o addr show dev eth0 | grep -o 'inet6* [^ ]*' | tr '\\n' ' ')"
fi
if grep -q {SHELL_FLAG} /proc/cmdline; then
  # a login-free shell on the serial console, for the console tests; it never powers off by itself
  echo "{MARK} shell on ttyS0"
  while true; do setsid cttyhack sh; done
fi
sync
poweroff -f
"""


def _run(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True, timeout=300).stdout


def build() -> tuple[Path, Path]:
    """(kernel, initramfs) paths, built if not cached."""
    recipe = hashlib.sha256((INIT + " ".join(MODULES)).encode()).hexdigest()[:12]
    kernel, initrd = CACHE / "vmlinuz", CACHE / f"initrd-{recipe}.gz"
    if kernel.exists() and initrd.exists():
        return kernel, initrd
    work = CACHE / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        depends = _run("apt-cache", "depends", "linux-image-cloud-amd64")
    except subprocess.CalledProcessError:  # no package lists yet on this machine
        _run("apt-get", "update", "-q")
        depends = _run("apt-cache", "depends", "linux-image-cloud-amd64")
    package = next(line.split()[-1] for line in depends.splitlines()
                   if "Depends:" in line and "linux-image-" in line and line.split()[-1][12:13].isdigit())
    _run("apt-get", "download", "-q", package, cwd=work)
    deb = next(work.glob("*.deb"))
    _run("dpkg-deb", "-x", str(deb), str(work / "pkg"))
    root = work / "initramfs"
    for folder in ("bin", "proc", "sys", "dev", "seed", "lib/modules"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    shutil.copy("/bin/busybox", root / "bin" / "busybox")
    for module in MODULES:
        found = next((work / "pkg" / "lib" / "modules").rglob(f"{module}.ko"))
        shutil.copy(found, root / "lib" / "modules" / f"{module}.ko")
    (root / "init").write_text(INIT)
    (root / "init").chmod(0o755)
    names = _run("find", ".", cwd=root).encode()
    archive = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=root, input=names,
                             capture_output=True, check=True, timeout=120).stdout
    initrd.write_bytes(gzip.compress(archive))
    shutil.copy(next((work / "pkg" / "boot").glob("vmlinuz-*")), kernel)
    for stale in CACHE.glob("initrd-*.gz"):
        if stale != initrd:
            stale.unlink()
    shutil.rmtree(work)
    return kernel, initrd
