"""The serial console of a real guest under software emulation: the suite's busybox guest
booted with a shell on ttyS0 (tests/guest_image.py), behind a real libvirtd, a spoke process,
and a hub in this process.

Through the API's websocket: the end of the console log first (boot lines), typing and its
effect, takeover by a second session, a reader that never reads cut off while the guest runs
on, the spoke going away, the idle timeout on a second hub and that hub stopping, the capsul
stopping. `run.py
console` in a pseudo-terminal: the round trip, Ctrl-] and the tty restored. In Chromium:
the page, the same round trip, takeover told, shutdown told.
"""
from __future__ import annotations

import asyncio
import json
import os
import pty
import re
import shutil
import socket
import struct
import termios

import aiohttp
import pytest
from playwright.async_api import expect

from capsul import serial_console as wire
from capsul.config import Role
from capsul.hub import capsuls, db, serial_console
from capsul.hub.accounts import api_tokens
from tests import guest_image, libvirtd
from tests.conftest import ALICE, PYTHON, REPO, child_env, eventually, host_row
from tests.ptys import read_until
from tests.test_browser import browsers, chromium, log_in  # noqa: F401 - fixtures
from tests.test_real_hypervisor import add_image, qemu_setup, system_libvirt  # noqa: F401 - fixture

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="runs a system libvirtd")]

ROUND_TRIP = b"echo capsul-$((6*7))\r"  # what the shell prints for it, capsul-42, is not in what was typed
FLOOD = b"yes capsul-flood-capsul-flood-capsul-flood | head -c 60000000; echo flood-done\r"


async def running_shell_guest(setup, pool) -> str:
    """A capsul of the busybox guest with a shell on its serial console, booted."""
    kernel, initrd = guest_image.build()
    shutil.copy(kernel, setup.images / "vmlinuz")
    shutil.copy(initrd, setup.images / "initrd.gz")
    await add_image(pool, "tinyshell", "blank.qcow2", kernel="vmlinuz", initrd="initrd.gz",
                    cmdline=f"console=ttyS0 panic=-1 {guest_image.SHELL_FLAG}")
    vm = await capsuls.create_capsul(setup.hub.hub, ALICE, "f1-xs", "tinyshell", ["laptop"])
    setup.made.append(vm["id"])
    log = setup.storage / f"{vm['id']}-console.log"

    async def shell_up():
        return log.exists() and f"{guest_image.MARK} shell on ttyS0" in log.read_text(errors="replace")
    await eventually(shell_up, within=180, every=0.5)
    return vm["id"]


class Session:
    """One console websocket, read in the background: what it showed, and how it ended."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse):
        self.ws, self.shown, self.attached_at, self.end = ws, b"", None, None
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.BINARY:
                self.shown += msg.data
            elif msg.type == aiohttp.WSMsgType.TEXT:
                control = json.loads(msg.data)
                if control["type"] == "attached":
                    self.attached_at = len(self.shown)
                elif control["type"] == "end":
                    self.end = control

    async def attached(self) -> Session:
        await eventually(lambda: self._attached(), within=30)
        return self

    async def _attached(self):
        assert self.end is None, self.end
        return self.attached_at is not None

    async def shows(self, text: bytes, *, within: float = 30, live: bool = True) -> None:
        async def seen():
            return text in (self.shown[self.attached_at:] if live else self.shown)
        try:
            await eventually(seen, within=within, every=0.1)
        except BaseException:
            print(f"the console showed, at its end: {self.shown[-2000:]!r}")
            raise

    async def ended(self, *, within: float = 30) -> dict:
        await asyncio.wait_for(self.reader, within)
        assert self.end is not None, f"closed without saying why; it showed {self.shown[-300:]!r}"
        return self.end

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.gather(self.reader, return_exceptions=True)


async def open_session(client: aiohttp.ClientSession, hub_url: str, vm_id: str, token: str) -> Session:
    ws = await client.ws_connect(f"{hub_url}/api/v1/capsuls/{vm_id}/console",
                                 headers={"Authorization": f"Bearer {token}"})
    return Session(ws)


async def never_reading_session(hub_url: str, vm_id: str, token: str, typed: bytes) -> socket.socket:
    """A websocket client with a tiny receive buffer that types `typed` and then reads nothing."""
    host, port = hub_url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (host, int(port)))
    request = (f"GET /api/v1/capsuls/{vm_id}/console HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n").encode()
    await loop.sock_sendall(sock, request)
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += await loop.sock_recv(sock, 1)  # byte by byte: leave the console's output unread
    assert answer.startswith(b"HTTP/1.1 101"), answer
    mask = b"\x01\x02\x03\x04"
    frame = bytes([0x82, 0x80 | 126]) + struct.pack("!H", len(typed)) + mask + bytes(
        b ^ mask[i % 4] for i, b in enumerate(typed))
    await loop.sock_sendall(sock, frame)
    return sock


def open_relays(setup) -> set:
    return setup.hub.console_app[serial_console.open_relays]


async def test_console_of_a_real_guest(system_libvirt, start_node, pool, tls_files):  # noqa: F811
    async with qemu_setup(system_libvirt, start_node, pool, tls_files, SHUTDOWN_TIMEOUT="2") as setup:
        vm_id = await running_shell_guest(setup, pool)
        hub_url = setup.hub.console_url
        token, _ = await api_tokens.create_token(pool, ALICE, "console", "write", None)
        async with aiohttp.ClientSession() as client:
            # the end of the console log first (boot lines), then live: typing reaches the shell
            first = await (await open_session(client, hub_url, vm_id, token)).attached()
            assert b"Linux version" in first.shown[:first.attached_at]
            assert f"{guest_image.MARK} hostname: {vm_id}".encode() in first.shown[:first.attached_at]
            await first.ws.send_bytes(ROUND_TRIP)
            await first.shows(b"capsul-42")

            # a second session takes over; the first is told
            second = await (await open_session(client, hub_url, vm_id, token)).attached()
            assert (await first.ended())["reason"] == wire.TAKEN_OVER
            await second.ws.send_bytes(b"echo second-$((2+3))\r")
            await second.shows(b"second-5")

            # a reader that never reads is cut off at the bound; the guest runs on
            stuck = await never_reading_session(hub_url, vm_id, token, FLOOD)
            try:
                assert (await second.ended())["reason"] == wire.TAKEN_OVER
                relay = next(iter(open_relays(setup)))
                await eventually(lambda: _gone(setup, relay), within=120, every=0.2)
                assert relay.reason == wire.TOO_SLOW and relay.output.size <= wire.BUFFER_BYTES
            finally:
                stuck.close()
            assert libvirtd.virsh("domstate", vm_id).stdout.strip() == "running"
            third = await (await open_session(client, hub_url, vm_id, token)).attached()
            await third.ws.send_bytes(b"\x03")  # Ctrl-C: stop the flood if it still runs
            await third.ws.send_bytes(ROUND_TRIP)
            await third.shows(b"capsul-42", within=120)
            await third.close()

            # a console ends with the token it was opened with: revoked, or expired
            revocable, row = await api_tokens.create_token(pool, ALICE, "revocable", "write", None)
            held = await (await open_session(client, hub_url, vm_id, revocable)).attached()
            await api_tokens.revoke_token(pool, ALICE, row["id"])
            assert (await held.ended())["reason"] == wire.TOKEN_REVOKED
            expiring, row = await api_tokens.create_token(pool, ALICE, "expiring", "write", 1)
            async with db.cursor(pool) as cur:
                await cur.execute("UPDATE api_tokens SET expires_at = now() + interval '3 seconds' WHERE id = %s",
                                  (row["id"],))
            held = await (await open_session(client, hub_url, vm_id, expiring)).attached()
            assert (await held.ended())["reason"] == wire.EXPIRED

            # run.py console in a pseudo-terminal
            await cli_round_trip(hub_url, vm_id, token)

            # any hub opens any spoke's console; this one closes idle sessions after 2 s
            other_hub = await start_node(Role.HUB, CONSOLE_IDLE_TIMEOUT="2")
            idle = await (await open_session(client, other_hub.console_url, vm_id, token)).attached()
            end = await idle.ended()
            assert end == {"type": "end", "reason": wire.IDLE, "message": "Closed after 2 seconds without input."}
            # and when a hub stops, its sessions are told
            stopping = await (await open_session(client, other_hub.console_url, vm_id, token)).attached()
            await other_hub.stop()
            assert (await stopping.ended())["reason"] == wire.HUB_STOPPING

            # the spoke goes away
            spoke = setup.cluster.processes["qemu1"]
            gone = await (await open_session(client, hub_url, vm_id, token)).attached()
            await spoke.kill()
            assert (await gone.ended())["reason"] == wire.SPOKE_GONE
            await spoke.start()
            await eventually(lambda: _online(pool), within=60)

            # the capsul stops (an ACPI shutdown the guest ignores, then forced off)
            last = await (await open_session(client, hub_url, vm_id, token)).attached()
            await capsuls.capsul_action(setup.hub.hub, ALICE, vm_id, "shutdown")
            assert await last.ended() == {"type": "end", "reason": wire.STOPPED, "message": wire.MESSAGES[wire.STOPPED]}
            assert not open_relays(setup)
            # and a console of a stopped capsul says so
            after = await open_session(client, hub_url, vm_id, token)
            assert (await after.ended())["reason"] == wire.NOT_RUNNING


async def _gone(setup, relay) -> bool:
    return relay not in open_relays(setup)


async def _online(pool) -> bool:
    row = await host_row(pool, "qemu1")
    return row is not None and row["online"]


async def cli_round_trip(hub_url: str, vm_id: str, token: str) -> None:
    """`run.py console` on a pseudo-terminal: raw mode while attached, restored on Ctrl-]."""
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    try:
        process = await asyncio.create_subprocess_exec(
            PYTHON, str(REPO / "run.py"), "console", vm_id, stdin=slave, stdout=slave, stderr=slave,
            env=child_env({"CAPSUL_URL": hub_url, "CAPSUL_TOKEN": token}), start_new_session=True)
        try:
            seen = await read_until(master, b"attached to " + vm_id.encode())
            await eventually(lambda: _raw(slave), within=30)
            os.write(master, b"echo cli-$((6*7))\r")
            seen += await read_until(master, b"cli-42")
            os.write(master, b"\x1d")  # Ctrl-]
            assert await asyncio.wait_for(process.wait(), 30) == 0
            seen += await read_until(master, b"left the console")
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert termios.tcgetattr(slave) == before, "the terminal was not restored"
    finally:
        os.close(master)
        os.close(slave)


async def _raw(fd: int) -> bool:
    return not termios.tcgetattr(fd)[3] & termios.ICANON  # lflag: no line editing


def terminal_text(page):
    return page.evaluate("""() => {
        const buffer = window.capsulConsole.term.buffer.active;
        const lines = [];
        for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i).translateToString(true));
        return lines.join("\\n");
    }""")


async def test_console_in_the_browser(system_libvirt, start_node, pool, tls_files, mail, browsers):  # noqa: F811
    async with qemu_setup(system_libvirt, start_node, pool, tls_files, SHUTDOWN_TIMEOUT="2", **mail.env()) as setup:
        vm_id = await running_shell_guest(setup, pool)
        base = setup.hub.console_url
        first = await browsers.new_page()
        await log_in(first, base, mail, ALICE)
        await first.goto(f"{base}/capsuls/{vm_id}")
        await first.get_by_role("link", name="Console").click()
        status = first.locator("#console-status")
        await expect(status).to_have_attribute("data-console-state", "attached")
        assert "Linux version" in await terminal_text(first)  # the boot lines, in the scrollback
        await first.locator("#terminal").click()
        await first.keyboard.type("echo capsul-$((6*7))")
        await first.keyboard.press("Enter")
        await eventually(lambda: _has(first, re.compile(r"^capsul-42\s*$", re.M)), within=30, every=0.2)

        # a second browser takes over; the first is told
        second = await browsers.new_page()
        await log_in(second, base, mail, ALICE)
        await second.goto(f"{base}/capsuls/{vm_id}/console")
        await expect(second.locator("#console-status")).to_have_attribute("data-console-state", "attached")
        await expect(status).to_have_attribute("data-reason", wire.TAKEN_OVER)
        await expect(status).to_contain_text(wire.MESSAGES[wire.TAKEN_OVER])

        # "log out every other browser" ends the second's console too, saying why
        second_status = second.locator("#console-status")
        await first.goto(f"{base}/account")
        await first.get_by_role("button", name="Log out every other browser").click()
        await expect(second_status).to_have_attribute("data-reason", wire.LOGGED_OUT)
        await expect(second_status).to_contain_text(wire.MESSAGES[wire.LOGGED_OUT])

        # shutting the capsul down ends the session with the reason
        third = await browsers.new_page()
        await log_in(third, base, mail, ALICE)
        await third.goto(f"{base}/capsuls/{vm_id}/console")
        third_status = third.locator("#console-status")
        await expect(third_status).to_have_attribute("data-console-state", "attached")
        await first.goto(f"{base}/capsuls/{vm_id}")
        await first.get_by_role("button", name="Shut down").click()
        await expect(third_status).to_have_attribute("data-reason", wire.STOPPED, timeout=30_000)
        await expect(third_status).to_contain_text(wire.MESSAGES[wire.STOPPED])
        await expect(first.get_by_role("link", name="Console")).to_be_hidden()


async def _has(page, pattern: re.Pattern) -> bool:
    return bool(pattern.search(await terminal_text(page)))

