"""The hub's database goes away while it runs: clear 503s, no hang, recovery when it returns."""
import shutil

import pytest

from capsul import signing
from capsul.config import Role
from capsul.embedded_postgres import EmbeddedPostgres
from capsul.node import Node
from tests.conftest import config_from, eventually, shared_tmpdir


@pytest.fixture
async def own_postgres():
    """A cluster of its own: this test stops it, which must not disturb the others."""
    folder = shared_tmpdir("capsul-test-outage-")
    pg = EmbeddedPostgres(folder / "data")
    await pg.ensure_running()
    yield pg
    await pg.stop()
    shutil.rmtree(folder, ignore_errors=True)


async def test_database_outage_gives_503_and_recovers(own_postgres, test_env, https):
    node = Node(config_from({**test_env, "DATABASE_URL": own_postgres.dsn}, Role.BOTH))
    await node.start()
    try:
        async with https.get(node.console_url + "/healthz") as resp:
            assert resp.status == 200

        await own_postgres.stop()
        async with https.get(node.console_url + "/healthz") as resp:
            assert resp.status == 503
            report = await resp.json()
        assert report["database"] == {"reachable": False} and report["ok"] is False
        async with https.get(node.api_url + "/healthz") as resp:
            assert resp.status == 503
        async with https.get(node.console_url + "/") as resp:
            assert resp.status == 503
            page = await resp.text()
        assert "database is unavailable" in page and "Traceback" not in page
        body = b"{}"
        header = signing.authorization_header(node.config.spoke_host_token, "local", signing.SPOKE_TO_HUB,
                                              "POST", "/hub/heartbeat", body)
        async with https.post(node.api_url + "/hub/heartbeat", data=body,
                              headers={"Authorization": header}) as resp:
            assert resp.status == 503
            assert await resp.json() == {"ok": False, "status": 503,
                                         "error": "the database is unavailable; try again shortly"}

        await own_postgres.start()

        async def healthy_again():
            async with https.get(node.console_url + "/healthz") as resp:
                return resp.status == 200 and (await resp.json())["spokes"]["online"] == ["local"]

        await eventually(healthy_again)
        async with https.get(node.console_url + "/") as resp:
            assert resp.status == 200
    finally:
        await node.stop()
