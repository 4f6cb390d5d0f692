"""Hubs and spokes of adjacent releases work together, and a spoke too old is refused with the
reason on the admin page. The release before this one runs as its own code (git archive of its
commit): its spoke under this hub, and its hub over this spoke, each creating, stopping,
starting and deleting a capsul. docs/upgrading.md gives the order: database, hubs, then spokes."""
from __future__ import annotations

import aiohttp
import pytest

from capsul import signing
from capsul.config import Role
from capsul.hub import db
from capsul.hub.accounts import api_tokens
from capsul.hub.console import changelog
from capsul.hub.db import hosts
from capsul.hub.spokes import heartbeats
from capsul.version import UNSAID, VERSION, release_before, spoke_refusal
from tests.conftest import ADMIN_EMAIL, ALICE, add_account_with_key, eventually, host_row, new_public_key
from tests.console_client import ConsoleClient
from tests.databases import fresh_cluster
from tests.processes import CapsulProcess
from tests.releases import PREVIOUS, cli, previous_tree, tokens_of  # noqa: F401 - fixture
from tests.spoke_cluster import HOST_XML, SpokeSpec, free_port, start_spokes

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_the_changelog_names_every_earlier_release_with_its_commit():
    assert changelog.releases()[0].version == VERSION
    assert all(r.commit for r in changelog.releases()[1:]) and PREVIOUS[0]
    assert release_before(VERSION) == PREVIOUS[1]


async def test_a_spoke_one_release_behind_serves_this_hub(start_node, pool, previous_tree, tls_files, tmp_path):
    hub = await start_node(Role.HUB)
    cluster = await start_spokes(pool, hub.api_url, [SpokeSpec("old", 4096, 4, "198.51.100.0/24")], tmp_path,
                                 tls_files, cwd=previous_tree)
    try:
        row = await host_row(pool, "old")
        assert row["online"] and row["version"] == PREVIOUS[1]  # it says its version (from 0.8.0 on)
        await add_account_with_key(pool, ALICE)
        secret, _ = await api_tokens.create_token(pool, ALICE, "deploy", "write", None)
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {secret}"}) as http:
            await create_stop_start_delete(http, hub.console_url)
        # its heartbeat answers keep it online, sweep after sweep
        sweeps = hub.sweep_status.sweeps

        async def swept_three_more():
            return hub.sweep_status.sweeps >= sweeps + 3
        await eventually(swept_three_more)
        row = await host_row(pool, "old")
        assert row["online"] and row["last_error"] is None and row["version"] == PREVIOUS[1]
    finally:
        await cluster.stop()


async def create_stop_start_delete(http: aiohttp.ClientSession, base: str) -> None:
    async with http.post(f"{base}/api/v1/capsuls", json={"size": "f1-xs", "os": "debian12", "ssh_keys": ["laptop"]},
                         headers={"Idempotency-Key": "mixed-versions"}) as r:
        body = await r.json()
        assert r.status in (200, 201), body
        vm_id = body["capsul"]["id"]

    async def state_is(wanted: str):
        async with http.get(f"{base}/api/v1/capsuls/{vm_id}") as r:
            return (await r.json())["capsul"]["state"] == wanted
    await eventually(lambda: state_is("running"), within=30)
    for action, state in (("force-stop", "stopped"), ("start", "running")):
        async with http.post(f"{base}/api/v1/capsuls/{vm_id}/actions", json={"action": action}) as r:
            assert r.status == 200, await r.text()
        await eventually(lambda: state_is(state), within=30)
    async with http.delete(f"{base}/api/v1/capsuls/{vm_id}") as r:
        assert r.status == 200, await r.text()
    await eventually(lambda: state_is("deleted"), within=30)


async def test_this_spoke_serves_a_hub_one_release_behind(previous_tree, tls_files, mail, tmp_path):
    async with fresh_cluster("capsul-previous-") as pg:
        common = {"DATABASE_URL": pg.dsn, "TLS_CERT_FILE": str(tls_files.cert), "TLS_KEY_FILE": str(tls_files.key),
                  "TLS_CA_FILE": str(tls_files.ca), "HEARTBEAT_INTERVAL": "0.5", "HEARTBEAT_TIMEOUT": "0.5",
                  "BILLING_ENABLED": "false"}
        old_hub = CapsulProcess(["--hub"], {**common, **mail.env(), "CAPSUL_VAR_DIR": str(tmp_path / "hub"),
                                            "CONSOLE_LISTEN": "127.0.0.1:0", "API_LISTEN": "127.0.0.1:0"},
                                tmp_path / "hub.log", cwd=previous_tree)
        spoke = None
        pool = None
        try:
            await old_hub.start()
            port = free_port()
            tokens = await cli(previous_tree, common, "add-host", "--id", "new", "--url", f"https://127.0.0.1:{port}")
            await cli(previous_tree, common, "add-network", "--id", "new", "--cidr", "198.51.100.0/24",
                               "--gateway", "198.51.100.1", "--dns", "198.51.100.1")
            host_file = tmp_path / "new.xml"
            host_file.write_text(HOST_XML.format(cpus=4, memory_kib=4096 * 1024))
            spoke = CapsulProcess(["--spoke"], {
                **common, **tokens_of(tokens), "HUB_URL": old_hub.urls["api"],
                "SPOKE_HOST_ID": "new", "API_LISTEN": f"127.0.0.1:{port}", "LIBVIRT_URI": f"test://{host_file}",
                "CAPSUL_VAR_DIR": str(tmp_path / "spoke")}, tmp_path / "spoke.log")
            await spoke.start()
            pool = await db.create_pool(pg.dsn, maxsize=2)
            await eventually(lambda: host_row(pool, "new"), within=30)

            async def online():
                row = await host_row(pool, "new")
                return row["online"] and row["capacity"] is not None and row["last_error"] is None
            await eventually(online, within=30)

            alice = ConsoleClient(old_hub.urls["console"])
            try:
                await alice.login(mail, ALICE)
                status, text, _ = await alice.post("/ssh-keys", {"name": "laptop", "content": new_public_key(ALICE)})
                assert status == 200, text
                status, text, _ = await alice.post("/api-tokens", {"name": "deploy", "scope": "write",
                                                                   "expires_in_days": ""})
                assert status in (200, 201), text
                secret = text.split('id="secret" readonly size="60" value="', 1)[1].split('"', 1)[0]
            finally:
                await alice.close()
            async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {secret}"}) as http:
                await create_stop_start_delete(http, old_hub.urls["console"])
            assert await online()  # the old hub's sweeps took this spoke's answers all along
        finally:
            if pool is not None:
                pool.close()
                await pool.wait_closed()
            for process in (spoke, old_hub):
                if process is not None:
                    await process.stop()


async def test_a_spoke_too_old_is_refused_with_the_reason_on_the_admin_page(start_node, pool, https, mail):
    hub = await start_node(Role.HUB, ADMIN_EMAIL_ADDRESSES=ADMIN_EMAIL, HEARTBEAT_INTERVAL="3600", **mail.env())
    async with db.cursor(pool) as cur:
        token, _ = await hosts.add_host(cur, "ancient", "https://127.0.0.1:9")
        await hosts.record_heartbeat(cur, "ancient", None, None)  # it was online

    async def announce(body: dict) -> dict:
        return await signing.signed_post(https, hub.api_url, "/hub/heartbeat", body, host_id="ancient", token=token,
                                         direction=signing.SPOKE_TO_HUB, timeout=10)

    old = "0.6.0"
    reason = spoke_refusal(old)
    assert reason and old in reason and release_before(VERSION) in reason
    with pytest.raises(signing.CallFailed) as refused:
        await announce({"version": old, "last_event_seq": 3})
    assert refused.value.status == 409 and refused.value.body["error"] == reason
    row = await host_row(pool, "ancient")
    assert (row["online"], row["version"], row["last_error"], row["last_event_seq"]) == (False, old, reason, None)

    admin = ConsoleClient(hub.console_url)
    try:
        await admin.login(mail, ADMIN_EMAIL)
        status, text = await admin.get("/admin")
        assert status == 200 and reason in text and f'<td data-field="version">{old}</td>' in text
    finally:
        await admin.close()

    for odd in (12, "0.5", "x" * 30, "1.2.3.4", ["0.7.0"], True):
        with pytest.raises(signing.CallFailed) as bad:
            await announce({"version": odd})
        assert bad.value.status == 400 and "version" in bad.value.body["error"]
    assert await host_row(pool, "ancient") == row

    # upgraded, it announces itself again and is served
    answer = await announce({"version": VERSION, "last_event_seq": 3})
    assert answer["version"] == VERSION
    row = await host_row(pool, "ancient")
    assert (row["online"], row["version"], row["last_error"], row["last_event_seq"]) == (True, VERSION, None, 3)


async def test_a_heartbeat_answer_from_a_spoke_too_old_takes_it_offline_at_once(pool):
    capacity = {"cpus": 4, "memory_mb": 4096, "committed_cpus": 0, "committed_memory_mb": 0}
    answer = {"capacity": capacity, "last_event_seq": 0, "missing_networks": {}}
    if release_before(VERSION) == UNSAID:  # a spoke that says no version is the newest of those before 0.8.0
        assert heartbeats._parse_answer(answer)[3] is None
    else:
        with pytest.raises(heartbeats.Refused):
            heartbeats._parse_answer(answer)
    assert heartbeats._parse_answer({**answer, "version": release_before(VERSION)})[3] == release_before(VERSION)
    with pytest.raises(heartbeats.Refused) as refused:
        heartbeats._parse_answer({**answer, "version": "0.1.0"})
    with pytest.raises(signing.CallFailed):
        heartbeats._parse_answer({**answer, "version": "seven"})

    async with db.cursor(pool) as cur:
        await hosts.add_host(cur, "ancient", "https://127.0.0.1:9")
        await hosts.record_heartbeat(cur, "ancient", capacity, 0)
        came, went = await hosts.record_sweep(cur, {}, {}, 3, {"ancient": ("0.1.0", refused.value.reason)})
    assert (came, went) == ([], ["ancient"])
    row = await host_row(pool, "ancient")
    assert (row["online"], row["version"], row["last_error"]) == (False, "0.1.0", refused.value.reason)
