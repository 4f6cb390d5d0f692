"""A hub given SIGTERM drains before it stops: /healthz answers 503 "draining" for DRAIN_SECONDS
while pages and the API are still served, so a load balancer takes it out before it stops
listening (docs/haproxy.cfg; tests/test_haproxy.py restarts hubs behind it)."""
from __future__ import annotations

import signal

import aiohttp

from capsul.version import VERSION
from tests.conftest import HEALTH_HEADERS, eventually
from tests.processes import CapsulProcess


async def test_sigterm_drains_then_stops(test_env, pool, tmp_path):
    hub = CapsulProcess([], {**test_env, "DRAIN_SECONDS": "30"}, tmp_path / "hub.log")
    await hub.start()
    base = hub.urls["console"]
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/healthz") as r:
                assert r.status == 200 and await r.json() == {"ok": True}
            async with http.get(base + "/healthz", headers=HEALTH_HEADERS) as r:
                assert (await r.json())["version"] == VERSION
            hub._signal_group(signal.SIGTERM)

            async def draining():
                async with http.get(base + "/healthz") as r:
                    return r.status == 503 and await r.json() == {"ok": False, "status": "draining"}
            await eventually(draining, within=10)
            async with http.get(base + "/pricing") as r:  # still serving while the balancer notices
                assert r.status == 200
            assert hub.proc.returncode is None
            hub._signal_group(signal.SIGTERM)  # a second one: stop now
            assert await hub.stop(timeout=20) == 0
        assert "draining for 30 s (DRAIN_SECONDS)" in hub.log()
    finally:
        await hub.kill()


async def test_the_changelog_page_reads_changelog_md_and_admins_see_the_version(console, people, mail):
    from tests.test_console import logged_in

    visitor = people()
    status, text = await visitor.get("/changelog")
    assert status == 200 and f"This hub runs capsul {VERSION}." in text
    assert f'<h2 id="v{VERSION.replace(".", "-")}">{VERSION}' in text and "run.py migrate" in text
    assert 'id="version"' not in text
    admin = await logged_in(people, mail, "admin@example.org")
    status, text = await admin.get("/admin")
    assert status == 200 and f'<p id="version">This hub runs capsul {VERSION}' in text
