"""Creates over several spokes running as separate processes, each on its own test host."""
import asyncio
import collections

import pytest

from capsul.config import Role
from capsul.hub import capsuls, db
from tests.conftest import ALICE, add_account_with_key, eventually, shared_tmpdir
from tests.convergence import assert_converged
from tests.spoke_cluster import SpokeSpec, start_spokes

pytestmark = pytest.mark.slow


@pytest.fixture
async def hub(start_node, pool):
    node = await start_node(Role.HUB, HEARTBEAT_INTERVAL="0.5", HEARTBEAT_TIMEOUT="0.5")
    await add_account_with_key(pool)
    return node


@pytest.fixture
async def spokes(hub, pool, tls_files):
    clusters = []
    folder = shared_tmpdir("capsul-test-spokes-")

    async def start(specs, **kwargs):
        cluster = await start_spokes(pool, hub.api_url, specs, folder, tls_files, **kwargs)
        clusters.append(cluster)
        return cluster

    yield start
    for cluster in clusters:
        await cluster.stop()
    import shutil
    shutil.rmtree(folder, ignore_errors=True)


async def libvirt_view(hub):
    """{vm_id: [hosts reporting it]} over every spoke, via the list operation."""
    listing = await hub.hub.dispatcher.list_everywhere()
    assert listing.missing == {}
    seen = collections.defaultdict(list)
    for host_id, answer in listing.answers.items():
        for vm in answer["vms"]:
            seen[vm["vm_id"]].append(host_id)
    return seen


async def test_placement_follows_free_memory(hub, pool, spokes):
    await spokes([SpokeSpec("small", 2048, 8, "198.18.1.0/24"), SpokeSpec("medium", 4096, 8, "198.18.2.0/24"),
                  SpokeSpec("large", 8192, 8, "198.18.3.0/24")])
    first = await capsuls.create_capsul(hub.hub, ALICE, "f1-s", "debian12", ["laptop"])  # 1 GiB each
    assert first["host_id"] == "large"
    for _ in range(13):
        await capsuls.create_capsul(hub.hub, ALICE, "f1-s", "debian12", ["laptop"])
    owners = collections.Counter(vm["host_id"] for vm in await capsuls.list_capsuls(hub.hub, ALICE))
    assert owners == {"small": 2, "medium": 4, "large": 8}  # every host filled to its memory
    with pytest.raises(capsuls.NoCapacityError) as caught:
        await capsuls.create_capsul(hub.hub, ALICE, "f1-s", "debian12", ["laptop"])
    assert "no room for a f1-s" in caught.value.message
    async with db.cursor(pool) as cur:  # what each host said is the operator's, on the operation
        await cur.execute("SELECT error FROM operations WHERE status = 'failed'")
        error = (await cur.fetchone())["error"]
    for host in ("small", "medium", "large"):
        assert f"{host}: not enough memory (0 MB free)" in error
    seen = await libvirt_view(hub)
    assert collections.Counter(h for hosts_ in seen.values() for h in hosts_) == owners


async def test_creates_decided_together_still_follow_free_memory(hub, pool, spokes):
    """Creates that arrive together are placed in one decision (one lock, one ranking): each takes
    the best host left counting the ones before it, so together they fill the hosts as one at a
    time would."""
    await spokes([SpokeSpec("small", 2048, 8, "198.18.1.0/24"), SpokeSpec("medium", 4096, 8, "198.18.2.0/24"),
                  SpokeSpec("large", 8192, 8, "198.18.3.0/24")])
    before = hub.hub.dispatcher.placement.batches
    made = await asyncio.gather(*(capsuls.create_capsul(hub.hub, ALICE, "f1-s", "debian12", ["laptop"])
                                  for _ in range(14)))  # 1 GiB each: exactly what the three hold
    assert hub.hub.dispatcher.placement.batches - before < 14  # some were decided together
    assert collections.Counter(vm["host_id"] for vm in made) == {"small": 2, "medium": 4, "large": 8}
    async with db.cursor(pool) as cur:  # each went to a host with room at its first offer: none refused
        await cur.execute("""SELECT count(*) AS n FROM host_operation ho JOIN operations o ON o.id = ho.operation_id
                             WHERE o.vm_id = ANY(%s)""", ([vm["id"] for vm in made],))
        assert (await cur.fetchone())["n"] == 14
    with pytest.raises(capsuls.NoCapacityError):
        await capsuls.create_capsul(hub.hub, ALICE, "f1-s", "debian12", ["laptop"])
    await assert_converged(hub.hub)


async def test_200_concurrent_creates_over_5_spokes(hub, pool, spokes):
    await spokes([SpokeSpec(f"spoke{i}", 24576, 16, f"198.18.{i}.0/24") for i in range(5)])
    results = await asyncio.gather(*(capsuls.create_capsul(hub.hub, ALICE, "f1-xs", "debian12", ["laptop"])
                                     for _ in range(200)), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    made = {vm["id"]: vm for vm in results}
    assert len(made) == 200
    assert hub.hub.dispatcher.placement.batches < 200  # decided in batches, not one lock each

    async with db.cursor(pool) as cur:
        await cur.execute("SELECT id, host_id, host(public_ipv4) AS ip, state FROM vms")
        rows = await cur.fetchall()
        await cur.execute("""SELECT o.id, o.status, count(*) FILTER (WHERE ho.assignment_status = 'claimed') AS claims
                             FROM operations o JOIN host_operation ho ON ho.operation_id = o.id
                             WHERE o.type = 'create' GROUP BY o.id, o.status""")
        creates = await cur.fetchall()
    assert len(rows) == 200  # no orphan or extra rows
    assert all(r["host_id"] and r["state"] in ("creating", "running") for r in rows)
    assert len({r["ip"] for r in rows}) == 200  # all addresses distinct
    assert len(creates) == 200 and all(c["status"] == "assigned" and c["claims"] == 1 for c in creates)

    async def all_built():
        seen = await libvirt_view(hub)
        return len(seen) == 200 and seen

    seen = await eventually(all_built, within=60)
    owners = {r["id"]: r["host_id"] for r in rows}
    assert all(hosts_ == [owners[vm_id]] for vm_id, hosts_ in seen.items())  # one owner, no strays
    spread = collections.Counter(owners.values())
    assert len(spread) == 5, spread

    async def all_running():
        async with db.cursor(pool) as cur:
            await cur.execute("SELECT count(*) AS n FROM vms WHERE state = 'running'")
            return (await cur.fetchone())["n"] == 200

    await eventually(all_running, within=60)  # completion arrived as events
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT count(*) AS n FROM ownership_conflicts")
        assert (await cur.fetchone())["n"] == 0
    await assert_converged(hub.hub)


async def test_offers_to_several_spokes_at_once_still_make_one_vm_each(start_node, pool, tls_files):
    node = await start_node(Role.HUB, HEARTBEAT_INTERVAL="0.5", CREATE_OFFER_PARALLELISM="3")
    await add_account_with_key(pool)
    folder = shared_tmpdir("capsul-test-spokes-")
    cluster = await start_spokes(pool, node.api_url, [SpokeSpec(f"p{i}", 8192, 8, f"198.18.{i}.0/24")
                                                      for i in range(3)], folder, tls_files)
    try:
        made = await asyncio.gather(*(capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"])
                                      for _ in range(12)))
        async with db.cursor(pool) as cur:
            await cur.execute("""SELECT operation_id, array_agg(assignment_status ORDER BY host_id) AS statuses
                                 FROM host_operation GROUP BY operation_id""")
            offers = {str(r["operation_id"]): r["statuses"] for r in await cur.fetchall()}
        creates = [s for s in offers.values() if "claimed" in s]
        assert len(creates) == 12 and all(s.count("claimed") == 1 for s in creates)
        assert sum(len(s) for s in creates) > 12  # most creates really were offered to several at once

        async def all_built():
            seen = await libvirt_view(node)
            return len(seen) == 12 and seen

        seen = await eventually(all_built)
        assert all(seen[vm["id"]] == [vm["host_id"]] for vm in made)  # the losers built nothing
    finally:
        await cluster.stop()
        import shutil
        shutil.rmtree(folder, ignore_errors=True)
