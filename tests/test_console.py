"""The web console over HTTP: login, sessions and CSRF, SSH keys, capsuls, another person's
capsul, the admin view. A real node (hub + spoke on test:///default), real PostgreSQL and a
real SMTP server catching login mails."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from capsul.hub import db
from tests.conftest import (ADMIN_EMAIL, ALICE, BOB, HEALTH_HEADERS, eventually, new_public_key, spoke_ready, state_of,
                            wait_for_state)
from tests.console_client import ConsoleClient, error_of



async def count(pool, sql: str, *args) -> int:
    async with db.cursor(pool) as cur:
        await cur.execute(sql, args)
        return (await cur.fetchone())["n"]


async def logged_in(people, mail, email: str, *, key: bool = False) -> ConsoleClient:
    person = people()
    await person.login(mail, email)
    if key:
        status, text, _ = await person.post("/ssh-keys", {"content": new_public_key(email), "name": "laptop"})
        assert status == 200 and "Added the key" in text, error_of(text)
    return person


async def create_capsul(person: ConsoleClient, pool, size: str = "f1-xs") -> str:
    status, text, url = await person.post("/capsuls/create", [("size", size), ("os", "debian12"),
                                                              ("ssh_key", "laptop")])
    assert status == 200 and url.path.startswith("/capsuls/capsul-"), (status, error_of(text))
    return url.path.rsplit("/", 1)[1]


# --- login and sessions ---------------------------------------------------------------------

async def test_login_by_mailed_link_makes_the_account_and_logout_ends_the_session(console, mail, people, pool):
    person = people()
    status, _ = await person.get("/capsuls", allow_redirects=False)
    assert status == 303
    assert await count(pool, "SELECT count(*) AS n FROM accounts") == 0

    await person.login(mail, ALICE)
    message = mail.messages[-1]
    assert message["From"] == "capsul@mail.test" and message["To"] == ALICE
    assert await count(pool, "SELECT count(*) AS n FROM accounts WHERE email = %s", ALICE) == 1
    async with db.cursor(pool) as cur:  # the token is stored hashed, never as mailed
        await cur.execute("SELECT token_hash FROM login_tokens")
        stored = (await cur.fetchone())["token_hash"]
    assert stored not in message.get_content()
    status, text = await person.get("/capsuls")
    assert status == 200 and ALICE in text

    status, text, url = await person.post("/logout", {})
    assert url.path == "/"
    status, _ = await person.get("/capsuls", allow_redirects=False)
    assert status == 303


async def test_session_cookie_is_encrypted_httponly_and_samesite(console, people):
    person = people()
    async with person.session.get(person.url("/login")) as r:
        cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("capsul_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # plain http here
    assert "csrf" not in cookie  # encrypted: nothing readable in it


async def test_session_cookie_is_secure_when_the_console_is_served_over_https(start_node, pool):
    node = await start_node(BASE_URL="https://capsul.example")
    person = ConsoleClient(node.console_url)
    try:
        async with person.session.get(person.url("/login")) as r:
            assert "Secure" in r.headers["Set-Cookie"]
    finally:
        await person.close()


async def test_a_login_link_works_once_and_not_after_it_expires(console, mail, people, pool):
    first = people()
    await first.login(mail, ALICE)
    link = await mail.login_link(ALICE)
    again = people()
    status, text, url = await again.open_login_link(link)
    assert status == 400 and "expired or was used already" in error_of(text)
    status, _ = await again.get("/capsuls", allow_redirects=False)
    assert status == 303  # not logged in

    before = mail.count_to(BOB)
    status, _, _ = await again.post("/login", {"email": BOB})
    link = await mail.login_link(BOB, after=before)
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE login_tokens SET expires_at = now() - interval '1 second' WHERE email = %s", (BOB,))
    status, text, url = await again.open_login_link(link)
    assert status == 400 and "expired" in error_of(text)
    assert await count(pool, "SELECT count(*) AS n FROM accounts WHERE email = %s", BOB) == 0


async def test_a_forged_login_link_is_refused(console, people):
    person = people()
    status, text, _ = await person.open_login_link(person.url("/login/" + "A" * 43))
    assert status == 400 and "not valid" in error_of(text) or "expired" in error_of(text)


async def test_login_requests_are_rate_limited_per_email_with_a_clear_message(console, mail, people, pool):
    person = people()
    for _ in range(5):
        status, _, _ = await person.post("/login", {"email": ALICE})
        assert status == 200
    status, text, _ = await person.post("/login", {"email": ALICE})
    assert status == 429 and "Too many login links" in error_of(text)
    assert 'value="alice@example.org"' in text  # what they typed is kept
    await eventually(lambda: _true(mail.count_to(ALICE) == 5))
    assert await count(pool, "SELECT count(*) AS n FROM login_tokens") == 5


async def test_login_requests_are_rate_limited_per_client_address(console, mail, people, pool):
    person = people()
    for i in range(20):
        status, _, _ = await person.post("/login", {"email": f"p{i}@example.org"})
        assert status == 200
    status, text, _ = await person.post("/login", {"email": "p20@example.org"})
    assert status == 429 and "from your address" in error_of(text)
    assert await count(pool, "SELECT count(*) AS n FROM login_tokens WHERE email = 'p20@example.org'") == 0


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(start_node, mail, pool):
    """Behind a load balancer (TRUSTED_PROXIES) the limit is per browser, read from the
    X-Forwarded-For the balancer appends to; what a client wrote further left counts for nothing."""
    node = await start_node(TRUSTED_PROXIES="127.0.0.0/8, 10.9.0.0/16", **mail.env())
    person = ConsoleClient(node.console_url)
    try:
        for i in range(20):  # one browser, its own forged hop on the left each time
            status, _, _ = await person.post("/login", {"email": f"p{i}@example.org"},
                                             headers={"X-Forwarded-For": f"192.0.2.{i}, 203.0.113.7, 10.9.0.2"})
            assert status == 200
        status, text, _ = await person.post("/login", {"email": "p20@example.org"},
                                            headers={"X-Forwarded-For": "203.0.113.7"})
        assert status == 429 and "from your address" in error_of(text)
        status, _, _ = await person.post("/login", {"email": "p21@example.org"},  # another browser
                                         headers={"X-Forwarded-For": "203.0.113.8"})
        assert status == 200
        async with db.cursor(pool) as cur:
            await cur.execute("SELECT host(requested_by) AS ip, count(*) AS n FROM login_tokens GROUP BY 1 ORDER BY 1")
            assert [(r["ip"], r["n"]) for r in await cur.fetchall()] == [("203.0.113.7", 20), ("203.0.113.8", 1)]
    finally:
        await person.close()


async def test_without_trusted_proxies_x_forwarded_for_is_ignored(console, people, pool):
    person = people()
    for i in range(20):  # a new forged address each time changes nothing
        status, _, _ = await person.post("/login", {"email": f"p{i}@example.org"},
                                         headers={"X-Forwarded-For": f"198.51.100.{i}"})
        assert status == 200
    status, text, _ = await person.post("/login", {"email": "p20@example.org"},
                                        headers={"X-Forwarded-For": "198.51.100.99"})
    assert status == 429 and "from your address" in error_of(text)
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT DISTINCT host(requested_by) AS ip FROM login_tokens")
        assert [r["ip"] for r in await cur.fetchall()] == ["127.0.0.1"]


@pytest.mark.parametrize("email", ["", "not-an-address", "a@b", "x" * 300 + "@example.org", "a b@example.org"])
async def test_a_bad_email_is_refused_on_the_form(console, people, pool, email):
    person = people()
    status, text, _ = await person.post("/login", {"email": email})
    assert status == 400 and "Enter one email address" in error_of(text)
    assert await count(pool, "SELECT count(*) AS n FROM login_tokens") == 0


async def test_login_link_goes_to_the_log_when_no_mail_server_is_set(start_node, pool, caplog):
    node = await start_node()
    person = ConsoleClient(node.console_url)
    try:
        status, page = await person.get("/login")
        assert "we mail" not in page.lower() and "no mail server set up" in page
        with caplog.at_level("WARNING", logger="capsul.hub.mailer"):
            status, page, _ = await person.post("/login", {"email": ALICE})
        assert status == 200 and "We sent" not in page and "written to the server's log, not mailed" in page
        lines = [r.getMessage() for r in caplog.records if "login link" in r.getMessage()]
        assert len(lines) == 1
        link = re.search(r"http://\S+", lines[0]).group(0)
        status, _, url = await person.open_login_link(link)
        assert url.path == "/capsuls"
    finally:
        await person.close()


async def test_an_unreachable_mail_server_is_a_clear_503(start_node, pool):
    node = await start_node(MAIL_SERVER="127.0.0.1", MAIL_PORT="1", MAIL_USE_TLS="false")
    person = ConsoleClient(node.console_url)
    try:
        status, text, _ = await person.post("/login", {"email": ALICE})
        assert status == 503 and "could not send the mail" in error_of(text)
    finally:
        await person.close()


def _true(value):
    async def check():
        return value
    return check()


# --- CSRF -------------------------------------------------------------------------------------

async def test_a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(console, mail, people, pool):
    alice = await logged_in(people, mail, ALICE)
    key = new_public_key("mine")
    status, text, _ = await alice.post("/ssh-keys", {"content": key}, csrf=False)
    assert status == 403 and "did not come from this site" in text
    status, _, _ = await alice.post("/ssh-keys", {"content": key, "csrf_token": "forged"}, csrf=False)
    assert status == 403
    # a token from another person's session is not this session's
    bob = people()
    await bob.get("/login")
    status, _, _ = await alice.post("/ssh-keys", {"content": key, "csrf_token": bob.csrf}, csrf=False)
    assert status == 403
    assert await count(pool, "SELECT count(*) AS n FROM ssh_public_keys") == 0

    stranger = people()
    status, _, _ = await stranger.post("/login", {"email": BOB}, csrf=False)
    assert status == 403
    assert await count(pool, "SELECT count(*) AS n FROM login_tokens WHERE email = %s", BOB) == 0
    status, _, _ = await alice.post("/logout", {}, csrf=False)
    assert status == 403
    status, _ = await alice.get("/capsuls")
    assert status == 200  # still logged in

    status, _, _ = await alice.post("/ssh-keys", {"content": key})
    assert status == 200 and await count(pool, "SELECT count(*) AS n FROM ssh_public_keys") == 1


async def test_the_session_changes_at_login(console, mail, people):
    person = people()
    await person.get("/login")
    before_cookie, before_csrf = person.session_cookie(), person.csrf
    await person.login(mail, ALICE)
    assert person.session_cookie() != before_cookie
    await person.get("/capsuls")
    assert person.csrf != before_csrf


# --- SSH keys -------------------------------------------------------------------------------

@pytest.mark.parametrize("content, message", [
    ("", "paste a public key"),
    ("ssh-ed25519", "key data is missing"),
    ("ssh-ed25519 !!!notbase64", "base64"),
    ("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "unsupported key type"),
    ("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIGm6", "the key data is ssh-ed25519"),
    ("ssh-ed25519 AAAA AAAA\nssh-ed25519 BBBB", "one line"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----", "private key"),
])
async def test_invalid_ssh_keys_are_refused_with_the_reason_and_nothing_written(console, mail, people, pool,
                                                                              content, message):
    alice = await logged_in(people, mail, ALICE)
    status, text, _ = await alice.post("/ssh-keys", {"content": content, "name": "k"})
    assert status == 400
    assert message in error_of(text).lower(), error_of(text)
    assert await count(pool, "SELECT count(*) AS n FROM ssh_public_keys") == 0


async def test_ssh_keys_add_list_duplicate_and_delete(console, mail, people, pool):
    alice = await logged_in(people, mail, ALICE)
    key = new_public_key("alice@laptop")
    status, text, _ = await alice.post("/ssh-keys", {"content": key, "name": ""})
    assert status == 200 and "alice@laptop" in text  # named after its comment
    status, text, _ = await alice.post("/ssh-keys", {"content": key, "name": "other"})
    assert status == 400 and "added this key already" in error_of(text)
    assert "other" in text  # what they typed is kept
    status, text, _ = await alice.post("/ssh-keys", {"content": new_public_key(), "name": "alice@laptop"})
    assert status == 400 and "already have a key named" in error_of(text)
    assert await count(pool, "SELECT count(*) AS n FROM ssh_public_keys") == 1

    status, text, _ = await alice.post("/ssh-keys/delete", {"name": "nope"})
    assert status == 404 and "no key named" in error_of(text)
    status, text, _ = await alice.post("/ssh-keys/delete", {"name": "alice@laptop"})
    assert status == 200 and "Deleted the key" in text
    assert await count(pool, "SELECT count(*) AS n FROM ssh_public_keys") == 0


async def test_an_oversized_form_is_refused(console, mail, people, pool):
    alice = await logged_in(people, mail, ALICE)
    status, text, url = await alice.post("/ssh-keys", {"content": "ssh-rsa " + "A" * 100_000})
    assert status == 200 and url.path == "/ssh-keys" and "too big" in text  # the form again, saying why
    status, text, _ = await alice.post("/capsuls/nope/delete", {"content": "A" * 100_000})
    assert status == 413 and "too big" in text
    assert await count(pool, "SELECT count(*) AS n FROM ssh_public_keys") == 0


# --- capsuls --------------------------------------------------------------------------------

@pytest.mark.parametrize("form, status, message", [
    ([("size", "f1-xs"), ("os", "debian12")], 400, "choose at least one ssh key"),
    ([("os", "debian12"), ("ssh_key", "laptop")], 400, "choose a size"),
    ([("size", "f1-xs"), ("ssh_key", "laptop")], 400, "choose an operating system"),
    ([("size", "huge"), ("os", "debian12"), ("ssh_key", "laptop")], 400, "unknown size"),
    ([("size", "f1-xs"), ("os", "windows"), ("ssh_key", "laptop")], 400, "unknown os image"),
    ([("size", "f1-xs"), ("os", "debian12"), ("ssh_key", "stolen")], 400, "no ssh key named"),
])
async def test_create_refusals_are_shown_on_the_form_with_the_choices_kept(console, mail, people, pool,
                                                                         form, status, message):
    alice = await logged_in(people, mail, ALICE, key=True)
    got, text, url = await alice.post("/capsuls/create", form)
    assert got == status and url.path == "/capsuls/create"
    assert message in error_of(text).lower(), error_of(text)
    chosen = dict(form)
    if chosen.get("size") == "f1-xs":
        assert 'value="f1-xs" required checked' in text
    if chosen.get("os") == "debian12":
        assert 'value="debian12" selected' in text
    assert await count(pool, "SELECT count(*) AS n FROM vms") == 0


async def test_no_capacity_is_shown_on_the_form(console, mail, people, pool):
    alice = await logged_in(people, mail, ALICE, key=True)
    async with db.cursor(pool) as cur:  # a size no host can hold
        await cur.execute("""INSERT INTO vm_sizes (id, dollars_per_month, vcpus, memory_mb, disk_gb)
                             VALUES ('giant', 999, 2, 10000000, 25) ON CONFLICT DO NOTHING""")
    try:
        status, text, _ = await alice.post("/capsuls/create", [("size", "giant"), ("os", "debian12"),
                                                               ("ssh_key", "laptop")])
        assert status == 503 and "no room for a giant" in error_of(text), error_of(text)
        assert "local" not in error_of(text) and "MB" not in error_of(text)  # no host internals
        assert 'value="giant" required checked' in text
        assert await count(pool, "SELECT count(*) AS n FROM vms WHERE state <> 'failed'") == 0
    finally:
        async with db.cursor(pool) as cur:
            await cur.execute("DELETE FROM operations WHERE vm_id IN (SELECT id FROM vms WHERE size = 'giant')")
            await cur.execute("DELETE FROM vms WHERE size = 'giant'")
            await cur.execute("DELETE FROM vm_sizes WHERE id = 'giant'")


async def test_create_act_and_delete_through_the_console(console, mail, people, pool):
    alice = await logged_in(people, mail, ALICE, key=True)
    vm_id = await create_capsul(alice, pool)
    await wait_for_state(pool, vm_id, "running")
    status, text = await alice.get(f"/capsuls/{vm_id}")
    assert status == 200 and "running" in text and "ssh cyberian@192.0.2." in text
    assert re.search(r'data-action="shutdown"\s*>', text)  # offered
    assert re.search(r'data-action="start"\s*hidden', text)  # not offered while running

    status, text, _ = await alice.post(f"/capsuls/{vm_id}/actions", {"action": "start"})
    assert status == 409 and "cannot start" in error_of(text)
    status, text, _ = await alice.post(f"/capsuls/{vm_id}/actions", {"action": "explode"})
    assert status == 400 and "Unknown action" in error_of(text)
    status, _, url = await alice.post(f"/capsuls/{vm_id}/actions", {"action": "force-stop"})
    assert status == 200 and url.path == f"/capsuls/{vm_id}"
    await wait_for_state(pool, vm_id, "stopped")
    status, _, _ = await alice.post(f"/capsuls/{vm_id}/actions", {"action": "start"})
    await wait_for_state(pool, vm_id, "running")

    status, text = await alice.get("/capsuls")
    assert vm_id in text
    status, text = await alice.get(f"/capsuls/{vm_id}/delete")
    assert status == 200 and "cannot be undone" in text
    assert await state_of(pool, vm_id) == "running"  # asking is not deleting
    status, text, url = await alice.post(f"/capsuls/{vm_id}/delete", {})
    assert url.path == "/capsuls" and f"{vm_id} is deleted" in text
    assert await state_of(pool, vm_id) == "deleted"
    status, text = await alice.get(f"/capsuls/{vm_id}")
    assert "deleted" in text  # the detail page still tells what happened


async def test_another_persons_capsul_is_a_404(console, mail, people, pool):
    alice = await logged_in(people, mail, ALICE, key=True)
    vm_id = await create_capsul(alice, pool)
    bob = await logged_in(people, mail, BOB)
    for path in (f"/capsuls/{vm_id}", f"/capsuls/{vm_id}/delete", "/capsuls/capsul-doesnotexi"):
        status, text = await bob.get(path)
        assert status == 404 and "no such page" in text.lower()
    status, _, _ = await bob.post(f"/capsuls/{vm_id}/actions", {"action": "force-stop"})
    assert status == 404
    status, _, _ = await bob.post(f"/capsuls/{vm_id}/delete", {})
    assert status == 404
    status, text = await bob.get("/capsuls")
    assert vm_id not in text
    assert await state_of(pool, vm_id) in ("creating", "running")


async def test_pages_that_need_a_login_send_visitors_to_it_and_back(console, mail, people):
    person = people()
    status, text = await person.get("/ssh-keys")
    assert status == 200 and "Mail me a login link" in text and 'name="next" value="/ssh-keys"' in text
    status, _, _ = await person.post("/capsuls/create", [("size", "f1-xs")])
    assert status == 200  # redirected to the login form, nothing made


async def test_public_pages_and_pricing_from_the_database(console, people, pool):
    person = people()
    for path in ("/", "/faq", "/changelog", "/support"):
        status, _ = await person.get(path)
        assert status == 200, path
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE vm_sizes SET deprecated = true WHERE id = 'f1-xx'")
    try:
        status, text = await person.get("/pricing")
        assert status == 200 and "f1-xs" in text and "$5.33" in text and "f1-xx" not in text
        status, text = await person.get("/static/style.css")
        assert status == 200
    finally:
        async with db.cursor(pool) as cur:
            await cur.execute("UPDATE vm_sizes SET deprecated = false WHERE id = 'f1-xx'")


async def test_the_index_no_longer_lists_hosts_publicly(console, people):
    status, text = await people().get("/")
    assert status == 200 and "local" not in text and "Hosts" not in text


async def test_healthz_tells_anyone_only_up_or_down(console, mail, people, https):
    """It named spoke ids, the libvirt URI and errors between spoke and hub to anyone."""
    import json
    for url in (console.console_url, console.api_url):
        async with https.get(url + "/healthz") as r:
            assert r.status == 200 and await r.json() == {"ok": True}
        async with https.get(url + "/healthz", headers=HEALTH_HEADERS) as r:
            report = await r.json()
            assert report["ok"] is True and len(report) > 1 and "local" in json.dumps(report)
    alice = await logged_in(people, mail, ALICE)
    status, text = await alice.get("/healthz")
    assert status == 200 and json.loads(text) == {"ok": True}
    admin = await logged_in(people, mail, ADMIN_EMAIL)
    status, text = await admin.get("/healthz")
    assert json.loads(text)["spokes"]["online"] == ["local"]


# --- admin ----------------------------------------------------------------------------------

async def test_admin_view_is_for_allow_listed_emails_only(console, mail, people, pool):
    alice = await logged_in(people, mail, ALICE, key=True)
    vm_id = await create_capsul(alice, pool)
    for path in ("/admin", "/admin/consistency"):
        status, _ = await alice.get(path)
        assert status == 404

    admin = await logged_in(people, mail, ADMIN_EMAIL)
    status, text = await admin.get("/admin")
    assert status == 200
    assert 'data-host-id="local"' in text and ">online<" in text
    assert vm_id in text and ALICE in text  # VMs per host, with their owners
    assert "<td>create</td>" in text and "assigned" in text  # recent operations with their outcome
    assert "<td>list</td>" not in text  # the minute-by-minute sweeps are left out, unless asked for
    status, swept = await admin.get("/admin?q=list")
    assert "<td>list</td>" in swept and "completed" in swept
    assert 'id="no-conflicts"' in text

    async with db.cursor(pool) as cur:
        await cur.execute("INSERT INTO ownership_conflicts (vm_id, owner, reported_by) VALUES (%s, 'local', 'other')",
                          (vm_id,))
    status, text = await admin.get("/admin")
    assert 'id="conflicts"' in text and "other" in text


async def test_consistency_check_lists_every_difference(console, mail, people, pool):
    alice = await logged_in(people, mail, ALICE, key=True)
    first, second, third = [await create_capsul(alice, pool) for _ in range(3)]
    for vm_id in (first, second, third):
        await wait_for_state(pool, vm_id, "running")
    admin = await logged_in(people, mail, ADMIN_EMAIL)
    status, text = await admin.get("/admin/consistency")
    assert status == 200 and 'id="no-differences"' in text

    async with db.cursor(pool) as cur:  # the database drifts from what the spoke has
        await cur.execute("UPDATE vms SET state = 'stopped', state_changed_at = now() - interval '1 minute' "
                          "WHERE id = %s", (first,))
        await cur.execute("UPDATE vms SET state = 'deleted', state_changed_at = now() - interval '1 minute' "
                          "WHERE id = %s", (second,))
        await cur.execute("INSERT INTO hosts (id, https_url, token, hub_token) VALUES ('other', 'https://x', 'a', 'b')")
        await cur.execute("UPDATE vms SET host_id = 'other', state_changed_at = now() - interval '1 minute' "
                          "WHERE id = %s", (third,))
        await cur.execute("""INSERT INTO vms (id, account, size, os, host_id, state, state_changed_at)
                             VALUES ('capsul-ghost00000', %s, 'f1-xs', 'debian12', 'local', 'running',
                                     now() - interval '1 minute')""", (ALICE,))
    status, text = await admin.get("/admin/consistency")
    rows = re.findall(r"<tr><td>(capsul-\w+)</td><td>(\w+)</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>",
                      text)
    assert sorted(rows) == sorted([
        (first, "local", "states differ", "stopped", "running"),
        (second, "local", "still on the host, but deleted in the database", "deleted", "running"),
        (third, "local", "on this host, but the database says it belongs to other", "running", "running"),
        ("capsul-ghost00000", "local", "in the database, missing from its host", "running", "not listed"),
    ])
    assert "<strong>other</strong>: offline" in text  # a host that could not be checked is named


@pytest.mark.parametrize("old, new", [
    ("/console", "/capsuls"), ("/console/", "/capsuls"), ("/console/create", "/capsuls/create"),
    ("/console/keys", "/ssh-keys"), ("/console/account-balance", "/account"),
    ("/console/capsul-abcdefghij", "/capsuls/capsul-abcdefghij"),
    ("/console/capsul-abcdefghij/monitoring", "/capsuls/capsul-abcdefghij"), ("/console/whatever", "/capsuls"),
])
async def test_the_older_capsuls_console_addresses_redirect(people, old, new):
    """Bookmarks of the older capsul keep working: its /console pages move permanently here."""
    visitor = people()
    async with visitor.session.get(visitor.url(old), allow_redirects=False) as r:
        assert r.status == 301 and r.headers["Location"] == new


async def test_the_timeline_speaks_words_not_libvirt_codes(people, mail, pool):
    alice = await logged_in(people, mail, ALICE, key=True)
    vm_id = await create_capsul(alice, pool)

    async def running():
        return await state_of(pool, vm_id) == "running"
    await eventually(running)
    status, _, _ = await alice.post(f"/capsuls/{vm_id}/actions", {"action": "force-stop"})
    assert status == 200
    async with db.cursor(pool) as cur:  # a reason stored by an older spoke, as libvirt's numbers
        await cur.execute("INSERT INTO vm_events (vm_id, state, reason) VALUES (%s, 'stopped', 'libvirt event 5/0')",
                          (vm_id,))

    async def timeline():
        _, text = await alice.get(f"/capsuls/{vm_id}")
        return "forced off" in text and text
    text = await eventually(timeline)
    assert "started (booted)" in text and "shut down" in text and "libvirt event" not in text


async def test_admin_pages_and_searches(console, mail, people, pool, monkeypatch):
    """Capsuls, hosts and operations a page at a time (newest first) and found by capsul id,
    email, host, state or address; a page link this page did not make is a 400."""
    from capsul.hub.db import admin_search
    monkeypatch.setattr(admin_search, "PAGE", 2)
    alice = await logged_in(people, mail, ALICE, key=True)
    bob = await logged_in(people, mail, BOB, key=True)
    made = [await create_capsul(alice, pool) for _ in range(3)] + [await create_capsul(bob, pool)]
    for vm_id in made:
        await wait_for_state(pool, vm_id, "running")
    admin = await logged_in(people, mail, ADMIN_EMAIL)

    def listed(text: str) -> list[str]:
        table = text.split('id="all-capsuls"')[1].split("</table>")[0]
        return re.findall(r'data-capsul-id="(capsul-[a-z0-9]{10})"', table)

    status, text = await admin.get("/admin")
    assert status == 200 and listed(text) == made[::-1][:2]  # the newest two
    older = re.search(r'id="more-capsuls" href="([^"]+)"', text).group(1).replace("&amp;", "&")
    status, text = await admin.get(older)
    assert listed(text) == made[::-1][2:4]
    status, text = await admin.get(f"/admin?q={BOB}")
    assert listed(text) == [made[3]] and 'id="more-capsuls"' not in text
    status, text = await admin.get(f"/admin?q={made[1]}")
    assert listed(text) == [made[1]] and made[1] in text.split('id="operations"')[1]  # its create operation
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT host(public_ipv4) AS ip FROM vms WHERE id = %s", (made[2],))
        address = (await cur.fetchone())["ip"]
    status, text = await admin.get(f"/admin?q={address}")
    assert listed(text) == [made[2]]
    status, text = await admin.get("/admin?q=local")
    assert listed(text) == made[::-1][:2] and 'data-host-id="local"' in text
    status, text = await admin.get("/admin?q=stopped")
    assert listed(text) == [] and "No capsuls match stopped" in text
    status, text = await admin.get("/admin?capsuls_before=yesterday")
    assert status == 400


async def test_the_create_form_guides_a_first_customer(start_node, mail, pool):
    """Balance shown, a lone key chosen, sizes no host can take marked, and the balance refusal
    linking to where it is fixed; a capsul that failed can be dismissed."""
    node = await start_node(BILLING_ENABLED="true", **mail.env())
    await spoke_ready(pool)
    alice = ConsoleClient(node.console_url)
    try:
        await alice.login(mail, ALICE)
        await alice.post("/ssh-keys", {"content": new_public_key(ALICE), "name": "laptop"})
        async with db.cursor(pool) as cur:  # a size no host can hold
            await cur.execute("""INSERT INTO vm_sizes (id, dollars_per_month, vcpus, memory_mb, disk_gb)
                                 VALUES ('giant', 999, 2, 10000000, 25) ON CONFLICT DO NOTHING""")
        status, page = await alice.get("/capsuls/create")
        assert status == 200 and "Your balance: <strong>$0.00</strong>" in page
        assert re.search(r'value="laptop" checked', page)  # the lone key, chosen
        assert re.search(r'value="giant" required\s*disabled', page) and "no room on our hosts right now" in page
        assert not re.search(r'value="f1-xs" required\s*disabled', page)
        status, text, _ = await alice.post("/capsuls/create", [("size", "f1-xs"), ("os", "debian12"),
                                                               ("ssh_key", "laptop")])
        assert status == 402 and error_of(text).startswith("Your capsuls with this f1-xs would cost")
        assert re.search(r'<p class="error" role="alert">.*<a href="/account">Add funds on your account page.</a>',
                         text)
        async with db.cursor(pool) as cur:  # credit, then a capsul whose host could not build it
            from capsul.hub.db import ledger, vms
            await ledger.add_manual_entry(cur, ALICE, Decimal("50"), "test", ADMIN_EMAIL)
            failed = vms.new_vm_id()
            await vms.insert_pending_vm(cur, failed, ALICE, "f1-xs", "debian12", [])
            await vms.mark_failed(cur, failed, "no host could take it just then")
        status, page = await alice.get(f"/capsuls/{failed}")
        assert "no host could take it just then" in page and re.search(r'data-action="delete"[^>]*>Dismiss', page)
        status, text, _ = await alice.post(f"/capsuls/{failed}/delete", {})
        assert status == 200 and await state_of(pool, failed) == "deleted"
    finally:
        await alice.close()
        async with db.cursor(pool) as cur:
            await cur.execute("DELETE FROM operations WHERE vm_id IN (SELECT id FROM vms WHERE size = 'giant')")
            await cur.execute("DELETE FROM vms WHERE size = 'giant'")
            await cur.execute("DELETE FROM vm_sizes WHERE id = 'giant'")


async def test_a_newcomer_is_shown_the_first_steps_and_a_private_key_is_never_echoed(start_node, mail, pool):
    node = await start_node(BILLING_ENABLED="true", **mail.env())
    alice = ConsoleClient(node.console_url)
    try:
        await alice.login(mail, ALICE)
        status, page = await alice.get("/capsuls")
        steps = page[page.index('<ol id="first-steps">'):page.index("</ol>")]
        assert "Add an SSH key" in steps and "Have a balance" in steps and "Done" not in steps
        private = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----"
        status, page, _ = await alice.post("/ssh-keys", {"content": private, "name": "oops"})
        assert status == 400 and "private key" in error_of(page) and "b3BlbnNzaC1rZXktdjEAAAAA" not in page
        await alice.post("/ssh-keys", {"content": new_public_key(ALICE), "name": "laptop"})
        status, page = await alice.get("/capsuls")
        assert re.search(r'<li class="done"><a href="/ssh-keys">Add an SSH key</a>', page)
        async with alice.session.post(alice.url("/ssh-keys"), data={"content": "x" * 70_000, "csrf_token": alice.csrf},
                                      allow_redirects=False) as r:  # too big: back to the form, saying so
            assert r.status == 303 and r.headers["Location"] == "/ssh-keys?too_big=1"
        status, page = await alice.get("/ssh-keys?too_big=1")
        assert 'id="too-big"' in page and 'id="content"' in page
    finally:
        await alice.close()
