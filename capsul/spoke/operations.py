"""What a spoke does when the hub asks (docs/architecture.md §3).

Immediate operations answer with their result. A create is *offered*: the spoke checks
its own capacity, claims the operation at the hub, and only with the claim in hand
builds the VM; a refused claim (409) means another host owns it and nothing is made.

Every operation is idempotent on its id: a retried request joins or repeats the first
one's answer and never makes a second VM.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import re
import shutil
import uuid
from dataclasses import dataclass

from capsul.vm_ids import is_vm_id
from capsul import signing
from capsul.backoff import Backoff
from capsul.config import MIGRATION_URI_RE, Config
from capsul.limits import INT4_MAX, INT8_MAX, is_int
from capsul.protocol import REFUSED_CLAIMED, REFUSED_NO_ROOM
from capsul.spoke.backups.jobs import BackupJobs, BackupRefused
from capsul.spoke.backups.store import SNAPSHOT_RE, ResticStore, StoreError
from capsul.spoke.change_journal import ChangeJournal
from capsul.spoke.changes import CapsulChanges, ChangeRefused, check_payload
from capsul.spoke.cloud_init import mac_for_ipv4
from capsul.spoke.domain_xml import build_domain_xml, interface_networks
from capsul.spoke.events import EventOutbox
from capsul.spoke.firewall.keeper import FirewallKeeper
from capsul.spoke.hub_client import HubClient
from capsul.spoke.images.fetcher import ImageFetcher
from capsul.spoke.images.store import DIGEST_RE, ImageError, ImageStore
from capsul.spoke.moves import FILE_KEYS, CapsulMoves, MoveRefused
from capsul.spoke.storage import Storage, StorageError
from capsul.spoke.virt import Hypervisor, HypervisorError, VmNotFound

log = logging.getLogger(__name__)

COMMANDS = ("start", "shutdown", "force-stop", "reboot")

REMEMBERED_OPERATIONS = 10_000


class OperationError(Exception):
    """An operation the spoke cannot do; answered with `status` and the standard JSON error."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class Reservation:
    vcpus: int
    memory_mb: int


class SpokeOperations:
    def __init__(self, config: Config, virt: Hypervisor, hub: HubClient, outbox: EventOutbox):
        self.config = config
        self.virt = virt
        self.hub = hub
        self.outbox = outbox
        on_test_driver = config.libvirt_uri.startswith("test:")
        self.domain_type = "test" if on_test_driver else config.libvirt_domain_type
        # NOTE: the test driver cannot use real files: only the file work is skipped there.
        self.images = ImageFetcher(config, ImageStore(config.os_images_dir), lambda: hub.session)
        self.storage = Storage(config.os_images_dir, config.vm_storage_dir, real=not on_test_driver,
                               images=self.images)
        # op id -> the task doing it; bounded, oldest forgotten first
        self._operations: collections.OrderedDict[str, asyncio.Task] = collections.OrderedDict()
        self._reserved: dict[str, Reservation] = {}  # creates accepted but not yet defined
        self._reserving = asyncio.Lock()
        self._creating: dict[str, asyncio.Task] = {}  # vm id -> its offer being checked and claimed
        self._builds: dict[str, asyncio.Task] = {}  # vm id -> its build under way
        self._building_state: dict[str, str] = {}  # vm id -> what its build is doing, as the hub was told
        self._shutdowns: dict[str, asyncio.Task] = {}  # vm id -> the one wait for its ACPI shutdown
        self._changing: dict[str, asyncio.Lock] = {}  # vm id -> held while it is rebuilt or resized
        store = ResticStore(config, config.spoke_dir / "restic-cache")
        self.storage.store = store
        self.changes = CapsulChanges(config, virt, self.storage, ChangeJournal(config.spoke_dir / "changes"),
                                     domain_type=self.domain_type, why_no_room=self._why_no_room, store=store)
        self.backups = BackupJobs(config, virt, store, ChangeJournal(config.spoke_dir / "backups"))
        self.moves = CapsulMoves(config, virt, self.storage, ChangeJournal(config.spoke_dir / "moves"),
                                 why_no_room=self._why_no_room, reserve_dhcp=self._reserve_dhcp,
                                 release_dhcp=self._release_dhcp, real=not on_test_driver,
                                 session=lambda: hub.session, domain_type=self.domain_type)
        self.firewall = FirewallKeeper(config, virt)

    def _once(self, op_id: str, make) -> asyncio.Task:
        task = self._operations.get(op_id)
        if task is None:
            task = asyncio.create_task(make(), name=f"operation {op_id}")
            self._operations[op_id] = task
            while len(self._operations) > REMEMBERED_OPERATIONS:
                self._operations.popitem(last=False)
        return task

    async def run_immediate(self, body: dict) -> dict:
        op_id, op_type = body.get("id"), body.get("type")
        if not isinstance(op_id, str) or not op_id:
            raise OperationError("operation id missing")
        handlers = {"list": self._list, "capacity_available": self._capacity_available, "get": self._get,
                    "destroy": self._destroy, "vm_state_command": self._vm_state_command,
                    "rebuild": lambda body: self._change(op_id, "rebuild", body),
                    "resize": lambda body: self._change(op_id, "resize", body),
                    "restore": lambda body: self._change(op_id, "restore", body),
                    "forget_backups": self._forget_backups}
        if op_type == "fetch_image":  # asked again for its progress: answered anew each time
            return await self._fetch_image(body)
        if op_type == "backup":  # asked again and again for its progress: answered anew each time
            return await self._backup(op_id, body)
        if op_type in ("move_in", "move_out", "move_in_end", "move_out_end"):  # a move's steps, asked again until done
            return await self._move(op_id, op_type, body)
        if op_type not in handlers:
            raise OperationError(f"unknown operation type {op_type!r}")
        # shield: a hub that gives up waiting does not cancel work half-done
        return await asyncio.shield(self._once(op_id, lambda: handlers[op_type](body)))

    async def _list(self, body: dict) -> dict:
        # NOTE: the sequence number first: the listing then reflects at least every event up to it.
        seq = self.outbox.last_seq
        listed = await self.virt.list_capsuls()
        # capsuls still being built (their image fetched, say) are this host's too, not missing
        defined = {vm["vm_id"] for vm in listed}
        listed += [{"vm_id": vm_id, "state": self._building_state.get(vm_id, "creating")}
                   for vm_id in self._builds if vm_id not in defined]
        return {"vms": listed, "last_event_seq": seq}

    async def _capacity_available(self, body: dict) -> dict:
        vcpus, memory_mb = _size(body)
        reason = await self._why_no_room(vcpus, memory_mb)
        capacity = await self.virt.capacity()
        return {"available": reason is None, "reason": reason, "capacity": capacity.as_dict()}

    async def _build_done(self, vm_id: str) -> None:
        """Let a claim or build of `vm_id` under way finish first, so a destroy or command acts
        on the real VM (and a destroy can never be overtaken by the build it raced)."""
        for pending in (self._creating, self._builds):
            task = pending.get(vm_id)
            if task is not None:
                await asyncio.wait([task])

    async def _get(self, body: dict) -> dict:
        vm_id = _vm_id(body)
        await self._build_done(vm_id)
        try:
            return {"vm_id": vm_id, "state": await self.virt.state(vm_id)}
        except VmNotFound as e:
            raise OperationError(str(e), 404) from None

    async def _destroy(self, body: dict) -> dict:
        vm_id = _vm_id(body)
        await self._build_done(vm_id)
        networks = await self._networks_of(vm_id, body.get("network_name"))
        existed = await self.virt.destroy(vm_id)
        removed = await self.storage.remove(vm_id)
        released = await self._release_dhcp(vm_id, networks)
        return {"vm_id": vm_id, "existed": existed, "removed_files": len(removed), "released_dhcp": released,
                "state": "deleted"}

    async def _networks_of(self, vm_id: str, named: object) -> list[str]:
        """The libvirt networks a capsul may hold a DHCP reservation on: the one the hub names
        (its pool's) and those its domain's interfaces attach to, if it still exists."""
        networks = [named] if isinstance(named, str) and named else []
        try:
            networks += interface_networks(await self.virt.xml(vm_id))
        except HypervisorError:
            pass  # gone already (or never defined): the hub's word is all there is
        return list(dict.fromkeys(networks))

    async def _release_dhcp(self, vm_id: str, networks: list[str]) -> list[str]:
        released = []
        for network in networks:
            try:
                if await self.virt.release_dhcp(network, vm_id):
                    released.append(network)
            except HypervisorError as e:
                log.error("removing the DHCP reservation of %s: %s", vm_id, e)
        return released

    async def _change(self, op_id: str, op_type: str, body: dict) -> dict:
        """A rebuild or resize (capsul/spoke/changes.py), one at a time per capsul."""
        vm_id = _vm_id(body)
        _journaled_id(op_id)
        await self._build_done(vm_id)
        async with self._changing.setdefault(vm_id, asyncio.Lock()):
            try:
                return await self.changes.run(op_id, op_type, body)
            except ChangeRefused as e:
                raise OperationError(str(e), e.status) from None
            except StorageError as e:
                raise OperationError(f"{op_type} of {vm_id}: {e}", 503) from None

    async def _backup(self, op_id: str, body: dict) -> dict:
        """A backup (capsul/spoke/backups/jobs.py): started by the first ask, its status after."""
        vm_id = _vm_id(body)
        _journaled_id(op_id)
        try:
            return await self.backups.ask(op_id, vm_id)
        except BackupRefused as e:
            raise OperationError(str(e), e.status) from None

    async def _move(self, op_id: str, op_type: str, body: dict) -> dict:
        """A step of a move between hosts (capsul/spoke/moves.py), checked field by field: its
        values name files, go into domain XML and reach libvirt."""
        vm_id = _vm_id(body)
        _journaled_id(op_id)
        try:
            if op_type == "move_in":
                payload = body.get("payload")
                if not isinstance(payload, dict) or payload.get("vm_id") != vm_id:
                    raise OperationError("a move_in needs the capsul's payload")
                download = _download(body.get("download"))
                await self._build_done(vm_id)
                async with self._changing.setdefault(vm_id, asyncio.Lock()):
                    return await self.moves.move_in(op_id, vm_id, _move_payload(payload), download)
            if op_type in ("move_in_end", "move_out_end"):
                if body.get("outcome") not in ("done", "undone"):
                    raise OperationError("outcome is done or undone")
                end = self.moves.move_in_end if op_type == "move_in_end" else self.moves.move_out_end
                return await end(op_id, vm_id, body["outcome"])
            if body.get("cold") is True:
                async with self._changing.setdefault(vm_id, asyncio.Lock()):
                    return await self.moves.stop_for_move(op_id, vm_id, body)
            return await self.moves.move_out(op_id, vm_id, _move_out_request(body))
        except MoveRefused as e:
            raise OperationError(str(e), e.status) from None

    async def _forget_backups(self, body: dict) -> dict:
        """Forget snapshots in the backup store and prune what nothing else uses: the hub chose them."""
        snapshots = body.get("snapshots")
        if (not isinstance(snapshots, list) or not 0 < len(snapshots) <= 1000
                or not all(isinstance(s, str) and SNAPSHOT_RE.fullmatch(s) for s in snapshots)):
            raise OperationError("snapshots must be a list of 1 to 1000 snapshot ids (hexadecimal)")
        if not self.backups.store.configured:
            raise OperationError("this host has no backup store (BACKUP_STORE is unset)", 503)
        try:
            await self.backups.store.forget(snapshots)
        except StoreError as e:
            raise OperationError(str(e), 503) from None
        return {"forgotten": len(snapshots)}

    async def _fetch_image(self, body: dict) -> dict:
        """Start fetching an image (by digest, from its URL) unless this host has it; its status."""
        digest, url, size = body.get("sha256"), body.get("url"), body.get("size_bytes")
        if not isinstance(digest, str) or not DIGEST_RE.fullmatch(digest):
            raise OperationError("sha256 must be 64 hexadecimal digits")
        if not (isinstance(url, str) and url.startswith(("http://", "https://")) and len(url) <= 2000
                and is_int(size, 1, INT8_MAX)):
            raise OperationError("url must be an http(s) URL and size_bytes the image's size in bytes")
        if not self.images.store.has(digest) and not self.images.fetching(digest):
            task = asyncio.create_task(self.images.ensure(digest, url, size), name=f"fetch {digest[:12]}")
            task.add_done_callback(lambda t: t.cancelled() or t.exception())  # the report says how it went
        return {"sha256": digest, **self.images.report().get(digest, {"state": "fetching", "done": 0,
                                                                       "total": size})}

    async def _vm_state_command(self, body: dict) -> dict:
        vm_id, command = _vm_id(body), body.get("command")
        if command not in COMMANDS:
            raise OperationError(f"unknown command {command!r}; use one of {', '.join(COMMANDS)}")
        await self._build_done(vm_id)
        try:
            state = await self.virt.command(vm_id, command)
            if command == "shutdown" and state != "stopped":
                state = await asyncio.shield(self._shutdown_wait(vm_id))
            return {"vm_id": vm_id, "state": state}
        except VmNotFound as e:
            raise OperationError(str(e), 404) from None

    def _shutdown_wait(self, vm_id: str) -> asyncio.Task:
        """The one wait for this capsul's shutdown: a repeated `shutdown` joins it, never starts another."""
        task = self._shutdowns.get(vm_id)
        if task is None:
            task = self._shutdowns[vm_id] = asyncio.create_task(self._await_shutdown(vm_id),
                                                                name=f"shutdown of {vm_id}")
            task.add_done_callback(lambda _: self._shutdowns.pop(vm_id, None))
        return task

    async def _await_shutdown(self, vm_id: str) -> str:
        """An ACPI shutdown is a request: wait for the guest to stop, then force it if so configured."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.shutdown_timeout
        while loop.time() < deadline:
            await asyncio.sleep(0.25)
            state = await self.virt.state(vm_id)
            if state == "stopped":
                return state
        if self.config.shutdown_force:
            log.info("%s did not shut down within %g s: forcing it off", vm_id, self.config.shutdown_timeout)
            return await self.virt.command(vm_id, "force-stop")
        return await self.virt.state(vm_id)

    # --- create --------------------------------------------------------------------------

    async def _why_no_room(self, vcpus: int, memory_mb: int) -> str | None:
        capacity = await self.virt.capacity()
        reserved_mem = sum(r.memory_mb for r in self._reserved.values())
        reserved_cpu = sum(r.vcpus for r in self._reserved.values())
        free_mem = capacity.memory_mb * self.config.overcommit_memory_ratio - capacity.committed_memory_mb - reserved_mem
        free_cpu = capacity.cpus * self.config.overcommit_cpu_ratio - capacity.committed_cpus - reserved_cpu
        if free_mem < memory_mb:
            return f"not enough memory ({max(0, int(free_mem))} MB free)"
        if free_cpu < vcpus:
            return f"not enough vCPUs ({max(0, int(free_cpu))} free)"
        return None

    async def offer_create(self, op_id: str, body: dict) -> dict:
        if body.get("type") != "create":
            raise OperationError("only a create can be offered")
        try:
            op_id = str(uuid.UUID(op_id))
        except ValueError:
            raise OperationError("operation id must be a UUID") from None
        vcpus, memory_mb = _size(body)
        vm_id = _vm_id(body)
        task = self._once(op_id, lambda: self._create(op_id, vm_id, vcpus, memory_mb))
        if not task.done() and vm_id not in self._creating:
            self._creating[vm_id] = task
            task.add_done_callback(lambda _: self._creating.pop(vm_id, None))
        return await asyncio.shield(task)

    async def _create(self, op_id: str, vm_id: str, vcpus: int, memory_mb: int) -> dict:
        if await self.virt.exists(vm_id):
            # Built before (e.g. before this spoke restarted): ours only if the hub says so.
            payload = await self._claim(op_id)
            if payload is None:
                return {"accepted": False, "kind": REFUSED_CLAIMED, "reason": "operation is claimed by another host"}
            return {"accepted": True, "claimed": True, "vm_id": vm_id}
        async with self._reserving:  # check and reserve as one step: concurrent offers cannot overbook
            reason = await self._why_no_room(vcpus, memory_mb)
            if reason is not None:
                return {"accepted": False, "kind": REFUSED_NO_ROOM, "reason": reason}
            self._reserved[op_id] = Reservation(vcpus, memory_mb)
        try:
            payload = await self._claim(op_id)
        except BaseException:
            self._reserved.pop(op_id, None)
            raise
        if payload is None:
            self._reserved.pop(op_id, None)
            return {"accepted": False, "kind": REFUSED_CLAIMED,
                    "reason": "operation is claimed by another host or closed"}
        build = asyncio.create_task(self._build(op_id, payload), name=f"build {vm_id}")
        self._builds[vm_id] = build
        build.add_done_callback(lambda _: self._builds.pop(vm_id, None))
        return {"accepted": True, "claimed": True, "vm_id": vm_id}

    async def _claim(self, op_id: str) -> dict | None:
        """The full payload if this host owns the create, None if the hub refused (409).

        A claim whose answer is lost is retried: the hub answers a retried claim by the
        owner with the same payload, so the spoke learns it won. Gives up (None) after
        CLAIM_RETRY_WINDOW seconds without any answer.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.claim_retry_window
        backoff = Backoff(first=0.2, ceiling=5.0)
        while True:
            try:
                answer = await self.hub.call(f"/hub/claim-operation/{op_id}", {},
                                             timeout=self.config.operation_timeout)
                payload = answer.get("operation")
                if not isinstance(payload, dict) or payload.get("vm_id") is None:
                    raise signing.CallFailed("invalid claim answer", kind="invalid")
                return payload
            except signing.CallFailed as e:
                if e.status in (404, 409):
                    log.info("claim of %s refused: %s", op_id, e)
                    return None
                if loop.time() + backoff.delay > deadline:
                    log.error("giving up claiming %s after %g s: %s", op_id, self.config.claim_retry_window, e)
                    return None
                log.warning("claim of %s got no answer (%s); retrying", op_id, e)
                await backoff.wait()

    async def _build(self, op_id: str, payload: dict) -> None:
        """Make the VM this host has claimed. Completion reaches the hub as events."""
        vm_id = payload["vm_id"]
        try:
            digest = payload.get("os_image_sha256")
            if digest and not self.images.store.has(digest):
                self._building_state[vm_id] = "fetching-image"
                self.outbox.emit(vm_id, "fetching-image", "its host is fetching its OS image")
                await self.storage.base_image(payload)
                self._building_state[vm_id] = "creating"
                self.outbox.emit(vm_id, "creating", "its OS image is here")
            files = await self.storage.prepare(payload)
            await self._reserve_dhcp(payload)
            xml = build_domain_xml(payload, files, domain_type=self.domain_type)
            state = await self.virt.define_and_start(vm_id, xml)
            log.info("built %s (%s, %s)", vm_id, payload.get("size"), payload.get("public_ipv4"))
            return state
        except (HypervisorError, StorageError, ImageError) as e:
            log.error("building %s failed: %s", vm_id, e)
            try:  # leave nothing half-made behind
                await self.virt.destroy(vm_id)
            except HypervisorError as cleanup:
                log.error("cleaning up %s failed: %s", vm_id, cleanup)
            await self.storage.remove(vm_id)
            await self._release_dhcp(vm_id, [payload["network_name"]] if payload.get("network_name") else [])
            self.outbox.emit(vm_id, "failed", f"the host could not build it: {e}")
        finally:
            self._reserved.pop(op_id, None)
            self._building_state.pop(vm_id, None)

    async def _reserve_dhcp(self, payload: dict) -> None:
        """Where the capsul's libvirt network serves DHCP for its address, reserve it (MAC -> IPv4):
        a guest that asks DHCP gets the address it is configured with, never another one."""
        network, ipv4 = payload.get("network_name"), payload.get("public_ipv4")
        if not network or not ipv4:
            return
        done = await self.virt.reserve_dhcp(network, mac_for_ipv4(ipv4), ipv4, payload["vm_id"])
        if done == "no DHCP":
            log.debug("%s: libvirt network %s serves no DHCP for %s: nothing to reserve", payload["vm_id"], network,
                      ipv4)
        else:
            log.info("%s: DHCP reservation %s -> %s on %s %s", payload["vm_id"], mac_for_ipv4(ipv4), ipv4, network,
                     done)

    async def start_images(self) -> None:
        """Adopt the OS image files placed here by hand (hashed once) and drop fetches a stop cut short."""
        adopted = await asyncio.to_thread(self.images.store.adopt)
        if adopted:
            log.info("OS images here: %s", ", ".join(f"{name} (sha256 {d[:12]}…)" for name, d in adopted.items()))
        await asyncio.to_thread(shutil.rmtree, self.images.store.fetching, True)

    async def clean_images_forever(self) -> None:
        """Every IMAGE_CLEANUP_INTERVAL, remove the fetched images no disk here is built on."""
        while True:
            await asyncio.sleep(self.config.image_cleanup_interval)
            try:
                await self.images.store.remove_unused([self.config.vm_storage_dir], self.config.image_keep_days)
            except OSError as e:
                log.error("removing unused OS images: %s", e)

    async def close(self) -> None:
        """Wait for builds under way, so no claimed VM is left half-made by a clean stop."""
        await self.backups.close()  # a backup stopped here is ended (failed) at the next start
        await self.moves.close()  # a move stopped here is read from where its capsul is at the next start
        if self._builds:
            await asyncio.gather(*self._builds.values(), return_exceptions=True)
        for task in list(self._shutdowns.values()):  # waits, nothing half-done: they can stop
            task.cancel()
        await asyncio.gather(*self._shutdowns.values(), return_exceptions=True)


def _journaled_id(op_id: str) -> None:
    """An operation that a journal keeps by its id (a file name): a UUID, never a path."""
    try:
        uuid.UUID(op_id)
    except ValueError:
        raise OperationError("operation id must be a UUID") from None


def _vm_id(body: dict) -> str:
    vm_id = body.get("vm_id")
    # NOTE: the id names files and domains here: the whole shape, never only its prefix.
    if not is_vm_id(vm_id):
        raise OperationError("vm_id must name a capsul (capsul- and ten of a-z 0-9)")
    return vm_id


def _size(body: dict) -> tuple[int, int]:
    vcpus, memory_mb = body.get("vcpus"), body.get("memory_mb")
    for name, value in (("vcpus", vcpus), ("memory_mb", memory_mb)):
        if not is_int(value, 1, INT4_MAX):
            raise OperationError(f"{name} must be a whole number from 1 to {INT4_MAX}")
    return vcpus, memory_mb


def _move_payload(payload: dict) -> dict:
    """A move_in's payload: the rebuild payload's checks (its fields are a create's), its generation
    from 0, and the segment's CPU model."""
    try:
        return check_payload(payload, "move", first_generation=0)
    except ChangeRefused as e:
        raise OperationError(str(e)) from None


def _download(download) -> dict | None:
    """A cold move's download of the disk from its source: where, its digest and size, the secret."""
    if download is None:
        return None
    if (not isinstance(download, dict) or not isinstance(download.get("url"), str)
            or not re.fullmatch(r"https://[^/\s]{1,300}", download["url"])
            or not isinstance(download.get("sha256"), str) or not DIGEST_RE.fullmatch(download["sha256"])
            or not isinstance(download.get("token"), str) or not re.fullmatch(r"[0-9a-f]{64}", download["token"])
            or not is_int(download.get("size"), 0, INT8_MAX) or not isinstance(download.get("start", False), bool)):
        raise OperationError("download must give the source's https URL, the disk's sha256 and size, the secret "
                             "and whether to start it")
    return download


def _move_out_request(body: dict) -> dict:
    files = body.get("files")
    if not isinstance(body.get("migration_uri"), str) or not MIGRATION_URI_RE.fullmatch(body["migration_uri"]):
        raise OperationError("migration_uri must be a libvirt URI such as qemu+tls://spoke2.example/system")
    if (not isinstance(files, dict) or not set(files) <= set(FILE_KEYS) or "disk" not in files
            or not all(isinstance(p, str) and p.startswith("/") and len(p) <= 4096 and "\0" not in p
                       for p in files.values())):
        raise OperationError("files must name the destination's disk, seed and console log by absolute paths")
    for name in ("network_name", "source_network"):
        if body.get(name) is not None and (not isinstance(body[name], str) or len(body[name]) > 100):
            raise OperationError(f"{name} must be a libvirt network name")
    if not isinstance(body.get("tls", False), bool):
        raise OperationError("tls is true or false")
    return body
