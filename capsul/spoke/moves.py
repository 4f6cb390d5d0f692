"""Moves of capsuls between hosts, the spoke's side (docs/moves.md): asked by the hub as immediate
operations, each journaled (change_journal.py, folder `moves/`) so that a restarted spoke answers
the same and finishes what it began.

- `move_in`, on the destination: the capsul's files made ready here before anything moves: the base
  image by its digest (fetched if missing), a fresh overlay of the same size (never one left from an
  earlier stay: the copy only writes the clusters the source holds), the seed made from the same
  payload (so the same instance-id, addresses and keys), an empty console log, and the DHCP
  reservation on this host's libvirt network for the segment. Answers where libvirt reaches this
  host (MIGRATION_URI) and the files' paths.
- `move_out`, on the source: libvirt's live migration, peer to peer, with the overlay copied
  (capsul/spoke/virt/migration.py). The first ask starts it; every later ask answers its progress,
  then its outcome. Done only once libvirt has finished it (the destination runs the capsul and
  libvirt has undefined it here); then this host's files and DHCP reservation are removed. A failed
  migration leaves the capsul running here.
- `move_in_end`, on the destination: the hub's verdict. `done`: the capsul must be running here, and
  the migration's figures (downtime, time) are answered. `undone`: the prepared files and
  reservation are removed, unless the capsul did arrive after all, which is then said (`has_it`).

A **cold** move (a stopped capsul, or a destination libvirt cannot reach live) takes other steps:
`move_out` with `cold` shuts the capsul down (forced off after COLD_MOVE_TIMEOUT), reads its
overlay's SHA-256 and makes a one-time secret for it; the destination's `move_in` with `download`
fetches the overlay from the source over HTTPS, each request signed with that secret
(`GET /moves/{op}/disk`, direction spoke->spoke: capsul/spoke/move_endpoints.py), checks the digest,
points it at its own copy of the base image, and defines the capsul (started if it ran); then
`move_out_end` has the source let it go (`done`: undefined, files and reservation removed) or start
it again where it was (`undone`).

A spoke killed during `move_out` finds the entry at its next start (recover()): it waits for a
migration job libvirt may still be running, then the outcome is where the capsul is: still here
(failed: it stayed) or gone (done: it moved).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import secrets
import time

import aiohttp

from capsul import signing
from capsul.config import Config
from capsul.spoke.domain_xml import build_domain_xml
from capsul.spoke.change_journal import ChangeJournal
from capsul.spoke.images.store import ImageError
from capsul.spoke.storage import Storage, StorageError, qemu_img
from capsul.spoke.virt import Hypervisor, HypervisorError, VmNotFound

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5  # seconds between reads of libvirt's job stats while a move runs
FILE_KEYS = ("disk", "seed", "console_log", "kernel", "initrd")
SPOKE_TO_SPOKE = signing.SPOKE_TO_SPOKE
CHUNK = 1 << 20
DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=60)  # a stall, not a size, is cut


class MoveRefused(Exception):
    """Nothing was moved; str() says why, in words for the operator (and the person)."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


class CapsulMoves:
    def __init__(self, config: Config, virt: Hypervisor, storage: Storage, journal: ChangeJournal, *,
                 why_no_room, reserve_dhcp, release_dhcp, real: bool, session=lambda: None, domain_type: str = "qemu"):
        self.config, self.virt, self.storage, self.journal = config, virt, storage, journal
        self.session = session  # the spoke's one HTTP client session (a cold move's download)
        self.domain_type = domain_type
        self.why_no_room = why_no_room  # (vcpus, memory_mb) -> why this host has no room, or None
        self.reserve_dhcp, self.release_dhcp = reserve_dhcp, release_dhcp
        self.real = real  # libvirt's test driver cannot migrate: moves are refused there
        self._out: dict[str, asyncio.Task] = {}  # op id -> its migration under way
        self._progress: dict[str, dict] = {}  # op id -> the last job stats read

    # --- the destination ---------------------------------------------------------------------

    async def move_in(self, op_id: str, vm_id: str, payload: dict, download: dict | None = None) -> dict:
        known = await self.journal.get(op_id)
        if known is not None and "ready" in known:
            return known["ready"]
        if known is not None and "error" in known:
            raise MoveRefused(known["error"], known.get("status", 409))
        try:
            return await self._prepare(op_id, vm_id, payload, download)
        except MoveRefused as e:
            await self.journal.write({"op_id": op_id, "type": "move_in", "vm_id": vm_id, "error": str(e),
                                      "status": e.status})
            raise

    async def _prepare(self, op_id: str, vm_id: str, payload: dict, download: dict | None) -> dict:
        if not self.real:
            raise MoveRefused("this host runs libvirt's test driver, which cannot take a capsul moved here")
        if not self.config.migration_uri and not download:
            raise MoveRefused("this host has no MIGRATION_URI: other hosts' libvirtd cannot reach its own")
        try:
            await self.virt.state(vm_id)
            raise MoveRefused(f"this host has a domain {vm_id} already")
        except VmNotFound:
            pass
        if (why := await self.why_no_room(int(payload["vcpus"]), int(payload["memory_mb"]))) is not None:
            raise MoveRefused(f"this host has no room for it: {why}")
        entry = await self.journal.write({"op_id": op_id, "type": "move_in", "vm_id": vm_id, "step": "preparing",
                                          "network_name": payload.get("network_name")})
        try:
            await self.storage.remove(vm_id)  # never an overlay left from an earlier stay here
            if download is not None:
                await self._receive_disk(op_id, vm_id, payload, download)
            files = await self.storage.prepare(payload)
            await asyncio.to_thread(files.console_log.touch)
            await self.reserve_dhcp(payload)
            if download is not None:  # cold: the capsul is defined here, and started if it ran
                xml = build_domain_xml(payload, files, domain_type=self.domain_type)
                state = await self.virt.define_cold(vm_id, xml, start=bool(download.get("start")))
        except (StorageError, ImageError, HypervisorError, MoveRefused) as e:
            if download is not None:
                await self.virt.destroy(vm_id)
            await self._drop(vm_id, payload.get("network_name"))
            raise MoveRefused(f"this host could not make the capsul's files ready: {e}") from None
        ready = {"ready": True, "migration_uri": self.config.migration_uri, "tls": self.config.migration_tls,
                 "network_name": payload.get("network_name"),
                 "files": {k: str(getattr(files, k)) for k in FILE_KEYS if getattr(files, k) is not None},
                 **({"state": state} if download is not None else {})}
        await self.journal.write({**entry, "step": "ready", "ready": ready})
        log.info("%s: ready to move in (operation %s)", vm_id, op_id)
        return ready

    async def move_in_end(self, op_id: str, vm_id: str, outcome: str) -> dict:
        entry = await self.journal.get(op_id)
        network = (entry or {}).get("network_name")
        try:
            state = await self.virt.state(vm_id)
        except VmNotFound:
            state = None
        if outcome == "done":
            if state is None:
                raise MoveRefused(f"this host does not have {vm_id}: it did not arrive", 404)
            progress = await self.virt.completed_move(vm_id)
            result = {"state": state, **({"downtime_ms": progress.downtime_ms, "elapsed_ms": progress.elapsed_ms,
                                         "memory_total": progress.memory_total, "disk_total": progress.disk_total}
                                        if progress else {})}
        elif state is not None:
            return {"has_it": True, "state": state}  # it arrived after all: the hub finishes the move
        elif entry is None or entry.get("vm_id") != vm_id:
            return {"removed": False}  # this host made nothing ready for this move: nothing of it to drop
        else:
            await self._drop(vm_id, network)
            result = {"removed": True}
        if entry is not None:
            await self.journal.write({**entry, "step": "ended", "result": result})
        return result

    async def _drop(self, vm_id: str, network: str | None) -> None:
        await self.storage.remove(vm_id)
        if network:
            await self.release_dhcp(vm_id, [network])

    async def _receive_disk(self, op_id: str, vm_id: str, payload: dict, download: dict) -> None:
        """The source's overlay, fetched over HTTPS with each request signed by the move's one-time
        secret, its SHA-256 checked, then pointed at this host's copy of its base image."""
        disk = self.storage.paths(vm_id).disk
        partial = disk.with_name(disk.name + ".partial")
        base = await self.storage.base_image(payload)
        path = f"/moves/{op_id}/disk"
        header = signing.authorization_header(download["token"], op_id, SPOKE_TO_SPOKE, "GET", path, b"")
        digest = hashlib.sha256()
        await asyncio.to_thread(disk.parent.mkdir, parents=True, exist_ok=True)
        try:
            async with self.session().get(download["url"] + path, headers={"Authorization": header},
                                          timeout=DOWNLOAD_TIMEOUT) as response:
                if response.status != 200:
                    raise MoveRefused(f"the source host refused the disk ({response.status})")
                with open(partial, "wb") as f:
                    async for chunk in response.content.iter_chunked(CHUNK):
                        digest.update(chunk)
                        await asyncio.to_thread(f.write, chunk)
        except (OSError, aiohttp.ClientError, asyncio.TimeoutError) as e:
            partial.unlink(missing_ok=True)
            raise MoveRefused(f"the disk could not be fetched from the source host: {e}") from None
        if digest.hexdigest() != download["sha256"]:
            partial.unlink(missing_ok=True)
            raise MoveRefused("the disk fetched from the source host is not the one it read (its SHA-256 differs)")
        if base is not None:
            info = await qemu_img("info", "--output=json", str(base))
            fmt = json.loads(info).get("format", "raw")
            await qemu_img("rebase", "-u", "-f", "qcow2", "-b", str(base), "-F", fmt, str(partial))
        os.replace(partial, disk)

    # --- the source ----------------------------------------------------------------------------

    async def stop_for_move(self, op_id: str, vm_id: str, body: dict) -> dict:
        """A cold move's first step here: the capsul shut down (forced after COLD_MOVE_TIMEOUT), its
        overlay's digest read and a one-time secret made for its download. Answered the same when
        asked again."""
        known = await self.journal.get(op_id)
        if known is not None and "result" in known:
            return known["result"]
        if known is not None and known.get("step") == "stopped":
            return known["stopped"]
        if not self.real:
            raise MoveRefused("this host runs libvirt's test driver, which cannot move a capsul")
        try:
            state = await self.virt.state(vm_id)
        except VmNotFound:
            raise MoveRefused(f"this host does not have {vm_id}", 404) from None
        was_running = known["was_running"] if known else state == "running"
        entry = known or await self.journal.write({"op_id": op_id, "type": "move_out", "cold": True, "vm_id": vm_id,
                                                   "step": "stopping", "was_running": was_running,
                                                   "network_name": body.get("source_network")})
        if state != "stopped":
            await self.virt.command(vm_id, "shutdown")
            deadline = time.monotonic() + self.config.cold_move_timeout
            while await self.virt.state(vm_id) != "stopped" and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
            if await self.virt.state(vm_id) != "stopped":
                log.warning("%s did not shut down within %g s for its move: forced off", vm_id,
                            self.config.cold_move_timeout)
                await self.virt.command(vm_id, "force-stop")
        disk = self.storage.paths(vm_id).disk
        stopped = {"status": "stopped", "was_running": was_running,
                   "disk": {"sha256": await self.storage.digest_of(disk), "size": (await asyncio.to_thread(disk.stat)).st_size,
                            "token": secrets.token_hex(32)}}
        await self.journal.write({**entry, "step": "stopped", "stopped": stopped})
        return stopped

    async def download_token(self, op_id: str) -> list[str]:
        """The secret a destination signs its download of this move's disk with (none once ended)."""
        try:
            entry = await self.journal.get(op_id)
        except ValueError:
            return []
        if entry is None or entry.get("step") != "stopped":
            return []
        return [entry["stopped"]["disk"]["token"]]

    def disk_of(self, vm_id: str):
        return self.storage.paths(vm_id).disk

    async def move_out_end(self, op_id: str, vm_id: str, outcome: str) -> dict:
        """A cold move's last step here: `done`, the capsul is let go (undefined, its files and
        reservation removed); `undone`, it is started again where it was if it ran."""
        entry = await self.journal.get(op_id)
        if entry is None:
            raise MoveRefused(f"this host began no move {op_id}", 404)
        if "result" in entry:
            return entry["result"]
        if outcome == "done":
            await self.virt.destroy(vm_id)
            return await self._gone(entry)
        state = "stopped"
        if entry.get("was_running"):
            state = await self.virt.command(vm_id, "start")
        return await self._end_out(entry, {"status": "failed", "state": state})


    async def move_out(self, op_id: str, vm_id: str, body: dict) -> dict:
        """Start the move (first ask), or say how it goes (every later one)."""
        known = await self.journal.get(op_id)
        if known is not None and "result" in known:
            return known["result"]
        task = self._out.get(op_id)
        if task is None and known is not None:
            task = self._out[op_id] = asyncio.create_task(self._recover_out(known), name=f"move {op_id}")
        if task is None:
            files, uri = body.get("files"), body.get("migration_uri")
            if not self.real:
                raise MoveRefused("this host runs libvirt's test driver, which cannot move a capsul live")
            try:
                if await self.virt.state(vm_id) != "running":
                    raise MoveRefused("it is not running, so it cannot move live")
            except VmNotFound:
                raise MoveRefused(f"this host does not have {vm_id}", 404) from None
            entry = await self.journal.write({"op_id": op_id, "type": "move_out", "vm_id": vm_id, "step": "migrating",
                                              "network_name": body.get("source_network"), "started": time.time()})
            task = self._out[op_id] = asyncio.create_task(
                self._migrate(entry, uri, files, body.get("network_name"), bool(body.get("tls"))), name=f"move {op_id}")
        if not task.done():
            return {"status": "migrating", "progress": self._progress.get(op_id)}
        self._out.pop(op_id, None)
        return task.result()

    async def _migrate(self, entry: dict, uri: str, files: dict, network_name: str | None, tls: bool) -> dict:
        op_id, vm_id = entry["op_id"], entry["vm_id"]
        watcher = asyncio.create_task(self._watch(op_id, vm_id))
        try:
            await self.virt.migrate_live(vm_id, uri, files, network_name, tls=tls,
                                         bandwidth_mib=self.config.migration_bandwidth_mib or None)
        except HypervisorError as e:
            log.error("%s: moving to %s failed: %s", vm_id, uri, e)
            return await self._end_out(entry, {"status": "failed", "error": str(e)})
        finally:
            watcher.cancel()
        log.info("%s: moved to %s", vm_id, uri)
        return await self._gone(entry)

    async def _watch(self, op_id: str, vm_id: str) -> None:
        while True:
            progress = await self.virt.move_progress(vm_id)
            if progress.running:
                self._progress[op_id] = progress.as_dict()
            await asyncio.sleep(PROGRESS_EVERY)

    async def _gone(self, entry: dict) -> dict:
        """The capsul has left this host: its files and reservation go too."""
        vm_id = entry["vm_id"]
        await self.storage.remove(vm_id)
        if entry.get("network_name"):
            await self.release_dhcp(vm_id, [entry["network_name"]])
        return await self._end_out(entry, {"status": "done"})

    async def _end_out(self, entry: dict, result: dict) -> dict:
        self._progress.pop(entry["op_id"], None)
        await self.journal.write({**entry, "step": "ended", "result": result})
        return result

    async def _recover_out(self, entry: dict) -> dict:
        """A move this spoke began and did not see end (it was killed): the outcome is where the
        capsul is, once no migration job of libvirt's runs."""
        vm_id = entry["vm_id"]
        while (await self.virt.move_progress(vm_id)).running:
            await asyncio.sleep(PROGRESS_EVERY)
        try:
            await self.virt.state(vm_id)
        except VmNotFound:
            log.info("%s: the move begun before this spoke restarted went through", vm_id)
            return await self._gone(entry)
        log.warning("%s: the move begun before this spoke restarted did not go through; it stays here", vm_id)
        return await self._end_out(entry, {"status": "failed",
                                           "error": "its host restarted during the move; the capsul stayed there"})

    async def recover(self) -> list[str]:
        """At start: look again at the moves out a killed spoke left without an outcome (in the
        background: a migration libvirt still runs is waited for); the hub's next ask reads it."""
        found = []
        for entry in await self.journal.unfinished():
            if entry.get("type") == "move_out" and entry["op_id"] not in self._out:
                self._out[entry["op_id"]] = asyncio.create_task(self._recover_out(entry), name=f"move {entry['op_id']}")
                found.append(f"move of {entry['vm_id']} ({entry['op_id']})")
        return found

    async def close(self) -> None:
        """A stopping spoke leaves libvirt's job to finish or fail; recover() reads the outcome."""
        for task in self._out.values():
            task.cancel()
        await asyncio.gather(*self._out.values(), return_exceptions=True)

