"""Queries on reverse DNS: the PTR name wanted per address and its pushes (the service is
hub/reverse_dns.py)."""
from __future__ import annotations

from capsul import vm_states

COLUMNS = """host(address) AS address, vm_id, name, state, attempts, last_error, next_attempt_at, updated_at,
             pushed_at"""


async def capsul_addresses(cur, vm_id: str, account: str | None) -> dict | None:
    """The live capsul's addresses (ipv4, ipv6), if it is the account's (any account's when None)."""
    await cur.execute(
        f"""SELECT id, host(public_ipv4) AS ipv4, host(public_ipv6) AS ipv6 FROM vms v
            WHERE id = %s AND (%s::text IS NULL OR account = %s) AND {vm_states.live_sql('v.state')}""",
        (vm_id, account, account))
    return await cur.fetchone()


async def of_addresses(cur, addresses: list[str]) -> dict[str, dict]:
    await cur.execute(f"SELECT {COLUMNS} FROM reverse_dns WHERE address = ANY(%s::inet[])", (addresses,))
    return {r["address"]: r for r in await cur.fetchall()}


async def want(cur, address: str, vm_id: str | None, name: str | None) -> None:
    """Ask for `name` (None: the default) at `address`; pushed by the next round."""
    await cur.execute(
        """INSERT INTO reverse_dns (address, vm_id, name) VALUES (%s, %s, %s)
           ON CONFLICT (address) DO UPDATE SET vm_id = EXCLUDED.vm_id, name = EXCLUDED.name, state = 'pending',
               attempts = 0, last_error = NULL, next_attempt_at = now(), updated_at = now()""",
        (address, vm_id, name))


async def release_unheld(cur) -> list[dict]:
    """Addresses with a name of their own that no live capsul holds any more (deleted, failed, given new
    addresses, or held now by another capsul): back to the default name. Returns those reset."""
    await cur.execute(
        f"""UPDATE reverse_dns r SET name = NULL, state = 'pending', attempts = 0, last_error = NULL,
                   next_attempt_at = now(), updated_at = now()
            WHERE r.name IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM vms v WHERE v.id = r.vm_id AND {vm_states.live_sql('v.state')}
                  AND (v.public_ipv4 = r.address OR v.public_ipv6 = r.address))
            RETURNING host(r.address) AS address, r.vm_id""")
    return list(await cur.fetchall())


async def due(cur, limit: int = 200) -> list[str]:
    """Addresses whose push is due."""
    await cur.execute("""SELECT host(address) AS address FROM reverse_dns WHERE state <> 'pushed' AND next_attempt_at <= now()
                         ORDER BY next_attempt_at LIMIT %s""", (limit,))
    return [r["address"] for r in await cur.fetchall()]


async def lock_due(cur, address: str, *, even_if_not_due: bool = False) -> dict | None:
    """The address's row, locked for its push (held until the push is recorded: two pushes of one address
    never cross), if it is still to push and no one else is pushing it."""
    await cur.execute(
        f"""SELECT {COLUMNS} FROM reverse_dns WHERE address = %s AND state <> 'pushed'
              AND (%s OR next_attempt_at <= now()) FOR UPDATE SKIP LOCKED""", (address, even_if_not_due))
    return await cur.fetchone()


async def pushed(cur, address: str) -> None:
    await cur.execute("UPDATE reverse_dns SET state = 'pushed', pushed_at = now(), last_error = NULL WHERE address = %s",
                      (address,))


async def failed(cur, address: str, error: str, retry_in: float) -> None:
    await cur.execute(
        """UPDATE reverse_dns SET state = 'failed', attempts = attempts + 1, last_error = %s,
               next_attempt_at = now() + make_interval(secs => %s)
           WHERE address = %s""", (error[:500], retry_in, address))


async def failures(cur, limit: int = 50) -> list[dict]:
    await cur.execute(f"SELECT {COLUMNS} FROM reverse_dns WHERE state = 'failed' ORDER BY updated_at DESC LIMIT %s",
                      (limit,))
    return list(await cur.fetchall())
