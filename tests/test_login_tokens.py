"""Magic-link tokens on the real database: single use, expiry, hashing, rate limits."""
import pytest

from capsul.hub import db

from capsul.hub.accounts import login_tokens
from capsul.hub.accounts.login_tokens import LoginRefused


async def test_a_token_logs_in_once_and_makes_the_account(pool):
    token = await login_tokens.issue(pool, "  Alice@Example.org ", "198.18.0.1")
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT token_hash FROM login_tokens")
        stored = (await cur.fetchone())["token_hash"]
    assert stored != token and len(stored) == 64  # only a hash is kept
    assert await login_tokens.redeem(pool, token) == "alice@example.org"
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT email FROM accounts")
        assert [r["email"] for r in await cur.fetchall()] == ["alice@example.org"]
    with pytest.raises(LoginRefused, match="expired or was used already"):
        await login_tokens.redeem(pool, token)


async def test_expired_and_unknown_tokens_are_refused(pool):
    token = await login_tokens.issue(pool, "bob@example.org", None)
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE login_tokens SET expires_at = now() - interval '1 second'")
    with pytest.raises(LoginRefused, match="expired"):
        await login_tokens.redeem(pool, token)
    with pytest.raises(LoginRefused):
        await login_tokens.redeem(pool, "guessed-" + token[8:])
    with pytest.raises(LoginRefused, match="not valid"):
        await login_tokens.redeem(pool, "x" * 500)
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT count(*) AS n FROM accounts")
        assert (await cur.fetchone())["n"] == 0  # nothing made for a refused link


@pytest.mark.parametrize("email", ["", "no-at-sign", "two@@example.org", "a@b", "spaces in@example.org"])
async def test_bad_addresses_are_refused(pool, email):
    with pytest.raises(LoginRefused, match="Enter one email address"):
        await login_tokens.issue(pool, email, None)


async def test_requests_are_rate_limited_per_email_and_per_client(pool):
    for _ in range(login_tokens.PER_EMAIL[0]):
        await login_tokens.issue(pool, "carol@example.org", "198.18.0.2")
    with pytest.raises(LoginRefused, match="Too many login links") as caught:
        await login_tokens.issue(pool, "carol@example.org", "198.18.0.3")
    assert caught.value.status == 429
    for i in range(login_tokens.PER_CLIENT[0] - login_tokens.PER_EMAIL[0]):
        await login_tokens.issue(pool, f"user{i}@example.org", "198.18.0.2")
    with pytest.raises(LoginRefused, match="from your address"):
        await login_tokens.issue(pool, "dave@example.org", "198.18.0.2")
    await login_tokens.issue(pool, "dave@example.org", "198.18.0.9")  # another client is fine
