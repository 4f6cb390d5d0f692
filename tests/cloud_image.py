"""A real Debian 12 cloud image for the tests, built from Debian's packages.

`mmdebstrap` makes a minimal root filesystem with cloud-init, openssh-server, sudo and
Debian's cloud kernel; `mkfs.ext4 -d` turns it into a whole-disk ext4 image (no partition
table: the kernel and initrd are booted directly, so the image needs no bootloader), and
`qemu-img` makes it qcow2. cloud-init reads the NoCloud seed the spoke writes, as on any
Debian or Ubuntu cloud image.

The result is cached outside the repository (CAPSUL_TEST_CACHE, default
/var/cache/capsul-test), in a folder named after a hash of the recipe below, so a later run
(or a CI run on the same machine) skips the ~2 minute build; an older recipe's folder is removed.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(os.environ.get("CAPSUL_TEST_CACHE", "/var/cache/capsul-test"))
SUITE = "bookworm"
# dbus: systemd-logind needs it to act on the ACPI power button, as on Debian's own cloud images
# (without it a capsul's `shutdown` is ignored until SHUTDOWN_TIMEOUT forces it off);
# qemu-guest-agent: a backup freezes the guest's filesystems through it (udev starts it when the
# domain's agent channel appears), as a provider's own images would carry it
PACKAGES = ["systemd-sysv", "udev", "dbus", "cloud-init", "openssh-server", "linux-image-cloud-amd64", "ifupdown",
            "isc-dhcp-client", "iproute2", "netbase", "sudo", "e2fsprogs", "resolvconf", "qemu-guest-agent"]
IMAGE_MB = 1536  # the image's own size; a capsul's disk is an overlay resized to its size's disk_gb
# Run inside the new root before it is packed: what a cloud image maker does so that every
# instance is its own (fresh host keys and machine id at first boot) and root mounts read-write.
HOOKS = [
    'rm -f "$1"/etc/ssh/ssh_host_*_key "$1"/etc/ssh/ssh_host_*_key.pub',
    ': > "$1"/etc/machine-id',
    'rm -f "$1"/etc/hostname',
    'echo "/dev/vda / ext4 defaults,errors=remount-ro 0 1" > "$1"/etc/fstab',
    'rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*',
]
KERNEL_CMDLINE = "root=/dev/vda rw console=ttyS0"


@dataclass(frozen=True)
class CloudImage:
    disk: Path
    kernel: Path
    initrd: Path
    cmdline: str = KERNEL_CMDLINE


def recipe_key() -> str:
    text = "\n".join([SUITE, *PACKAGES, *HOOKS, str(IMAGE_MB), KERNEL_CMDLINE])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _run(*args: str, timeout: float = 900) -> None:
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed ({result.returncode}):\n{result.stderr[-4000:]}")


def _image_in(folder: Path) -> CloudImage:
    return CloudImage(folder / "disk.qcow2", folder / "vmlinuz", folder / "initrd.img")


def cached() -> CloudImage | None:
    """The image of this recipe if it has been built, else None (for benchmarks that only use it if there)."""
    image = _image_in(CACHE / f"debian12-cloud-{recipe_key()}")
    return image if all(p.exists() for p in (image.disk, image.kernel, image.initrd)) else None


def build() -> CloudImage:
    """The cached image, built first if this recipe has none yet."""
    if (image := cached()) is not None:
        return image
    folder = CACHE / f"debian12-cloud-{recipe_key()}"
    image = _image_in(folder)
    CACHE.mkdir(parents=True, exist_ok=True)
    work = CACHE / f"building-{recipe_key()}"
    shutil.rmtree(work, ignore_errors=True)
    root = work / "root"
    root.mkdir(parents=True)
    try:
        _run("mmdebstrap", "--variant=minbase", "--quiet", f"--include={','.join(PACKAGES)}",
             *[f"--customize-hook={hook}" for hook in HOOKS], SUITE, str(root))
        raw = work / "disk.raw"
        _run("mkfs.ext4", "-q", "-F", "-L", "rootfs", "-d", str(root), str(raw), f"{IMAGE_MB}M")
        _run("qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", str(raw), str(work / "disk.qcow2"))
        shutil.copy(next((root / "boot").glob("vmlinuz-*")), work / "vmlinuz")
        shutil.copy(next((root / "boot").glob("initrd.img-*")), work / "initrd.img")
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for name in ("disk.qcow2", "vmlinuz", "initrd.img"):
            os.replace(work / name, folder / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for stale in CACHE.glob("debian12-cloud-*"):
        if stale != folder:
            shutil.rmtree(stale, ignore_errors=True)
    for path in (folder, *folder.iterdir()):  # a system-mode QEMU runs as libvirt-qemu
        path.chmod(0o755 if path.is_dir() else 0o644)
    return image


if __name__ == "__main__":
    print(build())
