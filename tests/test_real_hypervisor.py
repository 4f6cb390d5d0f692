"""A spoke on a real libvirtd (qemu:///system) with software-emulated QEMU guests.

The guest boots nothing (a blank disk): a running QEMU is all these faults need.
Checks that hub state follows libvirt through a `virsh destroy` behind the spoke's back,
a spoke restart, and a libvirtd restart, and that deleting leaves no files behind.
"""
import asyncio
import contextlib
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from capsul.config import Role
from capsul.hub import capsuls, db
from tests import guest_image, libvirtd
from tests.conftest import (ALICE, add_account_with_key, eventually, networks_present, shared_tmpdir,
                          state_of, wait_for_state)
from tests.convergence import assert_converged
from tests.spoke_cluster import SpokeSpec, start_spokes

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="runs a system libvirtd")]


@pytest.fixture(scope="module")
def system_libvirt():
    with libvirtd.running_libvirtd():
        network = libvirtd.TestNetwork.create()
        try:
            yield network
        finally:
            network.remove()


@dataclass
class QemuSetup:
    hub: object
    cluster: object
    images: Path
    storage: Path
    made: list = field(default_factory=list)  # VM ids to remove from libvirt whatever happens


@pytest.fixture
async def qemu_spoke(system_libvirt, start_node, pool, tls_files):
    """A hub in this process and one spoke process on qemu:///system with type=qemu guests,
    an image folder holding a blank disk, and the test's own libvirt network for its pool."""
    async with qemu_setup(system_libvirt, start_node, pool, tls_files) as setup:
        yield setup


@contextlib.asynccontextmanager
async def qemu_setup(system_libvirt, start_node, pool, tls_files, spoke_env: dict | None = None, *, spool: bool = False,
                     **hub_env):
    """spool: the spoke's BACKUP_SPOOL_DIR is the folder's `spool` (tests/test_backups_on_a_spoke.py)."""
    folder = shared_tmpdir("capsul-test-qemu-")
    try:
        images, storage = folder / "images", folder / "vms"
        images.mkdir()
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(images / "blank.qcow2"), "64M"], check=True)
        hub = await start_node(Role.HUB, **{"HEARTBEAT_INTERVAL": "1", "HEARTBEAT_TIMEOUT": "1",
                                            "RESYNC_INTERVAL": "3600", **hub_env})
        await add_account_with_key(pool)
        cluster = await start_spokes(
            pool, hub.api_url, [SpokeSpec("qemu1", 0, 0, "198.18.5.0/24")], folder, tls_files,
            extra_env={"LIBVIRT_URI": libvirtd.URI, "LIBVIRT_DOMAIN_TYPE": "qemu", "OS_IMAGES_DIR": str(images),
                       "VM_STORAGE_DIR": str(storage), "STOPPED_DEBOUNCE": "0.3", "SHUTDOWN_TIMEOUT": "2",
                       **({"BACKUP_SPOOL_DIR": str(folder / "spool")} if spool else {}), **(spoke_env or {})})
        setup = QemuSetup(hub, cluster, images, storage)
        try:
            async with db.cursor(pool) as cur:
                await cur.execute("UPDATE host_network SET network_name = %s WHERE host_id = 'qemu1'",
                                  (system_libvirt.name,))
            await networks_present(pool, "qemu1")
            yield setup
        except BaseException:
            print(f"--- spoke qemu1's log ---\n{cluster.processes['qemu1'].log()[-20000:]}")  # shown with the failure
            raise
        finally:
            await cluster.stop()
            async with db.cursor(pool) as cur:  # whatever the test made, finished or not
                await cur.execute("SELECT id FROM vms")
                setup.made.extend(r["id"] for r in await cur.fetchall())
            libvirtd.remove_domains(list(dict.fromkeys(setup.made)))
    finally:  # also when the spoke never started
        shutil.rmtree(folder, ignore_errors=True)


async def add_image(pool, image_id: str, file_name: str, **boot: str) -> None:
    async with db.cursor(pool) as cur:
        await cur.execute(
            """INSERT INTO os_images (id, description, file_name, kernel_file, initrd_file, kernel_cmdline)
               VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING""",
            (image_id, image_id, file_name, boot.get("kernel"), boot.get("initrd"), boot.get("cmdline")))


async def test_hub_state_follows_a_real_libvirtd(qemu_spoke, pool):
    hub, cluster, storage, made = qemu_spoke.hub, qemu_spoke.cluster, qemu_spoke.storage, qemu_spoke.made
    await add_image(pool, "blank", "blank.qcow2")
    vm = await capsuls.create_capsul(hub.hub, ALICE, "f1-xs", "blank", ["laptop"])
    made.append(vm["id"])
    await wait_for_state(pool, vm["id"], "running")
    assert (storage / f"{vm['id']}.qcow2").exists() and (storage / f"{vm['id']}-cidata.iso").exists()
    assert libvirtd.virsh("domstate", vm["id"]).stdout.strip() == "running"

    # behind the spoke's back
    libvirtd.virsh("destroy", vm["id"])
    await wait_for_state(pool, vm["id"], "stopped")
    vm = await capsuls.capsul_action(hub.hub, ALICE, vm["id"], "start")
    assert vm["state"] == "running"

    # the spoke restarts; meanwhile the VM is paused behind everyone's back
    process = cluster.processes["qemu1"]
    await process.kill()
    libvirtd.virsh("suspend", vm["id"])
    await process.start()
    await wait_for_state(pool, vm["id"], "paused")  # the resync on restart found it so
    libvirtd.virsh("resume", vm["id"])
    await wait_for_state(pool, vm["id"], "running")

    # libvirtd restarts; the hub's picture drifts meanwhile
    await asyncio.to_thread(libvirtd.stop_daemon, "libvirtd")  # the hub in this process keeps running
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE vms SET state = 'stopped' WHERE id = %s", (vm["id"],))
    await asyncio.to_thread(libvirtd.start_daemons)
    await wait_for_state(pool, vm["id"], "running", within=60)  # reconnected, re-announced, resynced
    await assert_converged(hub.hub)

    # an ACPI shutdown the blank guest ignores: forced off after SHUTDOWN_TIMEOUT; asked five times
    # at once, the spoke waits once (each used to start a wait of its own, and force it off again)
    forced = f"{vm['id']} did not shut down within"
    before = process.log().count(forced)
    asked = await asyncio.gather(*(capsuls.capsul_action(hub.hub, ALICE, vm["id"], "shutdown") for _ in range(5)),
                                 return_exceptions=True)
    assert any(isinstance(a, dict) and a["state"] == "stopped" for a in asked), asked
    vm = asked[0] if isinstance(asked[0], dict) else await capsuls.get_capsul(hub.hub, ALICE, vm["id"])
    assert vm["state"] == "stopped" and process.log().count(forced) == before + 1

    vm = await capsuls.destroy_capsul(hub.hub, ALICE, vm["id"])
    assert vm["state"] == "deleted"
    assert libvirtd.virsh("domstate", vm["id"], check=False).returncode != 0
    assert list(storage.iterdir()) == []  # overlay, seed and console log removed


async def test_a_real_guest_boots_with_its_hostname_and_key(qemu_spoke, pool):
    """A Debian kernel + busybox initramfs that reads the cidata seed and reports on its serial console."""
    kernel, initrd = guest_image.build()
    shutil.copy(kernel, qemu_spoke.images / "vmlinuz")
    shutil.copy(initrd, qemu_spoke.images / "initrd.gz")
    await add_image(pool, "tinylinux", "blank.qcow2", kernel="vmlinuz", initrd="initrd.gz",
                    cmdline="console=ttyS0 panic=-1")
    vm = await capsuls.create_capsul(qemu_spoke.hub.hub, ALICE, "f1-xs", "tinylinux", ["laptop"])
    qemu_spoke.made.append(vm["id"])
    console = qemu_spoke.storage / f"{vm['id']}-console.log"

    async def booted():
        text = console.read_text(errors="replace") if console.exists() else ""
        return f"{guest_image.MARK} done" in text and text

    text = await eventually(booted, within=120, every=0.5)
    assert f"{guest_image.MARK} hostname: {vm['id']}" in text
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT content FROM vm_ssh_public_key WHERE vm_id = %s", (vm["id"],))
        key_type, key_data = (await cur.fetchone())["content"].split()[:2]
    assert f"{guest_image.MARK} key: {key_type} {key_data}" in text  # the very key chosen
    await wait_for_state(pool, vm["id"], "stopped")  # it powered itself off; libvirt told the hub

    async def host_keys():  # read from its console by the spoke, sent as an event, stored by the hub
        async with db.cursor(pool) as cur:
            await cur.execute("SELECT ssh_host_keys FROM vms WHERE id = %s", (vm["id"],))
            return (await cur.fetchone())["ssh_host_keys"]
    assert await eventually(host_keys) == [{"bits": 256, "fingerprint": guest_image.HOST_KEY_FINGERPRINT,
                                            "type": "ED25519"}]

    vm = await capsuls.destroy_capsul(qemu_spoke.hub.hub, ALICE, vm["id"])
    assert vm["state"] == "deleted" and list(qemu_spoke.storage.iterdir()) == []


async def test_a_spoke_killed_in_the_middle_of_creates_converges_after_restart(system_libvirt, start_node, pool,
                                                                             tls_files):
    """SIGKILL the spoke while 6 creates are under way (some claimed, some being built), start it
    again: every VM ends running on its host or failed with its address given back, and hub and
    libvirt agree."""
    async with qemu_setup(system_libvirt, start_node, pool, tls_files, RESYNC_INTERVAL="2",
                          CLAIM_RETRY_WINDOW="2", OPERATION_TIMEOUT="3", CREATE_OFFER_TIMEOUT="3") as setup:
        await add_image(pool, "blank", "blank.qcow2")
        creates = [asyncio.create_task(capsuls.create_capsul(setup.hub.hub, ALICE, "f1-xs", "blank", ["laptop"]))
                   for _ in range(6)]

        async def first_running():
            async with db.cursor(pool) as cur:
                await cur.execute("SELECT count(*) AS n FROM vms WHERE state = 'running'")
                return (await cur.fetchone())["n"] >= 1
        await eventually(first_running)
        process = setup.cluster.processes["qemu1"]
        await process.kill()  # mid-way: some creates owned, some offered, some not yet
        outcomes = await asyncio.gather(*creates, return_exceptions=True)
        await process.start()
        await assert_converged(setup.hub.hub, within=90)
        async with db.cursor(pool) as cur:
            await cur.execute("SELECT state, count(*) AS n FROM vms GROUP BY state")
            states = {r["state"]: r["n"] for r in await cur.fetchall()}
        assert sum(states.values()) == 6 and set(states) <= {"running", "failed"}, (states, outcomes)
        print(f"after the kill: {states}; create outcomes: {[getattr(o, 'get', lambda k: o)('state') for o in outcomes]}")
        for vm_id in (r["id"] for r in outcomes if isinstance(r, dict) and r.get("id")):
            assert await state_of(pool, vm_id) in ("running", "failed")
