"""The signing scheme of docs/architecture.md §3, checked against a restatement of the spec, and the nonce cache."""
import hashlib
import hmac

import pytest

from capsul import signing

TOKEN = "0f" * 32
NONCE = "0123456789abcdef0123456789abcdef"


def test_signature_follows_the_design_exactly():
    body = b'{"x":1}'
    lines = ["spoke->hub", "POST", "/hub/events", "1700000000", NONCE, hashlib.sha256(body).hexdigest()]
    expected = hmac.new(TOKEN.encode(), "\n".join(lines).encode(), hashlib.sha256).hexdigest()
    header = signing.authorization_header(TOKEN, "spoke1", "spoke->hub", "post", "/hub/events", body,
                                          ts=1700000000, nonce=NONCE)
    assert header == f"Capsul-HMAC-SHA256 host=spoke1, ts=1700000000, nonce={NONCE}, sig={expected}"
    parsed = signing.parse_authorization(header)
    assert (parsed.host, parsed.ts, parsed.nonce, parsed.sig) == ("spoke1", 1700000000, NONCE, expected)


def test_empty_body_hashes_the_empty_string():
    message = signing.string_to_sign("hub->spoke", "POST", "/spoke/heartbeat", 1, NONCE, b"")
    assert message.endswith(b"\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


@pytest.mark.parametrize("header", [
    None,
    "",
    "Bearer abc",
    f"Capsul-HMAC-SHA256 host=s1, ts=1, nonce={NONCE}",  # no sig
    f"Capsul-HMAC-SHA256 host=s1, ts=1, nonce={NONCE[:-1]}, sig={'a' * 64}",  # short nonce
    f"Capsul-HMAC-SHA256 host=s1, ts=1, nonce={NONCE}, sig={'A' * 64}",  # uppercase hex
    f"Capsul-HMAC-SHA256 host=S 1, ts=1, nonce={NONCE}, sig={'a' * 64}",
    f"Capsul-HMAC-SHA256 host=s1, ts=-1, nonce={NONCE}, sig={'a' * 64}",
    f"Capsul-HMAC-SHA256 host=s1, ts=1, nonce={NONCE}, sig={'a' * 64}, extra=1",
    f"capsul-hmac-sha256 host=s1, ts=1, nonce={NONCE}, sig={'a' * 64}",
])
def test_malformed_headers_are_refused(header):
    with pytest.raises(signing.SignatureInvalid):
        signing.parse_authorization(header)


def test_nonce_cache_refuses_a_repeat():
    cache = signing.NonceCache()
    assert cache.check_and_add("s1", NONCE, 1000, now=1000)
    assert not cache.check_and_add("s1", NONCE, 1000, now=1001)
    assert cache.check_and_add("s2", NONCE, 1000, now=1001)  # nonces are per host


def test_nonce_cache_is_bounded_and_never_lets_a_dropped_nonce_back_in():
    cache = signing.NonceCache(max_entries=100)
    nonces = [f"{i:032x}" for i in range(1000)]
    for i, nonce in enumerate(nonces):
        assert cache.check_and_add("s1", nonce, 1000 + i // 100, now=1000 + i // 100)
        assert len(cache) <= 100
    # the first nonce was dropped to make room; replaying it is still refused
    assert not cache.check_and_add("s1", nonces[0], 1000, now=1009)
    # a fresh request still gets in
    assert cache.check_and_add("s1", "f" * 32, 1010, now=1010)


def test_nonce_cache_forgets_what_the_timestamp_window_already_refuses():
    cache = signing.NonceCache(window=60)
    for i in range(50):
        cache.check_and_add("s1", f"{i:032x}", 1000, now=1000)
    assert len(cache) == 50
    cache.check_and_add("s1", "e" * 32, 1100, now=1100)
    assert len(cache) == 1


@pytest.mark.parametrize("skew, accepted", [(0, True), (60, True), (-60, True), (61, False), (-61, False)])
async def test_the_timestamp_window_is_60_seconds_either_way(skew, accepted):
    now = 1_700_000_000
    verifier = signing.Verifier(signing.SPOKE_TO_HUB, lambda host: _tokens(host), clock=lambda: now)
    header = signing.authorization_header(TOKEN, "s1", signing.SPOKE_TO_HUB, "POST", "/hub/heartbeat", b"{}",
                                          ts=now + skew)

    async def body():
        return b"{}"

    if accepted:
        auth, index, _ = await verifier.verify("POST", "/hub/heartbeat", header, body)
        assert (auth.host, index) == ("s1", 0)
    else:
        with pytest.raises(signing.SignatureInvalid, match="more than 60 s away"):
            await verifier.verify("POST", "/hub/heartbeat", header, body)


async def _tokens(host):
    return [TOKEN] if host == "s1" else []
