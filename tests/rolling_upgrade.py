"""A rolling upgrade under steady traffic, from the previous release onto this code: three hubs
behind HAProxy (docs/haproxy.cfg as shipped, only its ports and socket path swapped) and one
spoke, all first running the previous release's own code. The database is migrated first while
the old hubs serve it, then each hub is restarted onto this code in turn (SIGTERM: it drains,
then stops), then the spoke. Run by tests/test_rolling_upgrade.py (which asserts) and
bench/rolling_restart.py (which reports the figures).

The traffic, all through HAProxy: API reads; a capsul stopped and started in turn, each change
waited for in a real browser's live page and in `run.py watch`; creates with an Idempotency-Key,
each sent twice (the second must replay the first), waited until running, then deleted.
"""
from __future__ import annotations

import asyncio
import csv
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from capsul.hub import db
from tests.conftest import PYTHON, REPO, child_env
from tests.processes import CapsulProcess
from tests.releases import cli, tokens_of
from tests.spoke_cluster import HOST_XML, free_port
from tests.test_haproxy import haproxy_config

DRAIN_SECONDS = "7"  # docs/haproxy.cfg: 2 s checks × fall 2, and a check in flight
WAIT = 30.0  # seconds any one change may take to show


@dataclass
class Tally:
    """Requests of one kind: how many were answered as expected, which were not, the slowest."""
    served: int = 0
    failures: list[str] = field(default_factory=list)
    slowest_ms: float = 0.0

    def as_dict(self) -> dict:
        return {"served": self.served, "failed": len(self.failures), "slowest_ms": round(self.slowest_ms, 1),
                "failures": self.failures[:20]}


class Traffic:
    """Steady requests through the balancer until stop() (each loop finishes what it began)."""

    def __init__(self, base: str, write_token: str, read_token: str, *, readers: int = 2, pause: float = 0.05):
        self.base, self.readers, self.pause = base, readers, pause  # read loops, and each one's pause
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT))
        self.write = {"Authorization": f"Bearer {write_token}"}
        self.read = {"Authorization": f"Bearer {read_token}"}
        self.tallies = {"reads": Tally(), "actions": Tally(), "creates": Tally()}
        self.created: dict[str, str] = {}  # Idempotency-Key -> capsul id
        self.changes: list[str] = []  # states the stopped-and-started capsul went through, each seen by all
        self.stopping = asyncio.Event()
        self.tasks: list[asyncio.Task] = []

    async def request(self, kind: str, method: str, path: str, expect: tuple[int, ...], **kwargs) -> dict | None:
        """One request; a transport error or an unexpected status is a failure of `kind`."""
        started = time.monotonic()
        tally = self.tallies[kind]
        try:
            async with self.session.request(method, self.base + path, **kwargs) as r:
                body = await r.json(content_type=None) if r.content_type == "application/json" else None
                status = r.status
        except (aiohttp.ClientError, TimeoutError) as e:
            tally.failures.append(f"{method} {path}: {type(e).__name__}: {e}")
            return None
        finally:
            tally.slowest_ms = max(tally.slowest_ms, (time.monotonic() - started) * 1000)
        if status not in expect:
            tally.failures.append(f"{method} {path}: HTTP {status}: {body}")
            return None
        tally.served += 1
        return body

    async def state_of(self, vm_id: str) -> str | None:
        body = await self.request("reads", "GET", f"/api/v1/capsuls/{vm_id}", (200,), headers=self.read)
        return body["capsul"]["state"] if body else None

    async def until_state(self, vm_id: str, wanted: str) -> bool:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if await self.state_of(vm_id) == wanted:
                return True
            await asyncio.sleep(0.1)
        return False

    async def reads(self) -> None:
        while not self.stopping.is_set():
            await self.request("reads", "GET", "/api/v1/capsuls", (200,), headers=self.read)
            await asyncio.sleep(self.pause)

    async def actions(self, vm_id: str, seen_by_all) -> None:
        """Stop and start `vm_id` in turn; each change must reach every client (`seen_by_all(state)`)."""
        while not self.stopping.is_set():
            await self.act(vm_id, seen_by_all)

    async def act(self, vm_id: str, seen_by_all) -> None:
        state = await self.state_of(vm_id)
        action, wanted = ("force-stop", "stopped") if state == "running" else ("start", "running")
        if await self.request("actions", "POST", f"/api/v1/capsuls/{vm_id}/actions", (200,),
                              json={"action": action}, headers=self.write) is None:
            await asyncio.sleep(0.5)
            return
        if not await self.until_state(vm_id, wanted):
            self.tallies["actions"].failures.append(f"{vm_id} never became {wanted}")
            return
        if why := await seen_by_all(wanted):
            self.tallies["actions"].failures.append(f"{vm_id} {wanted}: {why}")
        self.changes.append(wanted)

    async def creates(self) -> None:
        while not self.stopping.is_set():
            await self.create_one()

    async def create_one(self) -> None:
        key = f"rolling-{len(self.created) + 1}"
        body = {"size": "f1-xs", "os": "debian12", "ssh_keys": ["laptop"]}
        headers = {**self.write, "Idempotency-Key": key}
        first = await self.request("creates", "POST", "/api/v1/capsuls", (201,), json=body, headers=headers)
        if first is None:
            self.created[key] = "?"
            return
        vm_id = self.created[key] = first["capsul"]["id"]
        again = await self.request("creates", "POST", "/api/v1/capsuls", (200,), json=body, headers=headers)
        if again is not None and again["capsul"]["id"] != vm_id:
            self.tallies["creates"].failures.append(f"{key}: replayed as {again['capsul']['id']}, made {vm_id}")
        if not await self.until_state(vm_id, "running"):
            self.tallies["creates"].failures.append(f"{vm_id} never ran")
            return
        await self.request("creates", "DELETE", f"/api/v1/capsuls/{vm_id}", (200,), headers=self.write)
        if not await self.until_state(vm_id, "deleted"):
            self.tallies["creates"].failures.append(f"{vm_id} was never deleted")

    def start(self, vm_id: str, seen_by_all) -> None:
        self.tasks = [*(asyncio.create_task(self.reads()) for _ in range(self.readers)),
                      asyncio.create_task(self.actions(vm_id, seen_by_all)), asyncio.create_task(self.creates())]

    def start_reads(self) -> None:
        self.stopping.clear()
        self.tasks = [asyncio.create_task(self.reads()) for _ in range(self.readers)]

    async def progress(self, changes: int = 1, creates: int = 1) -> None:
        """Wait until traffic has gone on: `changes` more state changes and `creates` more creates."""
        want = (len(self.changes) + changes, len(self.created) + creates)
        deadline = time.monotonic() + 4 * WAIT
        while len(self.changes) < want[0] or len(self.created) < want[1]:
            if all(t.done() for t in self.tasks):
                raise RuntimeError(f"the traffic stopped: {self.figures()}")
            if time.monotonic() > deadline:  # say what went wrong, not only that time ran out
                raise TimeoutError(f"traffic made no progress in {4 * WAIT:.0f} s (wanted (changes, creates) "
                                   f"{want}, have {(len(self.changes), len(self.created))}): {self.figures()}")
            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        self.stopping.set()
        await asyncio.gather(*self.tasks)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.session.close()

    def figures(self) -> dict:
        return {kind: t.as_dict() for kind, t in self.tallies.items()}


class Fleet:
    """Three hubs, HAProxy and one spoke on one database; each process of `tree`'s code."""

    def __init__(self, previous_tree: Path, work: Path, pg, tls_files, mail, **env: str):
        self.previous_tree, self.work, self.pg = previous_tree, work, pg
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.socket = work / "haproxy.sock"
        self.common = {"DATABASE_URL": pg.dsn, "TLS_CERT_FILE": str(tls_files.cert),
                       "TLS_KEY_FILE": str(tls_files.key), "TLS_CA_FILE": str(tls_files.ca),
                       "HEARTBEAT_INTERVAL": "0.5", "HEARTBEAT_TIMEOUT": "0.5", "BILLING_ENABLED": "false",
                       "ACCOUNT_MAX_CAPSULS": "0", "ACCOUNT_MAX_VCPUS": "0", "ACCOUNT_MAX_MEMORY_MB": "0",
                       "TRUSTED_PROXIES": "127.0.0.1", "BASE_URL": self.base, "DRAIN_SECONDS": DRAIN_SECONDS,
                       **mail.env(), **env}
        self.hub_env = {name: {**self.common, "CAPSUL_VAR_DIR": str(work / name),
                               "CONSOLE_LISTEN": f"127.0.0.1:{free_port()}", "API_LISTEN": f"127.0.0.1:{free_port()}"}
                        for name in ("hub1", "hub2", "hub3")}
        self.hubs: dict[str, CapsulProcess] = {}
        self.spoke: CapsulProcess | None = None
        self.spoke_env: dict[str, str] = {}
        self.proxy: asyncio.subprocess.Process | None = None
        self.proxy_log = None
        self.watch: asyncio.subprocess.Process | None = None
        self.watch_lines: list[str] = []
        self.told: list[str] = []  # what the upgrade steps said, with their times

    def say(self, what: str) -> None:
        self.told.append(f"{time.strftime('%H:%M:%S')} {what}")

    async def start_previous(self) -> None:
        for name, env in self.hub_env.items():
            self.hubs[name] = await CapsulProcess(["--hub"], env, self.work / f"{name}.log",
                                                  cwd=self.previous_tree).start()
        spoke_port = free_port()
        tokens = tokens_of(await cli(self.previous_tree, self.common, "add-host", "--id", "spoke1",
                                     "--url", f"https://127.0.0.1:{spoke_port}"))
        await cli(self.previous_tree, self.common, "add-network", "--id", "spoke1", "--cidr", "198.51.100.0/24",
                  "--gateway", "198.51.100.1", "--dns", "198.51.100.1")
        host_file = self.work / "spoke1.xml"
        host_file.write_text(HOST_XML.format(cpus=64, memory_kib=65536 * 1024))
        # the spoke reaches the hubs' API through the last hub restarted: its events wait in its
        # journal while that hub restarts (docs/architecture.md: no lost events)
        self.spoke_env = {**self.common, **tokens, "HUB_URL": self.hubs["hub3"].urls["api"],
                          "SPOKE_HOST_ID": "spoke1", "API_LISTEN": f"127.0.0.1:{spoke_port}",
                          "LIBVIRT_URI": f"test://{host_file}", "CAPSUL_VAR_DIR": str(self.work / "spoke1")}
        self.spoke = await CapsulProcess(["--spoke"], self.spoke_env, self.work / "spoke1.log",
                                         cwd=self.previous_tree).start()
        config = self.work / "haproxy.cfg"
        config.write_text(haproxy_config(self.port, [(name, env["CONSOLE_LISTEN"]) for name, env in
                                                     self.hub_env.items()], self.socket, fill_first=False))
        self.proxy_log = open(self.work / "haproxy.log", "wb")
        self.proxy = await asyncio.create_subprocess_exec("haproxy", "-f", str(config), "-db", stdout=self.proxy_log,
                                                          stderr=asyncio.subprocess.STDOUT)
        await self.until_all_up()

    async def haproxy_states(self) -> dict[str, str]:
        """Each hub's state as HAProxy sees it (UP, DOWN, ...), from its runtime API."""
        reader, writer = await asyncio.open_unix_connection(str(self.socket))
        try:
            writer.write(b"show stat\n")
            await writer.drain()
            text = (await reader.read()).decode()
        finally:
            writer.close()
        rows = list(csv.reader(text.lstrip("# ").splitlines()))
        header = rows[0]
        return {row[header.index("svname")]: row[header.index("status")] for row in rows[1:]
                if len(row) == len(header) and row[header.index("pxname")] == "hubs"
                and row[header.index("svname")] in self.hub_env}

    async def until_all_up(self) -> None:
        async with asyncio.timeout(60):
            while True:
                try:
                    if set((await self.haproxy_states()).values()) == {"UP"}:
                        return
                except OSError:
                    pass  # not listening yet
                await asyncio.sleep(0.2)

    async def start_watch(self, read_token: str) -> None:
        self.watch = await asyncio.create_subprocess_exec(
            PYTHON, str(REPO / "run.py"), "watch", env=child_env({"CAPSUL_URL": self.base, "CAPSUL_TOKEN": read_token}),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)

        async def read() -> None:
            while line := await self.watch.stdout.readline():
                self.watch_lines.append(line.decode().rstrip())
        self.watch_reader = asyncio.create_task(read())

    def watched_state(self, vm_id: str) -> str | None:
        mine = [line for line in self.watch_lines if f" {vm_id} " in line]
        return mine[-1].split(f" {vm_id} ")[1].split()[0] if mine else None

    async def migrate(self) -> str:
        """This code's `run.py migrate`, while the previous release's hubs serve."""
        out = await cli(REPO, self.common, "migrate")
        self.say(f"migrated: {out.strip().splitlines()[-1] if out.strip() else 'nothing to do'}")
        return out

    async def restart_hub(self, name: str) -> float:
        """SIGTERM (it drains, then stops), start this code on the same ports, wait until HAProxy
        has it up again. Returns the seconds it was out."""
        started = time.monotonic()
        status = await self.hubs[name].stop(signal.SIGTERM, timeout=60)
        self.say(f"{name} stopped (exit {status}) after {time.monotonic() - started:.1f} s")
        self.hubs[name] = await CapsulProcess(["--hub"], self.hub_env[name], self.work / f"{name}.log").start()
        await self.until_all_up()
        self.say(f"{name} runs this code and HAProxy has it up: {time.monotonic() - started:.1f} s")
        return time.monotonic() - started

    async def restart_spoke(self, pool) -> None:
        await self.spoke.stop(signal.SIGTERM, timeout=60)
        self.spoke = await CapsulProcess(["--spoke"], self.spoke_env, self.work / "spoke1.log").start()

        async def upgraded():
            async with db.cursor(pool) as cur:
                await cur.execute("SELECT version FROM hosts WHERE id = 'spoke1' AND online")
                row = await cur.fetchone()
                return row and row["version"]
        async with asyncio.timeout(WAIT):
            while not await upgraded():
                await asyncio.sleep(0.2)
        self.say("spoke1 runs this code and is online")

    def logs(self) -> str:
        parts = [f"--- {name} ---\n{hub.log()[-3000:]}" for name, hub in self.hubs.items()]
        if self.spoke:
            parts.append(f"--- spoke1 ---\n{self.spoke.log()[-3000:]}")
        if (self.work / "haproxy.log").exists():
            parts.append(f"--- haproxy ---\n{(self.work / 'haproxy.log').read_text()[-3000:]}")
        return "\n".join(parts)

    async def stop(self) -> None:
        for process in (self.watch, self.proxy):
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()
        if self.proxy_log is not None:
            self.proxy_log.close()
        if getattr(self, "watch_reader", None):
            self.watch_reader.cancel()
        for process in [*self.hubs.values(), self.spoke]:
            if process is not None:
                await process.kill()


async def roll(fleet: Fleet, traffic: Traffic, pool, vm_id: str, seen_by_all) -> str:
    """The whole upgrade under traffic: migrate while the previous release serves, each hub onto
    this code, then the spoke. Returns what `run.py migrate` said."""
    traffic.start(vm_id, seen_by_all)
    await traffic.progress()
    told = await fleet.migrate()
    await traffic.progress()  # the previous release's hubs serve the migrated database
    for name in fleet.hub_env:
        await fleet.restart_hub(name)
        await traffic.progress()
    await traffic.stop()
    # the spoke last: reads go on while it restarts; then it creates again (libvirt's test driver
    # keeps its domains in the spoke's memory: the restarted spoke has none of the old ones, so
    # the capsul stopped and started so far is missing on it)
    traffic.start_reads()
    await fleet.restart_spoke(pool)
    await traffic.stop()
    await traffic.create_one()
    return told
