"""Fill a database through release 0.1.0's own code (it had no web console: its interfaces
were the hub's service functions). Run by make_fixture.py inside that release's tree, with
that tree first on PYTHONPATH, while the release's hub, embedded spoke and spoke2 run; prints
what the people hold as JSON. Imports nothing from today's code.
"""
import asyncio
import json
import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from capsul.config import Role, load_config
from capsul.hub import capsuls, db, login_tokens, ssh_keys
from capsul.hub.db import accounts
from capsul.node import Node


def public_key(comment: str) -> str:
    line = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return f"{line} {comment}"


async def until(check, within: float = 60):
    async with asyncio.timeout(within):
        while not (result := await check()):
            await asyncio.sleep(0.2)
    return result


async def main() -> dict:
    node = Node(load_config(Role.HUB, environ=dict(os.environ), env_file=Path("/nonexistent")))
    await node.start()
    try:
        hub = node.hub
        for who in ("alice@example.org", "bob@example.org"):
            async with db.cursor(hub.pool) as cur:
                await accounts.ensure_account(cur, who)
            await ssh_keys.add_ssh_key(hub.pool, who, public_key(who), "laptop")
        token = await login_tokens.issue(hub.pool, "alice@example.org", "127.0.0.1")
        await login_tokens.redeem(hub.pool, token)
        unused = await login_tokens.issue(hub.pool, "bob@example.org", "127.0.0.1")

        async def spoke2_online():
            async with db.cursor(hub.pool) as cur:
                await cur.execute("SELECT 1 FROM hosts WHERE id = 'spoke2' AND online AND capacity IS NOT NULL")
                return await cur.fetchone()
        await until(spoke2_online)
        made = []
        for who in ("alice@example.org", "alice@example.org", "alice@example.org", "bob@example.org"):
            vm = await capsuls.create_capsul(hub, who, "f1-xs", "debian12", ["laptop"])
            made.append(vm["id"])

        async def state(vm_id):
            async with db.cursor(hub.pool) as cur:
                await cur.execute("SELECT state FROM vms WHERE id = %s", (vm_id,))
                return (await cur.fetchone())["state"]
        for vm_id in made:
            await until(lambda: _is(state(vm_id), "running"))
        await capsuls.capsul_action(hub, "alice@example.org", made[1], "force-stop")
        await capsuls.destroy_capsul(hub, "alice@example.org", made[2])
        await until(lambda: _is(state(made[1]), "stopped"))
        await until(lambda: _is(state(made[2]), "deleted"))
        async with db.cursor(hub.pool) as cur:
            await cur.execute("SELECT DISTINCT host_id FROM vms WHERE host_id IS NOT NULL")
            hosts = {r["host_id"] for r in await cur.fetchall()}
        assert hosts == {"local", "spoke2"}, hosts
        return {"capsuls": made, "cookies": {}, "tokens": {}, "shown": {}, "login_links": {"bob unused": unused}}
    finally:
        await node.stop()


async def _is(value, wanted) -> bool:
    return (await value) == wanted


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
    sys.exit(0)
