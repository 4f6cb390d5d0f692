"""The connection to libvirtd, and libvirt's event loop, in one thread per process.

libvirt's own event loop runs in one thread per process, registered before any
connection is opened: libvirt's default implementation is thread-safe, so calls made
from worker threads (asyncio.to_thread) may add and update its handles and timers.
(libvirtaio, the asyncio adapter, is not: it mutates the asyncio loop from whichever
thread libvirt calls it on.) Lifecycle and close callbacks arrive on that thread and
are handed to the asyncio loop with call_soon_threadsafe. Calls that can block on a slow
libvirtd go through asyncio.to_thread.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING

import libvirt

from capsul import lifecycle_words
from capsul.backoff import Backoff
from capsul.spoke.virt.common import CAPSUL_PREFIX, HypervisorError, _message

if TYPE_CHECKING:
    from capsul.spoke.virt.domains import Capacity

log = logging.getLogger(__name__)

_event_thread: threading.Thread | None = None
_event_thread_lock = threading.Lock()


def _ignore_libvirt_error(_ctx, _err) -> None:
    """libvirt prints every error to stderr by default; we handle them as exceptions."""


def _start_event_thread() -> None:
    """Register libvirt's default event implementation and run it in a daemon thread, once
    per process (libvirt allows one implementation per process, for good)."""
    global _event_thread
    with _event_thread_lock:
        if _event_thread is not None:
            return
        libvirt.registerErrorHandler(_ignore_libvirt_error, None)
        libvirt.virEventRegisterDefaultImpl()

        def run() -> None:
            while True:
                if libvirt.virEventRunDefaultImpl() < 0:
                    log.error("libvirt's event loop failed an iteration")

        _event_thread = threading.Thread(target=run, name="libvirt events", daemon=True)
        _event_thread.start()


def _close_quietly(conn: libvirt.virConnect) -> None:
    try:
        conn.close()
    except libvirt.libvirtError:
        pass


def _close_late_connection(opening: asyncio.Future) -> None:
    """Done-callback of an open that was given up on: close what it opened, if anything."""
    if not opening.cancelled() and opening.exception() is None:
        conn, _callback_ids = opening.result()
        threading.Thread(target=_close_quietly, args=(conn,), name="libvirt late close", daemon=True).start()


def _call_in_loop(loop: asyncio.AbstractEventLoop, fn, *args) -> None:
    """From libvirt's event thread: run fn(*args) on the asyncio loop, unless it is gone."""
    try:
        loop.call_soon_threadsafe(fn, *args)
    except RuntimeError:
        pass  # the loop closed (the spoke stopped): nobody to tell


def lifecycle_state(event: int, detail: int) -> str | None:
    """A lifecycle event -> the state it leaves the domain in; None for events that change nothing."""
    if event in (libvirt.VIR_DOMAIN_EVENT_STARTED, libvirt.VIR_DOMAIN_EVENT_RESUMED):
        return "running"
    if event in (libvirt.VIR_DOMAIN_EVENT_SUSPENDED, libvirt.VIR_DOMAIN_EVENT_PMSUSPENDED):
        return "paused"
    if event == libvirt.VIR_DOMAIN_EVENT_STOPPED:
        if detail == libvirt.VIR_DOMAIN_EVENT_STOPPED_MIGRATED:
            return None  # it left this host for another, still running: the move's end says so (spoke/moves.py)
        return "crashed" if detail == libvirt.VIR_DOMAIN_EVENT_STOPPED_FAILED else "stopped"
    if event == libvirt.VIR_DOMAIN_EVENT_CRASHED:
        return "crashed"
    if event == libvirt.VIR_DOMAIN_EVENT_UNDEFINED:
        return "deleted"
    return None  # DEFINED, SHUTDOWN (a STOPPED follows)


class Connection:
    """One libvirt connection, kept open: a lost connection (libvirt's close callback, also
    fired when keepalive gives up on a hung libvirtd) is reopened with back-off."""
    open_timeout = 30.0  # a libvirtd that accepts but never answers must not stall reconnects

    def __init__(self, uri: str):
        self.uri = uri
        self._conn: libvirt.virConnect | None = None
        self._callback_ids: list[int] = []
        self._lifecycle_callbacks: list = []
        self._reconnect_hooks: list = []
        self._reconnecting: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False
        self.last_capacity: Capacity | None = None

    async def connect(self) -> None:
        """Open the connection (raises HypervisorError). If it is lost later, reconnect with
        back-off by itself, re-register event callbacks, then call every `on_reconnect` hook."""
        _start_event_thread()
        self._loop = asyncio.get_running_loop()
        self._closing = False
        await self._open()
        log.info("connected to libvirt at %s", self.uri)

    async def _open(self) -> None:
        opening = asyncio.ensure_future(asyncio.to_thread(self._open_blocking))
        try:
            conn, callback_ids = await asyncio.wait_for(asyncio.shield(opening), self.open_timeout)
        except (TimeoutError, asyncio.CancelledError) as e:
            # A thread cannot be stopped: whatever it opens in the end is closed, not leaked.
            opening.add_done_callback(_close_late_connection)
            if isinstance(e, asyncio.CancelledError):
                raise
            raise HypervisorError(f"cannot connect to {self.uri}: no answer within {self.open_timeout:g} s") from None
        self._conn, self._callback_ids = conn, callback_ids

    def _open_blocking(self) -> tuple[libvirt.virConnect, list[int]]:
        """Runs in a worker thread: open, keepalive, close callback, lifecycle callbacks."""
        try:
            conn = libvirt.open(self.uri)
        except libvirt.libvirtError as e:
            raise HypervisorError(f"cannot connect to {self.uri}: {_message(e)}") from None
        try:
            try:
                # Detects a hung libvirtd on daemon URIs (the test driver has no keepalive).
                conn.setKeepAlive(5, 3)
            except libvirt.libvirtError:
                pass
            try:
                conn.registerCloseCallback(self._on_close, None)
            except libvirt.libvirtError:
                pass  # the test driver never closes by itself
            callback_ids = [conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                        self._lifecycle_dispatcher(callback), None)
                            for callback in self._lifecycle_callbacks]
        except libvirt.libvirtError as e:
            _close_quietly(conn)
            raise HypervisorError(f"cannot watch {self.uri} for events: {_message(e)}") from None
        return conn, callback_ids

    def _on_close(self, conn, reason: int, _opaque) -> None:
        """libvirt lost the connection (libvirtd restarted, keepalive timed out). Runs on
        libvirt's event thread: hands over to the asyncio loop."""
        _call_in_loop(self._loop, self._lost, conn, f"reason {reason}")

    def _lost(self, conn, why: str) -> None:
        if self._closing or self._conn is None or (conn is not None and conn is not self._conn):
            return  # stopping, already reconnecting, or a connection already replaced
        log.warning("lost the connection to libvirt at %s (%s); reconnecting", self.uri, why)
        self._conn = None
        if self._reconnecting is None:
            self._reconnecting = self._loop.create_task(self._reconnect(), name="libvirt reconnect")

    async def _reconnect(self, max_backoff: float = 10.0) -> None:
        backoff = Backoff(first=0.5, ceiling=max_backoff)
        try:
            while not self._closing:
                try:
                    await self._open()
                except HypervisorError as e:
                    log.warning("%s (retrying in %g s)", e, backoff.delay)
                except Exception:  # never give up silently: the spoke is useless without libvirt
                    log.exception("reconnecting to libvirt at %s failed (retrying in %g s)", self.uri,
                                  backoff.delay)
                else:
                    log.info("reconnected to libvirt at %s", self.uri)
                    for hook in self._reconnect_hooks:
                        hook()
                    return
                await backoff.wait()
        finally:
            self._reconnecting = None

    def on_reconnect(self, hook) -> None:
        """hook() after every reconnect (the spoke asks the hub for a resync)."""
        self._reconnect_hooks.append(hook)

    def on_lifecycle(self, callback) -> None:
        """callback(vm_id, state, reason) on the asyncio loop for every lifecycle event of a
        capsul domain, on the first connection and every one after a reconnect. Call before
        connect()."""
        if self._conn is not None:
            raise RuntimeError("register lifecycle callbacks before connecting")
        self._lifecycle_callbacks.append(callback)

    def _lifecycle_dispatcher(self, callback):
        loop = self._loop
        shutdown_by: dict[str, int] = {}  # domain -> who asked for the shutdown under way (guest or host)

        def dispatch(_conn, dom, event, detail, _opaque):
            """Runs on libvirt's event thread: no blocking call, hands over to the loop."""
            name = dom.name()
            if not name.startswith(CAPSUL_PREFIX):
                return
            if event == libvirt.VIR_DOMAIN_EVENT_SHUTDOWN:
                shutdown_by[name] = detail
            state = lifecycle_state(event, detail)
            if state is not None:
                words = lifecycle_words.describe(event, detail, shutdown_by.pop(name, None))
                _call_in_loop(loop, callback, name, state, words)
        return dispatch

    @property
    def connected(self) -> bool:
        try:
            return self._conn is not None and self._conn.isAlive() == 1
        except libvirt.libvirtError:
            return False

    async def close(self) -> None:
        self._closing = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            await asyncio.gather(self._reconnecting, return_exceptions=True)
        conn, self._conn = self._conn, None
        if conn is not None:
            callback_ids, self._callback_ids = self._callback_ids, []

            def release():
                for callback_id in callback_ids:
                    try:
                        conn.domainEventDeregisterAny(callback_id)
                    except libvirt.libvirtError:
                        pass
                try:
                    conn.unregisterCloseCallback()
                except libvirt.libvirtError:
                    pass
                _close_quietly(conn)
            await asyncio.to_thread(release)

    def _conn_or_raise(self) -> libvirt.virConnect:
        if self._conn is None:
            raise HypervisorError(f"not connected to {self.uri}")
        return self._conn
