"""Usage from a real guest under software emulation (the busybox guest with a shell on its
serial console, tests/guest_image.py), sampled every second by a spoke process on a real
libvirtd: a busy loop and a disk write typed into it show in the stored samples as CPU and
disk rising; the hub stops for a while and no sample within the backlog is lost; the detail
page in Chromium draws a new point without a reload.
"""
from __future__ import annotations

import os
from datetime import timedelta

import aiohttp
import pytest
from playwright.async_api import expect
from prometheus_client.parser import text_string_to_metric_families

from capsul.config import Role
from capsul.hub import db
from capsul.hub.accounts import api_tokens
from tests.conftest import ALICE, eventually
from tests.test_browser import browsers, chromium, log_in  # noqa: F401 - fixtures
from tests.test_real_hypervisor import qemu_setup, system_libvirt  # noqa: F401 - fixture
from tests.test_serial_console_guest import open_session, running_shell_guest

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="runs a system libvirtd")]

METRICS_TOKEN = "spoke-scrape-token-0123456789"
WORK = b"dd if=/dev/zero of=/dev/vda bs=1M count=24 conv=fsync; echo dd-done-$((40+2)); while :; do :; done &\r"


async def samples_of(pool, vm_id: str) -> list[dict]:
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT * FROM usage_samples WHERE vm_id = %s ORDER BY at", (vm_id,))
        return await cur.fetchall()


async def _backlog_at_least(https, spoke_url: str, count: int) -> bool:
    """The spoke's own /metrics: how many samples it holds for the hub."""
    async with https.get(spoke_url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}) as r:
        families = {f.name: f for f in text_string_to_metric_families(await r.text())}
    return families["capsul_spoke_usage_backlog_samples"].samples[0].value >= count


async def test_a_busy_guest_shows_in_its_samples_and_none_are_lost_over_a_hub_outage(
        system_libvirt, start_node, pool, tls_files, mail, browsers, https):  # noqa: F811
    async with qemu_setup(system_libvirt, start_node, pool, tls_files,
                          spoke_env={"METRICS_INTERVAL": "1", "METRICS_TOKEN": METRICS_TOKEN}, **mail.env()) as setup:
        vm_id = await running_shell_guest(setup, pool)

        async def settled():  # boot keeps the vCPU busy for a few seconds after the shell appears
            rows = await samples_of(pool, vm_id)
            return len(rows) >= 3 and rows[-1]["cpu_seconds"] / rows[-1]["seconds"] < 0.2 and rows[-1]
        idle = await eventually(settled, within=60, every=0.5)

        # the detail page, drawn, then a new point arrives over the websocket without a reload
        page = await browsers.new_page()
        await log_in(page, setup.hub.console_url, mail, ALICE)
        await page.goto(f"{setup.hub.console_url}/capsuls/{vm_id}")
        charts = page.locator("#usage-charts")
        await expect(charts.locator("canvas").first).to_be_visible()
        drawn = int(await charts.get_attribute("data-points"))
        assert drawn >= 3
        await page.evaluate("window.notReloaded = true")
        await expect(charts).not_to_have_attribute("data-points", str(drawn), timeout=15_000)
        assert await page.evaluate("window.notReloaded") is True
        await expect(page.locator('[data-usage="cpu_percent"]')).to_contain_text("%")

        # a busy loop and a disk write, typed on the serial console
        token, _ = await api_tokens.create_token(pool, ALICE, "console", "write", None)
        async with aiohttp.ClientSession() as client:
            session = await (await open_session(client, setup.hub.console_url, vm_id, token)).attached()
            await session.ws.send_bytes(WORK)
            await session.shows(b"dd-done-42", within=90)
            await session.close()

        async def busy():
            recent = (await samples_of(pool, vm_id))[-3:]
            return all(s["cpu_seconds"] / s["seconds"] > 0.5 for s in recent) and recent
        recent = await eventually(busy, within=60, every=0.5)
        assert recent[-1]["cpu_seconds"] / recent[-1]["seconds"] > 3 * max(idle["cpu_seconds"] / idle["seconds"], 0.01)
        written = sum(s["disk_write_bytes"] for s in await samples_of(pool, vm_id) if s["at"] > idle["at"])
        assert written >= 24 * 1024 * 1024

        # the hub goes away for a while; the spoke keeps its samples and sends them afterwards
        async with db.cursor(pool) as cur:
            await cur.execute("SELECT https_url FROM hosts WHERE id = 'qemu1'")
            spoke_url = (await cur.fetchone())["https_url"]
        before_outage = (await samples_of(pool, vm_id))[-1]["at"]
        port = setup.hub.api_url.rsplit(":", 1)[1]
        await setup.hub.stop()
        await eventually(lambda: _backlog_at_least(https, spoke_url, 5), within=30, every=0.5)
        await start_node(Role.HUB, API_LISTEN=f"127.0.0.1:{port}", HEARTBEAT_INTERVAL="1", HEARTBEAT_TIMEOUT="1")

        async def caught_up():
            rows = await samples_of(pool, vm_id)
            return rows[-1]["at"] > before_outage + timedelta(seconds=8) and rows
        rows = await eventually(caught_up, within=60, every=0.5)
        for earlier, later in zip(rows, rows[1:]):  # each interval starts where the one before ended
            gap = (later["at"] - earlier["at"]).total_seconds() - later["seconds"]
            assert abs(gap) < 0.2, (earlier["at"], later["at"], later["seconds"])
