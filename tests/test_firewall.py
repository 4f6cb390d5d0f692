"""Capsuls' firewalls without a guest: the rules through the API and the console (refusals in words,
nothing half-written, the timeline), the document the hub pushes to its spoke, and the spoke's
nftables tables in a network namespace of this test's own: written atomically, read back, repaired
after drift, put back after a restart, untouched when a document is refused, and never touching
another table. Packets through them, from another namespace to a real guest, are
tests/test_firewall_guest.py's."""
from __future__ import annotations

import asyncio
import html
import json
import re
import subprocess
import uuid

import pytest

from capsul.hub import db
from capsul.spoke.firewall.keeper import DocumentRefused, FirewallKeeper
from tests.conftest import ADMIN_EMAIL, HEALTH_HEADERS, config_from, eventually
from tests.test_public_api import api, assert_error  # noqa: F401 - fixture
from tests.test_console import ALICE, BOB

pytestmark = pytest.mark.slow


async def running_capsul(alice) -> str:
    status, body = await alice.call("POST", "/capsuls", {"size": "f1-xs", "os": "debian12", "ssh_keys": ["laptop"]})
    assert status == 201, body
    vm_id = body["capsul"]["id"]

    async def running():
        return (await alice.call("GET", f"/capsuls/{vm_id}"))[1]["capsul"]["state"] == "running"
    await eventually(running)
    return vm_id


def stored_document(console) -> dict:
    path = console.config.spoke_dir / "firewall.json"
    return json.loads(path.read_text()) if path.exists() else {}


async def test_rules_through_the_api_are_checked_kept_on_the_timeline_and_reach_the_spoke(api, pool, console, https,
                                                                                         people, mail):  # noqa: F811
    alice, bob = await api(ALICE), await api(BOB)
    vm_id = await running_capsul(alice)
    status, body = await alice.call("GET", f"/capsuls/{vm_id}/firewall")
    assert status == 200 and body["firewall"]["mode"] == "default" and body["firewall"]["default"] == "allow-all"

    bad = [({"protocol": "sctp", "port_from": 1}, "protocol"), ({"protocol": "tcp"}, "port"),
           ({"protocol": "tcp", "port_from": 0}, "port"), ({"protocol": "tcp", "port_from": 70000}, "port"),
           ({"protocol": "tcp", "port_from": 2**70}, "port"), ({"protocol": "tcp", "port_from": True}, "port"),
           ({"protocol": "tcp", "port_from": "22"}, "port"), ({"protocol": "tcp", "port_from": 90, "port_to": 80}, "range"),
           ({"protocol": "icmp", "port_from": 1}, "no ports"), ({"protocol": "tcp", "port_from": 22, "source": "10.0.0.300/8"}, "not a network"),
           ({"protocol": "tcp", "port_from": 22, "source": ["10.0.0.0/8"]}, "source"),
           ({"protocol": "tcp", "port_from": 22, "note": "x" * 101}, "note"), ({"protocol": "tcp", "port_from": 22, "note": "a\nb"}, "note")]
    for rule, words in bad:
        status, body = await alice.call("POST", f"/capsuls/{vm_id}/firewall/rules", rule)
        assert_error(status, body, 400, words)
    async with alice.session.post(f"{alice.base}/api/v1/capsuls/{vm_id}/firewall/rules", data="[1]",
                                  headers={"Authorization": f"Bearer {alice.token}"}) as r:
        assert r.status == 400
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT count(*) AS n FROM firewall_rules")
        assert (await cur.fetchone())["n"] == 0  # nothing half-written

    status, body = await alice.call("POST", f"/capsuls/{vm_id}/firewall/rules",
                                    {"protocol": "tcp", "port_from": 8000, "port_to": 8080, "source": "203.0.113.7/24"})
    assert status == 201 and body["rule"]["source"] == "203.0.113.0/24" and body["rule"]["words"] == "TCP 8000-8080 from 203.0.113.0/24"
    rule_id = body["rule"]["id"]
    status, body = await alice.call("POST", f"/capsuls/{vm_id}/firewall/rules", {"protocol": "icmp", "source": "2001:db8::/32"})
    assert status == 201
    # someone else's capsul is not there
    status, body = await bob.call("POST", f"/capsuls/{vm_id}/firewall/rules", {"protocol": "icmp"})
    assert_error(status, body, 404)
    status, body = await bob.call("DELETE", f"/capsuls/{vm_id}/firewall/rules/{rule_id}")
    assert_error(status, body, 404)

    # the default still applies: the spoke is told to allow everything (rules null)
    async def told(rules):
        document = stored_document(console)
        return any(c["id"] == vm_id and c["rules"] == rules for c in document.get("capsuls", []))
    await eventually(lambda: told(None))
    status, body = await alice.call("PUT", f"/capsuls/{vm_id}/firewall", {"mode": "everything"})
    assert_error(status, body, 400, "mode")
    status, body = await alice.call("PUT", f"/capsuls/{vm_id}/firewall", {"mode": "rules"})
    assert status == 200 and len(body["firewall"]["rules"]) == 2
    await eventually(lambda: told([
        {"protocol": "tcp", "port_from": 8000, "port_to": 8080, "source": "203.0.113.0/24"},
        {"protocol": "icmp", "port_from": None, "port_to": None, "source": "2001:db8::/32"}]))
    status, body = await alice.call("DELETE", f"/capsuls/{vm_id}/firewall/rules/{rule_id}")
    assert status == 200
    status, body = await alice.call("DELETE", f"/capsuls/{vm_id}/firewall/rules/{rule_id}")
    assert_error(status, body, 404, "no such rule")
    await eventually(lambda: told([{"protocol": "icmp", "port_from": None, "port_to": None, "source": "2001:db8::/32"}]))
    # the spoke's /healthz says which document is in force (on the test driver: kept, not enforced)
    async with https.get(console.api_url + "/healthz", headers=HEALTH_HEADERS) as r:
        reported = (await r.json())["spoke"]["firewall"]
    assert reported["digest"] == stored_document(console)["digest"] and reported["enforcing"] is False
    # and the admin page says so for that host
    admin = people()
    await admin.login(mail, ADMIN_EMAIL)
    status, page = await admin.get("/admin")
    assert "firewall not enforced here (FIREWALL off)" in page
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT firewall FROM hosts WHERE id = 'local'")
        assert (await cur.fetchone())["firewall"]["enforcing"] is False
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT reason FROM vm_events WHERE vm_id = %s AND state = 'firewall' ORDER BY id", (vm_id,))
        reasons = [r["reason"] for r in await cur.fetchall()]
    assert reasons[0].startswith("firewall: allowed TCP 8000-8080 from 203.0.113.0/24")
    assert "firewall: only its rules" in reasons and reasons[-1] == "firewall: no longer allows TCP 8000-8080 from 203.0.113.0/24"


async def test_the_console_page_adds_and_removes_rules_and_keeps_what_was_typed(console, people, mail, pool, api):  # noqa: F811
    alice_api = await api(ALICE)
    vm_id = await running_capsul(alice_api)
    alice = people()
    await alice.login(mail, ALICE)
    status, page = await alice.get(f"/capsuls/{vm_id}/firewall")
    assert status == 200 and "In force: the provider" in html.unescape(page)
    status, page, _ = await alice.post(f"/capsuls/{vm_id}/firewall/rules", {"protocol": "udp", "ports": "5353-", "source": "", "note": ""})
    assert status == 400 and 'value="5353-"' in page
    status, page, url = await alice.post(f"/capsuls/{vm_id}/firewall/rules", {"protocol": "udp", "ports": "5353", "source": "", "note": "mdns"})
    assert url.path.endswith("/firewall") and "Allowed UDP 5353 from anywhere" in page
    status, page, _ = await alice.post(f"/capsuls/{vm_id}/firewall/mode", {"mode": "rules"})
    assert "In force: only the rules below." in page
    rule_id = (await alice_api.call("GET", f"/capsuls/{vm_id}/firewall"))[1]["firewall"]["rules"][0]["id"]
    status, page, _ = await alice.post(f"/capsuls/{vm_id}/firewall/rules/remove", {"id": str(rule_id)})
    assert "No longer allows UDP 5353 from anywhere" in page and "nothing new gets in" in page
    bob = people()
    await bob.login(mail, BOB)
    assert (await bob.get(f"/capsuls/{vm_id}/firewall"))[0] == 404


# --- the spoke's nftables tables, in a namespace of this test's own ---------------------------------------

@pytest.fixture
def netns():
    name = f"capsul-fw-{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    yield name
    subprocess.run(["ip", "netns", "delete", name], check=False)


def nft(netns: str, *args: str) -> str:
    return subprocess.run(["ip", "netns", "exec", netns, "nft", *args], capture_output=True, text=True, check=True).stdout


def document(*capsuls: dict) -> dict:
    from capsul.hub.firewall import digest
    doc = {"capsuls": list(capsuls)}
    return {**doc, "digest": digest(doc)}


A = {"id": "capsul-aaaaaaaaaa", "ipv4": "10.9.0.5", "ipv6": "2001:db8:9::5",
     "rules": [{"protocol": "tcp", "port_from": 22, "port_to": 22, "source": None}]}
B = {"id": "capsul-bbbbbbbbbb", "ipv4": "10.9.0.6", "ipv6": None, "rules": None}


async def test_the_spokes_tables_are_written_repaired_restored_and_nothing_else_is_touched(netns, test_env, tmp_path):
    nft(netns, "add", "table", "inet", "someone_elses")
    nft(netns, "add", "chain", "inet", "someone_elses", "input", "{ type filter hook input priority 0; }")
    nft(netns, "add", "rule", "inet", "someone_elses", "input", "tcp", "dport", "9", "drop")
    config = config_from({**test_env, "FIREWALL": "nftables", "FIREWALL_NETNS": netns,
                          "SPOKE_HOST_ID": "fwtest"})
    keeper = FirewallKeeper(config)
    assert await keeper.update(document(A, B)) is True
    assert keeper.error is None
    inet = nft(netns, "list", "table", "inet", "capsul")
    assert "10.9.0.5 : jump c_capsul_aaaaaaaaaa" in inet and "tcp dport 22 accept" in inet
    assert "10.9.0.6" not in inet  # B allows everything: no chain, no map entry
    bridge = nft(netns, "list", "table", "bridge", "capsul")
    assert '"cp-aaaaaaaaaa" : jump c_capsul_aaaaaaaaaa' in bridge and "ip saddr != 10.9.0.6 drop" in bridge
    assert await keeper.update(document(A, B)) is False  # the same document: nothing written

    # a change writes only what changed, atomically: A's rules, C new, B untouched; then B gone
    def handle(family: str, chain: str) -> str:
        return re.search(r"# handle (\d+)", nft(netns, "-a", "list", "chain", family, "capsul", chain)).group(1)
    b_bridge = handle("bridge", "c_capsul_bbbbbbbbbb")
    A2 = {**A, "rules": [{"protocol": "udp", "port_from": 53, "port_to": 53, "source": "10.8.0.0/16"}]}
    C = {"id": "capsul-cccccccccc", "ipv4": "10.9.0.7", "ipv6": None,
         "rules": [{"protocol": "icmp", "port_from": None, "port_to": None, "source": None}]}
    assert await keeper.update({**document(A2, B, C), "as_of": 1}) is True and keeper.error is None
    inet, bridge = nft(netns, "list", "table", "inet", "capsul"), nft(netns, "list", "table", "bridge", "capsul")
    assert "ip saddr 10.8.0.0/16 udp dport 53 accept" in inet and "tcp dport 22 accept" not in inet
    assert "10.9.0.7 : jump c_capsul_cccccccccc" in inet and "meta l4proto { icmp, ipv6-icmp } accept" in inet
    assert '"cp-cccccccccc" : jump c_capsul_cccccccccc' in bridge
    assert handle("bridge", "c_capsul_bbbbbbbbbb") == b_bridge  # not rewritten: only the change went in
    assert await keeper.update({**document(A2, C), "as_of": 2}) is True
    assert "bbbbbbbbbb" not in nft(netns, "list", "table", "bridge", "capsul")
    assert await keeper.check() is False  # what it reads back is what it wrote
    assert await keeper.update({**document(A, B), "as_of": 3}) is True  # and back

    # drift: someone flushes a chain by hand; the check writes it back
    nft(netns, "flush", "chain", "inet", "capsul", "c_capsul_aaaaaaaaaa")
    assert await keeper.check() is True
    assert "tcp dport 22 accept" in nft(netns, "list", "table", "inet", "capsul")
    assert await keeper.check() is False

    # a refused document changes nothing
    for broken in ({"capsuls": [{**A, "ipv4": "10.9.0.5; flush ruleset"}], "digest": "0" * 64},
                   {"capsuls": [{**A, "rules": [{"protocol": "tcp", "port_from": 1, "port_to": 99999, "source": None}]}], "digest": "0" * 64},
                   {"capsuls": [{**A, "id": "capsul-x; drop"}], "digest": "0" * 64}, {"capsuls": "all"}, []):
        with pytest.raises(DocumentRefused):
            await keeper.update(broken)
    assert "tcp dport 22 accept" in nft(netns, "list", "table", "inet", "capsul")

    # a host restart: the tables are gone; a new spoke process puts back the stored document
    nft(netns, "delete", "table", "inet", "capsul")
    nft(netns, "delete", "table", "bridge", "capsul")
    restarted = FirewallKeeper(config)
    await restarted.start()
    assert "tcp dport 22 accept" in nft(netns, "list", "table", "inet", "capsul")
    assert "tcp dport 9 drop" in nft(netns, "list", "table", "inet", "someone_elses")  # never touched
