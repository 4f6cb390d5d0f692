"""The service layer on one hub+spoke process: create, events, actions, destroy."""
import uuid

import pytest

from capsul.hub import capsuls, db
from capsul.hub.db import networks, vms
from tests.conftest import add_account_with_key, checked_pool, spoke_ready, wait_for_state


@pytest.fixture
async def hub(start_node, pool):
    node = await start_node(HEARTBEAT_INTERVAL="0.2")
    async with db.cursor(pool) as cur:
        await networks.add_host_network(cur, "local", checked_pool("198.18.0.0/29"))  # 5 usable addresses (.6 is the gateway)
    await add_account_with_key(pool)
    await spoke_ready(pool)
    return node.hub


async def test_create_act_destroy(hub, pool):
    vm = await capsuls.create_capsul(hub, "alice@example.org", "f1-xs", "debian12", ["laptop"])
    assert vm["host_id"] == "local" and vm["public_ipv4"] == "198.18.0.1"
    assert vm["state"] in ("creating", "running")

    await wait_for_state(pool, vm["id"], "running")
    vm = await capsuls.capsul_action(hub, "alice@example.org", vm["id"], "force-stop")
    assert vm["state"] == "stopped"
    vm = await capsuls.capsul_action(hub, "alice@example.org", vm["id"], "start")
    assert vm["state"] == "running"
    with pytest.raises(capsuls.WrongState):
        await capsuls.capsul_action(hub, "alice@example.org", vm["id"], "start")
    with pytest.raises(capsuls.CapsulNotFound):
        await capsuls.capsul_action(hub, "bob@example.org", vm["id"], "reboot")
    vm = await capsuls.destroy_capsul(hub, "alice@example.org", vm["id"])
    assert vm["state"] == "deleted"
    async with db.cursor(pool) as cur:
        trail = [e["state"] for e in await vms.events(cur, vm["id"])]
    assert trail[:2] == ["pending", "creating"] and trail[-2:] == ["deleting", "deleted"]
    listing = await hub.dispatcher.list_everywhere()
    assert listing.answers["local"]["vms"] == []


async def test_retried_create_makes_nothing_new(hub, pool):
    op_id = uuid.uuid4()
    first = await capsuls.create_capsul(hub, "alice@example.org", "f1-xs", "debian12", ["laptop"],
                                        operation_id=op_id)
    again = await capsuls.create_capsul(hub, "alice@example.org", "f1-xs", "debian12", ["laptop"],
                                        operation_id=op_id)
    assert again["id"] == first["id"] and again["public_ipv4"] == first["public_ipv4"]
    async with db.cursor(pool) as cur:
        assert len(await vms.list_vms(cur, "alice@example.org")) == 1


async def test_capacity_available_and_get(hub, pool):
    answer = await capsuls.capacity_available(hub, "f1-xs")
    assert answer["hosts"] == {"local": {"available": True, "reason": None}} and answer["missing"] == {}
    answer = await capsuls.capacity_available(hub, "f1-xx")  # 8 GiB: more than test:///default has
    assert answer["hosts"]["local"] == {"available": False, "reason": "not enough memory (3072 MB free)"}
    with pytest.raises(capsuls.InvalidRequest):
        await capsuls.capacity_available(hub, "nope")

    vm = await capsuls.create_capsul(hub, "alice@example.org", "f1-xs", "debian12", ["laptop"])
    await wait_for_state(pool, vm["id"], "running")
    async with db.cursor(pool) as cur:  # the hub's picture drifts; get asks the host
        await cur.execute("UPDATE vms SET state = 'stopped' WHERE id = %s", (vm["id"],))
    assert (await capsuls.refresh_capsul(hub, "alice@example.org", vm["id"]))["state"] == "running"


async def test_a_vm_reported_by_a_host_that_does_not_own_it_is_a_conflict(hub, pool):
    from capsul.hub.db import hosts, vm_events
    vm = await capsuls.create_capsul(hub, "alice@example.org", "f1-xs", "debian12", ["laptop"])
    await wait_for_state(pool, vm["id"], "running")
    async with db.cursor(pool) as cur:  # the hub believes another host owns it
        await hosts.add_host(cur, "other", "https://127.0.0.1:1")
        await cur.execute("UPDATE vms SET host_id = 'other' WHERE id = %s", (vm["id"],))
    listing = await hub.dispatcher.list_everywhere()
    async with db.cursor(pool) as cur:
        conflicts = await vm_events.open_conflicts(cur)
    assert [(c["vm_id"], c["owner"], c["reported_by"]) for c in conflicts] == [(vm["id"], "other", "local")]
    assert str(conflicts[0]["operation_id"]) == str(listing.operation_id)  # recorded on the operation
    async with db.cursor(pool) as cur:  # an event from the non-owner changes nothing but the record
        await vm_events.apply_events(cur, "local", [{"seq": 10**6, "vm_id": vm["id"], "state": "stopped",
                                                     "reason": None}])
        assert (await vms.get_vm(cur, vm["id"]))["state"] == "running"
        await cur.execute("SELECT operation_id FROM ownership_conflicts")
        rows = await cur.fetchall()
    assert len(rows) == 1  # the same conflict, seen again
    async with db.cursor(pool) as cur:  # the VM still has one row and one owner: nothing to bill twice
        await cur.execute("SELECT count(*) AS n FROM vms WHERE id = %s", (vm["id"],))
        assert (await cur.fetchone())["n"] == 1


async def test_the_embedded_test_spoke_gets_a_documentation_pool(start_node, pool):
    """Both kinds of address, the gateways never handed out. (An older release's pool there, without
    a gateway, is mended by a migration: tests/test_migrations.py.)"""
    node = await start_node(HEARTBEAT_INTERVAL="0.2")
    await add_account_with_key(pool, "carol@example.org", "k")
    await spoke_ready(pool)
    vm = await capsuls.create_capsul(node.hub, "carol@example.org", "f1-xs", "debian12", ["k"])
    assert (vm["public_ipv4"], vm["public_ipv6"]) == ("192.0.2.2", "2001:db8::2")
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT host(gateway) AS gw, host(ipv6_gateway) AS gw6 FROM host_network")
        assert await cur.fetchall() == [{"gw": "192.0.2.1", "gw6": "2001:db8::1"}]


async def test_a_paused_capsul_can_be_started_again(start_node, pool):
    """Whatever paused it (an interrupted start, an operator), "start" carries it on."""
    node = await start_node(HEARTBEAT_INTERVAL="0.2")
    await add_account_with_key(pool)
    await spoke_ready(pool)
    vm = await capsuls.create_capsul(node.hub, "alice@example.org", "f1-xs", "debian12", ["laptop"])

    await wait_for_state(pool, vm["id"], "running")
    await node.hypervisor.command(vm["id"], "suspend")
    await wait_for_state(pool, vm["id"], "paused")
    vm = await capsuls.capsul_action(node.hub, "alice@example.org", vm["id"], "start")
    assert vm["state"] == "running"
