"""Capsuls moved live between two real libvirtds (docs/moves.md), each in its own mount and network
namespace on one L2 segment, libvirt peer to peer over TLS with certificates from the tests' CA
(tests/two_hosts.py), a spoke process for each and a hub in this process; the suite's busybox guest,
idle, with its addresses from the seed and a shell on its console.

One guest is moved with `run.py move` while a client in a third namespace pings it: it keeps its IPv4
and IPv6, the pings lost are counted and printed, the hub shows one owner and the capsul `migrating`
and then `running` (never `stopped`), what was written in its memory and on its disk just before is
there after, its console works through its new host, and its old host keeps nothing of it. Refusals
change nothing. Then an evacuation of a draining host holding three capsuls onto the other, which has
room for two: two move, the third is said and stays running; `run.py return` moves them back.
"""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

import pytest

from capsul.config import Role
from capsul.hub import capsuls, db
from capsul.hub.accounts import api_tokens
from capsul.hub.db import networks
from tests import guest_image
from tests.conftest import (ALICE, PYTHON, REPO, add_account_with_key, child_env, eventually, networks_present,
                            shared_tmpdir, wait_for_state)
from tests.processes import run_cli
from tests.spoke_cluster import SpokeSpec, start_spokes
from tests.test_real_hypervisor import add_image
from tests.test_serial_console_guest import open_session
from tests.two_hosts import CLIENT_V4, SEGMENT_V4, SEGMENT_V6, two_hosts

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="runs two libvirtds of its own")]

SEGMENT = "lab-segment"
CMDLINE = f"console=ttyS0 panic=-1 {guest_image.SHELL_FLAG} {guest_image.NET_FLAG}"


@pytest.fixture
async def lab(start_node, pool, tls_files, test_env):
    """The two hosts, their spokes (a and b) on one segment, a hub in this process, the guest image."""
    folder = shared_tmpdir("capsul-test-moves-")
    try:
        with two_hosts(folder / "lab", tls_files.ca, tls_files.ca.parent / "ca.key") as hosts:
            images = folder / "images"
            images.mkdir()
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(images / "blank.qcow2"), "64M"], check=True)
            kernel, initrd = guest_image.build()
            shutil.copy(kernel, images / "vmlinuz")
            shutil.copy(initrd, images / "initrd.gz")
            hub = await start_node(Role.HUB, HEARTBEAT_INTERVAL="1", HEARTBEAT_TIMEOUT="1", RESYNC_INTERVAL="3600")
            await add_account_with_key(pool)
            await add_image(pool, "tinynet", "blank.qcow2", kernel="vmlinuz", initrd="initrd.gz", cmdline=CMDLINE)
            specs = [SpokeSpec("a", 0, 0, "198.18.61.0/24"), SpokeSpec("b", 0, 0, "198.18.62.0/24")]
            cluster = await start_spokes(
                pool, hub.api_url, specs, folder, tls_files, extra_env={
                    "LIBVIRT_DOMAIN_TYPE": "qemu", "OS_IMAGES_DIR": str(images), "STOPPED_DEBOUNCE": "0.3",
                    "SHUTDOWN_TIMEOUT": "2", "COLD_MOVE_TIMEOUT": "3"},  # the busybox guest ignores ACPI
                env_for=lambda spec: {"LIBVIRT_URI": hosts.hosts[spec.host_id].socket_uri,
                                      # each host's firewall and anti-spoofing, where its bridge is: the
                                      # moved guest's rules must be on the destination before it runs there
                                      "FIREWALL": "nftables", "FIREWALL_NETNS": hosts.hosts[spec.host_id].netns,
                                      "FIREWALL_CHECK_INTERVAL": "1",
                                      "VM_STORAGE_DIR": str(hosts.folder / f"{spec.host_id}-vms"),
                                      "MIGRATION_URI": hosts.hosts[spec.host_id].migration_uri(hosts.client_pki)})
            try:
                async with db.cursor(pool) as cur:
                    async with cur.begin():
                        await cur.execute("DELETE FROM host_network WHERE host_id IN ('a', 'b')")
                        segment = networks.parse_pool(SEGMENT_V4, gateway="198.51.100.1", dns_servers=["198.51.100.1"],
                                                      ipv6_cidr=SEGMENT_V6, ipv6_gateway="fe80::1")
                        for host_id in ("a", "b"):
                            await networks.add_host_network(cur, host_id, segment, network_name=f"seg-{host_id}",
                                                            segment=SEGMENT, cpu_model="qemu64")
                for host_id in ("a", "b"):
                    await networks_present(pool, host_id)
                hosts.hub, hosts.cluster, hosts.env = hub, cluster, test_env
                yield hosts
            except BaseException:
                for name, process in cluster.processes.items():
                    print(f"--- spoke {name}'s log ---\n{process.log()[-15000:]}")
                raise
            finally:
                await cluster.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def booted(lab, vm_id: str) -> str:
    """The host the capsul runs on, once its guest has its network and shell up."""
    await wait_for_state(lab.hub.pool, vm_id, "running", within=60)
    host = await owner(lab, vm_id)
    log = lab.folder / f"{host}-vms" / f"{vm_id}-console.log"

    async def up():
        text = log.read_text(errors="replace") if log.exists() else ""
        return "network up" in text and "shell on ttyS0" in text
    await eventually(up, within=180, every=0.5)
    return host


async def owner(lab, vm_id: str) -> str:
    async with db.cursor(lab.hub.pool) as cur:
        await cur.execute("SELECT host_id FROM vms WHERE id = %s", (vm_id,))
        return (await cur.fetchone())["host_id"]


async def addresses(lab, vm_id: str) -> tuple[str, str]:
    vm = await capsuls.get_capsul(lab.hub.hub, None, vm_id)
    return vm["public_ipv4"], vm["public_ipv6"]


async def token(pool) -> str:
    secret, _ = await api_tokens.create_token(pool, ALICE, f"moves-{os.urandom(3).hex()}", "write", None)
    return secret


async def console_run(lab, vm_id: str, typed: str, shows: str) -> None:
    import aiohttp
    async with aiohttp.ClientSession() as client:
        session = await open_session(client, lab.hub.console_url, vm_id, await token(lab.hub.pool))
        try:
            await session.attached()
            await session.ws.send_bytes(typed.encode() + b"\r")
            await session.shows(shows.encode(), within=30)
        finally:
            await session.close()


async def test_a_capsul_moves_live_keeping_its_addresses_and_everything_in_it(lab, pool):
    vm = await capsuls.create_capsul(lab.hub.hub, ALICE, "f1-xs", "tinynet", ["laptop"])
    source = await booted(lab, vm["id"])
    destination = "b" if source == "a" else "a"
    ipv4, ipv6 = await addresses(lab, vm["id"])
    assert ipv4.startswith("198.51.100.") and ipv6.startswith("2001:db8:51::")
    await eventually(lambda: asyncio.to_thread(lab.answers_ping, ipv4), within=30)
    await eventually(lambda: asyncio.to_thread(lab.answers_ping, ipv6), within=30)
    # written just before the move: a file in its memory, a block on its disk
    await console_run(lab, vm["id"], "echo moved-$((6*7)) > /root/marker; echo disk-marker-$((3*3)) | "
                      "dd of=/dev/vda bs=512 seek=64 conv=fsync 2>/dev/null; echo written-$((2*2))", "written-4")

    seen: list[tuple[str, str]] = []  # (state, owner) every 50 ms through the move

    async def watch():
        while True:
            async with db.cursor(pool) as cur:
                await cur.execute("SELECT state, host_id FROM vms WHERE id = %s", (vm["id"],))
                row = await cur.fetchone()
            seen.append((row["state"], row["host_id"]))
            await asyncio.sleep(0.05)

    pinger = await asyncio.create_subprocess_exec(*lab.in_client("busybox", "ping", "-i", "0.1", ipv4),
                                                  stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    watcher = asyncio.create_task(watch())
    try:
        await asyncio.sleep(1.0)  # pings before the move, so the count covers the whole of it
        status, out, err = await run_cli(["move", vm["id"], destination], lab.env, timeout=300)
        await asyncio.sleep(1.0)
    finally:
        watcher.cancel()
        pinger.send_signal(signal.SIGINT)
        ping_out = (await pinger.communicate())[0].decode()
    assert status == 0, err
    assert re.fullmatch(rf"{vm['id']}: moved to {destination} \(\d+ ms without service, \d+ ms in all\)\n", out), out
    sent, received = map(int, re.search(r"(\d+) packets transmitted, (\d+) packets received", ping_out).groups())
    print(f"live move {source} -> {destination}: {out.strip()}; pings every 0.1 s: {sent - received} lost of {sent}")
    assert received > 0 and sent - received < sent / 2, ping_out[-500:]

    # one owner throughout: the source until the move ended, the destination after; never stopped
    states = [s for s, _ in seen]
    assert set(states) <= {"running", "migrating"} and "migrating" in states, set(states)
    owners = [h for _, h in seen]
    switch = owners.index(destination)
    assert set(owners[:switch]) == {source} and set(owners[switch:]) == {destination}
    assert all(s == "running" for s, _ in seen[switch:])
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT count(*) AS n FROM ownership_conflicts")
        assert (await cur.fetchone())["n"] == 0
        await cur.execute("SELECT network_name FROM vms WHERE id = %s", (vm["id"],))
        assert (await cur.fetchone())["network_name"] == f"seg-{destination}"
        await cur.execute("SELECT state, reason FROM vm_events WHERE vm_id = %s ORDER BY id", (vm["id"],))
        timeline = await cur.fetchall()
    assert [e["state"] for e in timeline][-2:] == ["migrating", "running"]
    assert re.fullmatch(r"moved to another host \(\d+ ms without service\)", timeline[-1]["reason"])

    # the same addresses answer from the new host; what was written is there; the console follows
    assert await addresses(lab, vm["id"]) == (ipv4, ipv6)
    await eventually(lambda: asyncio.to_thread(lab.answers_ping, ipv4), within=15)
    await eventually(lambda: asyncio.to_thread(lab.answers_ping, ipv6), within=15)
    await console_run(lab, vm["id"], "cat /root/marker; echo 3 > /proc/sys/vm/drop_caches; "
                      "dd if=/dev/vda bs=512 skip=64 count=1 2>/dev/null | head -c 13; echo; echo read-$((5*5))",
                      "moved-42")
    await console_run(lab, vm["id"], "dd if=/dev/vda bs=512 skip=64 count=1 2>/dev/null | head -c 13; echo",
                      "disk-marker-9")
    assert lab.domains(source) == [] and lab.domains(destination) == [vm["id"]]
    assert not list((lab.folder / f"{source}-vms").glob(f"{vm['id']}*"))  # nothing of it left on its old host

    # refused, nothing changed: to where it is, to a host that is not on its segment's list
    status, _, err = await run_cli(["move", vm["id"], destination], lab.env)
    assert status == 2 and "is on" in err and "already" in err, err
    status, _, err = await run_cli(["move", vm["id"], "nohost"], lab.env)
    assert status == 2 and "there is no host 'nohost'" in err, err
    for nobody in ("capsul-zzzzzzzzzz", "../etc/passwd"):
        status, _, err = await run_cli(["move", nobody, source], lab.env)
        assert status == 2 and "no capsul" in err and "Traceback" not in err, err
    assert await owner(lab, vm["id"]) == destination
    await wait_for_state(pool, vm["id"], "running")


async def test_evacuating_a_host_packs_its_capsuls_elsewhere_and_says_what_did_not_fit(lab, pool):
    cli = lab.env
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT (capacity->>'memory_mb')::int AS mb FROM hosts WHERE id = 'b'")
        memory_mb = (await cur.fetchone())["mb"]
    # the operator's overcommit (at least 0.1) will leave b room for two of the three, and no more
    size, size_mb = next((s, mb) for s, mb in (("f1-xs", 512), ("f1-s", 1024), ("f1-m", 2048), ("f1-x", 4096))
                         if 2.5 * mb / memory_mb >= 0.1)
    room_for_two = {**cli, "OVERCOMMIT_MEMORY_RATIO": f"{2.5 * size_mb / memory_mb:.6f}"}
    assert (await run_cli(["drain", "b"], cli))[0] == 0  # so that the three are made on a
    made = [await capsuls.create_capsul(lab.hub.hub, ALICE, size, "tinynet", ["laptop"]) for _ in range(3)]
    for vm in made:
        assert await booted(lab, vm["id"]) == "a"
    assert (await run_cli(["activate", "b"], cli))[0] == 0
    assert (await run_cli(["evacuate", "a"], cli))[0] == 2  # a is active: drain it first, nothing moves
    assert (await run_cli(["drain", "a"], cli))[0] == 0
    status, out, err = await run_cli(["evacuate", "a"], room_for_two, timeout=600)
    print(out)
    assert status == 1, err  # one did not fit: said, and the others moved all the same
    lines = out.strip().splitlines()
    assert len([line for line in lines if ": moved to b (" in line]) == 2, out
    refused = [line for line in lines if "not moved: no other active host on its segment has room for it" in line]
    assert len(refused) == 1 and lines[-1] == "a: 2 of 3 moved", out
    owners = {vm["id"]: await owner(lab, vm["id"]) for vm in made}
    assert sorted(owners.values()) == ["a", "b", "b"]
    for vm in made:
        await wait_for_state(pool, vm["id"], "running")
        await eventually(lambda: asyncio.to_thread(lab.answers_ping, CLIENT_V4), within=5)
        ipv4, _ = await addresses(lab, vm["id"])
        await eventually(lambda ipv4=ipv4: asyncio.to_thread(lab.answers_ping, ipv4), within=15)
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT id FROM vms WHERE moved_from = 'a' ORDER BY id")
        assert sorted(r["id"] for r in await cur.fetchall()) == sorted(v for v, h in owners.items() if h == "b")
    assert sorted(lab.domains("b")) == sorted(v for v, h in owners.items() if h == "b")

    status, out, err = await run_cli(["return", "a"], cli)
    assert status == 2 and "activate it first" in err, err
    assert (await run_cli(["activate", "a"], cli))[0] == 0
    status, out, err = await run_cli(["return", "a"], cli, timeout=600)
    assert status == 0 and out.strip().splitlines()[-1] == "a: 2 of 2 moved", (out, err)
    assert {await owner(lab, vm["id"]) for vm in made} == {"a"} and lab.domains("b") == []
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT count(*) AS n FROM vms WHERE moved_from IS NOT NULL")
        assert (await cur.fetchone())["n"] == 0


async def slow_move(lab, vm_id: str, source: str, destination: str):
    """`run.py move` in the background, its migration held to 5 MiB/s so that it lasts; returns the
    process once libvirt's job runs on the source."""
    lab.hosts[source].virsh("migrate-setspeed", vm_id, "5")
    mover = await asyncio.create_subprocess_exec(
        PYTHON, "run.py", "move", vm_id, destination, cwd=REPO, env=child_env(lab.env),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)

    async def migrating():
        info = lab.hosts[source].virsh("domjobinfo", vm_id, check=False).stdout
        return "Unbounded" in info and "Memory processed" in info
    await eventually(migrating, within=60, every=0.1)
    return mover


async def where_it_runs(lab, vm_id: str) -> str:
    """The one host whose libvirtd runs the capsul (and the other has not even defined it)."""
    on = [name for name in ("a", "b") if vm_id in lab.domains(name)]
    assert len(on) == 1, on
    return on[0]


async def consistent(lab, pool, vm_id: str) -> str:
    """One owner, where libvirt runs it, running, answering at its address; the owner."""
    await wait_for_state(pool, vm_id, "running", within=120)
    host = await owner(lab, vm_id)
    assert await where_it_runs(lab, vm_id) == host
    assert lab.hosts[host].virsh("domstate", vm_id).stdout.strip() == "running"
    ipv4, _ = await addresses(lab, vm_id)
    try:
        await eventually(lambda: asyncio.to_thread(lab.answers_ping, ipv4), within=30)
    except BaseException:
        log = lab.folder / f"{host}-vms" / f"{vm_id}-console.log"
        print(f"{vm_id} on {host} does not answer at {ipv4}; its console:\n{log.read_text(errors='replace')[-3000:]}")
        print(subprocess.run(lab.in_client("ip", "neigh"), capture_output=True, text=True).stdout)
        print(lab.hosts[host].virsh("domiflist", vm_id, check=False).stdout)
        raise
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT count(*) AS n FROM ownership_conflicts")
        assert (await cur.fetchone())["n"] == 0
    return host


async def test_moves_that_fail_or_whose_spokes_die_leave_one_owner_where_the_capsul_runs(lab, pool):
    vm = await capsuls.create_capsul(lab.hub.hub, ALICE, "f1-xs", "tinynet", ["laptop"])
    source = await booted(lab, vm["id"])
    destination = "b" if source == "a" else "a"

    # the destination's QEMU dies mid-migration: the move fails, the capsul runs on where it was
    mover = await slow_move(lab, vm["id"], source, destination)
    qemu = [pid for pid in subprocess.run(["ip", "netns", "pids", lab.hosts[destination].netns],
                                          capture_output=True, text=True).stdout.split()
            if vm["id"] in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")]
    assert len(qemu) == 1, qemu
    os.kill(int(qemu[0]), signal.SIGKILL)
    out, err = await asyncio.wait_for(mover.communicate(), 120)
    assert mover.returncode == 1 and "not moved" not in out.decode(), (out, err)
    assert await consistent(lab, pool, vm["id"]) == source
    assert not list((lab.folder / f"{destination}-vms").glob(f"{vm['id']}*"))  # what it made ready, dropped
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT reason FROM vm_events WHERE vm_id = %s ORDER BY id DESC LIMIT 1", (vm["id"],))
        assert "it is where it was" in (await cur.fetchone())["reason"]

    # the destination's spoke is killed mid-move and comes back: libvirt finished the move meanwhile;
    # the owner's live updates told how far the move was
    import aiohttp
    async with aiohttp.ClientSession() as client:
        ws = await client.ws_connect(f"{lab.hub.console_url}/ws?capsul={vm['id']}",
                                     headers={"Authorization": f"Bearer {await token(pool)}"})
        mover = await slow_move(lab, vm["id"], source, destination)

        async def progress_told():
            async for message in ws:
                frame = message.json()
                if frame["type"] == "capsul.move" and frame["data"]["move"]["memory_total"] > 0:
                    return frame["data"]
        told = await asyncio.wait_for(progress_told(), 30)
        await ws.close()
    assert told["capsul"] == vm["id"] and 0 <= told["move"]["memory_remaining"] <= told["move"]["memory_total"]
    assert "destination" not in told["move"]  # hosts are the operator's
    spoke = lab.cluster.processes[destination]
    await spoke.kill()
    await asyncio.sleep(1.0)
    await spoke.start()
    out, err = await asyncio.wait_for(mover.communicate(), 300)
    assert mover.returncode == 0, (out, err)
    assert await consistent(lab, pool, vm["id"]) == destination
    source, destination = destination, source

    # the source's spoke is killed mid-move and comes back: it reads the outcome from where the capsul is
    mover = await slow_move(lab, vm["id"], source, destination)
    spoke = lab.cluster.processes[source]
    await spoke.kill()
    await asyncio.sleep(1.0)
    await spoke.start()
    out, err = await asyncio.wait_for(mover.communicate(), 300)
    now = await consistent(lab, pool, vm["id"])
    print(f"source spoke restarted mid-move: run.py move exited {mover.returncode}, the capsul is on {now}")
    assert (mover.returncode, now) in ((0, destination), (1, source)), (out, err)
    elsewhere = source if now == destination else destination
    assert not list((lab.folder / f"{elsewhere}-vms").glob(f"{vm['id']}*"))


async def test_a_cold_move_copies_the_disk_over_signed_https_and_starts_it_there(lab, pool):
    vm = await capsuls.create_capsul(lab.hub.hub, ALICE, "f1-xs", "tinynet", ["laptop"])
    source = await booted(lab, vm["id"])
    destination = "b" if source == "a" else "a"
    ipv4, ipv6 = await addresses(lab, vm["id"])
    await console_run(lab, vm["id"], "echo cold-marker-$((4*4)) | dd of=/dev/vda bs=512 seek=64 conv=fsync "
                      "2>/dev/null; echo written-$((2*2))", "written-4")

    status, out, err = await run_cli(["move", vm["id"], destination, "--cold"], lab.env, timeout=300)
    assert status == 0, err
    assert re.fullmatch(rf"{vm['id']}: moved to {destination} \(cold: \d+ ms from its shutdown to running there\)\n",
                        out), out
    print(out.strip())
    assert await booted(lab, vm["id"]) == destination  # booted again there, from the disk it had
    assert await consistent(lab, pool, vm["id"]) == destination
    assert await addresses(lab, vm["id"]) == (ipv4, ipv6)
    assert lab.domains(source) == [] and not list((lab.folder / f"{source}-vms").glob(f"{vm['id']}*"))
    await console_run(lab, vm["id"], "dd if=/dev/vda bs=512 skip=64 count=1 2>/dev/null | head -c 14; echo",
                      "cold-marker-16")
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT state, reason FROM vm_events WHERE vm_id = %s ORDER BY id", (vm["id"],))
        timeline = [(e["state"], e["reason"]) for e in await cur.fetchall()]
    moving = [i for i, (state, _) in enumerate(timeline) if state == "migrating"][-1]
    assert "shut down for the move" in timeline[moving][1]
    assert all(state != "stopped" for state, _ in timeline[moving:]), timeline[moving:]

    # a stopped capsul moves cold by itself, and stays stopped where it goes
    await capsuls.capsul_action(lab.hub.hub, ALICE, vm["id"], "force-stop")
    await wait_for_state(pool, vm["id"], "stopped")
    status, out, err = await run_cli(["move", vm["id"], source], lab.env, timeout=300)
    assert status == 0 and "from its shutdown to stopped there" in out, (out, err)
    await wait_for_state(pool, vm["id"], "stopped")
    assert await owner(lab, vm["id"]) == source and lab.domains(destination) == []
    assert lab.hosts[source].virsh("domstate", vm["id"]).stdout.strip() == "shut off"
    await capsuls.capsul_action(lab.hub.hub, ALICE, vm["id"], "start")
    await booted(lab, vm["id"])
    await console_run(lab, vm["id"], "dd if=/dev/vda bs=512 skip=64 count=1 2>/dev/null | head -c 14; echo",
                      "cold-marker-16")

    # the disk is handed out only to a request signed with the move's secret, and only during it
    status, _ = await fetch_disk(lab, source, str(uuid.uuid4()), "0" * 64)
    assert status == 401


async def fetch_disk(lab, host: str, op_id: str, secret: str) -> tuple[int, str]:
    """GET /moves/{op}/disk on a spoke, signed with `secret`, as a destination would."""
    import aiohttp
    from capsul import signing
    path = f"/moves/{op_id}/disk"
    header = signing.authorization_header(secret, op_id, signing.SPOKE_TO_SPOKE, "GET", path, b"")
    url = lab.cluster.processes[host].urls["api"]
    async with aiohttp.ClientSession() as client:
        async with client.get(url + path, headers={"Authorization": header}, ssl=False) as r:
            return r.status, await r.text()


async def test_a_move_to_another_segment_gives_new_addresses_told_in_advance(lab, pool):
    cli = lab.env
    assert (await run_cli(["drain", "b"], cli))[0] == 0
    vm = await capsuls.create_capsul(lab.hub.hub, ALICE, "f1-xs", "tinynet", ["laptop"])
    assert await booted(lab, vm["id"]) == "a"
    old_v4, old_v6 = await addresses(lab, vm["id"])
    # b leaves the segment for one of its own, which the client reaches too
    lab.second_segment("b", "seg2-b", "198.51.101.100/24", "2001:db8:52::100/64")
    async with db.cursor(pool) as cur:
        async with cur.begin():
            await networks.remove_pool(cur, "b", "seg-b")
            await networks.add_host_network(cur, "b", networks.parse_pool(
                "198.51.101.0/24", gateway="198.51.101.1", ipv6_cidr="2001:db8:52::/64", ipv6_gateway="fe80::1"),
                network_name="seg2-b", segment="lab-segment-2", cpu_model="qemu64")
    assert (await run_cli(["activate", "b"], cli))[0] == 0
    await networks_present(pool, "b")

    status, out, err = await run_cli(["move", vm["id"], "b"], cli)
    assert status == 2 and "not on" in err and "--new-addresses" in err, err
    assert await owner(lab, vm["id"]) == "a" and await addresses(lab, vm["id"]) == (old_v4, old_v6)
    await wait_for_state(pool, vm["id"], "running")

    status, out, err = await run_cli(["move", vm["id"], "b", "--new-addresses"], cli, timeout=300)
    assert status == 0, err
    new_v4, new_v6 = await addresses(lab, vm["id"])
    assert new_v4.startswith("198.51.101.") and new_v6.startswith("2001:db8:52::"), (new_v4, new_v6)
    # told before anything moved: the timeline's entry names both, and a mail went (logged here)
    assert f"mail to {ALICE}" in err and "gets new addresses" in err, err
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT state, reason FROM vm_events WHERE vm_id = %s ORDER BY id", (vm["id"],))
        timeline = [(e["state"], e["reason"]) for e in await cur.fetchall()]
        await cur.execute("SELECT network_name, generation FROM vms WHERE id = %s", (vm["id"],))
        row = await cur.fetchone()
    told = [i for i, (state, reason) in enumerate(timeline) if state == "migrating"][-1]
    assert f"its addresses change from {old_v4} and {old_v6} to {new_v4} and {new_v6}" in timeline[told][1]
    assert timeline[-1][0] == "running" and (row["network_name"], row["generation"]) == ("seg2-b", 1)
    assert await booted(lab, vm["id"]) == "b"
    assert await consistent(lab, pool, vm["id"]) == "b"  # it answers at its new address, from b
    await eventually(lambda: asyncio.to_thread(lab.answers_ping, new_v6), within=30)
    assert not await asyncio.to_thread(lab.answers_ping, old_v4)
    assert lab.domains("a") == [] and not list((lab.folder / "a-vms").glob(f"{vm['id']}*"))
    async with db.cursor(pool) as cur:  # the old addresses are free again
        await cur.execute("SELECT count(*) AS n FROM vms WHERE public_ipv4 = %s", (old_v4,))
        assert (await cur.fetchone())["n"] == 0


async def test_a_real_guest_moved_to_another_segment_takes_its_new_addresses_and_keeps_its_host_key(lab, pool):
    """The Debian 12 cloud image (tests/cloud_image.py): cloud-init, not the busybox guest's own script,
    must apply the new addresses, and the guest must keep its SSH host key and its files."""
    from capsul.hub.accounts import ssh_keys
    from tests import cloud_image
    from tests.test_reachable_capsul import Ssh

    image = await asyncio.to_thread(cloud_image.build)
    images = lab.folder.parent / "images"
    for part in (image.disk, image.kernel, image.initrd):
        await asyncio.to_thread(shutil.copy, part, images / f"real-{part.name}")
    await add_image(pool, "debian-real", f"real-{image.disk.name}", kernel=f"real-{image.kernel.name}",
                    initrd=f"real-{image.initrd.name}", cmdline=image.cmdline)
    async with db.cursor(pool) as cur:
        await cur.execute("""INSERT INTO vm_sizes (id, dollars_per_month, vcpus, memory_mb, disk_gb, bandwidth_gb)
                             VALUES ('move-real', 1, 1, 1024, 3, 100)""")
    (lab.folder / "ssh").mkdir()
    ssh = Ssh(lab.folder / "ssh", netns_prefix=lab.in_client)
    await ssh_keys.add_ssh_key(pool, ALICE, ssh.public_key, "lab")
    cli = lab.env
    assert (await run_cli(["drain", "b"], cli))[0] == 0
    vm = await capsuls.create_capsul(lab.hub.hub, ALICE, "move-real", "debian-real", ["lab"])
    await wait_for_state(pool, vm["id"], "running", within=60)
    assert await owner(lab, vm["id"]) == "a"
    old_v4, old_v6 = await addresses(lab, vm["id"])
    line = await eventually(lambda: ssh.scan(old_v4), within=600, every=2)
    host_key = await ssh.fingerprint(line)
    ssh.known_hosts.write_text(f"{line}\n")
    await ssh.run(old_v4, "echo written-before-the-move > ~/note; cloud-init status --wait")

    lab.second_segment("b", "seg2-b", "198.51.101.100/24", "2001:db8:52::100/64")
    async with db.cursor(pool) as cur:
        async with cur.begin():
            await networks.remove_pool(cur, "b", "seg-b")
            await networks.add_host_network(cur, "b", networks.parse_pool(
                "198.51.101.0/24", gateway="198.51.101.1", ipv6_cidr="2001:db8:52::/64", ipv6_gateway="fe80::1"),
                network_name="seg2-b", segment="lab-segment-2", cpu_model="qemu64")
    assert (await run_cli(["activate", "b"], cli))[0] == 0
    await networks_present(pool, "b")
    status, out, err = await run_cli(["move", vm["id"], "b", "--new-addresses"], cli, timeout=600)
    assert status == 0, err
    new_v4, new_v6 = await addresses(lab, vm["id"])
    assert new_v4.startswith("198.51.101.") and await owner(lab, vm["id"]) == "b"

    line = await eventually(lambda: ssh.scan(new_v4), within=600, every=2)
    assert await ssh.fingerprint(line) == host_key  # the same host key at its new address
    ssh.known_hosts.write_text(f"{new_v4} {line.split(' ', 1)[1]}\n{new_v6} {line.split(' ', 1)[1]}\n")
    said = await ssh.run(new_v4, "cat ~/note; ip -o addr show dev eth0; ip route; cloud-init status --wait --long")
    assert "written-before-the-move" in said and f"inet {new_v4}/24" in said and f"inet6 {new_v6}/64" in said, said
    assert old_v4 not in said and "default via 198.51.101.1" in said and "status: done" in said, said
    assert "written-before-the-move" in await ssh.run(new_v6, "cat ~/note")
    await capsuls.destroy_capsul(lab.hub.hub, ALICE, vm["id"])
