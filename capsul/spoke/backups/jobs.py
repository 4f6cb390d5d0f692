"""Backup jobs on a spoke (docs/backups.md): a capsul's disk taken consistently into the spool,
sent to the backup store, and the spool copy removed.

- Running capsul: its filesystems are frozen through qemu-guest-agent where the agent answers,
  libvirt's push-mode backup is begun (it returns once the point in time is fixed), and the guest
  is thawed at once: frozen for the length of one libvirt call, never for the copy or the upload.
  With no agent the backup is crash-consistent, and says so.
- Stopped capsul: its disk (overlay and base) is copied, flattened, with qemu-img.
- Either way the image is written in the disk's own cluster order (so that restic finds an
  unchanged disk's chunks again), then its SHA-256 and sizes are read, and restic sends it to
  the store. A store that does not answer, or whose repository is locked, is tried again with
  back-off while the job says "waiting-for-store"; a full store, or any other refusal, fails
  the job with the store's words.

At most BACKUP_CONCURRENCY jobs run at once; the others are "queued". Each job is journaled
(change_journal.py, one file per backup id) before it takes the disk and when it ends: a spoke
killed in the middle finds the entry at its next start (recover()), thaws the guest in case it
died while it was frozen, removes the spool file, and records the job as failed. The hub asks
with the backup's id as often as it likes: the answer is the job's status, from memory while
it runs and from the journal once it has ended, even after a restart.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from pathlib import Path

from capsul.backoff import Backoff
from capsul.config import Config
from capsul.spoke.backups.store import ResticStore, StoreError, StoreLocked, StoreUnreachable, sha256_of
from capsul.spoke.change_journal import ChangeJournal
from capsul.spoke.storage import StorageError, qemu_img
from capsul.spoke.virt import Hypervisor, HypervisorError, VmNotFound

log = logging.getLogger(__name__)

UNDER_WAY = ("queued", "taking", "uploading", "waiting-for-store")


class BackupRefused(Exception):
    """Nothing was started; str() says why."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


class BackupJobs:
    def __init__(self, config: Config, virt: Hypervisor, store: ResticStore, journal: ChangeJournal):
        self.config, self.virt, self.store, self.journal = config, virt, store, journal
        self.spool = config.backup_spool_dir
        self._turns = asyncio.Semaphore(config.backup_concurrency)
        self._jobs: dict[str, dict] = {}  # backup id -> its status while it runs
        self._tasks: dict[str, asyncio.Task] = {}
        self._asking: dict[str, asyncio.Lock] = {}  # backup id -> held while a first ask looks it up
        self.counts = {"done": 0, "failed": 0, "bytes": 0}  # for the spoke's /metrics

    def spool_file(self, backup_id: str) -> Path:
        return self.spool / f"{uuid.UUID(backup_id)}.qcow2"  # a UUID, never a path a caller chose

    # --- what the hub asks ------------------------------------------------------------------

    async def ask(self, backup_id: str, vm_id: str) -> dict:
        """The status of backup `backup_id` of `vm_id`, starting it if this host has not heard of it."""
        if not self.store.configured:
            raise BackupRefused("this host has no backup store (BACKUP_STORE is unset)", 503)
        if backup_id in self._jobs:
            return dict(self._jobs[backup_id])
        # NOTE: two first asks at once (the hub's own and its follower's) must start one job
        async with self._asking.setdefault(backup_id, asyncio.Lock()):
            try:
                if backup_id in self._jobs:
                    return dict(self._jobs[backup_id])
                known = await self.journal.get(backup_id)
                if known is not None:
                    return _ended(known)
                if not await self.virt.exists(vm_id):
                    raise BackupRefused(f"{vm_id} is not on this host", 404)
                status = {"backup_id": backup_id, "vm_id": vm_id, "status": "queued", "done_bytes": 0,
                          "total_bytes": 0}
                self._jobs[backup_id] = status
                self._tasks[backup_id] = asyncio.create_task(self._run(status), name=f"backup {backup_id}")
                return dict(status)
            finally:
                self._asking.pop(backup_id, None)

    def running(self) -> list[dict]:
        return [dict(s) for s in self._jobs.values()]

    # --- the job ----------------------------------------------------------------------------

    async def _run(self, status: dict) -> None:
        backup_id, vm_id = status["backup_id"], status["vm_id"]
        image = self.spool_file(backup_id)
        try:
            async with self._turns:
                status["status"] = "taking"
                await self.journal.write({"op_id": backup_id, "type": "backup", "vm_id": vm_id, "step": "taking"})
                taken = await self._take(vm_id, image, status)
                status.update(taken)
                status["status"] = "uploading"
                stored = await self._upload(backup_id, vm_id, image, status)
                result = {**taken, "snapshot": stored.snapshot, "stored_bytes": stored.added_bytes,
                          "status": "done", "finished_at": time.time()}
            await self.journal.write({"op_id": backup_id, "type": "backup", "vm_id": vm_id, "result": result})
            self.counts["done"] += 1
            self.counts["bytes"] += taken["image_bytes"]
            log.info("backup %s of %s is in the store (%s, %d bytes, %d new)", backup_id, vm_id,
                     taken["consistency"], taken["image_bytes"], stored.added_bytes)
        except asyncio.CancelledError:
            raise  # the spoke is stopping: the journal entry stays unfinished, recover() ends it
        except (HypervisorError, StorageError, StoreError, OSError) as e:
            message = str(e) if not isinstance(e, VmNotFound) else f"{vm_id} is no longer on this host"
            await self.journal.write({"op_id": backup_id, "type": "backup", "vm_id": vm_id, "error": message})
            self.counts["failed"] += 1
            log.warning("backup %s of %s failed: %s", backup_id, vm_id, message)
        finally:
            await _unlink(*_spool_files(image))
            self._jobs.pop(backup_id, None)
            self._tasks.pop(backup_id, None)

    async def _take(self, vm_id: str, image: Path, status: dict) -> dict:
        """The disk, consistently, into `image`; what the catalogue records of it."""
        await asyncio.to_thread(self.spool.mkdir, parents=True, exist_ok=True)
        await _unlink(*_spool_files(image))  # libvirt makes its target itself, and refuses one that exists
        disk, disk_file = await self.virt.main_disk(vm_id)
        state = await self.virt.state(vm_id)
        partial = image.with_name(image.name + ".partial")
        if state in ("running", "paused"):
            await self.journal.write({"op_id": status["backup_id"], "type": "backup", "vm_id": vm_id,
                                      "step": "freezing"})
            frozen = await self.virt.freeze(vm_id) if state == "running" else False
            pushed = image.with_name(image.name + ".pushed")
            try:
                await self.virt.begin_backup(vm_id, disk, pushed)
                taken_at = time.time()
            finally:
                if frozen:
                    await self.virt.thaw(vm_id)
            consistency = "application" if frozen else "crash"
            try:
                await self._wait_for_copy(vm_id, status)
            except BaseException:
                await self.virt.abort_backup(vm_id)  # QEMU would go on writing a file that is gone
                raise
            # NOTE: QEMU's backup job writes clusters in the order its parallel copy finishes them, so
            # two backups of the same disk differ byte for byte and restic could not deduplicate them.
            # Rewritten in the disk's own order they are the same file (bench/backups.py measures it).
            try:
                await qemu_img("convert", "-O", "qcow2", str(pushed), str(partial))
            finally:
                await _unlink(pushed)
        else:
            taken_at = time.time()
            await qemu_img("convert", "-O", "qcow2", str(disk_file), str(partial))
            consistency = "stopped"
        await asyncio.to_thread(partial.replace, image)
        info = json.loads(await qemu_img("info", "--output=json", str(image)))
        return {"consistency": consistency, "taken_at": taken_at, "disk_bytes": int(info["virtual-size"]),
                "image_bytes": (await asyncio.to_thread(image.stat)).st_size,
                "digest": await asyncio.to_thread(sha256_of, image)}

    async def _wait_for_copy(self, vm_id: str, status: dict) -> None:
        """Until QEMU has written the whole backup and let go of the file (its lock goes a moment
        after the job ends)."""
        while True:
            progress = await self.virt.backup_progress(vm_id)
            status["done_bytes"], status["total_bytes"] = progress.done_bytes, progress.total_bytes
            if not progress.running:
                break
            await asyncio.sleep(0.2)
        if progress.total_bytes and progress.done_bytes < progress.total_bytes:
            raise HypervisorError(f"the backup job of {vm_id} ended before it had copied the disk "
                                  f"({progress.done_bytes} of {progress.total_bytes} bytes)")

    async def _upload(self, backup_id: str, vm_id: str, image: Path, status: dict):
        backoff = Backoff(first=1.0, ceiling=self.config.backup_store_max_backoff)

        def progress(done: int, total: int) -> None:
            status["done_bytes"], status["total_bytes"] = done, total

        while True:
            try:
                status["status"] = "uploading"
                return await self.store.put(image, backup_id=backup_id, vm_id=vm_id, progress=progress)
            except (StoreUnreachable, StoreLocked) as e:
                status["status"], status["waiting_because"] = "waiting-for-store", str(e)
                log.warning("backup %s: %s; trying again in %.0f s", backup_id, e, backoff.delay)
                await backoff.wait()

    # --- start and stop ---------------------------------------------------------------------

    async def recover(self) -> list[str]:
        """End the jobs a killed spoke left under way: failed, their spool files removed."""
        told = []
        for entry in await self.journal.unfinished():
            if entry.get("type") != "backup":
                continue
            backup_id, vm_id = entry["op_id"], entry.get("vm_id")
            try:
                await self.virt.abort_backup(vm_id)  # QEMU's copy outlives a killed spoke
                if entry.get("step") == "freezing":
                    await self.virt.thaw(vm_id)  # it may have died between freeze and thaw
            except HypervisorError:
                pass
            await _unlink(*_spool_files(self.spool_file(backup_id)))
            await self.journal.write({**entry, "error": "its host restarted during the backup; "
                                                        "nothing of it was kept"})
            told.append(f"gave up backup {backup_id} of {vm_id}")
        if self.store.configured and told:  # a lock the killed restic left; the store may be slow to answer
            self._tasks["unlock"] = asyncio.create_task(self._unlock_stale(), name="backup store unlock")
        for line in told:
            log.info("%s (interrupted by a restart)", line)
        return told

    async def _unlock_stale(self) -> None:
        try:
            await self.store.unlock_stale()
        except StoreError as e:
            log.warning("backup store: %s", e)
        finally:
            self._tasks.pop("unlock", None)

    async def close(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)


def _ended(entry: dict) -> dict:
    base = {"backup_id": entry["op_id"], "vm_id": entry.get("vm_id")}
    if "result" in entry:
        return {**base, **entry["result"]}
    if "error" in entry:
        return {**base, "status": "failed", "error": entry["error"]}
    return {**base, "status": "failed", "error": "its host restarted during the backup; nothing of it was kept"}


def _spool_files(image: Path) -> list[Path]:
    """The image and what is made on the way to it (QEMU's push target, qemu-img's partial file)."""
    return [image, *(image.with_name(f"{image.name}.{suffix}") for suffix in ("pushed", "partial"))]


async def _unlink(*paths: Path) -> None:
    def run():
        for path in paths:
            path.unlink(missing_ok=True)
    await asyncio.to_thread(run)
