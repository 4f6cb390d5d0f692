"""Fetching the OS images a spoke lacks (docs/images.md).

One fetch per image at a time (a second ask joins the first), at most IMAGE_FETCH_CONCURRENCY at
once, through the spoke's one HTTP client session. A fetch writes `fetching/<digest>.partial`,
resumes with a Range request after a cut or a stall (IMAGE_FETCH_ATTEMPTS tries), checks the size
and the SHA-256 before the file becomes the image, and on failure leaves nothing behind and a
reason for the admin page. The image appears under its digest only whole and verified.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import os
import shutil
import ssl
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from capsul.config import Config
from capsul.limits import INT8_MAX, is_int
from capsul.spoke.backups.store import sha256_of
from capsul.spoke.images.store import DIGEST_RE, ImageError, ImageStore

log = logging.getLogger(__name__)

CHUNK = 1 << 20
FAILURES_KEPT = 3600 * 24  # a failed fetch is shown this long (or until one succeeds)


class Permanent(ImageError):
    """A failure another try would not mend (a 404, a wrong digest, a full disk)."""


@dataclass
class Fetch:
    url: str
    size: int
    done: int = 0
    task: asyncio.Task | None = None


class ImageFetcher:
    def __init__(self, config: Config, store: ImageStore, session_of):
        self.config = config
        self.store = store
        self._session_of = session_of  # () -> the spoke's one aiohttp session
        self._fetches: dict[str, Fetch] = {}
        self._failures: dict[str, tuple[float, str]] = {}  # digest -> (when, why)
        self._slots = asyncio.Semaphore(config.image_fetch_concurrency)
        self.fetched = self.failed = 0  # counts, for /metrics
        self.fetched_bytes = 0

    def report(self) -> dict[str, dict]:
        """{digest: what this spoke has of it} for the hub's heartbeat: present (with its bytes and
        hand-placed file names), fetching (bytes done of all), or failed (why)."""
        now = time.time()
        report = {d: {"state": "failed", "error": why, "at": round(at)} for d, (at, why) in self._failures.items()
                  if now - at < FAILURES_KEPT}
        report.update({d: {"state": "fetching", "done": f.done, "total": f.size, "url": f.url}
                       for d, f in self._fetches.items()})
        report.update({d: {"state": "present", **held} for d, held in self.store.digests().items()})
        return report

    def fetching(self, digest: str) -> bool:
        return digest in self._fetches

    async def ensure(self, digest: str, url: str | None, size: int | None) -> Path:
        """The image's path here, fetched first if this spoke lacks it. ImageError says why not."""
        if not DIGEST_RE.fullmatch(digest or ""):
            raise ImageError("the image's SHA-256 must be 64 hexadecimal digits")
        if self.store.has(digest):
            return self.store.path(digest)
        if not url:
            raise ImageError(f"this host does not have the OS image sha256 {digest} and it has no URL to fetch from")
        if not (isinstance(url, str) and url.startswith(("http://", "https://")) and is_int(size, 1, INT8_MAX)):
            raise ImageError("the image's URL must be http(s) and its size a number of bytes")
        fetch = self._fetches.get(digest)
        if fetch is None:
            fetch = self._fetches[digest] = Fetch(url, size)
            fetch.task = asyncio.create_task(self._run(digest, fetch), name=f"fetch image {digest[:12]}")
        await asyncio.shield(fetch.task)
        return self.store.path(digest)

    async def _run(self, digest: str, fetch: Fetch) -> None:
        partial = self.store.fetching / f"{digest}.partial"
        try:
            async with self._slots:
                started = time.monotonic()
                await self._fetch(digest, fetch, partial)
            self._failures.pop(digest, None)
            self.fetched += 1
            log.info("fetched OS image sha256 %s from %s: %d bytes in %.1f s, digest verified", digest, fetch.url,
                     fetch.size, time.monotonic() - started)
        except ImageError as e:
            self._failed(digest, partial, str(e))
            raise
        except (OSError, aiohttp.ClientError, asyncio.TimeoutError) as e:
            self._failed(digest, partial, _disk_full(e, self.store.images_dir) or f"fetching it failed: {e}")
            raise ImageError(self._failures[digest][1]) from None
        finally:
            self._fetches.pop(digest, None)

    def _failed(self, digest: str, partial: Path, why: str) -> None:
        partial.unlink(missing_ok=True)  # nothing half-written stays
        self._failures[digest] = (time.time(), why)
        self.failed += 1
        log.error("fetching OS image sha256 %s failed: %s", digest, why)

    async def _fetch(self, digest: str, fetch: Fetch, partial: Path) -> None:
        await asyncio.to_thread(self.store.fetching.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(self.store.by_digest.mkdir, parents=True, exist_ok=True)
        stall = self.config.image_fetch_stall_timeout
        last_problem = None
        for attempt in range(1, self.config.image_fetch_attempts + 1):
            have = partial.stat().st_size if partial.exists() else 0
            if fetch.size and have > fetch.size:
                await asyncio.to_thread(partial.unlink)
                have = 0
            try:
                await self._one_try(fetch, partial, have, stall)
            except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, aiohttp.ClientConnectionError,
                    asyncio.TimeoutError) as e:
                got = partial.stat().st_size if partial.exists() else 0
                last_problem = (f"the server sent nothing for {stall:g} s" if isinstance(e, asyncio.TimeoutError)
                                else f"the download was cut after {got} of {fetch.size} bytes ({e})"
                                if got < fetch.size else f"the connection failed: {e}")
                log.warning("fetching OS image %s (try %d of %d): %s; resuming", digest, attempt,
                            self.config.image_fetch_attempts, last_problem)
                continue
            got = partial.stat().st_size
            if got < fetch.size:
                last_problem = f"the server sent {got} of {fetch.size} bytes, then closed"
                continue
            if got > fetch.size:
                raise Permanent(f"the server sent {got} bytes, more than the image's {fetch.size}")
            found = await asyncio.to_thread(sha256_of, partial)
            if found != digest:
                raise Permanent(f"its SHA-256 is {found}, not the {digest} the image was added with: "
                                "the file at the URL is not this image")
            await asyncio.to_thread(partial.chmod, 0o444)
            await asyncio.to_thread(os.replace, partial, self.store.path(digest))
            self.store.added(digest)
            self.fetched_bytes += got
            return
        raise ImageError(f"{last_problem} ({self.config.image_fetch_attempts} tries)")

    async def _one_try(self, fetch: Fetch, partial: Path, have: int, stall: float) -> None:
        free = (await asyncio.to_thread(shutil.disk_usage, self.store.images_dir)).free
        if fetch.size - have > free:
            raise Permanent(f"the disk holding OS_IMAGES_DIR is too full: {free} bytes free, the image needs "
                            f"{fetch.size - have} more")
        headers = {"Range": f"bytes={have}-"} if have else {}
        kwargs = {"ssl": ssl.create_default_context()} if fetch.url.startswith("https:") else {}
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=stall, sock_read=stall)
        async with self._session_of().get(fetch.url, headers=headers, timeout=timeout, allow_redirects=True,
                                          **kwargs) as resp:
            if resp.status == 416 and have == fetch.size:
                return  # already whole
            if resp.status >= 500:
                raise aiohttp.ClientConnectionError(f"the server answered {resp.status} {resp.reason}")
            if resp.status not in (200, 206):
                raise Permanent(f"the server answered {resp.status} {resp.reason} for {fetch.url}")
            if resp.status == 200:
                have = 0  # the server does not resume: start again
                length = resp.content_length
                if length is not None and fetch.size and length != fetch.size:
                    raise Permanent(f"the server's file is {length} bytes, the image was added as {fetch.size}")
            fetch.done = have
            out = await asyncio.to_thread(open, partial, "r+b" if have else "wb")
            try:
                await asyncio.to_thread(out.seek, have)
                await asyncio.to_thread(out.truncate)
                async for chunk in resp.content.iter_chunked(CHUNK):
                    if fetch.done + len(chunk) > fetch.size:
                        raise Permanent(f"the server sent more than the image's {fetch.size} bytes")
                    await asyncio.to_thread(out.write, chunk)
                    fetch.done += len(chunk)
            finally:
                await asyncio.to_thread(out.close)


def _disk_full(error: BaseException, folder: Path) -> str | None:
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return f"the disk holding {folder} is full"
    return None
