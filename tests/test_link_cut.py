"""Spokes in their own network namespaces; one's link is cut while creates are under way.

Each create must either complete on one spoke or fail cleanly — never both — and no
spoke may be left with a VM the hub does not know.
"""
import asyncio
import collections
import os
import shutil

import pytest

from capsul import tls
from capsul.config import Role
from capsul.hub import capsuls, db
from tests.conftest import ALICE, add_account_with_key, eventually, host_row, shared_tmpdir
from tests.convergence import assert_converged
from tests.netns import NetnsLab
from tests.spoke_cluster import SpokeSpec, start_spokes

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")]


@pytest.fixture
def lab():
    lab = NetnsLab()
    try:
        lab.up()
        yield lab
    finally:
        lab.down()


def certificate_for(tls_files, address: str, folder) -> dict:
    cert, key = folder / f"{address}.pem", folder / f"{address}.key"
    tls.issue_certificate(tls_files.ca, tls_files.ca.parent / "ca.key", [address], cert, key)
    return {"TLS_CERT_FILE": str(cert), "TLS_KEY_FILE": str(key), "TLS_CA_FILE": str(tls_files.ca)}


async def test_cutting_a_spokes_link_mid_create_never_leaves_a_vm_twice_or_unknown(lab, start_node, pool,
                                                                                    tls_files):
    folder = shared_tmpdir("capsul-test-netns-")
    hub_tls = certificate_for(tls_files, lab.hub_address, folder)
    node = await start_node(Role.HUB, API_LISTEN=f"{lab.hub_address}:0", HEARTBEAT_INTERVAL="0.5",
                            HEARTBEAT_TIMEOUT="0.5", CREATE_OFFER_TIMEOUT="1", OPERATION_TIMEOUT="1",
                            OPERATION_RETRIES="0", **hub_tls)
    await add_account_with_key(pool)
    namespaces = {}
    specs = []
    for i, memory in enumerate((16384, 8192)):  # s0 is roomier, so it is offered first
        ns, address = lab.add_host(i)
        namespaces[f"s{i}"] = ns
        specs.append(SpokeSpec(f"s{i}", memory, 16, f"198.18.{10 + i}.0/24", listen=address))
    cluster = await start_spokes(pool, node.api_url, specs, folder, tls_files,
                                 prefix=lambda spec: ["ip", "netns", "exec", namespaces[spec.host_id]],
                                 tls_for=lambda spec: certificate_for(tls_files, spec.listen, folder),
                                 extra_env={"OPERATION_TIMEOUT": "1", "CLAIM_RETRY_WINDOW": "60"})
    try:
        async def create_one():
            try:
                return await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"])
            except capsuls.CapsulError as e:
                return e

        creates = []

        async def stream_of_creates():
            for _ in range(30):
                creates.append(asyncio.create_task(create_one()))
                await asyncio.sleep(0.05)

        async def s0_offers(*statuses):
            async with db.cursor(pool) as cur:
                await cur.execute("SELECT count(*) AS n FROM host_operation WHERE host_id = 's0' "
                                  "AND assignment_status = ANY(%s)", (list(statuses),))
                return (await cur.fetchone())["n"]

        stream = asyncio.create_task(stream_of_creates())
        async def s0_busy():  # s0 has taken a share, and more creates are coming its way
            return await s0_offers("claimed") >= 6
        await eventually(s0_busy)
        lab.cut(namespaces["s0"])  # creates are being offered to s0 right now
        await stream

        async def s0_offline():  # the cut was felt: offers timed out and heartbeats missed
            return await s0_offers("timeout") >= 1 and not (await host_row(pool, "s0"))["online"]
        await eventually(s0_offline, within=30)
        lab.restore(namespaces["s0"])
        results = await asyncio.gather(*creates)

        done = [r for r in results if isinstance(r, dict)]
        assert len(done) >= 20, results  # s1 took over while s0 was cut off

        async def converged():
            listing = await node.hub.dispatcher.list_everywhere()
            if listing.missing:
                return False
            reported = collections.defaultdict(list)
            for host_id, answer in listing.answers.items():
                for vm in answer["vms"]:
                    reported[vm["vm_id"]].append(host_id)
            async with db.cursor(pool) as cur:
                await cur.execute("SELECT id, host_id, state, host(public_ipv4) AS ip FROM vms")
                rows = {r["id"]: r for r in await cur.fetchall()}
            live = {i: r for i, r in rows.items() if r["state"] not in ("failed", "deleted")}
            if any(r["state"] != "running" for r in live.values()):
                return False  # events still on their way
            return reported, rows, live

        reported, rows, live = await eventually(converged, within=90, every=0.5)
        assert len(rows) == 30
        for vm_id, hosts in reported.items():
            assert vm_id in live, f"{vm_id} exists on {hosts} but the hub does not count it live"
            assert hosts == [live[vm_id]["host_id"]], f"{vm_id} on {hosts}"
        for vm_id, row in live.items():
            assert reported.get(vm_id) == [row["host_id"]], f"{vm_id} is live but not on its owner"
        for row in rows.values():
            if row["state"] == "failed":
                assert row["ip"] is None and row["id"] not in reported
        assert len({r["ip"] for r in live.values()}) == len(live)
        assert {vm["id"] for vm in done} <= set(live)
        async with db.cursor(pool) as cur:  # the cut did hit creates under way
            await cur.execute("""SELECT assignment_status AS status, count(*) AS n FROM host_operation
                                 WHERE host_id = 's0' GROUP BY 1""")
            by_status = {r["status"]: r["n"] for r in await cur.fetchall()}
        assert by_status.get("timeout", 0) >= 1, by_status
        await assert_converged(node.hub)
    finally:
        await cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
