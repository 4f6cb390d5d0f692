"""Network segments (migration 0009, docs/moves.md): pools of several hosts on one segment share its
addresses; `run.py add-network --segment` joins one only with the same addressing and CPU model;
addresses are allocated once across the segment's hosts; the CPU model reaches the domain XML."""
from __future__ import annotations

import asyncio

from capsul.hub import db
from capsul.hub.db import hosts, networks
from capsul.spoke.domain_xml import build_domain_xml
from capsul.spoke.storage import GuestFiles
from tests.processes import run_cli
from tests.test_networks import cli_env, pools, register  # noqa: F401 (fixture)

JOIN = ["--cidr", "203.0.113.0/24", "--gateway", "203.0.113.1", "--dns", "203.0.113.53", "--ipv6-cidr",
        "2001:db8:1::/64", "--ipv6-gateway", "fe80::1", "--segment", "dc1-public", "--cpu-model", "qemu64"]


async def test_hosts_join_a_segment_with_the_same_pool_and_are_refused_with_another(pool, cli_env):
    await register(pool, "s1", "s2", "s3")
    status, out, err = await run_cli(["add-network", "--id", "s1", "--network", "br-public", *JOIN], cli_env)
    assert status == 0, err
    assert "network br-public (segment dc1-public): 203.0.113.0/24" in out and "CPU model qemu64" in out
    status, _, err = await run_cli(["add-network", "--id", "s2", "--network", "public", *JOIN], cli_env)
    assert status == 0, err  # the same segment through another libvirt network on s2: no overlap refusal
    before = await pools(pool)
    assert [(r["host_id"], r["network_name"], r["segment"]) for r in before] == [
        ("s1", "br-public", "dc1-public"), ("s2", "public", "dc1-public")]
    for changed, words in ((["--dns", "9.9.9.9"], "a host joins it with the same addresses"),
                           (["--cpu-model", "Haswell"], "a host joins it with the same addresses")):
        args = JOIN + changed
        status, out, err = await run_cli(["add-network", "--id", "s3", *args], cli_env)
        assert status == 2 and words in err and "segment dc1-public is network" in err, err
    status, _, err = await run_cli(["add-network", "--id", "s3", *[a if a != "dc1-public" else "dc2" for a in JOIN]],
                                   cli_env)
    assert status == 2 and "overlaps 203.0.113.0/24" in err, err  # the same addresses on another segment
    status, _, err = await run_cli(["add-network", "--id", "s1", "--network", "second", *JOIN], cli_env)
    assert status == 2 and "reaches segment dc1-public through network br-public already" in err, err
    status, _, err = await run_cli(["add-network", "--id", "s3", "--cpu-model", "no good", *JOIN[:-2]], cli_env)
    assert status == 2 and "not a CPU model name" in err, err
    assert await pools(pool) == before


async def test_the_database_refuses_a_segment_whose_pools_differ(pool):
    """The deferred trigger is the last word, whatever wrote the rows (a 0.9.0 hub, SQL by hand)."""
    await register(pool, "s1", "s2")
    async with db.cursor(pool) as cur:
        async with cur.begin():
            await networks.add_host_network(cur, "s1", networks.parse_pool("198.51.100.0/24", gateway="198.51.100.1"),
                                            segment="seg")
        try:
            async with cur.begin():
                await cur.execute("""INSERT INTO host_network (host_id, network_name, cidr, first_usable, last_usable,
                                                               gateway, segment)
                                     VALUES ('s2', 'default', '198.51.100.0/24', '198.51.100.2', '198.51.100.9',
                                             '198.51.100.1', 'seg')""")
        except Exception as e:  # noqa: BLE001 (psycopg2's CheckViolation at commit)
            assert "the pools of segment seg differ" in str(e)
        else:
            raise AssertionError("a differing pool joined the segment")
        await cur.execute("""INSERT INTO host_network (host_id, network_name, cidr, first_usable, last_usable)
                             VALUES ('s2', 'old', '192.0.2.0/24', '192.0.2.2', '192.0.2.9')""")
        await cur.execute("SELECT segment FROM host_network WHERE host_id = 's2'")
        assert (await cur.fetchone())["segment"] == "s2/old"  # as a 0.9.0 hub writes it: a segment of its own


async def test_claims_on_two_hosts_of_one_segment_never_take_one_address(pool):
    await register(pool, "s1", "s2")
    small = networks.parse_pool("198.51.100.0/28", gateway="198.51.100.1")  # 13 addresses for both hosts
    async with db.cursor(pool) as cur:
        async with cur.begin():
            await networks.add_host_network(cur, "s1", small, segment="shared")
            await networks.add_host_network(cur, "s2", small, network_name="br0", segment="shared")

    async def claim(host_id: str) -> str | None:
        async with db.cursor(pool) as cur:
            async with cur.begin():
                got = await networks.allocate_addresses(cur, host_id)
                if got is None:
                    return None
                vm_id = f"capsul-{host_id}{got.ipv4.split('.')[-1]:0>8}"[:17]
                await cur.execute("SELECT id FROM vm_sizes LIMIT 1")
                size = (await cur.fetchone())["id"]
                await cur.execute("SELECT id FROM os_images LIMIT 1")
                image = (await cur.fetchone())["id"]
                await cur.execute("INSERT INTO accounts (email) VALUES ('seg@example.org') ON CONFLICT DO NOTHING")
                await cur.execute("""INSERT INTO vms (id, account, size, os, host_id, network_name, public_ipv4, state)
                                     VALUES (%s, 'seg@example.org', %s, %s, %s, %s, %s, 'running')""",
                                  (vm_id, size, image, host_id, got.network_name, got.ipv4))
                return got.ipv4

    got = await asyncio.gather(*(claim(h) for h in ["s1", "s2"] * 8))
    taken = [a for a in got if a]
    assert len(taken) == 13 and len(set(taken)) == 13 and got.count(None) == 3


def test_a_segments_cpu_model_is_the_guests():
    payload = {"vm_id": "capsul-abcdefghij", "memory_mb": 256, "vcpus": 1, "cpu_model": "qemu64"}
    xml = build_domain_xml(payload, GuestFiles(*(f"/x/{n}" for n in ("d", "s", "c")), None, None), domain_type="kvm")
    assert "<cpu mode=\"custom\" match=\"exact\" check=\"none\"><model fallback=\"forbid\">qemu64</model></cpu>" in xml
    assert "host-passthrough" not in xml
    assert "host-passthrough" in build_domain_xml({**payload, "cpu_model": None},
                                                  GuestFiles("/d", "/s", "/c", None, None), domain_type="kvm")
