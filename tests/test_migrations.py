"""Migrations refuse before anything commits: older code refuses a newer database, an edited
migration is refused, one that fails halfway leaves the database exactly as it was, and
AUTO_MIGRATE=false refuses a database that needs migrating. The embedded pool's migration
around a live capsul at .1; remove-network mending the overlapping pools 0.2.0 allowed; two
hubs migrating at once."""
from __future__ import annotations

import asyncio
import shutil

import pytest

from capsul.hub import db
from capsul.hub.db import migrations
from tests.databases import FIXTURES, everything_in, load, new_database
from tests.processes import run_cli

pytestmark = pytest.mark.timeout(180)
RELEASE_0_2 = FIXTURES / "0.2.0-01a0131.sql"  # the pool of the embedded spoke holds a live capsul at .1


@pytest.fixture
async def old_database(postgres):
    """make(fixture, name) -> (dsn, pool) of a new database loaded with a release's fixture."""
    pools = []

    async def make(fixture=RELEASE_0_2, name: str = "capsul_old"):
        dsn = await new_database(postgres, name)
        await load(postgres, name, fixture)
        pool = await db.create_pool(dsn, maxsize=4)
        pools.append(pool)
        return dsn, pool
    yield make
    for pool in pools:
        pool.close()
        await pool.wait_closed()


async def one(pool, query: str, *args):
    async with db.cursor(pool) as cur:
        await cur.execute(query, args)
        return await cur.fetchall()


def refusal_lines(stderr: str) -> int:
    """How many lines say why it stopped (log lines before them are the start's); never a traceback."""
    assert "Traceback" not in stderr, stderr
    return sum(1 for line in stderr.splitlines() if line.startswith("capsul:"))


def cli_env(dsn: str, tmp_path, **extra) -> dict[str, str]:
    return {"DATABASE_URL": dsn, "CAPSUL_VAR_DIR": str(tmp_path / "var"), **extra}


async def test_older_code_refuses_a_newer_database_with_one_line(old_database, tmp_path):
    dsn, pool = await old_database()
    await migrations.upgrade(pool)
    await one(pool, "UPDATE schema_state SET oldest_version = '9.1.0', newest_version = '9.2.0' RETURNING 1")
    status, out, err = await run_cli(["--hub"], cli_env(dsn, tmp_path, CONSOLE_LISTEN="127.0.0.1:0",
                                                        API_LISTEN="127.0.0.1:0"))
    assert status == 1 and refusal_lines(err) == 1, err
    assert "needs capsul 9.1.0 or later" in err and "capsul 9.2.0 upgraded it" in err, err
    status, out, err = await run_cli(["db-status"], cli_env(dsn, tmp_path))
    assert status == 2 and "this code refuses it: this database needs capsul 9.1.0" in out, out
    with pytest.raises(migrations.Refused, match="9.1.0"):
        await migrations.upgrade(pool)


async def test_an_edited_migration_is_refused(old_database, tmp_path):
    _, pool = await old_database()
    await migrations.upgrade(pool)
    edited = tmp_path / "migrations"
    shutil.copytree(migrations.FOLDER, edited, ignore=shutil.ignore_patterns("__pycache__"))
    target = edited / "0002_embedded_pool_gateway.py"
    target.write_text(target.read_text() + "\n# a fix made after the release\n")
    with pytest.raises(migrations.Refused) as refused:
        await migrations.upgrade(pool, folder=edited)
    assert "0002_embedded_pool_gateway was applied as" in str(refused.value)
    assert "a released migration is never edited" in str(refused.value) and "\n" not in str(refused.value)


async def test_a_migration_that_fails_halfway_leaves_the_database_as_it_was(old_database, postgres, tmp_path):
    _, pool = await old_database()
    folder = tmp_path / "migrations"
    shutil.copytree(migrations.FOLDER, folder, ignore=shutil.ignore_patterns("__pycache__"))
    last = len(migrations.discover())
    (folder / f"{last + 1:04d}_breaks_halfway.sql").write_text(
        "-- oldest version: 0.6.0\nALTER TABLE vms ADD COLUMN half integer;\n"
        "UPDATE accounts SET created_at = now();\nSELECT 1 / (SELECT count(*) - count(*) FROM accounts);\n")
    before = await everything_in(postgres, "capsul_old")
    with pytest.raises(migrations.Refused, match="a migration failed and nothing was changed: division by zero"):
        await migrations.upgrade(pool, folder=folder)
    assert await everything_in(postgres, "capsul_old") == before  # 0001 and 0002 rolled back with it
    assert (await migrations.status(pool)).kind == "before migrations"


async def test_auto_migrate_false_refuses_a_database_that_needs_migrating(old_database, tmp_path):
    dsn, pool = await old_database()
    env = cli_env(dsn, tmp_path, AUTO_MIGRATE="false", CONSOLE_LISTEN="127.0.0.1:0", API_LISTEN="127.0.0.1:0")
    status, _, err = await run_cli(["--hub"], env)
    assert status == 1 and refusal_lines(err) == 1, err
    assert f"needs {len(migrations.discover())} migration(s)" in err and "run `run.py migrate`" in err, err
    status, out, _ = await run_cli(["migrate", "--dry-run"], env)
    assert status == 0 and "to apply: 0001_before_migrations" in out and "release 0.2.0 (01a0131)" in out, out
    assert (await migrations.status(pool)).kind == "before migrations"
    status, out, err = await run_cli(["migrate"], env)
    assert status == 0 and f"applied {len(migrations.discover())} migration(s)" in out, (out, err)
    status, out, _ = await run_cli(["db-status"], env)
    assert status == 0 and "up to date for capsul" in out, out


async def test_the_embedded_pool_gets_a_gateway_around_a_live_capsul_at_dot_one(old_database):
    _, pool = await old_database()
    _, told = await migrations.upgrade(pool)
    assert any("host local: the pool 192.0.2.0/24 got the gateway 192.0.2.254" in line for line in told), told
    rows = await one(pool, """SELECT host(gateway) AS gw, host(first_usable) AS first, host(last_usable) AS last
                              FROM host_network WHERE host_id = 'local'""")
    assert rows == [{"gw": "192.0.2.254", "first": "192.0.2.1", "last": "192.0.2.253"}]
    # the live capsul keeps .1; the next one gets a free address of the range, never the gateway
    from capsul.hub.db import networks
    async with db.cursor(pool) as cur:
        async with cur.begin():
            got = await networks.allocate_addresses(cur, "local")
    assert got.ipv4 not in ("192.0.2.1", "192.0.2.254") and got.ipv6 == "2001:db8::2"


async def test_the_embedded_pool_without_a_live_capsul_at_dot_one_becomes_a_fresh_installs(old_database):
    _, pool = await old_database()
    await one(pool, "UPDATE vms SET state = 'deleted', deleted_at = now() WHERE public_ipv4 = '192.0.2.1' RETURNING 1")
    await migrations.upgrade(pool)
    rows = await one(pool, """SELECT host(gateway) AS gw, host(first_usable) AS first, text(ipv6_cidr) AS v6
                              FROM host_network WHERE host_id = 'local'""")
    assert rows == [{"gw": "192.0.2.1", "first": "192.0.2.2", "v6": "2001:db8::/64"}]


async def test_an_embedded_pool_held_at_both_ends_is_left_and_the_operator_told(old_database):
    _, pool = await old_database()
    await one(pool, "UPDATE vms SET public_ipv4 = '192.0.2.254' WHERE public_ipv4 = '192.0.2.3' RETURNING 1")
    _, told = await migrations.upgrade(pool)
    assert any("live capsuls at both .1 and .254, so it was left as it is" in line for line in told), told
    assert await one(pool, "SELECT gateway FROM host_network WHERE host_id = 'local'") == [{"gateway": None}]


async def test_remove_network_mends_the_overlapping_pools_an_old_release_allowed(old_database, tmp_path):
    dsn, pool = await old_database()
    env = cli_env(dsn, tmp_path)
    add = ["add-network", "--id", "spoke2", "--cidr", "198.51.100.0/24", "--gateway", "198.51.100.254"]
    status, _, err = await run_cli(add, env)
    assert status == 2 and "overlaps 198.51.100.0/25, the pool of host spoke2 on network spare" in err, err
    status, _, err = await run_cli(["remove-network", "--id", "spoke2"], env)  # "default": a live capsul uses it
    assert status == 2 and "2 live capsul(s) use this pool" in err, err
    status, out, err = await run_cli(["remove-network", "--id", "spoke2", "--network", "spare"], env)
    assert status == 0 and "removed network spare: 198.51.100.0/25" in out, (out, err)
    status, out, err = await run_cli(add, env)
    assert status == 0 and "gateway 198.51.100.254" in out, err
    status, _, err = await run_cli(["remove-network", "--id", "spoke2", "--network", "spare"], env)
    assert status == 2 and "has no pool on network 'spare'" in err, err


async def test_two_hubs_starting_at_once_migrate_once(old_database):
    dsn, pool = await old_database()
    other = await db.create_pool(dsn, maxsize=2)
    try:
        results = await asyncio.gather(migrations.upgrade(pool), migrations.upgrade(other))
    finally:
        other.close()
        await other.wait_closed()
    told = [lines for _, lines in results]
    assert sorted(len(lines) > 0 for lines in told) == [False, True], told  # one applied, the other found it done
    rows = await one(pool, "SELECT id FROM schema_migrations ORDER BY id")
    assert [r["id"] for r in rows] == [m.number for m in migrations.discover()]
