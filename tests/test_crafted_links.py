"""Crafted links and addresses an attacker sends a person: a login link whose "token" is a path,
`next=` values that a browser turns into another site, address lists on the login form. Each
test failed before its fix (a running hub, real PostgreSQL, a real SMTP server)."""
from __future__ import annotations

import re

import pytest
from yarl import URL

from tests.conftest import ALICE, state_of, wait_for_state
from tests.console_client import error_of
from tests.test_console import count, create_capsul, logged_in

ACTION_RE = re.compile(r'<form method="post" action="([^"]*)"')


@pytest.mark.parametrize("crafted", [
    "..%2F..%2Fcapsuls%2F{vm}%2Fdelete",  # the form would post to the capsul's delete
    "x%2F..%2F..%2Flogout",
    "..",
    "A" * 42,  # one short of the shape the hub issues
    "A" * 44,
    "A" * 42 + "%2F",
])
async def test_a_login_link_that_is_not_a_token_is_a_404_and_posts_nowhere(console, mail, people, pool, crafted):
    """Opening a crafted /login/… link while logged in and pressing "Log in" deleted the capsul:
    the form's action was built from the path."""
    alice = await logged_in(people, mail, ALICE, key=True)
    vm_id = await create_capsul(alice, pool)
    await wait_for_state(pool, vm_id, "running")
    crafted = URL(alice.url("/login/" + crafted.format(vm=vm_id)), encoded=True)  # sent as written
    async with alice.session.get(crafted) as r:
        page = await r.text()
        assert r.status == 404, r.status
    assert ACTION_RE.findall(page) == ["/logout"]  # only the page's own logout button
    async with alice.session.post(crafted, data={"next": "/capsuls", "csrf_token": alice.csrf}) as r:
        assert r.status == 404
    assert await state_of(pool, vm_id) == "running"
    status, _ = await alice.get("/capsuls")
    assert status == 200  # still logged in


async def test_the_confirm_page_posts_to_its_own_route_and_names_the_account(console, mail, people):
    person = people()
    before = mail.count_to(ALICE)
    status, _, _ = await person.post("/login", {"email": ALICE, "next": "/capsuls"})
    assert status == 200
    link = URL(await mail.login_link(ALICE, after=before))
    status, page = await person.get(link.path_qs)
    assert status == 200 and ACTION_RE.findall(page) == [link.path]
    assert ALICE in page  # the person sees which account the link logs into
    status, page = await person.get("/login/" + "B" * 43)  # the right shape, but never issued
    assert status == 200 and ACTION_RE.findall(page) == [] and "expired or was used" in page


# Browsers drop tabs and line breaks from URLs and read '\' as '/': each of these was a way off the site.
OFF_SITE = ["//evil.example", "/\t/evil.example", "/\r/evil.example", "/\n/evil.example", "/\\evil.example",
            "/\t\\evil.example", "https://evil.example", " /evil", "/%09/x\u2028"]


@pytest.mark.parametrize("next_value", OFF_SITE)
async def test_next_never_leads_off_the_site_even_inside_a_real_login_mail(console, mail, people, next_value):
    person = people()
    before = mail.count_to(ALICE)
    status, _, _ = await person.post("/login", {"email": ALICE, "next": next_value})
    assert status == 200
    link = URL(await mail.login_link(ALICE, after=before))
    assert link.query["next"] == "/capsuls"
    status, page = await person.get(link.path, params={"next": next_value})
    assert 'name="next" value="/capsuls"' in page
    async with person.session.post(person.url(link.path), data={"next": next_value, "csrf_token": person.csrf},
                                   allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == "/capsuls"
    async with person.session.get(person.url("/login"), params={"next": next_value}, allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == "/capsuls"  # logged in: sent on at once


async def test_a_path_on_the_site_is_still_where_login_leads(console, mail, people):
    person = people()
    before = mail.count_to(ALICE)
    await person.post("/login", {"email": ALICE, "next": "/ssh-keys?from=mail"})
    link = URL(await mail.login_link(ALICE, after=before))
    await person.get(link.path_qs)
    async with person.session.post(person.url(link.path), data={"next": link.query["next"],
                                                                "csrf_token": person.csrf},
                                   allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == "/ssh-keys?from=mail"


@pytest.mark.parametrize("typed", [
    "victim@example.org,thief@example.org", "victim@example.org;thief@example.org", "victim@example.org,",
    "victim@example.org;", "<victim@example.org>", "Victim <victim@example.org>", "victim@example.org (me)",
    "(me)victim@example.org", '"victim"@example.org', "victim@example.org\nBcc: thief@example.org",
    "victim@[127.0.0.1]", "victim@exämple.org",
])
async def test_the_login_form_takes_exactly_one_plain_address(console, mail, people, pool, typed):
    person = people()
    status, text, _ = await person.post("/login", {"email": typed})
    assert status == 400 and "Enter one email address" in error_of(text)
    assert await count(pool, "SELECT count(*) AS n FROM login_tokens") == 0
    assert mail.messages == []


async def test_spellings_of_one_mailbox_share_its_limit(console, mail, people, pool):
    person = people()
    for spelling in ["victim@example.org", "VICTIM@example.org", " victim@EXAMPLE.org ", "Victim@Example.Org",
                     "victim@example.ORG"]:
        status, text, _ = await person.post("/login", {"email": spelling})
        assert status == 200, error_of(text)
    status, text, _ = await person.post("/login", {"email": "vIcTiM@example.org"})
    assert status == 429
    assert await count(pool, "SELECT count(*) AS n FROM login_tokens") == 5
    assert {m["To"] for m in mail.messages} == {"victim@example.org"}
