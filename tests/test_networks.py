"""Address pools: `run.py add-network` and `run.py networks` as processes against
the test database, IPv4 and IPv6 allocation, pools without a gateway, libvirt networks a spoke
reports missing, and DHCP reservations on libvirt's test driver (whose `default` network serves
DHCP for 192.168.122.0/24)."""
from __future__ import annotations

import pytest

from capsul.hub import capsuls, db
from capsul.hub.db import hosts, networks
from capsul.spoke.cloud_init import mac_for_ipv4
from tests.conftest import (ADMIN_EMAIL, ALICE, add_account_with_key, checked_pool, eventually, spoke_ready,
                          wait_for_state)
from tests.processes import run_cli
from tests.test_console import logged_in



@pytest.fixture
def cli_env(test_env):
    return {k: v for k, v in test_env.items() if k not in ("CONSOLE_LISTEN", "API_LISTEN")}


async def pools(pool) -> list[dict]:
    async with db.cursor(pool) as cur:
        return [dict(r) for r in await networks.list_pools(cur)]


async def register(pool, *host_ids: str) -> None:
    async with db.cursor(pool) as cur:
        for host_id in host_ids:
            await hosts.add_host(cur, host_id, f"https://{host_id}.example:5443")


async def test_add_network_takes_a_dual_stack_pool_and_networks_lists_it(pool, cli_env):
    await register(pool, "s1")
    status, out, err = await run_cli(
        ["add-network", "--id", "s1", "--cidr", "203.0.113.0/24", "--gateway", "203.0.113.1", "--dns",
         "203.0.113.53,2001:db8:53::53", "--dns", "9.9.9.9", "--ipv6-cidr", "2001:db8:1::/64",
         "--ipv6-gateway", "fe80::1", "--network", "public"], cli_env)
    assert status == 0, err
    assert out.strip() == ("host s1: network public: 203.0.113.0/24, addresses 203.0.113.2 to 203.0.113.254, "
                           "gateway 203.0.113.1; IPv6 2001:db8:1::/64, gateway fe80::1; "
                           "DNS 203.0.113.53, 2001:db8:53::53, 9.9.9.9")
    [row] = await pools(pool)
    assert (row["gateway"], row["ipv6_gateway"], row["dns_servers"]) == (
        "203.0.113.1", "fe80::1", ["203.0.113.53", "2001:db8:53::53", "9.9.9.9"])
    status, out, _ = await run_cli(["networks"], cli_env)
    assert status == 0 and out.startswith("s1: network public: 203.0.113.0/24") and "0 of 253 IPv4 in use" in out


@pytest.mark.parametrize("args, message", [
    (["--cidr", "203.0.113.0/24", "--gateway", "198.51.100.1"], "--gateway 198.51.100.1 is not a host address of"),
    (["--cidr", "203.0.113.0/24", "--gateway", "203.0.113.255"], "is not a host address of 203.0.113.0/24"),
    (["--cidr", "203.0.113.0/24", "--gateway", "203.0.113.9", "--first", "203.0.113.5", "--last", "203.0.113.20"],
     "--gateway 203.0.113.9 lies inside the range 203.0.113.5-203.0.113.20"),
    (["--cidr", "203.0.113.0/24", "--gateway", "203.0.113.9"], "lies inside the range 203.0.113.1-203.0.113.254"),
    (["--cidr", "203.0.113.7/24", "--gateway", "203.0.113.1"], "is not an IPv4 network"),
    (["--cidr", "2001:db8::/64", "--gateway", "203.0.113.1"], "is not an IPv4 network"),
    (["--cidr", "203.0.113.0/24", "--gateway", "203.0.113.1", "--dns", "resolver.example"],
     "--dns: 'resolver.example' is not an IP address"),
    (["--cidr", "203.0.113.0/24", "--gateway", "203.0.113.1", "--ipv6-cidr", "2001:db8:1::/64"],
     "--ipv6-cidr needs --ipv6-gateway"),
    (["--cidr", "203.0.113.0/24", "--gateway", "203.0.113.1", "--ipv6-gateway", "2001:db8:1::1"],
     "--ipv6-gateway needs --ipv6-cidr"),
    (["--cidr", "203.0.113.0/24", "--gateway", "203.0.113.1", "--ipv6-cidr", "2001:db8:1::/64",
      "--ipv6-gateway", "2001:db8:2::1"], "is neither inside 2001:db8:1::/64 nor a link-local"),
    (["--cidr", "203.0.113.0/24", "--gateway", "203.0.113.1", "--ipv6-cidr", "2001:db8:1::/127",
      "--ipv6-gateway", "fe80::1"], "too small"),
    (["--cidr", "198.51.100.128/25", "--gateway", "198.51.100.129"],
     "198.51.100.128/25 overlaps 198.51.100.0/24, the pool of host s2 on network default"),
    (["--cidr", "203.0.113.0/24", "--gateway", "203.0.113.1", "--ipv6-cidr", "2001:db8:9::/48",
      "--ipv6-gateway", "2001:db8:9::1"], "2001:db8:9::/48 overlaps 2001:db8:9:1::/64, the pool of host s2"),
    (["--cidr", "203.0.113.0/24", "--gateway", "203.0.113.1", "--network", "bad'name"], "not a libvirt network"),
])
async def test_bad_pools_get_one_line_exit_2_and_change_nothing(pool, cli_env, args, message):
    await register(pool, "s1", "s2")
    async with db.cursor(pool) as cur:
        async with cur.begin():
            await networks.add_host_network(cur, "s2", networks.parse_pool(
                "198.51.100.0/24", gateway="198.51.100.1", ipv6_cidr="2001:db8:9:1::/64", ipv6_gateway="fe80::1"))
    before = await pools(pool)
    status, out, err = await run_cli(["add-network", "--id", "s1", *args], cli_env)
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1 and message in err, (status, err)
    assert "Traceback" not in err
    assert await pools(pool) == before


async def test_add_network_refuses_an_unknown_host(pool, cli_env):
    status, _, err = await run_cli(["add-network", "--id", "nohost", "--cidr", "203.0.113.0/24",
                                    "--gateway", "203.0.113.1"], cli_env)
    assert status == 2 and "no host 'nohost'" in err and await pools(pool) == []


async def test_a_pool_without_a_gateway_is_reported_and_never_used(start_node, pool, cli_env, people, mail):
    """add-network says so, the create refusal says why, the admin page shows it."""
    node = await start_node(HEARTBEAT_INTERVAL="0.2", ADMIN_EMAIL_ADDRESSES=ADMIN_EMAIL, **mail.env())
    await spoke_ready(pool)
    await add_account_with_key(pool)
    status, out, err = await run_cli(["add-network", "--id", "local", "--cidr", "198.18.0.0/29"], cli_env)
    assert status == 0 and "198.18.0.0/29" in out and "gateway NONE" in out
    assert "warning: this pool has no gateway, so no capsul is placed on it" in err
    with pytest.raises(capsuls.NoCapacityError, match="no room for a f1-xs"):  # the person's words
        await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"])
    admin = await logged_in(people, mail, ADMIN_EMAIL)
    status, text = await admin.get("/admin")  # the operator's: the operation's error and the pool's row
    assert status == 200 and 'data-pool="local/default"' in text and "data-no-gateway" in text
    assert "local: no free IPv4 address: its pool has no gateway" in text


async def test_each_capsul_gets_its_own_ipv6_never_the_gateway_and_gives_it_back(start_node, pool):
    node = await start_node(HEARTBEAT_INTERVAL="0.2")
    await spoke_ready(pool)
    await add_account_with_key(pool)
    async with db.cursor(pool) as cur:
        async with cur.begin():
            await networks.add_host_network(cur, "local", checked_pool(
                "198.18.0.0/28", ipv6_cidr="2001:db8:5::/64", ipv6_gateway="2001:db8:5::2"))
    made = [await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"]) for _ in range(3)]
    assert [vm["public_ipv6"] for vm in made] == ["2001:db8:5::1", "2001:db8:5::3", "2001:db8:5::4"]

    async def running(vm_id):
        async with db.cursor(pool) as cur:
            await cur.execute("SELECT state FROM vms WHERE id = %s", (vm_id,))
            return (await cur.fetchone())["state"] == "running"
    await eventually(lambda: running(made[1]["id"]))
    await capsuls.destroy_capsul(node.hub, ALICE, made[1]["id"])
    again = await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"])
    assert again["public_ipv6"] == "2001:db8:5::3"  # given back on delete, taken again
    async with db.cursor(pool) as cur:  # the database refuses a second live capsul on one IPv6
        await cur.execute("SELECT count(DISTINCT public_ipv6) AS n, count(*) AS m FROM vms WHERE state <> 'deleted'")
        assert await cur.fetchone() == {"n": 3, "m": 3}
        with pytest.raises(Exception, match="vms_live_ipv6"):
            await cur.execute("UPDATE vms SET public_ipv6 = %s WHERE id = %s", (made[0]["public_ipv6"], again["id"]))


async def test_a_missing_libvirt_network_keeps_capsuls_off_the_host(start_node, pool, people, mail):
    node = await start_node(HEARTBEAT_INTERVAL="0.2", ADMIN_EMAIL_ADDRESSES=ADMIN_EMAIL, **mail.env())
    await spoke_ready(pool)
    await add_account_with_key(pool)
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE host_network SET network_name = 'public' WHERE host_id = 'local'")

    async def reported(expected):
        async def check():
            async with db.cursor(pool) as cur:
                await cur.execute("SELECT missing_networks FROM hosts WHERE id = 'local'")
                return (await cur.fetchone())["missing_networks"] == expected
        return check
    await eventually(await reported({"public": "missing"}))
    with pytest.raises(capsuls.NoCapacityError, match="no room for a f1-xs"):
        await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"])
    admin = await logged_in(people, mail, ADMIN_EMAIL)
    status, text = await admin.get("/admin")  # why is the operator's
    assert 'data-missing-network="public"' in text and "local: its libvirt network public is missing" in text
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE host_network SET network_name = 'default' WHERE host_id = 'local'")
    await eventually(await reported({}))
    vm = await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"])
    assert vm["host_id"] == "local"


async def test_a_capsul_on_a_dhcp_network_gets_a_reservation_removed_at_delete(start_node, pool):
    node = await start_node(HEARTBEAT_INTERVAL="0.2")
    await spoke_ready(pool)
    await add_account_with_key(pool)
    async with db.cursor(pool) as cur:
        async with cur.begin():
            await networks.add_host_network(cur, "local", networks.parse_pool(
                "192.168.122.0/24", "192.168.122.10", "192.168.122.20", gateway="192.168.122.1"))
    virt = node.hypervisor
    vm = await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"])
    entry = f"<host mac='{mac_for_ipv4(vm['public_ipv4'])}' name='{vm['id']}' ip='{vm['public_ipv4']}'/>"

    async def reserved():
        return entry in await virt.network_xml("default")
    await eventually(reserved)
    await wait_for_state(pool, vm["id"], "running")
    await capsuls.destroy_capsul(node.hub, ALICE, vm["id"])
    xml = await virt.network_xml("default")
    assert vm["id"] not in xml and "<host " not in xml


async def test_reservations_are_idempotent_replace_stale_entries_and_skip_other_subnets():
    """On libvirt's test driver, straight through the spoke's Hypervisor."""
    from capsul.spoke.virt import Hypervisor, HypervisorError
    virt = Hypervisor("test:///default")
    await virt.connect()
    try:
        mac = mac_for_ipv4("192.168.122.10")
        assert await virt.reserve_dhcp("default", mac, "192.168.122.10", "capsul-aaaaaaaaaa") == "added"
        assert await virt.reserve_dhcp("default", mac, "192.168.122.10", "capsul-aaaaaaaaaa") == "present"
        # the address went to another capsul (the first one's entry was left behind): replaced, not doubled
        assert await virt.reserve_dhcp("default", mac, "192.168.122.10", "capsul-bbbbbbbbbb") == "added"
        xml = await virt.network_xml("default")
        assert xml.count("<host ") == 1 and "capsul-bbbbbbbbbb" in xml
        # an address outside the network's DHCP subnet: nothing to reserve there
        assert await virt.reserve_dhcp("default", mac_for_ipv4("192.0.2.5"), "192.0.2.5", "capsul-cccccccccc") == \
            "no DHCP"
        assert await virt.release_dhcp("default", "capsul-bbbbbbbbbb") is True
        assert await virt.release_dhcp("default", "capsul-bbbbbbbbbb") is False  # harmless twice
        assert "<host " not in await virt.network_xml("default")
        assert await virt.release_dhcp("nosuchnet", "capsul-bbbbbbbbbb") is False
        with pytest.raises(HypervisorError, match="libvirt network nosuchnet is missing"):
            await virt.reserve_dhcp("nosuchnet", mac, "192.168.122.10", "capsul-aaaaaaaaaa")
        assert await virt.network_problems(["default", "nosuchnet"]) == {"nosuchnet": "missing"}
    finally:
        await virt.close()
