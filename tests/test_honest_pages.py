"""What the pages say and send: a support contact, error pages titled in words, a favicon, no
30-day cookie for a visitor, compressed pages and vendored files, long-lived versioned files."""
from __future__ import annotations

import gzip
import re


from capsul.hub.console import vendor
from tests.conftest import ALICE
from tests.console_client import ConsoleClient
from tests.test_console import logged_in


async def test_the_support_page_gives_a_contact(start_node, pool):
    node = await start_node(SUPPORT_EMAIL="help@capsul.example")
    person = ConsoleClient(node.console_url)
    try:
        status, page = await person.get("/support")
        assert status == 200 and 'href="mailto:help@capsul.example"' in page
    finally:
        await person.close()


async def test_error_pages_have_titles_in_words_and_there_is_a_favicon(console, people):
    person = people()
    status, page = await person.get("/no/such/page")
    assert status == 404 and "<title>Page not found · capsul</title>" in page and "<h1>Page not found</h1>" in page
    status, page, _ = await person.post("/login", {"email": "a@example.org"}, csrf=False)
    assert status == 403 and "<title>Not allowed · capsul</title>" in page
    assert re.search(r'<p class="error" role="alert">[A-Z][^<]*[.!?]</p>', page)  # a sentence
    async with person.session.get(person.url("/favicon.ico"), allow_redirects=True) as r:
        assert r.status == 200 and r.content_type == "image/svg+xml" and b"<svg" in await r.read()


def _cookie_header(response) -> str:
    return "; ".join(v for k, v in response.raw_headers if k.decode().lower() == "set-cookie" for v in [v.decode()])


async def test_a_visitor_gets_no_30_day_cookie_and_a_login_does(console, mail, people):
    person = people()
    async with person.session.get(person.url("/login")) as r:
        cookie = _cookie_header(r)
    assert "capsul_session=" in cookie and "Max-Age" not in cookie and "expires" not in cookie.lower()
    alice = await logged_in(people, mail, ALICE)  # a login's cookie lasts its 30 days
    login_cookie = [c for c in alice.session.cookie_jar if c.key == "capsul_session"][0]
    assert login_cookie["max-age"] == str(30 * 24 * 3600)


async def test_pages_and_vendored_files_are_compressed_and_versioned_files_kept(console, mail, people):
    alice = await logged_in(people, mail, ALICE)
    async with alice.session.get(alice.url("/capsuls"), headers={"Accept-Encoding": "gzip"},
                                 auto_decompress=False) as r:
        assert r.headers.get("Content-Encoding") == "gzip" and b"<html" in gzip.decompress(await r.read())
    async with alice.session.get(alice.url(vendor.url("xterm.js")), headers={"Accept-Encoding": "gzip"},
                                 auto_decompress=False) as r:
        packed = await r.read()
        assert r.headers["Content-Encoding"] == "gzip" and "immutable" in r.headers["Cache-Control"]
    raw = (vendor.NODE_MODULES / "@xterm/xterm/lib/xterm.js").read_bytes()
    assert gzip.decompress(packed) == raw and len(packed) < len(raw) / 3
    status, page = await alice.get("/capsuls")
    style = re.search(r'href="(/static/style\.css\?v=[^"]+)"', page).group(1)
    async with alice.session.get(alice.url(style)) as r:
        assert r.status == 200 and "max-age=31536000" in r.headers["Cache-Control"]
