"""A VM's files on a spoke: its disk (a qcow2 overlay of the OS image), its NoCloud seed
ISO, and its serial console log, all under VM_STORAGE_DIR.

`qemu-img` runs as an asyncio subprocess and the ISO is written in a worker thread, so
the event loop never waits on either. On libvirt's test driver nothing here touches the
disk (`real=False`): the paths are still computed and put in the domain XML.
"""
from __future__ import annotations

import asyncio
import io
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pycdlib

from capsul.spoke.backups.store import StoreError, reference_problem, sha256_of

from capsul.spoke import cloud_init
from capsul.spoke.images.store import ImageError

log = logging.getLogger(__name__)


class StorageError(Exception):
    """A VM's files could not be made; str() says why, for the person and the operator."""


@dataclass(frozen=True)
class GuestFiles:
    disk: Path
    seed: Path
    console_log: Path
    kernel: Path | None = None  # for OS images booted without a bootloader
    initrd: Path | None = None


class Storage:
    def __init__(self, images_dir: Path, vm_dir: Path, *, real: bool, store=None, images=None):
        self.images_dir = images_dir
        self.images = images  # the OS images by digest (capsul/spoke/images/), fetched when missing
        self.vm_dir = vm_dir
        self.real = real
        self.store = store  # the backup store a create from a backup reads (capsul/spoke/backups/store.py)

    def paths(self, vm_id: str) -> GuestFiles:
        return GuestFiles(disk=self.vm_dir / f"{vm_id}.qcow2", seed=self.vm_dir / f"{vm_id}-cidata.iso",
                          console_log=self.vm_dir / f"{vm_id}-console.log")

    async def prepare(self, payload: dict) -> GuestFiles:
        """Make the disk overlay (resized to the size's disk) and the seed ISO; idempotent."""
        files = self.paths(payload["vm_id"])
        boot = {k: self.images_dir / payload[f"{k}_file"] for k in ("kernel", "initrd") if payload.get(f"{k}_file")}
        files = GuestFiles(files.disk, files.seed, files.console_log, boot.get("kernel"), boot.get("initrd"))
        image = await self.base_image(payload)
        if not self.real:
            return files
        for path in (image, *boot.values()):
            if not os.access(path, os.R_OK) or not path.is_file():
                raise StorageError(f"OS image {payload['os_image']} is missing or unreadable on this host ({path})")
        await asyncio.to_thread(self.vm_dir.mkdir, parents=True, exist_ok=True)
        if not files.disk.exists() and payload.get("restore"):
            await self._disk_from_backup(files.disk, payload)
        if not files.disk.exists():
            base_format = (await qemu_img("info", "--output=json", str(image)))
            fmt = json.loads(base_format).get("format", "raw")
            partial = _beside(files.disk, "partial")
            await qemu_img("create", "-f", "qcow2", "-F", fmt, "-b", str(image), str(partial))
            await qemu_img("resize", str(partial), f"{int(payload['disk_gb'])}G")
            os.replace(partial, files.disk)  # a crash mid-way never leaves a half-made disk in place
        await asyncio.to_thread(write_seed_iso, files.seed, payload)
        return files

    # --- rebuild and resize (capsul/spoke/changes.py) ---------------------------------------

    async def _disk_from_backup(self, disk: Path, payload: dict) -> None:
        """A create from a backup: the backup's image, fetched from the store and checked against its
        digest, grown to the size's disk, becomes the disk (never a half-fetched one)."""
        restore, partial = payload["restore"], _beside(disk, "partial")
        if problem := reference_problem(restore):
            raise StorageError(problem)
        if self.store is None or not self.store.configured:
            raise StorageError("this host has no backup store (BACKUP_STORE is unset) to restore from")
        try:
            await self.store.get(restore["snapshot"], restore["backup_id"], partial)
        except StoreError as e:
            raise StorageError(f"the backup could not be fetched: {e}") from None
        if await self.digest_of(partial) != restore["digest"]:
            await self._unlink([partial])
            raise StorageError("the image the backup store returned is not the one backed up (its SHA-256 differs)")
        await self.grow_file(partial, int(payload["disk_gb"]))
        os.replace(partial, disk)

    async def base_image(self, payload: dict) -> Path | None:
        """The OS image the capsul's disk is built on: by its digest when the hub knows it (fetched
        first if this host lacks it), else by its file name (an image not yet adopted anywhere).
        On the test driver an image known only by name is not looked for (None)."""
        digest = payload.get("os_image_sha256")
        if digest and self.images is not None:
            path = await self.images.ensure(digest, payload.get("os_image_url"), payload.get("os_image_size"))
            await asyncio.to_thread(self.images.store.mark_used, digest)
            return path
        if not payload.get("os_image_file"):
            raise StorageError(f"OS image {payload['os_image']} has neither a digest nor a file name")
        return self.images_dir / payload["os_image_file"] if self.real else None

    def check_image(self, payload: dict) -> None:
        """StorageError unless this host has the payload's OS image (or can fetch it: it has a digest
        and a URL) and its boot files."""
        digest = payload.get("os_image_sha256")
        if digest and self.images is not None:
            if not self.images.store.has(digest) and not payload.get("os_image_url"):
                raise StorageError(f"this host does not have the OS image {payload['os_image']}")
            names = (payload.get("kernel_file"), payload.get("initrd_file"))
        else:
            names = (payload.get("os_image_file"), payload.get("kernel_file"), payload.get("initrd_file"))
        if not self.real:
            return
        for name in names:
            path = self.images_dir / name if name else None
            if path is not None and (not path.is_file() or not os.access(path, os.R_OK)):
                raise StorageError(f"this host does not have the OS image {payload['os_image']}")

    def files_for(self, payload: dict) -> GuestFiles:
        """The capsul's files with the payload's boot files (nothing is made)."""
        files = self.paths(payload["vm_id"])
        boot = {k: self.images_dir / payload[f"{k}_file"] for k in ("kernel", "initrd") if payload.get(f"{k}_file")}
        return GuestFiles(files.disk, files.seed, files.console_log, boot.get("kernel"), boot.get("initrd"))

    async def prepare_rebuild(self, payload: dict) -> GuestFiles:
        """A fresh disk overlay and seed beside the capsul's own (`.rebuild`), which stay in use until
        swap_in(); idempotent. Returns the files as they will be named once swapped in."""
        files = self.files_for(payload)
        self.check_image(payload)
        try:
            image = await self.base_image(payload)
        except ImageError as e:
            raise StorageError(str(e)) from None
        if not self.real:
            return files
        disk, seed = _beside(files.disk, "rebuild"), _beside(files.seed, "rebuild")
        if not disk.exists():
            fmt = json.loads(await qemu_img("info", "--output=json", str(image))).get("format", "raw")
            partial = _beside(files.disk, "partial")
            await qemu_img("create", "-f", "qcow2", "-F", fmt, "-b", str(image), str(partial))
            await qemu_img("resize", str(partial), f"{int(payload['disk_gb'])}G")
            os.replace(partial, disk)
        await asyncio.to_thread(write_seed_iso, seed, payload)
        return files

    def restore_target(self, vm_id: str) -> Path:
        """Where a restore fetches a backup's disk: the rebuild's place, so swap_in() puts it in."""
        return _beside(self.paths(vm_id).disk, "rebuild")

    async def digest_of(self, path: Path) -> str:
        return await asyncio.to_thread(sha256_of, path)

    async def grow_file(self, path: Path, disk_gb: int) -> None:
        """Grow the disk image at `path` to `disk_gb`; one as big already is left."""
        info = json.loads(await qemu_img("info", "--output=json", str(path)))
        if int(info["virtual-size"]) < int(disk_gb) * 2**30:
            await qemu_img("resize", str(path), f"{int(disk_gb)}G")

    async def swap_in(self, vm_id: str, *, keep_console_log: bool = False) -> None:
        """The rebuilt (or restored) disk and seed become the capsul's; its old ones are kept aside
        (`.old`) until drop_old(). Idempotent: a swap already made is left as it is."""
        if not self.real:
            return
        files = self.paths(vm_id)

        def swap():
            if not keep_console_log:
                files.console_log.unlink(missing_ok=True)  # the old guest's host keys are not the new one's
            for path in (files.disk, files.seed):
                new, old = _beside(path, "rebuild"), _beside(path, "old")
                if new.exists():
                    if path.exists():
                        os.replace(path, old)
                    os.replace(new, path)
        await asyncio.to_thread(swap)

    async def drop_rebuild(self, vm_id: str) -> None:
        """Remove what prepare_rebuild() made (a rebuild undone before its swap)."""
        disk = self.paths(vm_id).disk
        await self._unlink([_beside(p, suffix) for p in (disk, self.paths(vm_id).seed)
                            for suffix in ("rebuild", "partial")]
                           + [_beside(_beside(disk, "rebuild"), "partial")])  # a restore's fetch cut short

    async def drop_old(self, vm_id: str) -> None:
        """Remove the disk and seed a rebuild replaced."""
        await self._unlink([_beside(self.paths(vm_id).disk, "old"), _beside(self.paths(vm_id).seed, "old")])

    async def disk_gb(self, vm_id: str) -> int | None:
        """The disk's virtual size in whole GB (None on the test driver, or with no disk)."""
        if not self.real or not self.paths(vm_id).disk.exists():
            return None
        info = json.loads(await qemu_img("info", "--output=json", "-U", str(self.paths(vm_id).disk)))
        return int(info["virtual-size"]) // 2**30

    async def grow(self, vm_id: str, disk_gb: int) -> None:
        """Grow the (unused: its domain is off) disk to `disk_gb`; a disk as big already is left."""
        have = await self.disk_gb(vm_id)
        if have is not None and have < disk_gb:
            await qemu_img("resize", str(self.paths(vm_id).disk), f"{int(disk_gb)}G")

    async def _unlink(self, paths: list[Path]) -> None:
        if not self.real:
            return
        for path in paths:
            await asyncio.to_thread(path.unlink, missing_ok=True)

    async def remove(self, vm_id: str) -> list[Path]:
        """Delete the VM's files; returns those that existed. Harmless to repeat."""
        if not self.real:
            return []
        files = self.paths(vm_id)
        removed = []
        for path in (files.disk, _beside(files.disk, "partial"), files.seed, files.console_log,
                     *(_beside(p, suffix) for p in (files.disk, files.seed) for suffix in ("rebuild", "old"))):
            try:
                await asyncio.to_thread(path.unlink)
                removed.append(path)
            except FileNotFoundError:
                pass
        return removed


def _beside(path: Path, suffix: str) -> Path:
    """`path.suffix`: a file kept next to `path` while it is being made or replaced."""
    return path.with_name(f"{path.name}.{suffix}")


async def qemu_img(*args: str) -> str:
    try:
        proc = await asyncio.create_subprocess_exec(
            "qemu-img", *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
    except FileNotFoundError:
        raise StorageError("qemu-img is not installed on this host (./setup.sh installs it)") from None
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise StorageError(f"qemu-img {args[0]} failed: {err.decode(errors='replace').strip()[-300:]}")
    return out.decode()


def write_seed_iso(path: Path, payload: dict) -> None:
    """A NoCloud seed: an ISO 9660 volume labelled `cidata` with user-data, meta-data and (when
    the capsul has an address) network-config. Runs in a worker thread."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident="cidata")
    files = [("USERDATA.;1", "user-data", cloud_init.user_data(payload)),
             ("METADATA.;1", "meta-data", cloud_init.meta_data(payload))]
    network = cloud_init.network_config(payload)
    if network is not None:
        files.append(("NETWORKC.;1", "network-config", network))
    for iso_name, name, text in files:
        data = text.encode()
        iso.add_fp(io.BytesIO(data), len(data), f"/{iso_name}", rr_name=name, joliet_path=f"/{name}")
    partial = path.with_name(path.name + ".partial")
    iso.write(str(partial))
    iso.close()
    os.replace(partial, path)
