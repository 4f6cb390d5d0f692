"""The spoke's libvirt connection. The only module that imports libvirt.

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
import ipaddress
import logging
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import libvirt

from capsul import lifecycle_words
from capsul.backoff import Backoff
from capsul.spoke.domain_xml import BUILD_MARK_NS

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


def _has_build_mark(dom: libvirt.virDomain) -> bool:
    try:
        dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, BUILD_MARK_NS, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
    except libvirt.libvirtError as e:
        if e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN_METADATA:
            return False
        raise
    return True


def _remove_build_mark(dom: libvirt.virDomain) -> None:
    """From the persistent definition (what an inactive domain is started from)."""
    dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, None, None, BUILD_MARK_NS,
                    libvirt.VIR_DOMAIN_AFFECT_CONFIG)


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


class HypervisorError(Exception):
    """libvirt refused or failed; str() is a message for the operator."""


class VmNotFound(HypervisorError):
    """No domain of that name on this host."""


CAPSUL_PREFIX = "capsul-"  # only domains named like this are capsul's; others are left alone

# virDomainState -> the state users see
_STATES = {
    libvirt.VIR_DOMAIN_NOSTATE: "stopped",
    libvirt.VIR_DOMAIN_RUNNING: "running",
    libvirt.VIR_DOMAIN_BLOCKED: "running",
    libvirt.VIR_DOMAIN_PAUSED: "paused",
    libvirt.VIR_DOMAIN_SHUTDOWN: "running",  # shutting down, still running
    libvirt.VIR_DOMAIN_SHUTOFF: "stopped",
    libvirt.VIR_DOMAIN_CRASHED: "crashed",
    libvirt.VIR_DOMAIN_PMSUSPENDED: "paused",
}


def lifecycle_state(event: int, detail: int) -> str | None:
    """A lifecycle event -> the state it leaves the domain in; None for events that change nothing."""
    if event in (libvirt.VIR_DOMAIN_EVENT_STARTED, libvirt.VIR_DOMAIN_EVENT_RESUMED):
        return "running"
    if event in (libvirt.VIR_DOMAIN_EVENT_SUSPENDED, libvirt.VIR_DOMAIN_EVENT_PMSUSPENDED):
        return "paused"
    if event == libvirt.VIR_DOMAIN_EVENT_STOPPED:
        return "crashed" if detail == libvirt.VIR_DOMAIN_EVENT_STOPPED_FAILED else "stopped"
    if event == libvirt.VIR_DOMAIN_EVENT_CRASHED:
        return "crashed"
    if event == libvirt.VIR_DOMAIN_EVENT_UNDEFINED:
        return "deleted"
    return None  # DEFINED, SHUTDOWN (a STOPPED follows)


def _vanished(e: libvirt.libvirtError) -> bool:
    """The domain was undefined between being listed and being asked (a delete going on)."""
    return e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN


def _of_each_capsul(conn: libvirt.virConnect, read) -> list:
    """read(domain) for every capsul domain, skipping one that vanished after the listing: a delete
    at that moment must not fail the whole call (a create's offer was refused so, 24 in 10,000)."""
    results = []
    for dom in conn.listAllDomains():
        if dom.name().startswith(CAPSUL_PREFIX):  # name() is kept client-side: no call to libvirtd
            try:
                results.append(read(dom))
            except libvirt.libvirtError as e:
                if not _vanished(e):
                    raise
    return results


def _message(e: libvirt.libvirtError) -> str:
    return e.get_error_message() or str(e)


@dataclass(frozen=True)
class Capacity:
    cpus: int
    memory_mb: int
    committed_cpus: int
    committed_memory_mb: int

    def as_dict(self) -> dict:
        return {"cpus": self.cpus, "memory_mb": self.memory_mb,
                "committed_cpus": self.committed_cpus, "committed_memory_mb": self.committed_memory_mb}


class ConsoleUnsupported(HypervisorError):
    """This libvirt driver has no serial consoles."""


def _abort_quietly(stream: libvirt.virStream) -> None:
    try:
        stream.abort()
    except libvirt.libvirtError:
        pass


class SerialStream:
    """A domain's serial console on a non-blocking libvirt stream. libvirt's event thread reads
    it (on_event) and hands the bytes to the asyncio loop; `send` writes from a worker thread and
    waits on the loop when the stream is full. Nothing here blocks the event loop."""

    READ_SIZE = 64 * 1024
    WATCH = libvirt.VIR_STREAM_EVENT_READABLE | libvirt.VIR_STREAM_EVENT_ERROR | libvirt.VIR_STREAM_EVENT_HANGUP

    def __init__(self, stream: libvirt.virStream, loop: asyncio.AbstractEventLoop, on_data, on_end):
        self._stream, self._loop = stream, loop
        self._on_data, self._on_end = on_data, on_end
        self._ended = False
        self._writable = asyncio.Event()

    def on_event(self, stream: libvirt.virStream, events: int, _opaque) -> None:
        """On libvirt's event thread."""
        if events & libvirt.VIR_STREAM_EVENT_WRITABLE:
            self._watch(self.WATCH)
            _call_in_loop(self._loop, self._writable.set)
        if events & libvirt.VIR_STREAM_EVENT_READABLE:
            while not self._ended:
                try:
                    data = stream.recv(self.READ_SIZE)
                except libvirt.libvirtError as e:
                    self._end(f"read failed: {_message(e)}")
                    return
                if data == -2:
                    break  # drained
                if not data:
                    self._end("end of stream")
                    return
                _call_in_loop(self._loop, self._on_data, data)
        if events & (libvirt.VIR_STREAM_EVENT_ERROR | libvirt.VIR_STREAM_EVENT_HANGUP):
            self._end("hung up")

    def _watch(self, events: int) -> None:
        try:
            self._stream.eventUpdateCallback(events)
        except libvirt.libvirtError:
            pass  # the stream is ending: its end is reported by the read side

    def _stop_watching(self) -> bool:
        """Mark it ended and stop its callback; False if it had ended already."""
        if self._ended:
            return False
        self._ended = True
        try:
            self._stream.eventRemoveCallback()
        except libvirt.libvirtError:
            pass
        return True

    def _end(self, why: str) -> None:
        if self._stop_watching():
            _call_in_loop(self._loop, self._on_end, why)

    async def send(self, data: bytes) -> None:
        """Write all of `data` (what a person typed), in order; one caller at a time."""
        while data and not self._ended:
            try:
                sent = await asyncio.to_thread(self._stream.send, data)
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
            if sent == -2:  # full: wait until libvirt says it is writable again
                self._writable.clear()
                await asyncio.to_thread(self._watch, self.WATCH | libvirt.VIR_STREAM_EVENT_WRITABLE)
                await self._writable.wait()
                continue
            data = data[sent:]

    async def close(self) -> None:
        """Detach; the guest and its console log carry on. Harmless to repeat."""
        def run():
            self._stop_watching()
            _abort_quietly(self._stream)
        self._writable.set()  # a send waiting for room gives up
        await asyncio.to_thread(run)


class Hypervisor:
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

    async def capacity(self) -> Capacity:
        capacity = await asyncio.to_thread(self._capacity)
        self.last_capacity = capacity
        return capacity

    async def capacity_quickly(self, wait: float = 0.25) -> Capacity:
        """A fresh figure if libvirt gives one within `wait` seconds, else the last known one.

        For heartbeats: a libvirt job in progress (a 2 s destroy holds a domain's lock) must
        not make the spoke look dead. The slow query goes on and refreshes the figure.
        """
        query = asyncio.ensure_future(self.capacity())
        done, _ = await asyncio.wait([query], timeout=wait)
        if query in done or self.last_capacity is None:
            return await query
        query.add_done_callback(lambda q: q.cancelled() or q.exception())  # retrieved: no warning
        return self.last_capacity

    def _capacity(self) -> Capacity:
        """Runs in a worker thread. Committed = what every defined capsul domain may use,
        whether running or not: capsul's own accounting (libvirt's test driver enforces
        nothing), matching the hub's. Domains not named capsul-* are not counted."""
        conn = self._conn_or_raise()
        try:
            _model, memory_mb, cpus, *_ = conn.getInfo()
            sizes = _of_each_capsul(conn, lambda dom: dom.info())  # (state, max KiB, KiB, vCPUs, CPU time)
            committed_cpus = sum(info[3] for info in sizes)
            committed_kib = sum(info[1] for info in sizes)
        except libvirt.libvirtError as e:
            raise HypervisorError(f"libvirt: {_message(e)}") from None
        return Capacity(cpus=cpus, memory_mb=memory_mb, committed_cpus=committed_cpus,
                        committed_memory_mb=committed_kib // 1024)

    # --- domains: every call runs in a worker thread ----------------------------------------

    async def list_capsuls(self) -> list[dict]:
        return await asyncio.to_thread(self._list_capsuls)

    def _list_capsuls(self) -> list[dict]:
        conn = self._conn_or_raise()
        try:
            return _of_each_capsul(conn, lambda dom: {"vm_id": dom.name(),
                                                      "state": _STATES.get(dom.state()[0], "stopped")})
        except libvirt.libvirtError as e:
            raise HypervisorError(f"libvirt: {_message(e)}") from None

    async def describe_capsul_domains(self) -> list[dict]:
        """[{name, xml, running}] of every capsul domain (for the test driver, which forgets them)."""
        def run():
            return _of_each_capsul(self._conn_or_raise(), lambda dom: {
                "name": dom.name(), "xml": dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE), "running": dom.isActive() == 1})
        try:
            return await asyncio.to_thread(run)
        except libvirt.libvirtError as e:
            raise HypervisorError(f"libvirt: {_message(e)}") from None

    async def define_kept(self, kept: list[dict]) -> list[str]:
        """Define each of describe_capsul_domains()'s domains that is not defined, starting those that
        ran; the names defined. One that cannot be defined is logged and left out."""
        def run():
            conn = self._conn_or_raise()
            present = set(conn.listDefinedDomains()) | {d.name() for d in conn.listAllDomains()}
            defined = []
            for domain in kept:
                name = domain.get("name") if isinstance(domain, dict) else None
                if not isinstance(name, str) or not name.startswith(CAPSUL_PREFIX) or name in present:
                    continue
                try:
                    dom = conn.defineXML(domain["xml"])
                    if domain.get("running"):
                        dom.create()
                    defined.append(name)
                except (libvirt.libvirtError, KeyError, TypeError) as e:
                    log.error("cannot define %s again: %s", name, e)
            return defined
        return await asyncio.to_thread(run)

    async def finish_interrupted_builds(self) -> list[str]:
        """Finish what a killed spoke left half done; returns the names of the domains started.

        - defined but never started (the build mark is still on it): start it;
        - paused "starting up" (the start's caller never saw it through): resume it;
        - started, mark left (killed before removing it): remove the mark only, so a capsul
          its owner stops later is never started again by a spoke restart.
        """
        def run():
            conn = self._conn_or_raise()
            started = []
            for dom in conn.listAllDomains():
                name = dom.name()
                if not name.startswith(CAPSUL_PREFIX):
                    continue
                try:
                    unfinished = _has_build_mark(dom)
                    state, reason = dom.state()
                    if unfinished and not dom.isActive():
                        dom.create()
                        started.append(name)
                    elif state == libvirt.VIR_DOMAIN_PAUSED and reason == libvirt.VIR_DOMAIN_PAUSED_STARTING_UP:
                        try:
                            dom.resume()
                            started.append(name)
                        except libvirt.libvirtError:
                            if dom.state()[0] != libvirt.VIR_DOMAIN_RUNNING:  # else libvirtd finished it itself
                                raise
                    if unfinished:
                        _remove_build_mark(dom)
                except libvirt.libvirtError as e:
                    if not _vanished(e):  # deleted meanwhile: nothing to finish
                        log.error("cannot finish the interrupted build of %s: %s", name, _message(e))
            return started
        try:
            return await asyncio.to_thread(run)
        except libvirt.libvirtError as e:
            raise HypervisorError(f"libvirt: {_message(e)}") from None

    def _lookup(self, vm_id: str) -> libvirt.virDomain:
        try:
            return self._conn_or_raise().lookupByName(vm_id)
        except libvirt.libvirtError as e:
            if e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                raise VmNotFound(f"no capsul {vm_id} on this host") from None
            raise HypervisorError(f"libvirt: {_message(e)}") from None

    async def state(self, vm_id: str) -> str:
        def run():
            try:
                return _STATES.get(self._lookup(vm_id).state()[0], "stopped")
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
        return await asyncio.to_thread(run)

    async def xml(self, vm_id: str) -> str:
        def run():
            try:
                return self._lookup(vm_id).XMLDesc()
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
        return await asyncio.to_thread(run)

    async def exists(self, vm_id: str) -> bool:
        try:
            await self.state(vm_id)
        except VmNotFound:
            return False
        return True

    async def define_and_start(self, vm_id: str, domain_xml: str) -> str:
        """Define and start the domain unless a domain of that name exists (then leave it be)."""
        def run():
            conn = self._conn_or_raise()
            try:
                dom = conn.lookupByName(vm_id)
            except libvirt.libvirtError as e:
                if e.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
                    raise HypervisorError(f"libvirt: {_message(e)}") from None
                dom = None
            try:
                if dom is None:
                    dom = conn.defineXML(domain_xml)
                if not dom.isActive():
                    dom.create()
                if _has_build_mark(dom):
                    _remove_build_mark(dom)
                return _STATES.get(dom.state()[0], "stopped")
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
        return await asyncio.to_thread(run)

    async def destroy(self, vm_id: str) -> bool:
        """Stop and undefine the domain; True if it existed. Harmless to repeat."""
        def run():
            try:
                dom = self._lookup(vm_id)
            except VmNotFound:
                return False
            try:
                if dom.isActive():
                    dom.destroy()
                dom.undefine()
            except libvirt.libvirtError as e:
                if e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                    return False  # gone meanwhile
                raise HypervisorError(f"libvirt: {_message(e)}") from None
            return True
        return await asyncio.to_thread(run)

    async def command(self, vm_id: str, command: str) -> str:
        """start, shutdown (ACPI), force-stop or reboot; returns the state afterwards."""
        def run():
            dom = self._lookup(vm_id)
            try:
                active = dom.isActive()
                if command == "start":
                    if not active:
                        dom.create()
                    elif dom.state()[0] == libvirt.VIR_DOMAIN_PAUSED:
                        dom.resume()  # a paused capsul starts by carrying on
                elif command == "shutdown":
                    if active:
                        dom.shutdown()
                elif command == "force-stop":
                    if active:
                        dom.destroy()
                elif command == "reboot":
                    if not active:
                        raise HypervisorError(f"capsul {vm_id} is not running")
                    dom.reboot()
                elif command == "suspend":  # not offered to users; the benchmarks use it
                    dom.suspend()
                elif command == "resume":
                    dom.resume()
                else:
                    raise HypervisorError(f"unknown command {command!r}")
                return _STATES.get(dom.state()[0], "stopped")
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
        return await asyncio.to_thread(run)

    # --- usage -----------------------------------------------------------------------------

    @property
    def reports_usage(self) -> bool:
        """libvirt's test driver answers getAllDomainStats with state only."""
        return not self.uri.startswith("test:")

    USAGE_STATS = (libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_CPU_TOTAL | libvirt.VIR_DOMAIN_STATS_BALLOON
                   | libvirt.VIR_DOMAIN_STATS_VCPU | libvirt.VIR_DOMAIN_STATS_INTERFACE | libvirt.VIR_DOMAIN_STATS_BLOCK)

    async def usage_counters(self) -> dict[str, dict]:
        """Every running capsul's counters, in one getAllDomainStats call: {vm_id: {stat: value}}."""
        def run():
            try:
                records = self._conn_or_raise().getAllDomainStats(
                    self.USAGE_STATS, libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_RUNNING)
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
            return {dom.name(): stats for dom, stats in records if dom.name().startswith(CAPSUL_PREFIX)}
        return await asyncio.to_thread(run)

    # --- the serial console ---------------------------------------------------------------

    async def open_console(self, vm_id: str, on_data, on_end) -> SerialStream:
        """Attach to the domain's serial console, taking it over from any other client (as
        `virsh console --force` does). on_data(bytes) and on_end(why) are called on the asyncio
        loop. Raises ConsoleUnsupported on a driver without consoles (libvirt's test driver)."""
        loop = asyncio.get_running_loop()

        def run():
            dom = self._lookup(vm_id)
            try:
                stream = self._conn_or_raise().newStream(libvirt.VIR_STREAM_NONBLOCK)
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt: {_message(e)}") from None
            try:
                dom.openConsole(None, stream, libvirt.VIR_DOMAIN_CONSOLE_FORCE)
            except libvirt.libvirtError as e:
                _abort_quietly(stream)
                if e.get_error_code() == libvirt.VIR_ERR_NO_SUPPORT:
                    raise ConsoleUnsupported(f"libvirt at {self.uri} has no serial consoles") from None
                raise HypervisorError(f"libvirt: {_message(e)}") from None
            serial = SerialStream(stream, loop, on_data, on_end)
            try:
                stream.eventAddCallback(SerialStream.WATCH, serial.on_event, None)
            except libvirt.libvirtError as e:
                _abort_quietly(stream)
                raise HypervisorError(f"libvirt: {_message(e)}") from None
            return serial
        return await asyncio.to_thread(run)

    # --- libvirt networks: only those the hub names (the networks of this host's pools) ------

    async def network_problems(self, names: list[str]) -> dict[str, str]:
        """{name: "missing" | "inactive"} for each named libvirt network that cannot take a guest."""
        def run():
            conn = self._conn_or_raise()
            problems = {}
            for name in names:
                try:
                    if not conn.networkLookupByName(name).isActive():
                        problems[name] = "inactive"
                except libvirt.libvirtError as e:
                    if e.get_error_code() != libvirt.VIR_ERR_NO_NETWORK:
                        raise HypervisorError(f"libvirt: {_message(e)}") from None
                    problems[name] = "missing"
            return problems
        return await asyncio.to_thread(run)

    async def network_xml(self, name: str) -> str:
        """The live definition of a libvirt network (operators' views and the tests)."""
        def run():
            try:
                return self._conn_or_raise().networkLookupByName(name).XMLDesc(0)
            except libvirt.libvirtError as e:
                raise HypervisorError(f"libvirt network {name}: {_message(e)}") from None
        return await asyncio.to_thread(run)

    async def reserve_dhcp(self, network: str, mac: str, ipv4: str, name: str) -> str:
        """A DHCP host entry (MAC -> IPv4, named after the capsul) on the libvirt network, live and
        persistent, when the network serves DHCP for that address. Idempotent: an entry already
        there is kept, a stale one holding the MAC, address or name is replaced. Returns what was
        done, for the log: "added", "present", or "no DHCP" when the network serves none for it."""
        return await asyncio.to_thread(self._update_dhcp, network, name, (mac, ipv4))

    async def release_dhcp(self, network: str, name: str) -> bool:
        """Remove the entries named `name` (live and persistent); True if there were any."""
        return await asyncio.to_thread(self._update_dhcp, network, name, None) == "removed"

    def _update_dhcp(self, network: str, name: str, wanted: tuple[str, str] | None) -> str:
        conn = self._conn_or_raise()
        try:
            net = conn.networkLookupByName(network)

            def live_xml():
                return net.XMLDesc(0)

            def config_xml():
                try:
                    return net.XMLDesc(libvirt.VIR_NETWORK_XML_INACTIVE)
                except libvirt.libvirtError:  # the test driver keeps one definition only
                    return net.XMLDesc(0)

            # Each view is read just before it is changed: on some drivers they are one and the same.
            views = ([(libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE, live_xml)] if net.isActive() else []) + \
                    ([(libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG, config_xml)] if net.isPersistent() else [])
            outcome = "present" if wanted else "absent"
            for flag, read in views:
                plan = dhcp_plan(read(), name, wanted)
                if isinstance(plan, str):
                    return plan  # no DHCP for this address here: nothing to do
                index, stale, add = plan
                for entry in stale:
                    net.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST,
                               index, entry, flag)
                    outcome = "removed" if wanted is None else outcome
                if add:
                    net.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST,
                               index, add, flag)
                    outcome = "added"
            return outcome
        except libvirt.libvirtError as e:
            if e.get_error_code() == libvirt.VIR_ERR_NO_NETWORK:
                if wanted is None:
                    return "absent"
                raise HypervisorError(f"libvirt network {network} is missing") from None
            raise HypervisorError(f"libvirt network {network}: {_message(e)}") from None


def dhcp_plan(network_xml: str, name: str, wanted: tuple[str, str] | None) -> str | tuple[int, list[str], str | None]:
    """What to change in one view of a network so that exactly `wanted` (mac, ipv4) is reserved
    under `name` (or nothing, when None): (index of the <ip> element, host entries to delete as
    XML, entry to add or None); or "no DHCP" when the network serves none for that address."""
    root = ET.fromstring(network_xml)
    ips = root.findall("ip")
    if wanted is not None:
        address = ipaddress.IPv4Address(wanted[1])
    for index, ip in enumerate(ips):
        dhcp = ip.find("dhcp")
        if ip.get("family", "ipv4") != "ipv4" or dhcp is None or not ip.get("address"):
            continue
        subnet = ipaddress.IPv4Network(f"{ip.get('address')}/{ip.get('prefix') or ip.get('netmask') or 24}",
                                       strict=False)
        hosts = dhcp.findall("host")
        if wanted is None:
            stale = [h for h in hosts if h.get("name") == name]
            if stale:
                return index, [ET.tostring(h, encoding="unicode").strip() for h in stale], None
            continue
        if address not in subnet:
            continue
        mac, ipv4 = wanted[0].lower(), wanted[1]
        exact = [h for h in hosts if (h.get("mac") or "").lower() == mac and h.get("ip") == ipv4
                 and h.get("name") == name]
        stale = [h for h in hosts if h not in exact and ((h.get("mac") or "").lower() == mac or h.get("ip") == ipv4
                                                         or h.get("name") == name)]
        add = None if exact else ET.tostring(ET.Element("host", mac=mac, name=name, ip=ipv4), encoding="unicode")
        return index, [ET.tostring(h, encoding="unicode").strip() for h in stale], add
    if wanted is None:
        return 0, [], None  # nothing reserved under that name
    return "no DHCP"
