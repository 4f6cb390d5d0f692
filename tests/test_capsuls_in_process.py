"""The service layer on one hub+spoke process: create, events, actions, destroy."""
import uuid

import pytest

from capsul.hub import capsuls, db
from capsul.hub.db import accounts, networks, vms
from tests.conftest import eventually


async def vm_state(pool, vm_id):
    async with db.cursor(pool) as cur:
        return (await vms.get_vm(cur, vm_id))["state"]


@pytest.fixture
async def hub(start_node, pool):
    node = await start_node(HEARTBEAT_INTERVAL="0.2")
    async with db.cursor(pool) as cur:
        await networks.add_host_network(cur, "local", "198.18.0.0/29")  # 6 usable addresses
        await accounts.ensure_account(cur, "alice@example.org")
        await accounts.add_ssh_key(cur, "alice@example.org", "laptop", "ssh-ed25519 AAAAC3Nza alice@laptop")

    async def capacity_known():
        async with db.cursor(pool) as cur:
            await cur.execute("SELECT capacity FROM hosts WHERE id = 'local' AND online")
            return await cur.fetchone()

    await eventually(capacity_known)
    return node.hub


async def test_create_act_destroy(hub, pool):
    vm = await capsuls.create_capsul(hub, "alice@example.org", "f1-xs", "debian12", ["laptop"])
    assert vm["host_id"] == "local" and vm["public_ipv4"] == "198.18.0.1"
    assert vm["state"] in ("creating", "running")

    async def running():
        return await vm_state(pool, vm["id"]) == "running"

    await eventually(running)
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
