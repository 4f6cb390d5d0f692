"""Every rejection of docs/architecture.md §3, over real HTTPS to a real hub+spoke node.

Each refused request must answer 401 (or 413/400) with the standard JSON error and
change nothing in the database.
"""
import io
import json
import time

import pytest

from capsul import signing
from capsul.version import VERSION
from capsul.hub import db
from capsul.hub.db import hosts
from tests.conftest import eventually, host_row


@pytest.fixture
async def node(start_node, pool):
    # A long interval: only the requests of the test touch the host's row.
    node = await start_node(HEARTBEAT_INTERVAL="3600", HEARTBEAT_TIMEOUT="2")

    async def announced():
        return node.spoke_state.hub_announced

    await eventually(announced)
    return node


# What a spoke of this release announces itself with (older ones are refused: capsul/version.py)
ANNOUNCE = json.dumps({"version": VERSION}).encode()


def announcing(**fields) -> bytes:
    return json.dumps({"version": VERSION, **fields}).encode()


async def send(https, node, path, body=ANNOUNCE, *, token=None, host=None, direction=signing.SPOKE_TO_HUB,
               ts=None, nonce=None, signed_path=None, signed_body=None, header=None):
    """POST `body` to the node's API, signed with the given (possibly wrong) parts."""
    config = node.config
    if header is None:
        header = signing.authorization_header(
            token or config.spoke_host_token, host or config.spoke_host_id, direction, "POST",
            signed_path or path, body if signed_body is None else signed_body, ts=ts, nonce=nonce)
    headers = {"Content-Type": "application/json"}
    if header is not False:
        headers["Authorization"] = header
    async with https.post(node.api_url + path, data=io.BytesIO(body), headers=headers) as resp:
        return resp.status, await resp.json()


async def snapshot(pool):
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT * FROM hosts ORDER BY id")
        return await cur.fetchall()


async def test_a_signed_heartbeat_is_accepted_and_recorded(https, node, pool):
    before = await host_row(pool, "local")
    status, answer = await send(https, node, "/hub/heartbeat", announcing(last_event_seq=42))
    assert (status, answer) == (200, {"ok": True, "host_id": "local", "networks": ["default"], "version": VERSION})
    after = await host_row(pool, "local")
    assert after["last_event_seq"] == 42 and after["last_heartbeat_at"] > before["last_heartbeat_at"]


# Well outside the 60 s window: whole seconds and the trip over HTTPS blur the edge
# (the exact boundary is pinned in test_signing.py with a fixed clock).
def too_old():
    return int(time.time()) - 90


def too_new():
    return int(time.time()) + 90


@pytest.mark.parametrize("case, kwargs, reason", [
    ("missing header", {"header": False}, "missing Authorization header"),
    ("malformed header", {"header": "Capsul-HMAC-SHA256 host=local"}, "malformed Authorization header"),
    ("unknown host", {"host": "nobody"}, "unknown host 'nobody'"),
    ("timestamp 90 s old", {"ts": too_old}, "timestamp"),
    ("timestamp 90 s ahead", {"ts": too_new}, "timestamp"),
    ("tampered body", {"signed_body": b'{"last_event_seq": 1}'}, "signature does not match"),
    ("tampered path", {"signed_path": "/hub/events"}, "signature does not match"),
    ("wrong direction", {"direction": signing.HUB_TO_SPOKE}, "signature does not match"),
    ("wrong token", {"token": "ab" * 32}, "signature does not match"),
])
async def test_hub_refuses_with_401_and_changes_nothing(https, node, pool, case, kwargs, reason):
    kwargs = {k: (v() if callable(v) else v) for k, v in kwargs.items()}
    before = await snapshot(pool)
    status, answer = await send(https, node, "/hub/heartbeat", announcing(last_event_seq=99), **kwargs)
    assert status == 401
    assert answer["ok"] is False and answer["status"] == 401 and reason in answer["error"]
    assert set(answer) == {"ok", "error", "status"}
    assert await snapshot(pool) == before


async def test_a_request_reflected_back_is_refused(https, node, pool):
    """The hub's own request to the spoke, replayed at the hub: the direction line differs."""
    body = b"{}"
    header = signing.authorization_header(node.config.hub_token, "local", signing.HUB_TO_SPOKE, "POST",
                                          "/hub/heartbeat", body)
    status, answer = await send(https, node, "/hub/heartbeat", body, header=header)
    assert status == 401 and answer["error"] == "signature does not match"


async def test_a_replayed_request_is_refused(https, node, pool):
    body = announcing(last_event_seq=7)
    header = signing.authorization_header(node.config.spoke_host_token, "local", signing.SPOKE_TO_HUB, "POST",
                                          "/hub/heartbeat", body)
    assert (await send(https, node, "/hub/heartbeat", body, header=header))[0] == 200
    before = await snapshot(pool)
    status, answer = await send(https, node, "/hub/heartbeat", body, header=header)
    assert status == 401 and "nonce already used" in answer["error"]
    assert await snapshot(pool) == before


async def test_a_rotated_token_works_during_its_grace_period_and_not_after(https, node, pool):
    old = node.config.spoke_host_token
    async with db.cursor(pool) as cur:
        new, _ = await hosts.rotate_tokens(cur, "local", grace_seconds=3600)
    assert (await send(https, node, "/hub/heartbeat", token=old))[0] == 200
    assert (await send(https, node, "/hub/heartbeat", token=new))[0] == 200
    async with db.cursor(pool) as cur:  # the grace period ends
        await cur.execute("UPDATE hosts SET previous_valid_until = now() - interval '1 second'")
    before = await snapshot(pool)
    status, answer = await send(https, node, "/hub/heartbeat", token=old)
    assert status == 401 and answer["error"] == "signature does not match"
    assert await snapshot(pool) == before
    assert (await send(https, node, "/hub/heartbeat", token=new))[0] == 200


async def test_a_body_over_1_mib_gets_413(https, node, pool):
    body = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    before = await snapshot(pool)
    status, answer = await send(https, node, "/hub/heartbeat", body)
    assert status == 413 and answer["status"] == 413
    assert await snapshot(pool) == before


async def test_a_chunked_body_over_1_mib_gets_413(https, node, pool):
    body = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    header = signing.authorization_header(node.config.spoke_host_token, "local", signing.SPOKE_TO_HUB, "POST",
                                          "/hub/heartbeat", body)

    async def chunks():
        for i in range(0, len(body), 65536):
            yield body[i:i + 65536]

    async with https.post(node.api_url + "/hub/heartbeat", data=chunks(),
                          headers={"Authorization": header}) as resp:
        assert resp.status == 413
        assert (await resp.json())["status"] == 413


@pytest.mark.parametrize("body, reason", [
    (b"not json", "request body is not valid JSON"),
    (b"\xff\xfe", "request body is not valid JSON"),
    (b"[1, 2]", "request body must be a JSON object"),
])
async def test_a_signed_body_that_is_not_a_json_object_gets_400(https, node, pool, body, reason):
    before = await snapshot(pool)
    status, answer = await send(https, node, "/hub/heartbeat", body)
    assert (status, answer) == (400, {"ok": False, "error": reason, "status": 400})
    assert await snapshot(pool) == before


async def test_bad_field_types_get_400(https, node, pool):
    status, answer = await send(https, node, "/hub/heartbeat", json.dumps({"last_event_seq": "7"}).encode())
    assert status == 400 and "last_event_seq" in answer["error"]


async def test_spoke_answers_the_hub_with_its_capacity(https, node):
    status, answer = await send(https, node, "/spoke/heartbeat", token=node.config.hub_token,
                                direction=signing.HUB_TO_SPOKE)
    assert status == 200
    # test:///default: a 16-CPU, 3 GiB host; its sample domain "test" is not a capsul
    assert answer["capacity"] == {"cpus": 16, "memory_mb": 3072, "committed_cpus": 0,
                                  "committed_memory_mb": 0}
    assert answer["last_event_seq"] == 0 and answer["host_id"] == "local"


@pytest.mark.parametrize("kwargs, reason", [
    ({"token": None}, "signature does not match"),  # the spoke's own token cannot sign as the hub
    ({"direction": signing.SPOKE_TO_HUB}, "signature does not match"),
    ({"host": "other"}, "unknown host 'other'"),
    ({"header": False}, "missing Authorization header"),
])
async def test_spoke_refuses_what_the_hub_did_not_sign(https, node, kwargs, reason):
    kwargs = {"token": node.config.hub_token, "direction": signing.HUB_TO_SPOKE, **kwargs}
    if kwargs["token"] is None:
        kwargs["token"] = node.config.spoke_host_token
    status, answer = await send(https, node, "/spoke/heartbeat", **kwargs)
    assert status == 401 and reason in answer["error"]


async def test_unknown_api_path_is_a_json_404(https, node):
    async with https.get(node.api_url + "/nothing-here") as resp:
        assert resp.status == 404
        assert await resp.json() == {"ok": False, "error": "Not Found", "status": 404}


async def test_the_query_string_is_signed_and_a_request_without_one_is_as_before(https, node, pool):
    """The signature left the query out: one could be appended to a captured request. A request
    with no query signs the same line as older releases did, so they keep talking to this one."""
    before = await snapshot(pool)
    status, answer = await send(https, node, "/hub/heartbeat?last_event_seq=1", signed_path="/hub/heartbeat")
    assert status == 401 and answer["error"] == "signature does not match"
    assert await snapshot(pool) == before
    status, _ = await send(https, node, "/hub/heartbeat?x=1")  # signed with its query: accepted
    assert status == 200
    old_style = signing.string_to_sign(signing.SPOKE_TO_HUB, "POST", "/hub/heartbeat", 1, "0" * 32, b"{}")
    assert old_style == b"spoke->hub\nPOST\n/hub/heartbeat\n1\n" + b"0" * 32 + b"\n" + \
        b"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"  # sha256 of {}
