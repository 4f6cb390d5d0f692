"""Operations against one real hub+spoke process plus spokes that misbehave on purpose."""
import asyncio
import uuid

import pytest
from aiohttp import web

from capsul import signing, tls
from capsul.hub import capsuls, db
from capsul.hub.db import hosts, networks, vms
from capsul.hub.db import operations as ops_db
from tests.conftest import (ALICE, add_account_with_key, checked_pool, eventually, pending_create,
                          spoke_ready, wait_for_state)



async def register(pool, host_id, url, *, cidr, memory_mb=4096, cpus=4, online=True):
    async with db.cursor(pool) as cur:
        tokens = await hosts.add_host(cur, host_id, url)
        await networks.add_host_network(cur, host_id, checked_pool(cidr))
        if online:
            await hosts.record_heartbeat(cur, host_id, {"cpus": cpus, "memory_mb": memory_mb, "committed_cpus": 0,
                                                        "committed_memory_mb": 0}, 0)
    return tokens


@pytest.fixture
async def misbehaving_spokes(tls_files):
    """Two HTTPS servers with a real certificate: one answers garbage, one never answers."""
    hang = asyncio.Event()

    async def garbage(request):
        await request.read()
        return web.Response(text="<html>surprise</html>", content_type="text/html")

    async def hung(request):
        await hang.wait()
        return web.json_response({})

    runners = []
    urls = {}
    for name, handler in (("garbage", garbage), ("hung", hung)):
        app = web.Application()
        app.router.add_post("/{tail:.*}", handler)
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls.server_context(tls_files))
        await site.start()
        runners.append(runner)
        urls[name] = f"https://127.0.0.1:{runner.addresses[0][1]}"
    yield urls
    hang.set()
    for runner in runners:
        await runner.cleanup()


async def test_misbehaving_and_offline_spokes_are_skipped_and_named(start_node, pool, misbehaving_spokes):
    node = await start_node(HEARTBEAT_INTERVAL="3600", OPERATION_TIMEOUT="0.5", OPERATION_RETRIES="1",
                            CREATE_OFFER_TIMEOUT="0.5")
    await spoke_ready(pool)
    await add_account_with_key(pool)
    async with db.cursor(pool) as cur:
        await networks.add_host_network(cur, "local", checked_pool("198.18.0.0/28"))
    # The misbehaving ones and the offline one look roomier than local, so they rank first.
    await register(pool, "garbage", misbehaving_spokes["garbage"], cidr="198.18.1.0/28", memory_mb=65536)
    await register(pool, "hung", misbehaving_spokes["hung"], cidr="198.18.2.0/28", memory_mb=32768)
    await register(pool, "off", "https://127.0.0.1:1", cidr="198.18.3.0/28", memory_mb=131072, online=False)

    listing = await node.hub.dispatcher.list_everywhere()
    assert set(listing.answers) == {"local"}
    assert listing.missing["off"] == "offline"
    assert listing.missing["garbage"].startswith("invalid answer")
    assert listing.missing["hung"].startswith("timeout")

    vm = await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"])
    assert vm["host_id"] == "local"
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT id FROM operations WHERE vm_id = %s", (vm["id"],))
        op_id = (await cur.fetchone())["id"]
        answers = {a["host_id"]: a["assignment_status"] for a in await ops_db.host_answers(cur, op_id)}
    assert answers == {"garbage": "error", "hung": "timeout", "local": "claimed"}  # "off": never offered


async def test_two_spokes_claiming_at_once_one_wins(start_node, pool):
    node = await start_node(HEARTBEAT_INTERVAL="3600")
    await add_account_with_key(pool)
    tokens = {}
    for i, host_id in enumerate(("s1", "s2")):
        tokens[host_id] = (await register(pool, host_id, f"https://127.0.0.1:{i + 1}", cidr=f"198.18.{i}.0/24"))[0]

    async def claim(session, host_id, op_id):
        path = f"/hub/claim-operation/{op_id}"
        header = signing.authorization_header(tokens[host_id], host_id, signing.SPOKE_TO_HUB, "POST", path, b"")
        async with session.post(node.api_url + path, headers={"Authorization": header}) as resp:
            return host_id, resp.status, await resp.json()

    import aiohttp
    connector = aiohttp.TCPConnector(ssl=tls.client_context(node.config.tls_ca_file))
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(20):
            op_id, vm_id = await pending_create(pool, ["s1", "s2"])
            results = await asyncio.gather(claim(session, "s1", op_id), claim(session, "s2", op_id))
            statuses = sorted(status for _, status, _ in results)
            assert statuses == [200, 409]
            winner, _, answer = next(r for r in results if r[1] == 200)
            loser_answer = next(r[2] for r in results if r[1] == 409)
            assert loser_answer["error"] == "operation already claimed by another host"
            assert answer["operation"]["vm_id"] == vm_id and answer["operation"]["public_ipv4"]
            async with db.cursor(pool) as cur:
                row = await vms.get_vm(cur, vm_id)
                assert (row["host_id"], row["state"]) == (winner, "creating")
                assert row["public_ipv4"] == answer["operation"]["public_ipv4"]
                assert await ops_db.owner(cur, op_id) == winner
            # The winner claiming again (its first answer lost) gets the same payload.
            assert (await claim(session, winner, op_id))[2] == answer
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT count(DISTINCT public_ipv4) AS n, count(*) AS total FROM vms")
        row = await cur.fetchone()
    assert row["n"] == row["total"] == 20


async def test_the_database_refuses_a_second_owner(pool):
    """The invariant holds even if application code were wrong: the partial unique index."""
    import psycopg2.errors
    await add_account_with_key(pool)
    await register(pool, "s1", "https://127.0.0.1:1", cidr="198.18.0.0/24")
    await register(pool, "s2", "https://127.0.0.1:2", cidr="198.18.1.0/24")
    op_id, vm_id = await pending_create(pool, ["s1", "s2"])
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE host_operation SET assignment_status = 'claimed' WHERE host_id = 's1'")
        with pytest.raises(psycopg2.errors.UniqueViolation):
            await cur.execute("UPDATE host_operation SET assignment_status = 'claimed' WHERE host_id = 's2'")


async def test_a_claim_not_offered_or_closed_is_refused(pool):
    await add_account_with_key(pool)
    await register(pool, "s1", "https://127.0.0.1:1", cidr="198.18.0.0/24")
    op_id, vm_id = await pending_create(pool, [])
    async with db.cursor(pool) as cur:
        with pytest.raises(ops_db.ClaimRefused, match="not offered"):
            await ops_db.claim(cur, str(op_id), "s1")
        await ops_db.offer_many(cur, [(op_id, "s1")])
        assert await ops_db.close_offer(cur, op_id, "s1", "timeout", {}) is None
        with pytest.raises(ops_db.ClaimRefused, match="closed"):
            await ops_db.claim(cur, str(op_id), "s1")
        assert await ops_db.fail_create(cur, op_id, "no host took it") is None
        row = await vms.get_vm(cur, vm_id)
        assert (row["state"], row["failure_reason"], row["public_ipv4"]) == ("failed", "no host took it", None)
        with pytest.raises(ops_db.ClaimRefused, match="closed"):
            await ops_db.claim(cur, str(op_id), "s1")
        with pytest.raises(ops_db.ClaimRefused) as unknown:
            await ops_db.claim(cur, str(uuid.uuid4()), "s1")
        assert unknown.value.unknown


async def test_an_exhausted_pool_is_no_capacity(start_node, pool):
    node = await start_node(HEARTBEAT_INTERVAL="3600")
    await spoke_ready(pool)
    await add_account_with_key(pool)
    async with db.cursor(pool) as cur:
        await networks.add_host_network(cur, "local", checked_pool("198.18.0.0/29", "198.18.0.2", "198.18.0.3"))
    made = [await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"]) for _ in range(2)]
    assert sorted(vm["public_ipv4"] for vm in made) == ["198.18.0.2", "198.18.0.3"]
    with pytest.raises(capsuls.NoCapacityError) as caught:
        await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"])
    # the person reads no host's name or fill; the operator's reason is on the operation
    assert "no room for a f1-xs" in caught.value.message and "local" not in caught.value.message
    async with db.cursor(pool) as cur:  # the refused create left a failed row, holding nothing
        await cur.execute("SELECT state, public_ipv4, host_id, failure_reason FROM vms WHERE state = 'failed'")
        assert await cur.fetchall() == [{"state": "failed", "public_ipv4": None, "host_id": None,
                                         "failure_reason": "there was no room for it on our hosts"}]
        await cur.execute("SELECT error FROM operations WHERE status = 'failed'")
        error = (await cur.fetchone())["error"]
        assert "no capacity" in error and "local: no free IPv4 address" in error
    # deleting one gives its address back
    await wait_for_state(pool, made[0]["id"], "running")
    await capsuls.destroy_capsul(node.hub, ALICE, made[0]["id"])
    again = await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"])
    assert again["public_ipv4"] == made[0]["public_ipv4"]


@pytest.mark.parametrize("size, image, keys, message", [
    ("f9-huge", "debian12", ["laptop"], "unknown size 'f9-huge'"),
    ("f1-xs", "windows", ["laptop"], "unknown OS image 'windows'"),
    ("f1-xs", "debian12", [], "choose at least one SSH key"),
    ("f1-xs", "debian12", ["desktop"], "you have no SSH key named 'desktop'"),
])
async def test_bad_create_requests_are_refused_and_write_nothing(start_node, pool, size, image, keys, message):
    node = await start_node(HEARTBEAT_INTERVAL="3600")
    await add_account_with_key(pool)
    with pytest.raises(capsuls.InvalidRequest) as caught:
        await capsuls.create_capsul(node.hub, ALICE, size, image, keys)
    assert message in caught.value.message and caught.value.status == 400
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT (SELECT count(*) FROM vms) AS vms, "
                          "(SELECT count(*) FROM operations WHERE type = 'create') AS ops")
        assert await cur.fetchone() == {"vms": 0, "ops": 0}


async def test_actions_on_an_offline_host_fail_at_once(start_node, pool):
    node = await start_node(HEARTBEAT_INTERVAL="3600")
    await spoke_ready(pool)
    await add_account_with_key(pool)
    async with db.cursor(pool) as cur:
        await networks.add_host_network(cur, "local", checked_pool("198.18.0.0/29"))
    vm = await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"])
    await wait_for_state(pool, vm["id"], "running")
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE hosts SET online = false WHERE id = 'local'")
    with pytest.raises(capsuls.Unavailable, match="host local of capsul .* is offline"):
        await capsuls.capsul_action(node.hub, ALICE, vm["id"], "reboot")
    with pytest.raises(capsuls.Unavailable, match="offline"):
        await capsuls.destroy_capsul(node.hub, ALICE, vm["id"])
    async with db.cursor(pool) as cur:
        assert (await vms.get_vm(cur, vm["id"]))["state"] == "running"  # the failed delete changed nothing
    with pytest.raises(capsuls.NoCapacityError, match="no room for a f1-xs"):
        await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"])
    async with db.cursor(pool) as cur:  # the operator's reason is on the operation
        await cur.execute("SELECT error FROM operations WHERE status = 'failed' AND type = 'create'")
        assert "no host is online" in (await cur.fetchone())["error"]


async def test_a_spoke_answers_a_repeated_offer_the_same_and_builds_once(start_node, pool):
    node = await start_node(HEARTBEAT_INTERVAL="3600")
    await spoke_ready(pool)
    await add_account_with_key(pool)
    async with db.cursor(pool) as cur:
        await networks.add_host_network(cur, "local", checked_pool("198.18.0.0/29"))
    op_id, vm_id = await pending_create(pool, ["local"])
    async with db.cursor(pool) as cur:
        host = next(h for h in await hosts.list_hosts_to_call(cur) if h["id"] == "local")
    client = node.hub.dispatcher.client
    body = {"type": "create", "vm_id": vm_id, "vcpus": 1, "memory_mb": 512}
    offer = lambda: client.call(host, f"/spoke/operation/{op_id}", body, timeout=5)  # noqa: E731
    answers = await asyncio.gather(offer(), offer(), offer())
    answers.append(await offer())
    assert all(a == {"ok": True, "accepted": True, "claimed": True, "vm_id": vm_id} for a in answers)

    async def built():
        listing = await node.hub.dispatcher.list_everywhere()
        return [v for v in listing.answers["local"]["vms"] if v["vm_id"] == vm_id]

    assert len(await eventually(built)) == 1
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT count(*) AS n FROM vms WHERE public_ipv4 IS NOT NULL")
        assert (await cur.fetchone())["n"] == 1
    capacity = await client.call(host, "/spoke/heartbeat", {}, timeout=5)
    assert capacity["capacity"]["committed_memory_mb"] == 512  # no reservation left behind


async def test_an_owner_reclaiming_a_deleted_capsul_is_refused(pool):
    await add_account_with_key(pool)
    await register(pool, "s1", "https://127.0.0.1:1", cidr="198.18.0.0/24")
    op_id, vm_id = await pending_create(pool, ["s1"])
    async with db.cursor(pool) as cur:
        assert (await ops_db.claim(cur, str(op_id), "s1"))["vm_id"] == vm_id
        await vms.set_state(cur, vm_id, "deleted", from_states=("creating",))
        with pytest.raises(ops_db.ClaimRefused, match="deleted meanwhile"):
            await ops_db.claim(cur, str(op_id), "s1")


async def test_abandoned_creates_are_failed_by_housekeeping(pool):
    from capsul.hub.housekeeping import fail_abandoned_creates
    await add_account_with_key(pool)
    await register(pool, "s1", "https://127.0.0.1:1", cidr="198.18.0.0/24")
    ids = {}
    for age in ("2 hours", "1 second"):
        op_id, vm_id = await pending_create(pool, ["s1"])
        async with db.cursor(pool) as cur:
            await cur.execute(f"UPDATE operations SET created_at = now() - interval '{age}' WHERE id = %s",
                              (str(op_id),))
        ids[age] = (op_id, vm_id)
    assert await fail_abandoned_creates(pool, older_than=600) == 1
    async with db.cursor(pool) as cur:
        old_op, old_vm = ids["2 hours"]
        assert (await vms.get_vm(cur, old_vm))["state"] == "failed"
        with pytest.raises(ops_db.ClaimRefused, match="closed"):
            await ops_db.claim(cur, str(old_op), "s1")
        assert (await vms.get_vm(cur, ids["1 second"][1]))["state"] == "pending"  # still being placed


async def test_creates_while_other_capsuls_are_deleted_all_succeed(start_node, pool):
    """Three people loop create -> running -> delete at once on one spoke (the soak's shape, bounded):
    every create succeeds, though each spoke call walks domains that others are deleting."""
    node = await start_node()
    people = [ALICE, "bob@example.org", "carol@example.org"]
    for email in people:
        await add_account_with_key(pool, email)
    from tests.conftest import spoke_ready, wait_for_state
    await spoke_ready(pool)
    failures: list[BaseException] = []

    async def cycles(email: str) -> int:
        done = 0
        for _ in range(25):
            try:
                vm = await capsuls.create_capsul(node.hub, email, "f1-xs", "debian12", ["laptop"])
                await wait_for_state(pool, vm["id"], "running")
                await capsuls.destroy_capsul(node.hub, email, vm["id"])
                done += 1
            except capsuls.CapsulError as e:
                failures.append(e)
        return done
    finished = await asyncio.gather(*(cycles(email) for email in people))
    assert failures == [] and finished == [25, 25, 25]
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT state, count(*) AS n FROM vms GROUP BY state")
        assert {r["state"]: r["n"] for r in await cur.fetchall()} == {"deleted": 75}
