"""Fresh PostgreSQL databases and clusters for the upgrade tests, loaded from and compared by
PostgreSQL's own tools (psql, pg_dump), run as the cluster's owner."""
from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from capsul.embedded_postgres import SUPERUSER, EmbeddedPostgres
from tests.conftest import shared_tmpdir

FIXTURES = Path(__file__).resolve().parent / "release_fixtures"


async def tool(pg: EmbeddedPostgres, program: str, *args: str, timeout: float = 120) -> str:
    """Run psql, pg_dump, createdb … on the cluster as its superuser; stdout (stderr on failure)."""
    argv = [str(pg.bin_dir / program), "-h", str(pg.data_dir), "-U", SUPERUSER, *args]
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    proc = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL, cwd="/",
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    async with asyncio.timeout(timeout):
        out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{program} {' '.join(args)} failed: {err.decode(errors='replace')[-2000:]}")
    return out.decode()


@asynccontextmanager
async def fresh_cluster(prefix: str = "capsul-upgrade-") -> AsyncIterator[EmbeddedPostgres]:
    """A new PostgreSQL cluster with an empty database "capsul", stopped and removed afterwards."""
    folder = shared_tmpdir(prefix)
    pg = EmbeddedPostgres(folder / "data", database="capsul")
    try:
        await pg.ensure_running()
        yield pg
    finally:
        await pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


async def new_database(pg: EmbeddedPostgres, name: str) -> str:
    """An empty database (dropped first if it exists); its DSN."""
    await tool(pg, "psql", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", f'DROP DATABASE IF EXISTS "{name}"')
    await tool(pg, "createdb", name)
    return pg.dsn_for(name)


async def load(pg: EmbeddedPostgres, database: str, dump: Path) -> None:
    await tool(pg, "psql", "-d", database, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(dump))


async def schema_of(pg: EmbeddedPostgres, database: str) -> str:
    """pg_dump --schema-only, without its comments and blank lines: what two databases must share."""
    return _significant(await tool(pg, "pg_dump", "--schema-only", "--no-owner", "--no-privileges", database))


async def everything_in(pg: EmbeddedPostgres, database: str) -> str:
    """pg_dump of schema and data, comments dropped: equal before and after means nothing changed."""
    return _significant(await tool(pg, "pg_dump", "--no-owner", "--no-privileges", database))


def _significant(dump: str) -> str:
    # (\restrict and \unrestrict carry a random key per dump, from PostgreSQL 15.14 on)
    return "\n".join(line for line in dump.splitlines()
                     if line.strip() and not line.startswith(("--", "\\restrict", "\\unrestrict")))


def fixtures() -> list[Path]:
    """Every release's fixture, oldest first (name: VERSION-COMMIT.sql, or main-COMMIT.sql)."""
    def order(path: Path):
        m = re.match(r"(\d+)\.(\d+)\.(\d+)-", path.name)
        return tuple(map(int, m.groups())) if m else (0, 3, 5)  # main-6cd8562 came after 0.3.0
    return sorted(FIXTURES.glob("*.sql"), key=order)
