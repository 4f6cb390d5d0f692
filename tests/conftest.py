"""Shared fixtures: a real PostgreSQL the suite starts itself, real TLS, real capsul nodes.

Everything runs on loopback with ephemeral ports and temporary folders, and is
stopped and removed at the end.
"""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import aiopg
import pytest

from capsul import tls
from capsul.config import Config, Role, load_config
from capsul.embedded_postgres import EmbeddedPostgres
from capsul.hub import db
from capsul.node import Node

REPO = Path(__file__).resolve().parent.parent
PYTHON = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv").exists() else "python3"


METRICS_TOKEN = "test-suite-metrics-token-0123456789"  # every node's and child process's, unless a test says


HEALTH_HEADERS = {"Authorization": f"Bearer {METRICS_TOKEN}"}  # /healthz's whole report, not only up or down


def shared_tmpdir(prefix: str) -> Path:
    """A temporary folder the postgres user can walk into (pytest's tmp_path is 0700 when root)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="session")
async def postgres() -> AsyncIterator[EmbeddedPostgres]:
    """One private PostgreSQL cluster for the whole run (the same code run.py uses)."""
    folder = shared_tmpdir("capsul-test-pg-")
    pg = EmbeddedPostgres(folder / "data", database="capsul_test")
    try:
        await pg.ensure_running()
        yield pg
    finally:
        await pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def tls_files() -> tls.TlsFiles:
    """A CA and a certificate for loopback, shared by every node and child process of the run."""
    folder = shared_tmpdir("capsul-test-tls-")
    yield tls.ensure_self_signed(folder, ["localhost", "127.0.0.1", "::1"])
    shutil.rmtree(folder, ignore_errors=True)


# Every table of schema.sql but the catalog it seeds (sizes, images), the hubs' shared secrets
# and the record of its migrations.
KEPT_TABLES = {"vm_sizes", "os_images", "hub_secrets", "schema_migrations", "schema_state"}
EMPTIED_TABLES = [t for t in re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", (REPO / "schema.sql").read_text())
                  if t not in KEPT_TABLES]


# The catalog schema.sql seeds: a test's own sizes and images are removed before the next test.
SEEDED = {table: re.findall(r"^  \('([^']+)'", re.search(rf"INSERT INTO {table} .*?;", (REPO / "schema.sql").read_text(),
                                                         re.S | re.M).group(0), re.M)
          for table in ("vm_sizes", "os_images")}


@pytest.fixture
async def pool(postgres) -> AsyncIterator[aiopg.Pool]:
    """A pool on the test database, schema applied, tables emptied and the catalog as seeded
    before the test."""
    p = await db.create_pool(postgres.dsn, maxsize=4)
    await db.bring_schema_up_to_date(p)
    async with db.cursor(p) as cur:
        await cur.execute(f"TRUNCATE {', '.join(EMPTIED_TABLES)} CASCADE")
        for table, ids in SEEDED.items():
            await cur.execute(f"DELETE FROM {table} WHERE id <> ALL(%s)", (ids,))
            await cur.execute(f"UPDATE {table} SET deprecated = false WHERE deprecated")
    yield p
    p.close()
    await p.wait_closed()


@pytest.fixture
def test_env(postgres, tls_files, tmp_path) -> dict[str, str]:
    """Environment for a node on the test database, ephemeral ports and the test CA."""
    return {
        "CAPSUL_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": postgres.dsn,
        "CONSOLE_LISTEN": "127.0.0.1:0",
        "API_LISTEN": "127.0.0.1:0",
        "TLS_CERT_FILE": str(tls_files.cert),
        "TLS_KEY_FILE": str(tls_files.key),
        "TLS_CA_FILE": str(tls_files.ca),
        "HEARTBEAT_INTERVAL": "0.2",
        "HEARTBEAT_TIMEOUT": "0.2",
        "HEARTBEAT_MISSES": "3",
        "LIBVIRT_URI": "test:///default",
        "BILLING_ENABLED": "false",  # the billing tests turn it on
        "METRICS_TOKEN": METRICS_TOKEN,  # /healthz's report (and /metrics) need it
        # tests make many capsuls as one person; tests/test_account_limits.py checks the limits
        "ACCOUNT_MAX_CAPSULS": "0", "ACCOUNT_MAX_VCPUS": "0", "ACCOUNT_MAX_MEMORY_MB": "0",
    }


def config_from(env: dict[str, str], role: Role = Role.BOTH) -> Config:
    return load_config(role, environ=env, env_file=Path("/nonexistent/.env"))


@pytest.fixture
async def start_node(pool, test_env) -> AsyncIterator[Callable[..., Awaitable[Node]]]:
    """start_node(role=Role.BOTH, **env overrides) -> a started Node; all stopped after the test."""
    nodes: list[Node] = []

    async def start(role: Role = Role.BOTH, **overrides: str) -> Node:
        node = Node(config_from({**test_env, **overrides}, role))
        await node.start()
        nodes.append(node)
        if role.hub:  # a first sweep (its own or another hub's) has landed: tests are not raced by it
            async def swept():
                return node.sweep_status.rounds >= 1
            await eventually(swept)
        return node

    yield start
    for node in reversed(nodes):
        await node.stop()


@pytest.fixture
async def https(tls_files) -> AsyncIterator[aiohttp.ClientSession]:
    """A client session that trusts the test CA (certificate and name checked)."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls.client_context(tls_files.ca))) as s:
        yield s


async def eventually(check: Callable[[], Awaitable[object]], *, within: float = 15.0, every: float = 0.05):
    """Await check() until it returns something truthy; fail after `within` seconds.

    A deadline for a condition to come true, not a performance assertion: it is generous.
    """
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"condition not met within {within} s: {check.__name__}")
        await asyncio.sleep(every)


async def when(query: Callable[[], Awaitable[object]], condition: Callable[[object], bool]):
    """query()'s result if it meets `condition`, else None: for eventually(), which returns it."""
    result = await query()
    return result if condition(result) else None


ALICE, BOB = "alice@example.org", "bob@example.org"  # the people of the tests


async def state_of(pool: aiopg.Pool, vm_id: str) -> str:
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT state FROM vms WHERE id = %s", (vm_id,))
        return (await cur.fetchone())["state"]


async def wait_for_state(pool: aiopg.Pool, vm_id: str, state: str, *, within: float = 30) -> None:
    """Wait until the hub's database has the capsul in `state`."""
    async def reached():
        return await state_of(pool, vm_id) == state
    reached.__name__ = f"{vm_id} {state}"
    await eventually(reached, within=within)


async def host_row(pool: aiopg.Pool, host_id: str) -> dict | None:
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT * FROM hosts WHERE id = %s", (host_id,))
        return await cur.fetchone()


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """Environment for a capsul child process: ours minus capsul settings, plus `extra`."""
    from capsul.config import VARIABLES
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env["METRICS_TOKEN"] = METRICS_TOKEN
    env.update(extra)
    env["CAPSUL_ENV_FILE"] = "/dev/null"  # a developer's .env must not leak into tests
    env["PYTHONUNBUFFERED"] = "1"
    return env


def new_public_key(comment: str = "") -> str:
    """A real, fresh ed25519 public key line."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    line = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return f"{line} {comment}".strip()


async def add_account_with_key(pool: aiopg.Pool, email: str = "alice@example.org", key_name: str = "laptop") -> str:
    """An account holding one real ed25519 key, added through the validating service."""
    from capsul.hub.accounts import ssh_keys
    from capsul.hub.db import accounts
    async with db.cursor(pool) as cur:
        await accounts.ensure_account(cur, email)
    await ssh_keys.add_ssh_key(pool, email, new_public_key(email), key_name)
    return email


def checked_pool(cidr: str, first: str | None = None, last: str | None = None, **network):
    """A checked pool for tests: its gateway is the network's last host address (so the range
    starts at the first one), unless `gateway` is given."""
    import ipaddress
    from capsul.hub.db import networks
    network.setdefault("gateway", str(ipaddress.IPv4Network(cidr).broadcast_address - 1))
    return networks.parse_pool(cidr, first, last, **network)


async def spoke_ready(pool: aiopg.Pool, host_id: str = "local") -> None:
    """Wait until the hub has the spoke online with a known capacity (so placement can use it)."""
    async def ready():
        async with db.cursor(pool) as cur:
            await cur.execute("SELECT 1 FROM hosts WHERE id = %s AND online AND capacity IS NOT NULL", (host_id,))
            return await cur.fetchone()
    await eventually(ready)


async def networks_present(pool: aiopg.Pool, host_id: str, within: float = 30) -> None:
    """Wait until a heartbeat has found every libvirt network the host's pools name (after a pool
    changes, the hub keeps the last report, and places nothing there, until the next one).
    Two clean heartbeats recorded after the call: the first may have been asked before the pools
    changed, the second was asked after the first was recorded."""
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT now() AS t")
        since = (await cur.fetchone())["t"]
    for _ in range(2):
        async def present():
            async with db.cursor(pool) as cur:
                await cur.execute("SELECT last_heartbeat_at FROM hosts WHERE id = %s AND online "
                                  "AND missing_networks = '{}' AND last_heartbeat_at > %s", (host_id, since))
                row = await cur.fetchone()
                return row and row["last_heartbeat_at"]
        since = await eventually(present, within=within)


async def pending_create(pool: aiopg.Pool, offered_to: list[str], account: str = "alice@example.org"):
    """A create as the hub leaves it after offering: VM pending, operation open. Returns (op id, vm id)."""
    import uuid
    from capsul.hub.db import operations, vms
    op_id, vm_id = uuid.uuid4(), vms.new_vm_id()
    async with db.cursor(pool) as cur:
        await vms.insert_pending_vm(cur, vm_id, account, "f1-xs", "debian12", [])
        await operations.insert_operation(cur, op_id, "create", {}, account=account, vm_id=vm_id)
        await operations.offer_many(cur, [(op_id, host_id) for host_id in offered_to])
    return op_id, vm_id


@pytest.fixture
async def mail() -> AsyncIterator["MailCatcher"]:
    """A real local SMTP server catching the mails capsul sends."""
    from tests.mail_catcher import MailCatcher
    catcher = MailCatcher()
    await catcher.start()
    yield catcher
    await catcher.stop()


ADMIN_EMAIL = "admin@example.org"


@pytest.fixture
async def console(start_node, mail, pool) -> Node:
    """A hub+spoke node (test:///default) that mails through `mail`, with ADMIN_EMAIL as admin."""
    node = await start_node(ADMIN_EMAIL_ADDRESSES=ADMIN_EMAIL, **mail.env())
    await spoke_ready(pool)
    return node


@pytest.fixture
async def people(console) -> AsyncIterator[Callable[[], "ConsoleClient"]]:
    """make() -> a new ConsoleClient (its own cookies) on the console; all closed after the test."""
    from tests.console_client import ConsoleClient
    clients = []

    def make() -> ConsoleClient:
        clients.append(ConsoleClient(console.console_url))
        return clients[-1]

    yield make
    for c in clients:
        await c.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell whether the test failed
    (the browser tests save a screenshot and the page's HTML then)."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
