"""The public JSON API and API tokens, end to end over HTTP against a real node: tokens made
and revoked in the console, create/watch/act/delete with a token, read-only tokens, another
person's capsul, idempotent creates, revoked and expired tokens (also on an open websocket),
the one error shape, and the OpenAPI document covering every route."""
from __future__ import annotations

import asyncio
import json
import os
import re
import time
import uuid

import aiohttp
import pytest

from capsul.hub import db

from capsul.hub.accounts import api_tokens
from capsul.hub.api.openapi import openapi_document
from tests.conftest import add_account_with_key, new_public_key
from tests.test_console import ALICE, BOB, count, logged_in

ERROR_KEYS = {"ok", "error", "status"}


class Api:
    """A script using the API with one token."""

    def __init__(self, session: aiohttp.ClientSession, base: str, token: str):
        self.session, self.base, self.token = session, base, token

    async def call(self, method: str, path: str, body=None, headers: dict | None = None) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        async with self.session.request(method, self.base + "/api/v1" + path, json=body, headers=headers) as r:
            assert r.content_type == "application/json", await r.text()
            return r.status, await r.json()

    async def ws(self, query: str = ""):
        return await self.session.ws_connect(self.base + "/ws" + query,
                                             headers={"Authorization": f"Bearer {self.token}"})


@pytest.fixture
async def api(console, pool):
    """make(email, scope="write", expires_in_days=None) -> an Api for a new token of that person."""
    session = aiohttp.ClientSession()

    async def make(email: str = ALICE, scope: str = "write", expires_in_days: int | None = None) -> Api:
        async with db.cursor(pool) as cur:
            await cur.execute("SELECT 1 FROM accounts WHERE email = %s", (email,))
            known = await cur.fetchone()
        if not known:
            await add_account_with_key(pool, email)
        secret, _ = await api_tokens.create_token(pool, email, f"t-{uuid.uuid4().hex[:8]}", scope, expires_in_days)
        return Api(session, console.console_url, secret)

    yield make
    await session.close()


def assert_error(status: int, body: dict, expected_status: int, words: str = "") -> None:
    assert status == expected_status, body
    assert set(body) == ERROR_KEYS and body["ok"] is False and body["status"] == expected_status, body
    assert isinstance(body["error"], str) and words in body["error"], body


async def next_frame(ws, timeout: float = 15) -> dict:
    while True:
        message = json.loads((await asyncio.wait_for(ws.receive(), timeout)).data)
        if message["type"] not in ("ping", "hosts.changed"):
            return message


async def test_create_watch_act_and_delete_with_a_token(api, pool):
    alice = await api()
    status, body = await alice.call("GET", "/sizes")
    assert status == 200 and body["sizes"][0]["id"] == "f1-xs"
    status, body = await alice.call("GET", "/images")
    assert status == 200 and "debian12" in [i["id"] for i in body["images"]]
    ws = await alice.ws()
    assert (await next_frame(ws))["type"] == "snapshot"

    status, body = await alice.call("POST", "/capsuls", {"size": "f1-xs", "os": "debian12", "ssh_keys": ["laptop"]})
    assert status == 201, body
    vm_id, op_id = body["capsul"]["id"], body["operation_id"]
    assert body["capsul"]["state"] in ("creating", "running")
    while True:  # the same events a browser gets
        frame = await next_frame(ws)
        if frame["type"] == "capsul.state" and frame["data"]["capsul"]["state"] == "running":
            assert frame["data"]["capsul"]["id"] == vm_id
            break
    status, body = await alice.call("GET", f"/operations/{op_id}")
    assert status == 200 and body["operation"]["type"] == "create" and body["operation"]["vm_id"] == vm_id

    status, body = await alice.call("POST", f"/capsuls/{vm_id}/actions", {"action": "force-stop"})
    assert status == 200 and body["capsul"]["state"] == "stopped" and body["capsul"]["actions"] == ["start"]
    status, body = await alice.call("POST", f"/capsuls/{vm_id}/actions", {"action": "force-stop"})
    assert_error(status, body, 409, "cannot force stop")
    status, body = await alice.call("GET", "/capsuls")
    assert [c["id"] for c in body["capsuls"]] == [vm_id]
    status, body = await alice.call("DELETE", f"/capsuls/{vm_id}")
    assert status == 200 and body["capsul"]["state"] == "deleted"
    status, body = await alice.call("GET", "/capsuls")
    assert body["capsuls"] == []
    await ws.close()


async def test_ssh_keys_through_the_api_use_the_same_rules(api, pool):
    alice = await api()
    status, body = await alice.call("POST", "/ssh-keys", {"content": "ssh-dss AAAA", "name": "old"})
    assert_error(status, body, 400, "unsupported key type")
    key = new_public_key("desk")
    status, body = await alice.call("POST", "/ssh-keys", {"content": key})
    assert status == 201 and body["ssh_key"]["name"] == "desk" and body["ssh_key"]["fingerprint"].startswith("SHA256:")
    status, body = await alice.call("POST", "/ssh-keys", {"content": key, "name": "again"})
    assert_error(status, body, 400, "added this key already")
    status, body = await alice.call("GET", "/ssh-keys")
    assert sorted(k["name"] for k in body["ssh_keys"]) == ["desk", "laptop"]
    status, body = await alice.call("DELETE", "/ssh-keys/desk")
    assert status == 200 and body == {"deleted": "desk"}
    status, body = await alice.call("DELETE", "/ssh-keys/desk")
    assert_error(status, body, 404, "no key named")


async def test_read_only_tokens_cannot_change_anything(api, pool):
    writer = await api(ALICE)
    status, body = await writer.call("POST", "/capsuls", {"size": "f1-xs", "os": "debian12", "ssh_keys": ["laptop"]})
    vm_id = body["capsul"]["id"]
    reader = await api(ALICE, scope="read")
    before = await count(pool, "SELECT count(*) AS n FROM vms")
    for method, path, body in (("POST", "/capsuls", {"size": "f1-xs", "os": "debian12", "ssh_keys": ["laptop"]}),
                               ("DELETE", f"/capsuls/{vm_id}", None),
                               ("POST", f"/capsuls/{vm_id}/actions", {"action": "force-stop"}),
                               ("POST", "/ssh-keys", {"content": new_public_key()}),
                               ("DELETE", "/ssh-keys/laptop", None)):
        status, answer = await reader.call(method, path, body)
        assert_error(status, answer, 403, "read-only")
    assert await count(pool, "SELECT count(*) AS n FROM vms") == before
    assert await count(pool, "SELECT count(*) AS n FROM ssh_public_keys WHERE account = %s", ALICE) == 1
    status, body = await reader.call("GET", f"/capsuls/{vm_id}")
    assert status == 200 and body["capsul"]["id"] == vm_id


async def test_another_persons_capsul_and_operation_are_404(api, pool):
    alice, bob = await api(ALICE), await api(BOB)
    status, body = await alice.call("POST", "/capsuls", {"size": "f1-xs", "os": "debian12", "ssh_keys": ["laptop"]})
    vm_id, op_id = body["capsul"]["id"], body["operation_id"]
    for method, path, payload in (("GET", f"/capsuls/{vm_id}", None), ("DELETE", f"/capsuls/{vm_id}", None),
                                  ("POST", f"/capsuls/{vm_id}/actions", {"action": "force-stop"}),
                                  ("GET", f"/operations/{op_id}", None), ("GET", "/capsuls/capsul-doesnotexi", None),
                                  ("GET", "/operations/not-a-uuid", None)):
        status, answer = await bob.call(method, path, payload)
        assert_error(status, answer, 404)
    status, body = await bob.call("GET", "/capsuls")
    assert body["capsuls"] == []
    ws = await bob.ws(f"?capsul={vm_id}")
    snapshot = await next_frame(ws)
    assert snapshot["data"] == {"capsuls": [], "watched": None}
    await ws.close()


async def test_a_retried_create_with_the_same_idempotency_key_makes_nothing_new(api, pool):
    alice = await api()
    create = {"size": "f1-xs", "os": "debian12", "ssh_keys": ["laptop"]}
    status, first = await alice.call("POST", "/capsuls", create, headers={"Idempotency-Key": "order-42"})
    assert status == 201
    status, again = await alice.call("POST", "/capsuls", create, headers={"Idempotency-Key": "order-42"})
    assert status == 200 and again["capsul"]["id"] == first["capsul"]["id"]
    assert again["operation_id"] == first["operation_id"]
    assert await count(pool, "SELECT count(*) AS n FROM vms") == 1
    status, body = await alice.call("POST", "/capsuls", {**create, "size": "f1-s"},
                                    headers={"Idempotency-Key": "order-42"})
    assert_error(status, body, 409, "different request")
    # the same key from another person is their own key
    bob = await api(BOB)
    status, body = await bob.call("POST", "/capsuls", create, headers={"Idempotency-Key": "order-42"})
    assert status == 201 and body["capsul"]["id"] != first["capsul"]["id"]
    results = await asyncio.gather(*(alice.call("POST", "/capsuls", create, headers={"Idempotency-Key": "burst"})
                                     for _ in range(5)))
    assert len({r[1]["capsul"]["id"] for r in results if r[0] in (200, 201)}) == 1
    assert await count(pool, "SELECT count(*) AS n FROM vms WHERE account = %s", ALICE) == 2


@pytest.mark.parametrize("body, words", [
    ({"os": "debian12", "ssh_keys": ["laptop"]}, "'size' must be a string"),
    ({"size": "f1-xs", "os": "debian12", "ssh_keys": "laptop"}, "'ssh_keys' must be a list"),
    ({"size": "f1-xs", "os": "debian12", "ssh_keys": [1]}, "list of your SSH key names"),
    ({"size": "f1-xs", "os": "debian12", "ssh_keys": []}, "choose at least one SSH key"),
    ({"size": "huge", "os": "debian12", "ssh_keys": ["laptop"]}, "unknown size"),
    ({"size": "f1-xs", "os": "debian12", "ssh_keys": ["nope"]}, "no SSH key named"),
    ([1, 2], "must be a JSON object"),
])
async def test_bad_creates_get_the_one_error_shape_and_write_nothing(api, pool, body, words):
    alice = await api()
    status, answer = await alice.call("POST", "/capsuls", body)
    assert_error(status, answer, 400, words)
    assert await count(pool, "SELECT count(*) AS n FROM vms") == 0


async def test_missing_malformed_revoked_and_expired_tokens_are_refused(api, pool, console):
    alice = await api()
    async with alice.session.get(console.console_url + "/api/v1/capsuls") as r:
        assert_error(r.status, await r.json(), 401, "Bearer")
    for token in ("nonsense", "capsul_" + "A" * 43):
        status, body = await Api(alice.session, alice.base, token).call("GET", "/capsuls")
        assert_error(status, body, 401, "not valid")
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT id FROM api_tokens ORDER BY id DESC LIMIT 1")
        token_id = (await cur.fetchone())["id"]
    await api_tokens.revoke_token(pool, ALICE, token_id)
    status, body = await alice.call("GET", "/capsuls")
    assert_error(status, body, 401, "revoked")

    expiring = await api(ALICE, expires_in_days=1)
    status, _ = await expiring.call("GET", "/capsuls")
    assert status == 200
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = "
                          "(SELECT max(id) FROM api_tokens)")
    status, body = await expiring.call("GET", "/capsuls")
    assert_error(status, body, 401, "expired")


async def test_a_revoked_token_is_cut_off_an_open_websocket(api, pool):
    alice = await api()
    ws = await alice.ws()
    assert (await next_frame(ws))["type"] == "snapshot"
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT max(id) AS id FROM api_tokens")
        token_id = (await cur.fetchone())["id"]
    revoked_at = time.monotonic()
    await api_tokens.revoke_token(pool, ALICE, token_id)
    msg = await asyncio.wait_for(ws.receive(), 10)
    while msg.type == aiohttp.WSMsgType.TEXT:  # a ping may be on its way
        msg = await asyncio.wait_for(ws.receive(), 10)
    took = time.monotonic() - revoked_at
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    print(f"websocket closed {took * 1000:.0f} ms after the revocation")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await alice.ws()
    assert refused.value.status == 401


async def test_tokens_are_made_shown_once_listed_and_revoked_in_the_console(console, mail, people, pool):
    alice = await logged_in(people, mail, ALICE)
    status, text, _ = await alice.post("/api-tokens", {"name": "backup script", "scope": "read",
                                                       "expires_in_days": "30"})
    assert status == 201 and "shown this once" in text
    secret = re.search(r'id="secret" readonly size="60" value="(capsul_[A-Za-z0-9_-]+)"', text).group(1)
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT token_hash, scope FROM api_tokens")
        row = await cur.fetchone()
    assert row["scope"] == "read" and secret not in row["token_hash"]  # stored hashed
    status, text = await alice.get("/api-tokens")
    assert "backup script" in text and "read-only" in text and secret not in text  # never shown again
    status, text, _ = await alice.post("/api-tokens", {"name": "backup script", "scope": "write"})
    assert status == 400 and "already have a token named" in text
    status, text, _ = await alice.post("/api-tokens", {"name": "x", "scope": "admin"})
    assert status == 400 and "read-only or read-write" in text
    status, text, _ = await alice.post("/api-tokens", {"name": "x", "scope": "read", "expires_in_days": "-3"})
    assert status == 400
    assert await count(pool, "SELECT count(*) AS n FROM api_tokens") == 1

    token_id = re.search(r'data-token-id="(\d+)"', text).group(1)
    bob = await logged_in(people, mail, BOB)
    status, _, _ = await bob.post("/api-tokens/revoke", {"id": token_id})
    assert status == 404  # not Bob's
    status, text, _ = await alice.post("/api-tokens/revoke", {"id": token_id})
    assert status == 200 and "Revoked the token" in text
    assert await count(pool, "SELECT count(*) AS n FROM api_tokens WHERE revoked_at IS NULL") == 0


async def test_the_openapi_document_describes_every_route(console):
    from aiohttp.web_urldispatcher import PrefixedSubAppResource
    api_app = next(r._app for r in console.console_app.router.resources() if isinstance(r, PrefixedSubAppResource)
                   and r.canonical == "/api/v1")
    served = set()
    for route in api_app.router.routes():
        if route.method == "HEAD":
            continue
        path = route.resource.canonical.removeprefix("/api/v1")  # routes of a sub-app carry its prefix
        if path != "/openapi.json":
            served.add((path, route.method.lower()))
    document = openapi_document()
    described = {(path, method) for path, item in document["paths"].items() for method in item}
    assert served == described
    async with aiohttp.ClientSession() as session:
        async with session.get(console.console_url + "/api/v1/openapi.json") as r:  # no token needed
            assert r.status == 200 and (await r.json())["openapi"].startswith("3.")


async def test_run_py_watch_prints_events_and_reconnects_by_itself(start_node, pool, mail):
    from tests.conftest import PYTHON, REPO, child_env, spoke_ready
    from tests.spoke_cluster import free_port
    port = free_port()
    node = await start_node(CONSOLE_LISTEN=f"127.0.0.1:{port}", **mail.env())
    await spoke_ready(pool)
    await add_account_with_key(pool, ALICE)
    secret, _ = await api_tokens.create_token(pool, ALICE, "watcher", "read", None)
    writer_secret, _ = await api_tokens.create_token(pool, ALICE, "writer", "write", None)
    async with aiohttp.ClientSession() as session:  # a capsul before it starts: its snapshot shows it connected
        status, body = await Api(session, node.console_url, writer_secret).call(
            "POST", "/capsuls", {"size": "f1-xs", "os": "debian12", "ssh_keys": ["laptop"]})
        first = body["capsul"]["id"]
    watcher = await asyncio.create_subprocess_exec(
        PYTHON, "run.py", "watch", cwd=REPO, env=child_env({"CAPSUL_URL": node.console_url,
                                                               "CAPSUL_TOKEN": secret}),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)

    async def line_with(*words: str) -> str:
        while True:
            line = (await asyncio.wait_for(watcher.stdout.readline(), 30)).decode()
            assert line, (await watcher.stderr.read()).decode()
            if all(w in line for w in words):
                return line

    try:
        async with aiohttp.ClientSession() as session:
            alice = Api(session, node.console_url, writer_secret)
            await line_with(first, "(now)")  # connected: its snapshot came
            status, body = await alice.call("POST", "/capsuls", {"size": "f1-xs", "os": "debian12",
                                                                 "ssh_keys": ["laptop"]})
            vm_id = body["capsul"]["id"]
            assert re.match(r"^\d{4}-\d\d-\d\dT\S+ capsul-\w{10} running( — .*)?\n$", await line_with(vm_id, "running"))
            await node.stop()  # the hub goes away ...
            node = await start_node(CONSOLE_LISTEN=f"127.0.0.1:{port}", **mail.env())  # ... and comes back
            assert "(now)" in await line_with(vm_id, "(now)")  # reconnected: a fresh snapshot
            await spoke_ready(pool)
            alice = Api(session, node.console_url, writer_secret)
            # (the restarted test hypervisor has forgotten the first capsul: make another)
            status, body = await alice.call("POST", "/capsuls", {"size": "f1-xs", "os": "debian12",
                                                                 "ssh_keys": ["laptop"]})
            assert status == 201, body
            await line_with(body["capsul"]["id"], "running")
        await api_tokens.revoke_token(pool, ALICE, (await _token_id(pool, "watcher")))
        assert await asyncio.wait_for(watcher.wait(), 60) == 1  # a revoked token ends it
        assert "the token was revoked" in (await watcher.stderr.read()).decode()
    finally:
        if watcher.returncode is None:
            watcher.kill()
            await watcher.wait()


async def _token_id(pool, name: str) -> int:
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT id FROM api_tokens WHERE name = %s", (name,))
        return (await cur.fetchone())["id"]


async def test_schemathesis_finds_no_server_error(console, pool, tmp_path):
    """Requests generated from /api/v1/openapi.json (schemathesis, in its own process) against the
    running API with a read-write token: no 500 anywhere."""
    from tests.conftest import REPO
    await add_account_with_key(pool, ALICE)
    secret, _ = await api_tokens.create_token(pool, ALICE, "schemathesis", "write", None)
    proc = await asyncio.create_subprocess_exec(
        str(REPO / ".venv" / "bin" / "schemathesis"), "run", console.console_url + "/api/v1/openapi.json",
        "--header", f"Authorization: Bearer {secret}", "--checks", "not_a_server_error",
        "--max-examples", "30", "--request-timeout", "30", "--generation-deterministic",
        cwd=tmp_path, env={**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 600)
    report = out.decode(errors="replace")
    assert proc.returncode == 0, report[-6000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", report)
    assert generated and generated.group(1) == generated.group(2) and int(generated.group(1)) >= 100, report[-3000:]


async def test_last_used_is_recorded_without_a_write_per_request(api, pool):
    alice = await api()

    async def last_used():
        async with db.cursor(pool) as cur:
            await cur.execute("SELECT last_used_at FROM api_tokens")
            return (await cur.fetchone())["last_used_at"]
    assert await last_used() is None
    assert (await alice.call("GET", "/sizes"))[0] == 200
    first = await last_used()
    assert first is not None
    for _ in range(5):
        assert (await alice.call("GET", "/capsuls"))[0] == 200
    assert await last_used() == first  # within a minute: not written again
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE api_tokens SET last_used_at = now() - interval '2 minutes'")
    stale = await last_used()
    assert (await alice.call("GET", "/sizes"))[0] == 200
    assert await last_used() > stale


async def test_making_tokens_is_rate_limited_and_dead_ones_are_purged(console, pool):
    """300 revoke-and-make cycles went through in 5 s, and revoked tokens stayed forever."""
    from capsul.hub import housekeeping
    await add_account_with_key(pool, BOB)
    for i in range(api_tokens.MADE_PER_HOUR):
        _, row = await api_tokens.create_token(pool, BOB, f"cycle-{i}", "read", None)
        await api_tokens.revoke_token(pool, BOB, row["id"])
    with pytest.raises(api_tokens.TokenRefused, match="in the last hour") as refused:
        await api_tokens.create_token(pool, BOB, "one more", "read", None)
    assert refused.value.status == 429
    async with db.cursor(pool) as cur:  # a month later: the hour's limit has passed, the revoked are old
        await cur.execute("UPDATE api_tokens SET created_at = created_at - interval '40 days', "
                          "revoked_at = revoked_at - interval '40 days' WHERE account = %s", (BOB,))
    _, live = await api_tokens.create_token(pool, BOB, "kept", "read", None)
    _, expired = await api_tokens.create_token(pool, BOB, "expired long ago", "read", 1)
    async with db.cursor(pool) as cur:
        await cur.execute("UPDATE api_tokens SET expires_at = now() - interval '31 days' WHERE id = %s",
                          (expired["id"],))
    assert await housekeeping.forget_old_logins(pool) >= api_tokens.MADE_PER_HOUR + 1
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT name FROM api_tokens WHERE account = %s", (BOB,))
        assert [r["name"] for r in await cur.fetchall()] == ["kept"]
