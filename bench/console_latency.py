#!/usr/bin/env python3
"""Keystroke -> echo through the serial console, in a real browser, on loopback; and, on the
same Debian guest, the same keystrokes over SSH for comparison.

The browser (Chromium via Playwright) has the console page open; in the page, each key goes
into xterm.js the way a typed key does (`term.input`), and the time runs until xterm.js has
parsed the echo: browser -> hub -> spoke (signed websocket) -> libvirt's console stream ->
the guest's serial port, and all the way back. One key at a time, the line cleared now and
then (Ctrl-U), the first keys not counted.

- the suite's busybox guest (tests/guest_image.py) with a shell on ttyS0;
- the Debian 12 cloud image (tests/cloud_image.py), when it is cached: its login prompt on
  ttyS0 in the browser, and `ssh -tt` to its shell, timed on a pseudo-terminal, from inside
  the tests' network namespace (the guest is reachable only there).

`run.py console` on a pseudo-terminal is timed the same way as ssh, on both guests: the
fair comparison with SSH (neither has a browser in the loop).

Needs root (a system libvirtd inside the tests' namespace, tests/libvirtd.py).

    .venv/bin/python bench/console_latency.py [--keys 200] [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import pty
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from guest_networks import guest_network, use_network  # noqa: E402,I001
from harness import ACCOUNT, bench_node, summary  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402

from capsul.hub import capsuls, db  # noqa: E402
from capsul.hub.accounts import api_tokens, ssh_keys  # noqa: E402
from capsul.hub.db import catalog  # noqa: E402
from tests import cloud_image, guest_image, libvirtd  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.ptys import read_until  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
WARM_UP = 10
SUBNET = "10.79.0"
CLEAR_EVERY = 25  # keys, then Ctrl-U, so the line never wraps

# In the page: one key at a time, timed until xterm.js has parsed what came back.
TYPE_AND_TIME = """async ([count, clearEvery]) => {
  const term = window.capsulConsole.term;
  const settle = () => new Promise(resolve => setTimeout(resolve, 150));
  const times = [];
  for (let i = 0; i < count; i++) {
    if (i > 0 && i % clearEvery === 0) { term.input("\\x15", true); await settle(); }
    const echoed = new Promise(resolve => { const d = term.onWriteParsed(() => { d.dispose(); resolve(); }); });
    const started = performance.now();
    term.input("abcdefghij"[i % 10], true);
    await echoed;
    times.push(performance.now() - started);
  }
  return times;
}"""


async def wait_for(check, within: float, what: str, every: float = 0.5):
    deadline = time.monotonic() + within
    while not (result := await check()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {within:g} s")
        await asyncio.sleep(every)
    return result


async def console_log_has(storage: Path, vm_id: str, text: str) -> bool:
    path = storage / f"{vm_id}-console.log"
    return path.exists() and text in path.read_text(errors="replace")


async def browser_keystrokes(bench, vm_id: str, keys: int) -> list[float]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = await browser.new_context()
            await context.add_cookies([{"name": "capsul_session", "value": bench.cookie, "url": bench.console_url}])
            page = await context.new_page()
            await page.goto(f"{bench.console_url}/capsuls/{vm_id}/console")
            await page.locator('#console-status[data-console-state="attached"]').wait_for(timeout=30_000)
            await page.evaluate("new Promise(resolve => setTimeout(resolve, 500))")  # the scrollback is drawn
            times = await page.evaluate(TYPE_AND_TIME, [keys + WARM_UP, CLEAR_EVERY])
        finally:
            await browser.close()
    return times[WARM_UP:]


def drain(fd: int) -> None:
    """Read and drop whatever is waiting."""
    os.set_blocking(fd, False)
    try:
        while os.read(fd, 65536):
            pass
    except BlockingIOError:
        pass
    finally:
        os.set_blocking(fd, True)


async def pty_keystrokes(command: list[str], ready: bytes, keys: int, env: dict | None = None) -> list[float]:
    """`command` on a pseudo-terminal; once it printed `ready`, each key timed until its echo is read."""
    master, slave = pty.openpty()
    process = await asyncio.create_subprocess_exec(*command, stdin=slave, stdout=slave, stderr=slave,
                                                   start_new_session=True, env=env)
    times = []
    try:
        await read_until(master, ready)
        await asyncio.sleep(0.5)
        drain(master)  # the rest of the greeting (the console's scrollback)
        for i in range(keys + WARM_UP):
            if i > 0 and i % CLEAR_EVERY == 0:
                os.write(master, b"\x15")
                await asyncio.sleep(0.15)
                drain(master)
            char = b"abcdefghij"[i % 10:i % 10 + 1]
            started = time.perf_counter()
            os.write(master, char)
            await read_until(master, char)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
        os.close(master)
        os.close(slave)
    return times[WARM_UP:]


async def ssh_keystrokes(key: Path, address: str, keys: int) -> list[float]:
    """`ssh -tt` to the guest's shell, from inside the namespace its network lives in."""
    return await pty_keystrokes(libvirtd.in_netns(
        "ssh", "-tt", "-i", str(key), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR", f"cyberian@{address}"), b"$ ", keys)


async def cli_keystrokes(bench, vm_id: str, keys: int) -> list[float]:
    """`run.py console` (the terminal client) on the same console."""
    token, _ = await api_tokens.create_token(bench.pool, ACCOUNT, "bench", "write", None)
    env = {**os.environ, "CAPSUL_URL": bench.console_url, "CAPSUL_TOKEN": token}
    return await pty_keystrokes([sys.executable, str(REPO / "run.py"), "console", vm_id], b"Ctrl-] leaves", keys, env)


async def busybox_guest(keys: int) -> dict:
    kernel, initrd = await asyncio.to_thread(guest_image.build)
    images = Path(f"/tmp/capsul-bench-images-{uuid.uuid4().hex[:6]}")
    images.mkdir()
    try:
        shutil.copy(kernel, images / "vmlinuz")
        shutil.copy(initrd, images / "initrd.gz")
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(images / "blank.qcow2"), "64M"], check=True)
        async with guest_network(SUBNET) as network, bench_node(
                LIBVIRT_URI=libvirtd.URI, LIBVIRT_DOMAIN_TYPE="qemu", OS_IMAGES_DIR=str(images)) as bench:
            await use_network(bench, network, SUBNET)
            async with db.cursor(bench.pool) as cur:
                await catalog.add_image(cur, "tinyshell", "busybox shell", "blank.qcow2", "vmlinuz", "initrd.gz",
                                        f"console=ttyS0 panic=-1 {guest_image.SHELL_FLAG}")
            vm = await capsuls.create_capsul(bench.node.hub, ACCOUNT, "f1-xs", "tinyshell", ["k"])
            storage = bench.node.config.vm_storage_dir
            try:
                await wait_for(lambda: console_log_has(storage, vm["id"], f"{guest_image.MARK} shell on ttyS0"),
                               120, "the busybox guest's shell")
                times = await browser_keystrokes(bench, vm["id"], keys)
                cli = await cli_keystrokes(bench, vm["id"], keys)
            finally:
                await capsuls.destroy_capsul(bench.node.hub, ACCOUNT, vm["id"])
    finally:
        shutil.rmtree(images, ignore_errors=True)
    result = {"browser": summary(times), "cli": summary(cli)}
    print(f"busybox shell, keystroke -> echo: browser {result['browser']}, run.py console {result['cli']}", flush=True)
    return result


async def debian_guest(keys: int, image: cloud_image.CloudImage) -> dict:
    folder = Path(f"/tmp/capsul-bench-ssh-{uuid.uuid4().hex[:6]}")
    folder.mkdir()
    try:
        key = folder / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        async with guest_network(SUBNET) as network, bench_node(
                LIBVIRT_URI=libvirtd.URI, LIBVIRT_DOMAIN_TYPE="qemu", OS_IMAGES_DIR=str(image.disk.parent)) as bench:
            await use_network(bench, network, SUBNET)
            await ssh_keys.add_ssh_key(bench.pool, ACCOUNT, (folder / "id_ed25519.pub").read_text(), "bench")
            async with db.cursor(bench.pool) as cur:
                await catalog.add_size(cur, "boot-s", 1, 1, 1024, 3, 0)
                await catalog.add_image(cur, "debian12-real", "Debian 12 (bench)", image.disk.name,
                                        image.kernel.name, image.initrd.name, image.cmdline)
            vm = await capsuls.create_capsul(bench.node.hub, ACCOUNT, "boot-s", "debian12-real", ["bench"])
            storage = bench.node.config.vm_storage_dir
            try:
                await wait_for(lambda: console_log_has(storage, vm["id"], "login:"), 400, "the Debian login prompt")
                browser = await browser_keystrokes(bench, vm["id"], keys)
                cli = await cli_keystrokes(bench, vm["id"], keys)
                ssh = await wait_for(lambda: _ssh_or_none(key, vm["public_ipv4"], keys), 300, "SSH", every=2)
            finally:
                await capsuls.destroy_capsul(bench.node.hub, ACCOUNT, vm["id"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result = {"browser": summary(browser), "cli": summary(cli), "ssh": summary(ssh)}
    print(f"Debian 12: keystroke -> echo at the serial login prompt, browser {result['browser']}, "
          f"run.py console {result['cli']}; in an SSH session's shell {result['ssh']}", flush=True)
    return result


async def _ssh_or_none(key: Path, address: str, keys: int) -> list[float] | None:
    try:
        return await ssh_keystrokes(key, address, keys)
    except TimeoutError:
        return None  # sshd not answering yet


async def main(keys: int) -> dict:
    figures = {"keys": keys}
    with libvirtd.running_libvirtd():
        figures["busybox"] = await busybox_guest(keys)
        image = cloud_image.cached()
        if image is not None:
            figures["debian"] = await debian_guest(keys, image)
        else:
            print("the Debian image is not cached (tests/test_reachable_capsul.py builds it): no SSH comparison")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    result = asyncio.run(main(args.keys))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
