"""Every PostgreSQL advisory lock id the hubs take, in one place so that no two collide.

These guard a decision inside one transaction. Periodic work that one hub at a time should do
(heartbeat sweeps, resyncs, housekeeping) takes turns through `periodic_runs` instead
(hub/spokes/leases.py); metering keeps its lock because charging is one transaction.

(Login links also take a transaction lock per email address, `hashtext(email)`, in
`hub/login_tokens.py`: those ids are spread over the whole int4 range.)
"""
from __future__ import annotations

SCHEMA = 0x6361_7073  # installing or migrating the schema (migrations/): several hubs may start at once
PLACEMENT = 0x6361_7070  # ranking hosts and offering a create: one placement decision at a time
METERING = 0x6361_7075  # hourly charges: one hub meters at a time
USAGE = 0x6361_7076  # usage roll-ups and pruning: one hub at a time


async def try_transaction_lock(cur, lock_id: int) -> bool:
    """Take the lock until the transaction ends, if no one holds it; whether it was taken."""
    await cur.execute("SELECT pg_try_advisory_xact_lock(%s) AS locked", (lock_id,))
    return (await cur.fetchone())["locked"]
