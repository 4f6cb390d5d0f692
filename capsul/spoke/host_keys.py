"""SSH host key fingerprints, read from each guest's serial console log.

cloud-init prints them at first boot between two marker lines, each line usually behind a
syslog-style prefix:

    ... -----BEGIN SSH HOST KEY FINGERPRINTS-----
    ... 256 SHA256:M2wQ...Gs root@capsul-abc (ED25519)
    ... -----END SSH HOST KEY FINGERPRINTS-----

The scanner looks at console logs that grew since it last looked, and hands what it finds to
the event outbox once per VM, so the hub learns them in order with the VM's other events and
never loses them while it is down.
"""
from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

BEGIN = "-----BEGIN SSH HOST KEY FINGERPRINTS-----"
END = "-----END SSH HOST KEY FINGERPRINTS-----"
_LINE_RE = re.compile(r"\b(\d{3,5}) (SHA256:[A-Za-z0-9+/]{43}=?) .*\(([A-Z0-9-]{2,20})\)\s*$")
TAIL_BYTES = 256 * 1024  # the block is printed early, but a log can be long; read at most this much
SCAN_INTERVAL = 2.0  # seconds


def parse_fingerprints(text: str) -> list[dict] | None:
    """The last complete block in `text` as [{bits, fingerprint, type}], or None if there is none."""
    end = text.rfind(END)
    if end < 0:
        return None
    begin = text.rfind(BEGIN, 0, end)
    if begin < 0:
        return None
    found = []
    for line in text[begin + len(BEGIN):end].splitlines():
        match = _LINE_RE.search(line.rstrip("\r"))
        if match:
            found.append({"bits": int(match.group(1)), "fingerprint": match.group(2), "type": match.group(3)})
    return found or None


def _read_tail(path: Path) -> str:
    with path.open("rb") as f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - TAIL_BYTES))
        return f.read().decode("utf-8", errors="replace")


class HostKeyScanner:
    """Every SCAN_INTERVAL, parse the console logs that changed; report each VM's keys once."""

    def __init__(self, vm_dir: Path, report: Callable[[str, list[dict]], None], *,
                 interval: float = SCAN_INTERVAL):
        self.vm_dir = vm_dir
        self.report = report
        self.interval = interval
        self._seen_sizes: dict[str, int] = {}
        self._reported: set[str] = set()
        self.scans = 0  # completed scans (tests wait on it)

    def forget(self, vm_id: str) -> None:
        """A rebuilt guest prints new host keys: read its console log again."""
        self._reported.discard(vm_id)
        self._seen_sizes.pop(vm_id, None)

    def scan_once(self) -> list[tuple[str, list[dict]]]:
        """Blocking file work (run in a thread): what is newly found."""
        found = []
        try:
            logs = list(self.vm_dir.glob("capsul-*-console.log"))
        except OSError:
            return found
        for path in logs:
            vm_id = path.name[:-len("-console.log")]
            if vm_id in self._reported:
                continue
            try:
                size = path.stat().st_size
                if self._seen_sizes.get(vm_id) == size:
                    continue
                self._seen_sizes[vm_id] = size
                keys = parse_fingerprints(_read_tail(path))
            except OSError:
                continue  # removed meanwhile, or not readable yet
            if keys:
                found.append((vm_id, keys))
        return found

    async def run(self) -> None:
        while True:
            for vm_id, keys in await asyncio.to_thread(self.scan_once):
                self._reported.add(vm_id)
                log.info("%s: SSH host keys %s", vm_id, ", ".join(k["fingerprint"] for k in keys))
                self.report(vm_id, keys)
            self.scans += 1
            await asyncio.sleep(self.interval)
