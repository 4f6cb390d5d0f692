"""A rolling upgrade under traffic fails no request (tests/rolling_upgrade.py sets it up): three
hubs of the previous release behind HAProxy serve the database migrated by this code, then each
is restarted onto this code in turn, then the spoke. Every request is answered as expected, a
real browser's live page and `run.py watch` see every change, and no create is made twice."""
from __future__ import annotations

import shutil

import aiohttp
import pytest
from playwright.async_api import expect

from capsul.hub import db
from capsul.hub.accounts import api_tokens
from capsul.hub.db import migrations
from capsul.version import VERSION
from tests.conftest import ALICE, METRICS_TOKEN, eventually
from tests.databases import fresh_cluster
from tests.releases import previous_tree  # noqa: F401 - fixture
from tests.rolling_upgrade import WAIT, Fleet, Traffic, roll
from tests.test_browser import add_key, browsers, chromium, create, live, log_in  # noqa: F401 - fixtures

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600),
              pytest.mark.skipif(shutil.which("haproxy") is None, reason="needs haproxy")]


async def test_a_rolling_upgrade_under_traffic_fails_no_request(previous_tree, tls_files, mail, browsers,  # noqa: F811
                                                                 tmp_path):
    async with fresh_cluster("capsul-rolling-") as pg:
        fleet = Fleet(previous_tree, tmp_path, pg, tls_files, mail, METRICS_TOKEN=METRICS_TOKEN)
        pool = traffic = None
        try:
            await fleet.start_previous()
            pool = await db.create_pool(pg.dsn, maxsize=2)
            page = await browsers.new_page()
            await log_in(page, fleet.base, mail, ALICE)
            await add_key(page, fleet.base, "laptop")
            vm_id = await create(page, fleet.base, "laptop")  # on the previous release's spoke, by its hubs
            await page.goto(fleet.base + "/capsuls")
            await live(page)
            row = page.locator(f'tr[data-capsul-id="{vm_id}"] [data-field="state"]')
            await expect(row).to_have_text("running", timeout=WAIT * 1000)
            write_token, _ = await api_tokens.create_token(pool, ALICE, "deploy", "write", None)
            read_token, _ = await api_tokens.create_token(pool, ALICE, "watch", "read", None)
            await fleet.start_watch(read_token)
            await eventually(lambda: _is(fleet.watched_state(vm_id), "running"), within=WAIT)

            async def seen_by_all(state: str) -> str | None:
                try:
                    await expect(row).to_have_text(state, timeout=WAIT * 1000)
                except AssertionError:
                    return f"the browser shows {await row.text_content()!r}"
                try:
                    await eventually(lambda: _is(fleet.watched_state(vm_id), state), within=WAIT)
                except TimeoutError:
                    return f"run.py watch shows {fleet.watched_state(vm_id)!r}"
                return None

            pending = (await migrations.status(pool)).pending  # what the previous release's database lacks
            traffic = Traffic(fleet.base, write_token, read_token)
            told = await roll(fleet, traffic, pool, vm_id, seen_by_all)
            assert all(m.name in told for m in pending) and not (await migrations.status(pool)).pending, told

            figures = traffic.figures()
            assert all(f["failed"] == 0 for f in figures.values()), (figures, fleet.told)
            assert all(f["served"] > 0 for f in figures.values()), figures
            assert len(traffic.changes) >= 6 and len(traffic.created) >= 6, (traffic.changes, traffic.created)
            # no create made twice: one capsul per Idempotency-Key, and one for the browser's
            async with db.cursor(pool) as cur:
                await cur.execute("SELECT count(*) AS n FROM operations WHERE type = 'create'")
                creates = (await cur.fetchone())["n"]
                await cur.execute("SELECT count(*) AS n FROM vms")
                capsuls = (await cur.fetchone())["n"]
                await cur.execute("SELECT version FROM hosts WHERE id = 'spoke1'")
                spoke_version = (await cur.fetchone())["version"]
            assert creates == capsuls == len(set(traffic.created.values())) + 1 == len(traffic.created) + 1
            assert spoke_version == VERSION
            for name, env in fleet.hub_env.items():
                assert await hub_version(env["CONSOLE_LISTEN"]) == VERSION, name
            assert await page.evaluate("document.body.dataset.liveConnected") == "yes"
            assert fleet.watch.returncode is None
        except BaseException:
            print(fleet.logs())
            print("\n".join(fleet.told))
            raise
        finally:
            if traffic is not None:
                await traffic.close()
            if pool is not None:
                pool.close()
                await pool.wait_closed()
            await fleet.stop()


async def hub_version(listen: str) -> str:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://{listen}/healthz", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}) as r:
            return (await r.json())["version"]


async def _is(value, wanted) -> bool:
    return value == wanted

