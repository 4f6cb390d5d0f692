"""The spoke's event sequence numbers survive restarts: a tiny journal file.

Numbers are reserved in blocks: the file holds the first number not yet reserved.
At start the spoke continues from there and reserves the next block, so after any
crash it never reuses a number (it may skip some, which the hub reads as a gap and
answers with a full resync — what a restart calls for anyway). Reserving the next
block is written in a worker thread, well before the current block runs out, so
libvirt callbacks that take numbers never wait for the disk.
"""
from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

BLOCK = 10_000


class SeqJournal:
    def __init__(self, path: Path):
        self.path = path
        self._next = 1
        self._reserved_until = 1  # numbers below this are safe to hand out
        self._writing: asyncio.Task | None = None

    @property
    def last(self) -> int:
        """The last number handed out (0 when none)."""
        return self._next - 1

    def load(self) -> int:
        """Read the journal and reserve the first block; returns the first number to use."""
        try:
            start = int(self.path.read_text().strip() or "1")
        except FileNotFoundError:
            start = 1
        except (OSError, ValueError) as e:
            raise RuntimeError(f"cannot read the event journal {self.path}: {e}") from None
        self._next = start
        self._write(start + BLOCK)
        self._reserved_until = start + BLOCK
        return start

    def take(self) -> int:
        """The next number. Never blocks; asks for the next block halfway through this one."""
        seq = self._next
        self._next += 1
        if self._next > self._reserved_until - BLOCK // 2 and self._writing is None:
            target = self._reserved_until + BLOCK
            self._writing = asyncio.get_running_loop().create_task(self._reserve(target))
        if seq >= self._reserved_until:
            log.warning("event sequence %d is past the reserved block (the journal write is late)", seq)
        return seq

    async def written(self) -> None:
        """Wait until a reservation being written (if any) is on disk."""
        if self._writing is not None:
            await asyncio.shield(self._writing)

    async def _reserve(self, target: int) -> None:
        try:
            await asyncio.to_thread(self._write, target)
            self._reserved_until = target
        except OSError as e:
            log.error("cannot write the event journal %s: %s", self.path, e)
        finally:
            self._writing = None

    def _write(self, value: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w") as f:
            f.write(f"{value}\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
