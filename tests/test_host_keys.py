"""SSH host key fingerprints: parsed from a console log as cloud-init prints them, found by the
spoke's scanner once per VM, and shown on the capsul's page (and pushed to it live)."""
from __future__ import annotations

import asyncio

from capsul.hub import db
from capsul.hub.db import vms
from capsul.spoke.host_keys import HostKeyScanner, parse_fingerprints
from tests.conftest import eventually
from tests.test_console import ALICE, create_capsul, logged_in
from tests.test_live_updates import connect, next_message

ED = "SHA256:fEMqts2EUWTsKNMK79gk9GNi0vGU7EYYCgjhK8T7/Iw"
RSA = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"
CLOUD_INIT_LOG = f"""[    3.141] cloud-init[512]: Cloud-init v. 23.1 running 'modules:final'
<14>Nov 25 10:00:01 ec2:
<14>Nov 25 10:00:01 ec2: #############################################################
<14>Nov 25 10:00:01 ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----
<14>Nov 25 10:00:01 ec2: 256 {ED} root@capsul-abc (ED25519)\r
<14>Nov 25 10:00:01 ec2: 3072 {RSA} root@capsul-abc (RSA)
<14>Nov 25 10:00:01 ec2: -----END SSH HOST KEY FINGERPRINTS-----
<14>Nov 25 10:00:01 ec2: #############################################################
-----BEGIN SSH HOST KEY KEYS-----
ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY= root@capsul-abc
-----END SSH HOST KEY KEYS-----
"""


def test_fingerprints_are_parsed_from_cloud_init_output():
    assert parse_fingerprints(CLOUD_INIT_LOG) == [
        {"bits": 256, "fingerprint": ED, "type": "ED25519"}, {"bits": 3072, "fingerprint": RSA, "type": "RSA"}]


def test_no_block_an_unfinished_block_or_garbage_gives_nothing():
    assert parse_fingerprints("booting...\nlogin:") is None
    assert parse_fingerprints(CLOUD_INIT_LOG.split("-----END SSH HOST KEY FINGERPRINTS")[0]) is None
    assert parse_fingerprints("-----BEGIN SSH HOST KEY FINGERPRINTS-----\nnot a key\n"
                              "-----END SSH HOST KEY FINGERPRINTS-----") is None


async def test_the_scanner_reports_each_vm_once_when_its_log_shows_the_keys(tmp_path):
    reported = []
    scanner = HostKeyScanner(tmp_path, lambda vm_id, keys: reported.append((vm_id, keys)), interval=0.01)
    log = tmp_path / "capsul-aaaaaaaaaa-console.log"
    log.write_text("[    0.0] Linux version 6.1\n")
    (tmp_path / "capsul-bbbbbbbbbb-console.log").write_text("nothing yet")
    task = asyncio.create_task(scanner.run())
    async def scanned(times):
        start = scanner.scans

        async def done():
            return scanner.scans >= start + times
        await eventually(done)

    try:
        await scanned(2)
        assert reported == []
        log.write_text(log.read_text() + CLOUD_INIT_LOG)

        async def found():
            return reported
        await eventually(found)
        log.write_text(log.read_text() + "more output\n")
        await scanned(2)  # the grown log was looked at again
    finally:
        task.cancel()
    assert [vm_id for vm_id, _ in reported] == ["capsul-aaaaaaaaaa"]  # once, and only the VM that has them
    assert reported[0][1][0]["fingerprint"] == ED


async def test_known_host_keys_show_on_the_detail_page_and_arrive_live(console, mail, people, pool):
    alice = await logged_in(people, mail, ALICE, key=True)
    vm_id = await create_capsul(alice, pool)
    status, text = await alice.get(f"/capsuls/{vm_id}")
    # the test driver runs no guest, so none will come, and the page says so (not "not known yet" forever)
    assert "runs on libvirt's test driver, which runs no guest, so it has no host keys" in text
    assert "not known yet" not in text
    ws = await connect(alice, f"?capsul={vm_id}")
    await next_message(ws)  # snapshot

    async with db.cursor(pool) as cur:  # what the hub does with the spoke's host keys event
        async with cur.begin():
            await vms.set_ssh_host_keys(cur, vm_id, [{"bits": 256, "fingerprint": ED, "type": "ED25519"}])
    while True:
        message = await next_message(ws)
        if message["data"]["event"]["state"] == "ssh_host_keys":
            break
    assert message["data"]["capsul"]["ssh_host_keys"] == [{"bits": 256, "fingerprint": ED, "type": "ED25519"}]
    assert message["data"]["event"]["timeline"] is False  # not a state change
    status, text = await alice.get(f"/capsuls/{vm_id}")
    assert f"ED25519 (256 bits) <code>{ED}</code>" in text
    await ws.close()


async def test_the_hub_takes_only_well_formed_host_keys_events(console, mail, people, pool,
                                                              https):
    import json
    from capsul import signing
    alice = await logged_in(people, mail, ALICE, key=True)
    vm_id = await create_capsul(alice, pool)

    async def send(events) -> int:
        body = json.dumps({"events": events}).encode()
        header = signing.authorization_header(console.config.spoke_host_token, "local", signing.SPOKE_TO_HUB,
                                              "POST", "/hub/events", body)
        async with https.post(console.api_url + "/hub/events", data=body,
                              headers={"Authorization": header, "Content-Type": "application/json"}) as r:
            return r.status

    async with db.cursor(pool) as cur:
        await cur.execute("SELECT last_applied_seq FROM hosts WHERE id = 'local'")
        seq = (await cur.fetchone())["last_applied_seq"] + 1000  # far ahead: the real spoke's numbers stay free
    for bad in ("not a list", [], [{"bits": "256", "fingerprint": ED, "type": "ED25519"}], [{"bits": 256}] * 11):
        status = await send([{"seq": seq, "vm_id": vm_id, "state": "ssh_host_keys", "reason": None, "ts": 0,
                              "ssh_host_keys": bad}])
        assert status == 400, bad
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT ssh_host_keys FROM vms WHERE id = %s", (vm_id,))
        assert (await cur.fetchone())["ssh_host_keys"] is None  # nothing written
    status = await send([{"seq": seq, "vm_id": vm_id, "state": "ssh_host_keys", "reason": None, "ts": 0,
                          "ssh_host_keys": [{"bits": 256, "fingerprint": ED, "type": "ED25519"}]}])
    assert status == 200
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT ssh_host_keys FROM vms WHERE id = %s", (vm_id,))
        assert (await cur.fetchone())["ssh_host_keys"] == [{"bits": 256, "fingerprint": ED, "type": "ED25519"}]
