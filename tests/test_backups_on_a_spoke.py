"""Backups taken by a real spoke on a real libvirtd (tests/test_real_hypervisor.py's spoke: software
QEMU, a blank disk, no guest agent) and sent to a real backup host (tests/backup_host.py): the hub
asks with the backup's id (capsul/spoke/backups/jobs.py) and reads its status until it ends.

Running without an agent: crash-consistent; stopped: a copy. Either way the store holds exactly
the image whose digest is recorded, and the spool is empty afterwards. The store down: the job
waits, and says so, then ends when the store is back. The spoke killed mid-backup: failed, the
spool file removed, nothing in the store. The spoke killed mid-restore: undone before the swap,
finished after it, never without a disk."""
from __future__ import annotations

import hashlib
import json
import os
import uuid

import pytest

from capsul.config import Role, load_config
from capsul.hub import capsul_changes, capsuls, db
from capsul.hub.backups import jobs as backup_jobs
from capsul.hub.db import backups as catalogue
from capsul.hub.db import changes, hosts
from capsul.spoke.backups.store import ResticStore
from tests import libvirtd
from tests.backup_host import backup_host_fixture
from tests.conftest import ALICE, eventually, wait_for_state
from tests.test_real_hypervisor import add_image, qemu_setup, system_libvirt  # noqa: F401 - fixture

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600),
              pytest.mark.skipif(os.geteuid() != 0, reason="runs a system libvirtd and sshd")]

backup_host = pytest.fixture(backup_host_fixture)


async def ask(setup, pool, backup_id: str, vm_id: str) -> dict:
    async with db.cursor(pool) as cur:
        host = await hosts.get_host_to_call(cur, "qemu1")
    return await setup.hub.hub.dispatcher.send_change(
        host, {"id": backup_id, "type": "backup", "vm_id": vm_id}, timeout=10)


async def ended(setup, pool, backup_id: str, vm_id: str, within: float = 120) -> dict:
    seen = {}

    async def over():
        seen["last"] = await ask(setup, pool, backup_id, vm_id)
        return seen["last"]["status"] in ("done", "failed")
    await eventually(over, within=within)
    return seen["last"]


def spool_files(setup) -> list[str]:
    spool = setup.cluster.folder / "spool"
    return sorted(p.name for p in spool.iterdir()) if spool.is_dir() else []


async def stored_image(host, tmp_path, snapshot: str, backup_id: str) -> bytes:
    config = load_config(Role.SPOKE, {"HUB_URL": "https://127.0.0.1:9", "SPOKE_HOST_TOKEN": "a" * 64,
                                      "HUB_TOKEN": "b" * 64, **host.settings()})
    into = tmp_path / "from-the-store.qcow2"
    await ResticStore(config, tmp_path / "cache").get(snapshot, backup_id, into)
    return into.read_bytes()


async def test_a_spoke_backs_up_to_the_store_and_ends_cleanly_through_faults(system_libvirt, start_node, pool,  # noqa: F811
                                                                             tls_files, backup_host, tmp_path):
    spoke_env = {**backup_host.settings(), "BACKUP_STORE_MAX_BACKOFF": "1"}
    async with qemu_setup(system_libvirt, start_node, pool, tls_files, spoke_env=spoke_env,
                          spool=True) as setup:
        await add_image(pool, "blank", "blank.qcow2")
        vm = await capsuls.create_capsul(setup.hub.hub, ALICE, "f1-xs", "blank", ["laptop"])
        setup.made.append(vm["id"])
        await wait_for_state(pool, vm["id"], "running")

        # running, no agent: crash-consistent; the store has exactly the image recorded
        running_id = str(uuid.uuid4())
        first = await ask(setup, pool, running_id, vm["id"])
        assert first["status"] in ("queued", "taking", "uploading", "done")
        done = await ended(setup, pool, running_id, vm["id"])
        assert done["status"] == "done", done
        async with db.cursor(pool) as cur:
            await cur.execute("SELECT disk_gb FROM vm_sizes WHERE id = 'f1-xs'")
            disk_gb = (await cur.fetchone())["disk_gb"]
        assert done["consistency"] == "crash" and done["disk_bytes"] == disk_gb * 2**30
        image = await stored_image(backup_host, tmp_path, done["snapshot"], running_id)
        assert hashlib.sha256(image).hexdigest() == done["digest"] and len(image) == done["image_bytes"]
        assert image[:4] == b"QFI\xfb"  # a qcow2 file of its own
        assert spool_files(setup) == [] and len(backup_host.snapshots()) == 1
        assert await ask(setup, pool, running_id, vm["id"]) == done  # asked again: the same answer

        # stopped: copied
        libvirtd.virsh("destroy", vm["id"])
        await wait_for_state(pool, vm["id"], "stopped")
        stopped_id = str(uuid.uuid4())
        await ask(setup, pool, stopped_id, vm["id"])
        done = await ended(setup, pool, stopped_id, vm["id"])
        assert (done["status"], done["consistency"]) == ("done", "stopped"), done
        assert hashlib.sha256(await stored_image(backup_host, tmp_path, done["snapshot"], stopped_id)).hexdigest() \
            == done["digest"]

        # the store down: the job waits and says so; back up, it ends
        backup_host.down()
        waiting_id = str(uuid.uuid4())
        await ask(setup, pool, waiting_id, vm["id"])
        seen = {}

        async def waiting():
            seen.update(await ask(setup, pool, waiting_id, vm["id"]))
            return seen["status"] == "waiting-for-store"
        await eventually(waiting, within=60)
        assert "does not answer" in seen["waiting_because"] and spool_files(setup) == [f"{waiting_id}.qcow2"]
        backup_host.up()
        done = await ended(setup, pool, waiting_id, vm["id"])
        assert done["status"] == "done" and spool_files(setup) == [] and len(backup_host.snapshots()) == 3

        # the spoke killed mid-backup (held at the store): failed, its spool file gone, nothing stored
        backup_host.down()
        killed_id = str(uuid.uuid4())
        await ask(setup, pool, killed_id, vm["id"])
        await eventually(_status_is(setup, pool, killed_id, vm["id"], "waiting-for-store"), within=60)
        spoke = setup.cluster.processes["qemu1"]
        await spoke.kill()
        assert spool_files(setup) == [f"{killed_id}.qcow2"]  # as the kill left it
        backup_host.up()
        await spoke.start()
        assert "gave up backup " + killed_id in spoke.log()
        await eventually(lambda: _online(pool), within=30)
        done = await ask(setup, pool, killed_id, vm["id"])
        assert done["status"] == "failed" and "restarted" in done["error"]
        assert spool_files(setup) == [] and len(backup_host.snapshots()) == 3


def _status_is(setup, pool, backup_id, vm_id, wanted):
    async def check():
        return (await ask(setup, pool, backup_id, vm_id))["status"] == wanted
    return check


async def _online(pool) -> bool:
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT online FROM hosts WHERE id = 'qemu1'")
        return (await cur.fetchone())["online"]


async def test_a_spoke_killed_mid_restore_never_leaves_the_capsul_without_a_disk(system_libvirt, start_node,  # noqa: F811
                                                                                 pool, tls_files, backup_host,
                                                                                 tmp_path):
    """Pinned by leaving the spoke's journal as a kill leaves it (capsul/spoke/changes.py): while
    fetching (the fetched file half made) the restore is undone and the capsul keeps its own disk;
    at the swap it is finished. Either way the hub never reported it done before its host said so."""
    spoke_env = {**backup_host.settings(), "BACKUP_STORE_MAX_BACKOFF": "1"}
    async with qemu_setup(system_libvirt, start_node, pool, tls_files, spoke_env=spoke_env, spool=True,
                          **backup_host.settings()) as setup:
        hub, storage = setup.hub.hub, setup.storage
        journal = setup.cluster.folder / "qemu1" / "spoke-qemu1" / "changes"
        await add_image(pool, "blank", "blank.qcow2")
        made = []
        for _ in range(2):
            vm = await capsuls.create_capsul(hub, ALICE, "f1-xs", "blank", ["laptop"])
            setup.made.append(vm["id"])
            made.append(vm["id"])
            await wait_for_state(pool, vm["id"], "running")
        fetching, swapping = made
        backups = {}
        for vm_id in made:
            backup = await backup_jobs.back_up(hub, ALICE, vm_id)
            backups[vm_id] = await eventually(_done(pool, backup["id"]), within=120)
        disk_of = {vm_id: (storage / f"{vm_id}.qcow2").stat().st_ino for vm_id in made}

        spoke = setup.cluster.processes["qemu1"]
        await spoke.kill()
        ops = {}
        for vm_id, step in ((fetching, "fetching"), (swapping, "swapping")):
            backup = backups[vm_id]
            op_id = uuid.uuid4()
            async with db.cursor(pool) as cur:
                async with cur.begin():
                    row = await changes.lock_for_change(cur, vm_id, None)
                    ask = {"vm_id": vm_id, "backup_id": str(backup["id"]), "snapshot": backup["snapshot"],
                           "digest": backup["digest"], "disk_gb": 25}
                    await changes.begin(cur, row, op_id, "restore", {"backup": str(backup["id"]), "taken_at": "then",
                                                                     "spoke": ask}, words="restoring")
            ops[vm_id] = op_id
            target = storage / f"{vm_id}.qcow2.rebuild"
            if step == "fetching":  # killed while restic wrote it
                (storage / f"{vm_id}.qcow2.rebuild.partial").write_bytes(b"half an image")
            else:  # killed after the fetch, at the swap: the image is whole beside the disk
                config = load_config(Role.SPOKE, {"HUB_URL": "https://127.0.0.1:9", "SPOKE_HOST_TOKEN": "a" * 64,
                                                  "HUB_TOKEN": "b" * 64, **backup_host.settings()})
                await ResticStore(config, tmp_path / "cache").get(backup["snapshot"], str(backup["id"]), target)
                libvirtd.virsh("destroy", vm_id)
            journal.mkdir(parents=True, exist_ok=True)
            (journal / f"{op_id}.json").write_text(json.dumps(
                {"op_id": str(op_id), "type": "restore", "vm_id": vm_id, "step": step, "was_running": True,
                 "ask": ask, "updated_at": 0}))
            async with db.cursor(pool) as cur:  # under way: not reported done
                await cur.execute("SELECT state FROM vms WHERE id = %s", (vm_id,))
                assert (await cur.fetchone())["state"] == "restoring"
        await spoke.start()
        assert "undid the restore of " + fetching in spoke.log()
        assert "finished the restore of " + swapping in spoke.log()
        await eventually(lambda: _online(pool), within=30)
        await capsul_changes.resume_unfinished(hub, older_than=0)
        async with db.cursor(pool) as cur:
            await cur.execute("""SELECT o.vm_id, o.status, v.state FROM operations o JOIN vms v ON v.id = o.vm_id
                                 WHERE o.id = ANY(%s::uuid[])""", ([str(o) for o in ops.values()],))
            outcome = {r["vm_id"]: (r["status"], r["state"]) for r in await cur.fetchall()}
        assert outcome == {fetching: ("failed", "running"), swapping: ("completed", "running")}
        assert (storage / f"{fetching}.qcow2").stat().st_ino == disk_of[fetching]  # its own disk
        assert (storage / f"{swapping}.qcow2").stat().st_ino != disk_of[swapping]  # the backup's
        for vm_id in made:
            assert libvirtd.virsh("domstate", vm_id).stdout.strip() == "running"
            assert sorted(p.name for p in storage.glob(f"{vm_id}*") if "console" not in p.name) == \
                [f"{vm_id}-cidata.iso", f"{vm_id}.qcow2"]  # no .rebuild, .partial or .old left


def _done(pool, backup_id: str):
    async def check():
        async with db.cursor(pool) as cur:
            row = await catalogue.get(cur, backup_id)
        assert row["status"] != "failed", row
        return row if row["status"] == "done" else None
    return check
