"""Fault suite: one spoke stops answering (its process frozen with SIGSTOP) while people work
with capsuls on another. Everything served by the healthy spoke completes while the frozen
one is still frozen (so none of it waited for it); what needs the frozen spoke fails with a
clear error after OPERATION_TIMEOUT; once it thaws, hub and hosts converge."""
from __future__ import annotations

import shutil
import signal

import pytest

from capsul.config import Role
from capsul.hub import capsuls, db
from tests.conftest import ALICE, add_account_with_key, eventually, shared_tmpdir, wait_for_state
from tests.convergence import assert_converged
from tests.spoke_cluster import SpokeSpec, start_spokes

pytestmark = pytest.mark.slow


async def test_a_frozen_spoke_holds_up_nothing_served_by_another(start_node, pool, tls_files, people, mail):
    hub = await start_node(Role.HUB, HEARTBEAT_INTERVAL="0.5", HEARTBEAT_TIMEOUT="0.5", OPERATION_TIMEOUT="2",
                           OPERATION_RETRIES="0", RESYNC_INTERVAL="3600", **mail.env())
    await add_account_with_key(pool)
    folder = shared_tmpdir("capsul-test-slow-")
    cluster = await start_spokes(pool, hub.api_url, [SpokeSpec("slow", 8192, 8, "198.18.1.0/24"),
                                                     SpokeSpec("fine", 4096, 8, "198.18.2.0/24")],
                                 folder, tls_files)
    frozen = cluster.processes["slow"]
    try:
        on_slow = await capsuls.create_capsul(hub.hub, ALICE, "f1-xs", "debian12", ["laptop"])
        assert on_slow["host_id"] == "slow"  # most free memory: placed there first
        async with db.cursor(pool) as cur:  # from now on, new capsuls go to "fine"
            await cur.execute("UPDATE hosts SET capacity = jsonb_set(capacity, '{committed_memory_mb}', "
                              "to_jsonb((capacity->>'memory_mb')::int)) WHERE id = 'slow'")
        await wait_for_state(pool, on_slow["id"], "running")

        frozen._signal_group(signal.SIGSTOP)
        done = []
        on_fine = await capsuls.create_capsul(hub.hub, ALICE, "f1-xs", "debian12", ["laptop"])
        assert on_fine["host_id"] == "fine"
        await wait_for_state(pool, on_fine["id"], "running")
        for action, state in (("force-stop", "stopped"), ("start", "running"), ("reboot", "running")):
            vm = await capsuls.capsul_action(hub.hub, ALICE, on_fine["id"], action)
            assert vm["state"] == state
            done.append(action)
        listing = await capsuls.list_capsuls(hub.hub, ALICE)
        assert {vm["id"] for vm in listing} == {on_slow["id"], on_fine["id"]}
        with pytest.raises(capsuls.Unavailable) as refused:
            await capsuls.capsul_action(hub.hub, ALICE, on_slow["id"], "force-stop")
        message = refused.value.message  # offline by now, or a timeout: either way it names the host
        assert "host slow" in message and ("offline" in message or "timeout" in message), message
        assert frozen.proc.returncode is None and done == ["force-stop", "start", "reboot"]

        async def slow_is_offline():
            async with db.cursor(pool) as cur:
                await cur.execute("SELECT online FROM hosts WHERE id = 'slow'")
                return not (await cur.fetchone())["online"]
        await eventually(slow_is_offline)
        # served while the frozen spoke was offline: a create never waits for it
        third = await capsuls.create_capsul(hub.hub, ALICE, "f1-xs", "debian12", ["laptop"])
        assert third["host_id"] == "fine"

        frozen._signal_group(signal.SIGCONT)
        await assert_converged(hub.hub)
    finally:
        frozen._signal_group(signal.SIGCONT)
        await cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
