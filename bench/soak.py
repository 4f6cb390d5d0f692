#!/usr/bin/env python3
"""Soak the embedded default: `run.py` with no configuration but a state folder and ports of its
own (its private PostgreSQL, the test hypervisor), as a newcomer runs it, for a while under load.

Three people log in as a newcomer does (the login link from run.py's log), make an API token in
the console, and loop create -> running -> force-stop -> start -> delete through the JSON API,
while 50 websockets stay open on /ws. Every 10 s the hub's RSS is read from /proc. Reported:
cycles, failed steps (each with its answer), create -> running p50/p99, frames delivered, RSS
over time.

    .venv/bin/python bench/soak.py [--seconds 600] [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import summary  # noqa: E402

import aiohttp  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PEOPLE = ["soak1@example.org", "soak2@example.org", "soak3@example.org"]
SOCKETS = 50
LINK_RE = re.compile(r"login link for (\S+) \(no MAIL_SERVER set.*?\): (http://\S+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class EmbeddedDefault:
    """run.py as a subprocess on a state folder of its own; its log read as it comes."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.console = f"http://127.0.0.1:{free_port()}"
        self.api_port = free_port()
        self.links: dict[str, asyncio.Queue] = {p: asyncio.Queue() for p in PEOPLE}
        self.process: asyncio.subprocess.Process | None = None
        self.reader: asyncio.Task | None = None

    async def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME", "LANG")}
        env.update({"CAPSUL_ENV_FILE": "/dev/null", "CAPSUL_VAR_DIR": str(self.folder / "var"),
                    "CONSOLE_LISTEN": self.console.removeprefix("http://"), "API_LISTEN": f"127.0.0.1:{self.api_port}",
                    "BILLING_ENABLED": "false", "PYTHONUNBUFFERED": "1"})
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, str(REPO / "run.py"), cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, start_new_session=True)
        ready = asyncio.get_running_loop().create_future()
        self.reader = asyncio.create_task(self._read(ready))
        await asyncio.wait_for(ready, 120)

    async def _read(self, ready: asyncio.Future) -> None:
        async for raw in self.process.stdout:
            line = raw.decode(errors="replace")
            if "web console:" in line and not ready.done():
                ready.set_result(None)
            found = LINK_RE.search(line)
            if found and found.group(1) in self.links:
                self.links[found.group(1)].put_nowait(found.group(2))

    async def stop(self) -> None:
        if self.process and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), 60)
        if self.reader:
            self.reader.cancel()


async def newcomer(hub: EmbeddedDefault, email: str) -> tuple[aiohttp.ClientSession, str]:
    """Log in as a person would (the link from the log), make a read-write API token in the console."""
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.get(hub.console + "/login") as r:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', await r.text()).group(1)
    async with session.post(hub.console + "/login", data={"email": email, "csrf_token": csrf}) as r:
        assert r.status == 200, r.status
    link = await asyncio.wait_for(hub.links[email].get(), 30)
    async with session.get(link) as r:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', await r.text()).group(1)
    async with session.post(link.split("?")[0], data={"csrf_token": csrf, "next": "/capsuls"}) as r:
        page = await r.text()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    key = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    async with session.post(hub.console + "/ssh-keys", data={"content": key, "name": "k", "csrf_token": csrf}) as r:
        assert r.status == 200
    async with session.post(hub.console + "/api-tokens", data={"name": "soak", "scope": "write",
                                                               "csrf_token": csrf}) as r:
        token = re.search(r"capsul_[A-Za-z0-9_-]{43}", await r.text()).group(0)
    return session, token


async def cycles(hub: EmbeddedDefault, token: str, until: float, results: dict) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as api:
        async def call(method: str, path: str, body=None) -> tuple[int, dict]:
            async with api.request(method, hub.console + "/api/v1" + path, json=body) as r:
                return r.status, await r.json()

        async def reaches(vm_id: str, state: str) -> bool:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                status, body = await call("GET", f"/capsuls/{vm_id}")
                if status == 200 and body["capsul"]["state"] == state:
                    return True
                await asyncio.sleep(0.005)
            return False

        while time.monotonic() < until:
            started = time.perf_counter()
            status, body = await call("POST", "/capsuls", {"size": "f1-xs", "os": "debian12", "ssh_keys": ["k"]})
            if status != 201:
                results["failures"].append(f"create: {status} {body.get('error')}")
                continue
            vm_id = body["capsul"]["id"]
            if not await reaches(vm_id, "running"):
                results["failures"].append(f"{vm_id} never running")
                continue
            results["create_to_running_ms"].append((time.perf_counter() - started) * 1000)
            for action, after in (("force-stop", "stopped"), ("start", "running")):
                status, body = await call("POST", f"/capsuls/{vm_id}/actions", {"action": action})
                if status != 200 or not await reaches(vm_id, after):
                    results["failures"].append(f"{action} {vm_id}: {status} {body.get('error')}")
            status, body = await call("DELETE", f"/capsuls/{vm_id}")
            if status != 200:
                results["failures"].append(f"delete {vm_id}: {status} {body.get('error')}")
            results["cycles"] += 1


async def watch(hub: EmbeddedDefault, session: aiohttp.ClientSession, until: float, results: dict) -> None:
    async with session.ws_connect(hub.console.replace("http", "ws") + "/ws", headers={"Origin": hub.console}) as ws:
        while time.monotonic() < until:
            try:
                msg = await asyncio.wait_for(ws.receive(), max(0.1, until - time.monotonic()))
            except TimeoutError:
                break
            if msg.type != aiohttp.WSMsgType.TEXT:
                results["websockets_closed"] += 1
                return
            results["frames"] += 1


async def main(seconds: float) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="capsul-soak-"))
    folder.chmod(0o755)
    hub = EmbeddedDefault(folder)
    results = {"cycles": 0, "failures": [], "create_to_running_ms": [], "frames": 0, "websockets_closed": 0,
               "rss_mb": []}
    try:
        await hub.start()
        people = [await newcomer(hub, email) for email in PEOPLE]
        started = time.monotonic()
        until = started + seconds
        rss_start = rss_mb(hub.process.pid)

        async def sample_rss():
            while time.monotonic() < until:
                results["rss_mb"].append((round(time.monotonic() - started), round(rss_mb(hub.process.pid), 1)))
                await asyncio.sleep(10)
        # 50 open pages over the three people's sessions (within LIVE_CONNECTIONS_PER_ACCOUNT's 20 each)
        watchers = [watch(hub, people[i % len(people)][0], until, results) for i in range(SOCKETS)]
        await asyncio.gather(sample_rss(), *watchers, *(cycles(hub, token, until, results) for _, token in people))
        rss_end = rss_mb(hub.process.pid)
        for session, _ in people:
            await session.close()
    finally:
        await hub.stop()
        shutil.rmtree(folder, ignore_errors=True)
    attempts = results["cycles"] + sum(1 for f in results["failures"] if f.startswith("create"))
    return {"seconds": seconds, "people": len(PEOPLE), "websockets": SOCKETS, "cycles": results["cycles"],
            "failed_steps": len(results["failures"]), "failures_first": results["failures"][:10],
            "failed_creates_percent": round(100 * (attempts - results["cycles"]) / max(attempts, 1), 3),
            "create_to_running": summary(results["create_to_running_ms"]) if results["create_to_running_ms"] else {},
            "frames": results["frames"], "websockets_closed": results["websockets_closed"],
            "rss_mb_start": round(rss_start, 1), "rss_mb_end": round(rss_end, 1), "rss_mb_over_time": results["rss_mb"]}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = asyncio.run(main(args.seconds))
    print(json.dumps({k: v for k, v in result.items() if k != "rss_mb_over_time"}, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
