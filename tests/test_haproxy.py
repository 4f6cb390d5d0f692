"""Three hub processes behind a real HAProxy (Debian's haproxy, the configuration of
docs/load-balancer.md): a browser and `run.py watch` connect through it; one hub is killed
(SIGKILL), another drained (SIGTERM, so it closes its websockets with GOING_AWAY); both
clients come back through HAProxy by themselves and see every state change, as the database
has it. Per-browser login limits count browsers (by X-Forwarded-For), not the balancer.
"""
from __future__ import annotations

import asyncio
import re
import shutil
import signal

import aiohttp
import pytest
from playwright.async_api import expect
from prometheus_client.parser import text_string_to_metric_families

from capsul.hub import db
from capsul.hub.accounts import api_tokens
from tests.conftest import ALICE, PYTHON, REPO, child_env, eventually, spoke_ready
from tests.console_client import ConsoleClient, error_of
from tests.processes import CapsulProcess
from tests.spoke_cluster import free_port
from tests.test_browser import add_key, browsers, chromium, create, live, log_in  # noqa: F401 - fixtures

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("haproxy") is None, reason="needs haproxy")]

CONFIG = REPO / "docs" / "haproxy.cfg"
METRICS_TOKEN = "haproxy-test-metrics-0123456789"


async def websockets_on(hub: CapsulProcess) -> int:
    """How many live-update websockets a hub holds (its /metrics)."""
    async with aiohttp.ClientSession() as client:
        async with client.get(hub.urls["console"] + "/metrics",
                              headers={"Authorization": f"Bearer {METRICS_TOKEN}"}) as r:
            families = {f.name: f for f in text_string_to_metric_families(await r.text())}
    return int(families["capsul_websocket_clients"].samples[0].value)


async def both_clients_on(hub: CapsulProcess) -> bool:
    return await websockets_on(hub) == 2  # the browser's page and run.py watch


def haproxy_config(port: int, hubs: list[tuple[str, str]], socket, *, fill_first: bool = True) -> str:
    """docs/haproxy.cfg with this test's ports; with `fill_first`, hubs listed in the order HAProxy
    fills them (else balanced as shipped)."""
    text = CONFIG.read_text().replace("bind :80", f"bind 127.0.0.1:{port}")
    text = text.replace("/run/haproxy/admin.sock", str(socket))
    servers = "\n".join(f"    server {name} {address} check inter 500ms fall 2 rise 2 maxconn 1000"
                        for name, address in hubs)
    text = re.sub(r"(?m)^    server hub1 .*\n(    server hub\d .*\n)*", servers + "\n", text)
    if fill_first:  # fill the first hub first: the test kills it
        text = text.replace("balance leastconn", "balance first")
    return text


async def api_action(base: str, token: str, vm_id: str, action: str) -> None:
    async with aiohttp.ClientSession() as client:
        async with client.post(f"{base}/api/v1/capsuls/{vm_id}/actions", json={"action": action},
                               headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status == 200, await r.text()


async def test_hubs_behind_haproxy_lose_no_state_change(test_env, pool, mail, browsers, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"  # what people reach: HAProxy
    common = {**test_env, **mail.env(), "HEARTBEAT_INTERVAL": "0.5", "HEARTBEAT_TIMEOUT": "0.5",
              "TRUSTED_PROXIES": "127.0.0.1", "BASE_URL": base, "METRICS_TOKEN": METRICS_TOKEN,
              "DRAIN_SECONDS": "5"}  # above the check's 2 s × fall 2: out of HAProxy before it stops listening
    a = CapsulProcess([], {**common, "CAPSUL_VAR_DIR": str(tmp_path / "a")}, tmp_path / "a.log")  # hub + spoke
    b, c = (CapsulProcess(["--hub"], {**common, "CAPSUL_VAR_DIR": str(tmp_path / name),
                                      "CONSOLE_LISTEN": f"127.0.0.1:{free_port()}"}, tmp_path / f"{name}.log")
            for name in ("b", "c"))
    proxy = watch = proxy_log = None
    try:
        for hub in (a, b, c):
            await hub.start()
        await spoke_ready(pool)
        config = tmp_path / "haproxy.cfg"
        config.write_text(haproxy_config(port, [(name, hub.urls["console"].removeprefix("http://"))
                                                for name, hub in (("b", b), ("c", c), ("a", a))],
                                          tmp_path / "haproxy.sock"))
        proxy_log = open(tmp_path / "haproxy.log", "wb")
        proxy = await asyncio.create_subprocess_exec("haproxy", "-f", str(config), "-db",
                                                     stdout=proxy_log, stderr=asyncio.subprocess.STDOUT)

        async def serving():
            try:
                async with aiohttp.ClientSession() as client, client.get(base + "/healthz") as r:
                    return r.status == 200
            except aiohttp.ClientError:
                return False
        await eventually(serving, within=20)

        page = await browsers.new_page()
        await log_in(page, base, mail, ALICE)
        await add_key(page, base, "laptop")
        vm_id = await create(page, base, "laptop")
        await page.goto(base + "/capsuls")
        await live(page)
        row = page.locator(f'tr[data-capsul-id="{vm_id}"] [data-field="state"]')
        await expect(row).to_have_text("running")

        write_token, _ = await api_tokens.create_token(pool, ALICE, "actions", "write", None)
        read_token, _ = await api_tokens.create_token(pool, ALICE, "watch", "read", None)
        watch = await asyncio.create_subprocess_exec(
            PYTHON, str(REPO / "run.py"), "watch", env=child_env({"CAPSUL_URL": base, "CAPSUL_TOKEN": read_token}),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        lines: list[str] = []

        async def read_watch() -> None:
            while line := await watch.stdout.readline():
                lines.append(line.decode().rstrip())
        reader = asyncio.create_task(read_watch())

        async def both_see(state: str) -> None:
            async def stored():
                async with db.cursor(pool) as cur:
                    await cur.execute("SELECT state FROM vms WHERE id = %s", (vm_id,))
                    return (await cur.fetchone())["state"] == state
            await eventually(stored, within=30)
            await expect(row).to_have_text(state, timeout=30_000)

            async def watched():
                mine = [line for line in lines if f" {vm_id} " in line]
                return mine and mine[-1].split(f" {vm_id} ")[1].startswith(state)
            await eventually(watched, within=30)

        await eventually(lambda: _any(lines, vm_id), within=30)  # watch has its snapshot
        await eventually(lambda: both_clients_on(b), within=30)  # HAProxy fills the first hub first
        await api_action(base, write_token, vm_id, "force-stop")
        await both_see("stopped")

        await b.kill()  # the hub both clients are on: gone without a word
        await api_action(base, write_token, vm_id, "start")
        await both_see("running")
        await eventually(lambda: both_clients_on(c), within=30)

        await c.stop(signal.SIGTERM)  # drained (5 s of 503 on /healthz), then GOING_AWAY to its websockets
        await api_action(base, write_token, vm_id, "force-stop")
        await both_see("stopped")
        await eventually(lambda: both_clients_on(a), within=30)
        assert await page.evaluate("document.body.dataset.liveConnected") == "yes"
        reader.cancel()

        # login limits count browsers (X-Forwarded-For from HAProxy), not the balancer
        for source, allowed in (("127.0.0.2", 20), ("127.0.0.3", 1)):
            person = ConsoleClient(base)
            await person.session.close()
            person.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                                   connector=aiohttp.TCPConnector(local_addr=(source, 0)))
            try:
                for i in range(allowed):
                    status, text, _ = await person.post("/login", {"email": f"{source}-{i}@example.org"})
                    assert status == 200, (source, i, error_of(text))
                if source == "127.0.0.2":
                    status, text, _ = await person.post("/login", {"email": "one-more@example.org"})
                    assert status == 429 and "from your address" in error_of(text)
            finally:
                await person.close()
    except BaseException:
        if (tmp_path / "haproxy.log").exists():
            print("--- haproxy ---\n" + (tmp_path / "haproxy.log").read_text()[-3000:])
        for name, hub in (("a", a), ("b", b), ("c", c)):
            print(f"--- hub {name} log ---\n{hub.log()[-3000:]}")
        raise
    finally:
        for process in (watch, proxy):
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()
        if proxy_log is not None:
            proxy_log.close()
        for hub in (b, c):
            await hub.kill()
        await a.stop()


async def _any(lines: list[str], text: str) -> bool:
    return any(text in line for line in lines)
