"""Backups as the hub keeps them (capsul/hub/backups/, hub/db/backups.py), on a real node with the
test hypervisor and a restic repository in a local folder: the JSON API's schedule and its odd
input, a backup its host cannot take (libvirt's test driver has no backup API) ending failed in
words, retention carried out in a real repository, and the daily window."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from capsul.config import Role, load_config
from capsul.hub import db
from capsul.hub.accounts import api_tokens
from capsul.hub.backups import jobs
from capsul.hub.db import backups as catalogue
from capsul.hub.db import ledger
from capsul.spoke.backups.store import ResticStore
from tests.conftest import HEALTH_HEADERS, add_account_with_key, eventually, spoke_ready, wait_for_state
from tests.test_public_api import Api, assert_error

pytestmark = [pytest.mark.timeout(300)]


@pytest.fixture
def store_settings(tmp_path) -> dict[str, str]:
    (tmp_path / "repository-key").write_text("correct horse battery staple\n")
    return {"BACKUP_STORE": str(tmp_path / "repository"), "BACKUP_PASSWORD_FILE": str(tmp_path / "repository-key"),
            "BACKUP_SPOOL_DIR": str(tmp_path / "spool")}


@pytest.fixture
async def backups_node(start_node, pool, store_settings):
    node = await start_node(**store_settings)
    await spoke_ready(pool)
    return node


@pytest.fixture
async def alice(backups_node, pool):
    await add_account_with_key(pool)
    secret, _ = await api_tokens.create_token(pool, "alice@example.org", "backups", "write", None)
    async with aiohttp.ClientSession() as session:
        yield Api(session, backups_node.console_url, secret)


async def running_capsul(alice: Api, pool) -> str:
    status, body = await alice.call("POST", "/capsuls", {"size": "f1-xs", "os": "debian12", "ssh_keys": ["laptop"]})
    assert status == 201, body
    await wait_for_state(pool, body["capsul"]["id"], "running")
    return body["capsul"]["id"]


async def test_the_schedule_is_set_whole_or_refused_in_words(alice, pool):
    vm_id = await running_capsul(alice, pool)
    status, body = await alice.call("GET", f"/capsuls/{vm_id}/backups")
    assert status == 200 and body["enabled"] and body["backups"] == [] and body["schedule"]["daily"] is False
    status, body = await alice.call("PUT", f"/capsuls/{vm_id}/backups/schedule",
                                    {"daily": True, "window_start": 23, "window_hours": 3, "keep_last": 2})
    assert status == 200 and body["schedule"] == {"daily": True, "window_start": 23, "window_hours": 3, "keep_last": 2,
                                                  "keep_daily": 7, "keep_weekly": 4, "keep_monthly": 3}, body
    for odd, words in (({"daily": "yes"}, "daily"), ({"window_start": 24}, "window_start"),
                       ({"window_hours": 0}, "window_hours"), ({"keep_last": 2**63}, "keep_last"),
                       ({"keep_daily": True}, "keep_daily"), ({"keep_weekly": 1.5}, "keep_weekly"),
                       ({"keep_monthly": "3"}, "keep_monthly"), ({"hourly": 1}, "unknown"),
                       ({"keep_last": 0, "keep_daily": 0, "keep_weekly": 0, "keep_monthly": 0}, "keep at least one")):
        status, body = await alice.call("PUT", f"/capsuls/{vm_id}/backups/schedule", odd)
        assert_error(status, body, 400, words)
    status, body = await alice.call("GET", f"/capsuls/{vm_id}/backups")
    assert body["schedule"]["window_start"] == 23 and body["schedule"]["keep_last"] == 2  # as it was
    status, body = await alice.call("PUT", "/capsuls/capsul-0000000000/backups/schedule", {"daily": True})
    assert_error(status, body, 404)


def samples_of(text: str) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


async def test_a_backup_its_host_cannot_take_fails_in_words_and_lists_nothing_restorable(backups_node, alice, pool):
    vm_id = await running_capsul(alice, pool)
    live = await alice.ws(f"?capsul={vm_id}")
    status, body = await alice.call("POST", f"/capsuls/{vm_id}/backups", headers={"Idempotency-Key": "b-1"})
    assert status in (200, 202), body
    backup_id = body["backup"]["id"]
    seen = []

    async def told_live():  # the same progress reaches open pages and scripts over the websocket
        message = await live.receive_json(timeout=10)
        if message["type"] == "capsul.backup" and message["data"]["backup"]["id"] == backup_id:
            seen.append(message["data"]["backup"]["status"])
        return "failed" in seen
    await eventually(told_live, within=60)
    assert seen[0] in ("queued", "taking", "failed")
    await live.close()
    status, again = await alice.call("POST", f"/capsuls/{vm_id}/backups", headers={"Idempotency-Key": "b-1"})
    assert again["backup"]["id"] == backup_id  # the same request: the same backup

    async def failed():
        _, listed = await alice.call("GET", f"/capsuls/{vm_id}/backups")
        found = {b["id"]: b for b in listed["backups"]}[backup_id]
        return found if found["status"] == "failed" else None
    found = await eventually(failed, within=60)
    assert "not supported" in found["error"] and found["digest"] is None and found["consistency"] is None
    status, body = await alice.call("POST", f"/capsuls/{vm_id}/backups/{backup_id}/restore")
    assert_error(status, body, 409, "only a finished backup")
    async with aiohttp.ClientSession() as client:  # counted for Prometheus, on the hub and on the spoke
        async with client.get(backups_node.console_url + "/metrics", headers=HEALTH_HEADERS) as r:
            hub_samples = samples_of(await r.text())
        async with client.get(backups_node.api_url + "/metrics", headers=HEALTH_HEADERS, ssl=False) as r:
            spoke_samples = samples_of(await r.text())
    assert hub_samples[("capsul_backups", (("status", "failed"),))] == 1
    assert spoke_samples[("capsul_spoke_backups_failed_total", ())] == 1
    assert spoke_samples[("capsul_spoke_backup_jobs", ())] == 0
    status, body = await alice.call("POST", f"/capsuls/{vm_id}/backups/{uuid.uuid4()}/restore")
    assert_error(status, body, 400, "no backup")
    status, body = await alice.call("POST", f"/capsuls/{vm_id}/backups/not-a-uuid/new-capsul", {})
    assert_error(status, body, 404)


async def test_a_rebuild_that_asks_to_back_up_first_erases_nothing_when_the_backup_fails(alice, pool):
    vm_id = await running_capsul(alice, pool)
    status, body = await alice.call("POST", f"/capsuls/{vm_id}/rebuild", {"back_up_first": "yes"})
    assert_error(status, body, 400, "back_up_first")
    status, body = await alice.call("POST", f"/capsuls/{vm_id}/rebuild", {"back_up_first": True})
    assert_error(status, body, 409, "The backup before the rebuild did not succeed")
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT state, generation FROM vms WHERE id = %s", (vm_id,))
        assert dict(await cur.fetchone()) == {"state": "running", "generation": 0}  # nothing erased
        await cur.execute("SELECT reason, status FROM backups WHERE vm_id = %s", (vm_id,))
        assert [dict(r) for r in await cur.fetchall()] == [{"reason": "before-rebuild", "status": "failed"}]


async def test_no_change_swaps_a_disk_while_its_backup_is_under_way(alice, pool):
    vm_id = await running_capsul(alice, pool)
    async with db.cursor(pool) as cur:  # as a host leaves it while it copies the disk
        await cur.execute("""INSERT INTO backups (id, vm_id, account, host_id, reason, status)
                             VALUES (%s, %s, 'alice@example.org', 'local', 'asked', 'taking')""",
                          (str(uuid.uuid4()), vm_id))
    for path, body in (("rebuild", {}), ("resize", {"size": "f1-s"})):
        status, answer = await alice.call("POST", f"/capsuls/{vm_id}/{path}", body)
        assert_error(status, answer, 409, "A backup of this capsul is under way")
    status, answer = await alice.call("POST", f"/capsuls/{vm_id}/backups")
    assert_error(status, answer, 409, "under way already")
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT state, size, generation FROM vms WHERE id = %s", (vm_id,))
        assert dict(await cur.fetchone()) == {"state": "running", "size": "f1-xs", "generation": 0}


async def test_retention_is_carried_out_in_the_store_and_only_then_listed(backups_node, alice, pool, store_settings,
                                                                        tmp_path):
    vm_id = await running_capsul(alice, pool)
    config = load_config(Role.SPOKE, {"HUB_URL": "https://127.0.0.1:9", "SPOKE_HOST_TOKEN": "a" * 64,
                                      "HUB_TOKEN": "b" * 64, **store_settings})
    store = ResticStore(config, tmp_path / "cache")
    image = tmp_path / "image.qcow2"
    now = datetime.now(timezone.utc)
    made = []
    for days_ago in (0, 1, 2, 3):  # one backup a day: keep_last 1 + keep_daily 2 keeps three of them
        image.write_bytes(uuid.uuid4().bytes * 1000)
        backup_id = str(uuid.uuid4())
        stored = await store.put(image, backup_id=backup_id, vm_id=vm_id)
        async with db.cursor(pool) as cur:
            await cur.execute(
                """INSERT INTO backups (id, vm_id, account, host_id, reason, status, consistency, os_image, disk_bytes,
                                        image_bytes, stored_bytes, digest, snapshot, requested_at, taken_at, finished_at)
                   VALUES (%s, %s, 'alice@example.org', 'local', 'asked', 'done', 'crash', 'debian12', 1, 1, 1,
                           %s, %s, %s, %s, %s)""",
                (backup_id, vm_id, "0" * 64, stored.snapshot, now - timedelta(days=days_ago),
                 now - timedelta(days=days_ago), now - timedelta(days=days_ago)))
        made.append((backup_id, stored.snapshot))
    status, body = await alice.call("PUT", f"/capsuls/{vm_id}/backups/schedule",
                                    {"keep_last": 1, "keep_daily": 2, "keep_weekly": 0, "keep_monthly": 0})
    assert status == 200, body
    oldest_id, oldest_snapshot = made[-1]
    pruned = await jobs.prune(backups_node.hub)
    assert pruned == [oldest_id]
    assert sorted(s["id"] for s in await store.snapshots()) == sorted(s for _, s in made[:-1])
    _, listed = await alice.call("GET", f"/capsuls/{vm_id}/backups")
    assert [b["id"] for b in listed["backups"]] == [b for b, _ in made[:-1]]

    # a protected one stays, whatever the retention says
    status, body = await alice.call("POST", f"/capsuls/{vm_id}/backups/{made[2][0]}/protect", {"protected": True})
    assert status == 200 and body["backup"]["protected"] is True
    await alice.call("PUT", f"/capsuls/{vm_id}/backups/schedule", {"keep_last": 1, "keep_daily": 0})
    assert sorted(await jobs.prune(backups_node.hub)) == sorted([made[1][0]])
    assert sorted(s["id"] for s in await store.snapshots()) == sorted([made[0][1], made[2][1]])


async def test_backup_storage_is_billed_by_the_hour_into_the_balance(backups_node, alice, pool):
    vm_id = await running_capsul(alice, pool)
    async with db.cursor(pool) as cur:
        await cur.execute(
            """INSERT INTO backups (id, vm_id, account, host_id, reason, status, consistency, os_image, disk_bytes,
                                    image_bytes, stored_bytes, digest, snapshot, taken_at, finished_at)
               VALUES (%s, %s, 'alice@example.org', 'local', 'asked', 'done', 'crash', 'debian12', 1, 1, %s,
                       %s, 'abcdef12', now(), now())""", (str(uuid.uuid4()), vm_id, 73 * 2**30, "0" * 64))
        before = await ledger.balance(cur, "alice@example.org")
    hour = datetime(2026, 12, 2, 10, 17, tzinfo=timezone.utc)
    assert await jobs.bill_storage(backups_node.hub, hour) == 1
    assert await jobs.bill_storage(backups_node.hub, hour) == 1  # the same hour again: no second charge
    price = Decimal(str(backups_node.config.backup_price_per_gb_month))
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT hour, stored_bytes, amount FROM backup_charges WHERE account = 'alice@example.org'")
        rows = await cur.fetchall()
        after = await ledger.balance(cur, "alice@example.org")
    assert [(r["hour"], r["stored_bytes"]) for r in rows] == [(hour.replace(minute=0), 73 * 2**30)]
    assert rows[0]["amount"] == (73 * price / 730).quantize(Decimal("0.000001"))  # 73 GB for 1/730 of a month
    assert before - after == rows[0]["amount"]


def test_the_daily_window_is_read_in_utc_and_may_cross_midnight():
    at = datetime(2026, 12, 2, 1, 30, tzinfo=timezone.utc)
    assert catalogue.window_opened(at, 23, 3) == datetime(2026, 12, 1, 23, 0, tzinfo=timezone.utc)
    assert catalogue.window_opened(at, 2, 4) is None
    assert catalogue.window_opened(at.replace(hour=5, minute=59), 2, 4) == at.replace(hour=2, minute=0)
    assert catalogue.window_opened(at.replace(hour=6), 2, 4) is None
    assert catalogue.window_opened(at, 0, 24) == at.replace(hour=0, minute=0)
