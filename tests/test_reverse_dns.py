"""Reverse DNS against a real PowerDNS (tests/powerdns.py: pdns_server with its SQLite backend in a
namespace of its own): a PTR name set through the API is what `dig -x` answers there; a name that
does not resolve to the address is refused; a reset gives the default name back; pushes to a server
that is down fail, show on the admin page and are retried until it is back; a deleted capsul's
address gets its default name back. The console page shows and sets the same names."""
from __future__ import annotations

import html
import os

import pytest

from capsul.hub import db
from tests.conftest import ADMIN_EMAIL, ALICE, BOB, eventually, shared_tmpdir, spoke_ready
from tests.console_client import ConsoleClient
from tests.powerdns import powerdns_server
from tests.test_firewall import running_capsul
from tests.test_public_api import Api, assert_error

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="makes network namespaces")]
DOMAIN = "capsul.test"


@pytest.fixture
def pdns():
    folder = shared_tmpdir("capsul-test-pdns-")
    with powerdns_server(folder / "pdns") as server:
        yield server


async def test_ptr_names_are_checked_pushed_reset_retried_and_released(pdns, start_node, mail, pool):
    import aiohttp
    from capsul.hub.accounts import api_tokens
    node = await start_node(ADMIN_EMAIL_ADDRESSES=ADMIN_EMAIL, **mail.env(), RDNS_PDNS_URL=pdns.url,
                            RDNS_PDNS_API_KEY=pdns.api_key, RDNS_DEFAULT_DOMAIN=DOMAIN, RDNS_RESOLVERS=pdns.address,
                            RDNS_SYNC_INTERVAL="0.3", RDNS_RETRY_MAX="1")
    await spoke_ready(pool)
    async with db.cursor(pool) as cur:
        for email in (ALICE, BOB):
            await cur.execute("INSERT INTO accounts (email) VALUES (%s) ON CONFLICT DO NOTHING", (email,))
    from tests.conftest import add_account_with_key
    await add_account_with_key(pool, ALICE)
    async with aiohttp.ClientSession() as session:
        alice = Api(session, node.console_url, (await api_tokens.create_token(pool, ALICE, "a", "write", None))[0])
        bob = Api(session, node.console_url, (await api_tokens.create_token(pool, BOB, "b", "write", None))[0])
        vm_id = await running_capsul(alice)
        capsul = (await alice.call("GET", f"/capsuls/{vm_id}"))[1]["capsul"]
        ipv4, ipv6 = capsul["public_ipv4"], capsul["public_ipv6"]
        pdns.create_zone("2.0.192.in-addr.arpa.")
        pdns.create_zone("0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.")
        pdns.create_zone("example.test.", {("www.example.test.", "A"): ipv4, ("www.example.test.", "AAAA"): ipv6,
                                           ("elsewhere.example.test.", "A"): "198.51.100.7"})

        status, body = await alice.call("GET", f"/capsuls/{vm_id}/reverse-dns")
        assert status == 200 and [e["address"] for e in body["reverse_dns"]] == [ipv4, ipv6]
        assert body["reverse_dns"][0]["name"] == ipv4.replace(".", "-") + f".{DOMAIN}." and not body["reverse_dns"][0]["custom"]

        # set: checked forward, then in DNS
        status, body = await alice.call("PUT", f"/capsuls/{vm_id}/reverse-dns/{ipv4}", {"name": "WWW.example.test"})
        assert status == 200 and body["reverse_dns"]["name"] == "www.example.test.", body
        await eventually(lambda: _async(pdns.dig_ptr(ipv4) == "www.example.test."), within=15, every=0.2)
        status, body = await alice.call("PUT", f"/capsuls/{vm_id}/reverse-dns/{ipv6}", {"name": "www.example.test."})
        assert status == 200
        await eventually(lambda: _async(pdns.dig_ptr(ipv6) == "www.example.test."), within=15, every=0.2)

        # refused: names that do not resolve to the address, bad names, someone else's or another address
        for name, words in (("elsewhere.example.test", "does not resolve to"), ("nothing.example.test", "does not resolve to"),
                            ("-bad-.example.test", "host name"), ("a" * 300, "host name"), ("", "host name")):
            status, body = await alice.call("PUT", f"/capsuls/{vm_id}/reverse-dns/{ipv4}", {"name": name})
            assert_error(status, body, 400, words)
        status, body = await alice.call("PUT", f"/capsuls/{vm_id}/reverse-dns/{ipv4}", {"name": 5})
        assert_error(status, body, 400, "name")
        status, body = await alice.call("PUT", f"/capsuls/{vm_id}/reverse-dns/198.51.100.7", {"name": "elsewhere.example.test"})
        assert_error(status, body, 404, "not an address")
        status, body = await bob.call("PUT", f"/capsuls/{vm_id}/reverse-dns/{ipv4}", {"name": "www.example.test"})
        assert_error(status, body, 404)
        assert pdns.dig_ptr(ipv4) == "www.example.test."  # nothing changed

        # reset: the default name
        status, body = await alice.call("DELETE", f"/capsuls/{vm_id}/reverse-dns/{ipv4}")
        assert status == 200 and not body["reverse_dns"]["custom"]
        default4 = ipv4.replace(".", "-") + f".{DOMAIN}."
        await eventually(lambda: _async(pdns.dig_ptr(ipv4) == default4), within=15, every=0.2)

        # the DNS server is down: the push fails, the admin sees it, and it is retried until it is back
        pdns.stop()
        status, body = await alice.call("DELETE", f"/capsuls/{vm_id}/reverse-dns/{ipv6}")
        assert status == 200

        async def failed():
            async with db.cursor(pool) as cur:
                await cur.execute("SELECT state, attempts FROM reverse_dns WHERE address = %s", (ipv6,))
                row = await cur.fetchone()
                return row["state"] == "failed" and row["attempts"] >= 2
        await eventually(failed, within=30, every=0.2)
        admin = ConsoleClient(node.console_url)
        await admin.login(mail, ADMIN_EMAIL)
        status, page = await admin.get("/admin")
        await admin.close()
        assert "Reverse DNS pushes that failed" in page and ipv6 in page and "cannot be reached" in html.unescape(page)
        pdns.start()
        default6 = ipv6.replace(":", "-") + f".{DOMAIN}."
        await eventually(lambda: _async(pdns.dig_ptr(ipv6) == default6), within=30, every=0.2)

        # released: a deleted capsul's address gets its default name back
        status, body = await alice.call("PUT", f"/capsuls/{vm_id}/reverse-dns/{ipv4}", {"name": "www.example.test"})
        await eventually(lambda: _async(pdns.dig_ptr(ipv4) == "www.example.test."), within=15, every=0.2)
        status, body = await alice.call("DELETE", f"/capsuls/{vm_id}")
        assert status == 200
        await eventually(lambda: _async(pdns.dig_ptr(ipv4) == default4), within=30, every=0.2)
        async with db.cursor(pool) as cur:
            await cur.execute("SELECT reason FROM vm_events WHERE vm_id = %s AND state = 'reverse_dns' ORDER BY id",
                              (vm_id,))
            assert [r["reason"] for r in await cur.fetchall()][0] == f"reverse DNS: {ipv4} is www.example.test."


async def _async(value):
    return value


async def test_the_console_page_sets_a_name_and_says_a_refusal(pdns, start_node, mail, pool):
    import aiohttp
    from capsul.hub.accounts import api_tokens
    from tests.conftest import add_account_with_key
    node = await start_node(**mail.env(), RDNS_PDNS_URL=pdns.url, RDNS_PDNS_API_KEY=pdns.api_key,
                            RDNS_DEFAULT_DOMAIN=DOMAIN, RDNS_RESOLVERS=pdns.address, RDNS_SYNC_INTERVAL="0.3")
    await spoke_ready(pool)
    await add_account_with_key(pool, ALICE)
    async with aiohttp.ClientSession() as session:
        api = Api(session, node.console_url, (await api_tokens.create_token(pool, ALICE, "a", "write", None))[0])
        vm_id = await running_capsul(api)
        ipv4 = (await api.call("GET", f"/capsuls/{vm_id}"))[1]["capsul"]["public_ipv4"]
    pdns.create_zone("2.0.192.in-addr.arpa.")
    pdns.create_zone("example.test.", {("mail.example.test.", "A"): ipv4})
    from tests.console_client import ConsoleClient, error_of
    alice = ConsoleClient(node.console_url)
    try:
        await alice.login(mail, ALICE)
        status, page, _ = await alice.post(f"/capsuls/{vm_id}/reverse-dns", {"address": ipv4, "name": "nope.example.test"})
        assert status == 400 and "does not resolve to" in error_of(page) and 'value="nope.example.test"' in page
        status, page, url = await alice.post(f"/capsuls/{vm_id}/reverse-dns", {"address": ipv4, "name": "mail.example.test"})
        assert url.path.endswith("/reverse-dns") and "is mail.example.test." in html.unescape(page)
        await eventually(lambda: _async(pdns.dig_ptr(ipv4) == "mail.example.test."), within=15, every=0.2)
    finally:
        await alice.close()
