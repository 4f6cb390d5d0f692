"""The embedded default's hypervisor, libvirt's test:///default, keeps its domains in memory only:
after `run.py` restarts, every capsul would be gone from it (and shown as crashed). So a spoke on
it keeps each capsul domain's XML, and whether it ran, in its state folder, and defines them again
at start. Real hypervisors keep their own definitions; this is for the test driver alone.

    kept = KeptDomains(config.spoke_dir / "test-domains.json", virt)
    await kept.restore()          # after connecting: capsuls back as they were
    virt.on_lifecycle(kept.changed)   # every lifecycle event: written again, soon after
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path

from capsul.spoke.virt import Hypervisor, HypervisorError

log = logging.getLogger(__name__)

TEST_DRIVER_URI = "test:///default"
WRITE_DELAY = 0.2  # seconds: a burst of events is written once


class KeptDomains:
    def __init__(self, path: Path, virt: Hypervisor):
        self.path = path
        self.virt = virt
        self._writing: asyncio.Task | None = None
        self._again = False

    async def restore(self) -> list[str]:
        """Define the kept domains the hypervisor lacks, and start those that ran; their names."""
        try:
            kept = json.loads(await asyncio.to_thread(self.path.read_text))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as e:
            log.error("cannot read the test hypervisor's kept domains in %s: %s", self.path, e)
            return []
        try:
            restored = await self.virt.define_kept(kept if isinstance(kept, list) else [])
        except HypervisorError as e:  # the spoke starts anyway: its hub shows what is missing
            log.error("cannot define the test hypervisor's kept domains again: %s", e)
            return []
        if restored:
            log.info("the test hypervisor keeps nothing across restarts: defined %d capsul(s) again from %s",
                     len(restored), self.path)
        return restored

    def changed(self, *_event) -> None:
        """A lifecycle callback: write the domains again, soon (one write for a burst)."""
        if self._writing is not None and not self._writing.done():
            self._again = True
            return
        self._writing = asyncio.get_running_loop().create_task(self._write_soon(), name="kept domains")

    async def _write_soon(self) -> None:
        while True:
            self._again = False
            await asyncio.sleep(WRITE_DELAY)
            await self.write()
            if not self._again:
                return

    async def write(self) -> None:
        try:
            domains = await self.virt.describe_capsul_domains()
        except HypervisorError as e:
            log.warning("cannot keep the test hypervisor's domains: %s", e)
            return
        await asyncio.to_thread(_write_atomically, self.path, json.dumps(domains, indent=1))

    async def close(self) -> None:
        """Write what is there now (a clean stop keeps the last changes too)."""
        if self._writing is not None:
            self._writing.cancel()
            await asyncio.gather(self._writing, return_exceptions=True)
        await self.write()


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(text)
    os.replace(partial, path)
