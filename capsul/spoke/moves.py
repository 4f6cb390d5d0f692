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

A spoke killed during `move_out` finds the entry at its next start (recover()): it waits for a
migration job libvirt may still be running, then the outcome is where the capsul is: still here
(failed: it stayed) or gone (done: it moved).
"""
from __future__ import annotations

import asyncio
import logging
import time

from capsul.config import Config
from capsul.spoke.change_journal import ChangeJournal
from capsul.spoke.images.store import ImageError
from capsul.spoke.storage import Storage, StorageError
from capsul.spoke.virt import Hypervisor, HypervisorError, VmNotFound

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5  # seconds between reads of libvirt's job stats while a move runs
FILE_KEYS = ("disk", "seed", "console_log", "kernel", "initrd")


class MoveRefused(Exception):
    """Nothing was moved; str() says why, in words for the operator (and the person)."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


class CapsulMoves:
    def __init__(self, config: Config, virt: Hypervisor, storage: Storage, journal: ChangeJournal, *,
                 why_no_room, reserve_dhcp, release_dhcp, real: bool):
        self.config, self.virt, self.storage, self.journal = config, virt, storage, journal
        self.why_no_room = why_no_room  # (vcpus, memory_mb) -> why this host has no room, or None
        self.reserve_dhcp, self.release_dhcp = reserve_dhcp, release_dhcp
        self.real = real  # libvirt's test driver cannot migrate: moves are refused there
        self._out: dict[str, asyncio.Task] = {}  # op id -> its migration under way
        self._progress: dict[str, dict] = {}  # op id -> the last job stats read

    # --- the destination ---------------------------------------------------------------------

    async def move_in(self, op_id: str, vm_id: str, payload: dict) -> dict:
        known = await self.journal.get(op_id)
        if known is not None and "ready" in known:
            return known["ready"]
        if known is not None and "error" in known:
            raise MoveRefused(known["error"], known.get("status", 409))
        try:
            return await self._prepare(op_id, vm_id, payload)
        except MoveRefused as e:
            await self.journal.write({"op_id": op_id, "type": "move_in", "vm_id": vm_id, "error": str(e),
                                      "status": e.status})
            raise

    async def _prepare(self, op_id: str, vm_id: str, payload: dict) -> dict:
        if not self.real:
            raise MoveRefused("this host runs libvirt's test driver, which cannot take a capsul moved live")
        if not self.config.migration_uri:
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
            files = await self.storage.prepare(payload)
            await asyncio.to_thread(files.console_log.touch)
            await self.reserve_dhcp(payload)
        except (StorageError, ImageError, HypervisorError) as e:
            await self._drop(vm_id, payload.get("network_name"))
            raise MoveRefused(f"this host could not make the capsul's files ready: {e}") from None
        ready = {"ready": True, "migration_uri": self.config.migration_uri, "tls": self.config.migration_tls,
                 "network_name": payload.get("network_name"),
                 "files": {k: str(getattr(files, k)) for k in FILE_KEYS if getattr(files, k) is not None}}
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

    # --- the source ----------------------------------------------------------------------------

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

