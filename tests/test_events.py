"""VM events: sequence journal, reboot debounce, resync, gaps — one hub+spoke process."""
import asyncio
import json

import aiopg
import pytest

from capsul import signing
from capsul.hub import capsuls, db
from capsul.hub.db import vms
from capsul.hub.spokes.resync import resync_host
from capsul.spoke.journal import BLOCK, SeqJournal
from tests.conftest import add_account_with_key, eventually, spoke_ready


async def test_the_sequence_journal_never_reuses_a_number(tmp_path):
    journal = SeqJournal(tmp_path / "spoke" / "event-seq")
    assert journal.load() == 1
    taken = [journal.take() for _ in range(BLOCK // 2 + 10)]  # past half a block: the next is reserved
    assert taken == list(range(1, BLOCK // 2 + 11))
    await journal.written()
    restarted = SeqJournal(tmp_path / "spoke" / "event-seq")  # as after a crash
    assert restarted.load() == 2 * BLOCK + 1 > taken[-1]


@pytest.fixture
async def node(start_node, pool):
    node = await start_node(HEARTBEAT_INTERVAL="0.5", STOPPED_DEBOUNCE="0.5", RESYNC_INTERVAL="3600")
    await add_account_with_key(pool)
    await spoke_ready(pool)
    return node


async def running_capsul(node, pool):
    vm = await capsuls.create_capsul(node.hub, "alice@example.org", "f1-xs", "debian12", ["laptop"])

    async def running():
        async with db.cursor(pool) as cur:
            return (await vms.get_vm(cur, vm["id"]))["state"] == "running"

    await eventually(running)
    return vm


async def states_of(pool, vm_id):
    async with db.cursor(pool) as cur:
        return [e["state"] for e in await vms.events(cur, vm_id)]


async def test_a_reboot_does_not_show_as_stopped_but_a_stop_does(node, pool):
    vm = await running_capsul(node, pool)
    virt = node.hypervisor
    before = await states_of(pool, vm["id"])
    # behind the hub's back, straight on libvirt: off and on again within the debounce window
    await virt.command(vm["id"], "force-stop")
    await virt.command(vm["id"], "start")
    await asyncio.sleep(1.0)  # past the window: a held-back stop would have been sent by now
    assert await states_of(pool, vm["id"]) == before

    await virt.command(vm["id"], "force-stop")

    async def stopped():
        return (await states_of(pool, vm["id"]))[-1] == "stopped"

    await eventually(stopped)


async def test_resync_corrects_drift_missing_vms_and_finds_strays(node, pool):
    vm = await running_capsul(node, pool)
    ghost = vms.new_vm_id()
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE vms SET state = 'stopped' WHERE id = %s", (vm["id"],))  # drift
        await vms.insert_pending_vm(cur, ghost, "alice@example.org", "f1-xs", "debian12", [])
        await cur.execute("""UPDATE vms SET host_id = 'local', state = 'running',
                                 state_changed_at = now() - interval '1 hour' WHERE id = %s""", (ghost,))
    stray = vms.new_vm_id()
    await node.hypervisor.define_and_start(
        stray, f"<domain type='test'><name>{stray}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
               f"<os><type>hvm</type></os></domain>")
    report = await resync_host(pool, node.hub.dispatcher, node.config, "local")
    assert report.changed == {vm["id"]: "running", ghost: "crashed"}
    assert report.strays == [stray] and report.conflicts == []
    async with db.cursor(pool) as cur:
        assert (await vms.get_vm(cur, vm["id"]))["state"] == "running"
        assert (await vms.get_vm(cur, ghost))["state"] == "crashed"
    # nothing left to correct: a second resync changes nothing
    again = await resync_host(pool, node.hub.dispatcher, node.config, "local")
    assert again.changed == {} and again.strays == [stray]


async def test_a_gap_in_event_numbers_triggers_a_resync(node, pool):
    vm = await running_capsul(node, pool)
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE vms SET state = 'paused' WHERE id = %s", (vm["id"],))  # drift
        await cur.execute("SELECT last_applied_seq FROM hosts WHERE id = 'local'")
        last = (await cur.fetchone())["last_applied_seq"]
    done_before = node.resyncer.completed
    client = node.hub.dispatcher.client
    body = {"events": [{"seq": last + 50, "vm_id": vm["id"], "state": "running", "reason": "late"}]}
    # signed as the spoke would
    answer = await signing.signed_post(client.session, node.api_url, "/hub/events", body, host_id="local",
                                       token=node.config.spoke_host_token, direction=signing.SPOKE_TO_HUB,
                                       timeout=5)
    assert answer["applied"] == 1 and answer["last_seq"] == last + 50

    async def resynced():
        return node.resyncer.completed > done_before

    await eventually(resynced)


async def test_state_changes_are_notified(node, pool, postgres):
    async with aiopg.connect(postgres.dsn) as conn:
        async with conn.cursor() as cur:
            await cur.execute(f"LISTEN {vms.NOTIFY_CHANNEL}")
        vm = await running_capsul(node, pool)
        seen = []
        while True:
            message = await asyncio.wait_for(conn.notifies.get(), 5)
            payload = json.loads(message.payload)
            if payload["vm_id"] == vm["id"]:
                seen.append(payload["state"])
            if seen[-1:] == ["running"]:
                break
    assert seen == ["pending", "creating", "running"]
    assert payload["account"] == "alice@example.org" and payload["host_id"] == "local"


def test_lifecycle_events_are_put_in_words():
    from capsul import lifecycle_words
    assert lifecycle_words.describe(2, 0) == "started (booted)"
    assert lifecycle_words.describe(5, 1) == "forced off"
    assert lifecycle_words.describe(5, 0, shutdown_by=1) == "shut down from inside"  # the guest asked
    assert lifecycle_words.describe(5, 0, shutdown_by=2) == "shut down (asked by its host)"
    assert lifecycle_words.describe(5, 99) == "stopped"  # a detail newer than this table: the event's word
    assert lifecycle_words.readable("libvirt event 4/0") == "resumed"
    assert lifecycle_words.readable("delete requested") == "delete requested"
    assert lifecycle_words.readable(None) is None
