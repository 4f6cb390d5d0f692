"""The backup store: a restic repository on another machine, reached over SFTP (docs/backups.md).

restic does the store's work: it splits each backup image into content-defined chunks, stores
each chunk once (a second backup of a disk that barely changed adds little), encrypts them with
the repository's key, and forgets and prunes the snapshots the hub names. This module only runs
it, as a subprocess through asyncio, and turns what it says into capsul's words:

- StoreUnreachable: the backup host did not answer (tried again with back-off);
- StoreLocked: another restic holds the repository's exclusive lock (a prune);
- StoreFull: the backup host has no room;
- StoreError: anything else, with restic's own last line.

One snapshot holds one backup: the image, read from stdin under the name `<backup id>.qcow2`,
tagged with the backup and capsul ids, so that the store can be read without the hub.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import shlex
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable

from capsul.config import BACKUP_STORE_RE, Config

log = logging.getLogger(__name__)

SNAPSHOT_RE = re.compile(r"[0-9a-f]{8,64}")
DIGEST_RE = re.compile(r"[0-9a-f]{64}")


class StoreError(Exception):
    """The store did not do what was asked; str() says why, for the admin page."""


class StoreUnreachable(StoreError):
    pass


class StoreLocked(StoreError):
    pass


class StoreFull(StoreError):
    pass


class NotInitialised(StoreError):
    pass


@dataclass(frozen=True)
class Stored:
    snapshot: str
    added_bytes: int  # what this backup added to the store, after deduplication and compression
    total_bytes: int  # the image's bytes read


_UNREACHABLE = ("unable to start the sftp session", "connection refused", "connection timed out",
                "no route to host", "connection reset", "connection closed", "broken pipe", "network is unreachable",
                "subsystem request failed")
_LOCKED = ("repository is already locked",)
_FULL = ("no space left on device", "disk quota exceeded")
_NOT_THERE = ("is there a repository at the following location", "unable to open config file")


def classify(stderr: str) -> StoreError:
    text = stderr.lower()
    last = next((line.strip() for line in reversed(stderr.strip().splitlines()) if line.strip()), "no output")
    if "host key verification failed" in text or "permission denied" in text:
        return StoreError(f"the backup host refused this spoke, or showed a key BACKUP_SSH_KNOWN_HOSTS does not "
                          f"hold: {last[-300:]}")
    if any(s in text for s in _FULL):
        return StoreFull(f"the backup store is full: {last[-300:]}")
    if re.search(r"write: sftp: \"failure\"|sftp: \"failure\" \(ssh_fx_failure\)", text):
        # SFTP has no "disk full": the server answers a write it cannot do with a bare FAILURE
        return StoreFull(f"the backup store cannot write (is the backup host's disk full?): {last[-300:]}")
    if any(s in text for s in _LOCKED):
        return StoreLocked(f"the backup store's repository is locked by another job: {last[-300:]}")
    if any(s in text for s in _NOT_THERE):
        return NotInitialised(f"no repository at the backup store yet: {last[-300:]}")
    if any(s in text for s in _UNREACHABLE):
        return StoreUnreachable(f"the backup store does not answer: {last[-300:]}")
    return StoreError(f"restic: {last[-300:]}")


def _read_and_remove(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-4000:]
    except FileNotFoundError:
        return ""
    finally:
        path.unlink(missing_ok=True)


class ResticStore:
    def __init__(self, config: Config, cache_dir: Path):
        self.repository = config.backup_store
        self.password_file = config.backup_password_file
        self.ssh_key = config.backup_ssh_key
        self.known_hosts = config.backup_ssh_known_hosts
        self.cache_dir = cache_dir
        self._initialised = False
        self._init_lock = asyncio.Lock()

    @property
    def configured(self) -> bool:
        return bool(self.repository)

    def _options(self, ssh_log: Path | None = None) -> list[str]:
        m = BACKUP_STORE_RE.fullmatch(self.repository or "")
        if m is None:
            return []
        # ssh's own errors (a host key that does not match, a refused login) go to `ssh_log`: restic
        # passes ssh's stderr on only at times (it may exit first, saying just "EOF")
        ssh = ["ssh", *(["-E", str(ssh_log)] if ssh_log else []), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=10",
               "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"]
        if self.known_hosts:
            ssh += ["-o", f"UserKnownHostsFile={self.known_hosts}"]
        if self.ssh_key:
            ssh += ["-o", "IdentitiesOnly=yes", "-i", str(self.ssh_key)]
        ssh += ["-p", m.group("port") or "22", f"{m.group('user')}@{m.group('host').strip('[]')}", "-s", "sftp"]
        return ["-o", f"sftp.command={shlex.join(ssh)}"]

    def _repository(self) -> str:
        m = BACKUP_STORE_RE.fullmatch(self.repository or "")
        if m is None:
            return self.repository
        return f"sftp:{m.group('user')}@{m.group('host')}:{m.group('path')}"  # the port is in sftp.command

    def _env(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.cache_dir),
                "RESTIC_REPOSITORY": self._repository(), "RESTIC_PASSWORD_FILE": str(self.password_file),
                "RESTIC_CACHE_DIR": str(self.cache_dir), "RESTIC_PROGRESS_FPS": "2"}

    async def _run(self, *args: str, stdin=None, stdout_to=None,
                   on_line: Callable[[dict], Awaitable[None] | None] | None = None) -> str:
        """restic ARGS; its stdout (unless written to `stdout_to`), or the StoreError it means."""
        await asyncio.to_thread(self.cache_dir.mkdir, parents=True, exist_ok=True)
        ssh_log = self.cache_dir / f"ssh-{uuid.uuid4().hex}.log"
        try:
            proc = await asyncio.create_subprocess_exec(
                "restic", *self._options(ssh_log), *args, env=self._env(),
                stdin=stdin if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=stdout_to if stdout_to is not None else asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, start_new_session=True)
        except FileNotFoundError:
            raise StoreError("restic is not installed on this host (./setup.sh installs it)") from None
        err_task = asyncio.ensure_future(proc.stderr.read())
        out = []
        try:
            if stdout_to is None:
                async for raw in proc.stdout:
                    line = raw.decode(errors="replace")
                    out.append(line)
                    if on_line is not None and line.startswith("{"):
                        try:
                            message = json.loads(line)
                        except ValueError:
                            continue
                        done = on_line(message)
                        if asyncio.iscoroutine(done):
                            await done
            rc = await proc.wait()
        except BaseException:
            if proc.returncode is None:
                proc.kill()  # a cancelled job leaves no restic behind
                await proc.wait()
            raise
        finally:
            stderr = (await err_task).decode(errors="replace")
            said_by_ssh = await asyncio.to_thread(_read_and_remove, ssh_log)
        if rc != 0:
            raise classify(f"{said_by_ssh}\n{stderr}")
        return "".join(out)

    async def ensure_initialised(self) -> None:
        """Make the repository on first use; a second spoke finds it made."""
        if self._initialised:
            return
        async with self._init_lock:
            if self._initialised:
                return
            try:
                await self._run("cat", "config")
            except NotInitialised:
                try:
                    await self._run("init")
                except StoreError as e:
                    if "already" not in str(e).lower():  # another spoke made it at the same moment
                        raise
            self._initialised = True

    async def unlock_stale(self) -> None:
        """Remove locks left by a restic that is gone (a spoke killed mid-backup)."""
        await self.ensure_initialised()
        await self._run("unlock")

    async def put(self, image: Path, *, backup_id: str, vm_id: str,
                  progress: Callable[[int, int], None] = lambda done, total: None) -> Stored:
        """Store `image` as one snapshot; its id and what it added."""
        await self.ensure_initialised()
        summary: dict = {}
        total = (await asyncio.to_thread(image.stat)).st_size

        def line(message: dict) -> None:
            if message.get("message_type") == "status":
                progress(int(message.get("bytes_done") or 0), total)
            elif message.get("message_type") == "summary":
                summary.update(message)

        with open(image, "rb") as f:
            await self._run("backup", "--json", "--stdin", "--stdin-filename", f"{backup_id}.qcow2",
                            "--tag", f"backup={backup_id}", "--tag", f"capsul={vm_id}", "--host", "capsul",
                            stdin=f, on_line=line)
        short = str(summary.get("snapshot_id") or "")
        # restic 0.14 names the snapshot by a short prefix: the catalogue keeps its whole id
        found = json.loads(await self._run("snapshots", "--json", "--tag", f"backup={backup_id}") or "[]")
        snapshot = next((str(s.get("id")) for s in found if str(s.get("id", "")).startswith(short)), "")
        if not short or not SNAPSHOT_RE.fullmatch(snapshot):
            raise StoreError("restic stored the backup but named no snapshot")
        progress(total, total)
        return Stored(snapshot, int(summary.get("data_added") or 0), int(summary.get("total_bytes_processed") or total))

    async def get(self, snapshot: str, backup_id: str, into: Path) -> None:
        """Write the snapshot's image to `into` (made beside it, then renamed: never half a file)."""
        if not SNAPSHOT_RE.fullmatch(snapshot):
            raise StoreError(f"not a snapshot id: {snapshot!r}")
        await self.ensure_initialised()
        partial = into.with_name(into.name + ".partial")
        await asyncio.to_thread(into.parent.mkdir, parents=True, exist_ok=True)
        try:
            with open(partial, "wb") as f:
                await self._run("dump", snapshot, f"/{backup_id}.qcow2", stdout_to=f)
                await asyncio.to_thread(os.fsync, f.fileno())
            await asyncio.to_thread(os.replace, partial, into)
        finally:
            await asyncio.to_thread(_unlink_quietly, partial)

    async def forget(self, snapshots: list[str]) -> None:
        """Forget these snapshots and prune what no other snapshot uses (the hub chose them)."""
        snapshots = [s for s in snapshots if SNAPSHOT_RE.fullmatch(s)]
        if not snapshots:
            return
        await self.ensure_initialised()
        await self._run("forget", "--prune", *snapshots)

    async def snapshots(self) -> list[dict]:
        await self.ensure_initialised()
        return json.loads(await self._run("snapshots", "--json") or "[]")

    async def stats(self) -> dict:
        """What the repository holds on disk (raw-data mode: after deduplication and compression)."""
        await self.ensure_initialised()
        return json.loads(await self._run("stats", "--json", "--mode", "raw-data"))


def reference_problem(ref: object) -> str | None:
    """What is wrong with a backup as the hub names it for a restore ({backup_id, snapshot, digest}),
    in words; None when nothing is."""
    if not isinstance(ref, dict):
        return "the backup to restore must be named by backup_id, snapshot and digest"
    try:
        uuid.UUID(str(ref.get("backup_id")))
    except ValueError:
        return "backup_id must be a UUID"
    if not isinstance(ref.get("snapshot"), str) or not SNAPSHOT_RE.fullmatch(ref["snapshot"]):
        return "snapshot must be a restic snapshot id (hexadecimal)"
    if not isinstance(ref.get("digest"), str) or not DIGEST_RE.fullmatch(ref["digest"]):
        return "digest must be a SHA-256 in hexadecimal"
    return None


def sha256_of(path: Path) -> str:
    """The digest the catalogue records of a backup's image (blocking: call it in a thread)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
