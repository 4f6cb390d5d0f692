"""Backups proven by restoring a real guest (the Debian 12 cloud image of
tests/test_reachable_capsul.py, with qemu-guest-agent, under software emulation), to a real
backup host in a network namespace of its own (tests/backup_host.py), over the JSON API:

- created; marker 1 written over SSH; backed up while it runs: application-consistent (the
  agent froze its filesystems); marker 2 written;
- restored into the same capsul: it boots at the same addresses with the same host key, marker 1
  is there and marker 2 is not (and cloud-init, seeing the same instance, made no new host key);
- restored into a new capsul: new addresses and host key, its own hostname, marker 1 there;
- the backup is in the backup host's repository, and nothing is left in the spoke's spool.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import time

import aiohttp
import pytest

from capsul.config import Role
from capsul.hub import db
from capsul.hub.accounts import api_tokens
from tests import cloud_image, libvirtd
from tests.backup_host import backup_host_fixture
from tests.conftest import ALICE, eventually, shared_tmpdir
from tests.test_reachable_capsul import Ssh, namespaced_libvirt, start_real_spoke  # noqa: F401 - fixture

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500),
              pytest.mark.skipif(os.geteuid() != 0, reason="runs a system libvirtd and sshd")]

backup_host = pytest.fixture(backup_host_fixture)


async def test_a_backup_of_a_running_guest_restores_what_was_written_before_it(  # noqa: F811
        namespaced_libvirt, start_node, pool, tls_files, test_env, backup_host):
    network = namespaced_libvirt
    image = await asyncio.to_thread(cloud_image.build)
    folder = shared_tmpdir("capsul-test-backups-")
    cluster = vm_id = None
    made: list[str] = []
    storage, spool = folder / "vms", folder / "spool"
    try:
        hub = await start_node(Role.HUB, HEARTBEAT_INTERVAL="1", HEARTBEAT_TIMEOUT="1", RESYNC_INTERVAL="3600",
                               SHUTDOWN_TIMEOUT="120", **backup_host.settings())
        cluster = await start_real_spoke(hub, pool, folder, tls_files, test_env, network, image,
                                         spoke_env={**backup_host.settings(), "BACKUP_SPOOL_DIR": str(spool)})
        (folder / "laptop").mkdir()
        laptop = Ssh(folder / "laptop")
        async with db.cursor(pool) as cur:
            await cur.execute("INSERT INTO accounts (email) VALUES (%s) ON CONFLICT DO NOTHING", (ALICE,))
        token, _ = await api_tokens.create_token(pool, ALICE, "backups", "write", None)
        async with aiohttp.ClientSession(base_url=hub.console_url, headers={"Authorization": f"Bearer {token}"},
                                         timeout=aiohttp.ClientTimeout(total=600)) as http:
            async with http.post("/api/v1/ssh-keys", json={"name": "laptop", "content": laptop.public_key}) as r:
                assert r.status == 201, await r.text()
            async with http.post("/api/v1/capsuls", json={"size": "reach-s", "os": "debian12-real",
                                                          "ssh_keys": ["laptop"]}) as r:
                assert r.status == 201, await r.text()
                capsul = (await r.json())["capsul"]
            vm_id, ipv4, ipv6 = capsul["id"], capsul["public_ipv4"], capsul["public_ipv6"]

            async def answers():
                return await laptop.scan(ipv4)
            host_key = await eventually(answers, within=600, every=2)
            laptop.known_hosts.write_text(f"{host_key}\n{ipv6} {host_key.split(' ', 1)[1]}\n")
            await laptop.run(ipv4, "cloud-init status --wait >/dev/null; echo one > ~/marker1; sync")

            async def agent_up():
                return (await laptop.run(ipv4, "systemctl is-active qemu-guest-agent || true")).strip() == "active"
            await eventually(agent_up, within=120, every=2)

            # backed up while it runs
            started = time.monotonic()
            async with http.post(f"/api/v1/capsuls/{vm_id}/backups") as r:
                body = await r.json()
                assert r.status in (200, 202), body
                backup_id = body["backup"]["id"]

            async def finished():
                async with http.get(f"/api/v1/capsuls/{vm_id}/backups") as r:
                    listed = {b["id"]: b for b in (await r.json())["backups"]}
                return listed[backup_id] if listed[backup_id]["status"] in ("done", "failed") else None
            backup = await eventually(finished, within=600, every=1)
            print(f"backup: done after {time.monotonic() - started:.1f} s, {backup['image_bytes']} bytes, "
                  f"{backup['stored_bytes']} stored")
            assert backup["status"] == "done", backup
            assert backup["consistency"] == "application" and backup["os_image"] == "debian12-real"
            assert len(backup["digest"]) == 64 and backup["taken_at"]
            assert len(backup_host.snapshots()) == 1  # in the backup host's repository
            assert not spool.exists() or list(spool.iterdir()) == []  # nothing left on the spoke

            await laptop.run(ipv4, "echo two > ~/marker2; sync")
            assert (await laptop.run(ipv4, "ls ~")).split() == ["marker1", "marker2"]

            # restored into the same capsul
            restored = time.monotonic()
            async with http.post(f"/api/v1/capsuls/{vm_id}/backups/{backup_id}/restore") as r:
                body = await r.json()
                assert r.status in (200, 202), body

            async def running_again():
                async with http.get(f"/api/v1/capsuls/{vm_id}") as r:
                    return (await r.json())["capsul"]["state"] == "running"
            await eventually(running_again, within=600, every=1)

            async def home():
                try:
                    return (await laptop.run(ipv4, "ls ~")).split()
                except AssertionError:
                    return None  # still booting
            assert await eventually(home, within=600, every=2) == ["marker1"]  # what came after is not
            print(f"restore: SSH answered after {time.monotonic() - restored:.1f} s")
            assert (await laptop.run(ipv4, "cat ~/marker1")).strip() == "one"
            assert (await laptop.run(ipv6, "hostname")).strip() == vm_id  # the same addresses
            assert await laptop.scan(ipv4) == host_key  # the same host key: the disk is the backup's
            async with http.get(f"/api/v1/capsuls/{vm_id}") as r:
                after = (await r.json())["capsul"]
            assert (after["public_ipv4"], after["public_ipv6"]) == (ipv4, ipv6)

            # the same backup into a new capsul: new addresses, the backup's files
            async with http.post(f"/api/v1/capsuls/{vm_id}/backups/{backup_id}/new-capsul", json={}) as r:
                body = await r.json()
                assert r.status == 201, body
                copy = body["capsul"]
            made.append(copy["id"])
            assert copy["id"] != vm_id and copy["public_ipv4"] not in (None, ipv4)

            async def copy_answers():
                return await laptop.scan(copy["public_ipv4"])
            copy_key = await eventually(copy_answers, within=600, every=2)
            with laptop.known_hosts.open("a") as known:
                known.write(f"{copy_key}\n")
            assert copy_key != host_key  # cloud-init saw a new instance: its own host keys
            assert (await laptop.run(copy["public_ipv4"], "hostname")).strip() == copy["id"]
            assert (await laptop.run(copy["public_ipv4"], "ls ~")).split() == ["marker1"]
            facts = await laptop.run(copy["public_ipv4"], "ip -o addr show dev eth0")
            assert f"inet {copy['public_ipv4']}/" in facts and f"inet {ipv4}/" not in facts
    except BaseException:
        if cluster is not None:
            print(f"--- spoke reach1's log ---\n{cluster.processes['reach1'].log()[-20000:]}")
        if vm_id and (storage / f"{vm_id}-console.log").exists():
            print(f"--- {vm_id}'s console ---\n{(storage / f'{vm_id}-console.log').read_text(errors='replace')[-20000:]}")
        raise
    finally:
        if cluster is not None:
            await cluster.stop()
        if vm_id:
            libvirtd.remove_domains([vm_id, *made])
        shutil.rmtree(folder, ignore_errors=True)
