"""`python run.py rebuild CAPSUL` and `python run.py resize CAPSUL SIZE`: the JSON API's rebuild
and resize (docs/api.md) from a terminal or a script.

Reads CAPSUL_URL (the console's URL) and CAPSUL_TOKEN (a read-write API token), as `run.py watch`
does. Each sends one request with an Idempotency-Key of its own, so a retry after a lost answer
does nothing twice, then waits while the capsul is `rebuilding` or `resizing` and prints where it
ended. Exit status: 0 done, 1 refused or failed (the hub's sentence is printed), 2 for missing
settings or a rebuild not confirmed.
"""
from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from urllib.parse import quote

import aiohttp

from capsul import watch

WAIT = 600.0  # seconds to wait for a change its host has not answered yet
ATTEMPTS = 3  # the request, sent again (same Idempotency-Key) when no answer came


def add_parsers(commands) -> None:
    rebuild = commands.add_parser("rebuild", help="reinstall a capsul (its disk is erased; id, addresses and size "
                                                  "stay); a client: reads CAPSUL_URL and CAPSUL_TOKEN")
    rebuild.add_argument("capsul", help="the capsul's id, e.g. capsul-abcde12345")
    rebuild.add_argument("--os", help="the image to install (default: its own)")
    rebuild.add_argument("--key", action="append", dest="keys", metavar="NAME",
                         help="one of your SSH keys to put in (repeat for more; default: the capsul's own)")
    rebuild.add_argument("--confirm", required=True, metavar="CAPSUL",
                         help="the capsul's id again: everything on its disk is erased")
    resize = commands.add_parser("resize", help="give a capsul another size (vCPUs and memory at a restart, the "
                                                "disk grown); a client: reads CAPSUL_URL and CAPSUL_TOKEN")
    resize.add_argument("capsul", help="the capsul's id, e.g. capsul-abcde12345")
    resize.add_argument("size", help="the new size, e.g. f1-s")
    resize.add_argument("--at-next-stop", action="store_true",
                        help="leave it running; the new vCPUs and memory apply when it is next stopped and started")
    resize.add_argument("--force", action="store_true",
                        help="force it off if it has not shut down within SHUTDOWN_TIMEOUT")


def main(args) -> int:
    try:
        ws_url, token = watch.settings(dict(os.environ), path="")
    except ValueError as e:
        print(f"capsul {args.command}: {e}", file=sys.stderr)
        return 2
    base = ws_url.replace("wss://", "https://", 1).replace("ws://", "http://", 1)
    if args.command == "rebuild":
        if args.confirm != args.capsul:
            print(f"capsul rebuild: --confirm must repeat {args.capsul}: everything on its disk is erased",
                  file=sys.stderr)
            return 2
        body = {k: v for k, v in (("os", args.os), ("ssh_keys", args.keys)) if v}
    else:
        body = {"size": args.size, "restart": "next-stop" if args.at_next_stop else "now", "force": args.force}
    return asyncio.run(_change(base, token, args.command, args.capsul, body))


async def _change(base: str, token: str, kind: str, vm_id: str, body: dict, out=sys.stdout) -> int:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"cli-{uuid.uuid4()}"}
    url = f"{base}/api/v1/capsuls/{quote(vm_id, safe='')}"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http:
        for attempt in range(ATTEMPTS):
            try:
                async with http.post(f"{url}/{kind}", json=body, headers=headers) as r:
                    answer = await r.json(content_type=None)
                    status = r.status
                break
            except (aiohttp.ClientError, TimeoutError) as e:
                if attempt == ATTEMPTS - 1:
                    print(f"capsul {kind}: no answer from {base}: {e}", file=sys.stderr)
                    return 1
        if status >= 400:
            print(f"capsul {kind}: {answer.get('error', status) if isinstance(answer, dict) else status}",
                  file=sys.stderr)
            return 1
        capsul = answer["capsul"]
        deadline = time.monotonic() + WAIT
        while capsul["state"] in ("rebuilding", "resizing") and time.monotonic() < deadline:
            print(f"{vm_id} {capsul['state']}: its host has not answered yet", file=out, flush=True)
            await asyncio.sleep(2)
            async with http.get(url, headers={"Authorization": headers["Authorization"]}) as r:
                capsul = (await r.json())["capsul"]
    print(f"{vm_id} {capsul['state']}, {capsul['size']}, {capsul['os']}", file=out, flush=True)
    return 0 if capsul["state"] not in ("rebuilding", "resizing") else 1
