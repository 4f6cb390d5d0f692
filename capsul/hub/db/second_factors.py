"""Queries on second factors, recovery codes, their lockouts, history and requirement (the service is
hub/accounts/second_factors.py)."""
from __future__ import annotations

async def list_factors(cur, account: str) -> list[dict]:
    await cur.execute(
        """SELECT id, kind, name, created_at, last_used_at, totp_secret, totp_last_step, credential_id, public_key,
                  sign_count
           FROM second_factors WHERE account = %s ORDER BY created_at, id""", (account,))
    return list(await cur.fetchall())


async def has_factors(cur, account: str) -> bool:
    await cur.execute("SELECT 1 FROM second_factors WHERE account = %s LIMIT 1", (account,))
    return await cur.fetchone() is not None


async def add_totp(cur, account: str, name: str, encrypted_secret: str, step: int) -> int | None:
    """The new factor's id; None when the account has a TOTP factor already."""
    await cur.execute(
        """INSERT INTO second_factors (account, kind, name, totp_secret, totp_last_step, last_used_at)
           VALUES (%s, 'totp', %s, %s, %s, now()) ON CONFLICT DO NOTHING RETURNING id""",
        (account, name, encrypted_secret, step))
    row = await cur.fetchone()
    return row["id"] if row else None


async def add_passkey(cur, account: str, name: str, credential_id: bytes, public_key: bytes, sign_count: int) -> int | None:
    """The new factor's id; None when that credential is registered already."""
    await cur.execute(
        """INSERT INTO second_factors (account, kind, name, credential_id, public_key, sign_count, last_used_at)
           VALUES (%s, 'passkey', %s, %s, %s, %s, now()) ON CONFLICT DO NOTHING RETURNING id""",
        (account, name, credential_id, public_key, sign_count))
    row = await cur.fetchone()
    return row["id"] if row else None


async def totp_of(cur, account: str) -> dict | None:
    await cur.execute("SELECT id, totp_secret, totp_last_step FROM second_factors WHERE account = %s AND kind = 'totp' "
                      "FOR UPDATE", (account,))
    return await cur.fetchone()


async def passkey_of(cur, account: str, credential_id: bytes) -> dict | None:
    await cur.execute(
        """SELECT id, name, public_key, sign_count FROM second_factors
           WHERE account = %s AND kind = 'passkey' AND credential_id = %s FOR UPDATE""", (account, credential_id))
    return await cur.fetchone()


async def passkey_ids(cur, account: str) -> list[bytes]:
    await cur.execute("SELECT credential_id FROM second_factors WHERE account = %s AND kind = 'passkey'", (account,))
    return [bytes(r["credential_id"]) for r in await cur.fetchall()]


async def used_totp(cur, factor_id: int, step: int) -> None:
    await cur.execute("UPDATE second_factors SET totp_last_step = %s, last_used_at = now() WHERE id = %s",
                      (step, factor_id))


async def used_passkey(cur, factor_id: int, sign_count: int) -> None:
    await cur.execute("UPDATE second_factors SET sign_count = %s, last_used_at = now() WHERE id = %s",
                      (sign_count, factor_id))


async def remove(cur, account: str, factor_id: int) -> dict | None:
    await cur.execute("DELETE FROM second_factors WHERE account = %s AND id = %s RETURNING id, kind, name",
                      (account, factor_id))
    return await cur.fetchone()


async def replace_recovery_codes(cur, account: str, code_hashes: list[str]) -> None:
    await cur.execute("DELETE FROM recovery_codes WHERE account = %s", (account,))
    for code_hash in code_hashes:
        await cur.execute("INSERT INTO recovery_codes (account, code_hash) VALUES (%s, %s)", (account, code_hash))


async def use_recovery_code(cur, account: str, code_hash: str) -> bool:
    await cur.execute(
        """UPDATE recovery_codes SET used_at = now()
           WHERE account = %s AND code_hash = %s AND used_at IS NULL RETURNING id""", (account, code_hash))
    return await cur.fetchone() is not None


async def recovery_codes_left(cur, account: str) -> int:
    await cur.execute("SELECT count(*) AS n FROM recovery_codes WHERE account = %s AND used_at IS NULL", (account,))
    return (await cur.fetchone())["n"]


async def drop_recovery_codes(cur, account: str) -> None:
    await cur.execute("DELETE FROM recovery_codes WHERE account = %s", (account,))


async def locks_for_update(cur, account: str) -> dict:
    """The account's failure counts and lockouts, locked for this transaction (a row made if none)."""
    await cur.execute("INSERT INTO second_factor_locks (account) VALUES (%s) ON CONFLICT DO NOTHING", (account,))
    await cur.execute(
        """SELECT totp_failures, failures, totp_locked_at, all_locked_until,
                  all_locked_until IS NOT NULL AND all_locked_until > now() AS all_locked
           FROM second_factor_locks WHERE account = %s FOR UPDATE""", (account,))
    return await cur.fetchone()


async def locks(cur, account: str) -> dict | None:
    await cur.execute(
        """SELECT totp_failures, failures, totp_locked_at, all_locked_until,
                  all_locked_until IS NOT NULL AND all_locked_until > now() AS all_locked
           FROM second_factor_locks WHERE account = %s""", (account,))
    return await cur.fetchone()


async def set_locks(cur, account: str, *, totp_failures: int, failures: int, totp_locked: bool | None = None,
                    all_locked_for: float | None = None, all_unlocked: bool = False) -> None:
    """Write the counts; `totp_locked` True locks TOTP now, False unlocks it, None leaves it;
    `all_locked_for` seconds locks every factor; `all_unlocked` ends such a lock."""
    await cur.execute(
        """UPDATE second_factor_locks SET totp_failures = %s, failures = %s,
                  totp_locked_at = CASE WHEN %s IS NULL THEN totp_locked_at WHEN %s THEN now() END,
                  all_locked_until = CASE WHEN %s IS NOT NULL THEN now() + make_interval(secs => %s)
                                          WHEN %s THEN NULL ELSE all_locked_until END
           WHERE account = %s""",
        (totp_failures, failures, totp_locked, totp_locked, all_locked_for, all_locked_for, all_unlocked, account))


async def record(cur, account: str, event: str, kind: str | None = None, detail: str | None = None, *,
                 admin: str | None = None, reason: str | None = None) -> None:
    await cur.execute(
        """INSERT INTO second_factor_events (account, event, kind, detail, admin, reason)
           VALUES (%s, %s, %s, %s, %s, %s)""", (account, event, kind, detail, admin, reason))


async def history(cur, account: str, limit: int = 50) -> list[dict]:
    await cur.execute(
        """SELECT at, event, kind, detail, admin, reason FROM second_factor_events
           WHERE account = %s ORDER BY at DESC, id DESC LIMIT %s""", (account, limit))
    return list(await cur.fetchall())


async def factor_used_now(cur, session_id: int) -> None:
    await cur.execute("UPDATE login_sessions SET second_factor_at = now() WHERE id = %s", (session_id,))


async def policy(cur) -> dict | None:
    await cur.execute("SELECT required_from, set_by, set_at, required_from <= now() AS in_force "
                      "FROM second_factor_policy")
    return await cur.fetchone()


async def set_policy(cur, grace_days: int | None, admin: str) -> None:
    """Required from `grace_days` days on (None: not required)."""
    if grace_days is None:
        await cur.execute("DELETE FROM second_factor_policy")
        return
    await cur.execute(
        """INSERT INTO second_factor_policy (required_from, set_by) VALUES (now() + make_interval(days => %s), %s)
           ON CONFLICT (only_row) DO UPDATE SET required_from = EXCLUDED.required_from, set_by = EXCLUDED.set_by,
                                                set_at = now()""", (grace_days, admin))


async def standing(cur, account: str, session_id: int | None) -> dict:
    """What a page needs to know per request: whether the account has factors, how many seconds ago this
    login last used one (None: never), and the requirement (required_from, in_force) if one is set."""
    await cur.execute(
        """SELECT EXISTS (SELECT 1 FROM second_factors WHERE account = %s) AS has_factors,
                  (SELECT extract(epoch FROM now() - second_factor_at) FROM login_sessions WHERE id = %s) AS factor_age,
                  (SELECT required_from FROM second_factor_policy) AS required_from,
                  coalesce((SELECT required_from <= now() FROM second_factor_policy), false) AS required_now""",
        (account, session_id))
    return await cur.fetchone()
