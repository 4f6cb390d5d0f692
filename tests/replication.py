"""A PostgreSQL primary with a synchronous standby made from it, for the failover test and
bench/failover.py: initdb, pg_basebackup -R, synchronous_standby_names = '*'. And a primary's
machine dying (every one of its processes SIGKILLed at once)."""
from __future__ import annotations

import asyncio
import os
import pwd
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiopg

from capsul.embedded_postgres import SUPERUSER, EmbeddedPostgres


async def sql(dsn: str, statement: str) -> list:
    async with aiopg.connect(dsn, timeout=10) as conn:
        async with conn.cursor() as cur:
            await cur.execute(statement)
            return await cur.fetchall() if cur.description else []


@asynccontextmanager
async def replicated_pair(folder: Path, database: str) -> AsyncIterator[tuple[EmbeddedPostgres, EmbeddedPostgres]]:
    """(primary, standby), replicating synchronously; both stopped afterwards."""
    primary = EmbeddedPostgres(folder / "primary", database=database)
    standby = EmbeddedPostgres(folder / "standby", database=database)
    try:
        await primary.ensure_running()
        standby.data_dir.mkdir(mode=0o700)
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(standby.data_dir, user.pw_uid, user.pw_gid)
        await primary._run("pg_basebackup", "-h", str(primary.data_dir), "-U", SUPERUSER, "-D", str(standby.data_dir),
                           "-R", "-X", "stream", "-c", "fast")
        for lock in standby.data_dir.glob(".s.PGSQL.*.lock"):  # the primary's socket lock, copied with its folder
            lock.unlink()
        await standby.start()
        await sql(primary.dsn, "ALTER SYSTEM SET synchronous_standby_names = '*'")
        await sql(primary.dsn, "SELECT pg_reload_conf()")
        async with asyncio.timeout(30):
            while await sql(primary.dsn, "SELECT sync_state FROM pg_stat_replication") != [("sync",)]:
                await asyncio.sleep(0.05)
        yield primary, standby
    finally:
        for cluster in (standby, primary):
            try:
                await cluster.stop()
            except Exception:
                pass  # the killed primary cannot be stopped; its processes are gone


def both_hosts_dsn(primary: EmbeddedPostgres, standby: EmbeddedPostgres, database: str) -> str:
    """What a hub's DATABASE_URL says: both servers, whichever takes writes."""
    return (f"dbname={database} user={SUPERUSER} host={primary.data_dir},{standby.data_dir} "
            "target_session_attrs=read-write connect_timeout=3")


async def promote(standby: EmbeddedPostgres) -> None:
    await standby._run("pg_ctl", "-D", str(standby.data_dir), "promote", "-w", "-t", "60")


def kill_machine(cluster: EmbeddedPostgres) -> None:
    """The machine dies: the postmaster and every backend it started are SIGKILLed at once (a
    postmaster killed alone leaves its backends serving the connections they have a while)."""
    pid = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[1]) == pid:  # the parent's pid
            children.append(int(stat.parent.name))
    os.kill(pid, signal.SIGSTOP)  # starts nothing new while its children go
    for child in children:
        os.kill(child, signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)
