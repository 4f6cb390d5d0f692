"""The embedded default survives its own restart: libvirt's test driver forgets its domains, so the
spoke keeps them in its state folder (capsul/spoke/kept_domains.py). Before, every capsul came
back "crashed", Start answered 503 and the capsuls were still billed. A capsul its host really
lacks is shown so, offers no action that cannot work, and is not charged."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from capsul.hub import capsuls, db
from capsul.hub.billing import metering
from capsul.hub.db import vms
from capsul.hub.spokes.resync import resync_host
from capsul import vm_states
from tests.conftest import ALICE, add_account_with_key, spoke_ready, state_of, wait_for_state


async def test_capsuls_come_back_as_they_were_after_a_restart(start_node, pool, test_env):
    node = await start_node()
    await add_account_with_key(pool, ALICE)
    await spoke_ready(pool)
    running = await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"])
    stopped = await capsuls.create_capsul(node.hub, ALICE, "f1-s", "debian12", ["laptop"])
    await wait_for_state(pool, stopped["id"], "running")
    await capsuls.capsul_action(node.hub, ALICE, stopped["id"], "force-stop")
    await wait_for_state(pool, stopped["id"], "stopped")
    await node.stop()

    node = await start_node()  # the same state folder (CAPSUL_VAR_DIR), a fresh test hypervisor
    await spoke_ready(pool)
    assert sorted(d["vm_id"] for d in await node.hypervisor.list_capsuls()) == sorted([running["id"], stopped["id"]])
    await wait_for_state(pool, running["id"], "running")
    assert await state_of(pool, stopped["id"]) == "stopped"
    vm = await capsuls.capsul_action(node.hub, ALICE, stopped["id"], "start")  # the host has it: works
    assert vm["state"] == "running"
    vm = await capsuls.capsul_action(node.hub, ALICE, running["id"], "force-stop")
    assert vm["state"] == "stopped"
    assert (await capsuls.destroy_capsul(node.hub, ALICE, running["id"]))["state"] == "deleted"


async def test_a_capsul_its_host_lacks_offers_nothing_and_is_not_billed(start_node, pool):
    node = await start_node()
    await add_account_with_key(pool, ALICE)
    await spoke_ready(pool)
    ghost = vms.new_vm_id()
    created = datetime.now(timezone.utc) - timedelta(hours=5)
    async with db.cursor(pool) as cur:  # the hub believes the host runs it; the host never had it
        await vms.insert_pending_vm(cur, ghost, ALICE, "f1-xs", "debian12", [])
        await cur.execute("""UPDATE vms SET host_id = 'local', state = 'running', created_at = %s,
                                 state_changed_at = now() - interval '1 hour' WHERE id = %s""", (created, ghost))
    report = await resync_host(pool, node.hub.dispatcher, node.config, "local")
    assert report.changed == {ghost: "crashed"}
    vm = await capsuls.get_capsul(node.hub, ALICE, ghost)
    assert vm["problem"] == vm_states.MISSING_ON_HOST and vm["failure_reason"] is None
    assert vm_states.actions_for(vm["state"], vm["problem"]) == []
    try:
        await capsuls.capsul_action(node.hub, ALICE, ghost, "start")
        raise AssertionError("a start of a capsul its host lacks was sent")
    except capsuls.WrongState as e:
        assert "no longer has this capsul" in str(e)
    assert await metering.meter(pool, datetime.now(timezone.utc)) == 0
    again = await resync_host(pool, node.hub.dispatcher, node.config, "local")
    assert again.changed == {}  # marked once, not again at every resync
    assert (await capsuls.destroy_capsul(node.hub, ALICE, ghost))["state"] == "deleted"
