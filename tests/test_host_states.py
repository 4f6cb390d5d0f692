"""Host states (docs/hosts.md), set with run.py as an operator would: a draining host gets no new
capsul and grows none in place; maintenance mails the people on the host; activate brings it back."""
import shutil

import pytest

from capsul.config import Role
from capsul.hub import capsul_changes, capsuls, db
from tests.conftest import ALICE, add_account_with_key, shared_tmpdir, wait_for_state
from tests.mail_catcher import MailCatcher
from tests.processes import run_cli
from tests.spoke_cluster import SpokeSpec, start_spokes

pytestmark = pytest.mark.slow


async def owner_of(pool, vm_id: str) -> str:
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT host_id FROM vms WHERE id = %s", (vm_id,))
        return (await cur.fetchone())["host_id"]


async def test_drain_maintenance_and_activate(start_node, pool, tls_files, test_env):
    folder = shared_tmpdir("capsul-test-host-states-")
    mail = MailCatcher()
    await mail.start()
    hub = await start_node(Role.HUB, HEARTBEAT_INTERVAL="0.5", RESYNC_INTERVAL="3600")
    await add_account_with_key(pool)
    cluster = await start_spokes(pool, hub.api_url, [SpokeSpec("s1", 16384, 16, "198.18.1.0/24"),
                                                     SpokeSpec("s2", 8192, 8, "198.18.2.0/24")], folder, tls_files)
    cli_env = {**{k: v for k, v in test_env.items() if k not in ("CONSOLE_LISTEN", "API_LISTEN")}, **mail.env()}
    try:
        status, out, err = await run_cli(["drain", "s1", "--reason", "kernel update"], cli_env)
        assert status == 0 and "s1 is draining (was active)" in out, (out, err)
        made = [await capsuls.create_capsul(hub.hub, ALICE, "f1-xs", "debian12", ["laptop"]) for _ in range(2)]
        for vm in made:  # s1 has the most room, but it is draining
            await wait_for_state(pool, vm["id"], "running")
            assert await owner_of(pool, vm["id"]) == "s2"

        status, out, err = await run_cli(["maintenance", "s2", "--from", "2026-12-24T03:00Z"], cli_env)
        assert status == 0 and "1 person(s) mailed" in out, (out, err)
        assert mail.count_to(ALICE) == 1
        body = [m for m in mail.messages if m["To"] == ALICE][0].get_content()
        assert "2026-12-24 03:00 UTC" in body and all(vm["id"] in body for vm in made), body
        with pytest.raises(capsuls.NoCapacityError):  # no active host left
            await capsuls.create_capsul(hub.hub, ALICE, "f1-xs", "debian12", ["laptop"])
        with pytest.raises(capsuls.NoCapacityError, match="in maintenance"):  # no growth in place
            await capsul_changes.resize_capsul(hub.hub, ALICE, made[0]["id"], "f1-s")

        status, out, err = await run_cli(["activate", "s1"], cli_env)
        assert status == 0 and "s1 is active (was draining)" in out, (out, err)
        back = await capsuls.create_capsul(hub.hub, ALICE, "f1-xs", "debian12", ["laptop"])
        await wait_for_state(pool, back["id"], "running")
        assert await owner_of(pool, back["id"]) == "s1"
        status, out, err = await run_cli(["drain", "nosuchhost"], cli_env)
        assert status == 2 and "no host 'nosuchhost'" in err, (out, err)
    finally:
        await cluster.stop()
        await mail.stop()
        shutil.rmtree(folder, ignore_errors=True)
