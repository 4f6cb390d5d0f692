"""Rebuild and resize on the test hypervisor, through the JSON API of a real node (DESIGN §14):
each an operation with an id that its host does, journaled; refusals that change nothing; one
change at a time; the kept host load and the account's charges follow the size. The real
guest's side (SSH in, nproc, df) is tests/test_rebuild_resize_guest.py."""
from __future__ import annotations

import asyncio
import re
import uuid

import pytest

from capsul.hub import capsul_changes, db
from capsul.hub.db import changes, placement, vms
from tests.conftest import eventually, wait_for_state
from tests.test_public_api import Api, api, assert_error  # noqa: F401 - fixture

BIG_DISK = "t1-bigdisk"  # a size with a bigger disk than the catalog's (all 25 GB)


@pytest.fixture
async def sizes(pool):
    """Sizes the catalog lacks: a bigger disk, and more than any host has (gone before the next
    test: tests/conftest.py's pool leaves the catalog as seeded)."""
    async with db.cursor(pool) as cur:
        await cur.execute("""INSERT INTO vm_sizes (id, dollars_per_month, vcpus, memory_mb, disk_gb, bandwidth_gb)
                             VALUES (%s, 9.00, 2, 1024, 40, 1000), ('t1-huge', 99.00, 4096, 1024, 40, 1000)""",
                          (BIG_DISK,))


async def running_capsul(alice: Api, pool) -> str:
    status, body = await alice.call("POST", "/capsuls", {"size": "f1-xs", "os": "debian12", "ssh_keys": ["laptop"]})
    assert status == 201, body
    vm_id = body["capsul"]["id"]
    await wait_for_state(pool, vm_id, "running")
    return vm_id


async def row(pool, query: str, *args) -> dict:
    async with db.cursor(pool) as cur:
        await cur.execute(query, args)
        return await cur.fetchone()


async def timeline(pool, vm_id: str) -> list[str]:
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT state || coalesce(': ' || reason, '') AS line FROM vm_events WHERE vm_id = %s "
                          "ORDER BY id", (vm_id,))
        return [r["line"] for r in await cur.fetchall()]


async def test_a_rebuild_keeps_id_addresses_and_size_and_runs_again(api, pool, console):
    alice = await api()
    vm_id = await running_capsul(alice, pool)
    before = await row(pool, "SELECT public_ipv4, public_ipv6, size, host_id, generation FROM vms WHERE id = %s", vm_id)
    await alice.call("POST", f"/capsuls/{vm_id}/actions", {"action": "force-stop"})
    status, body = await alice.call("POST", f"/capsuls/{vm_id}/rebuild", {"os": "alpine320"},
                                    headers={"Idempotency-Key": "rebuild-1"})
    assert status == 200 and body["capsul"]["state"] == "running", body  # stopped before: it ends running
    after = await row(pool, "SELECT public_ipv4, public_ipv6, size, host_id, generation, os FROM vms WHERE id = %s",
                      vm_id)
    assert {k: after[k] for k in before if k != "generation"} == {k: before[k] for k in before if k != "generation"}
    assert (after["generation"], after["os"]) == (before["generation"] + 1, "alpine320")
    lines = await timeline(pool, vm_id)
    assert any(line.startswith("rebuilding: rebuilding with alpine320: everything on its disk is erased")
               for line in lines), lines
    assert lines[-1] == "running: rebuilt with alpine320", lines
    # the same Idempotency-Key: the first rebuild's answer, nothing done again
    status, again = await alice.call("POST", f"/capsuls/{vm_id}/rebuild", {"os": "alpine320"},
                                     headers={"Idempotency-Key": "rebuild-1"})
    assert status == 200 and again["capsul"]["id"] == vm_id
    assert (await row(pool, "SELECT count(*) AS n FROM operations WHERE type = 'rebuild'"))["n"] == 1
    assert (await row(pool, "SELECT generation FROM vms WHERE id = %s", vm_id))["generation"] == 1
    # the spoke answers a repeated operation id from its journal
    op = await row(pool, "SELECT id FROM operations WHERE type = 'rebuild'")
    journal = await console.spoke_operations.changes.journal.get(str(op["id"]))
    assert journal["result"]["generation"] == 1 and journal["step"] == "done"


async def test_refusals_change_nothing(api, pool, console, sizes):
    alice = await api()
    vm_id = await running_capsul(alice, pool)
    before = await row(pool, "SELECT state, size, os, generation FROM vms WHERE id = %s", vm_id)
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE os_images SET deprecated = true WHERE id = 'ubuntu24'")
    try:
        status, body = await alice.call("POST", f"/capsuls/{vm_id}/rebuild", {"os": "ubuntu24"})
        assert_error(status, body, 409, "no longer offered")
    finally:
        async with db.cursor(pool) as cur:
            await cur.execute("UPDATE os_images SET deprecated = false WHERE id = 'ubuntu24'")
    for body, expected, words in (({"os": "nope"}, 400, "unknown OS image"),
                                  ({"ssh_keys": ["nope"]}, 400, "no SSH key named"),
                                  ({"ssh_keys": []}, 400, "at least one SSH key"),
                                  ({"ssh_keys": "laptop"}, 400, "must be a list"),
                                  ({"os": 12}, 400, "must be a string")):
        status, answer = await alice.call("POST", f"/capsuls/{vm_id}/rebuild", body)
        assert_error(status, answer, expected, words)
    status, answer = await alice.call("POST", f"/capsuls/{vm_id}/resize", {"size": BIG_DISK})
    assert status == 200 and answer["capsul"]["size"] == BIG_DISK
    for body, expected, words in (({"size": "f1-xs"}, 409, "A disk only grows"),
                                  ({"size": BIG_DISK}, 400, "already"),
                                  ({"size": "t1-huge"}, 503, "no room for a t1-huge"),
                                  ({"size": "f1-l", "restart": "later"}, 400, "restart is"),
                                  ({"size": "f1-l", "force": "yes"}, 400, "'force' must be"),
                                  ({"size": 2**40}, 400, "must be a string"),
                                  ({}, 400, "'size' must be")):
        status, answer = await alice.call("POST", f"/capsuls/{vm_id}/resize", body)
        assert_error(status, answer, expected, words)
    after = await row(pool, "SELECT state, size, os, generation FROM vms WHERE id = %s", vm_id)
    assert after == {**before, "size": BIG_DISK}
    assert await placement_recount(pool) == []
    # another person's capsul is not there
    bob = await api("bob@example.org")
    status, answer = await bob.call("POST", f"/capsuls/{vm_id}/rebuild", {})
    assert_error(status, answer, 404)


async def placement_recount(pool) -> list:
    async with db.cursor(pool) as cur:
        return await placement.load_differences(cur)


async def test_a_resize_changes_the_definition_and_the_kept_load(api, pool, console, sizes):
    alice = await api()
    vm_id = await running_capsul(alice, pool)
    status, body = await alice.call("POST", f"/capsuls/{vm_id}/resize", {"size": BIG_DISK, "restart": "now",
                                                                         "force": True})
    assert status == 200 and body["capsul"]["state"] == "running" and body["capsul"]["size"] == BIG_DISK, body
    virt = console.spoke_operations.virt
    assert await virt.defined_size(vm_id) == (2, 1024)
    assert await placement_recount(pool) == []
    assert (await timeline(pool, vm_id))[-1] == f"running: resized to {BIG_DISK}"
    # at the next stop: the definition changes now, the running guest keeps its size until it stops
    status, body = await alice.call("POST", f"/capsuls/{vm_id}/resize", {"size": "t1-huge", "restart": "next-stop"})
    assert status == 503  # no room, still
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE vm_sizes SET vcpus = 3 WHERE id = 't1-huge'")
    status, body = await alice.call("POST", f"/capsuls/{vm_id}/resize", {"size": "t1-huge", "restart": "next-stop"})
    assert status == 200 and body["capsul"]["state"] == "running", body
    assert await virt.defined_size(vm_id) == (3, 1024)
    assert "its vCPUs and memory change at its next start" in (await timeline(pool, vm_id))[-1]
    assert await placement_recount(pool) == []


async def test_a_rebuild_and_a_resize_at_once_one_wins(api, pool, console, sizes):
    alice = await api()
    vm_id = await running_capsul(alice, pool)
    async with db.cursor(pool) as held:  # both requests wait on the capsul's row; the first to get it wins
        await held.execute("BEGIN")
        await held.execute("SELECT 1 FROM vms WHERE id = %s FOR UPDATE", (vm_id,))
        both = asyncio.gather(alice.call("POST", f"/capsuls/{vm_id}/rebuild", {}),
                              alice.call("POST", f"/capsuls/{vm_id}/resize", {"size": BIG_DISK}))

        async def waiting() -> bool:
            async with db.cursor(pool) as cur:
                await cur.execute("SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                  "AND datname = current_database()")
                return (await cur.fetchone())["n"] >= 2
        await eventually(waiting)
        await held.execute("COMMIT")
        (s1, b1), (s2, b2) = await both
    assert sorted([s1, s2]) == [200, 409], (b1, b2)
    loser = b1 if s1 == 409 else b2
    assert "already: wait until that has finished" in loser["error"], loser
    assert await placement_recount(pool) == []


async def test_a_change_left_under_way_is_sent_again_and_ends(api, pool, console):
    """As after a hub stopped between beginning a rebuild and its host's answer."""
    alice = await api()
    vm_id = await running_capsul(alice, pool)
    op_id = uuid.uuid4()
    async with db.cursor(pool) as cur:
        async with cur.begin():
            vm = await changes.lock_for_change(cur, vm_id, None)
            spoke = await vms.create_payload(cur, vm_id)
            spoke.update(generation=1)
            await changes.begin(cur, vm, op_id, "rebuild", {"os": "debian12", "generation": 1,
                                                            "keys": await vms.ssh_keys_of(cur, vm_id),
                                                            "spoke": {"payload": spoke}}, words="rebuilding")
    assert (await row(pool, "SELECT state FROM vms WHERE id = %s", vm_id))["state"] == "rebuilding"
    assert await capsul_changes.resume_unfinished(console.hub, older_than=0) == 1
    assert (await row(pool, "SELECT state, generation FROM vms WHERE id = %s", vm_id)) == \
        {"state": "running", "generation": 1}
    assert (await row(pool, "SELECT status FROM operations WHERE id = %s", op_id))["status"] == "completed"
    assert await capsul_changes.resume_unfinished(console.hub, older_than=0) == 0


async def test_the_console_rebuilds_and_resizes_with_the_persons_words(console, people, mail, pool, sizes):
    from tests.console_client import error_of
    from tests.test_console import create_capsul, logged_in
    alice = await logged_in(people, mail, "alice@example.org", key=True)
    vm_id = await create_capsul(alice, pool)
    await wait_for_state(pool, vm_id, "running")
    status, page = await alice.get(f"/capsuls/{vm_id}")
    assert f'href="/capsuls/{vm_id}/rebuild"' in page and f'href="/capsuls/{vm_id}/resize"' in page
    status, page = await alice.get(f"/capsuls/{vm_id}/rebuild")
    assert status == 200 and "Everything on its disk is erased." in page and f"Type <code>{vm_id}</code>" in page
    assert 'value="laptop" checked' in page  # its own key, by default
    status, page, _ = await alice.post(f"/capsuls/{vm_id}/rebuild", [("os", "alpine320"), ("ssh_key", "laptop"),
                                                                     ("confirm", "capsul-wrong00000")])
    assert status == 400 and f"Type {vm_id} in the box to confirm" in error_of(page)
    assert '<option value="alpine320" selected>' in page and 'value="capsul-wrong00000"' in page  # kept
    assert (await row(pool, "SELECT generation FROM vms WHERE id = %s", vm_id))["generation"] == 0
    status, page, url = await alice.post(f"/capsuls/{vm_id}/rebuild", [("os", "alpine320"), ("ssh_key", "laptop"),
                                                                       ("confirm", vm_id)])
    assert status == 200 and url.path == f"/capsuls/{vm_id}" and "is rebuilt with alpine320" in page
    assert "rebuilt with alpine320" in page  # on the timeline

    status, page = await alice.get(f"/capsuls/{vm_id}/resize")
    assert status == 200 and "The new size's price applies from the next hour." in page
    assert f'value="{BIG_DISK}" required' in page and "a disk only grows" not in page  # all 25 GB or more
    status, page, url = await alice.post(f"/capsuls/{vm_id}/resize", {"size": "t1-huge", "restart": "now"})
    assert status == 503 and "no room for a t1-huge" in error_of(page) and 'value="t1-huge" required checked' in page
    status, page, url = await alice.post(f"/capsuls/{vm_id}/resize", {"size": BIG_DISK, "restart": "next-stop"})
    assert status == 200 and "its vCPUs and memory change when it is next stopped and started" in page
    assert f"{BIG_DISK}: 2 vCPU" in page
    status, page = await alice.get(f"/capsuls/{vm_id}/resize")
    assert re.search(r'value="f1-xs" required\s+disabled', page) and "a disk only grows" in page  # 25 < 40 GB


async def test_the_command_line_rebuilds_and_resizes_and_watch_sees_both(api, pool, console, sizes):
    from capsul.hub.accounts import api_tokens
    from tests.conftest import PYTHON, REPO, child_env
    from tests.processes import run_cli
    alice = await api()
    vm_id = await running_capsul(alice, pool)
    secret, _ = await api_tokens.create_token(pool, "alice@example.org", "cli", "write", None)
    env = {"CAPSUL_URL": console.console_url, "CAPSUL_TOKEN": secret}
    watch = await asyncio.create_subprocess_exec(PYTHON, str(REPO / "run.py"), "watch", env=child_env(env),
                                                 stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    lines: list[str] = []

    async def read() -> None:
        while line := await watch.stdout.readline():
            lines.append(line.decode().rstrip())
    reader = asyncio.create_task(read())
    try:
        await eventually(lambda: _has(lines, f"{vm_id} running (now)"), within=30)
        status, out, err = await run_cli(["rebuild", vm_id, "--confirm", "capsul-other00000"], env)
        assert status == 2 and "--confirm must repeat" in err
        status, out, err = await run_cli(["rebuild", vm_id, "--confirm", vm_id, "--os", "alpine320"], env)
        assert status == 0 and f"{vm_id} running, f1-xs, alpine320" in out, (out, err)
        status, out, err = await run_cli(["resize", vm_id, BIG_DISK, "--at-next-stop"], env)
        assert status == 0 and f"{vm_id} running, {BIG_DISK}, alpine320" in out, (out, err)
        status, out, err = await run_cli(["resize", vm_id, "f1-xs"], env)
        assert status == 1 and "A disk only grows" in err, (out, err)
        for words in ("rebuilding — rebuilding with alpine320", "running — rebuilt with alpine320",
                      f"resizing — resizing from f1-xs to {BIG_DISK} (at its next stop)",
                      f"running — resized to {BIG_DISK}: its vCPUs and memory change at its next start"):
            await eventually(lambda: _has(lines, f"{vm_id} {words}"), within=30)
    finally:
        reader.cancel()
        watch.kill()
        await watch.wait()


async def _has(lines: list[str], text: str) -> bool:
    return any(text in line for line in lines)


async def test_charges_follow_the_size_from_the_next_hour(api, pool, console, sizes, people, mail):
    """A capsul charged 4 hours as an f1-xs, then resized: the next hour is charged at the new size,
    and the account page shows each size's hours; the sums equal a recount of the prices."""
    from datetime import datetime, timedelta, timezone
    from decimal import Decimal

    from capsul.hub.billing import metering
    from capsul.hub.db import ledger
    from tests.test_console import logged_in
    alice = await api()
    vm_id = await running_capsul(alice, pool)
    now = datetime.now(timezone.utc)
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE vms SET created_at = %s WHERE id = %s", (now - timedelta(hours=3), vm_id))
    assert await metering.meter(pool, now) == 4  # three past hours and this one, as an f1-xs
    status, body = await alice.call("POST", f"/capsuls/{vm_id}/resize", {"size": BIG_DISK})
    assert status == 200, body
    assert await metering.meter(pool, now) == 0  # this hour was charged already, at the old size
    assert await metering.meter(pool, now + timedelta(hours=1)) == 1  # the next one: the new size
    async with db.cursor(pool) as cur:
        statement = await ledger.statement(cur, "alice@example.org")
        await cur.execute("SELECT id, dollars_per_month FROM vm_sizes WHERE id IN ('f1-xs', %s)", (BIG_DISK,))
        prices = {r["id"]: ledger.hourly_price(r["dollars_per_month"]) for r in await cur.fetchall()}
    rows = {c["size"]: (c["hours"], c["total"]) for c in statement["charges"] if c["vm_id"] == vm_id}
    assert {size: hours for size, (hours, _) in rows.items()} == {"f1-xs": 4, BIG_DISK: 1}
    for size, (hours, total) in rows.items():
        assert Decimal(total) == pytest.approx(prices[size] * hours, abs=Decimal("0.0001")), (size, total)
    person = await logged_in(people, mail, "alice@example.org")
    status, page = await person.get("/account")
    assert f"<td>{vm_id}</td><td>f1-xs</td>" in page and f"<td>{vm_id}</td><td>{BIG_DISK}</td>" in page


async def test_a_capsul_being_created_or_without_the_balance_is_not_changed(pool, start_node, mail, sizes):
    from decimal import Decimal

    from capsul.hub.db import ledger
    from tests.conftest import pending_create
    from tests.conftest import add_account_with_key, spoke_ready
    node = await start_node(BILLING_ENABLED="true", MIN_BALANCE_DAYS="1", **mail.env())
    await spoke_ready(pool)
    await add_account_with_key(pool)
    _, pending = await pending_create(pool, [])
    for change, body in (("rebuild", {}), ("resize", {"size": BIG_DISK})):
        with pytest.raises(capsul_changes.WrongState, match="still being created"):
            if change == "rebuild":
                await capsul_changes.rebuild_capsul(node.hub, "alice@example.org", pending)
            else:
                await capsul_changes.resize_capsul(node.hub, "alice@example.org", pending, BIG_DISK)
    async with db.cursor(pool) as cur:  # a day of two f1-xs (the pending one counts), not of an f1-xs and the bigger
        await ledger.add_manual_entry(cur, "alice@example.org", Decimal("0.40"), "test", "admin@example.org")
    vm = await capsuls_create(node)
    await wait_for_state(pool, vm, "running")
    with pytest.raises(capsul_changes.InsufficientBalance, match="a change needs a balance of 1 day"):
        await capsul_changes.resize_capsul(node.hub, "alice@example.org", vm, BIG_DISK)
    assert (await row(pool, "SELECT size, state FROM vms WHERE id = %s", vm)) == {"size": "f1-xs", "state": "running"}
    assert await placement_recount(pool) == []


async def capsuls_create(node) -> str:
    from capsul.hub import capsuls
    return (await capsuls.create_capsul(node.hub, "alice@example.org", "f1-xs", "debian12", ["laptop"]))["id"]
