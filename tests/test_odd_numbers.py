"""Numbers a person or a script writes oddly, and header bytes that are not UTF-8: each gave a 500
before forms and headers shared one integer parser and one money parser (capsul/numbers.py)."""
from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from yarl import URL

from capsul.numbers import parse_int, parse_money
from tests.console_client import error_of
from tests.test_console import ALICE, count, logged_in
from tests.test_payments import billing_node, btcpay, stripe  # noqa: F401 - fixtures

ODD_WHOLE_NUMBERS = ["\u00b2", "\u0663", "\u0661\u0660", "9" * 4300, "9" * 5000, "1e3", "-1", "0x1f", "", " ", "1.0"]


@pytest.mark.parametrize("typed", ODD_WHOLE_NUMBERS)
async def test_odd_whole_numbers_in_forms_are_refused_with_a_sentence(console, mail, people, pool, typed):
    alice = await logged_in(people, mail, ALICE)
    status, text, _ = await alice.post("/api-tokens", {"name": "odd", "scope": "read", "expires_in_days": typed})
    if typed.strip():
        assert status == 400 and "number of days" in error_of(text)
        assert await count(pool, "SELECT count(*) AS n FROM api_tokens") == 0
    else:
        assert status == 201  # empty: never expires
    status, text, _ = await alice.post("/api-tokens/revoke", {"id": typed})
    assert status == 404 and "no such token" in error_of(text)
    status, text, _ = await alice.post("/account/sessions/end", {"id": typed})
    assert status == 404 and "no such login session" in error_of(text)


async def _raw_request(url: str, lines: list[bytes]) -> bytes:
    """One HTTP/1.1 request written byte for byte (aiohttp's client would refuse such headers)."""
    u = URL(url)
    reader, writer = await asyncio.open_connection(u.host, u.port)
    try:
        writer.write(b"\r\n".join(lines) + b"\r\nHost: " + f"{u.host}:{u.port}".encode() + b"\r\n"
                     b"Connection: close\r\n\r\n")
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


async def test_a_header_that_is_not_utf8_is_refused_not_a_500(start_node, pool):
    node = await start_node(METRICS_TOKEN="m" * 32)
    answer = await _raw_request(node.console_url, [b"GET /metrics HTTP/1.1", b"Authorization: Bearer \xff\xfe\x80"])
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    answer = await _raw_request(node.console_url, [b"GET /capsuls HTTP/1.1", b"Cookie: capsul_session=\xff\xfe"])
    assert answer.startswith(b"HTTP/1.1 303"), answer[:200]  # not logged in: to the login page


@pytest.mark.parametrize("stamp", ["\u00b2", "9" * 4400, "\u0661\u0662"])
async def test_the_stripe_webhook_refuses_odd_timestamps_and_signatures(billing_node, pool, stamp):  # noqa: F811
    import aiohttp
    async with aiohttp.ClientSession() as session:
        for header in (f"t={stamp},v1=" + "0" * 64, "t=1700000000,v1=\u00e9\u00e9"):
            async with session.post(billing_node.console_url + "/webhooks/stripe", data=b"{}",
                                    headers={"Stripe-Signature": header}) as r:
                assert r.status == 400, (header, await r.text())
    assert await count(pool, "SELECT count(*) AS n FROM payments") == 0


def test_the_parsers_take_plain_ascii_numbers_only():
    assert parse_int(" 42 ") == 42 and parse_int("42", 1, 10) is None
    assert all(parse_int(t) is None for t in ODD_WHOLE_NUMBERS)
    assert parse_money("$12.5") == Decimal("12.50") and parse_money("-5.50", negative=True) == Decimal("-5.50")
    assert all(parse_money(t, negative=True) is None for t in
               ["1e3", "1e400", "5.555", "1,000", "\u0661", "-", "$", ".5", "Infinity", "NaN", "9" * 4400])
    assert parse_money("-5") is None  # negative only where a debit is meant
