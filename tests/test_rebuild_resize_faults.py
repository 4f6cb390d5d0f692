"""A spoke killed in the middle of a rebuild, on a real libvirtd (tests/test_real_hypervisor.py's
spoke: software-emulated QEMU with a blank disk). Whatever the moment, the capsul ends in a clear
state once the spoke is back and the hub has asked again: rebuilt (a new disk, the next
generation) or as it was (its old disk), running, and never without a disk.

The two sides of the swap are pinned by leaving the spoke's journal as a kill there leaves it
(capsul/spoke/changes.py): before the swap the rebuild is undone, after it finished; then a kill
at a moment of the real process's own choosing."""
from __future__ import annotations

import asyncio
import json
import os
import uuid

import pytest

from capsul.hub import capsul_changes, capsuls, db
from capsul.hub.db import changes, vms
from capsul.spoke.storage import Storage
from tests import libvirtd
from tests.conftest import ALICE, eventually, wait_for_state
from tests.test_real_hypervisor import add_image, qemu_setup, system_libvirt  # noqa: F401 - fixture

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600),
              pytest.mark.skipif(os.geteuid() != 0, reason="runs a system libvirtd")]


async def begun_rebuild(pool, vm_id: str) -> tuple[uuid.UUID, dict]:
    """A rebuild as the hub leaves it once begun: the capsul rebuilding, the operation sent."""
    op_id = uuid.uuid4()
    async with db.cursor(pool) as cur:
        async with cur.begin():
            vm = await changes.lock_for_change(cur, vm_id, None)
            spoke = await vms.create_payload(cur, vm_id)
            spoke["generation"] = vm["generation"] + 1
            await changes.begin(cur, vm, op_id, "rebuild", {"os": "blank", "generation": spoke["generation"],
                                                            "keys": await vms.ssh_keys_of(cur, vm_id),
                                                            "spoke": {"payload": spoke}}, words="rebuilding")
    return op_id, spoke


async def ended(pool, op_id: uuid.UUID) -> dict:
    async with db.cursor(pool) as cur:
        await cur.execute("""SELECT o.status, o.error, v.state, v.generation FROM operations o
                             JOIN vms v ON v.id = o.vm_id WHERE o.id = %s""", (op_id,))
        return await cur.fetchone()


async def test_a_spoke_killed_mid_rebuild_comes_back_to_a_clear_state(system_libvirt, start_node, pool,  # noqa: F811
                                                                      tls_files):
    async with qemu_setup(system_libvirt, start_node, pool, tls_files) as setup:
        hub, spoke, storage = setup.hub.hub, setup.cluster.processes["qemu1"], setup.storage
        journal = setup.cluster.folder / "qemu1" / "spoke-qemu1" / "changes"
        await add_image(pool, "blank", "blank.qcow2")
        made = []
        for _ in range(3):
            vm = await capsuls.create_capsul(hub, ALICE, "f1-xs", "blank", ["laptop"])
            setup.made.append(vm["id"])
            made.append(vm["id"])
            await wait_for_state(pool, vm["id"], "running")
        before_swap, after_swap, anytime = made
        disk_of = {vm_id: (storage / f"{vm_id}.qcow2").stat().st_ino for vm_id in made}

        # killed before the swap: its new disk half made, the guest forced off
        await spoke.kill()
        op_before, payload = await begun_rebuild(pool, before_swap)
        await Storage(setup.images, storage, real=True).prepare_rebuild(payload)
        libvirtd.virsh("destroy", before_swap)
        write_entry(journal, op_before, before_swap, "begun", payload)
        # killed after the swap began: the new disk and seed ready beside the old ones
        op_after, payload = await begun_rebuild(pool, after_swap)
        await Storage(setup.images, storage, real=True).prepare_rebuild(payload)
        libvirtd.virsh("destroy", after_swap)
        write_entry(journal, op_after, after_swap, "swapping", payload)
        await spoke.start()
        assert "undid the rebuild of " + before_swap in spoke.log()
        assert "finished the rebuild of " + after_swap in spoke.log()
        await eventually(lambda: _online(pool), within=30)
        await capsul_changes.resume_unfinished(hub, older_than=0)  # the hub asks again (any hub, every few s)
        assert await ended(pool, op_before) == {
            "status": "failed", "state": "running", "generation": 0,
            "error": "its host restarted before the new disk was put in: nothing was changed"}
        assert (await ended(pool, op_after))["status"] == "completed"
        assert (await ended(pool, op_after))["state"] == "running" and (await ended(pool, op_after))["generation"] == 1
        assert (storage / f"{before_swap}.qcow2").stat().st_ino == disk_of[before_swap]  # its own disk
        assert (storage / f"{after_swap}.qcow2").stat().st_ino != disk_of[after_swap]  # the new one
        for vm_id in (before_swap, after_swap):
            assert libvirtd.virsh("domstate", vm_id).stdout.strip() == "running"
            assert sorted(p.name for p in storage.glob(f"{vm_id}*") if "console" not in p.name) == \
                [f"{vm_id}-cidata.iso", f"{vm_id}.qcow2"]  # no .rebuild, .old or .partial left

        # killed at a moment the real process chose: as soon as its journal holds the rebuild
        sent = asyncio.create_task(capsul_changes.rebuild_capsul(hub, ALICE, anytime))

        async def journaled():
            for path in journal.glob("*.json"):
                entry = json.loads(path.read_text())
                if entry.get("vm_id") == anytime:
                    return entry
            return None
        entry = await eventually(journaled, within=30, every=0.001)
        await spoke.kill()
        print(f"killed with the rebuild at step {entry['step']}")
        await asyncio.gather(sent, return_exceptions=True)  # no answer: it stays under way
        await spoke.start()
        await eventually(lambda: _online(pool), within=30)

        async def done() -> dict | None:
            await capsul_changes.resume_unfinished(hub, older_than=0)
            async with db.cursor(pool) as cur:
                await cur.execute("SELECT id FROM operations WHERE vm_id = %s AND type = 'rebuild'", (anytime,))
                result = await ended(pool, (await cur.fetchone())["id"])
            return result if result["status"] in ("completed", "failed") else None
        result = await eventually(done, within=60, every=1)
        assert result["state"] == "running" and result["generation"] == (1 if result["status"] == "completed" else 0)
        assert (storage / f"{anytime}.qcow2").exists()
        assert libvirtd.virsh("domstate", anytime).stdout.strip() == "running"


def write_entry(folder, op_id: uuid.UUID, vm_id: str, step: str, payload: dict) -> None:
    """The spoke's journal entry as a kill at `step` leaves it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{op_id}.json").write_text(json.dumps({"op_id": str(op_id), "type": "rebuild", "vm_id": vm_id,
                                                      "step": step, "was_running": True, "payload": payload,
                                                      "updated_at": 0}))


async def _online(pool) -> bool:
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT online FROM hosts WHERE id = 'qemu1'")
        return (await cur.fetchone())["online"]
