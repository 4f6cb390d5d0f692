"""The OS images a spoke holds, each under its SHA-256, read-only (docs/images.md).

    OS_IMAGES_DIR/sha256/<hex>        an image, named by its digest (mode 0444)
    OS_IMAGES_DIR/sha256/<hex>.used   touched whenever a disk is built on it
    OS_IMAGES_DIR/fetching/<hex>.partial   an image being fetched (fetcher.py), never used as one
    OS_IMAGES_DIR/adopted.json        the files an operator placed by hand, hashed once

A file placed by hand in OS_IMAGES_DIR is adopted: hashed once (again only if its size or time
changes) and linked under its digest, so the disks already built on its name go on working and
new ones are built on the digest. Only images this spoke fetched are ever removed, and only when
no disk's backing chain uses them (checked with qemu-img, by inode, for every disk first).
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import secrets
import shutil
import time
from pathlib import Path

from capsul.spoke.backups.store import sha256_of

log = logging.getLogger(__name__)

DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")
_HIDDEN_OR_OURS = ("adopted.json",)


class ImageError(Exception):
    """An image that cannot be had here; str() says why, for the person and the operator."""


class ImageStore:
    def __init__(self, images_dir: Path):
        self.images_dir = images_dir
        self.by_digest = images_dir / "sha256"
        self.fetching = images_dir / "fetching"
        self._adopted: dict[str, dict] = {}  # file name -> {size, mtime_ns, sha256}
        self._held: dict[str, int] | None = None  # digest -> bytes, read once, then kept as images come and go

    def path(self, digest: str) -> Path:
        assert DIGEST_RE.fullmatch(digest), digest
        return self.by_digest / digest

    def has(self, digest: str) -> bool:
        return DIGEST_RE.fullmatch(digest or "") is not None and self.path(digest).is_file()

    def digests(self) -> dict[str, dict]:
        """{digest: {bytes, files}} of every image held (files: the hand-placed names it has). The
        folder is read once (adopt() does it in a worker thread); every heartbeat asks, from memory."""
        if self._held is None:
            self._held = self._read_held()
        held = {digest: {"bytes": size, "files": []} for digest, size in self._held.items()}
        for name, record in self._adopted.items():
            if record["sha256"] in held:
                held[record["sha256"]]["files"].append(name)
        return held

    def _read_held(self) -> dict[str, int]:
        if not self.by_digest.is_dir():
            return {}
        return {p.name: p.stat().st_size for p in self.by_digest.iterdir() if DIGEST_RE.fullmatch(p.name)}

    def added(self, digest: str) -> None:
        """An image was put in place (fetcher.py)."""
        if self._held is not None:
            self._held[digest] = self.path(digest).stat().st_size

    def mark_used(self, digest: str) -> None:
        marker = self.by_digest / f"{digest}.used"
        marker.touch()
        os.utime(marker)

    # --- adoption of hand-placed files -------------------------------------------------------

    def adopt(self) -> dict[str, str]:
        """Hash the files placed in OS_IMAGES_DIR (those not hashed before, or changed since) and link
        each under its digest. Blocking: run it in a worker thread. Returns {file name: digest}."""
        self.by_digest.mkdir(parents=True, exist_ok=True)
        record_path = self.images_dir / "adopted.json"
        try:
            self._adopted = json.loads(record_path.read_text())
        except (OSError, ValueError):
            self._adopted = {}
        found = {}
        for path in sorted(self.images_dir.iterdir()):
            if (path.name.startswith(".") or path.name in _HIDDEN_OR_OURS or path.name.endswith(".partial")
                    or not path.is_file() or path.is_symlink()):
                continue
            stat = path.stat()
            known = self._adopted.get(path.name)
            if not known or (known["size"], known["mtime_ns"]) != (stat.st_size, stat.st_mtime_ns):
                started = time.monotonic()
                known = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256_of(path)}
                log.info("adopted the OS image file %s as sha256 %s (%d bytes hashed in %.1f s)", path.name,
                         known["sha256"], stat.st_size, time.monotonic() - started)
            target = self.path(known["sha256"])
            if not target.exists():
                try:
                    os.link(path, target)
                except FileExistsError:  # another spoke sharing this folder linked it a moment ago
                    pass
                except OSError:  # another file system: a copy, put in place whole
                    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
                    shutil.copyfile(path, partial)
                    partial.chmod(0o444)
                    os.replace(partial, target)
            if target.stat().st_mode & 0o222:
                target.chmod(0o444)
            self._adopted[path.name] = found[path.name] = known
        self._adopted = {name: r for name, r in self._adopted.items() if name in found}
        self._held = self._read_held()
        # a name of its own: spokes sharing one folder (a test's, or an NFS export) adopt at the same moment
        partial = record_path.with_name(f"{record_path.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
        partial.write_text(json.dumps(self._adopted, indent=1, sort_keys=True))
        os.replace(partial, record_path)
        return {name: r["sha256"] for name, r in found.items()}

    def digest_of_file(self, file_name: str) -> str | None:
        record = self._adopted.get(file_name)
        return record["sha256"] if record else None

    # --- removal of unused images ------------------------------------------------------------

    async def remove_unused(self, disk_dirs: list[Path], keep_days: float) -> list[str]:
        """Remove the fetched images no disk in `disk_dirs` is built on and none used for `keep_days`.
        Every disk's backing chain is read first; if one cannot be read, nothing is removed."""
        hand_placed = {r["sha256"] for r in self._adopted.values()}
        now = time.time()
        candidates = []
        for digest, held in self.digests().items():
            if digest in hand_placed:
                continue  # the operator's file: its name stays, removing our link frees nothing
            marker = self.by_digest / f"{digest}.used"
            last_used = max(self.path(digest).stat().st_mtime, marker.stat().st_mtime if marker.exists() else 0)
            if now - last_used >= keep_days * 86400:
                candidates.append(digest)
        if not candidates:
            return []
        try:
            in_use = await backing_inodes(disk_dirs)
        except ImageError as e:
            log.error("not removing unused OS images: %s", e)
            return []
        removed = []
        for digest in candidates:
            stat = self.path(digest).stat()
            if (stat.st_dev, stat.st_ino) in in_use:
                continue
            self.path(digest).unlink()
            (self.by_digest / f"{digest}.used").unlink(missing_ok=True)
            if self._held is not None:
                self._held.pop(digest, None)
            log.info("removed OS image sha256 %s: no disk uses it, none was built on it for %g days", digest,
                     keep_days)
            removed.append(digest)
        return removed


async def backing_inodes(disk_dirs: list[Path]) -> set[tuple[int, int]]:
    """(device, inode) of every file in the backing chains of the disk images in `disk_dirs`."""
    inodes: set[tuple[int, int]] = set()
    for folder in disk_dirs:
        if not folder.is_dir():
            continue
        for disk in sorted(folder.iterdir()):
            if not disk.is_file() or disk.name.endswith((".iso", ".log", ".json")):
                continue
            proc = await asyncio.create_subprocess_exec(
                "qemu-img", "info", "--backing-chain", "-U", "--output=json", str(disk),
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            out, err = await proc.communicate()
            if proc.returncode != 0:
                if disk.suffix == ".qcow2" or ".qcow2." in disk.name:
                    raise ImageError(f"the backing chain of {disk} cannot be read: "
                                     f"{err.decode(errors='replace').strip()[-200:]}")
                continue  # not a disk image
            for layer in json.loads(out):
                for key in ("filename", "full-backing-filename", "backing-filename"):
                    name = layer.get(key)
                    if name:
                        path = Path(name) if Path(name).is_absolute() else disk.parent / name
                        try:
                            stat = path.stat()
                        except OSError:
                            continue
                        inodes.add((stat.st_dev, stat.st_ino))
    return inodes
