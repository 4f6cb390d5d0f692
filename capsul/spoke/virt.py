"""The spoke's libvirt connection. The only module that imports libvirt.

libvirt's asyncio event implementation is registered (once per process, on the
running loop) before any connection is opened, so lifecycle callbacks arrive on the
loop. Calls that can block on a slow libvirtd go through asyncio.to_thread.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import libvirt
import libvirtaio

log = logging.getLogger(__name__)

_event_loop_registered: asyncio.AbstractEventLoop | None = None


def _ignore_libvirt_error(_ctx, _err) -> None:
    """libvirt prints every error to stderr by default; we handle them as exceptions."""


def _register_event_impl() -> None:
    global _event_loop_registered
    loop = asyncio.get_running_loop()
    if _event_loop_registered is None:
        libvirt.registerErrorHandler(_ignore_libvirt_error, None)
        libvirtaio.virEventRegisterAsyncIOImpl(loop=loop)
        _event_loop_registered = loop
    elif _event_loop_registered is not loop:
        # libvirt allows one event implementation per process, bound to one loop.
        raise RuntimeError("libvirt events are bound to another event loop in this process")


class HypervisorError(Exception):
    """libvirt refused or failed; str() is a message for the operator."""


@dataclass(frozen=True)
class Capacity:
    cpus: int
    memory_mb: int
    committed_cpus: int
    committed_memory_mb: int

    def as_dict(self) -> dict:
        return {"cpus": self.cpus, "memory_mb": self.memory_mb,
                "committed_cpus": self.committed_cpus, "committed_memory_mb": self.committed_memory_mb}


class Hypervisor:
    def __init__(self, uri: str):
        self.uri = uri
        self._conn: libvirt.virConnect | None = None

    async def connect(self) -> None:
        _register_event_impl()
        try:
            self._conn = await asyncio.to_thread(libvirt.open, self.uri)
        except libvirt.libvirtError as e:
            raise HypervisorError(f"cannot connect to {self.uri}: {e.get_error_message()}") from None
        try:
            # Detects a dead libvirtd on remote/daemon URIs; the test driver has no keepalive.
            self._conn.setKeepAlive(5, 3)
        except libvirt.libvirtError:
            pass
        log.info("connected to libvirt at %s", self.uri)

    @property
    def connected(self) -> bool:
        try:
            return self._conn is not None and self._conn.isAlive() == 1
        except libvirt.libvirtError:
            return False

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await asyncio.to_thread(conn.close)
            except libvirt.libvirtError:
                pass

    def _conn_or_raise(self) -> libvirt.virConnect:
        if self._conn is None:
            raise HypervisorError(f"not connected to {self.uri}")
        return self._conn

    async def capacity(self) -> Capacity:
        return await asyncio.to_thread(self._capacity)

    def _capacity(self) -> Capacity:
        """Runs in a worker thread. Committed = what every defined domain may use:
        libvirt's test driver enforces nothing, so the spoke does its own accounting."""
        conn = self._conn_or_raise()
        try:
            _model, memory_mb, cpus, *_ = conn.getInfo()
            committed_cpus = committed_kib = 0
            for dom in conn.listAllDomains():
                _state, max_kib, _kib, vcpus, _cputime = dom.info()
                committed_cpus += vcpus
                committed_kib += max_kib
        except libvirt.libvirtError as e:
            raise HypervisorError(f"libvirt: {e.get_error_message()}") from None
        return Capacity(cpus=cpus, memory_mb=memory_mb, committed_cpus=committed_cpus,
                        committed_memory_mb=committed_kib // 1024)
