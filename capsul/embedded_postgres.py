"""A private PostgreSQL cluster in a folder: created, started and stopped by capsul itself.

`run.py` uses it when DATABASE_URL is unset, and the test suite uses it for its own
database. The server listens only on a Unix socket inside its data folder (no TCP
port to collide with) and trusts local connections, which only the folder's owner
can reach. PostgreSQL refuses to run as root, so as root every command runs as the
`postgres` user through `runuser`.
"""
from __future__ import annotations

import asyncio
import logging
import os
import pwd
import re
import shutil
import stat
from pathlib import Path

log = logging.getLogger(__name__)

SUPERUSER = "capsul"


class PostgresError(Exception):
    """The embedded cluster could not be set up, started or stopped; str() says why."""


def find_bin_dir(configured: Path | None = None) -> Path:
    if configured is not None:
        return configured
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).resolve().parent
    candidates = []
    for bin_dir in Path("/usr/lib/postgresql").glob("*/bin"):
        if (bin_dir / "pg_ctl").exists() and re.fullmatch(r"\d+", bin_dir.parent.name):
            candidates.append((int(bin_dir.parent.name), bin_dir))
    if not candidates:
        raise PostgresError("PostgreSQL is not installed (no pg_ctl); run ./setup.sh or set PG_BIN_DIR")
    return max(candidates)[1]


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, bin_dir: Path | None = None, database: str = "capsul"):
        self.data_dir = data_dir.resolve()
        self.bin_dir = find_bin_dir(bin_dir)
        self.database = database
        self._run_as = "postgres" if os.geteuid() == 0 else None

    @property
    def dsn(self) -> str:
        """libpq DSN for the Unix socket in the data folder."""
        return f"dbname={self.database} user={SUPERUSER} host={self.data_dir}"

    def dsn_for(self, database: str) -> str:
        return f"dbname={database} user={SUPERUSER} host={self.data_dir}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    async def _run(self, program: str, *args: str, check: bool = True) -> tuple[int, str]:
        argv = [str(self.bin_dir / program), *args]
        if self._run_as:
            argv = ["runuser", "-u", self._run_as, "--", *argv]
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, cwd="/")
        out, _ = await proc.communicate()
        text = out.decode(errors="replace").strip()
        if check and proc.returncode != 0:
            raise PostgresError(f"{program} failed (exit {proc.returncode}): {text[-800:]}")
        return proc.returncode, text

    async def _as_postgres_user_can_enter(self, path: Path) -> bool:
        proc = await asyncio.create_subprocess_exec(
            "runuser", "-u", self._run_as, "--", "test", "-x", str(path),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL)
        return await proc.wait() == 0

    async def _ensure_reachable(self) -> None:
        """The postgres user must be able to walk down to the data folder.

        A clone under /root (mode 0700) is the common case: grant the postgres user,
        and nobody else, traversal (x) of such folders with an ACL.
        """
        if not self._run_as:
            return
        for folder in reversed(self.data_dir.parents):
            if await self._as_postgres_user_can_enter(folder):
                continue
            setfacl = shutil.which("setfacl")
            if setfacl:
                proc = await asyncio.create_subprocess_exec(
                    setfacl, "-m", f"u:{self._run_as}:x", str(folder), stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
                _, err = await proc.communicate()
                if proc.returncode == 0 and await self._as_postgres_user_can_enter(folder):
                    log.info("granted the %s user traversal of %s (ACL u:%s:x) to reach %s",
                             self._run_as, folder, self._run_as, self.data_dir)
                    continue
            raise PostgresError(
                f"the {self._run_as} user cannot reach {self.data_dir}: {folder} is not traversable "
                f"(mode {stat.filemode(folder.stat().st_mode)}); run `setfacl -m u:{self._run_as}:x {folder}` "
                f"or set CAPSUL_VAR_DIR elsewhere")

    async def initialize(self) -> bool:
        """Create the cluster if the folder holds none; True when it was created now."""
        if (self.data_dir / "PG_VERSION").exists():
            return False
        self.data_dir.mkdir(parents=True, exist_ok=True)
        await self._ensure_reachable()
        if any(self.data_dir.iterdir()):
            raise PostgresError(f"{self.data_dir} is not empty and holds no PostgreSQL cluster")
        self.data_dir.chmod(0o700)
        if self._run_as:
            user = pwd.getpwnam(self._run_as)
            os.chown(self.data_dir, user.pw_uid, user.pw_gid)
        log.info("creating a PostgreSQL cluster in %s", self.data_dir)
        await self._run("initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "-A", "trust",
                        "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions")
        return True

    async def is_running(self) -> bool:
        code, _ = await self._run("pg_ctl", "-D", str(self.data_dir), "status", check=False)
        return code == 0

    async def start(self) -> bool:
        """Start the server unless it runs already; True when this call started it."""
        if await self.is_running():
            return False
        await self._ensure_reachable()
        options = f"-c listen_addresses='' -c unix_socket_directories='{self.data_dir}'"
        await self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file),
                        "-o", options, "-w", "-t", "60", "start")
        return True

    async def stop(self) -> None:
        if await self.is_running():
            await self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop")

    async def create_database(self, name: str) -> bool:
        """CREATE DATABASE unless it exists; True when it was created now."""
        _, out = await self._run(
            "psql", "-h", str(self.data_dir), "-U", SUPERUSER, "-d", "postgres", "-tA",
            "-c", f"SELECT 1 FROM pg_database WHERE datname = '{_identifier(name)}'")
        if out.strip() == "1":
            return False
        await self._run("createdb", "-h", str(self.data_dir), "-U", SUPERUSER, _identifier(name))
        return True

    async def ensure_running(self) -> bool:
        """initdb if needed, start if needed, create the database if needed."""
        await self.initialize()
        started = await self.start()
        await self.create_database(self.database)
        return started


def _identifier(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise PostgresError(f"bad database name {name!r}")
    return name
