"""Usage on the hub: signed ingest (what is stored, what is refused, resends), roll-ups over a
simulated month exact against the raw samples, pruning, late samples redone, the series on
the page, the API and the websocket (another person's: 404), the test driver said plainly,
and the allowance mails sent once. Real samples from a real guest are
tests/test_usage_guest.py; the spoke's arithmetic is checked here against libvirt's field names.
"""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone

import aiohttp
import pytest

from capsul import signing
from capsul.hub import capsuls, db, usage
from capsul.hub.accounts import api_tokens
from capsul.hub.db import hosts
from capsul.hub.db import usage as usage_db
from capsul.hub.mailer import Mailer
from capsul.spoke.usage import Counters, counters_from, sample
from tests.conftest import ADMIN_EMAIL, ALICE, add_account_with_key, eventually, spoke_ready, wait_for_state
from tests.test_console import BOB, create_capsul, logged_in
from tests.test_live_updates import next_message

START = datetime(2026, 10, 1, tzinfo=timezone.utc)


async def post_samples(node, pool, samples, *, host_id: str = "local") -> tuple[int, dict]:
    async with db.cursor(pool) as cur:
        token = (await hosts.spoke_signing_tokens(cur, host_id))[0]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as session:
        try:
            answer = await signing.signed_post(session, node.api_url, "/hub/usage", {"samples": samples},
                                               host_id=host_id, token=token, direction=signing.SPOKE_TO_HUB, timeout=10)
        except signing.CallFailed as e:
            return e.status, e.body
    return 200, answer


def a_sample(vm_id: str, at: datetime, **figures) -> dict:
    return {"vm_id": vm_id, "at": at.isoformat(), "seconds": 10.0, "vcpus": 1, "cpu_seconds": 2.5,
            "memory_bytes": 300_000_000, "disk_read_bytes": 4096, "disk_write_bytes": 8192, "disk_read_ops": 1,
            "disk_write_ops": 2, "net_rx_bytes": 1000, "net_tx_bytes": 500, **figures}


@pytest.fixture
async def running(start_node, pool):
    node = await start_node()
    await spoke_ready(pool)
    await add_account_with_key(pool)
    vm = await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"])
    await wait_for_state(pool, vm["id"], "running")
    return node, vm["id"]


def test_the_spoke_turns_libvirt_counters_into_interval_samples():
    stats = {"cpu.time": 5_000_000_000, "vcpu.current": 2, "balloon.rss": 200_000, "block.count": 2,
             "block.0.rd.bytes": 1000, "block.0.wr.bytes": 2000, "block.0.rd.reqs": 3, "block.0.wr.reqs": 4,
             "block.1.rd.bytes": 10, "block.1.wr.bytes": 20, "block.1.rd.reqs": 1, "block.1.wr.reqs": 1,
             "net.count": 1, "net.0.rx.bytes": 5000, "net.0.tx.bytes": 7000}
    assert counters_from({"state.state": 1, "state.reason": 0}, at=0, wall=0) is None  # the test driver
    before = counters_from(stats, at=100.0, wall=1_800_000_000.0)
    assert before == Counters(100.0, 1_800_000_000.0, 2, 5_000_000_000, 200_000 * 1024, 1010, 2020, 4, 5, 5000, 7000)
    later = {**stats, "cpu.time": 15_000_000_000, "block.0.wr.bytes": 1_002_000, "net.0.rx.bytes": 6000,
             "balloon.available": 1_000_000, "balloon.unused": 600_000}
    now = counters_from(later, at=110.0, wall=1_800_000_010.0)
    assert now.memory_bytes == 400_000 * 1024  # what the guest says it uses, when it says
    s = sample("capsul-abcde12345", before, now)
    assert s["seconds"] == 10.0 and s["cpu_seconds"] == 10.0 and s["vcpus"] == 2
    assert (s["disk_write_bytes"], s["net_rx_bytes"], s["net_tx_bytes"]) == (1_000_000, 1000, 0)
    restarted = counters_from({**stats, "cpu.time": 1_000_000_000, "net.0.rx.bytes": 300}, at=120.0, wall=1.8e9 + 20)
    s = sample("capsul-abcde12345", now, restarted)  # counters went down: the domain restarted
    assert s["cpu_seconds"] == 1.0 and s["net_rx_bytes"] == 300


async def test_ingest_stores_once_only_the_hosts_own_and_refuses_bad_batches(running, pool):
    node, vm_id = running
    at = datetime.now(timezone.utc).replace(microsecond=0)
    batch = [a_sample(vm_id, at), a_sample(vm_id, at + timedelta(seconds=10), net_rx_bytes=2_000_000_000),
             a_sample("capsul-0000000000", at)]  # not this host's: ignored
    assert await post_samples(node, pool, batch) == (200, {"ok": True, "stored": 2})
    assert await post_samples(node, pool, batch) == (200, {"ok": True, "stored": 0})  # a resend changes nothing
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT count(*) AS n FROM usage_samples")
        assert (await cur.fetchone())["n"] == 2
        assert (await usage_db.transfer_this_month(cur, [vm_id], at))[vm_id] == 1500 + 2_000_000_500  # rx + tx
    bad = [{**a_sample(vm_id, at), "seconds": 0}, {**a_sample(vm_id, at), "net_rx_bytes": 2**63},
           {**a_sample(vm_id, at), "cpu_seconds": float("nan")}, {**a_sample(vm_id, at), "at": "yesterday"},
           {**a_sample(vm_id, at), "at": "2026-11-29T10:00:00"}, {**a_sample(vm_id, at), "vcpus": True},
           {**a_sample(vm_id, at), "vm_id": "x" * 500}, "a string", None]
    for sample_ in bad:
        status, body = await post_samples(node, pool, [a_sample(vm_id, at + timedelta(minutes=5)), sample_])
        assert status == 400 and "each sample needs" in body["error"], sample_
    status, body = await post_samples(node, pool, {"not": "a list"})
    assert status == 400
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT count(*) AS n FROM usage_samples")
        assert (await cur.fetchone())["n"] == 2  # nothing of a refused batch was stored


async def test_a_simulated_month_rolls_up_exactly_and_is_pruned(running, pool):
    """A sample a minute for 31 days, rolled up every 6 simulated hours (and once more, which
    changes nothing), a late sample redone; sums of bytes and CPU averages exact."""
    _node, vm_id = running
    rng = random.Random(7)
    samples, day_totals = [], {}
    for minute in range(1, 31 * 24 * 60 + 1):
        at = START + timedelta(minutes=minute)
        s = a_sample(vm_id, at, seconds=60.0, cpu_seconds=round(rng.uniform(0, 60), 3),
                     disk_write_bytes=rng.randrange(0, 10**9), net_tx_bytes=rng.randrange(0, 10**7),
                     memory_bytes=rng.randrange(10**8, 10**9))
        samples.append(s)
        day = (at - timedelta(microseconds=1)).date()
        totals = day_totals.setdefault(day, {"cpu": 0.0, "seconds": 0.0, "disk": 0, "net": 0})
        totals["cpu"] += s["cpu_seconds"]
        totals["seconds"] += 60.0
        totals["disk"] += s["disk_write_bytes"]
        totals["net"] += s["net_tx_bytes"] + s["net_rx_bytes"]
    clock = START
    async with db.cursor(pool) as cur:
        for chunk in range(0, len(samples), 5000):
            until = START + timedelta(minutes=chunk + 5000)
            await usage_db.ingest(cur, "local", samples[chunk:chunk + 5000])
            while clock + timedelta(hours=6) <= until:  # the roll-ups keep pace with the samples
                clock += timedelta(hours=6)
                await usage.roll_up_once(pool, clock)
    end = START + timedelta(days=31, hours=1)
    await usage.roll_up_once(pool, end)
    before = await _tables(pool)
    await usage.roll_up_once(pool, end)  # again: nothing changes
    assert await _tables(pool) == before

    async with db.cursor(pool) as cur:
        await cur.execute(
            """SELECT (bucket AT TIME ZONE 'UTC')::date AS day, sum(cpu_seconds) AS cpu, sum(vcpu_seconds) AS vcpu,
                      sum(disk_write_bytes) AS disk, sum(net_rx_bytes + net_tx_bytes) AS net, sum(samples) AS n
               FROM usage_hourly WHERE vm_id = %s GROUP BY 1 ORDER BY 1""", (vm_id,))
        hourly = {r["day"]: r for r in await cur.fetchall()}
        assert set(hourly) == set(day_totals)
        for day, want in day_totals.items():
            got = hourly[day]
            assert got["n"] == 24 * 60 and got["disk"] == want["disk"] and got["net"] == want["net"], day
            assert got["cpu"] / got["vcpu"] == pytest.approx(want["cpu"] / want["seconds"], rel=1e-9), day
        month = (await usage_db.transfer_this_month(cur, [vm_id], START))[vm_id]
        assert month == sum(t["net"] for d, t in day_totals.items() if d.month == 10)
        # pruned: raw samples of the last day only, 5-minute buckets of the last 31 days
        await cur.execute("SELECT min(at) AS first FROM usage_samples")
        assert (await cur.fetchone())["first"] >= end - timedelta(hours=24)
        await cur.execute("SELECT min(bucket) AS first FROM usage_5min")
        assert (await cur.fetchone())["first"] >= end - timedelta(days=31)

        # a late sample (a spoke catching up) into a bucket already rolled up is counted
        late_at = end - timedelta(hours=2, seconds=30)
        await usage_db.ingest(cur, "local", [a_sample(vm_id, late_at, seconds=30.0, disk_write_bytes=12345)])
    await usage.roll_up_once(pool, end + timedelta(minutes=10))
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT sum(disk_write_bytes) AS disk FROM usage_hourly WHERE vm_id = %s AND bucket = %s",
                          (vm_id, (late_at - timedelta(hours=0)).replace(minute=0, second=0, microsecond=0)))
        hour_total = (await cur.fetchone())["disk"]
        await cur.execute("SELECT sum(disk_write_bytes) AS disk FROM usage_samples WHERE vm_id = %s AND at > %s "
                          "AND at <= %s", (vm_id, late_at.replace(minute=0, second=0), late_at.replace(minute=0, second=0)
                                           + timedelta(hours=1)))
        assert hour_total == (await cur.fetchone())["disk"]


async def _tables(pool) -> list:
    async with db.cursor(pool) as cur:
        out = []
        for table in ("usage_5min", "usage_hourly", "usage_rollup_marks"):
            await cur.execute(f"SELECT * FROM {table} ORDER BY 1, 2")
            out.append(await cur.fetchall())
        return out


async def test_series_for_the_owner_only_and_the_test_driver_said_plainly(console, people, mail, pool):
    alice = await logged_in(people, mail, ALICE, key=True)
    vm_id = await create_capsul(alice, pool)
    await wait_for_state(pool, vm_id, "running")
    status, page = await alice.get(f"/capsuls/{vm_id}")
    assert status == 200 and "No usage data on this hypervisor" in page
    assert "Transfer this month" in page and "of the 500 GB included" in page
    now = datetime.now(timezone.utc)
    async with db.cursor(pool) as cur:
        await usage_db.ingest(cur, "local", [a_sample(vm_id, now - timedelta(seconds=20 * i)) for i in range(5)])
    status, body = await alice.get(f"/capsuls/{vm_id}/usage?range=1h")
    graph = json.loads(body)
    assert status == 200 and graph["usage_reported"] is False and len(graph["series"]["t"]) == 5
    assert graph["series"]["cpu_percent"] == [25.0] * 5 and graph["series"]["net_rx_bytes_per_s"] == [100.0] * 5
    status, _ = await alice.get(f"/capsuls/{vm_id}/usage?range=2y")
    assert status == 400

    bob = await logged_in(people, mail, BOB)
    status, _ = await bob.get(f"/capsuls/{vm_id}/usage?range=1h")
    assert status == 404
    with pytest.raises(aiohttp.WSServerHandshakeError) as e:
        await bob.session.ws_connect(bob.url(f"/ws?capsul={vm_id}&usage=1"), headers={"Origin": bob.base_url})
    assert e.value.status == 404
    bobs, _ = await api_tokens.create_token(pool, BOB, "bob", "read", None)
    alices, _ = await api_tokens.create_token(pool, ALICE, "alice", "read", None)
    async with aiohttp.ClientSession() as script:
        url = alice.url(f"/api/v1/capsuls/{vm_id}/metrics?range=1h")
        async with script.get(url, headers={"Authorization": f"Bearer {bobs}"}) as r:
            assert r.status == 404 and (await r.json())["ok"] is False
        async with script.get(url, headers={"Authorization": f"Bearer {alices}"}) as r:
            assert r.status == 200 and (await r.json())["series"]["t"] == graph["series"]["t"]
        async with script.get(url.replace("1h", "forever"), headers={"Authorization": f"Bearer {alices}"}) as r:
            assert r.status == 400 and "range must be one of" in (await r.json())["error"]


async def test_allowance_mails_go_once_per_level_and_month(start_node, pool, mail):
    node = await start_node(**mail.env())
    await spoke_ready(pool)
    await add_account_with_key(pool)
    vm = await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"])  # 500 GB a month
    await wait_for_state(pool, vm["id"], "running")
    now = datetime.now(timezone.utc)
    mailer = Mailer(node.config)
    async with db.cursor(pool) as cur:
        await usage_db.ingest(cur, "local", [a_sample(vm["id"], now, net_tx_bytes=410 * 10**9, net_rx_bytes=0)])
    assert await usage.send_allowance_notices(pool, mailer, now) == 1
    assert await usage.send_allowance_notices(pool, mailer, now) == 0
    async with db.cursor(pool) as cur:
        await usage_db.ingest(cur, "local", [a_sample(vm["id"], now + timedelta(seconds=10), net_rx_bytes=95 * 10**9)])
    assert await usage.send_allowance_notices(pool, mailer, now) == 1
    assert await usage.send_allowance_notices(pool, mailer, now) == 0
    subjects = [m["Subject"] for m in mail.messages if m["To"] == ALICE]
    assert subjects == [f"{vm['id']} has used 80% of its monthly transfer allowance",
                        f"{vm['id']} has used its monthly transfer allowance"]


async def test_prometheus_metrics_parse_and_need_the_token(start_node, pool, https):
    from prometheus_client.parser import text_string_to_metric_families
    token = "scrape-me-please-0123456789"
    node = await start_node(METRICS_TOKEN=token)
    await spoke_ready(pool)
    await add_account_with_key(pool)
    vm = await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"])
    await wait_for_state(pool, vm["id"], "running")
    with pytest.raises(capsuls.CapsulError):
        await capsuls.capsul_action(node.hub, ALICE, vm["id"], "levitate")
    async with aiohttp.ClientSession() as client:
        for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": token}):
            async with client.get(node.console_url + "/metrics", headers=headers) as r:
                assert r.status == 401 and (await r.json())["ok"] is False
        async with client.get(node.console_url + "/metrics", headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status == 200 and r.headers["Content-Type"].startswith("text/plain")
            families = {f.name: f for f in text_string_to_metric_families(await r.text())}
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    assert samples[("capsul_host_online", (("host", "local"),))] == 1
    assert samples[("capsul_capsuls", (("state", "running"),))] == 1
    assert samples[("capsul_operation_seconds_count", (("outcome", "ok"), ("type", "create")))] == 1
    assert samples[("capsul_operation_seconds_count", (("outcome", "InvalidRequest"), ("type", "action")))] == 1
    assert ("capsul_host_capacity", (("host", "local"), ("resource", "cpus"))) in samples
    assert "capsul_websocket_clients" in families and "capsul_heartbeat_sweeps" in families
    # the spoke's own, on its API listener
    async with https.get(node.api_url + "/metrics") as r:
        assert r.status == 401
    async with https.get(node.api_url + "/metrics", headers={"Authorization": f"Bearer {token}"}) as r:
        families = {f.name for f in text_string_to_metric_families(await r.text())}
    assert {"capsul_cpu_seconds", "capsul_spoke_usage_backlog_samples", "capsul_spoke_console_sessions"} <= families


async def test_metrics_are_off_without_a_token(start_node, pool):
    node = await start_node(METRICS_TOKEN="")
    async with aiohttp.ClientSession() as client:
        async with client.get(node.console_url + "/metrics") as r:
            assert r.status == 404 and "METRICS_TOKEN" in (await r.json())["error"]


async def test_new_points_reach_a_visible_detail_page_only(console, people, mail, pool):
    """Over /ws?capsul=<id>&usage=1: a new sample becomes a capsul.usage message; a page that says it
    is hidden gets none, and gets them again once visible."""
    alice = await logged_in(people, mail, ALICE, key=True)
    vm_id = await create_capsul(alice, pool)
    await wait_for_state(pool, vm_id, "running")
    ws = await alice.session.ws_connect(alice.url(f"/ws?capsul={vm_id}&usage=1"), headers={"Origin": alice.base_url})
    assert (await next_message(ws))["type"] == "snapshot"
    at = datetime.now(timezone.utc)

    async def sample_arrives(offset: int) -> None:
        async with db.cursor(pool) as cur:
            await usage_db.ingest(cur, "local", [a_sample(vm_id, at + timedelta(seconds=offset), net_rx_bytes=offset)])
            await usage_db.notify_sampled(cur, "local")

    await sample_arrives(1)
    message = await next_message(ws)
    assert message["type"] == "capsul.usage" and message["data"]["capsul"] == vm_id
    assert message["data"]["point"]["net_rx_bytes_per_s"] == 0.1 and message["data"]["point"]["cpu_percent"] == 25.0
    await ws.send_str(json.dumps({"type": "usage", "visible": False}))
    await eventually(lambda: _hidden(console))
    delivered = console.change_listener.delivered
    await sample_arrives(2)
    await eventually(lambda: _delivered_after(console, delivered))  # handled while the page was hidden
    await ws.send_str(json.dumps({"type": "usage", "visible": True}))
    await eventually(lambda: _visible(console))
    await sample_arrives(3)
    message = await next_message(ws)  # the point made while hidden was never sent
    assert message["type"] == "capsul.usage" and message["data"]["point"]["net_rx_bytes_per_s"] == 0.3
    await ws.close()

    admin = await logged_in(people, mail, ADMIN_EMAIL)
    status, page = await admin.get("/admin")
    assert status == 200 and "Top transfer this month" in page and vm_id in page.split("<table id=\"top-transfer\"")[1][:2000]


async def _delivered_after(node, count: int) -> bool:
    return node.change_listener.delivered > count


async def _hidden(node) -> bool:
    return any(c.usage_of and not c.usage_visible for c in node.broadcaster.clients)


async def _visible(node) -> bool:
    return any(c.usage_of and c.usage_visible for c in node.broadcaster.clients)
