"""The spoke's record of rebuilds and resizes under way (capsul/spoke/changes.py): one small
JSON file per operation, written before each step that cannot be taken back, so that a spoke
killed in the middle knows at its next start how far it got, and finishes or undoes it.

The file stays after the change ends, holding its result: a hub that asks again with the same
operation id (it never got the answer) gets the same answer, even from a restarted spoke.
Files older than KEEP_SECONDS are removed at start.
"""
from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from pathlib import Path

KEEP_SECONDS = 7 * 24 * 3600


class ChangeJournal:
    def __init__(self, folder: Path):
        self.folder = folder

    def _path(self, op_id: str) -> Path:
        return self.folder / f"{uuid.UUID(op_id)}.json"  # a UUID, never a path a caller chose

    async def get(self, op_id: str) -> dict | None:
        def read():
            try:
                return json.loads(self._path(op_id).read_text())
            except FileNotFoundError:
                return None
        return await asyncio.to_thread(read)

    async def write(self, entry: dict) -> dict:
        """Record `entry` (with its `op_id`), on disk before returning."""
        entry = {**entry, "updated_at": time.time()}
        await asyncio.to_thread(self._write, self._path(entry["op_id"]), entry)
        return entry

    @staticmethod
    def _write(path: Path, entry: dict) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w") as f:
            json.dump(entry, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    async def unfinished(self) -> list[dict]:
        """Entries without a result, oldest first; removes those ended long ago."""
        def scan():
            found = []
            if not self.folder.is_dir():
                return found
            for path in self.folder.glob("*.json"):
                try:
                    entry = json.loads(path.read_text())
                except (OSError, ValueError):
                    continue
                if "result" in entry or "error" in entry:
                    if time.time() - entry.get("updated_at", 0) > KEEP_SECONDS:
                        path.unlink(missing_ok=True)
                    continue
                found.append(entry)
            return sorted(found, key=lambda e: e.get("updated_at", 0))
        return await asyncio.to_thread(scan)
