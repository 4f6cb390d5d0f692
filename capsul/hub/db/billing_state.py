"""Queries on `balance_episodes` (where an account is in the running-low sequence) and
`payment_intents` (payments started with a provider, credited only when settled)."""
from __future__ import annotations

from capsul import vm_states

EPISODE_STEPS = ("warned_week_at", "warned_day_at", "zero_at", "deletion_warned_at", "deleted_at")


async def accounts_to_check(cur) -> list[str]:
    """Accounts with live capsuls or a running-low sequence under way."""
    await cur.execute(f"""SELECT DISTINCT account FROM vms WHERE {vm_states.live_sql()}
                          UNION SELECT account FROM balance_episodes""")
    return [r["account"] for r in await cur.fetchall()]


async def episode(cur, account: str) -> dict:
    await cur.execute("SELECT * FROM balance_episodes WHERE account = %s", (account,))
    return await cur.fetchone() or {}


async def mark_step(cur, account: str, step: str, at) -> None:
    if step not in EPISODE_STEPS:
        raise ValueError(f"no step {step!r}")
    await cur.execute(f"""INSERT INTO balance_episodes (account, {step}) VALUES (%s, %s)
                          ON CONFLICT (account) DO UPDATE SET {step} = EXCLUDED.{step}""", (account, at))


async def end_episode(cur, account: str) -> None:
    await cur.execute("DELETE FROM balance_episodes WHERE account = %s", (account,))


async def clear_zero(cur, account: str) -> None:
    """Topped up after reaching zero: no shutdown or deletion is pending any more."""
    await cur.execute("UPDATE balance_episodes SET zero_at = NULL, deletion_warned_at = NULL WHERE account = %s",
                      (account,))


async def add_intent(cur, provider: str, external_id: str, account: str, amount) -> None:
    await cur.execute("""INSERT INTO payment_intents (provider, external_id, account, amount)
                         VALUES (%s, %s, %s, %s)""", (provider, external_id, account, amount))


async def lock_intent(cur, provider: str, external_id: str) -> dict | None:
    """The intent (account, amount, status), locked until the transaction ends."""
    await cur.execute("""SELECT account, amount, status FROM payment_intents
                         WHERE provider = %s AND external_id = %s FOR UPDATE""", (provider, external_id))
    return await cur.fetchone()


async def set_intent_status(cur, provider: str, external_id: str, status: str) -> None:
    await cur.execute("""UPDATE payment_intents SET status = %s, updated_at = now()
                         WHERE provider = %s AND external_id = %s""", (status, provider, external_id))


async def pending_intents(cur, account: str) -> list[dict]:
    await cur.execute("""SELECT provider, amount, status, created_at FROM payment_intents
                         WHERE account = %s AND status IN ('open', 'processing') ORDER BY created_at DESC""",
                      (account,))
    return await cur.fetchall()
