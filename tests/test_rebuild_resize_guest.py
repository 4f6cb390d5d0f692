"""Rebuild and resize proven inside a real guest (the Debian 12 cloud image of
tests/test_reachable_capsul.py, under software emulation, its spoke on the tests' libvirtd).

One guest for the group of checks, as its owner would go through them over the JSON API:
- created with key "laptop"; a file written, its host key noted;
- a rebuild from an image its host does not have is refused by the host, the guest untouched;
- rebuilt with key "desk" only: SSH answers at the same IPv4 and IPv6 with "desk" and refuses
  "laptop", the file is gone, the hostname is the same, the host key changed and the hub shows
  the new fingerprint (not the old one), cloud-init ran again without an error;
- resized from 1 vCPU / 1 GB / 3 GB to 2 vCPU / 1.5 GB / 4 GB, restart now and not forced (the
  guest shuts down when asked): nproc says 2, the
  memory is there, the root filesystem grew, the addresses are the same.
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
from tests.conftest import ALICE, eventually, shared_tmpdir
from tests.test_reachable_capsul import (DISK_GB, Ssh, in_netns, namespaced_libvirt,  # noqa: F401 - fixture
                                         start_real_spoke)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500),
              pytest.mark.skipif(os.geteuid() != 0, reason="runs a system libvirtd")]
SIZES = [("reach-s", 1, 1024, DISK_GB), ("reach-m", 2, 1536, DISK_GB + 1)]
GUEST_FACTS = ("hostname; echo ---; ip -o addr show dev eth0; echo ---; nproc; echo ---; "
               "free -m | awk '/^Mem:/ {print $2}'; echo ---; df -B1 --output=size / | tail -1; echo ---; "
               "ls ~; echo ---; cloud-init status --wait --long")


async def guest_facts(ssh: Ssh, address: str) -> dict:
    """What the guest says of itself (and `cloud-init status` exited 0: no error, or ssh.run fails)."""
    values = (await ssh.run(address, GUEST_FACTS, read_only=True)).split("---\n")
    keys = ("hostname", "addresses", "nproc", "memory_mb", "root_bytes", "home", "cloud_init")
    facts = dict(zip(keys, (v.strip() for v in values)))
    assert "status: done" in facts["cloud_init"], facts["cloud_init"]
    return facts


async def test_a_rebuilt_and_resized_guest_as_its_owner_finds_it(namespaced_libvirt, start_node, pool,  # noqa: F811
                                                                 tls_files, test_env):
    network = namespaced_libvirt
    image = await asyncio.to_thread(cloud_image.build)
    folder = shared_tmpdir("capsul-test-rebuild-")
    cluster = vm_id = None
    storage = folder / "vms"
    try:
        hub = await start_node(Role.HUB, HEARTBEAT_INTERVAL="1", HEARTBEAT_TIMEOUT="1", RESYNC_INTERVAL="3600",
                               SHUTDOWN_TIMEOUT="120")
        cluster = await start_real_spoke(hub, pool, folder, tls_files, test_env, network, image, SIZES)
        (folder / "laptop").mkdir()
        (folder / "desk").mkdir()
        laptop, desk = Ssh(folder / "laptop"), Ssh(folder / "desk")
        async with db.cursor(pool) as cur:
            await cur.execute("INSERT INTO accounts (email) VALUES (%s) ON CONFLICT DO NOTHING", (ALICE,))
        token, _ = await api_tokens.create_token(pool, ALICE, "rebuild", "write", None)
        async with aiohttp.ClientSession(base_url=hub.console_url, headers={"Authorization": f"Bearer {token}"},
                                         timeout=aiohttp.ClientTimeout(total=600)) as http:
            for name, ssh in (("laptop", laptop), ("desk", desk)):
                async with http.post("/api/v1/ssh-keys", json={"name": name, "content": ssh.public_key}) as r:
                    assert r.status == 201, await r.text()
            async with http.post("/api/v1/capsuls", json={"size": "reach-s", "os": "debian12-real",
                                                          "ssh_keys": ["laptop"]}) as r:
                assert r.status == 201, await r.text()
                capsul = (await r.json())["capsul"]
            vm_id, ipv4, ipv6 = capsul["id"], capsul["public_ipv4"], capsul["public_ipv6"]

            async def hub_fingerprints() -> list[str]:
                async with http.get(f"/api/v1/capsuls/{vm_id}") as r:
                    return [k["fingerprint"] for k in (await r.json())["capsul"]["ssh_host_keys"]]

            async def trust_the_host_key(old: str | None = None) -> str:
                """Wait for sshd (with a host key other than `old`); both people trust it; its fingerprint."""
                async def answers():
                    line = await laptop.scan(ipv4)
                    return line if line and (old is None or await laptop.fingerprint(line) != old) else None
                line = await eventually(answers, within=600, every=2)
                for ssh in (laptop, desk):
                    ssh.known_hosts.write_text(f"{line}\n{ipv6} {line.split(' ', 1)[1]}\n")
                return await laptop.fingerprint(line)

            created = time.monotonic()
            first_key = await trust_the_host_key()
            print(f"created: SSH answered after {time.monotonic() - created:.1f} s")
            await laptop.run(ipv4, "echo kept-until-rebuilt > ~/note")
            before = await guest_facts(laptop, ipv4)
            assert before["hostname"] == vm_id and "note" in before["home"] and before["nproc"] == "1"
            assert first_key in await eventually(hub_fingerprints, within=120, every=1)

            # an image its host does not have: refused by the host, nothing changed
            async with db.cursor(pool) as cur:
                await cur.execute("INSERT INTO os_images (id, description, file_name) VALUES "
                                  "('debian12-absent', 'not on reach1', 'absent.qcow2')")
            async with http.post(f"/api/v1/capsuls/{vm_id}/rebuild", json={"os": "debian12-absent"}) as r:
                body = await r.json()
                assert r.status == 409 and "does not have the OS image debian12-absent" in body["error"], body
            async with http.get(f"/api/v1/capsuls/{vm_id}") as r:
                assert (await r.json())["capsul"]["state"] == "running"
            assert "note" in (await guest_facts(laptop, ipv4))["home"]  # the same guest, untouched

            # rebuild with the second key only
            rebuilt = time.monotonic()
            async with http.post(f"/api/v1/capsuls/{vm_id}/rebuild", json={"ssh_keys": ["desk"]}) as r:
                body = await r.json()
                assert r.status == 200 and body["capsul"]["state"] == "running", body
                assert (body["capsul"]["public_ipv4"], body["capsul"]["public_ipv6"]) == (ipv4, ipv6)
            new_key = await trust_the_host_key(old=first_key)
            print(f"rebuilt: SSH answered after {time.monotonic() - rebuilt:.1f} s")
            assert new_key != first_key
            after = await guest_facts(desk, ipv4)
            assert after["hostname"] == vm_id and "note" not in after["home"]  # a fresh disk
            assert (await desk.run(ipv6, "hostname")).strip() == vm_id  # at its IPv6 address too
            status, _, err = await in_netns(
                "ssh", "-i", str(laptop.key), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                "-o", f"UserKnownHostsFile={laptop.known_hosts}", "-o", "ConnectTimeout=10",
                f"cyberian@{ipv4}", "true")
            assert status != 0 and "Permission denied" in err, err  # the old key is not let in

            async def new_fingerprints():
                shown = await hub_fingerprints()
                return shown if new_key in shown else None
            assert first_key not in await eventually(new_fingerprints, within=180, every=1)

            # resize to 2 vCPUs, 1.5 GB and a 4 GB disk, restarted now
            resized = time.monotonic()
            # not forced: the guest shuts down when asked (ACPI), as a real image does
            async with http.post(f"/api/v1/capsuls/{vm_id}/resize", json={"size": "reach-m", "restart": "now",
                                                                          "force": False}) as r:
                body = await r.json()
                assert r.status == 200 and body["capsul"]["state"] == "running", body
                assert body["capsul"]["size"] == "reach-m"

            async def sshd_back():
                return await desk.scan(ipv4)
            await eventually(sshd_back, within=600, every=2)
            print(f"resized: SSH answered after {time.monotonic() - resized:.1f} s")
            grown = await guest_facts(desk, ipv4)
            assert grown["nproc"] == "2", grown
            assert 1300 < int(grown["memory_mb"]) <= 1536, grown  # what the kernel gives of 1536 MB
            assert int(grown["root_bytes"]) > (DISK_GB + 0.5) * 1024 ** 3 > int(after["root_bytes"]), (grown, after)
            assert f"inet {ipv4}/" in grown["addresses"] and f"inet6 {ipv6}/" in grown["addresses"]
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
            libvirtd.remove_domains([vm_id])
        shutil.rmtree(folder, ignore_errors=True)
