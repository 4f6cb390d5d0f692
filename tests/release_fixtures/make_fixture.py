"""Make the database fixture of one landed release, with that release's own code.

    .venv/bin/python -m tests.release_fixtures.make_fixture COMMIT VERSION [NAME]

(NAME, for a commit of main between releases: VERSION is then the release it followed.)

The release's tree (git archive COMMIT) runs as its own processes on a fresh PostgreSQL: a hub
with the embedded test spoke ("local") and a second spoke ("spoke2"), registered and given a
pool with the release's `run.py add-host` and `add-network`. It is then filled through the
release's own interfaces, as people and an operator would: logins (two browsers for alice),
SSH keys, API tokens (one revoked), an admin's credit, a Stripe payment through its webhook,
hourly charges by its metering, capsuls running, stopped and deleted on both spokes. 0.1.0 had
no console: its fill runs in that tree's own Python (fill_0_1.py).

Writes tests/release_fixtures/VERSION-COMMIT.sql (pg_dump) and .json (the cookies and token
secrets the people hold, and what the release showed them), which tests/test_upgrades.py loads.
Each release adds its own fixture; a landed one is never made again.
"""
from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import sys
import tempfile
from pathlib import Path

import aiohttp
from aiohttp import web

from capsul import tls
from capsul import version as versions
from capsul.embedded_postgres import EmbeddedPostgres
from tests import payment_standins as standins
from tests.conftest import PYTHON, child_env, new_public_key
from tests.console_client import ConsoleClient
from tests.databases import tool
from tests.mail_catcher import MailCatcher
from tests.processes import CapsulProcess, run_command
from tests.releases import extract

HERE = Path(__file__).resolve().parent
ADMIN, ALICE, BOB = "admin@example.org", "alice@example.org", "bob@example.org"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def until(check, *, within: float = 60, what: str = "a condition"):
    async with asyncio.timeout(within):
        while not (result := await check()):
            await asyncio.sleep(0.2)
    return result


class Release:
    """One release's tree, its database and its processes."""

    def __init__(self, commit: str, version: str, work: Path):
        self.commit, self.version, self.work = commit, version, work
        self.tree = work / "release"
        self.pg = EmbeddedPostgres(work / "pg" / "data", database="capsul")
        self.processes: list[CapsulProcess] = []

    async def prepare(self) -> None:
        extract(self.commit, self.tree)
        (self.work / "pg").mkdir()
        self.work.chmod(0o755)
        (self.work / "pg").chmod(0o755)
        await self.pg.ensure_running()
        self.tls = tls.ensure_self_signed(self.work / "tls", ["localhost", "127.0.0.1", "::1"])

    def env(self, **extra: str) -> dict[str, str]:
        return {"DATABASE_URL": self.pg.dsn, "CAPSUL_VAR_DIR": str(self.work / "var"),
                "CONSOLE_LISTEN": "127.0.0.1:0", "API_LISTEN": "127.0.0.1:0",
                "TLS_CERT_FILE": str(self.tls.cert), "TLS_KEY_FILE": str(self.tls.key),
                "TLS_CA_FILE": str(self.tls.ca), "LIBVIRT_URI": "test:///default",
                "HEARTBEAT_INTERVAL": "0.5", "HEARTBEAT_TIMEOUT": "0.5", "STOPPED_DEBOUNCE": "0", **extra}

    async def start(self, args: list[str], env: dict[str, str], name: str) -> CapsulProcess:
        process = CapsulProcess(args, env, self.work / f"{name}.log", cwd=self.tree)
        self.processes.append(process)
        return await process.start()

    async def cli(self, *args: str) -> str:
        status, out, err = await run_command([PYTHON, "run.py", *args], cwd=self.tree,
                                             env=child_env(self.env()), timeout=60)
        if status != 0:
            raise RuntimeError(f"run.py {' '.join(args)}: {err}")
        return out

    def has(self, path: str) -> bool:
        return (self.tree / path).exists()

    async def sql(self, query: str) -> list[dict]:
        return json.loads(await tool(self.pg, "psql", "-d", "capsul", "-tA",
                                     "-c", f"SELECT coalesce(json_agg(q), '[]') FROM ({query}) q"))

    async def stop(self) -> None:
        for process in reversed(self.processes):
            if process.proc is not None and process.proc.returncode is None:
                await process.stop()

    async def dump(self, out: Path) -> None:
        out.write_text(await tool(self.pg, "pg_dump", "--no-owner", "--no-privileges", "capsul") + "\n")


async def register_spoke2(release: Release, hub: CapsulProcess) -> CapsulProcess:
    port = free_port()
    tokens = dict(line.split("=", 1) for line in
                  (await release.cli("add-host", "--id", "spoke2", "--url", f"https://127.0.0.1:{port}")).split())
    gateway = ["--gateway", "198.51.100.1", "--dns", "198.51.100.1"] if versions.parse(release.version) >= (0, 3, 0) else []
    await release.cli("add-network", "--id", "spoke2", "--cidr", "198.51.100.0/24", *gateway)
    if versions.parse(release.version) < (0, 3, 0):  # releases before 0.3.0 let two pools of one host overlap: keep one such
        await release.cli("add-network", "--id", "spoke2", "--cidr", "198.51.100.0/25", "--network", "spare")
    return await release.start(["--spoke"], release.env(
        API_LISTEN=f"127.0.0.1:{port}", HUB_URL=hub.urls["api"], SPOKE_HOST_ID="spoke2", **tokens), "spoke2")


async def vm_states(release: Release) -> dict[str, str]:
    return {r["id"]: r["state"] for r in await release.sql("SELECT id, state FROM vms")}


async def fill_with_console(release: Release, hub: CapsulProcess, mail: MailCatcher,
                           stripe: standins.StripeStandIn) -> dict:
    """Releases 0.2.0 and later: everything through the web console, as people do it."""
    base = hub.urls["console"]
    people = {who: ConsoleClient(base) for who in (ADMIN, ALICE, BOB)}
    alice_laptop = ConsoleClient(base)
    secrets: dict = {"cookies": {}, "tokens": {}, "shown": {}}
    try:
        for who, person in [*people.items(), (ALICE, alice_laptop)]:
            await person.login(mail, who)
        for who in (ALICE, BOB):
            status, text, _ = await people[who].post("/ssh-keys", {"name": "laptop", "content": new_public_key(who)})
            assert status == 200, text
        await people[ALICE].post("/ssh-keys", {"name": "desk", "content": new_public_key("desk")})
        for name, scope in (("deploy", "write"), ("grafana", "read"), ("old", "write")):
            status, text, _ = await people[ALICE].post("/api-tokens", {"name": name, "scope": scope,
                                                                         "expires_in_days": ""})
            secrets["tokens"][name] = re.search(r'id="secret" readonly size="60" value="([^"]+)"', text).group(1)
        old = await release.sql("SELECT id FROM api_tokens WHERE name = 'old'")
        status, text, _ = await people[ALICE].post("/api-tokens/revoke", {"id": str(old[0]["id"])})
        assert status == 200, text
        for who, amount in ((ALICE, "20"), (BOB, "10")):
            status, text, _ = await people[ADMIN].post("/admin/ledger", {"account": who, "amount": amount,
                                                                        "reason": f"welcome credit for {who}"})
            assert status == 200, text
        await people[ALICE].get("/account")
        async with people[ALICE].session.post(people[ALICE].url("/account/pay"), allow_redirects=False,
                                              data={"csrf_token": people[ALICE].csrf, "amount": "15",
                                                    "provider": "stripe"}) as r:
            assert r.status == 303, await r.text()
            session_id = r.headers["Location"].rsplit("/", 1)[1]
        body = stripe.event("checkout.session.completed", session_id)
        async with aiohttp.ClientSession() as s:
            async with s.post(f"{base}/webhooks/stripe", data=body, headers={
                    "Content-Type": "application/json", "Stripe-Signature": standins.stripe_signature(body)}) as r:
                assert r.status == 200, await r.text()
        await until(lambda: release.sql("SELECT 1 FROM hosts WHERE id = 'spoke2' AND online AND capacity IS NOT NULL"))
        made = []
        for who, size in ((ALICE, "f1-xs"), (ALICE, "f1-s"), (ALICE, "f1-xs"), (BOB, "f1-xs"), (ALICE, "f1-xs")):
            before = set(await vm_states(release))
            status, text, url = await people[who].post("/capsuls/create", [("size", size), ("os", "debian12"),
                                                                            ("ssh_key", "laptop")])
            assert status == 200, text
            made.append(await until(lambda: _new_running(release, before)))
        await people[ALICE].post(f"/capsuls/{made[1]}/actions", {"action": "force-stop"})
        await people[ALICE].post(f"/capsuls/{made[2]}/delete", {})
        await until(lambda: _states_are(release, {made[1]: "stopped", made[2]: "deleted"}))
        await until(lambda: release.sql("SELECT 1 FROM charges LIMIT 1"))
        hosts = {r["host_id"] for r in await release.sql("SELECT DISTINCT host_id FROM vms WHERE host_id IS NOT NULL")}
        assert hosts == {"local", "spoke2"}, hosts
        for who, person in people.items():
            secrets["cookies"][who] = person.session_cookie()
        secrets["cookies"]["alice-laptop"] = alice_laptop.session_cookie()
        status, text = await people[ALICE].get("/account")
        secrets["shown"]["alice_balance_page"] = re.findall(r"\$\d[\d,]*\.\d\d", text)
        secrets["capsuls"] = made
    finally:
        for person in [*people.values(), alice_laptop]:
            await person.close()
    return secrets


async def _new_running(release: Release, before: set[str]) -> str | None:
    now = await vm_states(release)
    fresh = [vm for vm, state in now.items() if vm not in before and state == "running"]
    return fresh[0] if fresh else None


async def _states_are(release: Release, wanted: dict[str, str]) -> bool:
    now = await vm_states(release)
    return all(now.get(vm) == state for vm, state in wanted.items())


async def make(commit: str, version: str, name: str | None = None) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"capsul-fixture-{version}-"))
    release = Release(commit, version, work)
    mail, stripe = MailCatcher(), standins.StripeStandIn()
    runner = web.AppRunner(stripe.app)
    try:
        await release.prepare()
        await mail.start()
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        stripe_port = site._server.sockets[0].getsockname()[1]
        name = name or f"{version}-{commit}"
        if release.has("capsul/hub/console/__init__.py"):
            hub = await release.start([], release.env(
                ADMIN_EMAIL_ADDRESSES=ADMIN, BILLING_ENABLED="true", METERING_INTERVAL="1",
                STRIPE_SECRET_KEY=standins.STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET=standins.STRIPE_WEBHOOK_SECRET,
                STRIPE_API_URL=f"http://127.0.0.1:{stripe_port}", **mail.env()), "hub")
            await register_spoke2(release, hub)
            secrets = await fill_with_console(release, hub, mail, stripe)
        else:
            hub = await release.start([], release.env(), "hub")
            await register_spoke2(release, hub)
            status, out, err = await run_command(
                [PYTHON, str(HERE / "fill_0_1.py")], cwd=release.tree, timeout=300,
                env=child_env({**release.env(), "PYTHONPATH": str(release.tree)}))
            if status != 0:
                raise RuntimeError(f"fill_0_1.py failed:\n{err}")
            secrets = json.loads(out)
        await release.stop()
        secrets["release"] = {"version": version, "commit": commit, "name": name}
        tables = [r["t"] for r in await release.sql("SELECT tablename AS t FROM pg_tables "
                                                     "WHERE schemaname = 'public' ORDER BY tablename")]
        secrets["rows"] = {r["t"]: r["n"] for r in await release.sql(" UNION ALL ".join(
            f"SELECT '{t}' AS t, count(*) AS n FROM {t}" for t in tables))}
        await release.dump(HERE / f"{name}.sql")
        (HERE / f"{name}.json").write_text(json.dumps(secrets, indent=2, sort_keys=True) + "\n")
        print(f"wrote {name}.sql and {name}.json")
    except BaseException:
        for process in release.processes:
            print(f"--- {process.log_file.name}\n{process.log()[-3000:]}", file=sys.stderr)
        raise
    finally:
        await release.stop()
        await runner.cleanup()
        await mail.stop()
        await release.pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(make(*sys.argv[1:4]))
