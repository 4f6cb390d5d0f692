"""Abuse suite: fuzzed signature headers and JSON bodies, oversized, deeply nested and invalid
UTF-8 bodies, huge headers, SQL-injection strings in every form field and path parameter,
login-link guessing. Never a 500, never a traceback in a response, nothing written."""
from __future__ import annotations

import io
import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capsul import signing
from capsul.hub import db
from tests.conftest import new_public_key
from tests.test_console import ALICE, count, create_capsul, logged_in

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Integers just past PostgreSQL's integer and bigint ranges are where a missing check shows (a 500).
EDGE_INTEGERS = st.sampled_from([0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64, -2**63 - 1, 10**30])
SCALARS = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | EDGE_INTEGERS
           | st.floats(allow_nan=False) | st.text(max_size=40) | st.text(min_size=2000, max_size=3000))
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20)
# the keys the endpoints look for, so fuzzing reaches past the first check
FIELDS = ["id", "type", "vm_id", "command", "events", "seq", "state", "reason", "ts", "capacity", "last_event_seq",
          "vcpus", "memory_mb", "ssh_host_keys", "size", "os_image", "public_ipv4", "version", "payload", "disk_gb",
          "restart", "force", "migration_uri", "files", "tls", "outcome", "network_name", "source_network"]
BODIES = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), JSON_VALUES, max_size=8)
# Event batches that get past the shape check, so the numbers in them reach the database code.
EVENTS = st.fixed_dictionaries({"events": st.lists(st.fixed_dictionaries({
    "seq": st.integers(-2**70, 2**70) | EDGE_INTEGERS, "vm_id": st.just("capsul-aaaaaaaaaa") | st.text(max_size=80),
    "state": st.sampled_from(["running", "stopped", "deleted", "ssh_host_keys"]),
    "reason": st.none() | st.text(max_size=20) | st.text(min_size=2000, max_size=3000),
    "ts": SCALARS}), max_size=4)})
# Rebuilds, resizes and moves of the spoke's capsul that get past the operation's own checks, so that
# the payload's fields reach the spoke's file names, domain XML and seed (capsul/spoke/changes.py,
# capsul/spoke/moves.py).
PAYLOAD_FIELDS = ["vm_id", "vcpus", "memory_mb", "disk_gb", "generation", "os_image", "os_image_file", "kernel_file",
                  "ssh_public_keys", "dns_servers", "public_ipv4", "network_name", "ipv4_prefix", "cpu_model", "segment"]
CHANGES = st.fixed_dictionaries({
    "id": st.just(str(uuid.uuid4())) | st.builds(lambda: str(uuid.uuid4())) | st.text(max_size=10),
    "type": st.sampled_from(["rebuild", "resize", "move_in", "move_out", "move_in_end"]),
    "vm_id": st.just("capsul-aaaaaaaaaa") | st.text(max_size=20),
    "payload": st.dictionaries(st.sampled_from(PAYLOAD_FIELDS), JSON_VALUES, max_size=8) | SCALARS,
    "vcpus": SCALARS, "memory_mb": SCALARS, "disk_gb": SCALARS, "restart": st.sampled_from(["now", "next-stop"])
    | SCALARS, "force": SCALARS, "migration_uri": st.just("qemu+tls://198.51.100.2/system") | SCALARS,
    "files": st.dictionaries(st.sampled_from(["disk", "seed", "console_log", "kernel", "../x"]),
                             st.just("/var/lib/x") | SCALARS, max_size=4) | SCALARS,
    "tls": SCALARS, "outcome": st.sampled_from(["done", "undone"]) | SCALARS})
HEARTBEATS = st.fixed_dictionaries({
    "last_event_seq": SCALARS, "networks": st.lists(st.text(max_size=120), max_size=3) | SCALARS,
    "capacity": st.fixed_dictionaries({k: SCALARS | EDGE_INTEGERS for k in
                                       ("cpus", "memory_mb", "committed_cpus", "committed_memory_mb")})})


def no_traceback(status: int, text: str) -> None:
    assert status < 500, (status, text[:500])
    assert "Traceback" not in text and 'File "' not in text


@given(st.text(max_size=300))
def test_the_signature_header_parser_only_ever_refuses_cleanly(value):
    try:
        parsed = signing.parse_authorization(value)
    except signing.SignatureInvalid:
        return
    assert parsed.host and len(parsed.nonce) == 32 and len(parsed.sig) == 64


@given(host=st.text(max_size=20), ts=st.text(max_size=12), nonce=st.text(max_size=40), sig=st.text(max_size=70))
def test_header_fields_of_any_shape_are_refused_cleanly(host, ts, nonce, sig):
    try:
        signing.parse_authorization(f"Capsul-HMAC-SHA256 host={host}, ts={ts}, nonce={nonce}, sig={sig}")
    except signing.SignatureInvalid:
        pass


def signed(node, path: str, body: bytes, direction: str = signing.SPOKE_TO_HUB) -> dict:
    token = node.config.spoke_host_token if direction == signing.SPOKE_TO_HUB else node.config.hub_token
    return {"Authorization": signing.authorization_header(token, "local", direction, "POST", path, body),
            "Content-Type": "application/json"}


# The hub's firewall document for a spoke (hub/firewall.py), with odd values where addresses, ports and ids go.
FIREWALLS = st.fixed_dictionaries({
    "capsuls": st.lists(st.fixed_dictionaries({
        "id": st.sampled_from(["capsul-aaaaaaaaaa", "capsul-x; drop", ""]) | JSON_VALUES,
        "ipv4": st.sampled_from(["10.0.0.1", "10.0.0.1; flush ruleset", "::1", None]) | JSON_VALUES,
        "ipv6": st.sampled_from(["2001:db8::1", "10.0.0.1", None]) | JSON_VALUES,
        "rules": st.none() | st.lists(st.fixed_dictionaries({
            "protocol": st.sampled_from(["tcp", "udp", "icmp", "sctp"]) | JSON_VALUES,
            "port_from": st.integers(-2**70, 2**70) | JSON_VALUES, "port_to": st.integers(-5, 70000) | JSON_VALUES,
            "source": st.sampled_from(["10.0.0.0/8", "10.0.0.1/8", "x", None]) | JSON_VALUES}), max_size=3)}),
        max_size=3),
    "digest": st.text(max_size=70) | JSON_VALUES, "as_of": st.floats() | JSON_VALUES})

HUB_PATHS = ["/hub/heartbeat", "/hub/events", f"/hub/claim-operation/{uuid.uuid4()}", "/hub/claim-operation/x"]
SPOKE_PATHS = ["/spoke/heartbeat", "/spoke/operation", f"/spoke/operation/{uuid.uuid4()}", "/spoke/operation/x",
               "/spoke/firewall"]


@FUZZ
@given(body=BODIES | EVENTS | HEARTBEATS | CHANGES | FIREWALLS, which=st.integers(0, len(HUB_PATHS + SPOKE_PATHS) - 1))
async def test_every_signed_json_endpoint_answers_fuzzed_bodies_without_a_500(console, https, body, which):
    path = (HUB_PATHS + SPOKE_PATHS)[which]
    direction = signing.SPOKE_TO_HUB if path.startswith("/hub/") else signing.HUB_TO_SPOKE
    raw = json.dumps(body).encode()
    async with https.post(console.api_url + path, data=raw, headers=signed(console, path, raw, direction)) as r:
        text = await r.text()
        no_traceback(r.status, text)
        assert r.content_type == "application/json"
        answer = json.loads(text)
        if r.status >= 400:
            assert set(answer) == {"ok", "error", "status"} and answer["ok"] is False


PUBLIC_FIELDS = ["size", "os", "ssh_keys", "name", "content", "action", "restart", "force", "protocol", "port_from",
                 "port_to", "source", "note"]
PUBLIC_BODIES = st.dictionaries(st.sampled_from(PUBLIC_FIELDS) | st.text(max_size=8), JSON_VALUES, max_size=6)
PUBLIC_PATHS = ["/api/v1/capsuls", "/api/v1/ssh-keys", "/api/v1/capsuls/capsul-aaaaaaaaaa/actions",
                "/api/v1/capsuls/capsul-aaaaaaaaaa/rebuild", "/api/v1/capsuls/capsul-aaaaaaaaaa/resize",
                "/api/v1/capsuls/capsul-aaaaaaaaaa/firewall/rules"]
_tokens: dict[int, str] = {}


@FUZZ
@given(body=PUBLIC_BODIES, which=st.integers(0, len(PUBLIC_PATHS) - 1))
async def test_every_public_json_endpoint_answers_fuzzed_bodies_without_a_500(console, https, pool, body, which):
    """Odd types, integers past PostgreSQL's ranges, long strings: a 4xx in the one error shape."""
    if id(console) not in _tokens:
        from capsul.hub.accounts import api_tokens
        from tests.conftest import add_account_with_key
        await add_account_with_key(pool)
        _tokens[id(console)] = (await api_tokens.create_token(pool, ALICE, "fuzz", "write", None))[0]
    before = await count(pool, "SELECT count(*) AS n FROM vms")
    async with https.post(console.console_url + PUBLIC_PATHS[which], data=json.dumps(body),
                          headers={"Authorization": f"Bearer {_tokens[id(console)]}",
                                   "Content-Type": "application/json"}) as r:
        text = await r.text()
        no_traceback(r.status, text)
        answer = json.loads(text)
        if r.status >= 400:
            assert set(answer) == {"ok", "error", "status"} and answer["ok"] is False
    if r.status >= 400:
        assert await count(pool, "SELECT count(*) AS n FROM vms") == before


@FUZZ
@given(header=st.text(st.characters(min_codepoint=0x20, max_codepoint=0xff, blacklist_characters="\x7f"),
                      max_size=200)
       | st.builds(lambda h, t, n, s: f"Capsul-HMAC-SHA256 host={h}, ts={t}, nonce={n}, sig={s}",
                   st.sampled_from(["local", "x", ""]), st.integers(-2**40, 2**40),
                   st.text("0123456789abcdef", min_size=32, max_size=32),
                   st.text("0123456789abcdef", min_size=64, max_size=64)),
       which=st.integers(0, len(HUB_PATHS + SPOKE_PATHS) - 1))
async def test_fuzzed_authorization_headers_get_a_401(console, https, header, which):
    """Garbage, and well-formed headers with wrong signatures or times: all 401."""
    path = (HUB_PATHS + SPOKE_PATHS)[which]
    async with https.post(console.api_url + path, data=b"{}", headers={"Authorization": header}) as r:
        assert r.status == 401, await r.text()
        assert (await r.json())["ok"] is False


@pytest.mark.parametrize("path, body, words", [
    ("/hub/events", {"events": [{"seq": 2**63, "vm_id": "capsul-aaaaaaaaaa", "state": "running", "reason": None,
                                 "ts": 1}]}, "seq a whole number from 1 to 9223372036854775807"),
    ("/hub/events", {"events": [{"seq": 1.5, "vm_id": "capsul-aaaaaaaaaa", "state": "running", "reason": None,
                                 "ts": 1}]}, "seq a whole number"),
    ("/hub/heartbeat", {"last_event_seq": 2**64}, "last_event_seq must be a whole number from 0 to"),
    ("/hub/heartbeat", {"capacity": {"cpus": 2**31, "memory_mb": 1, "committed_cpus": 0, "committed_memory_mb": 0}},
     "capacity must be an object of cpus"),
    (f"/spoke/operation/{uuid.uuid4()}", {"type": "create", "vm_id": "capsul-aaaaaaaaaa", "vcpus": 2**31,
                                          "memory_mb": 512}, "vcpus must be a whole number from 1 to 2147483647"),
    ("/spoke/heartbeat", {"networks": ["x" * 101]}, "networks must be a list"),
])
async def test_integers_past_postgresqls_ranges_get_a_400_and_change_nothing(console, https, pool, path, body, words):
    before = await count(pool, "SELECT last_applied_seq AS n FROM hosts WHERE id = 'local'")
    raw = json.dumps(body).encode()
    direction = signing.SPOKE_TO_HUB if path.startswith("/hub/") else signing.HUB_TO_SPOKE
    async with https.post(console.api_url + path, data=raw, headers=signed(console, path, raw, direction)) as r:
        answer = await r.json()
        assert r.status == 400 and words in answer["error"], answer
    assert await count(pool, "SELECT last_applied_seq AS n FROM hosts WHERE id = 'local'") == before


@pytest.mark.parametrize("body, status, message", [
    (b"[" * 600_000 + b"]" * 600_000, 413, "larger than"),
    (b"[" * 50_000 + b"]" * 50_000, 400, "nested too deeply"),
    (b'{"events": "\xff\xfe"}', 400, "not valid JSON"),
    (b"\xff" * 100, 400, "not valid JSON"),
    (b"[1, 2]", 400, "JSON object"),
    (b'{"a": NaN}', 400, ""),
])
async def test_bad_bodies_are_refused_with_a_json_error(console, https, body, status, message):
    path = "/hub/events"
    async with https.post(console.api_url + path, data=io.BytesIO(body), headers=signed(console, path, body)) as r:
        text = await r.text()
        no_traceback(r.status, text)
        assert r.status == status, text
        assert message in json.loads(text)["error"]


async def test_huge_headers_are_refused_not_crashed(console, https, people):
    for url in (console.api_url + "/hub/events", console.console_url + "/capsuls"):
        async with https.post(url, data=b"{}", headers={"X-Big": "a" * 100_000}) as r:
            assert r.status in (400, 413, 431)
            no_traceback(r.status, await r.text())
    # and the servers are still there
    status, _ = await people().get("/")
    assert status == 200


INJECTIONS = ["' OR '1'='1", "'; DROP TABLE vms; --", "\" OR 1=1 --", "capsul-aaaaaaaaaa' UNION SELECT * FROM accounts--",
              "%27%20OR%201%3D1", "\x00", "../../etc/passwd", "<script>alert(1)</script>"]


@pytest.mark.parametrize("evil", INJECTIONS)
async def test_sql_injection_strings_in_every_field_and_path_change_nothing(console, mail, people, pool, evil):
    alice = await logged_in(people, mail, ALICE, key=True)
    vm_id = await create_capsul(alice, pool)
    before = {t: await count(pool, f"SELECT count(*) AS n FROM {t}") for t in ("vms", "ssh_public_keys", "accounts")}
    forms = [
        ("/ssh-keys", {"content": evil, "name": evil}),
        ("/ssh-keys", {"content": new_public_key(), "name": evil + "\x01"}),
        ("/ssh-keys/delete", {"name": evil}),
        ("/capsuls/create", [("size", evil), ("os", evil), ("ssh_key", evil)]),
        ("/capsuls/create", [("size", "f1-xs"), ("os", "debian12"), ("ssh_key", evil)]),
        (f"/capsuls/{vm_id}/actions", {"action": evil}),
        ("/login", {"email": evil, "next": evil}),
    ]
    for path, form in forms:
        status, text, _ = await alice.post(path, form)
        no_traceback(status, text)
        assert "<script>alert" not in text  # escaped wherever it is shown
    from urllib.parse import quote
    for path in (f"/capsuls/{quote(evil, safe='')}", f"/capsuls/{quote(evil, safe='')}/delete",
                 f"/login/{quote(evil, safe='')}"):
        status, text = await alice.get(path)
        no_traceback(status, text)
        assert status in (200, 400, 404)
        status, text, _ = await alice.post(path + ("" if path.startswith("/login") else "/actions"),
                                           {"action": "force-stop"})
        no_traceback(status, text)
    after = {t: await count(pool, f"SELECT count(*) AS n FROM {t}") for t in ("vms", "ssh_public_keys", "accounts")}
    assert after == before
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT state FROM vms WHERE id = %s", (vm_id,))
        assert (await cur.fetchone())["state"] in ("creating", "running")


async def test_guessing_login_links_gets_nobody_in(console, mail, people, pool):
    await logged_in(people, mail, ALICE)  # a real link exists and was used
    guesser = people()
    for guess in ["A" * 43, "0" * 43, "a", "", "x" * 200, "../capsuls"]:
        status, text = await guesser.get(f"/login/{guess}")
        no_traceback(status, text)
        status, text, _ = await guesser.post(f"/login/{guess}", {"next": "/capsuls"})
        no_traceback(status, text)
    status, _ = await guesser.get("/capsuls", allow_redirects=False)
    assert status == 303  # still not logged in
    assert await count(pool, "SELECT count(*) AS n FROM accounts") == 1


async def test_a_websocket_client_that_never_reads_is_cut_off_at_its_queue_bound(console, mail, people, pool):
    """A raw TCP client that completes the handshake and then never reads: the socket buffers
    fill, its writer blocks, its queue reaches the bound and it is disconnected; a reading
    client on the same hub gets every message."""
    import asyncio
    import base64
    import os

    from capsul.hub import live
    from tests.test_live_updates import connect, next_message

    alice = await logged_in(people, mail, ALICE)
    reader_ws = await connect(alice)
    assert (await next_message(reader_ws))["type"] == "snapshot"
    broadcaster = console.broadcaster
    before = set(broadcaster.clients)
    host, port = console.console_url.removeprefix("http://").split(":")
    stalled_reader, stalled_writer = await asyncio.open_connection(host, int(port))
    key = base64.b64encode(os.urandom(16)).decode()
    stalled_writer.write((f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                          f"Cookie: capsul_session={alice.session_cookie()}\r\n\r\n").encode())
    await stalled_writer.drain()
    assert b" 101 " in await stalled_reader.readuntil(b"\r\n\r\n")
    await eventually_true(lambda: len(broadcaster.clients) == len(before) + 1)
    stalled = (broadcaster.clients - before).pop()

    big = live.envelope("capsul.state", {"capsul": {"id": "capsul-floodflood", "state": "running"},
                                         "event": {"state": "running", "pad": "x" * 60_000}})
    received = 0

    async def drain_reader():
        nonlocal received
        while True:
            await reader_ws.receive()
            received += 1
    draining = asyncio.create_task(drain_reader())
    i = 0
    try:
        for i in range(2000):  # ~120 MB offered in all: far beyond any socket buffer
            broadcaster.publish(big, account=ALICE)
            if stalled.dropped:
                break
            if i % 20 == 0:
                await asyncio.sleep(0.01)  # let writers run
        assert stalled.dropped and len(stalled.waiting) <= live.QUEUE_BOUND
        await eventually_true(lambda: stalled not in broadcaster.clients)  # disconnected and forgotten
        await eventually_true(lambda: received >= i + 1)  # the reading client got every message
    finally:
        draining.cancel()
        stalled_writer.close()
        await reader_ws.close()


async def eventually_true(condition) -> None:
    from tests.conftest import eventually

    async def check():
        return condition()
    await eventually(check)
