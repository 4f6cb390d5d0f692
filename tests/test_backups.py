"""The backup docs/upgrading.md says to take before an upgrade (pg_dump --format=custom) restores
into a new cluster, and a hub of today starts on it with everything there."""
from __future__ import annotations

import shutil

import aiohttp

from capsul.hub import db
from capsul.hub.db import migrations
from capsul.node import Node
from tests.conftest import config_from, shared_tmpdir
from tests.databases import FIXTURES, fresh_cluster, load, tool
from tests.test_upgrades import node_env, table_rows


async def test_a_pg_dump_backup_restores_into_a_new_cluster_and_a_hub_starts_on_it(tls_files, tmp_path):
    folder = shared_tmpdir("capsul-backup-")  # pg_dump runs as the cluster's owner: it must write here
    folder.chmod(0o777)
    dump = folder / "capsul-before-upgrade.dump"
    try:
        await backup_and_restore(dump, tls_files, tmp_path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def backup_and_restore(dump, tls_files, tmp_path) -> None:
    async with fresh_cluster("capsul-backup-from-") as source:
        await load(source, "capsul", FIXTURES / "0.6.0-4e26ded.sql")
        source_pool = await db.create_pool(source.dsn, maxsize=2)
        rows = await table_rows(source_pool)
        source_pool.close()
        await source_pool.wait_closed()
        await tool(source, "pg_dump", "--format=custom", f"--file={dump}", "capsul")
    async with fresh_cluster("capsul-backup-to-") as target:
        await tool(target, "pg_restore", "--no-owner", "--dbname=capsul", str(dump))
        pool = await db.create_pool(target.dsn, maxsize=2)
        try:
            assert await table_rows(pool) == rows
            node = Node(config_from(node_env(target, tls_files, tmp_path)))
            await node.start()
            try:
                async with aiohttp.ClientSession() as http, http.get(node.console_url + "/healthz") as r:
                    assert r.status == 200
                assert (await migrations.status(pool)).up_to_date
            finally:
                await node.stop()
        finally:
            pool.close()
            await pool.wait_closed()
