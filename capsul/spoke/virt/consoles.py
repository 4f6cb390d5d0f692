"""A capsul's serial console: virDomainOpenConsole on a non-blocking stream driven by libvirt's
event thread (docs/architecture.md §9)."""
from __future__ import annotations

import asyncio
import logging

import libvirt

from capsul.spoke.virt.common import HypervisorError, _message
from capsul.spoke.virt.connection import _call_in_loop

log = logging.getLogger(__name__)


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


class Consoles:
    """The console call of Hypervisor (capsul/spoke/virt/__init__.py)."""

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
