#!/usr/bin/env python3
"""A rolling upgrade under traffic, from the previous release onto this code: requests served,
failed and the slowest, and how long each hub was out of HAProxy.

tests/rolling_upgrade.py sets it up (tests/test_rolling_upgrade.py asserts it): three hubs of
the previous release's own code behind docs/haproxy.cfg as shipped, one spoke; the database
migrated while they serve; each hub SIGTERMed and restarted onto this code in turn; then the
spoke. Traffic through HAProxy: loops of API reads (8, none pausing), a capsul stopped and started in turn
(each change waited for in `run.py watch`), and creates with an Idempotency-Key sent twice, then
deleted. Run once with DRAIN_SECONDS=7 (docs/upgrading.md) and once with 0 (no draining).

    .venv/bin/python bench/rolling_restart.py [--drain 7 --drain 0] [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capsul import tls  # noqa: E402
from capsul.hub import db  # noqa: E402
from capsul.hub.accounts import api_tokens  # noqa: E402
from tests.conftest import ALICE, add_account_with_key  # noqa: E402
from tests.databases import fresh_cluster  # noqa: E402
from tests.mail_catcher import MailCatcher  # noqa: E402
from tests.releases import PREVIOUS, extract  # noqa: E402
from tests.rolling_upgrade import WAIT, Fleet, Traffic, roll  # noqa: E402


async def one_round(tree: Path, work: Path, tls_files, drain: str, readers: int) -> dict:
    mail = MailCatcher()
    await mail.start()
    try:
        async with fresh_cluster("capsul-bench-rolling-") as pg:
            fleet = Fleet(tree, work, pg, tls_files, mail, DRAIN_SECONDS=drain)
            pool = traffic = None
            try:
                await fleet.start_previous()
                pool = await db.create_pool(pg.dsn, maxsize=2)
                await add_account_with_key(pool, ALICE)
                write_token, _ = await api_tokens.create_token(pool, ALICE, "deploy", "write", None)
                read_token, _ = await api_tokens.create_token(pool, ALICE, "watch", "read", None)
                traffic = Traffic(fleet.base, write_token, read_token, readers=readers, pause=0)
                first = await traffic.request("creates", "POST", "/api/v1/capsuls", (201,), headers=traffic.write,
                                              json={"size": "f1-xs", "os": "debian12", "ssh_keys": ["laptop"]})
                vm_id = first["capsul"]["id"]
                assert await traffic.until_state(vm_id, "running")
                await fleet.start_watch(read_token)

                async def seen_by_watch(state: str) -> str | None:
                    deadline = time.monotonic() + WAIT
                    while time.monotonic() < deadline:
                        if fleet.watched_state(vm_id) == state:
                            return None
                        await asyncio.sleep(0.05)
                    return f"run.py watch shows {fleet.watched_state(vm_id)!r}"
                started = time.monotonic()
                await roll(fleet, traffic, pool, vm_id, seen_by_watch)
                figures = traffic.figures()
                return {"drain_seconds": float(drain), "seconds": round(time.monotonic() - started, 1),
                        **figures, "changes_seen": len(traffic.changes), "capsuls_created": len(traffic.created),
                        "readers": readers,
                        "served": sum(f["served"] for f in figures.values()),
                        "failed": sum(f["failed"] for f in figures.values()),
                        "slowest_ms": max(f["slowest_ms"] for f in figures.values()), "steps": fleet.told}
            finally:
                if traffic is not None:
                    await traffic.close()
                if pool is not None:
                    pool.close()
                    await pool.wait_closed()
                await fleet.stop()
    finally:
        await mail.stop()


async def main(drains: list[str], readers: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="capsul-bench-rolling-"))
    try:
        tls_files = tls.ensure_self_signed(work / "tls", ["localhost", "127.0.0.1", "::1"])
        tree = extract(PREVIOUS[0], work / "previous")
        rounds = []
        for i, drain in enumerate(drains):
            (work / f"round{i}").mkdir()
            rounds.append(await one_round(tree, work / f"round{i}", tls_files, drain, readers))
            print({k: v for k, v in rounds[-1].items() if k != "steps"}, flush=True)
        return {"from": PREVIOUS[1], "rounds": rounds}
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drain", action="append", help="DRAIN_SECONDS of a round (default: 7, then 0)")
    parser.add_argument("--readers", type=int, default=8, help="loops of API reads, each without a pause")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    r = asyncio.run(main(args.drain or ["7", "0"], args.readers))
    for one in r["rounds"]:
        print(f"DRAIN_SECONDS={one['drain_seconds']:g}: {one['served']:,} requests served, {one['failed']} failed, "
              f"slowest {one['slowest_ms']} ms, over {one['seconds']} s; {one['changes_seen']} changes seen, "
              f"{one['capsuls_created']} capsuls created")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2) + "\n")
