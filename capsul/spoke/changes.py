"""Rebuild and resize on a spoke (docs/architecture.md §3, docs/rebuild-and-resize.md): changes to a capsul
that exists, asked by the hub as immediate operations whose answer is the outcome.

Each is journaled (change_journal.py) before any step that cannot be taken back, so that a
spoke killed in the middle ends it at its next start (recover()) in a clear state:

- rebuild: a fresh disk overlay and seed are made beside the capsul's own; only then is it
  forced off and are they swapped in (the old ones kept aside), the domain defined again and
  started. Killed before the swap: the new files are dropped and the capsul is as it was
  (started again if it ran). Killed after: the swap is finished and the capsul started. Never a
  capsul without a disk.
- resize: checked first (room on this host, a disk that only grows, the guest stopped when a
  restart was asked for), then the definition gets the new vCPUs and memory and the disk grows;
  each step is idempotent, so a killed resize is done again to the end.

Refusals (OperationError, 409) change nothing. Asked again with the same operation id, even
after a restart, a spoke answers what the journal holds.
"""
from __future__ import annotations

import asyncio
import logging
import re
import uuid

from capsul.config import Config
from capsul.limits import INT4_MAX, INT8_MAX, is_int
from capsul.spoke.backups.store import ResticStore, StoreError, reference_problem
from capsul.spoke.change_journal import ChangeJournal
from capsul.spoke.domain_xml import build_domain_xml
from capsul.spoke.images.store import DIGEST_RE
from capsul.spoke.storage import Storage, StorageError
from capsul.spoke.virt import Hypervisor, HypervisorError, VmNotFound

log = logging.getLogger(__name__)

FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,199}")  # a file in OS_IMAGES_DIR, never a path
CPU_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")  # as hub/db/networks.py CPU_MODEL_RE
RESTART_NOW, AT_NEXT_STOP = "now", "next-stop"


class ChangeRefused(Exception):
    """Nothing was changed; str() says why, in words for the person."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


class CapsulChanges:
    def __init__(self, config: Config, virt: Hypervisor, storage: Storage, journal: ChangeJournal, *,
                 domain_type: str, why_no_room, forget_host_keys=lambda vm_id: None, store: ResticStore | None = None):
        self.config, self.virt, self.storage, self.journal = config, virt, storage, journal
        self.store = store  # the backup store a restore reads from (capsul/spoke/backups/store.py)
        self.domain_type = domain_type
        self.why_no_room = why_no_room  # (vcpus, memory_mb) -> why this host has no room, or None
        self.forget_host_keys = forget_host_keys  # a rebuilt guest prints new host keys: read them again

    async def run(self, op_id: str, op_type: str, body: dict) -> dict:
        """Do (or answer again, or carry on with) one rebuild or resize."""
        known = await self.journal.get(op_id)
        if known is not None and "result" in known:
            return known["result"]
        if known is not None and "error" in known:
            raise ChangeRefused(known["error"], known.get("status", 409))
        try:
            if known is not None and known.get("type") == op_type:
                return await self._carry_on(known)  # begun, then failed on the way (libvirt, disk): go on
            if op_type == "rebuild":
                return await self._rebuild(op_id, _rebuild_payload(body))
            if op_type == "restore":
                return await self._restore(op_id, _restore_request(body))
            return await self._resize(op_id, _resize_request(body))
        except ChangeRefused as e:
            await self.journal.write({"op_id": op_id, "type": op_type, "vm_id": body.get("vm_id"),
                                      "error": str(e), "status": e.status})
            raise

    async def _carry_on(self, entry: dict) -> dict:
        if entry["type"] == "resize":
            return await self._finish_resize(entry)
        if entry["type"] == "restore":
            if entry["step"] != "swapping":
                return await self._fetch_and_swap(entry)
            return await self._finish_restore(entry)
        if entry["step"] == "swapping":
            return await self._finish_rebuild(entry)
        await self.storage.prepare_rebuild(entry["payload"])
        await self.virt.command(entry["vm_id"], "force-stop")
        return await self._finish_rebuild(await self.journal.write({**entry, "step": "swapping"}))

    # --- rebuild --------------------------------------------------------------------------

    async def _rebuild(self, op_id: str, payload: dict) -> dict:
        vm_id = payload["vm_id"]
        try:
            was_running = await self.virt.state(vm_id) == "running"
        except VmNotFound:
            raise ChangeRefused(f"this host does not have capsul {vm_id}", 404) from None
        try:
            self.storage.check_image(payload)
        except StorageError as e:
            raise ChangeRefused(f"{e}: nothing was changed") from None
        entry = await self.journal.write({"op_id": op_id, "type": "rebuild", "vm_id": vm_id, "step": "begun",
                                          "was_running": was_running, "payload": payload})
        try:
            await self.storage.prepare_rebuild(payload)
        except StorageError as e:
            await self.storage.drop_rebuild(vm_id)
            raise ChangeRefused(f"the host could not make its new disk ({e}): nothing was changed") from None
        await self.virt.command(vm_id, "force-stop")  # its disk is about to be replaced: nothing to save
        return await self._finish_rebuild(await self.journal.write({**entry, "step": "swapping"}))

    async def _finish_rebuild(self, entry: dict) -> dict:
        """From the swap on, each step idempotent: swap the new files in, define the domain again,
        start it, drop the old files."""
        payload, vm_id = entry["payload"], entry["vm_id"]
        await self.storage.swap_in(vm_id)
        xml = build_domain_xml(payload, self.storage.files_for(payload), domain_type=self.domain_type)
        state = await self.virt.redefine_and_start(vm_id, xml)  # its console log starts afresh (append="off")
        self.forget_host_keys(vm_id)
        await self.storage.drop_old(vm_id)
        result = {"vm_id": vm_id, "state": state, "generation": payload["generation"]}
        await self.journal.write({**entry, "step": "done", "result": result})
        log.info("rebuilt %s with %s (generation %d)", vm_id, payload["os_image"], payload["generation"])
        return result

    # --- restore --------------------------------------------------------------------------

    async def _restore(self, op_id: str, ask: dict) -> dict:
        vm_id = ask["vm_id"]
        if self.store is None or not self.store.configured:
            raise ChangeRefused("this host has no backup store (BACKUP_STORE is unset): nothing was changed")
        try:
            was_running = await self.virt.state(vm_id) == "running"
        except VmNotFound:
            raise ChangeRefused(f"this host does not have capsul {vm_id}", 404) from None
        entry = await self.journal.write({"op_id": op_id, "type": "restore", "vm_id": vm_id, "step": "fetching",
                                          "was_running": was_running, "ask": ask})
        return await self._fetch_and_swap(entry)

    async def _fetch_and_swap(self, entry: dict) -> dict:
        """The backup's image fetched beside the capsul's disk and checked; only then is the capsul
        stopped and the swap journaled."""
        ask, vm_id = entry["ask"], entry["vm_id"]
        beside = self.storage.restore_target(vm_id)
        try:
            await self.store.get(ask["snapshot"], ask["backup_id"], beside)
            if await self.storage.digest_of(beside) != ask["digest"]:
                raise StorageError("the image the backup store returned is not the one backed up (its SHA-256 "
                                   "differs)")
            await self.storage.grow_file(beside, ask["disk_gb"])  # the capsul may have grown since
        except (StoreError, StorageError) as e:
            await self.storage.drop_rebuild(vm_id)
            raise ChangeRefused(f"the backup could not be fetched ({e}): nothing was changed") from None
        await self.virt.command(vm_id, "force-stop")  # its disk is about to be replaced: nothing to save
        return await self._finish_restore(await self.journal.write({**entry, "step": "swapping"}))

    async def _finish_restore(self, entry: dict) -> dict:
        """From the swap on, each step idempotent: the backup's disk in (the seed and console log
        kept: the same addresses, keys and host keys), the capsul started, the old disk dropped."""
        vm_id = entry["vm_id"]
        await self.storage.swap_in(vm_id, keep_console_log=True)
        state = await self.virt.command(vm_id, "start") if await self.virt.state(vm_id) != "running" else "running"
        await self.storage.drop_old(vm_id)
        result = {"vm_id": vm_id, "state": state}
        await self.journal.write({**entry, "step": "done", "result": result})
        log.info("restored backup %s into %s", entry["ask"]["backup_id"], vm_id)
        return result

    # --- resize ---------------------------------------------------------------------------

    async def _resize(self, op_id: str, ask: dict) -> dict:
        vm_id = ask["vm_id"]
        try:
            state = await self.virt.state(vm_id)
            vcpus, memory_mb = await self.virt.defined_size(vm_id)
        except VmNotFound:
            raise ChangeRefused(f"this host does not have capsul {vm_id}", 404) from None
        have_gb = await self.storage.disk_gb(vm_id)
        if have_gb is not None and ask["disk_gb"] < have_gb:
            raise ChangeRefused(f"its disk is {have_gb} GB and a disk only grows: nothing was changed")
        more_vcpus, more_memory = max(0, ask["vcpus"] - vcpus), max(0, ask["memory_mb"] - memory_mb)
        if (more_vcpus or more_memory) and (why := await self.why_no_room(more_vcpus, more_memory)):
            raise ChangeRefused(f"its host has no room for that size ({why}): nothing was changed")
        restart = state == "running" and ask["restart"] == RESTART_NOW
        # journaled before the guest is stopped: a spoke killed while it shuts down starts it again
        entry = await self.journal.write({"op_id": op_id, "type": "resize", "vm_id": vm_id, "step": "begun",
                                          "start_after": restart, "kept_running": state == "running" and not restart,
                                          "ask": ask})
        return await self._finish_resize(entry)

    async def _stop_for_resize(self, vm_id: str, force: bool) -> None:
        """ACPI shutdown, waited for SHUTDOWN_TIMEOUT; forced off after it only if the person allowed it."""
        state = await self.virt.command(vm_id, "shutdown")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.shutdown_timeout
        while state != "stopped" and loop.time() < deadline:
            await asyncio.sleep(0.25)
            state = await self.virt.state(vm_id)
        if state != "stopped":
            if not force:
                raise ChangeRefused(f"it did not shut down within {self.config.shutdown_timeout:g} s, and forcing it "
                                    "off was not allowed: nothing was changed")
            await self.virt.command(vm_id, "force-stop")

    async def _finish_resize(self, entry: dict) -> dict:
        """Every step idempotent: a resize journaled and interrupted is finished by doing it again."""
        ask, vm_id = entry["ask"], entry["vm_id"]
        if entry["start_after"] and await self.virt.state(vm_id) == "running":
            await self._stop_for_resize(vm_id, ask["force"])  # refused: nothing is changed yet
        await self.virt.set_defined_size(vm_id, ask["vcpus"], ask["memory_mb"])
        if await self.virt.state(vm_id) == "running":  # at the next stop: the disk grows under the guest
            have_gb = await self.storage.disk_gb(vm_id)
            if have_gb is not None and have_gb < ask["disk_gb"]:
                await self.virt.grow_disk_live(vm_id, str(self.storage.paths(vm_id).disk), ask["disk_gb"])
        else:
            await self.storage.grow(vm_id, ask["disk_gb"])
            if entry["start_after"]:
                await self.virt.command(vm_id, "start")
        result = {"vm_id": vm_id, "state": await self.virt.state(vm_id),
                  "applies": "at the next start" if entry["kept_running"] else "now"}
        await self.journal.write({**entry, "step": "done", "result": result})
        log.info("resized %s to %d vCPUs, %d MB, %d GB (applies %s)", vm_id, ask["vcpus"], ask["memory_mb"],
                 ask["disk_gb"], result["applies"])
        return result

    # --- after a restart ------------------------------------------------------------------

    async def recover(self) -> list[str]:
        """End what a killed spoke left under way; returns what it did, a line each. A rebuild not yet
        at its swap is undone (its new disk may be half made); everything else is finished."""
        told = []
        for entry in await self.journal.unfinished():
            vm_id = entry.get("vm_id")
            try:
                if entry.get("type") in ("rebuild", "restore") and entry.get("step") != "swapping":
                    await self.storage.drop_rebuild(vm_id)
                    if entry.get("was_running"):
                        await self.virt.command(vm_id, "start")
                    await self.journal.write({**entry, "status": 409, "error": "its host restarted before the new "
                                                                               "disk was put in: nothing was changed"})
                    told.append(f"undid the {entry['type']} of {vm_id}")
                elif entry.get("type") in ("rebuild", "resize", "restore"):
                    await self._carry_on(entry)
                    told.append(f"finished the {entry['type']} of {vm_id}")
            except ChangeRefused as e:  # a resize whose guest will not shut down: as it was
                await self.journal.write({**entry, "error": str(e), "status": e.status})
                told.append(f"gave up the {entry['type']} of {vm_id}: {e}")
            except (HypervisorError, StorageError) as e:
                log.error("cannot end the interrupted %s of %s: %s", entry.get("type"), vm_id, e)
        for line in told:
            log.info("%s (interrupted by a restart)", line)
        return told


def _rebuild_payload(body: dict) -> dict:
    """The hub's rebuild payload, checked field by field (it names files and goes into XML)."""
    payload = body.get("payload")
    if not isinstance(payload, dict) or payload.get("vm_id") != body.get("vm_id"):
        raise ChangeRefused("a rebuild needs its payload, for this capsul", 400)
    return check_payload(payload, "rebuild")


def check_payload(payload: dict, what: str, *, first_generation: int = 1) -> dict:
    """A capsul's payload as a claim answers it (a rebuild's, a move's), checked field by field."""
    checks = {
        "vcpus": is_int(payload.get("vcpus"), 1, INT4_MAX), "memory_mb": is_int(payload.get("memory_mb"), 1, INT4_MAX),
        "disk_gb": is_int(payload.get("disk_gb"), 1, 65536),
        "generation": is_int(payload.get("generation"), first_generation, INT4_MAX),
        "os_image": isinstance(payload.get("os_image"), str) and len(payload["os_image"]) <= 100,
        "os_image_file": (payload.get("os_image_file") is None and bool(payload.get("os_image_sha256")))
        or (isinstance(payload.get("os_image_file"), str) and FILE_NAME.fullmatch(payload["os_image_file"])),
        "os_image_sha256": payload.get("os_image_sha256") is None
        or (isinstance(payload["os_image_sha256"], str) and DIGEST_RE.fullmatch(payload["os_image_sha256"])),
        "os_image_url": payload.get("os_image_url") is None
        or (isinstance(payload["os_image_url"], str) and payload["os_image_url"].startswith(("http://", "https://"))
            and len(payload["os_image_url"]) <= 2000),
        "os_image_size": payload.get("os_image_size") is None or is_int(payload["os_image_size"], 1, INT8_MAX),
        "ssh_public_keys": isinstance(payload.get("ssh_public_keys"), list) and 0 < len(payload["ssh_public_keys"]) <= 50
        and all(isinstance(k, str) and len(k) <= 16_000 for k in payload["ssh_public_keys"]),
        "dns_servers": isinstance(payload.get("dns_servers", []), list)
        and all(isinstance(d, str) and len(d) <= 64 for d in payload.get("dns_servers", [])),
        "cpu_model": payload.get("cpu_model") is None
        or (isinstance(payload["cpu_model"], str) and CPU_MODEL.fullmatch(payload["cpu_model"])),
        "keep_host_keys": isinstance(payload.get("keep_host_keys", False), bool),
    }
    for name in ("kernel_file", "initrd_file"):
        checks[name] = payload.get(name) is None or (isinstance(payload[name], str) and FILE_NAME.fullmatch(payload[name]))
    for name in ("public_ipv4", "public_ipv6", "network_name", "ipv4_gateway", "ipv6_gateway", "kernel_cmdline",
                 "size", "segment"):
        checks[name] = payload.get(name) is None or (isinstance(payload[name], str) and len(payload[name]) <= 500)
    for name in ("ipv4_prefix", "ipv6_prefix"):
        checks[name] = payload.get(name) is None or is_int(payload[name], 0, 128)
    wrong = sorted(name for name, ok in checks.items() if not ok)
    if wrong:
        raise ChangeRefused(f"the {what} payload's {', '.join(wrong)} are not what they should be", 400)
    return payload


def _restore_request(body: dict) -> dict:
    if problem := reference_problem(body):
        raise ChangeRefused(problem, 400)
    if not is_int(body.get("disk_gb"), 1, 65536):
        raise ChangeRefused("disk_gb must be a whole number of GB from 1 to 65536", 400)
    return {"vm_id": body.get("vm_id"), "backup_id": str(uuid.UUID(body["backup_id"])), "snapshot": body["snapshot"],
            "digest": body["digest"], "disk_gb": body["disk_gb"]}


def _resize_request(body: dict) -> dict:
    ask = {k: body.get(k) for k in ("vm_id", "vcpus", "memory_mb", "disk_gb", "restart", "force")}
    if not (is_int(ask["vcpus"], 1, INT4_MAX) and is_int(ask["memory_mb"], 1, INT4_MAX)
            and is_int(ask["disk_gb"], 1, 65536) and ask["restart"] in (RESTART_NOW, AT_NEXT_STOP)
            and isinstance(ask["force"], bool)):
        raise ChangeRefused("a resize needs vcpus, memory_mb, disk_gb (whole numbers), restart (now or next-stop) "
                            "and force (true or false)", 400)
    return ask
