"""Upgrades from every landed release: each fixture (tests/release_fixtures/, made by that
release's own code through its own interfaces) is loaded into a fresh cluster and today's code
started on it. Every row is kept, the schema equals a fresh install's (pg_dump --schema-only),
old cookies and tokens work, balances are unchanged, a capsul can be created, stopped and
deleted, and a second start changes nothing."""
from __future__ import annotations

import json
import time
from decimal import Decimal

import aiohttp
import pytest
from cryptography.fernet import Fernet

from capsul.hub import db
from capsul.hub.accounts import api_tokens
from capsul.hub.db import ledger, migrations
from capsul.node import Node
from tests.conftest import METRICS_TOKEN, config_from, eventually
from tests.databases import fixtures, fresh_cluster, load, new_database, schema_of

pytestmark = pytest.mark.timeout(300)

# Tables whose rows a migration rewrites on purpose (0001 rebuilds host_load of main at 6cd8562;
# 0002 gives the embedded spoke's old pool a gateway; every upgrade records its versions in
# schema_state): their keys are kept, not every column.
REWRITTEN = {"host_network": ("host_id", "network_name"), "host_load": ("host_id",), "schema_state": ("only_row",)}
ALICE = "alice@example.org"


def node_env(pg, tls_files, tmp_path) -> dict[str, str]:
    return {"CAPSUL_VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": pg.dsn, "CONSOLE_LISTEN": "127.0.0.1:0",
            "API_LISTEN": "127.0.0.1:0", "TLS_CERT_FILE": str(tls_files.cert), "TLS_KEY_FILE": str(tls_files.key),
            "TLS_CA_FILE": str(tls_files.ca), "HEARTBEAT_INTERVAL": "0.2", "HEARTBEAT_TIMEOUT": "0.2",
            "LIBVIRT_URI": "test:///default", "BILLING_ENABLED": "false", "METRICS_TOKEN": METRICS_TOKEN,
            "ACCOUNT_MAX_CAPSULS": "0", "ACCOUNT_MAX_VCPUS": "0", "ACCOUNT_MAX_MEMORY_MB": "0"}


async def table_rows(pool) -> dict[str, list[dict]]:
    """Every row of every table, as JSON text per row, in a stable order."""
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [r["tablename"] for r in await cur.fetchall()]
        rows = {}
        for table in tables:
            await cur.execute(f"SELECT to_jsonb(t) AS row FROM {table} t")
            rows[table] = [r["row"] for r in await cur.fetchall()]
    return rows


def kept(before: list[dict], after: list[dict], key: tuple[str, ...] | None) -> list:
    """The rows of `before` missing from `after` (compared on before's columns, or on `key`)."""
    columns = key or (tuple(before[0]) if before else ())
    seen = {json.dumps([row.get(c) for c in columns], sort_keys=True, default=str) for row in after}
    return [row for row in before if json.dumps([row.get(c) for c in columns], sort_keys=True, default=str)
            not in seen]


async def balances(pool) -> dict[str, Decimal]:
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT email FROM accounts ORDER BY email")
        return {r["email"]: await ledger.balance(cur, r["email"]) for r in await cur.fetchall()}


async def sql_balances(pool) -> dict[str, Decimal]:
    """What every release's ledger held: credits minus hourly charges (0 before billing existed)."""
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT to_regclass('payments') IS NOT NULL AS billing")
        if not (await cur.fetchone())["billing"]:
            await cur.execute("SELECT email FROM accounts")
            return {r["email"]: Decimal(0) for r in await cur.fetchall()}
        await cur.execute("""SELECT a.email, coalesce((SELECT sum(amount) FROM payments p WHERE p.account = a.email), 0)
                                    - coalesce((SELECT sum(amount) FROM charges c WHERE c.account = a.email), 0) AS b
                             FROM accounts a""")
        return {r["email"]: Decimal(r["b"]) for r in await cur.fetchall()}


@pytest.mark.parametrize("fixture", fixtures(), ids=lambda p: p.stem)
async def test_a_database_of_each_release_upgrades_with_nothing_lost(fixture, tls_files, tmp_path):
    facts = json.loads(fixture.with_suffix(".json").read_text())
    async with fresh_cluster() as pg:
        await load(pg, "capsul", fixture)
        pool = await db.create_pool(pg.dsn, maxsize=4)
        try:
            status = await migrations.status(pool)
            # releases from 0.7.0 on record their migrations; those before are recognised by their schema
            assert status.kind == ("migrated" if "schema_migrations" in facts["rows"] else "before migrations"), status
            assert status.pending and status.refusal is None, status
            before, money = await table_rows(pool), await sql_balances(pool)
            assert {t: len(rows) for t, rows in before.items() if t in facts["rows"]} == facts["rows"]

            _, told = await migrations.upgrade(pool)
            assert told and told[-1].startswith("applied "), told
            after = await table_rows(pool)
            for table, rows in before.items():
                assert not kept(rows, after[table], REWRITTEN.get(table)), f"{table}: rows lost or changed"
            assert await balances(pool) == money
            async with db.cursor(pool) as cur:  # the embedded spoke's old pool has a gateway (0002)
                await cur.execute("SELECT count(*) AS n FROM host_network WHERE host_id = 'local' AND gateway IS NULL")
                assert (await cur.fetchone())["n"] == 0

            fresh = await new_database(pg, "fresh")
            fresh_pool = await db.create_pool(fresh, maxsize=1)
            await migrations.upgrade(fresh_pool)
            fresh_pool.close()
            await fresh_pool.wait_closed()
            assert await schema_of(pg, "capsul") == await schema_of(pg, "fresh")

            node = Node(config_from(node_env(pg, tls_files, tmp_path)))
            await node.start()
            try:
                await people_carry_on(node, pool, facts)
            finally:
                await node.stop()
            assert await balances(pool) == {**money, **{k: v for k, v in (await balances(pool)).items()
                                                        if k not in money}}

            migrated = await migrations.status(pool)
            schema = await schema_of(pg, "capsul")
            node = Node(config_from(node_env(pg, tls_files, tmp_path)))
            await node.start()
            await node.stop()
            assert (await migrations.status(pool)).applied == migrated.applied
            assert await schema_of(pg, "capsul") == schema
        finally:
            pool.close()
            await pool.wait_closed()


async def people_carry_on(node: Node, pool, facts: dict) -> None:
    """Old cookies and tokens still work; a capsul is created, stopped and deleted."""
    base = node.console_url
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        key = await hub_cookie_key(pool)
        for who, cookie in facts["cookies"].items():
            # The cookie is readable with the key the old hubs kept in the database...
            Fernet(key).decrypt(cookie.encode())
            # ...and, while its login lasts (30 days from the fixture), logs in.
            if time.time() - Fernet(key).extract_timestamp(cookie.encode()) < 29 * 24 * 3600:
                async with http.get(f"{base}/capsuls", cookies={"capsul_session": cookie},
                                    allow_redirects=False) as r:
                    assert r.status == 200, (who, r.status)
                    account = who if "@" in who else ALICE
                    assert account in await r.text()
        secret = facts["tokens"].get("deploy")
        if secret is None:  # 0.1.0 had no API tokens: alice makes one today
            secret, _ = await api_tokens.create_token(pool, ALICE, "today", "write", None)
        else:
            for name in ("grafana", "old"):
                async with http.get(f"{base}/api/v1/capsuls",
                                    headers={"Authorization": f"Bearer {facts['tokens'][name]}"}) as r:
                    assert r.status == (401 if name == "old" else 200), (name, r.status)  # "old" was revoked
        auth = {"Authorization": f"Bearer {secret}"}
        async with http.get(f"{base}/api/v1/capsuls", headers=auth) as r:
            assert r.status == 200
            listed = {c["id"] for c in (await r.json())["capsuls"]}
        assert set(await alices_live(pool)) <= listed and facts["capsuls"], listed  # every one still listed

        async def spoke_ready():
            async with db.cursor(pool) as cur:
                await cur.execute("SELECT 1 FROM hosts WHERE id = 'local' AND online AND capacity IS NOT NULL")
                return await cur.fetchone()
        await eventually(spoke_ready, within=30)
        async with http.post(f"{base}/api/v1/capsuls", json={"size": "f1-xs", "os": "debian12",
                                                              "ssh_keys": ["laptop"]},
                             headers={**auth, "Idempotency-Key": "after-upgrade"}) as r:
            body = await r.json()
            assert r.status in (200, 201), body
            vm_id = body["capsul"]["id"]

        async def state() -> str:
            async with http.get(f"{base}/api/v1/capsuls/{vm_id}", headers=auth) as r:
                return (await r.json())["capsul"]["state"]
        await eventually(lambda: _is(state(), "running"), within=30)
        async with http.post(f"{base}/api/v1/capsuls/{vm_id}/actions", json={"action": "force-stop"},
                             headers=auth) as r:
            assert r.status == 200 and (await r.json())["capsul"]["state"] == "stopped"
        async with http.delete(f"{base}/api/v1/capsuls/{vm_id}", headers=auth) as r:
            assert r.status == 200, await r.text()
        await eventually(lambda: _is(state(), "deleted"), within=30)


async def _is(value, wanted) -> bool:
    return (await value) == wanted


async def alices_live(pool) -> list[str]:
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT id FROM vms WHERE account = %s AND state <> 'deleted'", (ALICE,))
        return [r["id"] for r in await cur.fetchall()]


async def hub_cookie_key(pool) -> bytes:
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT value FROM hub_secrets WHERE name = 'session_key'")
        row = await cur.fetchone()
    assert row, "the hubs' cookie key was kept"
    return row["value"].encode()
