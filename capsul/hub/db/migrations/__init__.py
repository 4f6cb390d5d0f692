"""The database's schema version: a fresh install, the numbered migrations, the releases before them.

`schema.sql` is the whole schema of this version. An empty database gets it alone, and every
migration in this folder is recorded as applied. A database that has a schema gets the
migrations it lacks: all of them in ONE transaction, under the schema advisory lock, so that
either every one applies or none does and a refusal never leaves a half-upgraded database.

A migration is a file `NNNN_what_it_does.sql`, or `NNNN_what_it_does.py` where data must be
rewritten (`async def apply(cur) -> list[str]`, the lines it tells the operator). Each declares
the oldest capsul version that may run on a database once it is applied (`-- oldest version:
X.Y.Z` in SQL, `OLDEST_VERSION = "X.Y.Z"` in Python): a migration that only adds (expand) names
the release before its own, so both serve one database during a rolling upgrade; one that
removes (contract) names its own release. A database's `schema_state.oldest_version` is the
highest of those, and code older than it refuses to start with one line.

Applied migrations are recorded with the SHA-256 of their file(s): a released migration is
never edited, and a changed one refuses to start. Databases made before migrations existed
(releases 0.1.0 to 0.6.0) are brought to migration 1's starting point by 0001 (see baseline.py).
"""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import aiopg
import psycopg2

from capsul import version as versions
from capsul.config import REPO_ROOT
from capsul.hub.db import locks
from capsul.hub.db.migrations import baseline

FOLDER = Path(__file__).resolve().parent
SCHEMA_FILE = REPO_ROOT / "schema.sql"
FILE_RE = re.compile(r"(\d{4})_([a-z0-9_]+)\.(sql|py)")
SQL_OLDEST_RE = re.compile(r"^-- oldest version: (\S+)$", re.MULTILINE)
PY_OLDEST_RE = re.compile(r'^OLDEST_VERSION = "([^"]+)"$', re.MULTILINE)
HELPERS = {"__init__.py", "__pycache__", "baseline.py", "baseline_schema.sql"}  # not migrations themselves
PY_FILES_RE = re.compile(r"^FILES = \(([^)]*)\)$", re.MULTILINE)  # files a Python migration reads
# A migration waits this long for a table lock (a long query of a running hub) before giving up,
# rather than queueing every other query on that table behind it; `run.py migrate` says so.
LOCK_TIMEOUT = "10s"

log = logging.getLogger(__name__)


class Refused(Exception):
    """This code will not run on (or upgrade) this database; str() is the one line that says why."""


@dataclass(frozen=True)
class Migration:
    number: int
    name: str  # the file's name without its extension, e.g. 0002_embedded_pool_gateway
    path: Path
    checksum: str  # sha256 of the file, and of the files it reads
    oldest_version: str

    @property
    def is_python(self) -> bool:
        return self.path.suffix == ".py"


def discover(folder: Path = FOLDER) -> list[Migration]:
    """Every migration in the folder, in order; ValueError for a misnamed or malformed one."""
    found: list[Migration] = []
    for path in sorted(folder.iterdir()):
        if path.name in HELPERS or path.name.startswith(".") or path.is_dir():
            continue
        m = FILE_RE.fullmatch(path.name)
        if m is None:
            raise ValueError(f"{path.name}: a migration is named NNNN_what_it_does.sql or .py")
        text = path.read_text()
        oldest = (PY_OLDEST_RE if path.suffix == ".py" else SQL_OLDEST_RE).search(text)
        if oldest is None:
            how = 'OLDEST_VERSION = "X.Y.Z"' if path.suffix == ".py" else "-- oldest version: X.Y.Z"
            raise ValueError(f"{path.name}: declare the oldest version that may run after it ({how})")
        versions.parse(oldest.group(1))
        digest = hashlib.sha256(path.read_bytes())
        if path.suffix == ".py" and (extra := PY_FILES_RE.search(text)):
            for name in re.findall(r'"([^"]+)"', extra.group(1)):
                digest.update((folder / name).read_bytes())
        found.append(Migration(int(m.group(1)), path.stem, path, digest.hexdigest(), oldest.group(1)))
    numbers = [m.number for m in found]
    if numbers != list(range(1, len(found) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3 … without gaps or repeats; found {numbers}")
    return found


@dataclass
class Status:
    """What a database has, as this code sees it."""
    kind: str  # "empty", "before migrations", "migrated"
    release: str | None = None  # for "before migrations": the release its schema is recognised as
    applied: list[dict] = field(default_factory=list)  # schema_migrations rows, in order
    pending: list[Migration] = field(default_factory=list)  # ours it lacks, in order
    unknown: list[dict] = field(default_factory=list)  # applied rows this code does not know (a newer release's)
    oldest_version: str | None = None  # the oldest code that may run on it
    newest_version: str | None = None  # the newest code that migrated it
    refusal: str | None = None  # why this code may not run on it (None: it may, once `pending` is applied)

    @property
    def up_to_date(self) -> bool:
        return self.kind == "migrated" and not self.pending and self.refusal is None


async def read_status(cur, known: list[Migration], version: str = versions.VERSION) -> Status:
    # (pg_tables, not to_regclass: after waiting for the schema lock, the catalog cache may not yet
    # show a table another hub just made, while a query of the catalog does)
    await cur.execute("""SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema()
                                        AND tablename = 'vms') AS has_vms,
                                EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema()
                                        AND tablename = 'schema_migrations') AS migrated""")
    row = await cur.fetchone()
    if not row["has_vms"] and not row["migrated"]:
        return Status("empty", pending=list(known))
    if not row["migrated"]:
        return Status("before migrations", release=await baseline.recognise(cur), pending=list(known),
                      oldest_version=None)
    await cur.execute("SELECT id, name, checksum, applied_at, applied_by FROM schema_migrations ORDER BY id")
    applied = await cur.fetchall()
    await cur.execute("SELECT oldest_version, newest_version FROM schema_state")
    state = await cur.fetchone() or {"oldest_version": None, "newest_version": None}
    status = Status("migrated", applied=applied, oldest_version=state["oldest_version"],
                    newest_version=state["newest_version"])
    by_number = {m.number: m for m in known}
    done = {r["id"] for r in applied}
    status.unknown = [r for r in applied if r["id"] not in by_number]
    status.pending = [m for m in known if m.number not in done]
    status.refusal = _refusal(status, by_number, version)
    return status


def _refusal(status: Status, by_number: dict[int, Migration], version: str) -> str | None:
    """The one line that stops this code, or None. Every check that can refuse is here, run
    before anything is written."""
    if status.oldest_version and not versions.at_least(version, status.oldest_version):
        return (f"this database needs capsul {status.oldest_version} or later (capsul "
                f"{status.newest_version or status.oldest_version} upgraded it; this is {version}): run that "
                f"version, or restore the backup taken before the upgrade (docs/upgrading.md)")
    for row in status.applied:
        mine = by_number.get(row["id"])
        if mine is None:
            continue
        if mine.name != row["name"] or mine.checksum != row["checksum"]:
            return (f"migration {row['name']} was applied as {row['checksum'][:12]}… but this code's "
                    f"{mine.name} is {mine.checksum[:12]}…: a released migration is never edited; run the "
                    f"release that applied it, or restore its file")
    if status.unknown and status.pending:
        return (f"this database has migrations this code lacks ({status.unknown[0]['name']}) and lacks some it "
                f"has ({status.pending[0].name}): it was upgraded by a different line of releases")
    return None


async def status(pool: aiopg.Pool, folder: Path = FOLDER, version: str = versions.VERSION) -> Status:
    from capsul.hub.db import cursor

    async with cursor(pool) as cur:
        return await read_status(cur, discover(folder), version)


async def upgrade(pool: aiopg.Pool, *, apply: bool = True, folder: Path = FOLDER,
                  version: str = versions.VERSION, schema_file: Path = SCHEMA_FILE) -> tuple[Status, list[str]]:
    """Bring the database to this code's schema, or refuse (Refused) with the database unchanged.

    Returns the status as it was found and the lines the migrations told. With apply=False, a
    database that needs migrations (not an empty one: a fresh install is always safe) is refused.
    """
    from capsul.hub.db import cursor

    known = discover(folder)
    async with cursor(pool) as cur:
        before = await read_status(cur, known, version)
        if before.refusal:
            raise Refused(before.refusal)
        if before.kind == "migrated" and not before.pending:
            return before, []
        if not apply and before.kind != "empty":
            raise Refused(f"the database needs {len(before.pending)} migration(s) ({before.pending[0].name} "
                          f"first) and AUTO_MIGRATE is false: back it up, then run `run.py migrate` "
                          f"(docs/upgrading.md)")
        told: list[str] = []
        try:
            async with cur.begin():
                await cur.execute("SELECT pg_advisory_xact_lock(%s)", (locks.SCHEMA,))
                await cur.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                found = await read_status(cur, known, version)  # another hub may have been first
                if found.refusal:
                    raise Refused(found.refusal)
                if found.kind == "empty":
                    await cur.execute(schema_file.read_text())
                    await _record(cur, known, version, f"{version} (fresh install)")
                    told.append(f"installed the schema of capsul {version}")
                elif found.pending:
                    for migration in found.pending:
                        told.extend(await _apply_one(cur, migration))
                    await _record(cur, found.pending, version, version)
                    told.append(f"applied {len(found.pending)} migration(s): "
                                f"{', '.join(m.name for m in found.pending)}")
        except psycopg2.errors.LockNotAvailable:
            raise Refused(f"a table stayed locked for {LOCK_TIMEOUT} (a long query or transaction): nothing was "
                          f"changed; try again") from None
        except psycopg2.Error as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise Refused(f"a migration failed and nothing was changed: {first}") from e
    for line in told:
        log.info("schema: %s", line)
    return before, told


async def _apply_one(cur, migration: Migration) -> list[str]:
    if not migration.is_python:
        await cur.execute(migration.path.read_text())
        return []
    spec = importlib.util.spec_from_file_location(f"capsul_migration_{migration.number:04d}", migration.path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(await module.apply(cur) or [])


async def _record(cur, migrations: list[Migration], version: str, applied_by: str) -> None:
    for m in migrations:
        await cur.execute("INSERT INTO schema_migrations (id, name, checksum, applied_by) VALUES (%s, %s, %s, %s)",
                          (m.number, m.name, m.checksum, applied_by))
    await cur.execute("SELECT oldest_version, newest_version FROM schema_state")
    row = await cur.fetchone()
    oldest = max([m.oldest_version for m in migrations] + ([row["oldest_version"]] if row else []),
                 key=versions.parse)
    newest = max([version] + ([row["newest_version"]] if row else []), key=versions.parse)
    await cur.execute("""INSERT INTO schema_state (only_row, oldest_version, newest_version) VALUES (true, %s, %s)
                         ON CONFLICT (only_row) DO UPDATE SET oldest_version = EXCLUDED.oldest_version,
                             newest_version = EXCLUDED.newest_version, updated_at = now()""", (oldest, newest))


def describe(status: Status) -> list[str]:
    """What `run.py db-status` prints."""
    if status.kind == "empty":
        return ["an empty database: a hub's first start installs this version's schema"]
    lines = []
    if status.kind == "before migrations":
        lines.append(f"a database from before migrations: its schema is release {status.release}'s")
    else:
        lines.append(f"{len(status.applied)} migration(s) applied, the last {status.applied[-1]['name']} "
                     f"(by capsul {status.applied[-1]['applied_by']}, {status.applied[-1]['applied_at']:%Y-%m-%d %H:%M} UTC)"
                     if status.applied else "no migration applied")
        lines.append(f"oldest capsul that may run on it: {status.oldest_version}; newest that upgraded it: "
                     f"{status.newest_version}")
    for row in status.unknown:
        lines.append(f"applied by a newer release: {row['name']}")
    lines.extend(f"to apply: {m.name}" for m in status.pending)
    if status.refusal:
        lines.append(f"this code refuses it: {status.refusal}")
    elif not status.pending:
        lines.append(f"up to date for capsul {versions.VERSION}")
    return lines
