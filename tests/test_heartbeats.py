"""Heartbeats in one process: online/offline bookkeeping, hung and dead spokes, token rotation."""
import asyncio
import socket

import pytest

from capsul.hub import db
from capsul.hub.db import hosts
from capsul.hub.spokes.heartbeats import sweep
from tests.conftest import HEALTH_HEADERS, eventually, host_row


@pytest.fixture
async def hung_server():
    """Accepts TCP connections and never answers (not even the TLS handshake)."""
    held: list[asyncio.StreamWriter] = []
    accepted = asyncio.Event()

    async def hold(_reader, writer):
        held.append(writer)
        accepted.set()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    server.accepted = accepted
    yield server
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def add_online_host(pool, host_id: str, url: str) -> None:
    async with db.cursor(pool) as cur:
        await hosts.add_host(cur, host_id, url)
        await hosts.record_heartbeat(cur, host_id, None, None)


async def test_hung_and_dead_spokes_go_offline_without_holding_up_anything(start_node, pool, https,
                                                                           hung_server):
    node = await start_node()
    hung_port = hung_server.sockets[0].getsockname()[1]
    await add_online_host(pool, "hung", f"https://127.0.0.1:{hung_port}")
    await add_online_host(pool, "gone", f"https://127.0.0.1:{unused_port()}")

    await asyncio.wait_for(hung_server.accepted.wait(), 10)
    # A heartbeat to the hung spoke is outstanding right now; the web console still answers.
    async with https.get(node.console_url + "/healthz", headers=HEALTH_HEADERS) as resp:
        assert resp.status == 200
        assert "local" in (await resp.json())["spokes"]["online"]

    async def both_offline():
        rows = [await host_row(pool, h) for h in ("hung", "gone")]
        return all(not r["online"] for r in rows) and rows

    hung, gone = await eventually(both_offline)
    assert hung["missed_heartbeats"] >= 3 and gone["missed_heartbeats"] >= 3
    assert "no answer within 0.2 s" in hung["last_error"]
    assert "cannot reach" in gone["last_error"]
    local = await host_row(pool, "local")
    assert local["online"] and local["missed_heartbeats"] == 0

    async with https.get(node.console_url + "/healthz", headers=HEALTH_HEADERS) as resp:
        report = await resp.json()
    assert report["spokes"] == {"online": ["local"], "offline": ["gone", "hung"]}
    assert report["database"] == {"reachable": True} and report["ok"] is True
    assert report["heartbeats"]["sweeps"] >= 3 and report["heartbeats"]["last_error"] is None


async def test_a_spoke_stays_online_until_its_third_missed_heartbeat(pool):
    await add_online_host(pool, "s1", "https://127.0.0.1:1")
    seen = []
    for _ in range(4):
        async with db.cursor(pool) as cur:
            went_offline = await hosts.record_missed_heartbeat(cur, "s1", "timeout", misses_allowed=3)
        row = await host_row(pool, "s1")
        seen.append((row["missed_heartbeats"], row["online"], went_offline))
    assert seen == [(1, True, False), (2, True, False), (3, False, True), (4, False, False)]
    async with db.cursor(pool) as cur:
        assert await hosts.record_heartbeat(cur, "s1", None, 5) is True  # back online
    row = await host_row(pool, "s1")
    assert (row["online"], row["missed_heartbeats"], row["last_error"], row["last_event_seq"]) == (True, 0, None, 5)


async def test_a_sweep_calls_every_spoke_and_counts_misses(start_node, pool):
    node = await start_node(HEARTBEAT_INTERVAL="3600", HEARTBEAT_TIMEOUT="0.5")
    await add_online_host(pool, "gone", f"https://127.0.0.1:{unused_port()}")
    client = node.spoke_client
    for _ in range(4):
        outcome = await sweep(pool, client, node.config)
        assert outcome == {"local": True, "gone": False}
        row = await host_row(pool, "gone")
        assert row["online"] == (row["missed_heartbeats"] < 3)
    assert row["missed_heartbeats"] >= 4 and not row["online"]
    local = await host_row(pool, "local")
    assert local["capacity"]["cpus"] == 16 and local["online"]


async def test_the_hub_falls_back_to_the_previous_hub_token_while_a_spoke_is_not_updated(start_node, pool):
    node = await start_node(HEARTBEAT_INTERVAL="3600", HEARTBEAT_TIMEOUT="2")
    client = node.spoke_client
    async with db.cursor(pool) as cur:
        await hosts.rotate_tokens(cur, "local", grace_seconds=3600)
    # The in-process spoke still holds the old HUB_TOKEN: accepted during the grace period.
    assert (await sweep(pool, client, node.config)) == {"local": True}
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE hosts SET previous_valid_until = now() - interval '1 second'")

    async def refused():
        # the node's own first sweep, begun before the rotation, may still record a success
        outcome = await sweep(pool, client, node.config)
        return outcome == {"local": False} and "HTTP 401" in ((await host_row(pool, "local"))["last_error"] or "")

    await eventually(refused)


async def test_two_hubs_take_turns_at_the_heartbeat_sweep(start_node, pool):
    """Several hubs on one database: each interval's sweep is done by one of them, not all."""
    from capsul.config import Role
    interval = 0.2
    first = await start_node(HEARTBEAT_INTERVAL=str(interval), HEARTBEAT_TIMEOUT=str(interval))
    second = await start_node(Role.HUB, HEARTBEAT_INTERVAL=str(interval), HEARTBEAT_TIMEOUT=str(interval))

    async def enough_rounds():
        return first.sweep_status.rounds >= 15 and second.sweep_status.rounds >= 15
    await eventually(enough_rounds)
    starts = sorted(first.sweep_status.started_at + second.sweep_status.started_at)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    # the database hands out one turn per 0.8 interval (measured here from just before asking)
    assert min(gaps) >= interval * 0.8 - 0.05, gaps
    assert first.sweep_status.skipped + second.sweep_status.skipped >= 10  # the other hub's turns
    report = second.sweep_status.as_dict()
    assert set(report) == {"sweeps", "skipped_for_another_hub", "last_duration_s", "last_error"}
