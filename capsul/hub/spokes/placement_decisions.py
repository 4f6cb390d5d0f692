"""Where creates are offered, decided in batches (docs/architecture.md §7).

Every placement decision runs under one advisory lock (hub/db/placement.py), so decisions are
one at a time across all hubs, and each holds the lock for a ranking and a commit. Creates that
arrive while a decision is under way wait for the next one, which decides for all of them at
once: one lock, one ranking, one commit. Within a batch each create takes the best host left
with room, counting what the creates before it were just offered, as the offers in flight are
counted between decisions. With 50 creates arriving at once, 1,000 hosts and 100,000 capsuls,
this is what lifts creates a second past the lock (bench/creates_at_scale.py).
"""
from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

import aiopg

from capsul.config import Config
from capsul.hub import db
from capsul.hub.db import placement
from capsul.hub.db import operations as ops_db


@dataclass
class Decision:
    """The hosts a create is offered to now (best first; none when no host has room), and when
    none, each other host's reason."""
    hosts: list[dict]
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass
class _Wanted:
    op_id: uuid.UUID
    vcpus: int
    memory_mb: int
    exclude: set[str]
    decided: asyncio.Future
    image: dict | None = None  # its os_images row: hosts holding it first, those that cannot have it never


class PlacementDecisions:
    """One per hub process: `decide()` from any number of creates at once."""

    def __init__(self, pool: aiopg.Pool, config: Config):
        self.pool = pool
        self.config = config
        self._wanted: list[_Wanted] = []
        self._deciding: asyncio.Task | None = None
        self.batches = 0  # decisions made (tests and benches compare them with creates)

    async def decide(self, op_id: uuid.UUID, vcpus: int, memory_mb: int, exclude: set[str],
                     image: dict | None = None) -> Decision:
        """Offer the create (recorded as offered, in the decision's transaction) to the best hosts
        with room that are not in `exclude` (tried already), those holding its image first."""
        wanted = _Wanted(op_id, vcpus, memory_mb, set(exclude), asyncio.get_running_loop().create_future(), image)
        self._wanted.append(wanted)
        if self._deciding is None:
            self._deciding = asyncio.create_task(self._decide_while_wanted(), name="placement decisions")
        return await asyncio.shield(wanted.decided)  # a caller cancelled does not cancel the others' batch

    async def _decide_while_wanted(self) -> None:
        batch: list[_Wanted] = []
        try:
            while self._wanted:
                batch, self._wanted = self._wanted, []
                try:
                    decisions = await self._decide(batch)
                except Exception as e:  # the database, say: every create in the batch is told
                    for wanted in batch:
                        if not wanted.decided.done():
                            wanted.decided.set_exception(e)
                    continue
                for wanted, decision in zip(batch, decisions):
                    if not wanted.decided.done():
                        wanted.decided.set_result(decision)
        finally:
            self._deciding = None
            for wanted in batch + self._wanted:  # stopped (the hub is stopping): nobody waits for ever
                if not wanted.decided.done():
                    wanted.decided.cancel()

    async def _decide(self, batch: list[_Wanted]) -> list[Decision]:
        parallelism = self.config.create_offer_parallelism
        ratios = {"cpu_ratio": self.config.overcommit_cpu_ratio, "memory_ratio": self.config.overcommit_memory_ratio}
        async with db.cursor(self.pool) as cur:
            async with cur.begin():
                await placement.lock_placement(cur)
                await placement.fold_load(cur)
                # enough of the best hosts for every create's offers, whatever each has tried already
                candidates = await placement.rank_hosts(
                    cur, **ratios, room_for=(min(w.vcpus for w in batch), min(w.memory_mb for w in batch)),
                    limit=sum(parallelism + len(w.exclude) for w in batch))
                decisions = [Decision(_take_best(candidates, wanted, parallelism)) for wanted in batch]
                await ops_db.offer_many(cur, [(w.op_id, h["id"]) for w, d in zip(batch, decisions) for h in d.hosts])
                for wanted, decision in zip(batch, decisions):
                    if not decision.hosts:  # why not: every other host's reason (all hosts read, but rarely)
                        for host in await placement.rank_hosts(cur, **ratios, exclude=wanted.exclude):
                            why = placement.why_not(host, wanted.vcpus, wanted.memory_mb, wanted.image)
                            if why is not None:
                                decision.reasons[host["id"]] = why
        self.batches += 1
        return decisions


def _take_best(candidates: list[dict], wanted: _Wanted, parallelism: int) -> list[dict]:
    """The best `parallelism` candidates with room for it, taking their room (for the next in the batch)."""
    fitting = [h for h in candidates if h["id"] not in wanted.exclude and h["free_vcpus"] >= wanted.vcpus
               and h["free_memory_mb"] >= wanted.memory_mb and h["free_addresses"] >= 1
               and placement.image_fit(h, wanted.image) is not None]
    fitting.sort(key=lambda h: (placement.image_fit(h, wanted.image), -h["free_memory_mb"], -h["free_vcpus"], h["id"]))
    chosen = fitting[:parallelism]
    for host in chosen:
        host["free_vcpus"] -= wanted.vcpus
        host["free_memory_mb"] -= wanted.memory_mb
        host["free_addresses"] -= 1  # its claim will take one
    return chosen
